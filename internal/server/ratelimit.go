package server

import (
	"fmt"
	"net/http"
	"strconv"
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
// was one. When there was none, wait is the time until the bucket refills
// to one token. perMinute must be positive.
func (l *rateLimiter) take(key string, burst, perMinute float64) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(key, burst, perMinute)
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) / perMinute * float64(time.Minute))
	}
	b.tokens--
	return true, 0
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
// limit allowed it, and if not, how long until it will. New posts and
// edits that add photos share this limit, because decoding photos is the
// costly work it bounds. The reservation is taken before the work starts,
// so parallel requests cannot all pass one check.
func (s *Server) takePost(r *http.Request) (ok bool, wait time.Duration) {
	return s.limiter.take("post:"+s.clientKey(r), s.postLimit.Burst, s.postLimit.PerMinute)
}

// refundPost gives back the reservation of a request that failed with
// err before any photo was decoded, such as on a missing title or a file
// that is not a photo, so correcting a typo costs no reservation. A
// request that failed after decoding began keeps its cost. Otherwise a
// client could decode photos without limit by ending each request with a
// damaged photo.
func (s *Server) refundPost(r *http.Request, err error) {
	if board.PhotosDecoded(err) {
		return
	}
	s.limiter.refund("post:"+s.clientKey(r), s.postLimit.Burst)
}

// photoEditLimited rejects an edit that adds photos when the client has
// used up its post limit, which refills in wait.
func photoEditLimited(wait time.Duration) *board.Error {
	return &board.Error{Code: board.RateLimited,
		Message: "You are adding photos very quickly. Please wait " + waitText(wait) + " and try again.",
		Fields:  map[string]string{"images": "Too many photo uploads from your address. Wait " + waitText(wait) + ", then choose the photos again."}}
}

// retrySeconds rounds wait up to whole seconds, at least 1, so a client
// that waits that long finds a token.
func retrySeconds(wait time.Duration) int64 {
	return max(1, int64((wait+time.Second-1)/time.Second))
}

// setRetryAfter sets the Retry-After header to the seconds, rounded up,
// until a retry can succeed, such as when a rate limit allows the next
// request.
func setRetryAfter(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.FormatInt(retrySeconds(wait), 10))
}

// waitText puts a wait in words for messages: whole seconds under a
// minute, whole minutes from then on, both rounded up.
func waitText(wait time.Duration) string {
	seconds := retrySeconds(wait)
	switch {
	case seconds == 1:
		return "1 second"
	case seconds < 60:
		return fmt.Sprintf("%d seconds", seconds)
	case seconds <= 60:
		return "a minute"
	}
	return fmt.Sprintf("%d minutes", (seconds+59)/60)
}
