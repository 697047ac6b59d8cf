package server

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// rateLimiter is a token bucket per key, kept in memory.
//
// TODO: with several app servers each keeps its own buckets, so the real
// limit is the per-server limit times the number of servers. A shared
// store such as Redis is needed for an exact limit.
type rateLimiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter() *rateLimiter {
	return &rateLimiter{buckets: map[string]*bucket{}}
}

// allow reports whether the bucket of key has a token left, without
// taking it. The bucket holds up to burst tokens and refills at perMinute
// tokens a minute.
func (l *rateLimiter) allow(key string, burst, perMinute float64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refill(key, burst, perMinute).tokens >= 1
}

// take removes one token from the bucket of key and reports whether there
// was one.
func (l *rateLimiter) take(key string, burst, perMinute float64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(key, burst, perMinute)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// refill returns the bucket of key, topped up for the time since its last
// use. Called with the lock held.
func (l *rateLimiter) refill(key string, burst, perMinute float64) *bucket {
	now := time.Now()
	if now.Sub(l.swept) > 10*time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.last) > time.Hour {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(burst, b.tokens+now.Sub(b.last).Minutes()*perMinute)
	b.last = now
	return b
}

// RateLimit is a token bucket: up to Burst actions at once, refilled at
// PerMinute actions a minute.
type RateLimit struct {
	Burst     float64
	PerMinute float64
}

// allowPost reports whether the client may create another post. Only
// created posts count (see tookPost), so someone fixing typos in a form
// is never blocked.
func (s *Server) allowPost(r *http.Request) bool {
	return s.limiter.allow("post:"+clientIP(r), s.postLimit.Burst, s.postLimit.PerMinute)
}

func (s *Server) tookPost(r *http.Request) {
	s.limiter.take("post:"+clientIP(r), s.postLimit.Burst, s.postLimit.PerMinute)
}

// clientIP returns the address of the connection's peer.
//
// NOTE: behind a proxy or load balancer this is the proxy's address; the
// limits then apply to all clients together.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
