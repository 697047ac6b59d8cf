package server

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSearchErrorClientCancelled(t *testing.T) {
	var buf bytes.Buffer
	s := &Server{log: slog.New(slog.NewTextHandler(&buf, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequestWithContext(ctx, "GET", "/washington-dc/tools/?after=x", nil)

	_, status := s.searchError(r, searchResults{}, fmt.Errorf("list posts: %w", context.Canceled))
	if status != 499 {
		t.Errorf("got status %d, want 499 (client closed the request)", status)
	}
	if got := buf.String(); strings.Contains(got, "level=ERROR") {
		t.Errorf("got log %q, want no ERROR line for a client that left", got)
	}
	if got := buf.String(); !strings.Contains(got, "level=INFO") {
		t.Errorf("got log %q, want an INFO line", got)
	}
}
