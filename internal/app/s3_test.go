package app_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/corkboard/corkboard/internal/app"
)

// TestPhotosOnS3 runs a post with a photo through a server whose photos
// live in an S3-compatible store: gofakes3 served over HTTP on loopback.
func TestPhotosOnS3(t *testing.T) {
	fake := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer fake.Close()
	s := startServerWith(t, func(c *app.Config) {
		c.S3.Endpoint = strings.TrimPrefix(fake.URL, "http://")
		c.S3.Bucket = "photos"
		c.S3.Region = "us-east-1"
		c.S3.AccessKey, c.S3.SecretKey = "key", "secret"
		c.S3.PathStyle = true
		c.S3.CreateBucket = true
	})

	res, before := s.createWithPhoto("p.jpg", makeJPEG(t, 640, 480))
	stored := s.storedPhotos(res, before)
	if len(stored) != 2 {
		t.Fatalf("got %d photo sizes, want 2", len(stored))
	}
	for i, data := range stored {
		if !strings.HasPrefix(string(data), "\xff\xd8") {
			t.Errorf("size %d is not a JPEG", i)
		}
	}
	if n := countFiles(t, s.Config.Data+"/photos"); n != 0 {
		t.Errorf("got %d files on local disk, want none with S3", n)
	}

	token := tokenOf(t, s.waitForMail(before+1))
	if res := s.do("DELETE", "/api/v1/manage", nil, map[string]string{"Authorization": "Bearer " + token}); res.Status != http.StatusNoContent {
		t.Fatalf("delete: got status %d", res.Status)
	}
}
