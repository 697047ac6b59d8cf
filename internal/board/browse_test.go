package board

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestShareQuerySeparatesPrimaryReads checks that a caller who asked for
// the primary database never gets the result of a query that runs for a
// caller who did not.
func TestShareQuerySeparatesPrimaryReads(t *testing.T) {
	s := &Service{}
	release := make(chan struct{})
	started := make(chan bool, 2)
	query := func(ctx context.Context) (any, error) {
		started <- PrimaryRequested(ctx)
		<-release
		return PrimaryRequested(ctx), nil
	}

	ctxs := []context.Context{context.Background(), WithPrimary(context.Background())}
	results := make([]any, len(ctxs))
	var wg sync.WaitGroup
	for i, ctx := range ctxs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			results[i], err = s.shareQuery(ctx, "list:boston::50:", query)
			if err != nil {
				t.Error(err)
			}
		}()
	}
	// Both queries start at once when the callers do not share one. If
	// they did, the second would join the first, and only one would start.
	ran := 0
	timeout := time.After(2 * time.Second)
wait:
	for ran < 2 {
		select {
		case <-started:
			ran++
		case <-timeout:
			break wait
		}
	}
	close(release)
	wg.Wait()

	if ran != 2 {
		t.Errorf("%d queries ran, want one per kind of caller", ran)
	}
	for i, ctx := range ctxs {
		if results[i] != PrimaryRequested(ctx) {
			t.Errorf("caller %d (primary %v) got the result of a query with primary %v", i, PrimaryRequested(ctx), results[i])
		}
	}
}
