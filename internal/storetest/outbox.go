package storetest

import (
	"context"
	"errors"
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

	first, err := s.ClaimMail(ctx, T0, time.Minute, 10)
	if err != nil || len(first) != 1 {
		t.Fatalf("got %d messages, %v; want 1", len(first), err)
	}
	if m := first[0].Message; m.ID != "aaaaaaaaaaaaaaaa@example.com" || m.Text != "t" || !m.Date.Equal(T0) {
		t.Errorf("got %+v, want the queued message", m)
	}
	if want := T0.Add(time.Minute); !first[0].LockedUntil.Equal(want) {
		t.Errorf("got lease until %v, want %v", first[0].LockedUntil, want)
	}
	again, err := s.ClaimMail(ctx, T0.Add(time.Second), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Errorf("got %d messages while leased, want 0", len(again))
	}
	// A worker that died: the lease runs out and the message comes back.
	retry, err := s.ClaimMail(ctx, T0.Add(2*time.Minute), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(retry) != 1 || retry[0].Attempts != 2 {
		t.Fatalf("got %+v after the lease, want the message on attempt 2", retry)
	}
	if err := s.MarkMailSent(ctx, retry[0].ID, retry[0].LockedUntil, T0); err != nil {
		t.Fatal(err)
	}
	after, err := s.ClaimMail(ctx, T0.Add(time.Hour), time.Minute, 10)
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
			if err := s.QueueMail(ctx, Message(fmt.Sprintf("r%d-%d", round, i))); err != nil {
				t.Fatal(err)
			}
		}
		claims := make([][]board.OutboxMail, 8)
		errs := make([]error, len(claims))
		var wg sync.WaitGroup
		for i := range claims {
			wg.Go(func() { claims[i], errs[i] = s.ClaimMail(ctx, T0, time.Minute, 5) })
		}
		wg.Wait()
		seen := map[int64]int{}
		for i, c := range claims {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			for _, m := range c {
				seen[m.ID]++
				if err := s.MarkMailSent(ctx, m.ID, m.LockedUntil, T0); err != nil {
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
	if err := s.QueueMail(ctx, Message("failing")); err != nil {
		t.Fatal(err)
	}
	first, err := s.ClaimMail(ctx, T0, 2*time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 1 || first[0].Attempts != 1 {
		t.Fatalf("got %+v, want the message on attempt 1", first)
	}
	retryAt := T0.Add(30 * time.Second)
	if err := s.MarkMailFailed(ctx, first[0].ID, first[0].LockedUntil, retryAt, "dial tcp 127.0.0.1:25: connection refused"); err != nil {
		t.Fatal(err)
	}

	later := Message("later")
	later.Date = T0.Add(10 * time.Second)
	if err := s.QueueMail(ctx, later); err != nil {
		t.Fatal(err)
	}
	if got := claimMessageIDs(t, s, T0.Add(10*time.Second), 10); !slices.Equal(got, []string{"later@example.com"}) {
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
	if m := retry[0].Message; m.ID != "failing@example.com" || m.Text != "t" || m.HTML != "h" || !m.Date.Equal(T0) {
		t.Errorf("got %+v, want the message as queued, bodies included", m)
	}
}

// testOutboxDepthCountsUnsentMail follows three messages through the
// outbox and expects the depth shown to operators to count every message
// not yet sent: queued, leased to a worker or waiting for a retry.
func testOutboxDepthCountsUnsentMail(t *testing.T, s board.Store) {
	ctx := context.Background()

	assertDepth(t, s, "empty outbox", 0)
	create(t, s, "aaaaaaaaaaaaaaaa")
	for _, id := range []string{"m1", "m2"} {
		if err := s.QueueMail(ctx, Message(id)); err != nil {
			t.Fatal(err)
		}
	}
	assertDepth(t, s, "after queueing", 3)

	batch, err := s.ClaimMail(ctx, T0, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(batch) != 3 {
		t.Fatalf("got %d messages, want 3", len(batch))
	}
	assertDepth(t, s, "while leased", 3)

	if err := s.MarkMailSent(ctx, batch[0].ID, batch[0].LockedUntil, T0); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkMailFailed(ctx, batch[1].ID, batch[1].LockedUntil, T0.Add(time.Minute), "timed out"); err != nil {
		t.Fatal(err)
	}
	assertDepth(t, s, "after one sent and one failed", 2)

	if err := s.MarkMailSent(ctx, batch[2].ID, batch[2].LockedUntil, T0.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	retry, err := s.ClaimMail(ctx, T0.Add(time.Minute), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(retry) != 1 {
		t.Fatalf("got %d messages at the retry time, want the failed one", len(retry))
	}
	if err := s.MarkMailSent(ctx, retry[0].ID, retry[0].LockedUntil, T0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	assertDepth(t, s, "after all sent", 0)
}

// testClaimTakesEarliestDueMailFirst expects a claim with a limit to take
// the messages due earliest. Of messages due at the same time it takes the
// ones queued first, so no message waits behind mail queued after it.
func testClaimTakesEarliestDueMailFirst(t *testing.T, s board.Store) {
	ctx := context.Background()
	// Queued first but due a minute later than the others.
	late := Message("late")
	late.Date = T0.Add(time.Minute)
	if err := s.QueueMail(ctx, late); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"first", "second", "third"} {
		if err := s.QueueMail(ctx, Message(id)); err != nil {
			t.Fatal(err)
		}
	}

	at := T0.Add(time.Minute)
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

// claimOneMail claims the mail due at now for a minute and expects exactly
// one message.
func claimOneMail(t *testing.T, s board.Store, now time.Time) board.OutboxMail {
	t.Helper()
	batch, err := s.ClaimMail(context.Background(), now, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(batch) != 1 {
		t.Fatalf("claim at %v: got %d messages, want 1", now, len(batch))
	}
	return batch[0]
}

// testExpiredMailLeaseIsFenced has a first worker whose lease runs out
// while it sends a message, and a second worker that claims the message
// meanwhile. The first worker's marks must fail with ErrLeaseLost and
// change nothing, so that the second lease still keeps other workers from
// sending the message again.
func testExpiredMailLeaseIsFenced(t *testing.T, s board.Store) {
	ctx := context.Background()
	if err := s.QueueMail(ctx, Message("slow")); err != nil {
		t.Fatal(err)
	}

	first := claimOneMail(t, s, T0)
	second := claimOneMail(t, s, T0.Add(2*time.Minute))
	if !second.LockedUntil.After(first.LockedUntil) {
		t.Errorf("got second lease until %v, want after the first, %v", second.LockedUntil, first.LockedUntil)
	}

	during := T0.Add(150 * time.Second)
	err := s.MarkMailFailed(ctx, first.ID, first.LockedUntil, T0.Add(2*time.Minute), "timed out")
	if !errors.Is(err, board.ErrLeaseLost) {
		t.Errorf("failure marked by the first worker: got %v, want ErrLeaseLost", err)
	}
	if got := claimMessageIDs(t, s, during, 10); len(got) != 0 {
		t.Errorf("claim after the first worker's failure: got %v, want none while the second lease runs", got)
	}
	err = s.MarkMailSent(ctx, first.ID, first.LockedUntil, during)
	if !errors.Is(err, board.ErrLeaseLost) {
		t.Errorf("delivery marked by the first worker: got %v, want ErrLeaseLost", err)
	}
	assertDepth(t, s, "after the first worker's marks", 1)
	if got := claimMessageIDs(t, s, during, 10); len(got) != 0 {
		t.Errorf("claim after the first worker's delivery: got %v, want none while the second lease runs", got)
	}

	// The second worker's marks work. Its failure brings the message back,
	// bodies included, so the first worker's marks erased nothing.
	if err := s.MarkMailFailed(ctx, second.ID, second.LockedUntil, T0.Add(3*time.Minute), "timed out"); err != nil {
		t.Fatalf("failure marked by the second worker: %v", err)
	}
	third := claimOneMail(t, s, T0.Add(3*time.Minute))
	if third.Attempts != 3 {
		t.Errorf("got attempt %d, want 3", third.Attempts)
	}
	if m := third.Message; m.Text != "t" || m.HTML != "h" {
		t.Errorf("got text %q and HTML %q, want the bodies as queued", m.Text, m.HTML)
	}
	if err := s.MarkMailSent(ctx, third.ID, third.LockedUntil, T0.Add(3*time.Minute)); err != nil {
		t.Fatalf("delivery marked by the third worker: %v", err)
	}
	assertDepth(t, s, "after delivery", 0)

	// Recording the delivery released the lease, so the third worker cannot
	// mark the message again.
	err = s.MarkMailFailed(ctx, third.ID, third.LockedUntil, T0.Add(4*time.Minute), "timed out")
	if !errors.Is(err, board.ErrLeaseLost) {
		t.Errorf("failure marked after delivery: got %v, want ErrLeaseLost", err)
	}
	assertDepth(t, s, "after a failure marked after delivery", 0)

	if err := s.MarkMailSent(ctx, 1<<40, third.LockedUntil, T0); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("delivery of an unknown message: got %v, want ErrNotFound", err)
	}
	if err := s.MarkMailFailed(ctx, 1<<40, third.LockedUntil, T0, "timed out"); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("failure of an unknown message: got %v, want ErrNotFound", err)
	}
}

// testLateMailMarkWithoutTakeover expects a worker whose lease ran out to
// still mark the message sent while no other worker has claimed it, so a
// slow delivery is not sent a second time.
func testLateMailMarkWithoutTakeover(t *testing.T, s board.Store) {
	ctx := context.Background()
	if err := s.QueueMail(ctx, Message("slow")); err != nil {
		t.Fatal(err)
	}
	m := claimOneMail(t, s, T0)
	if err := s.MarkMailSent(ctx, m.ID, m.LockedUntil, T0.Add(5*time.Minute)); err != nil {
		t.Fatalf("got %v, want the delivery recorded", err)
	}
	n, err := s.OutboxDepth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("got depth %d, want 0", n)
	}
}
