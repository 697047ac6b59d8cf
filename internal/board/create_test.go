package board

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/categories"
	"github.com/corkboard/corkboard/internal/places"
)

// tokenStore finds one post by any token. Every other Store method is
// left nil and panics when called, so a test fails if the code under test
// goes further than loading the post.
type tokenStore struct {
	Store
	post Post
}

func (t tokenStore) PostByToken(ctx context.Context, tokenHash []byte) (*Post, error) {
	p := t.post
	return &p, nil
}

// busyService returns a Service whose every photo decode slot is taken, so
// a photo that reaches decoding waits until ctx ends.
func busyService(t *testing.T, store Store) *Service {
	t.Helper()
	dir, err := places.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := NewService(ServiceConfig{Store: store, Places: dir, Categories: categories.Builtin(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), PhotoWorkers: 2})
	for range cap(s.photoSlots) {
		s.photoSlots <- struct{}{}
	}
	return s
}

func smallPNG(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 40, 30))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkRejectedBeforeDecoding checks that err rejects the third photo, a
// text file, and came before any photo was decoded.
func checkRejectedBeforeDecoding(t *testing.T, err error) {
	t.Helper()
	if got := ErrorCode(err); got != Unsupported {
		t.Fatalf("got error %v, want code %s", err, Unsupported)
	}
	var e *Error
	if !errors.As(err, &e) || !strings.HasPrefix(e.Fields["images"], "Photo 3 (notes.jpg):") {
		t.Errorf("got error %v, want the images field to name photo 3", err)
	}
	if PhotosDecoded(err) {
		t.Error("PhotosDecoded: got true, want false for a file rejected by its header")
	}
}

func TestCreatePostChecksEveryPhotoFirst(t *testing.T) {
	s := busyService(t, nil)
	good := smallPNG(t)
	d := Draft{Title: "Lamp", Category: "household", ZIP: "02134", Email: "e@example.com",
		Photos: []Upload{BytesUpload("a.png", good), BytesUpload("b.png", good), BytesUpload("notes.jpg", []byte("not a photo"))}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()

	_, err := s.CreatePost(ctx, d, "")
	checkRejectedBeforeDecoding(t, err)
}

func TestUpdateChecksEveryPhotoFirst(t *testing.T) {
	s := busyService(t, tokenStore{post: Post{ID: "p", Status: Active, Title: "Lamp", ExpiresAt: time.Now().Add(time.Hour)}})
	good := smallPNG(t)
	e := Edit{AddPhotos: []Upload{BytesUpload("a.png", good), BytesUpload("b.png", good), BytesUpload("notes.jpg", []byte("not a photo"))}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()

	_, err := s.Update(ctx, strings.Repeat("A", 43), e)
	checkRejectedBeforeDecoding(t, err)
}

func TestPhotosDecodedAfterDecodeFailure(t *testing.T) {
	s := busyService(t, nil)
	<-s.photoSlots // free one slot, so decoding can start
	good := smallPNG(t)
	d := Draft{Title: "Lamp", Category: "household", ZIP: "02134", Email: "e@example.com",
		Photos: []Upload{BytesUpload("a.png", good), BytesUpload("cut.png", good[:len(good)-20])}}

	_, err := s.CreatePost(context.Background(), d, "")
	if got := ErrorCode(err); got != Invalid {
		t.Fatalf("got error %v, want code %s for a truncated photo", err, Invalid)
	}
	if !PhotosDecoded(err) {
		t.Error("PhotosDecoded: got false, want true after decoding began")
	}
}

func TestPhotosDecodedFalseForTextErrors(t *testing.T) {
	s := busyService(t, nil)
	d := Draft{Title: "", Category: "household", ZIP: "02134", Email: "e@example.com",
		Photos: []Upload{BytesUpload("a.png", smallPNG(t))}}

	_, err := s.CreatePost(context.Background(), d, "")
	if got := ErrorCode(err); got != Invalid {
		t.Fatalf("got error %v, want code %s for a missing title", err, Invalid)
	}
	if PhotosDecoded(err) {
		t.Error("PhotosDecoded: got true, want false for a missing title")
	}
}
