package server

import (
	"net/http/httptest"
	"testing"
	"time"
)

func TestRateLimiterWait(t *testing.T) {
	l := newRateLimiter()
	if ok, _ := l.take("k", 1, 1); !ok {
		t.Fatal("first take: got false, want the burst token")
	}
	ok, wait := l.take("k", 1, 1)
	if ok {
		t.Fatal("second take: got true, want an empty bucket")
	}
	if wait <= 59*time.Second || wait > time.Minute {
		t.Errorf("one token a minute: got wait %v, want just under 1m", wait)
	}

	if ok, _ := l.take("slow", 1, 0.1); !ok {
		t.Fatal("first take: got false, want the burst token")
	}
	if _, wait := l.take("slow", 1, 0.1); wait <= 599*time.Second || wait > 10*time.Minute {
		t.Errorf("one token in ten minutes: got wait %v, want just under 10m", wait)
	}
}

func TestRetryAfterRoundsUp(t *testing.T) {
	for _, tc := range []struct {
		wait time.Duration
		want string
	}{
		{59*time.Second + 200*time.Millisecond, "60"},
		{60 * time.Second, "60"},
		{300 * time.Millisecond, "1"},
		{0, "1"},
	} {
		rec := httptest.NewRecorder()
		setRetryAfter(rec, tc.wait)
		if got := rec.Header().Get("Retry-After"); got != tc.want {
			t.Errorf("wait %v: got Retry-After %q, want %q", tc.wait, got, tc.want)
		}
	}
}

func TestWaitText(t *testing.T) {
	for _, tc := range []struct {
		wait time.Duration
		want string
	}{
		{400 * time.Millisecond, "1 second"},
		{29*time.Second + time.Millisecond, "30 seconds"},
		{59*time.Second + 500*time.Millisecond, "a minute"},
		{61 * time.Second, "2 minutes"},
		{10 * time.Minute, "10 minutes"},
	} {
		if got := waitText(tc.wait); got != tc.want {
			t.Errorf("waitText(%v) = %q, want %q", tc.wait, got, tc.want)
		}
	}
}
