// Package blobs stores photo files. Dir is the embedded default: a folder
// on the local disk. S3 keeps them in a bucket of an S3-compatible object
// store, so several app servers can share them.
package blobs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/corkboard/corkboard/internal/board"
)

// Dir keeps each blob as one file, spread over subfolders named after the
// first two characters of the key so no folder grows too large.
type Dir struct {
	root string
}

var _ board.Blobs = (*Dir)(nil)

// keyPattern admits content-addressed names only, which also rules out
// path traversal.
var keyPattern = regexp.MustCompile(`^[0-9a-f]{64}\.(jpg|png|webp|avif)$`)

// ValidKey reports whether key has the shape of a stored photo name.
func ValidKey(key string) bool { return keyPattern.MatchString(key) }

// ErrInvalidKey is wrapped by Put and Delete when the key fails ValidKey.
// Get returns board.ErrNotFound for such a key instead, because no file
// can exist under it.
var ErrInvalidKey = errors.New("invalid blob key")

// NewDir creates the folder if needed.
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("create photo folder: %w", err)
	}
	return &Dir{root: root}, nil
}

func (d *Dir) path(key string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("%w %q", ErrInvalidKey, key)
	}
	return filepath.Join(d.root, key[:2], key), nil
}

// Put writes the file atomically. An existing file with the same key has
// the same content, so it is left as is.
func (d *Dir) Put(_ context.Context, key, _ string, data []byte) error {
	path, err := d.path(key)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create photo folder: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("create photo file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write photo file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write photo file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename photo file: %w", err)
	}
	return nil
}

// Get returns the file's bytes, or board.ErrNotFound.
func (d *Dir) Get(_ context.Context, key string) ([]byte, error) {
	path, err := d.path(key)
	if err != nil {
		return nil, board.ErrNotFound
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, board.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read photo file: %w", err)
	}
	return data, nil
}

// Delete removes the file; a missing file is not an error.
func (d *Dir) Delete(_ context.Context, key string) error {
	path, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete photo file: %w", err)
	}
	return nil
}
