package app_test

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/app"
)

// validConfig returns settings that pass Validate, for tests that change
// one of them.
func validConfig() app.Config {
	return app.Config{Addr: "127.0.0.1:0", Data: "data", LogFormat: "text", PostBurst: 10, PostRate: 60, Nearby: 100,
		ReplicaMaxLag: 5 * time.Second, PhotoMaxMP: 50, PhotoMaxMB: 20, PhotoWorkers: 2}
}

func TestTrustedProxiesSetting(t *testing.T) {
	t.Run("accepts addresses and ranges", func(t *testing.T) {
		for _, list := range []string{"", "10.0.0.0/8,127.0.0.1", " ::1 , fd00::/8 ", "::ffff:10.0.0.0/104"} {
			cfg := validConfig()
			cfg.TrustedProxies = list
			if err := cfg.Validate(); err != nil {
				t.Errorf("--trusted-proxies %q: %v", list, err)
			}
		}
	})

	t.Run("rejects invalid entries by name", func(t *testing.T) {
		for _, tc := range []struct{ list, bad string }{
			{"10.0.0.0/33", "10.0.0.0/33"},
			{"10.0.0.1/8", "10.0.0.1/8"},
			{"proxy.internal", "proxy.internal"},
			{"10.0.0.0/8,127.0.0.1:80", "127.0.0.1:80"},
			{"10.0.0.0/8 127.0.0.1", "10.0.0.0/8 127.0.0.1"},
		} {
			cfg := validConfig()
			cfg.TrustedProxies = tc.list
			err := cfg.Validate()
			if err == nil {
				t.Errorf("--trusted-proxies %q: got no error, want one", tc.list)
				continue
			}
			for _, want := range []string{"--trusted-proxies", "CORKBOARD_TRUSTED_PROXIES", `"` + tc.bad + `"`} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("--trusted-proxies %q: error %q does not contain %s", tc.list, err, want)
				}
			}
		}
	})

	t.Run("read from the environment", func(t *testing.T) {
		t.Setenv("CORKBOARD_TRUSTED_PROXIES", "10.0.0.0/8")
		var cfg app.Config
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		cfg.RegisterFlags(fs, app.AllFlags)
		if err := fs.Parse(nil); err != nil {
			t.Fatal(err)
		}
		if cfg.TrustedProxies != "10.0.0.0/8" {
			t.Errorf("got %q from the environment, want 10.0.0.0/8", cfg.TrustedProxies)
		}
		if err := fs.Parse([]string{"--trusted-proxies", "192.0.2.1"}); err != nil {
			t.Fatal(err)
		}
		if cfg.TrustedProxies != "192.0.2.1" {
			t.Errorf("got %q with the flag set, want the flag's 192.0.2.1", cfg.TrustedProxies)
		}
	})

	t.Run("empty by default", func(t *testing.T) {
		t.Setenv("CORKBOARD_TRUSTED_PROXIES", "") // restores the variable after the test
		os.Unsetenv("CORKBOARD_TRUSTED_PROXIES")
		var cfg app.Config
		cfg.RegisterFlags(flag.NewFlagSet("serve", flag.ContinueOnError), app.AllFlags)
		if cfg.TrustedProxies != "" {
			t.Errorf("got %q, want empty", cfg.TrustedProxies)
		}
	})

	t.Run("invalid value stops the start", func(t *testing.T) {
		cfg := validConfig()
		cfg.Data = t.TempDir()
		cfg.TrustedProxies = "10.0.0.0/8,lb.internal"
		a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err == nil {
			a.Close()
			t.Fatal("got no error, want one naming --trusted-proxies")
		}
		if !strings.Contains(err.Error(), "--trusted-proxies") || !strings.Contains(err.Error(), "lb.internal") {
			t.Errorf("got error %q, want it to name --trusted-proxies and lb.internal", err)
		}
	})
}
