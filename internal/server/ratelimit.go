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

// allow takes one token from the bucket of key, which holds up to burst
// tokens and refills at perMinute tokens a minute.
func (l *rateLimiter) allow(key string, burst, perMinute float64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
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
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
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
