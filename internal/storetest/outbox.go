package storetest

import (
	"context"
	"fmt"
	"slices"
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
	if want := t0.Add(time.Minute); !first[0].LockedUntil.Equal(want) {
		t.Errorf("got lease until %v, want %v", first[0].LockedUntil, want)
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
	if err := s.MarkMailSent(ctx, retry[0].ID, retry[0].LockedUntil, t0); err != nil {
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
				if err := s.MarkMailSent(ctx, m.ID, m.LockedUntil, t0); err != nil {
					t.Fatal(err)
				}
			}
		}
		for id, n := range seen {
			if n > 1 {
				t.Errorf("round %d: message %d claimed %d times, want once", round, id, n)
			}
		}
		if len(seen) != 40 {
			t.Errorf("round %d: got %d messages claimed, want all 40", round, len(seen))
		}
	}
}

// claimMessageIDs claims up to limit messages due at now, for a minute, and
// returns their Message-IDs sorted, because the stores return a batch in no
// set order.
func claimMessageIDs(t *testing.T, s board.Store, now time.Time, limit int) []string {
	t.Helper()
	batch, err := s.ClaimMail(context.Background(), now, time.Minute, limit)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(batch))
	for i, m := range batch {
		ids[i] = m.Message.ID
	}
	slices.Sort(ids)
	return ids
}

// testFailedMailIsRetriedLater fails a delivery as the worker does when
// the mail server rejects it. The message must come back at its retry time,
// not before, with its bodies and one more attempt, and must not hold up
// mail queued after it.
//
// NOTE: the reason given to MarkMailFailed is stored, but no Store method
// reads it back, so this test cannot check it.
func testFailedMailIsRetriedLater(t *testing.T, s board.Store) {
	ctx := context.Background()
	if err := s.QueueMail(ctx, message("failing")); err != nil {
		t.Fatal(err)
	}
	first, err := s.ClaimMail(ctx, t0, 2*time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 1 || first[0].Attempts != 1 {
		t.Fatalf("got %+v, want the message on attempt 1", first)
	}
	retryAt := t0.Add(30 * time.Second)
	if err := s.MarkMailFailed(ctx, first[0].ID, first[0].LockedUntil, retryAt, "dial tcp 127.0.0.1:25: connection refused"); err != nil {
		t.Fatal(err)
	}

	later := message("later")
	later.Date = t0.Add(10 * time.Second)
	if err := s.QueueMail(ctx, later); err != nil {
		t.Fatal(err)
	}
	if got := claimMessageIDs(t, s, t0.Add(10*time.Second), 10); !slices.Equal(got, []string{"later@example.com"}) {
		t.Errorf("before the retry time: got %v, want only the message queued after the failure", got)
	}

	// The failure released the lease, so the message comes back at the
	// retry time although the lease of its first claim ran for 2 minutes.
	retry, err := s.ClaimMail(ctx, retryAt, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(retry) != 1 {
		t.Fatalf("got %d messages at the retry time, want the failed one", len(retry))
	}
	if retry[0].ID != first[0].ID {
		t.Errorf("got outbox ID %d, want the failed message %d", retry[0].ID, first[0].ID)
	}
	if retry[0].Attempts != 2 {
		t.Errorf("got attempt %d, want 2", retry[0].Attempts)
	}
	if m := retry[0].Message; m.ID != "failing@example.com" || m.Text != "t" || m.HTML != "h" || !m.Date.Equal(t0) {
		t.Errorf("got %+v, want the message as queued, bodies included", m)
	}
}

// testOutboxDepthCountsUnsentMail follows three messages through the
// outbox and expects the depth shown to operators to count every message
// not yet sent: queued, leased to a worker or waiting for a retry.
func testOutboxDepthCountsUnsentMail(t *testing.T, s board.Store) {
	ctx := context.Background()
	assertDepth := func(when string, want int) {
		t.Helper()
		got, err := s.OutboxDepth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: got depth %d, want %d", when, got, want)
		}
	}

	assertDepth("empty outbox", 0)
	create(t, s, "aaaaaaaaaaaaaaaa")
	for _, id := range []string{"m1", "m2"} {
		if err := s.QueueMail(ctx, message(id)); err != nil {
			t.Fatal(err)
		}
	}
	assertDepth("after queueing", 3)

	batch, err := s.ClaimMail(ctx, t0, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(batch) != 3 {
		t.Fatalf("got %d messages, want 3", len(batch))
	}
	assertDepth("while leased", 3)

	if err := s.MarkMailSent(ctx, batch[0].ID, batch[0].LockedUntil, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkMailFailed(ctx, batch[1].ID, batch[1].LockedUntil, t0.Add(time.Minute), "timed out"); err != nil {
		t.Fatal(err)
	}
	assertDepth("after one sent and one failed", 2)

	if err := s.MarkMailSent(ctx, batch[2].ID, batch[2].LockedUntil, t0.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	retry, err := s.ClaimMail(ctx, t0.Add(time.Minute), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(retry) != 1 {
		t.Fatalf("got %d messages at the retry time, want the failed one", len(retry))
	}
	if err := s.MarkMailSent(ctx, retry[0].ID, retry[0].LockedUntil, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	assertDepth("after all sent", 0)
}

// testClaimTakesEarliestDueMailFirst expects a claim with a limit to take
// the messages due earliest. Of messages due at the same time it takes the
// ones queued first, so no message waits behind mail queued after it.
func testClaimTakesEarliestDueMailFirst(t *testing.T, s board.Store) {
	ctx := context.Background()
	// Queued first but due a minute later than the others.
	late := message("late")
	late.Date = t0.Add(time.Minute)
	if err := s.QueueMail(ctx, late); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"first", "second", "third"} {
		if err := s.QueueMail(ctx, message(id)); err != nil {
			t.Fatal(err)
		}
	}

	at := t0.Add(time.Minute)
	if got, want := claimMessageIDs(t, s, at, 2), []string{"first@example.com", "second@example.com"}; !slices.Equal(got, want) {
		t.Errorf("first claim: got %v, want %v", got, want)
	}
	if got, want := claimMessageIDs(t, s, at, 1), []string{"third@example.com"}; !slices.Equal(got, want) {
		t.Errorf("second claim: got %v, want %v", got, want)
	}
	if got, want := claimMessageIDs(t, s, at, 1), []string{"late@example.com"}; !slices.Equal(got, want) {
		t.Errorf("third claim: got %v, want %v", got, want)
	}
}
