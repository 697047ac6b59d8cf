package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/corkboard/corkboard/internal/board"
)

// freshCookie marks a browser or API client that changed something in the
// last few seconds. Its requests read from the primary database until the
// cookie ends, so a replica's lag never hides the client's own change.
// The value is the end time in Unix seconds and its HMAC, so a client
// cannot make a cookie that keeps its reads on the primary for longer.
const freshCookie = "cb_fresh"

// readYourWrites routes the requests of a client with a fresh cookie to
// the primary, and sets the cookie after every successful change.
func (s *Server) readYourWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(freshCookie); err == nil && s.freshCookieValid(c.Value, time.Now()) {
			r = r.WithContext(board.WithPrimary(r.Context()))
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w = &freshWriter{ResponseWriter: w, server: s}
		}
		next.ServeHTTP(w, r)
	})
}

// freshCookieValue returns the signed cookie value for a window that ends
// at until.
func (s *Server) freshCookieValue(until time.Time) string {
	unix := strconv.FormatInt(until.Unix(), 10)
	return unix + "." + s.formToken("fresh:"+unix)
}

// freshCookieValid reports whether value was made by freshCookieValue and
// its window has not ended at now.
func (s *Server) freshCookieValid(value string, now time.Time) bool {
	unix, signature, ok := strings.Cut(value, ".")
	if !ok || !s.validFormToken("fresh:"+unix, signature) {
		return false
	}
	until, err := strconv.ParseInt(unix, 10, 64)
	return err == nil && now.Unix() <= until
}

// freshWriter sets the cookie when a change succeeded, just before the
// status line is written.
type freshWriter struct {
	http.ResponseWriter
	server *Server
	wrote  bool
}

func (f *freshWriter) WriteHeader(code int) {
	if !f.wrote && code < 400 {
		value := f.server.freshCookieValue(time.Now().Add(board.ReadYourWritesWindow))
		http.SetCookie(f.ResponseWriter, &http.Cookie{Name: freshCookie, Value: value, Path: "/",
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
