package app_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	_ "golang.org/x/image/webp" // lets image.DecodeConfig read the WebP sizes
)

// createWithPhoto posts one photo through the API and returns the response
// and the number of messages in the outbox before the request.
func (s *testServer) createWithPhoto(name string, data []byte) (response, int) {
	s.t.Helper()
	before := mailCount(s)
	body, ct := multipartBody(s.t, map[string]string{
		"title": "Photo test", "category": "electronics", "zip": "02134", "email": "p@example.com",
	}, map[string][]byte{name: data})
	return s.do("POST", "/api/v1/posts", body, map[string]string{"Content-Type": ct}), before
}

// storedPhotos publishes the post just created and returns the bytes of
// every stored size of its photos.
func (s *testServer) storedPhotos(created response, mailsBefore int) [][]byte {
	s.t.Helper()
	if created.Status != http.StatusAccepted {
		s.t.Fatalf("create: got status %d: %s", created.Status, created.Body)
	}
	token := tokenOf(s.t, s.waitForMail(mailsBefore+1))
	if res := s.do("POST", "/api/v1/manage/publish", nil, map[string]string{"Authorization": "Bearer " + token}); res.Status != http.StatusOK {
		s.t.Fatalf("publish: got status %d: %s", res.Status, res.Body)
	}
	var post struct {
		Images []struct {
			ThumbURL string `json:"thumb_url"`
			LargeURL string `json:"large_url"`
		}
	}
	res := s.do("GET", "/api/v1/manage", nil, map[string]string{"Authorization": "Bearer " + token})
	json.Unmarshal([]byte(res.Body), &post)
	var out [][]byte
	for _, img := range post.Images {
		for _, u := range []string{img.ThumbURL, img.LargeURL} {
			r := s.get(strings.TrimPrefix(u, s.URL))
			if r.Status != http.StatusOK {
				s.t.Fatalf("%s: got status %d", u, r.Status)
			}
			out = append(out, []byte(r.Body))
		}
	}
	if len(out) == 0 {
		s.t.Fatal("post has no photos")
	}
	return out
}

func TestPhotosComeOutUpright(t *testing.T) {
	dir := sharedData(t, "images", "orientation")
	s := startServer(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			s := s.with(t)
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for i, stored := range s.storedPhotos(s.createWithPhoto(name, data)) {
				cfg, err := jpeg.DecodeConfig(bytes.NewReader(stored))
				if err != nil {
					t.Fatalf("size %d: not a JPEG: %v", i, err)
				}
				landscape := cfg.Width > cfg.Height
				if want := strings.HasPrefix(name, "landscape"); landscape != want {
					t.Errorf("size %d: got %dx%d, want landscape=%v", i, cfg.Width, cfg.Height, want)
				}
			}
		})
	}
}

// TestNoLocationInStoredPhotos checks every stored size of the photos with
// GPS data for any APP segment or the bytes of EXIF and XMP.
func TestNoLocationInStoredPhotos(t *testing.T) {
	dir := sharedData(t, "images", "gps")
	s := startServer(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s := s.with(t)
			data, _ := os.ReadFile(f)
			if !bytes.Contains(data[:64], []byte("Exif")) {
				t.Fatalf("input has no EXIF block, so the test proves nothing")
			}
			for i, stored := range s.storedPhotos(s.createWithPhoto(filepath.Base(f), data)) {
				for _, marker := range jpegMarkers(t, stored) {
					if marker >= 0xE1 && marker <= 0xEF || marker == 0xFE {
						t.Errorf("size %d: has segment 0x%X (metadata)", i, marker)
					}
				}
				for _, needle := range []string{"Exif", "GPS", "http://ns.adobe.com/xap"} {
					if bytes.Contains(stored, []byte(needle)) {
						t.Errorf("size %d: contains %q", i, needle)
					}
				}
			}
		})
	}
}

// jpegMarkers returns the marker of every segment before the image data.
func jpegMarkers(t *testing.T, data []byte) []byte {
	t.Helper()
	var markers []byte
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			t.Fatalf("malformed JPEG at byte %d", i)
		}
		marker := data[i+1]
		markers = append(markers, marker)
		if marker == 0xDA { // start of scan: entropy-coded data follows
			break
		}
		i += 2 + int(binary.BigEndian.Uint16(data[i+2:]))
	}
	return markers
}

func TestHostilePhotosAreRejected(t *testing.T) {
	s := startServer(t)
	hugePNG := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\xc3\x50\x00\x00\xc3\x50\x08\x06\x00\x00\x00\x00\x00\x00\x00")
	jpegData := makeJPEG(t, 400, 300)
	cases := []struct {
		name, file string
		data       []byte
		status     int
	}{
		{"svg with a script", "x.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), http.StatusUnsupportedMediaType},
		{"html named jpg", "x.jpg", []byte("<!DOCTYPE html><html><body>hi</body></html>"), http.StatusUnsupportedMediaType},
		{"empty file", "empty.jpg", []byte{}, http.StatusUnsupportedMediaType},
		{"png claiming 50000x50000", "big.png", hugePNG, http.StatusBadRequest},
		{"truncated jpeg", "cut.jpg", jpegData[:len(jpegData)/2], http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := s.with(t)
			before := countFiles(t, filepath.Join(s.Config.Data, "photos"))
			res, _ := s.createWithPhoto(tc.file, tc.data)
			if res.Status != tc.status {
				t.Fatalf("got status %d, want %d: %s", res.Status, tc.status, res.Body)
			}
			if !strings.Contains(res.Body, `"images"`) {
				t.Errorf("error does not name the images field: %s", res.Body)
			}
			if after := countFiles(t, filepath.Join(s.Config.Data, "photos")); after != before {
				t.Errorf("got %d stored files after a rejected upload, want %d", after, before)
			}
		})
	}

	t.Run("one bad photo stores nothing of the good one", func(t *testing.T) {
		body, ct := multipartBody(t, map[string]string{
			"title": "Two photos", "category": "electronics", "zip": "02134", "email": "p@example.com",
		}, map[string][]byte{"a-good.jpg": jpegData, "b-bad.jpg": []byte("not a photo")})
		res := s.do("POST", "/api/v1/posts", body, map[string]string{"Content-Type": ct})
		if res.Status != http.StatusUnsupportedMediaType {
			t.Fatalf("got status %d, want 415", res.Status)
		}
		if n := countFiles(t, filepath.Join(s.Config.Data, "photos")); n != 0 {
			t.Errorf("got %d orphan files, want 0", n)
		}
	})
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// TestHEICThroughTheSite posts an iPhone HEIC photo and checks that the
// post page offers WebP with a JPEG fallback, both served upright.
func TestHEICThroughTheSite(t *testing.T) {
	path := filepath.Join(sharedData(t, "images", "heic"), "IMG_5195.HEIC")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t)
	res, before := s.createWithPhoto("IMG_5195.HEIC", data)
	stored := s.storedPhotos(res, before)
	for i, b := range stored {
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("size %d: not a JPEG: %v", i, err)
		}
		if cfg.Height <= cfg.Width {
			t.Errorf("size %d: got %dx%d, want the portrait upright", i, cfg.Width, cfg.Height)
		}
	}

	list := s.get("/boston/electronics/").Body
	if !strings.Contains(list, `type="image/webp"`) {
		t.Fatal("category page offers no WebP thumbnail")
	}
	webp := regexp.MustCompile(`/photos/[0-9a-f]{64}\.webp`).FindString(list)
	r := s.get(webp)
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "image/webp" || !strings.HasPrefix(r.Body, "RIFF") {
		t.Errorf("%s: got status %d type %q, want a WebP file", webp, r.Status, r.Header.Get("Content-Type"))
	}
}

// TestPostPageSrcsetWidths checks that every file the post page offers in
// srcset is listed once, with the width it really has.
func TestPostPageSrcsetWidths(t *testing.T) {
	s := startServer(t)
	srcsetAttribute := regexp.MustCompile(`srcset="([^"]*)"`)
	cases := []struct {
		width, height int
		want          []int
	}{
		{800, 600, []int{800}},
		{1200, 800, []int{1000, 1200}},
		{2400, 1200, []int{1000, 1600}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%dx%d upload", tc.width, tc.height), func(t *testing.T) {
			s := s.with(t)
			res, before := s.createWithPhoto("photo.jpg", makeJPEG(t, tc.width, tc.height))
			if res.Status != http.StatusAccepted {
				t.Fatalf("create: got status %d: %s", res.Status, res.Body)
			}
			token := tokenOf(t, s.waitForMail(before+1))
			published := s.do("POST", "/api/v1/manage/publish", nil, map[string]string{"Authorization": "Bearer " + token})
			var post struct{ URL string }
			json.Unmarshal([]byte(published.Body), &post)
			page := s.get(strings.TrimPrefix(post.URL, s.URL))
			if page.Status != http.StatusOK {
				t.Fatalf("post page: got status %d", page.Status)
			}

			attributes := srcsetAttribute.FindAllStringSubmatch(page.Body, -1)
			if len(attributes) != 2 {
				t.Fatalf("got %d srcset attributes, want 2 (WebP and JPEG)", len(attributes))
			}
			for _, attribute := range attributes {
				var widths []int
				listed := map[string]bool{}
				for _, candidate := range strings.Split(attribute[1], ",") {
					url, descriptor, _ := strings.Cut(strings.TrimSpace(candidate), " ")
					if listed[url] {
						t.Errorf("srcset %q lists %s twice", attribute[1], url)
					}
					listed[url] = true
					var width int
					if _, err := fmt.Sscanf(descriptor, "%dw", &width); err != nil {
						t.Fatalf("srcset %q: descriptor %q is not a width", attribute[1], descriptor)
					}
					widths = append(widths, width)
					if got := storedWidth(t, s, url); got != width {
						t.Errorf("%s: got a file %d pixels wide, want %d as its descriptor states", url, got, width)
					}
				}
				if !slices.Equal(widths, tc.want) {
					t.Errorf("srcset %q: got widths %v, want %v", attribute[1], widths, tc.want)
				}
			}
		})
	}
}

// storedWidth fetches a photo file and returns its width in pixels.
func storedWidth(t *testing.T, s *testServer, path string) int {
	t.Helper()
	res := s.get(path)
	if res.Status != http.StatusOK {
		t.Fatalf("%s: got status %d", path, res.Status)
	}
	cfg, _, err := image.DecodeConfig(strings.NewReader(res.Body))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cfg.Width
}
