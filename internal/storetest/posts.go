package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/board"
)

func testCreateAndLoad(t *testing.T, s board.Store) {
	ctx := context.Background()
	create(t, s, "aaaaaaaaaaaaaaaa")

	p, err := s.PostByToken(ctx, []byte("hash-aaaaaaaaaaaaaaaa"))
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "aaaaaaaaaaaaaaaa" {
		t.Errorf("got ID %q, want aaaaaaaaaaaaaaaa", p.ID)
	}
	if p.Status != board.Pending {
		t.Errorf("got status %s, want %s", p.Status, board.Pending)
	}
	if p.ZIP != "02134" {
		t.Errorf("got ZIP %q, want 02134", p.ZIP)
	}
	if len(p.Images) != 1 || p.Images[0].Width != 10 {
		t.Errorf("got images %+v, want one 10x5", p.Images)
	}
	if !p.CreatedAt.Equal(t0) || p.CreatedAt.Location() != time.UTC {
		t.Errorf("got created %v, want %v in UTC", p.CreatedAt, t0)
	}
	if !p.PublishedAt.IsZero() {
		t.Errorf("got published %v for a pending post, want zero", p.PublishedAt)
	}

	_, err = s.Post(ctx, "nonexistent")
	if !errors.Is(err, board.ErrNotFound) {
		t.Errorf("got error %v, want ErrNotFound", err)
	}
}

func testIdempotencyKeyIsUnique(t *testing.T, s board.Store) {
	ctx := context.Background()
	idem := board.Idempotency{Key: "k", RequestHash: "h", PostID: "aaaaaaaaaaaaaaaa"}
	if err := s.CreatePost(ctx, newPost("aaaaaaaaaaaaaaaa"), []byte("x1"), idem, message("m1")); err != nil {
		t.Fatal(err)
	}
	idem.PostID = "bbbbbbbbbbbbbbbb"
	err := s.CreatePost(ctx, newPost("bbbbbbbbbbbbbbbb"), []byte("x2"), idem, message("m2"))
	if !errors.Is(err, board.ErrIdempotencyKeyUsed) {
		t.Fatalf("got error %v, want ErrIdempotencyKeyUsed", err)
	}
	if _, err := s.Post(ctx, "bbbbbbbbbbbbbbbb"); !errors.Is(err, board.ErrNotFound) {
		t.Error("the second post was half-written despite the conflict")
	}
	got, err := s.IdempotentRequest(ctx, "k")
	if err != nil || got.PostID != "aaaaaaaaaaaaaaaa" {
		t.Errorf("got %+v, %v; want the first post", got, err)
	}
}

// testLifecycleRules runs its steps in order on one post, and each step
// starts from the state that the step before left.
func testLifecycleRules(t *testing.T, s board.Store) {
	ctx := context.Background()
	id := "aaaaaaaaaaaaaaaa"
	create(t, s, id)

	if err := s.PublishPost(ctx, id, t0, t0.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	t.Run("publishing twice is a conflict", func(t *testing.T) {
		err := s.PublishPost(ctx, id, t0, t0.Add(time.Hour))
		if board.ErrorCode(err) != board.Conflict {
			t.Errorf("got %v, want a conflict", err)
		}
	})
	t.Run("renewing before the bound is a conflict", func(t *testing.T) {
		err := s.RenewPost(ctx, id, t0.Add(time.Hour), t0.Add(-time.Second), t0.Add(100*time.Hour))
		if board.ErrorCode(err) != board.Conflict {
			t.Errorf("got %v, want a conflict", err)
		}
	})
	t.Run("renewing moves the post to the top", func(t *testing.T) {
		create(t, s, "bbbbbbbbbbbbbbbb")
		if err := s.PublishPost(ctx, "bbbbbbbbbbbbbbbb", t0.Add(time.Minute), t0.Add(72*time.Hour)); err != nil {
			t.Fatal(err)
		}
		later := t0.Add(49 * time.Hour)
		if err := s.RenewPost(ctx, id, later, later.Add(-48*time.Hour), later.Add(72*time.Hour)); err != nil {
			t.Fatal(err)
		}
		posts, err := s.ListPosts(ctx, board.ListQuery{Region: "boston", Limit: 10, Now: later})
		if err != nil {
			t.Fatal(err)
		}
		if len(posts) != 2 || posts[0].ID != id {
			t.Fatalf("got %d posts with %v first, want the renewed one first", len(posts), posts)
		}
		next, err := s.ListPosts(ctx, board.ListQuery{Region: "boston", Limit: 10, Now: later,
			After: &board.Cursor{BumpedAt: posts[0].BumpedAt, ID: posts[0].ID}})
		if err != nil || len(next) != 1 || next[0].ID != "bbbbbbbbbbbbbbbb" {
			t.Errorf("after the first post: got %v, %v; want only the second", next, err)
		}
	})
	t.Run("deleting erases contact details", func(t *testing.T) {
		if err := s.DeletePost(ctx, id, t0.Add(50*time.Hour)); err != nil {
			t.Fatal(err)
		}
		p, err := s.Post(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != board.Deleted || p.Email != "" || p.Body != "" {
			t.Errorf("got status %s email %q body %q, want deleted and erased", p.Status, p.Email, p.Body)
		}
		if err := s.DeletePost(ctx, id, t0); board.ErrorCode(err) != board.Conflict {
			t.Errorf("second delete: got %v, want a conflict", err)
		}
	})
}

func testSitemapAndCounts(t *testing.T, s board.Store) {
	ctx := context.Background()
	for _, id := range []string{"aaaaaaaaaaaaaaaa", "aabbbbbbbbbbbbbb", "bbbbbbbbbbbbbbbb"} {
		create(t, s, id)
		if err := s.PublishPost(ctx, id, t0, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}

	buckets, err := s.SitemapBuckets(ctx, t0)
	if err != nil {
		t.Fatal(err)
	}
	if buckets["aa"] != 2 || buckets["bb"] != 1 {
		t.Errorf("got buckets %v, want aa:2 bb:1", buckets)
	}

	posts, err := s.SitemapPosts(ctx, "aa", t0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 2 || posts[0].ID != "aaaaaaaaaaaaaaaa" {
		t.Errorf("got %d posts, want the 2 starting with aa, by id", len(posts))
	}

	counts, next, err := s.CountPosts(ctx, "boston", t0)
	if err != nil {
		t.Fatal(err)
	}
	if counts["bikes"] != 3 {
		t.Errorf("got counts %v, want bikes:3", counts)
	}
	if !next.Equal(t0.Add(time.Hour)) {
		t.Errorf("got next expiry %v, want %v", next, t0.Add(time.Hour))
	}

	mine, err := s.LivePostsByEmail(ctx, "A@Example.com", t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 3 {
		t.Errorf("got %d posts by email, want 3 whatever the case", len(mine))
	}

	n, err := s.ExpirePosts(ctx, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("expired %d posts, want 3", n)
	}
}
