package blobs

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"

	"github.com/corkboard/corkboard/internal/board"
)

const fakeBucket = "corkboard-photos"

// fakeS3 is an in-memory S3 server on a loopback port that records the
// requests it receives, so tests can check what went over the wire.
type fakeS3 struct {
	backend *s3mem.Backend
	server  *httptest.Server

	// noSuchKeyOnDelete makes DELETE of a missing object return 404
	// NoSuchKey instead of 204, which S3-compatible servers may do.
	noSuchKeyOnDelete atomic.Bool

	mu       sync.Mutex
	requests []recordedRequest
}

type recordedRequest struct {
	method string
	path   string
	header http.Header
}

func newFakeS3(t *testing.T) *fakeS3 {
	t.Helper()
	f := &fakeS3{backend: s3mem.New()}
	s3 := gofakes3.New(f.backend).Server()
	f.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, recordedRequest{method: r.Method, path: r.URL.Path, header: r.Header.Clone()})
		f.mu.Unlock()
		if r.Method == http.MethodDelete && f.noSuchKeyOnDelete.Load() {
			bucket, object, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
			if _, err := f.backend.HeadObject(bucket, object); err != nil {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusNotFound)
				io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+
					`<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>`)
				return
			}
		}
		s3.ServeHTTP(w, r)
	}))
	t.Cleanup(f.server.Close)
	return f
}

// config returns settings for this server that create the bucket.
func (f *fakeS3) config() S3Config {
	return S3Config{
		Endpoint:     f.server.Listener.Addr().String(),
		Bucket:       fakeBucket,
		Region:       "us-east-1",
		AccessKey:    "test-access-key",
		SecretKey:    "test-secret-key",
		PathStyle:    true,
		CreateBucket: true,
	}
}

func (f *fakeS3) open(t *testing.T, cfg S3Config) *S3 {
	t.Helper()
	s, err := NewS3(t.Context(), cfg)
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	return s
}

// requestCount returns how many requests arrived so far, and with method
// for path when method is set.
func (f *fakeS3) requestCount(method, path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if method == "" || (r.method == method && r.path == path) {
			n++
		}
	}
	return n
}

// lastRequest returns the latest request with method for path.
func (f *fakeS3) lastRequest(method, path string) (recordedRequest, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.requests) - 1; i >= 0; i-- {
		if r := f.requests[i]; r.method == method && r.path == path {
			return r, true
		}
	}
	return recordedRequest{}, false
}

func TestS3Contract(t *testing.T) {
	f := newFakeS3(t)
	testContract(t, func(t *testing.T) board.Blobs {
		return f.open(t, f.config())
	})
}

func TestS3ContractWithPrefix(t *testing.T) {
	f := newFakeS3(t)
	cfg := f.config()
	cfg.Prefix = "photos/"
	testContract(t, func(t *testing.T) board.Blobs {
		return f.open(t, cfg)
	})
}

// TestS3ContractEnv runs the contract against a server of your choice:
//
//	CORKBOARD_TEST_S3_ENDPOINT    host:port (http), http://host:port or https://host
//	CORKBOARD_TEST_S3_BUCKET      an existing bucket
//	CORKBOARD_TEST_S3_ACCESS_KEY
//	CORKBOARD_TEST_S3_SECRET_KEY
//	CORKBOARD_TEST_S3_REGION      optional
//	CORKBOARD_TEST_S3_PATH_STYLE  optional, "false" for virtual-hosted URLs
//
// Objects go under a random prefix that the test removes afterwards.
func TestS3ContractEnv(t *testing.T) {
	endpoint := os.Getenv("CORKBOARD_TEST_S3_ENDPOINT")
	if endpoint == "" {
		t.Skip("CORKBOARD_TEST_S3_ENDPOINT is not set: skipping the contract against an external S3 server")
	}
	cfg := S3Config{
		Endpoint:  endpoint,
		Bucket:    os.Getenv("CORKBOARD_TEST_S3_BUCKET"),
		Region:    os.Getenv("CORKBOARD_TEST_S3_REGION"),
		AccessKey: os.Getenv("CORKBOARD_TEST_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("CORKBOARD_TEST_S3_SECRET_KEY"),
		PathStyle: os.Getenv("CORKBOARD_TEST_S3_PATH_STYLE") != "false",
		Prefix:    "corkboard-test-" + randomHex(8) + "/",
	}
	if rest, ok := strings.CutPrefix(endpoint, "https://"); ok {
		cfg.Endpoint, cfg.UseTLS = rest, true
	} else if rest, ok := strings.CutPrefix(endpoint, "http://"); ok {
		cfg.Endpoint = rest
	}
	cfg.Endpoint = strings.TrimSuffix(cfg.Endpoint, "/")
	var missing []string
	for _, name := range []string{"CORKBOARD_TEST_S3_BUCKET", "CORKBOARD_TEST_S3_ACCESS_KEY", "CORKBOARD_TEST_S3_SECRET_KEY"} {
		if os.Getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("CORKBOARD_TEST_S3_ENDPOINT is set but these are missing: %s", strings.Join(missing, ", "))
	}

	// An unreachable server fails the test here, within the timeout,
	// instead of skipping it.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	first, err := NewS3(ctx, cfg)
	if err != nil {
		t.Fatalf("CORKBOARD_TEST_S3_ENDPOINT=%s is set but the server is unreachable or rejected the settings: %v", endpoint, err)
	}
	t.Cleanup(func() { removePrefix(t, first) })

	testContract(t, func(t *testing.T) board.Blobs { return first })

	t.Run("stored headers", func(t *testing.T) {
		data, key := randomPhoto(t, 100, ".webp")
		if err := first.Put(t.Context(), key, "", data); err != nil {
			t.Fatalf("Put: %v", err)
		}
		info, err := first.client.StatObject(t.Context(), first.bucket, first.prefix+key, minio.StatObjectOptions{})
		if err != nil {
			t.Fatalf("StatObject: %v", err)
		}
		if info.ContentType != "image/webp" {
			t.Errorf("stored Content-Type %q, want image/webp", info.ContentType)
		}
		if got := info.Metadata.Get("Cache-Control"); got != cacheControl {
			t.Errorf("server stored Cache-Control %q, want %q: without it CDNs and browsers reading the bucket revalidate every photo", got, cacheControl)
		}
	})
}

// removePrefix deletes every object that the test wrote under s.prefix.
func removePrefix(t *testing.T, s *S3) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix, Recursive: true}) {
		if obj.Err != nil {
			t.Errorf("list test objects under %s: %v", s.prefix, obj.Err)
			return
		}
		if err := s.client.RemoveObject(ctx, s.bucket, obj.Key, minio.RemoveObjectOptions{}); err != nil {
			t.Errorf("remove test object %s: %v", obj.Key, err)
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func TestS3PutHeaders(t *testing.T) {
	f := newFakeS3(t)
	s := f.open(t, f.config())
	tests := []struct {
		ext, contentType, want string
	}{
		{".jpg", "image/jpeg", "image/jpeg"},
		{".jpg", "", "image/jpeg"},
		{".png", "IMAGE/PNG", "image/png"},
		{".webp", "", "image/webp"},
		{".avif", "image/avif", "image/avif"},
	}

	for _, tt := range tests {
		data, key := randomPhoto(t, 100, tt.ext)
		if err := s.Put(t.Context(), key, tt.contentType, data); err != nil {
			t.Errorf("Put %s with %q: %v", tt.ext, tt.contentType, err)
			continue
		}
		req, ok := f.lastRequest(http.MethodPut, "/"+fakeBucket+"/"+key)
		if !ok {
			t.Errorf("Put %s sent no PUT request", tt.ext)
			continue
		}
		if got := req.header.Get("Content-Type"); got != tt.want {
			t.Errorf("Put %s with %q sent Content-Type %q, want %q", tt.ext, tt.contentType, got, tt.want)
		}
		if got := req.header.Get("Cache-Control"); got != cacheControl {
			t.Errorf("Put %s sent Cache-Control %q, want %q", tt.ext, got, cacheControl)
		}
		info, err := s.client.StatObject(t.Context(), fakeBucket, key, minio.StatObjectOptions{})
		if err != nil {
			t.Errorf("StatObject %s: %v", key, err)
		} else if info.ContentType != tt.want {
			t.Errorf("stored Content-Type %q, want %q", info.ContentType, tt.want)
		}
	}
}

func TestS3PutContentTypeMismatch(t *testing.T) {
	f := newFakeS3(t)
	s := f.open(t, f.config())
	data, key := randomPhoto(t, 100, ".jpg")
	before := f.requestCount("", "")

	err := s.Put(t.Context(), key, "image/png", data)
	if err == nil || !strings.Contains(err.Error(), "content type") {
		t.Errorf("Put of a .jpg key as image/png: got error %v, want a content type mismatch", err)
	}
	if n := f.requestCount("", "") - before; n != 0 {
		t.Errorf("rejected Put sent %d requests, want 0", n)
	}
}

func TestS3PutExistingSkipsUpload(t *testing.T) {
	f := newFakeS3(t)
	s := f.open(t, f.config())
	data, key := randomPhoto(t, 1000, ".jpg")
	objectPath := "/" + fakeBucket + "/" + key

	for i := range 3 {
		if err := s.Put(t.Context(), key, "image/jpeg", data); err != nil {
			t.Fatalf("Put %d: %v", i+1, err)
		}
	}

	if n := f.requestCount(http.MethodPut, objectPath); n != 1 {
		t.Errorf("three Puts of one key sent %d uploads, want 1", n)
	}
}

func TestS3PutReplacesWrongSize(t *testing.T) {
	f := newFakeS3(t)
	s := f.open(t, f.config())
	data, key := randomPhoto(t, 1000, ".jpg")
	short := data[:10]
	if _, err := s.client.PutObject(t.Context(), fakeBucket, key, bytes.NewReader(short), int64(len(short)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("seed a truncated object: %v", err)
	}

	if err := s.Put(t.Context(), key, "image/jpeg", data); err != nil {
		t.Fatalf("Put: %v", err)
	}

	got, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("Get returned %d bytes, want the %d put over the truncated object", len(got), len(data))
	}
}

func TestS3InvalidKeySendsNothing(t *testing.T) {
	f := newFakeS3(t)
	s := f.open(t, f.config())
	before := f.requestCount("", "")

	s.Put(t.Context(), "../x", "image/jpeg", []byte("x"))
	s.Get(t.Context(), "../x")
	s.Delete(t.Context(), "../x")

	if n := f.requestCount("", "") - before; n != 0 {
		t.Errorf("operations on an invalid key sent %d requests, want 0", n)
	}
}

func TestS3PrefixPlacesObjects(t *testing.T) {
	f := newFakeS3(t)
	cfg := f.config()
	cfg.Prefix = "site/photos/"
	s := f.open(t, cfg)
	data, key := randomPhoto(t, 100, ".png")

	if err := s.Put(t.Context(), key, "", data); err != nil {
		t.Fatalf("Put: %v", err)
	}

	if _, err := f.backend.HeadObject(fakeBucket, "site/photos/"+key); err != nil {
		t.Errorf("object not found under the prefix: %v", err)
	}
	if _, err := f.backend.HeadObject(fakeBucket, key); err == nil {
		t.Errorf("object also found without the prefix")
	}
}

func TestS3DeleteIgnoresNoSuchKey(t *testing.T) {
	f := newFakeS3(t)
	s := f.open(t, f.config())
	f.noSuchKeyOnDelete.Store(true)
	_, key := randomPhoto(t, 10, ".jpg")

	if err := s.Delete(t.Context(), key); err != nil {
		t.Errorf("Delete of a missing key answered with NoSuchKey: %v", err)
	}
	if n := f.requestCount(http.MethodDelete, "/"+fakeBucket+"/"+key); n != 1 {
		t.Errorf("Delete sent %d DELETE requests, want 1", n)
	}
}

func TestS3GetOtherErrors(t *testing.T) {
	f := newFakeS3(t)
	s := f.open(t, f.config())
	data, key := randomPhoto(t, 100, ".jpg")
	if err := s.Put(t.Context(), key, "image/jpeg", data); err != nil {
		t.Fatalf("Put: %v", err)
	}

	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.Get(canceled, key)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Get with a canceled context: got error %v, want context.Canceled", err)
	}

	// A missing bucket is a broken deployment, not a missing photo.
	if err := f.backend.ForceDeleteBucket(fakeBucket); err != nil {
		t.Fatalf("delete bucket: %v", err)
	}
	_, err = s.Get(t.Context(), key)
	if err == nil || errors.Is(err, board.ErrNotFound) {
		t.Errorf("Get from a deleted bucket: got error %v, want an error other than board.ErrNotFound", err)
	}
	if err := s.Delete(t.Context(), key); err == nil {
		t.Errorf("Delete from a deleted bucket returned no error")
	}
}

func TestNewS3Bucket(t *testing.T) {
	f := newFakeS3(t)
	cfg := f.config()
	cfg.CreateBucket = false

	_, err := NewS3(t.Context(), cfg)
	if err == nil || !strings.Contains(err.Error(), fakeBucket) || !strings.Contains(err.Error(), "CreateBucket") {
		t.Errorf("NewS3 without the bucket: got error %v, want one naming the bucket and CreateBucket", err)
	}

	cfg.CreateBucket = true
	f.open(t, cfg)
	if ok, err := f.backend.BucketExists(fakeBucket); err != nil || !ok {
		t.Errorf("CreateBucket did not create %s: exists %v, error %v", fakeBucket, ok, err)
	}

	// Both an existing bucket and a second create must succeed.
	f.open(t, cfg)
	cfg.CreateBucket = false
	f.open(t, cfg)
}

func TestNewS3Unreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := S3Config{Endpoint: addr, Bucket: fakeBucket, Region: "us-east-1", AccessKey: "a", SecretKey: "b", PathStyle: true}

	// The client retries refused connections, so bound the wait.
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	_, err = NewS3(ctx, cfg)
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("NewS3 with nothing listening at %s: got error %v, want one naming the endpoint", addr, err)
	}
}

func TestS3ConfigValidate(t *testing.T) {
	valid := S3Config{Endpoint: "127.0.0.1:9000", Bucket: "photos", AccessKey: "a", SecretKey: "b"}
	tests := []struct {
		name      string
		change    func(*S3Config)
		wantField string // empty when the config is valid
	}{
		{"valid", func(c *S3Config) {}, ""},
		{"bare host", func(c *S3Config) { c.Endpoint = "s3.us-east-1.amazonaws.com" }, ""},
		{"IPv6 endpoint", func(c *S3Config) { c.Endpoint = "[::1]:9000" }, ""},
		{"prefix", func(c *S3Config) { c.Prefix = "site/photos/" }, ""},
		{"prefix without slash", func(c *S3Config) { c.Prefix = "photo-" }, ""},
		{"public base URL", func(c *S3Config) { c.PublicBaseURL = "https://cdn.example/photos/" }, ""},
		{"missing endpoint", func(c *S3Config) { c.Endpoint = "" }, "Endpoint"},
		{"endpoint with scheme", func(c *S3Config) { c.Endpoint = "http://127.0.0.1:9000" }, "Endpoint"},
		{"endpoint with path", func(c *S3Config) { c.Endpoint = "127.0.0.1:9000/photos" }, "Endpoint"},
		{"endpoint without host", func(c *S3Config) { c.Endpoint = ":9000" }, "Endpoint"},
		{"endpoint port 0", func(c *S3Config) { c.Endpoint = "127.0.0.1:0" }, "Endpoint"},
		{"endpoint port name", func(c *S3Config) { c.Endpoint = "127.0.0.1:http" }, "Endpoint"},
		{"missing bucket", func(c *S3Config) { c.Bucket = "" }, "Bucket"},
		{"uppercase bucket", func(c *S3Config) { c.Bucket = "Photos" }, "Bucket"},
		{"short bucket", func(c *S3Config) { c.Bucket = "ph" }, "Bucket"},
		{"missing access key", func(c *S3Config) { c.AccessKey = "" }, "AccessKey"},
		{"missing secret key", func(c *S3Config) { c.SecretKey = "" }, "SecretKey"},
		{"prefix with leading slash", func(c *S3Config) { c.Prefix = "/photos/" }, "Prefix"},
		{"prefix with empty segment", func(c *S3Config) { c.Prefix = "site//photos/" }, "Prefix"},
		{"prefix with dot dot", func(c *S3Config) { c.Prefix = "../photos/" }, "Prefix"},
		{"prefix of one dot", func(c *S3Config) { c.Prefix = "./" }, "Prefix"},
		{"prefix too long", func(c *S3Config) { c.Prefix = strings.Repeat("a", maxPrefixLen+1) }, "Prefix"},
		{"prefix not UTF-8", func(c *S3Config) { c.Prefix = "\xff/" }, "Prefix"},
		{"relative public base URL", func(c *S3Config) { c.PublicBaseURL = "cdn.example/photos" }, "PublicBaseURL"},
		{"ftp public base URL", func(c *S3Config) { c.PublicBaseURL = "ftp://cdn.example" }, "PublicBaseURL"},
		{"public base URL with query", func(c *S3Config) { c.PublicBaseURL = "https://cdn.example/?a=1" }, "PublicBaseURL"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.change(&cfg)
			err := cfg.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Errorf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted the config, want an error naming %s", tt.wantField)
			}
			if !strings.Contains(err.Error(), tt.wantField) {
				t.Errorf("Validate error %q does not name %s", err, tt.wantField)
			}
		})
	}
}

func TestS3PublicURL(t *testing.T) {
	f := newFakeS3(t)
	_, key := randomPhoto(t, 10, ".jpg")

	plain := f.open(t, f.config())
	if got := plain.PublicURL(key); got != "" {
		t.Errorf("PublicURL without PublicBaseURL = %q, want empty", got)
	}

	cfg := f.config()
	cfg.PublicBaseURL = "https://cdn.example/photos/"
	public := f.open(t, cfg)
	if got, want := public.PublicURL(key), "https://cdn.example/photos/"+key; got != want {
		t.Errorf("PublicURL = %q, want %q", got, want)
	}
	if got := public.PublicURL("../x"); got != "" {
		t.Errorf("PublicURL of an invalid key = %q, want empty", got)
	}
}
