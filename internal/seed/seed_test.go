package seed_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/categories"
	"github.com/corkboard/corkboard/internal/places"
	"github.com/corkboard/corkboard/internal/seed"
	"github.com/corkboard/corkboard/internal/sqlite"
)

func TestInsertMakesLiveSamples(t *testing.T) {
	ctx := context.Background()
	dir, err := places.Load()
	if err != nil {
		t.Fatal(err)
	}
	tax := categories.Builtin()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	now := time.Now().UTC()
	if err := seed.NewGenerator(dir, tax, 42).Insert(ctx, store, 2500, now); err != nil {
		t.Fatal(err)
	}

	var all []board.Post
	var cursor *board.Cursor
	for {
		page, err := store.ListPosts(ctx, board.ListQuery{After: cursor, Limit: 1000, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < 1000 {
			break
		}
		last := page[len(page)-1]
		cursor = &board.Cursor{BumpedAt: last.BumpedAt, ID: last.ID}
	}
	if len(all) != 2500 {
		t.Fatalf("got %d live posts, want 2500", len(all))
	}

	byCategory, byRegion := map[string]int{}, map[string]int{}
	for _, p := range all {
		if !p.Sample {
			t.Fatalf("post %s is not marked as a sample", p.ID)
		}
		place, err := dir.Lookup(p.ZIP)
		if err != nil || place.Region != p.Region {
			t.Fatalf("post %s: ZIP %s does not belong to region %s", p.ID, p.ZIP, p.Region)
		}
		byCategory[p.Category]++
		byRegion[p.Region]++
	}
	if got, want := len(byCategory), len(tax.All()); got != want {
		t.Errorf("got posts in %d categories, want all %d", got, want)
	}
	if byRegion["new-york"] < byRegion["boston"] || byRegion["boston"] == 0 {
		t.Errorf("got %d posts in New York and %d in Boston, want big metros weighted up", byRegion["new-york"], byRegion["boston"])
	}
}
