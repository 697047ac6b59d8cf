package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// runMainVar makes the test binary run main with its arguments, so a test
// can check what the command prints and its exit status.
const runMainVar = "CORKBOARD_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainVar) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runCommand runs corkboard with args in a child process and returns its
// stderr and exit status.
func runCommand(t *testing.T, args ...string) (stderr string, status int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runMainVar+"=1")
	var out strings.Builder
	cmd.Stderr = &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return out.String(), exit.ExitCode()
	case err != nil:
		t.Fatalf("run %v: %v", args, err)
	}
	return out.String(), 0
}

func TestCommandLineErrors(t *testing.T) {
	t.Run("unknown flag printed once", func(t *testing.T) {
		stderr, status := runCommand(t, "serve", "--bogus")
		if status != 2 {
			t.Errorf("got exit status %d, want 2", status)
		}
		if n := strings.Count(stderr, "flag provided but not defined: -bogus"); n != 1 {
			t.Errorf("stderr names the unknown flag %d times, want once:\n%s", n, stderr)
		}
	})

	t.Run("unknown command", func(t *testing.T) {
		stderr, status := runCommand(t, "frob")
		if status != 2 {
			t.Errorf("got exit status %d, want 2", status)
		}
		if n := strings.Count(stderr, `unknown command "frob"`); n != 1 {
			t.Errorf("stderr names the unknown command %d times, want once:\n%s", n, stderr)
		}
	})

	t.Run("help exits 0", func(t *testing.T) {
		if _, status := runCommand(t, "serve", "-h"); status != 0 {
			t.Errorf("got exit status %d, want 0", status)
		}
	})
}
