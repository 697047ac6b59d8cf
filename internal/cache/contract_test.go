package cache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/board"
)

// testCacheContract runs the behaviour every board.Cache must have.
// newCache returns an empty cache that no other test uses.
func testCacheContract(t *testing.T, newCache func(t *testing.T) board.Cache) {
	t.Run("set then get returns value", func(t *testing.T) {
		c := newCache(t)
		c.Set(t.Context(), "a", []byte(`{"n":1}`), time.Minute, "region:x")
		got, ok := c.Get(t.Context(), "a")
		if !ok {
			t.Fatal("got a miss for a key just set, want a hit")
		}
		if string(got) != `{"n":1}` {
			t.Errorf("got %q, want %q", got, `{"n":1}`)
		}
	})

	t.Run("unknown key misses", func(t *testing.T) {
		c := newCache(t)
		if got, ok := c.Get(t.Context(), "never-set"); ok {
			t.Errorf("got %q, true for a key never set, want a miss", got)
		}
	})

	t.Run("set replaces value", func(t *testing.T) {
		c := newCache(t)
		c.Set(t.Context(), "a", []byte("1"), time.Minute)
		c.Set(t.Context(), "a", []byte("2"), time.Minute)
		if got, ok := c.Get(t.Context(), "a"); !ok || string(got) != "2" {
			t.Errorf("got %q, %v, want \"2\", true", got, ok)
		}
	})

	t.Run("entries expire after ttl", func(t *testing.T) {
		c := newCache(t)
		c.Set(t.Context(), "a", []byte("1"), 100*time.Millisecond)
		time.Sleep(250 * time.Millisecond)
		if got, ok := c.Get(t.Context(), "a"); ok {
			t.Errorf("got %q, true after the ttl, want a miss", got)
		}
	})

	t.Run("invalidate drops tagged entries only", func(t *testing.T) {
		c := newCache(t)
		c.Set(t.Context(), "boston", []byte("1"), time.Minute, "region:boston", "all")
		c.Set(t.Context(), "post", []byte("2"), time.Minute, "post:7", "region:boston")
		c.Set(t.Context(), "nyc", []byte("3"), time.Minute, "region:nyc", "all")
		c.Invalidate(t.Context(), "region:boston")
		for _, key := range []string{"boston", "post"} {
			if got, ok := c.Get(t.Context(), key); ok {
				t.Errorf("got %q, true for %s after invalidating its tag, want a miss", got, key)
			}
		}
		if got, ok := c.Get(t.Context(), "nyc"); !ok || string(got) != "3" {
			t.Errorf("got %q, %v for nyc, want \"3\", true", got, ok)
		}
	})

	t.Run("invalidate any of several tags", func(t *testing.T) {
		c := newCache(t)
		c.Set(t.Context(), "a", []byte("1"), time.Minute, "region:boston", "all")
		c.Invalidate(t.Context(), "all")
		if got, ok := c.Get(t.Context(), "a"); ok {
			t.Errorf("got %q, true after invalidating its second tag, want a miss", got)
		}
	})

	t.Run("GetOrLoad loads once for concurrent misses", func(t *testing.T) {
		loader := &Loader{Cache: newCache(t)}
		var loads atomic.Int32
		release := make(chan struct{})
		load := func() ([]byte, error) {
			loads.Add(1)
			<-release
			return []byte("loaded"), nil
		}

		const callers = 50
		var wg sync.WaitGroup
		var started sync.WaitGroup
		results := make([][]byte, callers)
		errs := make([]error, callers)
		started.Add(callers)
		for i := range callers {
			wg.Go(func() {
				started.Done()
				results[i], errs[i] = loader.GetOrLoad(t.Context(), "cold", time.Minute, []string{"all"}, load)
			})
		}
		started.Wait()
		// Give every caller time to reach the flight before the load ends.
		time.Sleep(100 * time.Millisecond)
		close(release)
		wg.Wait()

		if n := loads.Load(); n != 1 {
			t.Errorf("load ran %d times for %d concurrent callers, want 1", n, callers)
		}
		for i := range callers {
			if errs[i] != nil {
				t.Errorf("caller %d: got error %v", i, errs[i])
			}
			if string(results[i]) != "loaded" {
				t.Errorf("caller %d: got %q, want \"loaded\"", i, results[i])
			}
		}
		if got, ok := loader.Cache.Get(t.Context(), "cold"); !ok || string(got) != "loaded" {
			t.Errorf("cache holds %q, %v after the load, want \"loaded\", true", got, ok)
		}
	})

	t.Run("GetOrLoad returns when caller cancels", func(t *testing.T) {
		loader := &Loader{Cache: newCache(t)}
		release := make(chan struct{})
		defer close(release)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := loader.GetOrLoad(ctx, "slow", time.Minute, nil, func() ([]byte, error) {
			<-release
			return []byte("late"), nil
		})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got error %v, want %v", err, context.DeadlineExceeded)
		}
	})

	t.Run("GetOrLoad does not cache errors", func(t *testing.T) {
		loader := &Loader{Cache: newCache(t)}
		_, err := loader.GetOrLoad(t.Context(), "k", time.Minute, nil, func() ([]byte, error) {
			return nil, errTestLoad
		})
		if !errors.Is(err, errTestLoad) {
			t.Fatalf("got error %v, want %v", err, errTestLoad)
		}
		got, err := loader.GetOrLoad(t.Context(), "k", time.Minute, nil, func() ([]byte, error) {
			return []byte("ok"), nil
		})
		if err != nil || string(got) != "ok" {
			t.Errorf("got %q, %v on the second load, want \"ok\", nil", got, err)
		}
	})
}

var errTestLoad = errors.New("database unavailable")

func TestMemoryContract(t *testing.T) {
	testCacheContract(t, func(t *testing.T) board.Cache { return NewMemory(1 << 20) })
}
