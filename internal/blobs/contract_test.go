package blobs

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/corkboard/corkboard/internal/board"
)

// testContract runs the behaviour every board.Blobs implementation must
// share. newBlobs returns a store for one subtest. Keys are hashes of
// random bytes, so subtests may share a bucket or folder across runs.
func testContract(t *testing.T, newBlobs func(t *testing.T) board.Blobs) {
	t.Run("round trip", func(t *testing.T) {
		b := newBlobs(t)
		data, key := randomPhoto(t, 1000, ".jpg")

		if err := b.Put(t.Context(), key, "image/jpeg", data); err != nil {
			t.Fatalf("Put: %v", err)
		}
		got, err := b.Get(t.Context(), key)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("Get returned %d bytes that differ from the %d put", len(got), len(data))
		}
	})

	t.Run("every extension", func(t *testing.T) {
		b := newBlobs(t)
		for _, ext := range []string{".jpg", ".png", ".webp", ".avif"} {
			data, key := randomPhoto(t, 100, ext)
			if err := b.Put(t.Context(), key, "", data); err != nil {
				t.Errorf("Put %s: %v", ext, err)
				continue
			}
			got, err := b.Get(t.Context(), key)
			if err != nil {
				t.Errorf("Get %s: %v", ext, err)
				continue
			}
			if !bytes.Equal(got, data) {
				t.Errorf("Get %s returned different bytes", ext)
			}
		}
	})

	t.Run("get missing key", func(t *testing.T) {
		b := newBlobs(t)
		_, key := randomPhoto(t, 10, ".png")

		_, err := b.Get(t.Context(), key)
		if !errors.Is(err, board.ErrNotFound) {
			t.Errorf("Get of a missing key: got error %v, want board.ErrNotFound", err)
		}
	})

	t.Run("delete twice", func(t *testing.T) {
		b := newBlobs(t)
		data, key := randomPhoto(t, 100, ".webp")
		if err := b.Put(t.Context(), key, "image/webp", data); err != nil {
			t.Fatalf("Put: %v", err)
		}

		if err := b.Delete(t.Context(), key); err != nil {
			t.Fatalf("first Delete: %v", err)
		}
		if err := b.Delete(t.Context(), key); err != nil {
			t.Errorf("second Delete: %v", err)
		}
		if _, err := b.Get(t.Context(), key); !errors.Is(err, board.ErrNotFound) {
			t.Errorf("Get after Delete: got error %v, want board.ErrNotFound", err)
		}
	})

	t.Run("delete never stored", func(t *testing.T) {
		b := newBlobs(t)
		_, key := randomPhoto(t, 10, ".avif")

		if err := b.Delete(t.Context(), key); err != nil {
			t.Errorf("Delete of a missing key: %v", err)
		}
	})

	t.Run("put existing key", func(t *testing.T) {
		b := newBlobs(t)
		data, key := randomPhoto(t, 500, ".jpg")

		for i := range 2 {
			if err := b.Put(t.Context(), key, "image/jpeg", data); err != nil {
				t.Fatalf("Put %d: %v", i+1, err)
			}
		}
		got, err := b.Get(t.Context(), key)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("Get after a repeated Put returned different bytes")
		}
	})

	t.Run("invalid keys", func(t *testing.T) {
		b := newBlobs(t)
		_, valid := randomPhoto(t, 10, ".jpg")
		hash := strings.TrimSuffix(valid, ".jpg")
		invalid := []string{
			"",
			"../x",
			"../" + valid,
			hash[:2] + "/" + valid,
			"/" + valid,
			strings.ToUpper(hash) + ".jpg",
			hash + ".JPG",
			hash + ".gif",
			hash + ".jpeg",
			hash,
			hash[:63] + ".jpg",
			hash + "0.jpg",
			valid + "\n",
			valid + "/",
			valid + "/../x",
		}
		data := []byte("not stored")

		for _, key := range invalid {
			if err := b.Put(t.Context(), key, "image/jpeg", data); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Put(%q): got error %v, want ErrInvalidKey", key, err)
			}
			if _, err := b.Get(t.Context(), key); !errors.Is(err, board.ErrNotFound) {
				t.Errorf("Get(%q): got error %v, want board.ErrNotFound", key, err)
			}
			if err := b.Delete(t.Context(), key); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Delete(%q): got error %v, want ErrInvalidKey", key, err)
			}
		}
	})

	t.Run("concurrent puts of one key", func(t *testing.T) {
		b := newBlobs(t)
		data, key := randomPhoto(t, 256<<10, ".jpg")

		const writers = 8
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				errs[i] = b.Put(t.Context(), key, "image/jpeg", data)
			})
		}
		wg.Wait()

		for i, err := range errs {
			if err != nil {
				t.Errorf("Put by writer %d: %v", i, err)
			}
		}
		got, err := b.Get(t.Context(), key)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("Get after concurrent puts returned %d bytes that differ from the %d put", len(got), len(data))
		}
	})

	t.Run("5 MB object", func(t *testing.T) {
		b := newBlobs(t)
		data, key := randomPhoto(t, 5<<20, ".png")

		if err := b.Put(t.Context(), key, "image/png", data); err != nil {
			t.Fatalf("Put: %v", err)
		}
		got, err := b.Get(t.Context(), key)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("Get returned %d bytes that differ from the %d put", len(got), len(data))
		}
	})
}

// randomPhoto returns size random bytes and their content-addressed key.
func randomPhoto(t *testing.T, size int, ext string) ([]byte, string) {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	sum := sha256.Sum256(data)
	return data, hex.EncodeToString(sum[:]) + ext
}

func TestDirContract(t *testing.T) {
	testContract(t, func(t *testing.T) board.Blobs {
		d, err := NewDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}
