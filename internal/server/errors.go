package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/corkboard/corkboard/internal/board"
)

var statusByCode = map[board.Code]int{
	board.Invalid:      http.StatusBadRequest,
	board.Unauthorized: http.StatusUnauthorized,
	board.NotFound:     http.StatusNotFound,
	board.Conflict:     http.StatusConflict,
	board.Gone:         http.StatusGone,
	board.TooLarge:     http.StatusRequestEntityTooLarge,
	board.Unsupported:  http.StatusUnsupportedMediaType,
	board.RateLimited:  http.StatusTooManyRequests,
	board.Unavailable:  http.StatusServiceUnavailable,
	board.Internal:     http.StatusInternalServerError,
}

// publicError returns the status and the error as users may see it. An
// unexpected error becomes a generic message; its cause is logged.
func (s *Server) publicError(r *http.Request, err error) (int, *board.Error) {
	var e *board.Error
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &e) && e.Code != board.Internal:
		return statusByCode[e.Code], e
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, &board.Error{Code: board.TooLarge, Message: s.tooLargeMessage(r, tooBig.Limit)}
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away, so no one reads this response.
		s.log.Info("Request canceled by the client", "method", r.Method, "path", redactPath(r.URL.Path))
		return 499, &board.Error{Code: board.Unavailable, Message: "The request was canceled."}
	}
	s.log.Error("Request failed", "method", r.Method, "path", redactPath(r.URL.Path), "error", err)
	return http.StatusInternalServerError, &board.Error{Code: board.Internal,
		Message: "Something went wrong on our side. Please try again in a moment."}
}

// tooLargeMessage explains a body over the bound of limit bytes that
// limitBodies set. Only the bound of a multipart post makes room for
// photos, so only its message talks about them.
func (s *Server) tooLargeMessage(r *http.Request, limit int64) string {
	switch {
	case limit == s.maxPostBody():
		return fmt.Sprintf("The request is too large. Photos can be up to %s each, %d per post.",
			board.FormatBytes(s.svc.PhotoLimits.MaxBytes), board.MaxPhotos)
	case strings.HasPrefix(r.URL.Path, "/api/"):
		return fmt.Sprintf("The request body is too large (at most %s).", board.FormatBytes(limit))
	}
	return "The form is too large. Shorten the text and send it again."
}

// error writes the error as JSON for API requests and as a page
// otherwise.
func (s *Server) error(w http.ResponseWriter, r *http.Request, err error) {
	s.errorWithLinks(w, r, err, nil)
}

// errorWithLinks is error with links to offer on the page besides the home
// page.
func (s *Server) errorWithLinks(w http.ResponseWriter, r *http.Request, err error, links []link) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.apiError(w, r, err)
		return
	}
	status, e := s.publicError(r, err)
	s.setRetryAfterFor(w, status, e)
	s.render(w, r, status, "error", errorPage{Page: Page{Title: errorTitle(status), NoIndex: true}, Status: status, Message: e.Message, Links: links})
}

func (s *Server) apiError(w http.ResponseWriter, r *http.Request, err error) {
	status, e := s.publicError(r, err)
	body := map[string]any{"code": e.Code, "message": e.Message}
	if len(e.Fields) > 0 {
		body["fields"] = e.Fields
	}
	if !e.RetryAt.IsZero() {
		body["retry_at"] = e.RetryAt.UTC()
	}
	s.setRetryAfterFor(w, status, e)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="manage"`)
	}
	writeJSON(w, status, map[string]any{"error": body})
}

// setRetryAt sets Retry-After to the seconds, rounded up, until the
// error's RetryAt, when it has one.
func (s *Server) setRetryAt(w http.ResponseWriter, e *board.Error) {
	if !e.RetryAt.IsZero() {
		setRetryAfter(w, e.RetryAt.Sub(s.svc.Now()))
	}
}

// setRetryAfterFor sets Retry-After for an error response: from the
// error's RetryAt, or else 30 seconds for a 429 or 503 whose handler set
// no header of its own.
func (s *Server) setRetryAfterFor(w http.ResponseWriter, status int, e *board.Error) {
	s.setRetryAt(w, e)
	busy := status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
	if busy && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "30")
	}
}

func errorTitle(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Page not found"
	case http.StatusGone:
		return "No longer available"
	default:
		return http.StatusText(status)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"code":"internal","message":"encoding failed"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}
