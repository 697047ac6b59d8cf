package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corkboard/corkboard/internal/app"
)

// clock is a settable time source shared by the service and the test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testServer is a Corkboard running on a loopback port with its own data
// folder, stopped when the test ends.
type testServer struct {
	*app.App
	URL   string
	Clock *clock
	t     testing.TB
}

func startServer(t testing.TB) *testServer {
	t.Helper()
	return startServerWith(t, nil)
}

// startServerWith starts a server after adjust changed its configuration.
func startServerWith(t testing.TB, adjust func(*app.Config)) *testServer {
	t.Helper()
	data := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cfg := app.Config{Addr: "127.0.0.1:0", Data: data, LogFormat: "text", PostBurst: 1000, PostRate: 60, Nearby: 100, ReplicaMaxLag: 5 * time.Second,
		PhotoMaxMP: 50, PhotoMaxMB: 20, PhotoWorkers: 2}
	if os.Getenv("CORKBOARD_TEST_APP_STORE") == "postgres" {
		cfg.DatabaseURL = postgresSchema(t)
	}
	if adjust != nil {
		adjust(&cfg)
	}
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	if err := a.Listen(); err != nil {
		t.Fatalf("listen: %v", err)
	}
	c := &clock{now: time.Now().UTC()}
	a.Service.Now = c.Now
	a.Worker.Now = c.Now
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		a.Close()
	})
	return &testServer{App: a, URL: a.BaseURL(), Clock: c, t: t}
}

// with returns the server bound to a subtest, so its helpers fail that
// subtest.
func (s *testServer) with(t testing.TB) *testServer {
	c := *s
	c.t = t
	return &c
}

// postgresSchema creates an empty schema in the database named by
// CORKBOARD_TEST_DATABASE_URL, drops it when the test ends, and returns a
// URL whose connections use it.
func postgresSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv("CORKBOARD_TEST_DATABASE_URL")
	if base == "" {
		t.Fatal("CORKBOARD_TEST_APP_STORE=postgres needs CORKBOARD_TEST_DATABASE_URL")
	}
	conn, err := pgx.Connect(context.Background(), base)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer conn.Close(context.Background())
	var b [6]byte
	rand.Read(b[:])
	schema := "app_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(context.Background(), "CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	return u.String()
}

// client does not follow redirects, so tests can check them.
var client = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

type response struct {
	Status int
	Header http.Header
	Body   string
}

func (s *testServer) do(method, path string, body io.Reader, header map[string]string) response {
	s.t.Helper()
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if h := header["Host"]; h != "" {
		req.Host = h
	}
	res, err := client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

func (s *testServer) get(path string) response { return s.do("GET", path, nil, nil) }

func (s *testServer) postForm(path string, form url.Values) response {
	return s.do("POST", path, strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

func (s *testServer) postJSON(path string, v any, header map[string]string) response {
	b, _ := json.Marshal(v)
	h := map[string]string{"Content-Type": "application/json"}
	for k, v := range header {
		h[k] = v
	}
	return s.do("POST", path, bytes.NewReader(b), h)
}

// multipartBody builds a multipart/form-data body with fields and files.
func multipartBody(t testing.TB, fields map[string]string, files map[string][]byte) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	for name, data := range files {
		part, err := w.CreateFormFile("images", name)
		if err != nil {
			t.Fatal(err)
		}
		part.Write(data)
	}
	w.Close()
	return &buf, w.FormDataContentType()
}

// makeJPEG encodes a w×h test picture with a gradient.
func makeJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var manageLink = regexp.MustCompile(`https?://[^\s"<>]+/manage/[A-Za-z0-9_-]{43}`)

// waitForMail waits until the outbox holds n messages and returns the
// newest one's raw bytes.
func (s *testServer) waitForMail(n int) string {
	s.t.Helper()
	dir := filepath.Join(s.Config.Data, "outbox")
	deadline := time.Now().Add(10 * time.Second)
	for {
		names, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		if len(names) >= n {
			newest, newestTime := "", time.Time{}
			for _, name := range names {
				if fi, err := os.Stat(name); err == nil && !fi.ModTime().Before(newestTime) {
					newest, newestTime = name, fi.ModTime()
				}
			}
			b, err := os.ReadFile(newest)
			if err != nil {
				s.t.Fatal(err)
			}
			return string(b)
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("outbox has %d messages after 10s, want %d", len(names), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mailCount(s *testServer) int {
	names, _ := filepath.Glob(filepath.Join(s.Config.Data, "outbox", "*.eml"))
	return len(names)
}

// tokenOf extracts the manage token from a message.
func tokenOf(t testing.TB, msg string) string {
	t.Helper()
	link := manageLink.FindString(msg)
	if link == "" {
		t.Fatalf("no manage link in message:\n%s", msg)
	}
	return link[len(link)-43:]
}

var hiddenInput = regexp.MustCompile(`name="(form_id|csrf)" value="([^"]+)"`)

// formTokens returns the hidden form_id and csrf values of a page.
func formTokens(t testing.TB, page string) (formID, csrf string) {
	t.Helper()
	for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
		switch m[1] {
		case "form_id":
			formID = m[2]
		case "csrf":
			csrf = m[2]
		}
	}
	if csrf == "" {
		t.Fatalf("no csrf field in page")
	}
	return formID, csrf
}

// sharedData returns the path of a file in the shared test data, or skips
// the test when it is absent. The message names the path from the
// repository root, as the README does, not from this package.
func sharedData(t testing.TB, parts ...string) string {
	t.Helper()
	path := filepath.Join(append([]string{"..", "..", "..", "shared", "data"}, parts...)...)
	if _, err := os.Stat(path); err != nil {
		fromRepo := filepath.Join(append([]string{"..", "shared", "data"}, parts...)...)
		t.Skipf("shared test data is absent: %s next to the repository is missing", fromRepo)
	}
	return path
}
