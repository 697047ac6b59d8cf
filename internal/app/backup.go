package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/corkboard/corkboard/internal/sqlite"
)

// Backup copies the embedded default's database (an online, consistent
// copy) and its photo folder into dir, which must not exist yet. The
// PostgreSQL and S3 backends have their own tools: see docs/operations.md.
func Backup(ctx context.Context, cfg Config, dir string) error {
	if cfg.DatabaseURL != "" || cfg.S3.Endpoint != "" {
		return errors.New("backup covers the embedded default (SQLite and the photo folder); use pg_dump and your object store's tools, as docs/operations.md describes")
	}
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("backup folder %s already exists; choose a new one", dir)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create backup folder: %w", err)
	}
	store, err := sqlite.Open(ctx, filepath.Join(cfg.Data, "corkboard.db"))
	if err != nil {
		return err
	}
	defer store.Close()
	// The database goes first: a photo stored after this moment belongs
	// to a post the copy does not have, and is harmless extra.
	if err := store.Backup(ctx, filepath.Join(dir, "corkboard.db")); err != nil {
		return err
	}
	return copyTree(filepath.Join(cfg.Data, "photos"), filepath.Join(dir, "photos"))
}

// Restore copies a backup made by Backup into the data folder, which must
// not contain a database yet, so a restore never overwrites a live board.
func Restore(cfg Config, dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "corkboard.db")); err != nil {
		return fmt.Errorf("%s is not a Corkboard backup: %w", dir, err)
	}
	target := filepath.Join(cfg.Data, "corkboard.db")
	if _, err := os.Stat(target); err == nil {
		return fmt.Errorf("%s already contains a database; restore into an empty --data folder", cfg.Data)
	}
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	if err := copyFile(filepath.Join(dir, "corkboard.db"), target); err != nil {
		return err
	}
	return copyTree(filepath.Join(dir, "photos"), filepath.Join(cfg.Data, "photos"))
}

// copyTree copies the regular files under src to dst, keeping the layout.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == src {
			return nil // no photos yet
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(path, filepath.Join(dst, rel))
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Close()
}
