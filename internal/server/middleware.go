package server

import (
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"
)

// contentSecurityPolicy allows scripts, styles and images from this site
// only, and no inline script, framing or foreign form targets.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status code for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests writes one line per request. The path of manage pages is
// logged without its token.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if s.metrics != nil {
			// The ServeMux records the pattern it matched on the request.
			s.metrics.ObserveRequest(r.Pattern, r.Method, rec.status, time.Since(start))
		}
		s.log.Info("Request",
			"method", r.Method,
			"path", redactPath(r.URL.Path),
			"status", rec.status,
			"bytes", rec.bytes,
			"duration_ms", float64(time.Since(start).Microseconds())/1000)
	})
}

// redactPath hides manage tokens, alert signatures and outbox file names.
// A path that mentions manage, outbox or alerts in any spelling is cut
// after the first of those words, so no unusual form of a manage link
// (double slashes, dot segments, escapes) can put a token into the log.
// Only a path whose rest is nothing but action names, such as
// /api/v1/manage/renew, carries no secret and is logged as it is.
func redactPath(path string) string {
	lower := strings.ToLower(path)
	start, end := -1, -1
	for _, word := range []string{"manage", "outbox", "alerts"} {
		if i := strings.Index(lower, word); i >= 0 && (start < 0 || i < start) {
			start, end = i, i+len(word)
		}
	}
	if start < 0 || onlyActions(lower[end:]) {
		return path
	}
	action := ""
	for _, a := range []string{"/publish", "/edit", "/renew", "/delete", "/photo/", "/confirm", "/unsubscribe"} {
		if strings.Contains(lower[end:], a) {
			action = strings.TrimSuffix(a, "/")
		}
	}
	return path[:end] + "/[redacted]" + action
}

// onlyActions reports whether every segment of a path's rest names an
// action, which leaves no room for a token.
func onlyActions(rest string) bool {
	for _, segment := range strings.Split(rest, "/") {
		switch segment {
		case "", "publish", "edit", "renew", "delete", "confirm", "unsubscribe":
		default:
			return false
		}
	}
	return true
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("Handler panicked", "path", redactPath(r.URL.Path), "error", fmt.Sprint(v))
				s.error(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// maxFormBody bounds every request body except those of the create and
// edit endpoints, which carry longer text and may carry photos.
const maxFormBody = 64 << 10

// maxTextBody bounds a create or edit request without photos, sent as JSON
// or form-encoded. A 10,000-character description is at most 40 KB of
// UTF-8, and JSON escapes can make it six times longer and percent-encoding
// three times longer.
const maxTextBody = 1 << 20

// limitBodies caps the body of every request, so no form can be used to
// fill memory or the temporary folder. Only a multipart body to an
// endpoint that takes photos gets the photo-sized bound. Any other body
// to those endpoints holds text fields alone, and net/http reads a
// form-encoded body whole into memory.
func (s *Server) limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.bodyLimit(r))
		next.ServeHTTP(w, r)
	})
}

// bodyLimit returns the largest body r may have, in bytes.
func (s *Server) bodyLimit(r *http.Request) int64 {
	if !carriesPhotos(r) {
		return maxFormBody
	}
	if mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mediaType == "multipart/form-data" {
		return s.maxPostBody()
	}
	return maxTextBody
}

// carriesPhotos reports whether the request goes to an endpoint that takes
// photo uploads.
func carriesPhotos(r *http.Request) bool {
	switch {
	case r.Method == http.MethodPost && (r.URL.Path == "/new" || r.URL.Path == "/api/v1/posts"):
		return true
	case r.Method == http.MethodPatch && r.URL.Path == "/api/v1/manage":
		return true
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/manage/") && strings.HasSuffix(r.URL.Path, "/edit"):
		return true
	}
	return false
}
