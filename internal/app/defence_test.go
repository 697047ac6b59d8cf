package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/corkboard/corkboard/internal/app"
)

func TestFormBodiesAreCapped(t *testing.T) {
	s := startServer(t)
	big := strings.Repeat("x", 200<<10)
	for _, path := range []string{"/lost", "/manage/" + strings.Repeat("A", 43) + "/publish"} {
		res := s.do("POST", path, strings.NewReader("email="+big), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		if res.Status != http.StatusRequestEntityTooLarge && res.Status != http.StatusBadRequest {
			t.Errorf("%s with a 200 KB body: got status %d, want 413 or 400", path, res.Status)
		}
	}
	res := s.postJSON("/api/v1/posts", map[string]any{"title": "x", "body": strings.Repeat("y", 2<<20)}, nil)
	if res.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MB JSON: got status %d, want 413", res.Status)
	}
}

func TestPendingPhotosAreNotPublic(t *testing.T) {
	s := startServer(t)
	before := mailCount(s)
	res, _ := s.createWithPhoto("p.jpg", makeJPEG(t, 300, 200))
	if res.Status != http.StatusAccepted {
		t.Fatalf("got status %d", res.Status)
	}
	token := tokenOf(t, s.waitForMail(before+1))
	var post struct {
		Images []struct {
			ThumbURL string `json:"thumb_url"`
		}
	}
	json.Unmarshal([]byte(s.do("GET", "/api/v1/manage", nil, map[string]string{"Authorization": "Bearer " + token}).Body), &post)
	path := strings.TrimPrefix(post.Images[0].ThumbURL, s.URL)
	if got := s.get(path).Status; got != http.StatusNotFound {
		t.Errorf("public URL of a pending photo: got status %d, want 404", got)
	}
	key := path[strings.LastIndexByte(path, '/')+1:]
	owner := s.get("/manage/" + token + "/photo/" + key)
	if owner.Status != http.StatusOK || owner.Header.Get("Cache-Control") != "private, no-store" {
		t.Errorf("owner's view: got status %d cache %q, want 200 private", owner.Status, owner.Header.Get("Cache-Control"))
	}
}

func TestParallelPostsRespectTheLimit(t *testing.T) {
	s := startServerWith(t, func(c *app.Config) { c.PostBurst = 3 })
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, _ := json.Marshal(map[string]any{"title": "Lamp", "category": "household", "zip": "02134", "email": "e@example.com"})
			res := s.do("POST", "/api/v1/posts", bytes.NewReader(b), map[string]string{"Content-Type": "application/json"})
			if res.Status == http.StatusAccepted {
				mu.Lock()
				created++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if created != 3 {
		t.Errorf("got %d posts from 12 parallel requests, want the burst of 3", created)
	}
}

func TestDevOutbox(t *testing.T) {
	t.Run("off unless turned on", func(t *testing.T) {
		s := startServer(t)
		if got := s.get("/dev/outbox").Status; got != http.StatusNotFound {
			t.Errorf("got status %d, want 404", got)
		}
	})
	t.Run("rejects a foreign Host header", func(t *testing.T) {
		s := startServerWith(t, func(c *app.Config) { c.DevOutbox = true })
		if got := s.get("/dev/outbox").Status; got != http.StatusOK {
			t.Errorf("from this machine: got status %d, want 200", got)
		}
		if got := s.do("GET", "/dev/outbox", nil, map[string]string{"Host": "attacker.example"}).Status; got != http.StatusNotFound {
			t.Errorf("with Host attacker.example: got status %d, want 404", got)
		}
	})
}

// TestMetricsHostCheck checks that /metrics without a token serves only
// requests that name this machine in the Host header, which a web page
// that rebinds its own domain to 127.0.0.1 cannot do. A scraper with the
// token may use any Host.
func TestMetricsHostCheck(t *testing.T) {
	t.Run("without a token", func(t *testing.T) {
		s := startServer(t)
		if got := s.get("/metrics").Status; got != http.StatusOK {
			t.Errorf("with Host 127.0.0.1: got status %d, want 200", got)
		}
		if got := s.do("GET", "/metrics", nil, map[string]string{"Host": "localhost"}).Status; got != http.StatusOK {
			t.Errorf("with Host localhost: got status %d, want 200", got)
		}
		if got := s.do("GET", "/metrics", nil, map[string]string{"Host": "evil.example"}).Status; got != http.StatusNotFound {
			t.Errorf("with Host evil.example: got status %d, want 404", got)
		}
	})
	t.Run("with a token", func(t *testing.T) {
		s := startServerWith(t, func(c *app.Config) { c.MetricsToken = "scrape-secret" })
		scraper := map[string]string{"Host": "evil.example", "Authorization": "Bearer scrape-secret"}
		if got := s.do("GET", "/metrics", nil, scraper).Status; got != http.StatusOK {
			t.Errorf("with the token and Host evil.example: got status %d, want 200", got)
		}
		if got := s.get("/metrics").Status; got != http.StatusNotFound {
			t.Errorf("without the token: got status %d, want 404", got)
		}
	})
}

func TestEditRemovesDroppedPhotoFiles(t *testing.T) {
	s := startServer(t)
	res, before := s.createWithPhoto("p.jpg", makeJPEG(t, 300, 200))
	stored := s.storedPhotos(res, before)
	if len(stored) != 2 {
		t.Fatalf("got %d files, want 2", len(stored))
	}
	token := tokenOf(t, s.waitForMail(before+1))
	var post struct {
		Images []struct {
			ThumbURL string `json:"thumb_url"`
		}
	}
	json.Unmarshal([]byte(s.do("GET", "/api/v1/manage", nil, map[string]string{"Authorization": "Bearer " + token}).Body), &post)
	edit := s.postJSONMethod("PATCH", "/api/v1/manage", map[string]any{"remove_images": []string{post.Images[0].ThumbURL}}, token)
	if edit.Status != http.StatusOK {
		t.Fatalf("edit: got status %d: %s", edit.Status, edit.Body)
	}
	if n := countFiles(t, s.Config.Data+"/photos"); n != 0 {
		t.Errorf("got %d files after removing the only photo, want 0", n)
	}
}

// TestPostBodyFollowsPhotoLimit checks that the request size bound of a new
// post follows --photo-max-mb and that the 413 message names that size.
func TestPostBodyFollowsPhotoLimit(t *testing.T) {
	s := startServerWith(t, func(c *app.Config) { c.PhotoMaxMB = 1 })
	// Twelve photos of 1 MB plus 1 MB for the fields is 13 MB, so 14 MB
	// is too large.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("title", "Big photo")
	part, err := mw.CreateFormFile("photos", "big.jpg")
	if err != nil {
		t.Fatal(err)
	}
	part.Write(bytes.Repeat([]byte("x"), 14<<20))
	mw.Close()
	res := s.do("POST", "/api/v1/posts", &body, map[string]string{"Content-Type": mw.FormDataContentType()})
	if res.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("14 MB body with 1 MB photos: got status %d, want 413", res.Status)
	}
	if want := "Photos can be up to 1 MB each, 12 per post."; !strings.Contains(res.Body, want) {
		t.Errorf("413 body %q, want it to contain %q", res.Body, want)
	}
}

// TestFormEncodedPostsAreCapped posts form-encoded bodies just over 1 MB to
// the endpoints that take photos. Only a multipart body there may be
// photo-sized, because net/http reads a form-encoded body whole into
// memory.
func TestFormEncodedPostsAreCapped(t *testing.T) {
	s := startServer(t)
	_, token := s.publishPost(map[string]any{"title": "Lamp", "category": "household", "zip": "02134", "email": "e@example.com"})
	body := "title=" + strings.Repeat("a", 1<<20)
	for _, path := range []string{"/new", "/api/v1/posts", "/manage/" + token + "/edit"} {
		res := s.do("POST", path, strings.NewReader(body), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		if res.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: got status %d, want 413", path, res.Status)
		}
		if len(res.Body) > 64<<10 {
			t.Errorf("%s: got a %d-byte response, want one without the title", path, len(res.Body))
		}
	}
}

// TestReshownFormsClipLongFields sends a 5,000-character title through the
// web forms. The page names the problem and shows the title again cut to
// the maximum of 100 characters plus a tenth, not in full.
func TestReshownFormsClipLongFields(t *testing.T) {
	s := startServer(t)
	long := strings.Repeat("a", 5000)
	titleValue := regexp.MustCompile(`id="title" name="title"[^>]* value="([^"]*)"`)
	echoedTitle := func(t *testing.T, page string) string {
		t.Helper()
		m := titleValue.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no title field in page:\n%s", page)
		}
		return m[1]
	}

	t.Run("new post", func(t *testing.T) {
		formID, csrf := formTokens(t, s.get("/new").Body)
		body, ct := multipartBody(t, map[string]string{"form_id": formID, "csrf": csrf, "title": long, "body": "Blue",
			"category": "furniture", "zip": "10001", "email": "a@example.com"}, nil)
		res := s.do("POST", "/new", body, map[string]string{"Content-Type": ct})
		if res.Status != http.StatusBadRequest {
			t.Fatalf("got status %d, want 400", res.Status)
		}
		if want := "Title is 5000 characters long"; !strings.Contains(res.Body, want) {
			t.Errorf("page lacks %q", want)
		}
		if got := len(echoedTitle(t, res.Body)); got != 110 {
			t.Errorf("got %d characters of the title shown again, want 110", got)
		}
	})

	t.Run("expired new post form", func(t *testing.T) {
		res := s.postForm("/new", url.Values{"title": {strings.Repeat("a", 500<<10)}})
		if res.Status != http.StatusBadRequest {
			t.Fatalf("got status %d, want 400", res.Status)
		}
		if got := len(echoedTitle(t, res.Body)); got != 110 {
			t.Errorf("got %d characters of the title shown again, want 110", got)
		}
	})

	t.Run("edit", func(t *testing.T) {
		_, token := s.publishPost(map[string]any{"title": "Lamp", "category": "household", "zip": "02134", "email": "e@example.com"})
		_, csrf := formTokens(t, s.get("/manage/"+token).Body)
		body, ct := multipartBody(t, map[string]string{"csrf": csrf, "title": long, "body": "Blue"}, nil)
		res := s.do("POST", "/manage/"+token+"/edit", body, map[string]string{"Content-Type": ct})
		if res.Status != http.StatusBadRequest {
			t.Fatalf("got status %d, want 400", res.Status)
		}
		if want := "Title is 5000 characters long"; !strings.Contains(res.Body, want) {
			t.Errorf("page lacks %q", want)
		}
		if got := len(echoedTitle(t, res.Body)); got != 110 {
			t.Errorf("got %d characters of the title shown again, want 110", got)
		}
	})
}

// TestRedirectsStayOnSite requests paths that spell another host in ways
// browsers accept, such as a backslash after the slash or a tab before
// two slashes. No response may send the browser off the site.
func TestRedirectsStayOnSite(t *testing.T) {
	s := startServer(t)
	for _, path := range []string{
		"/%2F%5Cevil.example/?q=",
		"/%5C%5Cevil.example/?q=",
		"/%09%2F%2Fevil.example/?q=",
		"/%2F%5Cevil.example/bikes/?q=",
		"/%2F%2Fevil.example/?q=",
		"//evil.example/?q=",
		"/%2F%5Cevil.example",
		"/%2F%5Cevil.example/bikes",
		"/boston/%2F%5Cevil.example/?q=",
		"/boston/bikes/%2F%5Cevil.example",
	} {
		res := roundTrip(t, s.URL+path)
		if location := res.Header.Get("Location"); location != "" && !onSite(s, location) {
			t.Errorf("%s: got status %d with Location %q, want a path on this site", path, res.StatusCode, location)
		}
	}
	for _, path := range []string{"/%2F%5Cevil.example/?q=", "/%2F%5Cevil.example/bikes/?q=", "/boston/%2F%5Cevil.example/?q="} {
		if got := roundTrip(t, s.URL+path).StatusCode; got != http.StatusNotFound {
			t.Errorf("%s: got status %d, want 404", path, got)
		}
	}
}

// roundTrip sends one GET without the client's redirect handling, which
// rejects a Location it cannot parse before a test can look at it.
func roundTrip(t *testing.T, rawURL string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	res.Body.Close()
	return res
}

// onSite reports whether a Location header names a page of s: a path that
// starts with one slash followed by neither a slash nor a backslash, or an
// absolute URL under the site's own base URL. Browsers drop tabs and line
// breaks anywhere in a URL and control characters and spaces at its
// start, so those are dropped before the check.
func onSite(s *testServer, location string) bool {
	location = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, location)
	location = strings.TrimLeftFunc(location, func(r rune) bool { return r <= ' ' })
	if strings.HasPrefix(location, s.URL+"/") {
		return true
	}
	if location == "/" {
		return true
	}
	return len(location) >= 2 && location[0] == '/' && location[1] != '/' && location[1] != '\\'
}

func TestEmptySearchFieldsRedirect(t *testing.T) {
	s := startServer(t)
	for path, want := range map[string]string{
		"/boston/?q=&min_price=":                "/boston/",
		"/boston/bikes/?q=trek&max_price=":      "/boston/bikes/?q=trek",
		"/boston/bikes/?max_price=&has_image=1": "/boston/bikes/?has_image=1",
	} {
		res := s.get(path)
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != want {
			t.Errorf("%s: got status %d Location %q, want 303 %q", path, res.Status, res.Header.Get("Location"), want)
		}
	}
}

// TestPhotoFailuresAndTheLimit checks which failed posts give their
// reservation back: one rejected before any photo is decoded does, one
// that fails while decoding does not.
func TestPhotoFailuresAndTheLimit(t *testing.T) {
	s := startServerWith(t, func(c *app.Config) { c.PostBurst = 2 })
	photo := makeJPEG(t, 400, 300)
	fields := map[string]string{"title": "Lamp", "category": "household", "zip": "02134", "email": "e@example.com"}
	post := func(files map[string][]byte) response {
		body, ct := multipartBody(t, fields, files)
		return s.do("POST", "/api/v1/posts", body, map[string]string{"Content-Type": ct})
	}

	for i := range 3 {
		res := post(map[string][]byte{"a.jpg": photo, "notes.jpg": []byte("not a photo")})
		if res.Status != http.StatusUnsupportedMediaType {
			t.Fatalf("post %d with a text file: got status %d, want 415: %s", i+1, res.Status, res.Body)
		}
	}
	if res := post(map[string][]byte{"a.jpg": photo, "cut.jpg": photo[:len(photo)/2]}); res.Status != http.StatusBadRequest {
		t.Fatalf("post with a truncated photo: got status %d, want 400: %s", res.Status, res.Body)
	}
	if res := post(map[string][]byte{"a.jpg": photo}); res.Status != http.StatusAccepted {
		t.Fatalf("valid post: got status %d, want 202 (files rejected unread must not use up the limit): %s", res.Status, res.Body)
	}
	if res := post(map[string][]byte{"a.jpg": photo}); res.Status != http.StatusTooManyRequests {
		t.Errorf("valid post after the burst: got status %d, want 429 (the truncated photo was decoded and must count)", res.Status)
	}
}

// TestPhotoEditsCountAgainstTheLimit checks that edits adding photos use
// the post limit, through the API and the web form, and that edits of the
// text alone do not.
func TestPhotoEditsCountAgainstTheLimit(t *testing.T) {
	s := startServerWith(t, func(c *app.Config) { c.PostBurst = 2 })
	photo := makeJPEG(t, 300, 200)
	_, token := s.publishPost(map[string]any{"title": "Lamp", "category": "household", "zip": "02134", "email": "e@example.com"})
	patchPhoto := func() response {
		body, ct := multipartBody(t, map[string]string{"title": "Lamp with photo"}, map[string][]byte{"p.jpg": photo})
		return s.do("PATCH", "/api/v1/manage", body, map[string]string{"Content-Type": ct, "Authorization": "Bearer " + token})
	}

	if res := patchPhoto(); res.Status != http.StatusOK {
		t.Fatalf("first edit with a photo: got status %d, want 200: %s", res.Status, res.Body)
	}
	res := patchPhoto()
	if res.Status != http.StatusTooManyRequests {
		t.Fatalf("edit with a photo after the burst: got status %d, want 429: %s", res.Status, res.Body)
	}
	if !strings.Contains(res.Body, `"images"`) {
		t.Errorf("429 body does not name the images field: %s", res.Body)
	}
	for i := range 3 {
		if res := s.postJSONMethod("PATCH", "/api/v1/manage", map[string]any{"title": "Lamp, fixed typo"}, token); res.Status != http.StatusOK {
			t.Errorf("text edit %d after the burst: got status %d, want 200", i+1, res.Status)
		}
	}

	_, csrf := formTokens(t, s.get("/manage/"+token).Body)
	webFields := map[string]string{"csrf": csrf, "title": "Lamp", "body": "", "price": ""}
	body, ct := multipartBody(t, webFields, map[string][]byte{"p.jpg": photo})
	web := s.do("POST", "/manage/"+token+"/edit", body, map[string]string{"Content-Type": ct})
	if web.Status != http.StatusTooManyRequests {
		t.Errorf("web edit with a photo after the burst: got status %d, want 429", web.Status)
	}
	if !strings.Contains(web.Body, "Too many photo uploads") {
		t.Error("web edit page lacks the message at the photo field")
	}
	body, ct = multipartBody(t, webFields, nil)
	if web := s.do("POST", "/manage/"+token+"/edit", body, map[string]string{"Content-Type": ct}); web.Status != http.StatusSeeOther {
		t.Errorf("web edit of the text after the burst: got status %d, want 303", web.Status)
	}
}

func TestPostWithTwelvePhotos(t *testing.T) {
	s := startServer(t)
	files := map[string][]byte{}
	for i := range 12 {
		files[fmt.Sprintf("p%02d.jpg", i)] = makeJPEG(t, 320+i, 240)
	}
	body, ct := multipartBody(t, map[string]string{"title": "Bike", "category": "bikes", "zip": "02134", "email": "e@example.com"}, files)
	res := s.do("POST", "/api/v1/posts", body, map[string]string{"Content-Type": ct})
	if res.Status != http.StatusAccepted {
		t.Fatalf("got status %d, want 202: %s", res.Status, res.Body)
	}
}

// TestTooLargeMessages checks that each size bound has its own 413
// message, and that only the photo bounds talk about photos.
func TestTooLargeMessages(t *testing.T) {
	s := startServerWith(t, func(c *app.Config) { c.PhotoMaxMB = 1 })
	formEncoded := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for _, tc := range []struct {
		name string
		send func() response
		want string
	}{
		{"photo over the limit", func() response {
			res, _ := s.createWithPhoto("big.jpg", bytes.Repeat([]byte("x"), 1<<20+1))
			return res
		}, "Photo 1 (big.jpg): the file is larger than the 1 MB limit."},
		{"JSON post", func() response {
			return s.postJSON("/api/v1/posts", map[string]any{"title": "x", "body": strings.Repeat("y", 2<<20)}, nil)
		}, "The request body is too large (at most 1 MB)."},
		{"form-encoded post", func() response {
			return s.do("POST", "/new", strings.NewReader("title="+strings.Repeat("a", 1<<20)), formEncoded)
		}, "The form is too large."},
		{"alert form", func() response {
			return s.do("POST", "/alerts", strings.NewReader("q="+strings.Repeat("a", 100<<10)), formEncoded)
		}, "The form is too large."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.send()
			if res.Status != http.StatusRequestEntityTooLarge {
				t.Errorf("got status %d, want 413", res.Status)
			}
			if !strings.Contains(res.Body, tc.want) {
				t.Errorf("response lacks %q:\n%.2000s", tc.want, res.Body)
			}
			if strings.Contains(res.Body, "Photos can be up to") {
				t.Errorf("response talks about the request bound for photos:\n%.2000s", res.Body)
			}
		})
	}
}
