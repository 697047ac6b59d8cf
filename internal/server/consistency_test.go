package server

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/board"
)

// TestFreshCookie sends requests with read-your-writes cookies through the
// middleware and checks which ones read from the primary.
func TestFreshCookie(t *testing.T) {
	s := &Server{secret: []byte("test secret")}
	var primary bool
	handler := s.readYourWrites(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		primary = board.PrimaryRequested(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))
	readsPrimary := func(cookie string) bool {
		r := httptest.NewRequest("GET", "/boston/", nil)
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: freshCookie, Value: cookie})
		}
		primary = false
		handler.ServeHTTP(httptest.NewRecorder(), r)
		return primary
	}

	change := httptest.NewRecorder()
	handler.ServeHTTP(change, httptest.NewRequest("POST", "/lost", nil))
	var issued string
	for _, c := range change.Result().Cookies() {
		if c.Name == freshCookie {
			issued = c.Value
		}
	}
	if issued == "" {
		t.Fatal("a successful change set no cookie")
	}

	_, issuedSignature, _ := strings.Cut(issued, ".")
	farFuture := strconv.FormatInt(time.Now().Add(100*365*24*time.Hour).Unix(), 10)
	past := time.Now().Add(-time.Minute)
	for _, tc := range []struct {
		name   string
		cookie string
		want   bool
	}{
		{"no cookie", "", false},
		{"cookie from a change", issued, true},
		{"unsigned time far ahead", farFuture, false},
		{"time far ahead with another signature", farFuture + "." + issuedSignature, false},
		{"signed time that has passed", s.freshCookieValue(past), false},
		{"signed by another secret", (&Server{secret: []byte("other")}).freshCookieValue(time.Now().Add(time.Minute)), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := readsPrimary(tc.cookie); got != tc.want {
				t.Errorf("got primary %v, want %v", got, tc.want)
			}
		})
	}
}
