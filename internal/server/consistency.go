package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/corkboard/corkboard/internal/board"
)

// freshCookie marks a browser or API client that changed something in the
// last few seconds. Its requests read from the primary database until the
// cookie ends, so a replica's lag never hides the client's own change.
const freshCookie = "cb_fresh"

// readYourWrites routes the requests of a client with a fresh cookie to
// the primary, and sets the cookie after every successful change.
func readYourWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(freshCookie); err == nil {
			if until, err := strconv.ParseInt(c.Value, 10, 64); err == nil && time.Now().Unix() <= until {
				r = r.WithContext(board.WithPrimary(r.Context()))
			}
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w = &freshWriter{ResponseWriter: w}
		}
		next.ServeHTTP(w, r)
	})
}

// freshWriter sets the cookie when a change succeeded, just before the
// status line is written.
type freshWriter struct {
	http.ResponseWriter
	wrote bool
}

func (f *freshWriter) WriteHeader(code int) {
	if !f.wrote && code < 400 {
		until := time.Now().Add(board.ReadYourWritesWindow).Unix()
		http.SetCookie(f.ResponseWriter, &http.Cookie{Name: freshCookie, Value: strconv.FormatInt(until, 10), Path: "/",
			MaxAge: int(board.ReadYourWritesWindow / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	f.wrote = true
	f.ResponseWriter.WriteHeader(code)
}

func (f *freshWriter) Write(b []byte) (int, error) {
	if !f.wrote {
		f.WriteHeader(http.StatusOK)
	}
	return f.ResponseWriter.Write(b)
}

func (f *freshWriter) Unwrap() http.ResponseWriter { return f.ResponseWriter }
