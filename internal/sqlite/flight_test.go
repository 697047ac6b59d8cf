package sqlite_test

import (
	"context"
	"errors"
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

// heldStore holds each list query until release is closed, as a slow
// database would, and sends the query's context on started.
type heldStore struct {
	*sqlite.Store
	started chan context.Context
	release chan struct{}
	lists   atomic.Int32
}

func (h *heldStore) ListPosts(ctx context.Context, q board.ListQuery) ([]board.Post, error) {
	h.lists.Add(1)
	h.started <- ctx
	select {
	case <-h.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return h.Store.ListPosts(ctx, q)
}

// waitingContext closes waiting the first time Done is called. A list
// call with a cursor calls Done only to wait for the shared query, so
// waiting shows that the caller has joined it.
type waitingContext struct {
	context.Context
	once    sync.Once
	waiting chan struct{}
}

func (c *waitingContext) Done() <-chan struct{} {
	c.once.Do(func() { close(c.waiting) })
	return c.Context.Done()
}

func TestSharedQueryOutlivesCancelledCaller(t *testing.T) {
	dir, err := places.Load()
	if err != nil {
		t.Fatal(err)
	}
	store := &heldStore{Store: openStore(t), started: make(chan context.Context, 2), release: make(chan struct{})}
	base, _ := url.Parse("http://localhost")
	svc := board.NewService(board.ServiceConfig{Store: store, Cache: cache.NewMemory(1 << 20), Places: dir,
		Categories: categories.Builtin(), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), BaseURL: base})
	cursor := board.EncodeCursor(board.Cursor{BumpedAt: time.Now(), ID: board.NewPostID()})

	first, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, err := svc.ListPosts(first, "washington-dc", "tools", cursor, 50)
		firstErr <- err
	}()
	query := <-store.started
	cancel()
	select {
	case err := <-firstErr:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled caller: got error %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancelled caller still waits for the query")
	}
	if err := query.Err(); err != nil {
		t.Fatalf("the shared query ended with its first caller: %v", err)
	}

	second := &waitingContext{Context: context.Background(), waiting: make(chan struct{})}
	secondErr := make(chan error, 1)
	go func() {
		_, err := svc.ListPosts(second, "washington-dc", "tools", cursor, 50)
		secondErr <- err
	}()
	select {
	case <-second.waiting:
	case <-time.After(5 * time.Second):
		t.Fatal("second caller did not wait for the running query")
	}
	close(store.release)
	if err := <-secondErr; err != nil {
		t.Errorf("second caller: got error %v, want the page", err)
	}
	if got := store.lists.Load(); got != 1 {
		t.Errorf("got %d list queries, want 1 shared by both callers", got)
	}
}
