package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/sqlite"
	"github.com/corkboard/corkboard/internal/storetest"
)

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	storetest.RunStore(t, func(t *testing.T) board.Store { return openStore(t) })
}

func TestMigrationsRunOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "twice.db")
	for range 2 {
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		s.Close()
	}
}
