package app_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/app"
	"github.com/corkboard/corkboard/internal/board"
)

// publishPost creates and publishes a post through the API and returns
// its id and manage token.
func (s *testServer) publishPost(fields map[string]any) (id, token string) {
	s.t.Helper()
	before := mailCount(s)
	res := s.postJSON("/api/v1/posts", fields, nil)
	if res.Status != http.StatusAccepted {
		s.t.Fatalf("create: got status %d: %s", res.Status, res.Body)
	}
	var created struct{ ID string }
	json.Unmarshal([]byte(res.Body), &created)
	token = tokenOf(s.t, s.waitForMail(before+1))
	if res := s.do("POST", "/api/v1/manage/publish", nil, map[string]string{"Authorization": "Bearer " + token}); res.Status != http.StatusOK {
		s.t.Fatalf("publish: got status %d: %s", res.Status, res.Body)
	}
	return created.ID, token
}

type listAnswer struct {
	Posts []struct {
		ID    string
		Title string
	}
	NextCursor *string `json:"next_cursor"`
}

func (s *testServer) list(query string) listAnswer {
	s.t.Helper()
	res := s.get("/api/v1/posts?" + query)
	if res.Status != http.StatusOK {
		s.t.Fatalf("list %s: got status %d: %s", query, res.Status, res.Body)
	}
	var out listAnswer
	json.Unmarshal([]byte(res.Body), &out)
	return out
}

func TestExpiryIsImmediate(t *testing.T) {
	s := startServer(t)
	id, _ := s.publishPost(map[string]any{"title": "Free firewood", "category": "free-stuff", "zip": "98101", "email": "c@example.com"})
	region := s.list("category=free-stuff")
	if len(region.Posts) != 1 {
		t.Fatalf("got %d posts before expiry, want 1", len(region.Posts))
	}
	s.get("/seattle/free-stuff/") // fill the cache

	// free-stuff lives 7 days; no sweep runs in between.
	s.Clock.Advance(7*24*time.Hour + time.Second)

	if got := len(s.list("category=free-stuff").Posts); got != 0 {
		t.Errorf("API list: got %d posts after expiry, want 0", got)
	}
	if got := s.get("/api/v1/posts/" + id).Status; got != http.StatusGone {
		t.Errorf("API post: got status %d, want 410", got)
	}
	if page := s.get("/seattle/free-stuff/" + id); page.Status != http.StatusGone || !strings.Contains(page.Body, `href="/seattle/free-stuff/"`) {
		t.Errorf("post page: got status %d, want 410 with a link to its category", page.Status)
	}
	if page := s.get("/seattle/free-stuff/"); strings.Contains(page.Body, "Free firewood") {
		t.Error("category page still lists the expired post")
	}
	if page := s.get("/seattle/"); !strings.Contains(page.Body, "0 live ads") {
		t.Error("region page still counts the expired post")
	}
}

// TestPaginationStable pages through a category while new posts arrive:
// no post is skipped or shown twice.
func TestPaginationStable(t *testing.T) {
	s := startServer(t)
	for i := range 7 {
		s.Clock.Advance(time.Second)
		s.publishPost(map[string]any{"title": fmt.Sprintf("Chair %d", i), "category": "furniture", "zip": "60601", "email": "d@example.com"})
	}

	seen := map[string]int{}
	page := s.list("region=chicago&category=furniture&limit=3")
	for _, p := range page.Posts {
		seen[p.Title]++
	}
	for page.NextCursor != nil {
		s.Clock.Advance(time.Second)
		s.publishPost(map[string]any{"title": "Newer chair", "category": "furniture", "zip": "60601", "email": "d@example.com"})
		page = s.list("region=chicago&category=furniture&limit=3&cursor=" + *page.NextCursor)
		for _, p := range page.Posts {
			seen[p.Title]++
		}
	}
	for i := range 7 {
		if got := seen[fmt.Sprintf("Chair %d", i)]; got != 1 {
			t.Errorf("Chair %d: seen %d times, want 1", i, got)
		}
	}
	if got := seen["Newer chair"]; got != 0 {
		t.Errorf("posts added after the first page appeared %d times on later pages, want 0", got)
	}
}

func TestAPIErrors(t *testing.T) {
	s := startServer(t)
	valid := map[string]any{"title": "Lamp", "category": "household", "zip": "02134", "email": "e@example.com"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range valid {
			m[kk] = vv
		}
		m[k] = v
		return m
	}
	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"negative price", with("price", "-5"), "price"},
		{"exponent price", with("price", "1e3"), "price"},
		{"word price", with("price", "abc"), "price"},
		{"huge price", with("price", "99999999999999"), "price"},
		{"title too long", with("title", strings.Repeat("é", 101)), "title"},
		{"empty title", with("title", "   "), "title"},
		{"body too long", with("body", strings.Repeat("x", 10001)), "body"},
		{"unknown zip", with("zip", "00000"), "zip"},
		{"short zip", with("zip", "2134"), "zip"},
		{"zip as number loses zero", with("zip", 2134), "zip"},
		{"bad email", with("email", "not-an-email"), "email"},
		{"unknown category", with("category", "spaceships"), "category"},
		{"bad phone", with("phone", "call me"), "phone"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := s.postJSON("/api/v1/posts", tc.body, nil)
			if res.Status != http.StatusBadRequest {
				t.Fatalf("got status %d, want 400: %s", res.Status, res.Body)
			}
			var e struct {
				Error struct {
					Code   string
					Fields map[string]string
				}
			}
			json.Unmarshal([]byte(res.Body), &e)
			if e.Error.Code != "invalid" || e.Error.Fields[tc.field] == "" {
				t.Errorf("got %s, want code invalid with a message for %s", res.Body, tc.field)
			}
		})
	}

	t.Run("100 characters is a valid title", func(t *testing.T) {
		if res := s.postJSON("/api/v1/posts", with("title", strings.Repeat("é", 100)), nil); res.Status != http.StatusAccepted {
			t.Errorf("got status %d, want 202: %s", res.Status, res.Body)
		}
	})

	t.Run("malformed JSON is a 400", func(t *testing.T) {
		res := s.do("POST", "/api/v1/posts", strings.NewReader(`{"title":`), map[string]string{"Content-Type": "application/json"})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `"code":"invalid"`) {
			t.Errorf("got status %d %s, want 400 invalid", res.Status, res.Body)
		}
	})

	t.Run("unknown content type is a 415", func(t *testing.T) {
		res := s.do("POST", "/api/v1/posts", strings.NewReader(`x`), map[string]string{"Content-Type": "text/plain"})
		if res.Status != http.StatusUnsupportedMediaType {
			t.Errorf("got status %d, want 415", res.Status)
		}
	})

	t.Run("manage without a token is a 401", func(t *testing.T) {
		if res := s.get("/api/v1/manage"); res.Status != http.StatusUnauthorized {
			t.Errorf("got status %d, want 401", res.Status)
		}
	})

	t.Run("manage with an unknown token is a 404", func(t *testing.T) {
		res := s.do("GET", "/api/v1/manage", nil, map[string]string{"Authorization": "Bearer " + strings.Repeat("A", 43)})
		if res.Status != http.StatusNotFound {
			t.Errorf("got status %d, want 404", res.Status)
		}
	})

	t.Run("unknown manage link is a friendly 404 page", func(t *testing.T) {
		res := s.get("/manage/" + strings.Repeat("B", 43))
		if res.Status != http.StatusNotFound || !strings.Contains(res.Body, "ask for your links again") {
			t.Errorf("got status %d, want 404 with help", res.Status)
		}
	})

	t.Run("idempotency key reused for another body is a 409", func(t *testing.T) {
		key := map[string]string{"Idempotency-Key": "k-1"}
		if res := s.postJSON("/api/v1/posts", valid, key); res.Status != http.StatusAccepted {
			t.Fatalf("got status %d", res.Status)
		}
		if res := s.postJSON("/api/v1/posts", with("title", "Other"), key); res.Status != http.StatusConflict {
			t.Errorf("got status %d, want 409", res.Status)
		}
	})

	t.Run("bad list parameters name the parameter", func(t *testing.T) {
		for _, q := range []string{"limit=0", "limit=abc", "region=atlantis", "cursor=abc"} {
			res := s.get("/api/v1/posts?" + q)
			if res.Status != http.StatusBadRequest {
				t.Errorf("%s: got status %d, want 400", q, res.Status)
			}
		}
	})

	t.Run("zip lookup keeps the leading zero", func(t *testing.T) {
		res := s.get("/api/v1/zip/02134-1234")
		if !strings.Contains(res.Body, `"zip":"02134"`) || !strings.Contains(res.Body, `"region":"boston"`) {
			t.Errorf("got %s", res.Body)
		}
		if got := s.get("/api/v1/posts?zip=02134-1234&miles=5").Status; got != http.StatusOK {
			t.Errorf("search with ZIP+4: got status %d, want 200", got)
		}
		if got := s.get("/api/v1/zip/99999").Status; got != http.StatusNotFound {
			t.Errorf("unknown zip: got status %d, want 404", got)
		}
	})

	t.Run("zip messages tell malformed from unknown", func(t *testing.T) {
		malformed := "Enter a 5-digit ZIP code, like 02134, or a ZIP+4 code, like 02134-1234."
		unknown := "ZIP code 99999 was not found. Check it for typos."
		for _, tc := range []struct {
			path    string
			status  int
			message string
			field   string
		}{
			{"/api/v1/posts?zip=abc", http.StatusBadRequest, "Please correct the search.", malformed},
			{"/api/v1/posts?zip=0213", http.StatusBadRequest, "Please correct the search.", malformed},
			{"/api/v1/posts?zip=02134-12", http.StatusBadRequest, "Please correct the search.", malformed},
			{"/api/v1/posts?zip=99999", http.StatusBadRequest, "Please correct the search.", unknown},
			{"/api/v1/zip/0213", http.StatusBadRequest, "Please correct the marked fields.", malformed},
			{"/api/v1/zip/02134-12", http.StatusBadRequest, "Please correct the marked fields.", malformed},
			{"/api/v1/zip/99999", http.StatusNotFound, "ZIP code 99999 was not found.", unknown},
		} {
			res := s.get(tc.path)
			e := apiErrorOf(t, res)
			if res.Status != tc.status {
				t.Errorf("%s: got status %d, want %d", tc.path, res.Status, tc.status)
			}
			if e.Message != tc.message {
				t.Errorf("%s: got message %q, want %q", tc.path, e.Message, tc.message)
			}
			if e.Fields["zip"] != tc.field {
				t.Errorf("%s: got zip message %q, want %q", tc.path, e.Fields["zip"], tc.field)
			}
		}
	})

	t.Run("boolean parameters take what the message lists", func(t *testing.T) {
		res := s.get("/api/v1/posts?titles_only=maybe")
		if res.Status != http.StatusBadRequest {
			t.Fatalf("got status %d, want 400", res.Status)
		}
		message := apiErrorOf(t, res).Fields["titles_only"]
		if message != "Must be true, false, 1, 0, yes, no, on or off." {
			t.Errorf("got message %q, want the list of accepted values", message)
		}
		for _, value := range []string{"true", "false", "1", "0", "yes", "no", "on", "off", "TRUE"} {
			if !strings.Contains(message, strings.ToLower(value)) {
				t.Errorf("message %q does not list %s", message, value)
			}
			if got := s.get("/api/v1/posts?titles_only=" + value).Status; got != http.StatusOK {
				t.Errorf("titles_only=%s: got status %d, want 200", value, got)
			}
		}
	})
}

// apiError is the body of an API error response.
type apiError struct {
	Code    string
	Message string
	Fields  map[string]string
}

func apiErrorOf(t *testing.T, res response) apiError {
	t.Helper()
	var body struct{ Error apiError }
	if err := json.Unmarshal([]byte(res.Body), &body); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, res.Body)
	}
	return body.Error
}

func TestSecurityHeaders(t *testing.T) {
	s := startServer(t)
	for _, path := range []string{"/", "/new", "/boston/", "/api/v1/regions", "/nowhere"} {
		res := s.get(path)
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: got CSP %q", path, csp)
		}
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: got X-Content-Type-Options %q, want nosniff", path, got)
		}
	}
	if res := s.get("/healthz"); res.Status != http.StatusOK {
		t.Errorf("healthz: got status %d", res.Status)
	}
}

func TestReplyToPoster(t *testing.T) {
	s := startServer(t)
	id, _ := s.publishPost(map[string]any{"title": "Desk", "category": "furniture", "zip": "02134", "email": "owner@example.com"})
	var post struct{ URL string }
	json.Unmarshal([]byte(s.get("/api/v1/posts/"+id).Body), &post)
	path := strings.TrimPrefix(post.URL, s.URL)
	_, csrf := formTokens(t, s.get(path).Body)

	t.Run("missing message keeps the typed email", func(t *testing.T) {
		res := s.postForm(path+"/reply", url.Values{"csrf": {csrf}, "email": {"buyer@example.com"}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `value="buyer@example.com"`) {
			t.Errorf("got status %d, want 400 with the email kept", res.Status)
		}
	})

	t.Run("reply reaches the poster with Reply-To", func(t *testing.T) {
		before := mailCount(s)
		res := s.postForm(path+"/reply", url.Values{"csrf": {csrf}, "email": {"buyer@example.com"}, "message": {"Is it still available?"}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("got status %d, want 303", res.Status)
		}
		msg := s.waitForMail(before + 1)
		for _, want := range []string{"To: owner@example.com", "Reply-To: buyer@example.com", "Is it still available?"} {
			if !strings.Contains(msg, want) {
				t.Errorf("reply mail lacks %q", want)
			}
		}
	})

	t.Run("the poster's address is not on the page", func(t *testing.T) {
		if strings.Contains(s.get(path).Body, "owner@example.com") {
			t.Error("post page shows the poster's email")
		}
	})
}

func TestPostingRateLimit(t *testing.T) {
	s := startServerWith(t, func(c *app.Config) { c.PostBurst = 2 })
	valid := map[string]any{"title": "Lamp", "category": "household", "zip": "02134", "email": "e@example.com"}

	for range 3 {
		if res := s.postJSON("/api/v1/posts", map[string]any{"title": ""}, nil); res.Status != http.StatusBadRequest {
			t.Fatalf("invalid post: got status %d, want 400", res.Status)
		}
	}
	for i := range 2 {
		if res := s.postJSON("/api/v1/posts", valid, nil); res.Status != http.StatusAccepted {
			t.Fatalf("post %d: got status %d, want 202 (invalid requests must not use up the limit)", i+1, res.Status)
		}
	}
	res := s.postJSON("/api/v1/posts", valid, nil)
	if res.Status != http.StatusTooManyRequests {
		t.Errorf("third post: got status %d, want 429", res.Status)
	}
	if res.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}

// checkRetryAfter checks that a 429 response's Retry-After covers the whole
// time until the limit has a token again: at most want seconds, and less
// than a second short of it, because some time passed since the take.
func checkRetryAfter(t *testing.T, what string, res response, want int) {
	t.Helper()
	if res.Status != http.StatusTooManyRequests {
		t.Fatalf("%s: got status %d, want 429: %s", what, res.Status, res.Body)
	}
	got, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil {
		t.Fatalf("%s: got Retry-After %q, want whole seconds", what, res.Header.Get("Retry-After"))
	}
	if got < want-1 || got > want {
		t.Errorf("%s: got Retry-After %d, want %d", what, got, want)
	}
}

// TestRetryAfterFollowsTheLimit runs each rate limit dry and checks that
// its 429 response gives the time until its next token.
func TestRetryAfterFollowsTheLimit(t *testing.T) {
	// One post every ten minutes.
	s := startServerWith(t, func(c *app.Config) { c.PostBurst, c.PostRate = 1, 6 })
	id, token := s.publishPost(map[string]any{"title": "Desk", "category": "furniture", "zip": "02134", "email": "owner@example.com"})

	t.Run("api post", func(t *testing.T) {
		res := s.postJSON("/api/v1/posts", map[string]any{"title": "Lamp", "category": "household", "zip": "02134", "email": "e@example.com"}, nil)
		checkRetryAfter(t, "second post", res, 600)
		if !strings.Contains(res.Body, "10 minutes") {
			t.Errorf("message does not name the wait of 10 minutes: %s", res.Body)
		}
	})

	t.Run("web post", func(t *testing.T) {
		formID, csrf := formTokens(t, s.get("/new").Body)
		res := s.postForm("/new", url.Values{"form_id": {formID}, "csrf": {csrf}, "title": {"Lamp"}, "category": {"household"}, "zip": {"02134"}, "email": {"e@example.com"}})
		checkRetryAfter(t, "web post", res, 600)
	})

	t.Run("photo edit", func(t *testing.T) {
		body, ct := multipartBody(t, map[string]string{"title": "Desk"}, map[string][]byte{"p.jpg": makeJPEG(t, 300, 200)})
		res := s.do("PATCH", "/api/v1/manage", body, map[string]string{"Content-Type": ct, "Authorization": "Bearer " + token})
		checkRetryAfter(t, "photo edit", res, 600)
	})

	t.Run("reply", func(t *testing.T) {
		// Five replies at once, then one every two minutes.
		var post struct{ URL string }
		json.Unmarshal([]byte(s.get("/api/v1/posts/"+id).Body), &post)
		path := strings.TrimPrefix(post.URL, s.URL)
		_, csrf := formTokens(t, s.get(path).Body)
		reply := url.Values{"csrf": {csrf}, "email": {"buyer@example.com"}, "message": {"Is it still available?"}}
		for i := range 5 {
			if res := s.postForm(path+"/reply", reply); res.Status != http.StatusSeeOther {
				t.Fatalf("reply %d: got status %d, want 303", i+1, res.Status)
			}
		}
		checkRetryAfter(t, "sixth reply", s.postForm(path+"/reply", reply), 120)
	})

	t.Run("lost links", func(t *testing.T) {
		// One message per address every ten minutes.
		_, csrf := formTokens(t, s.get("/lost").Body)
		lost := url.Values{"csrf": {csrf}, "email": {"owner@example.com"}}
		if res := s.postForm("/lost", lost); res.Status != http.StatusOK {
			t.Fatalf("first request: got status %d, want 200", res.Status)
		}
		checkRetryAfter(t, "second request", s.postForm("/lost", lost), 600)
	})

	t.Run("alerts", func(t *testing.T) {
		// Ten alerts at once, then one a minute.
		_, csrf := formTokens(t, s.get("/boston/bikes/?q=fixie").Body)
		alert := url.Values{"csrf": {csrf}, "email": {"watcher@example.com"}, "region": {"boston"}, "category": {"bikes"}, "q": {"fixie"}}
		for i := range 10 {
			if res := s.postForm("/alerts", alert); res.Status == http.StatusTooManyRequests {
				t.Fatalf("alert %d: got status 429, want the burst of 10 to pass", i+1)
			}
		}
		checkRetryAfter(t, "eleventh alert", s.postForm("/alerts", alert), 60)
	})
}

func TestReadiness(t *testing.T) {
	s := startServer(t)
	if got := s.get("/readyz").Status; got != http.StatusOK {
		t.Fatalf("got status %d, want 200", got)
	}
	s.Store.Close()
	if got := s.get("/readyz").Status; got != http.StatusServiceUnavailable {
		t.Errorf("with the database closed: got status %d, want 503", got)
	}
	if got := s.get("/healthz").Status; got != http.StatusOK {
		t.Errorf("healthz with the database closed: got status %d, want 200 (the process is alive)", got)
	}
}

// TestFailedListPageStatus checks that a page whose list of posts failed
// is an error page, even when its category counts come from the cache.
func TestFailedListPageStatus(t *testing.T) {
	s := startServer(t)
	if got := s.get("/boston/").Status; got != http.StatusOK {
		t.Fatalf("region page: got status %d, want 200", got)
	}
	s.Store.Close()

	cursor := board.EncodeCursor(board.Cursor{BumpedAt: time.Now(), ID: board.NewPostID()})
	for _, path := range []string{"/boston/?after=" + cursor, "/boston/household/?after=" + cursor} {
		res := s.get(path)
		if res.Status != http.StatusInternalServerError {
			t.Errorf("%s with the database closed: got status %d, want 500", path, res.Status)
		}
		if !strings.Contains(res.Body, "The search failed") {
			t.Errorf("%s with the database closed: page lacks the failure message", path)
		}
	}
}

func TestMetrics(t *testing.T) {
	s := startServer(t)
	s.publishPost(map[string]any{"title": "Lamp", "category": "household", "zip": "02134", "email": "e@example.com"})
	s.get("/boston/household/")
	s.get("/boston/household/")
	s.get("/boston/does-not-exist/")
	s.do("INVENTEDMETHOD", "/boston/", nil, nil)

	body := s.get("/metrics").Body
	for _, want := range []string{
		`corkboard_http_requests_total{method="GET",route="GET /{region}/{category}/{$}",status="200"} 2`,
		`corkboard_http_requests_total{method="POST",route="POST /api/v1/posts",status="202"} 1`,
		`corkboard_cache_requests_total{result="hit"}`,
		`corkboard_mail_outbox_depth 0`,
		`corkboard_job_runs_total{job="mail",result="ok"} 1`,
		`corkboard_http_request_duration_seconds_bucket`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "does-not-exist") {
		t.Error("a request path became a label value, want only route patterns")
	}
	if strings.Contains(body, "INVENTEDMETHOD") {
		t.Error("an invented method became a label value, want OTHER")
	}
	if !strings.Contains(body, `method="OTHER"`) {
		t.Error(`metrics lack method="OTHER" for the invented method`)
	}
}

// TestRedisDownKeepsAnswering runs the site with its cache pointed at a
// closed port: pages are served from the database, without errors.
func TestRedisDownKeepsAnswering(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	s := startServerWith(t, func(c *app.Config) { c.RedisURL = "redis://" + closed + "/0" })
	s.publishPost(map[string]any{"title": "Lamp", "category": "household", "zip": "02134", "email": "e@example.com"})
	for range 3 {
		res := s.get("/boston/household/")
		if res.Status != http.StatusOK || !strings.Contains(res.Body, "Lamp") {
			t.Fatalf("got status %d without the post, want 200 with it", res.Status)
		}
	}
}

// TestRedisCacheInvalidates runs the site on a real Redis and checks that
// an edit shows at once on a cached page.
func TestRedisCacheInvalidates(t *testing.T) {
	redisURL := os.Getenv("CORKBOARD_TEST_REDIS_URL")
	if redisURL == "" {
		t.Skip("set CORKBOARD_TEST_REDIS_URL, such as redis://127.0.0.1:6379/15, to run the Redis tests")
	}
	s := startServerWith(t, func(c *app.Config) { c.RedisURL = redisURL })
	_, token := s.publishPost(map[string]any{"title": "Lamp " + t.Name(), "category": "household", "zip": "02134", "email": "e@example.com"})
	s.get("/boston/household/")
	s.get("/boston/household/") // cached now
	if res := s.postJSONMethod("PATCH", "/api/v1/manage", map[string]any{"title": "Desk lamp"}, token); res.Status != http.StatusOK {
		t.Fatalf("edit: got status %d", res.Status)
	}
	if page := s.get("/boston/household/").Body; !strings.Contains(page, "Desk lamp") {
		t.Error("the cached category page still shows the old title after the edit")
	}
}

func TestChangesMarkTheClientFresh(t *testing.T) {
	s := startServer(t)
	res := s.postJSON("/api/v1/posts", map[string]any{"title": "Lamp", "category": "household", "zip": "02134", "email": "e@example.com"}, nil)
	if !strings.Contains(res.Header.Get("Set-Cookie"), "cb_fresh=") {
		t.Errorf("a change sets no read-your-writes cookie: %q", res.Header.Get("Set-Cookie"))
	}
	if got := s.get("/boston/").Header.Get("Set-Cookie"); got != "" {
		t.Errorf("a GET sets a cookie %q, want none", got)
	}
	bad := s.postJSON("/api/v1/posts", map[string]any{"title": ""}, nil)
	if strings.Contains(bad.Header.Get("Set-Cookie"), "cb_fresh=") {
		t.Error("a rejected change sets the cookie, want none")
	}
}

// TestEditsShowAtOnce warms every cached view of a post, edits it, and
// checks that none of them shows the old title.
func TestEditsShowAtOnce(t *testing.T) {
	s := startServer(t)
	id, token := s.publishPost(map[string]any{"title": "Old lamp", "category": "household", "zip": "02134", "email": "e@example.com"})
	views := []string{"/api/v1/posts/" + id, "/api/v1/posts?region=boston", "/api/v1/posts?region=boston&q=lamp", "/boston/household/", "/boston/?q=lamp"}
	for _, v := range views {
		s.get(v)
		if body := s.get(v).Body; !strings.Contains(body, "Old lamp") {
			t.Fatalf("%s does not show the post before the edit", v)
		}
	}
	if res := s.postJSONMethod("PATCH", "/api/v1/manage", map[string]any{"title": "New lamp"}, token); res.Status != http.StatusOK {
		t.Fatalf("edit: got status %d", res.Status)
	}
	for _, v := range views {
		if body := s.get(v).Body; strings.Contains(body, "Old lamp") || !strings.Contains(body, "New lamp") {
			t.Errorf("%s still shows the old title after the edit", v)
		}
	}
}

// TestBreadcrumbs checks that region, category and post pages share one
// breadcrumb trail: an ordered list in a labelled nav, from all regions to
// the current page, which is marked as such.
func TestBreadcrumbs(t *testing.T) {
	s := startServer(t)
	id, _ := s.publishPost(map[string]any{"title": "Brass lamp", "category": "household", "zip": "02134", "email": "l@example.com"})
	var post struct{ URL string }
	json.Unmarshal([]byte(s.get("/api/v1/posts/"+id).Body), &post)
	postPath := strings.TrimPrefix(post.URL, s.URL)
	crumbs := regexp.MustCompile(`(?s)<nav class="crumbs" aria-label="Breadcrumb">\s*<ol>(.*?)</ol>\s*</nav>`)
	item := regexp.MustCompile(`<li><a href="([^"]*)"( aria-current="page")?>([^<]*)</a></li>`)

	for _, tc := range []struct {
		page string
		want []string // text and target of each link
	}{
		{"/boston/", []string{"All regions /", "Boston /boston/"}},
		{"/boston/household/", []string{"All regions /", "Boston /boston/", "Household items /boston/household/"}},
		{postPath, []string{"All regions /", "Boston /boston/", "Household items /boston/household/", "Brass lamp " + postPath}},
	} {
		t.Run(tc.page, func(t *testing.T) {
			body := s.get(tc.page).Body
			trails := crumbs.FindAllStringSubmatch(body, -1)
			if len(trails) != 1 {
				t.Fatalf("got %d breadcrumb trails, want 1", len(trails))
			}
			items := item.FindAllStringSubmatch(trails[0][1], -1)
			var got []string
			for i, m := range items {
				got = append(got, m[3]+" "+m[1])
				if current := m[2] != ""; current != (i == len(items)-1) {
					t.Errorf("item %q: got aria-current %v, want it on the last item only", m[3], current)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got trail %q, want %q", got, tc.want)
			}
		})
	}
}
