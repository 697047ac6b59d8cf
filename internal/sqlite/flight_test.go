package sqlite_test

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/cache"
	"github.com/corkboard/corkboard/internal/categories"
	"github.com/corkboard/corkboard/internal/places"
	"github.com/corkboard/corkboard/internal/sqlite"
)

// countingStore counts list queries and makes each take a while, so
// concurrent requests overlap.
type countingStore struct {
	*sqlite.Store
	lists atomic.Int32
}

func (c *countingStore) ListPosts(ctx context.Context, q board.ListQuery) ([]board.Post, error) {
	c.lists.Add(1)
	time.Sleep(50 * time.Millisecond)
	return c.Store.ListPosts(ctx, q)
}

func TestConcurrentMissesShareOneQuery(t *testing.T) {
	dir, err := places.Load()
	if err != nil {
		t.Fatal(err)
	}
	store := &countingStore{Store: openStore(t)}
	base, _ := url.Parse("http://localhost")
	svc := board.NewService(board.ServiceConfig{Store: store, Cache: cache.NewMemory(1 << 20), Places: dir,
		Categories: categories.Builtin(), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), BaseURL: base})

	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := svc.ListPosts(context.Background(), "boston", "bikes", "", 50); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := store.lists.Load(); got != 1 {
		t.Errorf("got %d list queries for 20 concurrent misses, want 1", got)
	}
}
