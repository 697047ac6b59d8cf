package app_test

import (
	"net/http"
	"testing"

	"github.com/corkboard/corkboard/internal/app"
)

func TestRateLimitBehindProxy(t *testing.T) {
	valid := map[string]any{"title": "Lamp", "category": "household", "zip": "02134", "email": "e@example.com"}
	post := func(s *testServer, forwardedFor string) int {
		s.t.Helper()
		return s.postJSON("/api/v1/posts", valid, map[string]string{"X-Forwarded-For": forwardedFor}).Status
	}

	// The test client connects from 127.0.0.1, so here it plays a
	// trusted proxy that forwards several clients.
	t.Run("clients behind a trusted proxy", func(t *testing.T) {
		s := startServerWith(t, func(c *app.Config) {
			c.PostBurst = 1
			c.TrustedProxies = "10.0.0.0/8,127.0.0.1"
		}).with(t)
		for _, step := range []struct {
			forwardedFor string
			want         int
			description  string
		}{
			{"198.51.100.1", http.StatusAccepted, "first client's first post"},
			{"198.51.100.1", http.StatusTooManyRequests, "first client's second post"},
			{"198.51.100.2", http.StatusAccepted, "second client behind the same proxy"},
			{"198.51.100.1, 10.0.0.7", http.StatusTooManyRequests, "first client through a second trusted proxy"},
			{"203.0.113.9, 198.51.100.1", http.StatusTooManyRequests, "first client with a forged entry on the left"},
			{"2001:db8:1:2::1", http.StatusAccepted, "IPv6 client"},
			{"2001:db8:1:2::2", http.StatusTooManyRequests, "another address in the same /64"},
			{"[2001:db8:1:3::1]:4711", http.StatusAccepted, "IPv6 client in the next /64, with a port"},
		} {
			if got := post(s, step.forwardedFor); got != step.want {
				t.Errorf("%s (X-Forwarded-For %q): got status %d, want %d", step.description, step.forwardedFor, got, step.want)
			}
		}
	})

	// Here 127.0.0.1 is not trusted, so it stands for a client that
	// writes its own X-Forwarded-For header.
	t.Run("spoofed header from an untrusted peer", func(t *testing.T) {
		s := startServerWith(t, func(c *app.Config) {
			c.PostBurst = 1
			c.TrustedProxies = "10.0.0.0/8"
		}).with(t)
		if got := post(s, "198.51.100.1"); got != http.StatusAccepted {
			t.Fatalf("first post: got status %d, want 202", got)
		}
		for _, forwardedFor := range []string{"198.51.100.2", "10.0.0.7", "2001:db8:1:2::1"} {
			if got := post(s, forwardedFor); got != http.StatusTooManyRequests {
				t.Errorf("X-Forwarded-For %q: got status %d, want 429 (the peer's bucket is empty)", forwardedFor, got)
			}
		}
	})
}

// TestLocalPagesBehindLocalProxy checks that a proxy on this machine does
// not make a remote client look local to the pages that only this machine
// may read.
func TestLocalPagesBehindLocalProxy(t *testing.T) {
	s := startServerWith(t, func(c *app.Config) {
		c.DevOutbox = true
		c.TrustedProxies = "127.0.0.1"
	})
	for _, path := range []string{"/dev/outbox", "/metrics"} {
		if got := s.get(path).Status; got != http.StatusOK {
			t.Errorf("%s from this machine: got status %d, want 200", path, got)
		}
		local := map[string]string{"X-Forwarded-For": "127.0.0.1"}
		if got := s.do("GET", path, nil, local).Status; got != http.StatusOK {
			t.Errorf("%s forwarded for this machine: got status %d, want 200", path, got)
		}
		remote := map[string]string{"X-Forwarded-For": "203.0.113.9"}
		if got := s.do("GET", path, nil, remote).Status; got != http.StatusNotFound {
			t.Errorf("%s forwarded for 203.0.113.9: got status %d, want 404", path, got)
		}
		forged := map[string]string{"X-Forwarded-For": "127.0.0.1, 203.0.113.9"}
		if got := s.do("GET", path, nil, forged).Status; got != http.StatusNotFound {
			t.Errorf("%s forwarded for 203.0.113.9 with a forged loopback entry: got status %d, want 404", path, got)
		}
	}
}
