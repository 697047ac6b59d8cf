package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/board"
)

func testImagesOfDeadPostsAreReleased(t *testing.T, s board.Store) {
	ctx := context.Background()
	create(t, s, "aaaaaaaaaaaaaaaa")
	if err := s.PublishPost(ctx, "aaaaaaaaaaaaaaaa", t0, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	// A second live post shares the large photo of the first.
	shared := newPost("bbbbbbbbbbbbbbbb")
	shared.Images[0].LargeKey = "l-aaaaaaaaaaaaaaaa"
	if err := s.CreatePost(ctx, shared, []byte("h2"), board.Idempotency{}, message("m2")); err != nil {
		t.Fatal(err)
	}

	live, err := s.ImageLive(ctx, "t-aaaaaaaaaaaaaaaa", t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !live {
		t.Error("photo of a live post: got not live")
	}
	live, err = s.ImageLive(ctx, "t-aaaaaaaaaaaaaaaa", t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
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
	keys, err = s.ReleasedImages(ctx, t0.Add(3*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Errorf("got %v after forgetting, want none", keys)
	}
}
