package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/board"
)

func testMailLeases(t *testing.T, s board.Store) {
	ctx := context.Background()
	create(t, s, "aaaaaaaaaaaaaaaa")

	first, err := s.ClaimMail(ctx, t0, time.Minute, 10)
	if err != nil || len(first) != 1 {
		t.Fatalf("got %d messages, %v; want 1", len(first), err)
	}
	if m := first[0].Message; m.ID != "aaaaaaaaaaaaaaaa@example.com" || m.Text != "t" || !m.Date.Equal(t0) {
		t.Errorf("got %+v, want the queued message", m)
	}
	again, err := s.ClaimMail(ctx, t0.Add(time.Second), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Errorf("got %d messages while leased, want 0", len(again))
	}
	// A worker that died: the lease runs out and the message comes back.
	retry, err := s.ClaimMail(ctx, t0.Add(2*time.Minute), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(retry) != 1 || retry[0].Attempts != 2 {
		t.Fatalf("got %+v after the lease, want the message on attempt 2", retry)
	}
	if err := s.MarkMailSent(ctx, retry[0].ID, t0); err != nil {
		t.Fatal(err)
	}
	after, err := s.ClaimMail(ctx, t0.Add(time.Hour), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 0 {
		t.Errorf("got %d messages after sending, want 0", len(after))
	}
}

// testConcurrentClaimersGetDisjointMail runs several rounds because an
// overlap, when the locking is wrong, depends on timing.
func testConcurrentClaimersGetDisjointMail(t *testing.T, s board.Store) {
	ctx := context.Background()
	for round := range 10 {
		for i := range 40 {
			if err := s.QueueMail(ctx, message(fmt.Sprintf("r%d-%d", round, i))); err != nil {
				t.Fatal(err)
			}
		}
		claims := make([][]board.OutboxMail, 8)
		errs := make([]error, len(claims))
		var wg sync.WaitGroup
		for i := range claims {
			wg.Go(func() { claims[i], errs[i] = s.ClaimMail(ctx, t0, time.Minute, 5) })
		}
		wg.Wait()
		seen := map[int64]int{}
		for i, c := range claims {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			for _, m := range c {
				seen[m.ID]++
			}
		}
		for id, n := range seen {
			if n > 1 {
				t.Errorf("round %d: message %d claimed %d times, want once", round, id, n)
			}
			if err := s.MarkMailSent(ctx, id, t0); err != nil {
				t.Fatal(err)
			}
		}
		if len(seen) != 40 {
			t.Errorf("round %d: got %d messages claimed, want all 40", round, len(seen))
		}
	}
}
