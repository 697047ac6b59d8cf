package app_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/corkboard/corkboard/internal/app"
)

func TestBackupAndRestore(t *testing.T) {
	if os.Getenv("CORKBOARD_TEST_APP_STORE") == "postgres" {
		t.Skip("backup and restore cover the embedded default; PostgreSQL uses pg_dump (docs/operations.md)")
	}
	s := startServer(t)
	res, before := s.createWithPhoto("p.jpg", makeJPEG(t, 320, 240))
	s.storedPhotos(res, before) // publishes the post
	page := s.get("/boston/electronics/").Body
	if !strings.Contains(page, "Photo test") {
		t.Fatal("post not listed before the backup")
	}

	backup := filepath.Join(t.TempDir(), "backup")
	if err := app.Backup(context.Background(), s.Config, backup); err != nil {
		t.Fatalf("backup of a running board: %v", err)
	}
	if err := app.Backup(context.Background(), s.Config, backup); err == nil {
		t.Error("second backup into the same folder: got no error, want one")
	}

	restored := startServerWith(t, func(c *app.Config) {
		if err := app.Restore(app.Config{Data: c.Data}, backup); err != nil {
			t.Fatalf("restore: %v", err)
		}
	})
	list := restored.get("/boston/electronics/").Body
	if !strings.Contains(list, "Photo test") {
		t.Fatal("restored board does not list the post")
	}
	thumb := regexpPhoto.FindString(list)
	if got := restored.get(thumb).Status; got != http.StatusOK {
		t.Errorf("restored photo %s: got status %d, want 200", thumb, got)
	}
	if err := app.Restore(restored.Config, backup); err == nil {
		t.Error("restore over a live database: got no error, want one")
	}
}

var regexpPhoto = regexp.MustCompile(`/photos/[0-9a-f]{64}\.jpg`)
