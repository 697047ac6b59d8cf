package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/mail"
	"github.com/corkboard/corkboard/internal/sqlite"
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

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newPost(id string) *board.Post {
	return &board.Post{
		ID: id, Status: board.Pending, Title: "Bike", Body: "Red", Category: "bikes",
		Region: "boston", Subarea: "021", ZIP: "02134", City: "Allston", State: "MA",
		Email: "a@example.com", CreatedAt: t0, UpdatedAt: t0,
		Images: []board.Image{{ThumbKey: "t-" + id, LargeKey: "l-" + id, Width: 10, Height: 5}},
	}
}

func message(id string) mail.Message {
	return mail.Message{ID: id + "@example.com", From: "c@example.com", To: "a@example.com", Subject: "s", Text: "t", HTML: "h", Date: t0}
}

func create(t *testing.T, s *sqlite.Store, id string) {
	t.Helper()
	if err := s.CreatePost(context.Background(), newPost(id), []byte("hash-"+id), board.Idempotency{}, message(id)); err != nil {
		t.Fatal(err)
	}
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

func TestCreateAndLoad(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	create(t, s, "aaaaaaaaaaaaaaaa")

	p, err := s.PostByToken(ctx, []byte("hash-aaaaaaaaaaaaaaaa"))
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "aaaaaaaaaaaaaaaa" || p.Status != board.Pending || p.ZIP != "02134" {
		t.Errorf("got %+v", p)
	}
	if len(p.Images) != 1 || p.Images[0].Width != 10 {
		t.Errorf("got images %+v, want one 10x5", p.Images)
	}
	if !p.CreatedAt.Equal(t0) {
		t.Errorf("got created %v, want %v", p.CreatedAt, t0)
	}

	_, err = s.Post(ctx, "nonexistent")
	if !errors.Is(err, board.ErrNotFound) {
		t.Errorf("got error %v, want ErrNotFound", err)
	}
}

func TestIdempotencyKeyIsUnique(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
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

func TestLifecycleRules(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
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
		s.PublishPost(ctx, "bbbbbbbbbbbbbbbb", t0.Add(time.Minute), t0.Add(72*time.Hour))
		later := t0.Add(49 * time.Hour)
		if err := s.RenewPost(ctx, id, later, later.Add(-48*time.Hour), later.Add(72*time.Hour)); err != nil {
			t.Fatal(err)
		}
		posts, err := s.ListPosts(ctx, board.ListQuery{Region: "boston", Limit: 10, Now: later})
		if err != nil {
			t.Fatal(err)
		}
		if len(posts) != 2 || posts[0].ID != id {
			t.Errorf("got %d posts with %v first, want the renewed one first", len(posts), posts)
		}
	})
	t.Run("deleting erases contact details", func(t *testing.T) {
		if err := s.DeletePost(ctx, id, t0.Add(50*time.Hour)); err != nil {
			t.Fatal(err)
		}
		p, _ := s.Post(ctx, id)
		if p.Status != board.Deleted || p.Email != "" || p.Body != "" {
			t.Errorf("got status %s email %q body %q, want deleted and erased", p.Status, p.Email, p.Body)
		}
		if err := s.DeletePost(ctx, id, t0); board.ErrorCode(err) != board.Conflict {
			t.Errorf("second delete: got %v, want a conflict", err)
		}
	})
}

func TestImagesOfDeadPostsAreReleased(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	create(t, s, "aaaaaaaaaaaaaaaa")
	s.PublishPost(ctx, "aaaaaaaaaaaaaaaa", t0, t0.Add(time.Hour))

	// A second live post shares the large photo of the first.
	shared := newPost("bbbbbbbbbbbbbbbb")
	shared.Images[0].LargeKey = "l-aaaaaaaaaaaaaaaa"
	s.CreatePost(ctx, shared, []byte("h2"), board.Idempotency{}, message("m2"))

	live, _ := s.ImageLive(ctx, "t-aaaaaaaaaaaaaaaa", t0.Add(time.Minute))
	if !live {
		t.Error("photo of a live post: got not live")
	}
	live, _ = s.ImageLive(ctx, "t-aaaaaaaaaaaaaaaa", t0.Add(2*time.Hour))
	if live {
		t.Error("photo of an expired post: got live")
	}

	keys, err := s.ReleasedImages(ctx, t0.Add(3*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != "t-aaaaaaaaaaaaaaaa" {
		t.Errorf("got released %v, want only the thumbnail nobody else uses", keys)
	}
	if err := s.ForgetImages(ctx, keys, t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if keys, _ := s.ReleasedImages(ctx, t0.Add(3*time.Hour), 10); len(keys) != 0 {
		t.Errorf("got %v after forgetting, want none", keys)
	}
}

func TestMailLeases(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	create(t, s, "aaaaaaaaaaaaaaaa")

	first, err := s.ClaimMail(ctx, t0, time.Minute, 10)
	if err != nil || len(first) != 1 {
		t.Fatalf("got %d messages, %v; want 1", len(first), err)
	}
	if again, _ := s.ClaimMail(ctx, t0.Add(time.Second), time.Minute, 10); len(again) != 0 {
		t.Errorf("got %d messages while leased, want 0", len(again))
	}
	// A worker that died: the lease runs out and the message comes back.
	retry, _ := s.ClaimMail(ctx, t0.Add(2*time.Minute), time.Minute, 10)
	if len(retry) != 1 || retry[0].Attempts != 2 {
		t.Fatalf("got %+v after the lease, want the message on attempt 2", retry)
	}
	if err := s.MarkMailSent(ctx, retry[0].ID, t0); err != nil {
		t.Fatal(err)
	}
	if after, _ := s.ClaimMail(ctx, t0.Add(time.Hour), time.Minute, 10); len(after) != 0 {
		t.Errorf("got %d messages after sending, want 0", len(after))
	}
}
