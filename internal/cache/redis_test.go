package cache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/corkboard/corkboard/internal/board"
)

// testRedisURL returns CORKBOARD_TEST_REDIS_URL, skipping the test when it
// is unset and failing it when that Redis does not reply to PING.
func testRedisURL(t *testing.T) string {
	t.Helper()
	raw := os.Getenv("CORKBOARD_TEST_REDIS_URL")
	if raw == "" {
		t.Skip("CORKBOARD_TEST_REDIS_URL is not set; set it to run the Redis cache tests, e.g. redis://127.0.0.1:6379/15")
	}
	parsed, err := redis.ParseURL(raw)
	if err != nil {
		t.Fatalf("invalid CORKBOARD_TEST_REDIS_URL %q: %v", raw, err)
	}
	client := redis.NewClient(parsed)
	defer client.Close()
	if err := client.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("Redis at CORKBOARD_TEST_REDIS_URL %q is unreachable: %v", raw, err)
	}
	return raw
}

// randomPrefix returns a key prefix no other test uses, and deletes its
// keys from the Redis at rawURL when the test ends.
func randomPrefix(t *testing.T, rawURL string) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	prefix := "corkboardtest:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		parsed, _ := redis.ParseURL(rawURL)
		client := redis.NewClient(parsed)
		defer client.Close()
		ctx := context.Background()
		iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("deleting test keys under %s: %v", prefix, err)
		}
	})
	return prefix
}

func newTestRedis(t *testing.T, rawURL string, opts RedisOptions) *Redis {
	t.Helper()
	r, err := NewRedis(t.Context(), rawURL, opts)
	if err != nil {
		t.Fatalf("NewRedis(%q): %v", rawURL, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestRedisContract(t *testing.T) {
	rawURL := testRedisURL(t)
	testCacheContract(t, func(t *testing.T) board.Cache {
		return newTestRedis(t, rawURL, RedisOptions{Prefix: randomPrefix(t, rawURL)})
	})
}

func TestRedis(t *testing.T) {
	rawURL := testRedisURL(t)

	t.Run("servers share invalidations", func(t *testing.T) {
		opts := RedisOptions{Prefix: randomPrefix(t, rawURL)}
		first := newTestRedis(t, rawURL, opts)
		second := newTestRedis(t, rawURL, opts)

		first.Set(t.Context(), "a", []byte("1"), time.Minute, "region:boston")
		first.Set(t.Context(), "b", []byte("2"), time.Minute, "region:nyc")
		if got, ok := second.Get(t.Context(), "a"); !ok || string(got) != "1" {
			t.Fatalf("second server got %q, %v for a, want \"1\", true", got, ok)
		}

		second.Invalidate(t.Context(), "region:boston")
		if got, ok := first.Get(t.Context(), "a"); ok {
			t.Errorf("first server got %q, true for a after the second invalidated it, want a miss", got)
		}
		if got, ok := first.Get(t.Context(), "b"); !ok || string(got) != "2" {
			t.Errorf("first server got %q, %v for b, want \"2\", true", got, ok)
		}
	})

	t.Run("set during hold-down is dropped", func(t *testing.T) {
		c := newTestRedis(t, rawURL, RedisOptions{Prefix: randomPrefix(t, rawURL), HoldDown: 300 * time.Millisecond})
		c.Invalidate(t.Context(), "post:7")
		c.Set(t.Context(), "a", []byte("read before the change"), time.Minute, "post:7")
		if got, ok := c.Get(t.Context(), "a"); ok {
			t.Errorf("got %q, true for a set during the hold-down, want a miss", got)
		}
		c.Set(t.Context(), "b", []byte("other tag"), time.Minute, "post:8")
		if _, ok := c.Get(t.Context(), "b"); !ok {
			t.Error("got a miss for b, whose tag was not invalidated, want a hit")
		}

		time.Sleep(400 * time.Millisecond)
		c.Set(t.Context(), "a", []byte("fresh"), time.Minute, "post:7")
		if got, ok := c.Get(t.Context(), "a"); !ok || string(got) != "fresh" {
			t.Errorf("got %q, %v after the hold-down, want \"fresh\", true", got, ok)
		}
	})

	t.Run("oversized value is not stored", func(t *testing.T) {
		c := newTestRedis(t, rawURL, RedisOptions{Prefix: randomPrefix(t, rawURL), MaxValueBytes: 10})
		c.Set(t.Context(), "a", []byte("eleven byte"), time.Minute)
		if _, ok := c.Get(t.Context(), "a"); ok {
			t.Error("got a hit for a value over MaxValueBytes, want a miss")
		}
	})

	t.Run("invalidate drops a large tag", func(t *testing.T) {
		c := newTestRedis(t, rawURL, RedisOptions{Prefix: randomPrefix(t, rawURL)})
		const entries = 1200 // more than one DEL batch in the script
		for i := range entries {
			c.Set(t.Context(), fmt.Sprint("k", i), []byte("v"), time.Minute, "all")
		}
		c.Invalidate(t.Context(), "all")
		for i := range entries {
			if _, ok := c.Get(t.Context(), fmt.Sprint("k", i)); ok {
				t.Fatalf("got a hit for k%d after invalidating its tag, want a miss", i)
			}
		}
	})

	t.Run("invalidate runs after caller cancels", func(t *testing.T) {
		c := newTestRedis(t, rawURL, RedisOptions{Prefix: randomPrefix(t, rawURL)})
		c.Set(t.Context(), "a", []byte("1"), time.Minute, "post:7")
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		c.Invalidate(ctx, "post:7")
		if got, ok := c.Get(t.Context(), "a"); ok {
			t.Errorf("got %q, true after an Invalidate with a cancelled context, want a miss", got)
		}
	})

	t.Run("cancelled callers do not open breaker", func(t *testing.T) {
		c := newTestRedis(t, rawURL, RedisOptions{Prefix: randomPrefix(t, rawURL), FailureThreshold: 2})
		c.Set(t.Context(), "a", []byte("1"), time.Minute)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		for range 5 {
			c.Get(ctx, "a")
		}
		if got, ok := c.Get(t.Context(), "a"); !ok || string(got) != "1" {
			t.Errorf("got %q, %v after cancelled calls, want \"1\", true", got, ok)
		}
	})

	t.Run("missed invalidation drops stale entries", func(t *testing.T) {
		prefix := randomPrefix(t, rawURL)
		proxy := startProxy(t, hostOf(t, rawURL))
		logs := &countingHandler{}
		throughProxy := newTestRedis(t, proxy.url(t, rawURL), RedisOptions{Prefix: prefix, Logger: slog.New(logs)})
		direct := newTestRedis(t, rawURL, RedisOptions{Prefix: prefix})

		throughProxy.Set(t.Context(), "a", []byte("old"), time.Minute, "post:7")
		if got, ok := direct.Get(t.Context(), "a"); !ok || string(got) != "old" {
			t.Fatalf("got %q, %v before the outage, want \"old\", true", got, ok)
		}

		proxy.cut()
		throughProxy.Invalidate(t.Context(), "post:7")
		if got, ok := throughProxy.Get(t.Context(), "a"); ok {
			t.Errorf("got %q, true while Redis is unreachable, want a miss", got)
		}
		proxy.restore()

		if got, ok := throughProxy.Get(t.Context(), "a"); ok {
			t.Errorf("server that missed the invalidation got %q, true after recovery, want a miss", got)
		}
		if got, ok := direct.Get(t.Context(), "a"); ok {
			t.Errorf("other server got %q, true after recovery, want a miss", got)
		}
		if logs.count(slog.LevelError) == 0 {
			t.Error("logged no error for the outage, want one")
		}
	})

	t.Run("breaker retries after backoff", func(t *testing.T) {
		prefix := randomPrefix(t, rawURL)
		proxy := startProxy(t, hostOf(t, rawURL))
		c := newTestRedis(t, proxy.url(t, rawURL), RedisOptions{Prefix: prefix, FailureThreshold: 2, Backoff: 200 * time.Millisecond, Logger: slog.New(&countingHandler{})})

		proxy.cut()
		for range 5 {
			c.Get(t.Context(), "a")
		}
		dialsWhileOpen := proxy.accepted.Load()
		for range 20 {
			c.Get(t.Context(), "a")
		}
		if got := proxy.accepted.Load(); got != dialsWhileOpen {
			t.Errorf("open breaker let %d connections through, want 0", got-dialsWhileOpen)
		}

		proxy.restore()
		time.Sleep(250 * time.Millisecond)
		c.Set(t.Context(), "a", []byte("1"), time.Minute)
		if got, ok := c.Get(t.Context(), "a"); !ok || string(got) != "1" {
			t.Errorf("got %q, %v after the backoff, want \"1\", true", got, ok)
		}
	})
}

// TestRedisUnreachable needs no Redis: it points the cache at a closed
// port and at a port that accepts connections but never replies.
func TestRedisUnreachable(t *testing.T) {
	const timeout = 100 * time.Millisecond

	t.Run("closed port", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		logs := &countingHandler{}
		c := newTestRedis(t, "redis://"+addr+"/0", RedisOptions{
			DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout, Logger: slog.New(logs),
		})
		checkDegrades(t, c, timeout)
		if n := logs.count(slog.LevelError); n != 1 {
			t.Errorf("logged %d errors for one outage, want 1 within the log interval", n)
		}
	})

	t.Run("silent server", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			var heldConns []net.Conn
			defer func() {
				for _, conn := range heldConns {
					conn.Close()
				}
			}()
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				heldConns = append(heldConns, conn)
			}
		}()
		c := newTestRedis(t, "redis://"+ln.Addr().String()+"/0", RedisOptions{
			DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout, Logger: slog.New(&countingHandler{}),
		})
		checkDegrades(t, c, timeout)
	})
}

// checkDegrades checks that every method of c returns within a few
// timeouts, that Get misses, and that 100 calls stay bounded.
func checkDegrades(t *testing.T, c *Redis, timeout time.Duration) {
	t.Helper()
	limit := 3 * timeout

	start := time.Now()
	c.Set(t.Context(), "a", []byte("1"), time.Minute, "all")
	if d := time.Since(start); d > limit {
		t.Errorf("Set took %v, want at most %v", d, limit)
	}

	start = time.Now()
	if got, ok := c.Get(t.Context(), "a"); ok {
		t.Errorf("got %q, true, want a miss", got)
	}
	if d := time.Since(start); d > limit {
		t.Errorf("Get took %v, want at most %v", d, limit)
	}

	start = time.Now()
	c.Invalidate(t.Context(), "all")
	if d := time.Since(start); d > limit {
		t.Errorf("Invalidate took %v, want at most %v", d, limit)
	}

	// The breaker opens after FailureThreshold failures, so the loop costs
	// at most a few timeouts in total.
	start = time.Now()
	for range 100 {
		c.Get(t.Context(), "a")
	}
	if d := time.Since(start); d > 5*timeout {
		t.Errorf("100 calls took %v, want at most %v", d, 5*timeout)
	}
}

func hostOf(t *testing.T, rawURL string) string {
	t.Helper()
	parsed, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return parsed.Host
}

// proxy forwards TCP connections to a Redis server and can cut them, to
// simulate an outage between one app server and Redis.
type proxy struct {
	ln       net.Listener
	target   string
	accepted atomic.Int32

	mu    sync.Mutex
	isCut bool
	conns []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
	})
	return p
}

// url returns rawURL with its host replaced by the proxy's address.
func (p *proxy) url(t *testing.T, rawURL string) string {
	t.Helper()
	parsed, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	parsed.Host = p.ln.Addr().String()
	return parsed.String()
}

func (p *proxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		p.mu.Lock()
		if p.isCut {
			p.mu.Unlock()
			client.Close()
			continue
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			client.Close()
			continue
		}
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()
		go func() {
			io.Copy(server, client)
			server.Close()
		}()
		go func() {
			io.Copy(client, server)
			client.Close()
		}()
	}
}

// cut closes every open connection and refuses new ones until restore.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.isCut = true
	for _, conn := range p.conns {
		conn.Close()
	}
	p.conns = nil
}

func (p *proxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.isCut = false
}

// countingHandler counts log records by level.
type countingHandler struct {
	mu     sync.Mutex
	counts map[slog.Level]int
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *countingHandler) Handle(_ context.Context, rec slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.counts == nil {
		h.counts = map[slog.Level]int{}
	}
	h.counts[rec.Level]++
	return nil
}

func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

func (h *countingHandler) count(level slog.Level) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts[level]
}
