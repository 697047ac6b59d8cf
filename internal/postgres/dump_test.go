package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/storetest"
)

// TestDumpAndRestore follows the backup procedure of docs/operations.md:
// pg_dump in the custom format, then pg_restore into a new database that
// has the unaccent extension, and checks that the store reads the posts.
func TestDumpAndRestore(t *testing.T) {
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: install the PostgreSQL client tools", tool)
		}
	}
	ctx := context.Background()
	config := testConfig(t)
	schema := config.ConnConfig.RuntimeParams["search_path"]
	src := openConfig(t, config)
	p := storetest.NewPost("dumpaaaaaaaaaaaa")
	if err := src.InsertPosts(ctx, []*board.Post{p}); err != nil {
		t.Fatal(err)
	}

	base := os.Getenv(urlVar)
	dump := filepath.Join(t.TempDir(), "corkboard.dump")
	out, err := exec.Command("pg_dump", "--format=custom", "--schema="+schema, "--file="+dump, "--dbname="+base).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}

	var b [6]byte
	rand.Read(b[:])
	dbName := "corkboard_restore_" + hex.EncodeToString(b[:])
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+dbName); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err == nil {
			c.Exec(ctx, "DROP DATABASE "+dbName+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	u, _ := url.Parse(base)
	u.Path = "/" + dbName
	target := u.String()
	conn, err := pgx.Connect(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command("pg_restore", "--no-owner", "--dbname="+target, dump).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}

	restoredConfig, err := pgxpool.ParseConfig(target)
	if err != nil {
		t.Fatal(err)
	}
	restoredConfig.ConnConfig.RuntimeParams["search_path"] = schema
	restored := openConfig(t, restoredConfig)
	got, err := restored.Post(ctx, p.ID)
	if err != nil {
		t.Fatalf("read the restored post: %v", err)
	}
	if got.Title != p.Title || got.ZIP != p.ZIP {
		t.Errorf("got %q in %s, want %q in %s", got.Title, got.ZIP, p.Title, p.ZIP)
	}
}
