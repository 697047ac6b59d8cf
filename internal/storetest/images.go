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
	if err := s.PublishPost(ctx, "aaaaaaaaaaaaaaaa", T0, T0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	// A second live post shares the large photo of the first.
	shared := NewPost("bbbbbbbbbbbbbbbb")
	shared.Images[0].LargeKey = "l-aaaaaaaaaaaaaaaa"
	if err := s.CreatePost(ctx, shared, []byte("h2"), board.Idempotency{}, Message("m2")); err != nil {
		t.Fatal(err)
	}

	live, err := s.ImageLive(ctx, "t-aaaaaaaaaaaaaaaa", T0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !live {
		t.Error("photo of a live post: got not live")
	}
	live, err = s.ImageLive(ctx, "t-aaaaaaaaaaaaaaaa", T0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if live {
		t.Error("photo of an expired post: got live")
	}

	keys, err := s.ReleasedImages(ctx, T0.Add(3*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != "t-aaaaaaaaaaaaaaaa" {
		t.Errorf("got released %v, want only the thumbnail nobody else uses", keys)
	}
	if err := s.ForgetImages(ctx, keys, T0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	keys, err = s.ReleasedImages(ctx, T0.Add(3*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Errorf("got %v after forgetting, want none", keys)
	}
}

// testPhotosArePublicOnlyForLivePosts expects the photos of an active,
// unexpired post to be served to everyone, and those of pending, expired
// and deleted posts not to be, unless a live post uses the same file.
func testPhotosArePublicOnlyForLivePosts(t *testing.T, s board.Store) {
	ctx := context.Background()
	create(t, s, "pppppppppppppppp")
	create(t, s, "aaaaaaaaaaaaaaaa")
	if err := s.PublishPost(ctx, "aaaaaaaaaaaaaaaa", T0, T0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// The deleted post's large photo is the same file as the active one's.
	deleted := NewPost("dddddddddddddddd")
	deleted.Images[0].LargeKey = "l-aaaaaaaaaaaaaaaa"
	if err := s.CreatePost(ctx, deleted, []byte("hash-d"), board.Idempotency{}, Message("d")); err != nil {
		t.Fatal(err)
	}
	if err := s.PublishPost(ctx, deleted.ID, T0, T0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePost(ctx, deleted.ID, T0); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		key  string
		at   time.Time
		want bool
	}{
		{"active post", "t-aaaaaaaaaaaaaaaa", T0.Add(time.Minute), true},
		{"pending post", "t-pppppppppppppppp", T0.Add(time.Minute), false},
		{"deleted post", "t-dddddddddddddddd", T0.Add(time.Minute), false},
		{"file shared by a deleted and an active post", "l-aaaaaaaaaaaaaaaa", T0.Add(time.Minute), true},
		// No sweep has marked the post expired yet.
		{"active post at its expiry", "t-aaaaaaaaaaaaaaaa", T0.Add(time.Hour), false},
		{"unknown file", "t-unknown", T0.Add(time.Minute), false},
	} {
		got, err := s.ImagePublic(ctx, tc.key, tc.at)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s: got public %t, want %t", tc.name, got, tc.want)
		}
	}
}
