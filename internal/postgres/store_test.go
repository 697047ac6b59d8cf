package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/storetest"
)

const urlVar = "CORKBOARD_TEST_DATABASE_URL"

var extensionOnce sync.Once
var extensionErr error

// testConfig returns a pool configuration for a new, empty schema that is
// dropped when the test ends, so tests run in parallel without sharing
// rows. It skips the test when no database is configured.
func testConfig(t *testing.T) *pgxpool.Config {
	t.Helper()
	url := os.Getenv(urlVar)
	if url == "" {
		t.Skipf("set %s, such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable, to run the PostgreSQL tests", urlVar)
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("%s is set but the database is unreachable: %v", urlVar, err)
	}
	defer admin.Close(ctx)

	// The extension goes in public once: installed into a test schema, it
	// would vanish with that schema while other tests still use it.
	extensionOnce.Do(func() {
		_, extensionErr = admin.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public`)
	})
	if extensionErr != nil {
		t.Fatalf("create extension unaccent: %v", extensionErr)
	}

	schema := newTestSchema(t, url, "corkboard_test_")

	config, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	config.ConnConfig.RuntimeParams["search_path"] = schema
	return config
}

// newTestSchema creates an empty schema with a random name in the database
// at url and drops it when the test ends.
func newTestSchema(t *testing.T, url, prefix string) string {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to the test database: %v", err)
	}
	defer admin.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	schema := prefix + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

func openConfig(t *testing.T, config *pgxpool.Config) *Store {
	t.Helper()
	s, err := OpenConfig(context.Background(), config)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last in first out: the pool closes before the schema
	// is dropped.
	t.Cleanup(func() { s.Close() })
	return s
}

func openStore(t *testing.T) *Store {
	t.Helper()
	return openConfig(t, testConfig(t))
}

func TestSearch(t *testing.T) {
	t.Parallel()
	storetest.RunSearch(t, func(t *testing.T) storetest.Store { return openStore(t) })
}

// TestSearchWithoutDescriptionCache runs the search suite with pgx's
// description cache off, as the URL parameter description_cache_capacity=0
// sets it: searches pick their query mode by it.
func TestSearchWithoutDescriptionCache(t *testing.T) {
	t.Parallel()
	storetest.RunSearch(t, func(t *testing.T) storetest.Store {
		config := testConfig(t)
		config.ConnConfig.DescriptionCacheCapacity = 0
		return openConfig(t, config)
	})
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.RunStore(t, func(t *testing.T) board.Store { return openStore(t) })
}

func create(t *testing.T, s *Store, id string) {
	t.Helper()
	if err := s.CreatePost(context.Background(), storetest.NewPost(id), []byte("hash-"+id), board.Idempotency{}, storetest.Message(id)); err != nil {
		t.Fatal(err)
	}
}

func TestMigrationsRunOnceWhenServersStartTogether(t *testing.T) {
	t.Parallel()
	config := testConfig(t)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			s, err := OpenConfig(context.Background(), config.Copy())
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("open: %v", err)
		}
	}
	s := openConfig(t, config.Copy())
	var n, versions int
	err := s.pool.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&n, &versions)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := migrationFS.ReadDir("migrations")
	if n != len(files) || versions != len(files) {
		t.Errorf("got %d rows for %d versions, want one row for each of %d migrations", n, versions, len(files))
	}
}

func queueMessages(t *testing.T, s *Store, prefix string, n int) {
	t.Helper()
	for i := range n {
		if err := s.QueueMail(context.Background(), storetest.Message(fmt.Sprintf("%s%d", prefix, i))); err != nil {
			t.Fatal(err)
		}
	}
}

// TestClaimSkipsLockedMail holds a row lock, as a worker in the middle of
// its claim does, and expects ClaimMail to take the other messages at once
// instead of waiting for the lock.
func TestClaimSkipsLockedMail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	queueMessages(t, s, "m", 3)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var locked int64
	if err := tx.QueryRow(ctx, `SELECT id FROM mail_outbox ORDER BY id LIMIT 1 FOR UPDATE`).Scan(&locked); err != nil {
		t.Fatal(err)
	}
	claimCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	got, err := s.ClaimMail(claimCtx, storetest.T0, time.Minute, 10)
	if err != nil {
		t.Fatalf("claim while a row is locked: %v", err)
	}
	if len(got) != 2 {
		t.Errorf("got %d messages, want the 2 unlocked ones", len(got))
	}
	for _, m := range got {
		if m.ID == locked {
			t.Errorf("got the locked message %d", locked)
		}
	}
}
