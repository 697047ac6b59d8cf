package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/board"
)

// testLostLinksAddTokens adds a token per post, as a lost-links request
// does, and expects the new links and the old ones to work.
func testLostLinksAddTokens(t *testing.T, s board.Store) {
	ctx := context.Background()
	create(t, s, "aaaaaaaaaaaaaaaa")
	create(t, s, "bbbbbbbbbbbbbbbb")

	hashes := map[string][]byte{"aaaaaaaaaaaaaaaa": []byte("new-a"), "bbbbbbbbbbbbbbbb": []byte("new-b")}
	if err := s.AddTokens(ctx, hashes, T0.Add(time.Hour), Message("lost")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ hash, want string }{
		{"new-a", "aaaaaaaaaaaaaaaa"},
		{"new-b", "bbbbbbbbbbbbbbbb"},
		{"hash-aaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaa"},
		{"hash-bbbbbbbbbbbbbbbb", "bbbbbbbbbbbbbbbb"},
	} {
		p, err := s.PostByToken(ctx, []byte(tc.hash))
		if err != nil {
			t.Errorf("token %s: got error %v, want post %s", tc.hash, err, tc.want)
			continue
		}
		if p.ID != tc.want {
			t.Errorf("token %s: got post %s, want %s", tc.hash, p.ID, tc.want)
		}
	}
	if got := claimMessageIDs(t, s, T0.Add(time.Hour), 10); !slices.Contains(got, "lost@example.com") {
		t.Errorf("got queued %v, want the lost-links message among them", got)
	}

	// A hash that is already taken fails the whole call: no token of the
	// call works, and no mail goes out with a link that does not work.
	duplicate := map[string][]byte{"aaaaaaaaaaaaaaaa": []byte("newer-a"), "bbbbbbbbbbbbbbbb": []byte("new-b")}
	if err := s.AddTokens(ctx, duplicate, T0.Add(2*time.Hour), Message("lost2")); err == nil {
		t.Fatal("adding a token hash that is already stored: got no error")
	}
	if _, err := s.PostByToken(ctx, []byte("newer-a")); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("token of the failed call: got %v, want ErrNotFound", err)
	}
	if got := claimMessageIDs(t, s, T0.Add(2*time.Hour), 10); slices.Contains(got, "lost2@example.com") {
		t.Errorf("got queued %v, want no message from the failed call", got)
	}
}
