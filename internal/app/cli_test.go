package app_test

import (
	"bytes"
	"context"
	"encoding/json"
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

func TestMainCommandLine(t *testing.T) {
	t.Run("unknown flag printed once", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		err := app.Main(context.Background(), []string{"serve", "--bogus"}, &stdout, &stderr)
		if !errors.Is(err, app.ErrUsage) {
			t.Fatalf("got error %v, want one wrapping app.ErrUsage", err)
		}
		if n := strings.Count(stderr.String(), "flag provided but not defined: -bogus"); n != 1 {
			t.Errorf("stderr names the unknown flag %d times, want once:\n%s", n, stderr.String())
		}
		if !strings.Contains(stderr.String(), "Usage: corkboard serve") {
			t.Errorf("stderr has no usage of serve:\n%s", stderr.String())
		}
		if stdout.Len() != 0 {
			t.Errorf("got stdout %q, want it empty", stdout.String())
		}
	})

	t.Run("help is no error", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if err := app.Main(context.Background(), []string{"serve", "-h"}, &stdout, &stderr); err != nil {
			t.Errorf("got error %v, want none", err)
		}
		if !strings.Contains(stderr.String(), "-addr") {
			t.Errorf("stderr does not list the flags:\n%s", stderr.String())
		}
	})

	for _, tc := range []struct {
		name    string
		args    []string
		message string
	}{
		{"missing command", nil, "corkboard: missing command\n"},
		{"unknown command", []string{"frob"}, "corkboard: unknown command \"frob\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := app.Main(context.Background(), tc.args, &stdout, &stderr)
			if !errors.Is(err, app.ErrUsage) {
				t.Fatalf("got error %v, want app.ErrUsage", err)
			}
			if !strings.HasPrefix(stderr.String(), tc.message) {
				t.Errorf("stderr does not start with %q:\n%s", tc.message, stderr.String())
			}
			if !strings.Contains(stderr.String(), "Usage: corkboard COMMAND") {
				t.Errorf("stderr has no usage:\n%s", stderr.String())
			}
		})
	}
}

func TestCommandHelp(t *testing.T) {
	storage := []string{"-data", "CORKBOARD_DATABASE_URL"}
	server := []string{"-addr", "-trusted-proxies", "-post-burst", "-post-rate", "-dev-outbox", "-photo-base-url", "CORKBOARD_METRICS_TOKEN"}
	photoLimits := []string{"-photo-max-megapixels", "-photo-max-mb", "-photo-workers"}
	photoStore := []string{"-s3-endpoint", "-s3-bucket", "-s3-tls", "CORKBOARD_S3_ACCESS_KEY", "CORKBOARD_S3_SECRET_KEY"}
	mail := []string{"-base-url", "-mail-from", "CORKBOARD_SMTP_URL"}
	startup := []string{"-no-migrate", "-replica-max-lag", "CORKBOARD_DATABASE_REPLICA_URLS", "CORKBOARD_REDIS_URL"}
	join := func(lists ...[]string) []string {
		var all []string
		for _, l := range lists {
			all = append(all, l...)
		}
		return all
	}

	for _, tc := range []struct {
		command   string
		own       []string // flags of the command alone, listed before the shared ones
		shared    []string
		notListed []string
	}{
		{"serve", nil, join(storage, server, photoLimits, photoStore, mail, startup, []string{"-categories", "-nearby-miles", "-log-format"}), nil},
		{"worker", nil, join(storage, photoStore, mail, startup, []string{"-categories", "-nearby-miles", "-log-format"}), join(server, photoLimits)},
		{"migrate", nil, storage, join(server, photoLimits, photoStore, mail, startup, []string{"-categories", "-log-format"})},
		{"seed", []string{"-posts", "-seed"}, join(storage, []string{"-no-migrate", "-categories", "-log-format"}),
			join(server, photoLimits, photoStore, mail, []string{"-replica-max-lag", "-nearby-miles"})},
		{"backup", []string{"-to"}, []string{"-data"}, join(server, photoLimits, photoStore, mail, startup, []string{"CORKBOARD_DATABASE_URL", "-log-format"})},
		{"restore", []string{"-from"}, []string{"-data"}, join(server, photoLimits, photoStore, mail, startup, []string{"CORKBOARD_DATABASE_URL", "-log-format"})},
	} {
		t.Run(tc.command, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if err := app.Main(context.Background(), []string{tc.command, "-h"}, &stdout, &stderr); err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			help := stderr.String()
			shared := strings.Index(help, "Shared flags:")
			for _, name := range tc.own {
				i := strings.Index(help, "  "+name+" ")
				if i < 0 || shared < 0 || i > shared {
					t.Errorf("help does not list %s before the shared flags:\n%s", name, help)
				}
			}
			for _, name := range tc.shared {
				if !strings.Contains(help, "  "+name+" ") && !strings.Contains(help, "  "+name+"\n") {
					t.Errorf("help does not list %s:\n%s", name, help)
				}
			}
			for _, name := range tc.notListed {
				if strings.Contains(help, "  "+name+" ") || strings.Contains(help, "  "+name+"\n") {
					t.Errorf("help lists %s, which %s ignores:\n%s", name, tc.command, help)
				}
			}
		})
	}

	t.Run("ignored flag rejected", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		err := app.Main(context.Background(), []string{"backup", "--to", t.TempDir() + "/b", "--addr", "localhost:1"}, &stdout, &stderr)
		if !errors.Is(err, app.ErrUsage) {
			t.Errorf("got error %v, want one wrapping app.ErrUsage", err)
		}
	})

	t.Run("limits in flag help", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if err := app.Main(context.Background(), []string{"serve", "-h"}, &stdout, &stderr); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"at most 8s", "1 to 1000", "1 to 200", "1 to 100", "1 to 64"} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("serve -h does not contain %q:\n%s", want, stderr.String())
			}
		}
	})
}

func TestUsageListsEnvironmentOnly(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := app.Main(context.Background(), []string{"--help"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"secrets", "CORKBOARD_DATABASE_URL", "CORKBOARD_DATABASE_REPLICA_URLS", "CORKBOARD_REDIS_URL",
		"CORKBOARD_SMTP_URL", "CORKBOARD_METRICS_TOKEN", "CORKBOARD_S3_ACCESS_KEY", "CORKBOARD_S3_SECRET_KEY"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("--help does not contain %s:\n%s", want, stdout.String())
		}
	}
}

func TestWorkerSetsMailLinks(t *testing.T) {
	cfg := validConfig()
	cfg.Data = t.TempDir()
	cfg.BaseURL = "https://corkboard.example"
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	// Alert digests build their links from the base URL, so a worker
	// without one would panic on the first digest due.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.RunWorker(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := a.BaseURL(), "https://corkboard.example"; got != want {
		t.Errorf("got base URL %q, want %q", got, want)
	}
	if got, want := a.Service.MailFrom, "Corkboard <corkboard@corkboard.example>"; got != want {
		t.Errorf("got sender %q, want %q", got, want)
	}
}

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

func TestRunClosesSlowConnections(t *testing.T) {
	cfg := validConfig()
	cfg.Data = t.TempDir()
	var logs bytes.Buffer
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.ShutdownTimeout = 200 * time.Millisecond
	if err := a.Listen(); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	waitUntilServing(t, a.BaseURL())

	// A client that has sent only part of its request, like a slow
	// upload, keeps the connection busy past the shutdown timeout.
	slow, err := net.Dial("tcp", a.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if _, err := slow.Write([]byte("POST /api/posts HTTP/1.1\r\nHost: localhost\r\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // lets the server accept the connection

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v, want nil after closing the slow connection", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10 s of the cancel")
	}

	slow.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := slow.Read(make([]byte, 1)); err == nil {
		t.Errorf("slow connection read %d bytes after the shutdown, want it closed", n)
	}
	var messages []string
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var entry struct {
			Msg         string
			Level       string
			Connections int
		}
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		messages = append(messages, entry.Msg)
		if strings.HasPrefix(entry.Msg, "Shutdown timed out") {
			if entry.Level != "WARN" {
				t.Errorf("got level %s for %q, want WARN", entry.Level, entry.Msg)
			}
			if entry.Connections != 1 {
				t.Errorf("got connections=%d in %q, want 1", entry.Connections, entry.Msg)
			}
		}
	}
	got := strings.Join(messages, " | ")
	for _, want := range []string{"Shutting down | Shutdown timed out, closing open connections", "Corkboard stopped"} {
		if !strings.Contains(got, want) {
			t.Errorf("log messages %q do not contain %q", got, want)
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
