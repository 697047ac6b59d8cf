package storetest

import (
	"context"
	"errors"
	"slices"
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
	if !p.CreatedAt.Equal(T0) || p.CreatedAt.Location() != time.UTC {
		t.Errorf("got created %v, want %v in UTC", p.CreatedAt, T0)
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
	if err := s.CreatePost(ctx, NewPost("aaaaaaaaaaaaaaaa"), []byte("x1"), idem, Message("m1")); err != nil {
		t.Fatal(err)
	}
	idem.PostID = "bbbbbbbbbbbbbbbb"
	err := s.CreatePost(ctx, NewPost("bbbbbbbbbbbbbbbb"), []byte("x2"), idem, Message("m2"))
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

	if err := s.PublishPost(ctx, id, T0, T0.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	t.Run("publishing twice is a conflict", func(t *testing.T) {
		err := s.PublishPost(ctx, id, T0, T0.Add(time.Hour))
		if board.ErrorCode(err) != board.Conflict {
			t.Errorf("got %v, want a conflict", err)
		}
	})
	t.Run("renewing before the bound is a conflict", func(t *testing.T) {
		err := s.RenewPost(ctx, id, T0.Add(time.Hour), T0.Add(-time.Second), T0.Add(100*time.Hour))
		if board.ErrorCode(err) != board.Conflict {
			t.Errorf("got %v, want a conflict", err)
		}
	})
	t.Run("renewing moves the post to the top", func(t *testing.T) {
		create(t, s, "bbbbbbbbbbbbbbbb")
		if err := s.PublishPost(ctx, "bbbbbbbbbbbbbbbb", T0.Add(time.Minute), T0.Add(72*time.Hour)); err != nil {
			t.Fatal(err)
		}
		later := T0.Add(49 * time.Hour)
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
		if err := s.DeletePost(ctx, id, T0.Add(50*time.Hour)); err != nil {
			t.Fatal(err)
		}
		p, err := s.Post(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != board.Deleted || p.Email != "" || p.Body != "" {
			t.Errorf("got status %s email %q body %q, want deleted and erased", p.Status, p.Email, p.Body)
		}
		if err := s.DeletePost(ctx, id, T0); board.ErrorCode(err) != board.Conflict {
			t.Errorf("second delete: got %v, want a conflict", err)
		}
	})
}

func testSitemapAndCounts(t *testing.T, s board.Store) {
	ctx := context.Background()
	for _, id := range []string{"aaaaaaaaaaaaaaaa", "aabbbbbbbbbbbbbb", "bbbbbbbbbbbbbbbb"} {
		create(t, s, id)
		if err := s.PublishPost(ctx, id, T0, T0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}

	buckets, err := s.SitemapBuckets(ctx, T0)
	if err != nil {
		t.Fatal(err)
	}
	if buckets["aa"] != 2 || buckets["bb"] != 1 {
		t.Errorf("got buckets %v, want aa:2 bb:1", buckets)
	}

	posts, err := s.SitemapPosts(ctx, "aa", T0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 2 || posts[0].ID != "aaaaaaaaaaaaaaaa" {
		t.Errorf("got %d posts, want the 2 starting with aa, by id", len(posts))
	}

	counts, next, err := s.CountPosts(ctx, "boston", T0)
	if err != nil {
		t.Fatal(err)
	}
	if counts["bikes"] != 3 {
		t.Errorf("got counts %v, want bikes:3", counts)
	}
	if !next.Equal(T0.Add(time.Hour)) {
		t.Errorf("got next expiry %v, want %v", next, T0.Add(time.Hour))
	}

	mine, err := s.LivePostsByEmail(ctx, "A@Example.com", T0)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 3 {
		t.Errorf("got %d posts by email, want 3 whatever the case", len(mine))
	}

	n, err := s.ExpirePosts(ctx, T0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("expired %d posts, want 3", n)
	}
}

// testEditChangesTextAndPhotos edits a published post twice, as its owner
// does from the manage page. The post must show the new text, price and
// photos, and keep its place in the list and its lifetime.
func testEditChangesTextAndPhotos(t *testing.T, s board.Store) {
	ctx := context.Background()
	id := "aaaaaaaaaaaaaaaa"
	create(t, s, id)
	if err := s.PublishPost(ctx, id, T0, T0.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	create(t, s, "bbbbbbbbbbbbbbbb")
	if err := s.PublishPost(ctx, "bbbbbbbbbbbbbbbb", T0.Add(time.Minute), T0.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}

	p, err := s.Post(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	price := int64(12000)
	p.Title, p.Body, p.PriceCents = "Blue bike", "Repainted", &price
	p.Images = []board.Image{{ThumbKey: "t-new", LargeKey: "l-new", Width: 20, Height: 10}, p.Images[0]}
	editedAt := T0.Add(time.Hour)
	if err := s.UpdatePost(ctx, p, editedAt); err != nil {
		t.Fatal(err)
	}

	got, err := s.Post(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Blue bike" {
		t.Errorf("got title %q, want Blue bike", got.Title)
	}
	if got.Body != "Repainted" {
		t.Errorf("got body %q, want Repainted", got.Body)
	}
	if got.PriceCents == nil || *got.PriceCents != 12000 {
		t.Errorf("got price %v, want 12000 cents", got.PriceCents)
	}
	var thumbs []string
	for _, img := range got.Images {
		thumbs = append(thumbs, img.ThumbKey)
	}
	if want := []string{"t-new", "t-" + id}; !slices.Equal(thumbs, want) {
		t.Errorf("got photos %v, want %v in that order", thumbs, want)
	}
	if len(got.Images) > 0 && (got.Images[0].LargeKey != "l-new" || got.Images[0].Width != 20) {
		t.Errorf("got first photo %+v, want l-new at width 20", got.Images[0])
	}
	if !got.UpdatedAt.Equal(editedAt) {
		t.Errorf("got updated %v, want the edit time %v", got.UpdatedAt, editedAt)
	}
	if got.Status != board.Active {
		t.Errorf("got status %s, want %s", got.Status, board.Active)
	}
	if got.Email != "a@example.com" {
		t.Errorf("got email %q, want a@example.com", got.Email)
	}
	if !got.CreatedAt.Equal(T0) || !got.PublishedAt.Equal(T0) {
		t.Errorf("got created %v and published %v, want both %v", got.CreatedAt, got.PublishedAt, T0)
	}
	if !got.BumpedAt.Equal(T0) {
		t.Errorf("got bumped %v, want %v: an edit must not move the post up", got.BumpedAt, T0)
	}
	if !got.ExpiresAt.Equal(T0.Add(72 * time.Hour)) {
		t.Errorf("got expiry %v, want %v: an edit must not extend the lifetime", got.ExpiresAt, T0.Add(72*time.Hour))
	}

	posts, err := s.ListPosts(ctx, board.ListQuery{Region: "boston", Limit: 10, Now: editedAt})
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 2 || posts[0].ID != "bbbbbbbbbbbbbbbb" {
		t.Errorf("got list %v, want the newer post still first", posts)
	}

	// A second edit drops the original photo and the price.
	got.Images, got.PriceCents = got.Images[:1], nil
	if err := s.UpdatePost(ctx, got, editedAt.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	again, err := s.Post(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if again.PriceCents != nil {
		t.Errorf("got price %d after removing it, want none", *again.PriceCents)
	}
	if len(again.Images) != 1 || again.Images[0].ThumbKey != "t-new" {
		t.Errorf("got photos %+v, want only t-new", again.Images)
	}
	for key, want := range map[string]bool{"t-new": true, "l-new": true, "t-" + id: false, "l-" + id: false} {
		public, err := s.ImagePublic(ctx, key, editedAt.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if public != want {
			t.Errorf("photo file %s after the second edit: got public %t, want %t", key, public, want)
		}
	}
}

// testEditRules expects a pending post to take an edit. An expired or
// deleted post rejects it and stays as it was, so a stale edit form cannot
// bring back a post's erased text.
func testEditRules(t *testing.T, s board.Store) {
	ctx := context.Background()

	t.Run("pending post stays pending", func(t *testing.T) {
		id := "aaaaaaaaaaaaaaaa"
		create(t, s, id)
		p := NewPost(id)
		p.Title = "Red bike"
		if err := s.UpdatePost(ctx, p, T0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, err := s.Post(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Title != "Red bike" {
			t.Errorf("got title %q, want Red bike", got.Title)
		}
		if got.Status != board.Pending || !got.PublishedAt.IsZero() {
			t.Errorf("got status %s published %v, want pending and unpublished", got.Status, got.PublishedAt)
		}
	})

	t.Run("post at its expiry is a conflict", func(t *testing.T) {
		id := "bbbbbbbbbbbbbbbb"
		create(t, s, id)
		if err := s.PublishPost(ctx, id, T0, T0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		// No sweep has marked the post expired: the store must still
		// compare the expiry with the time of the edit.
		p := NewPost(id)
		p.Title = "Late edit"
		p.Images = nil
		err := s.UpdatePost(ctx, p, T0.Add(time.Hour))
		if board.ErrorCode(err) != board.Conflict {
			t.Errorf("got %v, want a conflict", err)
		}
		got, err := s.Post(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Title != "Bike" {
			t.Errorf("got title %q after the rejected edit, want Bike", got.Title)
		}
		if len(got.Images) != 1 {
			t.Errorf("got %d photos after the rejected edit, want 1", len(got.Images))
		}
	})

	t.Run("deleted post is a conflict", func(t *testing.T) {
		id := "cccccccccccccccc"
		create(t, s, id)
		if err := s.DeletePost(ctx, id, T0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		err := s.UpdatePost(ctx, NewPost(id), T0.Add(2*time.Minute))
		if board.ErrorCode(err) != board.Conflict {
			t.Errorf("got %v, want a conflict", err)
		}
		got, err := s.Post(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != board.Deleted || got.Body != "" {
			t.Errorf("got status %s body %q, want deleted with the body still erased", got.Status, got.Body)
		}
	})
}

// testMissingPostIsNotFound expects ErrNotFound, not a Conflict, from each
// change to a post ID that no row has. Conflict is for a post whose state
// rules the change out.
func testMissingPostIsNotFound(t *testing.T, s board.Store) {
	ctx := context.Background()
	const id = "zzzzzzzzzzzzzzzz"
	// Another post exists, so a store that ignored the ID would change it.
	create(t, s, "aaaaaaaaaaaaaaaa")

	t.Run("publish", func(t *testing.T) {
		err := s.PublishPost(ctx, id, T0, T0.Add(time.Hour))
		if !errors.Is(err, board.ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound", err)
		}
	})
	t.Run("update", func(t *testing.T) {
		err := s.UpdatePost(ctx, NewPost(id), T0)
		if !errors.Is(err, board.ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound", err)
		}
	})
	t.Run("renew", func(t *testing.T) {
		err := s.RenewPost(ctx, id, T0, T0, T0.Add(time.Hour))
		if !errors.Is(err, board.ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound", err)
		}
	})
	t.Run("delete", func(t *testing.T) {
		err := s.DeletePost(ctx, id, T0)
		if !errors.Is(err, board.ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound", err)
		}
	})

	p, err := s.Post(ctx, "aaaaaaaaaaaaaaaa")
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != board.Pending || p.Title != "Bike" {
		t.Errorf("other post: got status %s title %q, want it unchanged", p.Status, p.Title)
	}
}

// testUnconfirmedPostsAreDeleted runs the sweep that deletes pending posts
// created before the cut-off, and expects later and published posts to
// stay.
func testUnconfirmedPostsAreDeleted(t *testing.T, s board.Store) {
	ctx := context.Background()
	now := T0.Add(board.UnconfirmedLifetime + time.Hour)
	cutoff := now.Add(-board.UnconfirmedLifetime)

	old := NewPost("aaaaaaaaaaaaaaaa")
	old.Phone = "617-555-0100"
	atCutoff := NewPost("bbbbbbbbbbbbbbbb")
	atCutoff.CreatedAt = cutoff
	recent := NewPost("cccccccccccccccc")
	recent.CreatedAt = cutoff.Add(time.Minute)
	published := NewPost("dddddddddddddddd")
	for _, p := range []*board.Post{old, atCutoff, recent, published} {
		if err := s.CreatePost(ctx, p, []byte("hash-"+p.ID), board.Idempotency{}, Message(p.ID)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PublishPost(ctx, published.ID, T0.Add(time.Minute), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	n, err := s.DeleteUnconfirmed(ctx, cutoff, now)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("deleted %d posts, want 1", n)
	}

	// The confirmation link still finds the post, so a late click shows
	// the owner that it was deleted, and it can no longer be published.
	got, err := s.PostByToken(ctx, []byte("hash-"+old.ID))
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != board.Deleted {
		t.Errorf("got status %s for the old pending post, want %s", got.Status, board.Deleted)
	}
	if got.Email != "" || got.Phone != "" || got.Body != "" {
		t.Errorf("got email %q phone %q body %q, want all erased", got.Email, got.Phone, got.Body)
	}
	if err := s.PublishPost(ctx, old.ID, now, now.Add(time.Hour)); board.ErrorCode(err) != board.Conflict {
		t.Errorf("publishing the deleted post: got %v, want a conflict", err)
	}

	wantStatus := map[string]board.Status{atCutoff.ID: board.Pending, recent.ID: board.Pending, published.ID: board.Active}
	for id, want := range wantStatus {
		p, err := s.Post(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != want {
			t.Errorf("post %s: got status %s, want %s", id, p.Status, want)
		}
		if p.Email != "a@example.com" {
			t.Errorf("post %s: got email %q, want a@example.com", id, p.Email)
		}
	}

	// The photos stop being live at once and are released after the grace
	// period that starts at the deletion.
	live, err := s.ImageLive(ctx, "t-"+old.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	if live {
		t.Error("photo of the deleted post: got live, want not live")
	}
	keys, err := s.ReleasedImages(ctx, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Errorf("got released %v at the deletion time, want none yet", keys)
	}
	keys, err = s.ReleasedImages(ctx, now.Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	if want := []string{"l-" + old.ID, "t-" + old.ID}; !slices.Equal(keys, want) {
		t.Errorf("got released %v after the grace period, want %v", keys, want)
	}

	n, err = s.DeleteUnconfirmed(ctx, cutoff, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("second sweep deleted %d posts, want 0", n)
	}
}
