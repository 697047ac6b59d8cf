package mail

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Sender delivers one message. Delivering the same message twice (same ID)
// must not produce two emails where the transport can prevent it.
type Sender interface {
	// Send delivers msg and returns a reference safe to log, such as a file name.
	Send(ctx context.Context, msg Message) (string, error)
}

// Dir is a Sender that writes each message as one RFC 5322 .eml file into a
// folder, for development and the embedded default.
type Dir struct {
	Path string
}

// NewDir creates the folder if needed and returns a Dir sender for it.
func NewDir(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("create outbox folder: %w", err)
	}
	return &Dir{Path: path}, nil
}

// Send writes msg atomically. The file name derives from the message's date
// and ID, so a retried delivery replaces the file instead of adding one.
func (d *Dir) Send(ctx context.Context, msg Message) (string, error) {
	raw, err := msg.Bytes()
	if err != nil {
		return "", err
	}
	local, _, _ := strings.Cut(msg.ID, "@")
	name := msg.Date.UTC().Format("20060102T150405Z") + "-" + local + ".eml"
	tmp, err := os.CreateTemp(d.Path, ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("create outbox file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return "", fmt.Errorf("write outbox file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("write outbox file: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(d.Path, name)); err != nil {
		return "", fmt.Errorf("rename outbox file: %w", err)
	}
	return name, nil
}

// List returns the names of the .eml files in the folder, newest first.
func (d *Dir) List() ([]string, error) {
	entries, err := os.ReadDir(d.Path)
	if err != nil {
		return nil, fmt.Errorf("read outbox folder: %w", err)
	}
	var names []string
	for i := len(entries) - 1; i >= 0; i-- {
		if n := entries[i].Name(); strings.HasSuffix(n, ".eml") {
			names = append(names, n)
		}
	}
	return names, nil
}

// Read returns the raw bytes of one outbox file. The name must be one that
// List returned; anything with a path separator is rejected.
func (d *Dir) Read(name string) ([]byte, error) {
	if name != filepath.Base(name) || !strings.HasSuffix(name, ".eml") || strings.HasPrefix(name, ".") {
		return nil, os.ErrNotExist
	}
	return os.ReadFile(filepath.Join(d.Path, name))
}
