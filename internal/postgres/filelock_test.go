package postgres

import (
	"io"
	"log/slog"
	"testing"
	"time"
)

// TestFileLockSpansStores checks that two stores, as on two app servers,
// exclude each other.
func TestFileLockSpansStores(t *testing.T) {
	config := testConfig(t)
	a := openConfig(t, config)
	b := openConfig(t, config.Copy())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	lockA, lockB := a.FileLock(log), b.FileLock(log)

	lockA.Lock()
	acquired := make(chan struct{})
	go func() {
		lockB.Lock()
		close(acquired)
		lockB.Unlock()
	}()
	select {
	case <-acquired:
		t.Fatal("the second server took the lock while the first held it")
	case <-time.After(300 * time.Millisecond):
	}
	lockA.Unlock()
	select {
	case <-acquired:
	case <-time.After(5 * time.Second):
		t.Fatal("the second server did not get the lock after the first released it")
	}
}
