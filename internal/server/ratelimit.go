package server

import (
	"net/http"
	"sync"
	"time"

	"github.com/corkboard/corkboard/internal/board"
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

// refund puts back a token taken by take.
func (l *rateLimiter) refund(key string, burst float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.buckets[key]; ok {
		b.tokens = min(burst, b.tokens+1)
	}
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

// takePost reserves one post for the client and reports whether the
// limit allowed it. New posts and edits that add photos share this limit,
// because decoding photos is the costly work it bounds. The reservation is
// taken before the work starts, so parallel requests cannot all pass one
// check.
func (s *Server) takePost(r *http.Request) bool {
	return s.limiter.take("post:"+s.clientKey(r), s.postLimit.Burst, s.postLimit.PerMinute)
}

// refundPost gives back the reservation of a request that failed with
// err before any photo was decoded, such as on a missing title or a file
// that is not a photo, so someone fixing typos is never blocked. A request
// that failed after decoding began keeps its cost. Otherwise a client
// could decode photos without limit by ending each request with a
// damaged photo.
func (s *Server) refundPost(r *http.Request, err error) {
	if board.PhotosDecoded(err) {
		return
	}
	s.limiter.refund("post:"+s.clientKey(r), s.postLimit.Burst)
}

// errPhotoEditLimited rejects an edit that adds photos when the client has
// used up its post limit.
var errPhotoEditLimited = &board.Error{Code: board.RateLimited,
	Message: "You are adding photos very quickly. Please wait a minute and try again.",
	Fields:  map[string]string{"images": "Too many photo uploads from your address. Wait a minute, then choose the photos again."}}
