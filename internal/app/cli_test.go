package app_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/app"
)

func TestListenOnBusyPort(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	cfg := validConfig()
	cfg.Data = t.TempDir()
	cfg.Addr = busy.Addr().String()
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	err = a.Listen()
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("got error %v, want one wrapping EADDRINUSE", err)
	}
	for _, want := range []string{cfg.Addr, "another server", "--addr", "CORKBOARD_ADDR"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestRunLogsStop(t *testing.T) {
	cfg := validConfig()
	cfg.Data = t.TempDir()
	var logs bytes.Buffer
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Listen(); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	waitUntilServing(t, a.BaseURL())
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v, want nil after a graceful shutdown", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return within 30 s of the cancel")
	}

	// Run has returned, so nothing writes to logs any more.
	for _, want := range []string{`msg="Shutting down"`, `msg="Corkboard stopped"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs do not contain %s:\n%s", want, logs.String())
		}
	}
}

// waitUntilServing polls /healthz until the server responds, for up to 10 s.
func waitUntilServing(t *testing.T, baseURL string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(baseURL + "/healthz")
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server at %s did not respond within 10 s: %v", baseURL, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
