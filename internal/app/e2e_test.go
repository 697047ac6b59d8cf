package app_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPostingLifecycle walks one post through its whole life on a real
// server: create with photos, confirm from the outbox, publish, browse,
// edit, renew and delete.
func TestPostingLifecycle(t *testing.T) {
	s := startServer(t)

	body, contentType := multipartBody(t, map[string]string{
		"title": "Trek road bike, 56 cm", "body": "Light and fast.\n\nNew tires.", "price": "$1,200",
		"category": "bikes", "zip": "02134", "email": "rider@example.com", "phone": "(617) 555-0100",
	}, map[string][]byte{"bike.jpg": makeJPEG(t, 1200, 800)})
	res := s.do("POST", "/api/v1/posts", body, map[string]string{"Content-Type": contentType})
	if res.Status != http.StatusAccepted {
		t.Fatalf("create: got status %d, want 202: %s", res.Status, res.Body)
	}
	var created struct{ ID, Status string }
	json.Unmarshal([]byte(res.Body), &created)
	if created.Status != "pending" || created.ID == "" {
		t.Fatalf("create: got %+v, want a pending post with an id", created)
	}
	if strings.Contains(res.Body, "token") {
		t.Errorf("create answer mentions a token: %s", res.Body)
	}

	t.Run("pending post is invisible", func(t *testing.T) {
		if got := s.get("/api/v1/posts/" + created.ID).Status; got != http.StatusNotFound {
			t.Errorf("got status %d, want 404", got)
		}
		if list := s.get("/boston/bikes/"); strings.Contains(list.Body, "Trek road bike") {
			t.Error("category page lists a pending post")
		}
	})

	msg := s.waitForMail(1)
	token := tokenOf(t, msg)
	manage := "/manage/" + token

	t.Run("manage page GET changes nothing", func(t *testing.T) {
		for range 3 {
			res := s.get(manage)
			if res.Status != http.StatusOK {
				t.Fatalf("got status %d, want 200", res.Status)
			}
			if got := res.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("got Cache-Control %q, want no-store", got)
			}
			if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
				t.Errorf("got Referrer-Policy %q, want no-referrer", got)
			}
		}
		if got := s.do("HEAD", manage, nil, nil).Status; got != http.StatusOK {
			t.Errorf("HEAD: got status %d, want 200", got)
		}
		if got := s.get("/api/v1/posts/" + created.ID).Status; got != http.StatusNotFound {
			t.Errorf("after GET and HEAD of the manage page: got status %d, want 404 (still pending)", got)
		}
	})

	t.Run("publish needs the form token", func(t *testing.T) {
		res := s.postForm(manage+"/publish", url.Values{"csrf": {"forged"}})
		if res.Status != http.StatusBadRequest {
			t.Errorf("got status %d, want 400", res.Status)
		}
	})

	_, csrf := formTokens(t, s.get(manage).Body)
	res = s.postForm(manage+"/publish", url.Values{"csrf": {csrf}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("publish: got status %d, want 303: %s", res.Status, res.Body)
	}

	var post struct {
		Title       string
		PriceCents  *int64 `json:"price_cents"`
		Region, ZIP string
		URL         string
		PublishedAt time.Time `json:"published_at"`
		ExpiresAt   time.Time `json:"expires_at"`
		Images      []struct {
			ThumbURL string `json:"thumb_url"`
			LargeURL string `json:"large_url"`
			Width    int
			Height   int
		}
	}
	t.Run("published post is in the API", func(t *testing.T) {
		res := s.get("/api/v1/posts/" + created.ID)
		if res.Status != http.StatusOK {
			t.Fatalf("got status %d, want 200: %s", res.Status, res.Body)
		}
		json.Unmarshal([]byte(res.Body), &post)
		if post.PriceCents == nil || *post.PriceCents != 120000 {
			t.Errorf("got price_cents %v, want 120000", post.PriceCents)
		}
		if post.Region != "boston" || post.ZIP != "02134" {
			t.Errorf("got region %q zip %q, want boston 02134", post.Region, post.ZIP)
		}
		if got, want := post.ExpiresAt.Sub(post.PublishedAt), 30*24*time.Hour; got != want {
			t.Errorf("got lifetime %v, want %v", got, want)
		}
		if len(post.Images) != 1 || post.Images[0].Width != 1200 || post.Images[0].Height != 800 {
			t.Errorf("got images %+v, want one 1200x800", post.Images)
		}
		if strings.Contains(res.Body, "rider@example.com") {
			t.Error("public API shows the email address")
		}
	})

	t.Run("published post is on the category page", func(t *testing.T) {
		res := s.get("/boston/bikes/")
		if !strings.Contains(res.Body, "Trek road bike, 56 cm") || !strings.Contains(res.Body, "$1,200") {
			t.Errorf("category page lacks the post:\n%s", res.Body)
		}
		page := s.get(strings.TrimPrefix(post.URL, s.URL))
		if page.Status != http.StatusOK || !strings.Contains(page.Body, "New tires.") {
			t.Errorf("post page: got status %d, want 200 with the body", page.Status)
		}
	})

	t.Run("photos are served with immutable caching", func(t *testing.T) {
		for _, u := range []string{post.Images[0].ThumbURL, post.Images[0].LargeURL} {
			res := s.get(strings.TrimPrefix(u, s.URL))
			if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "image/jpeg" {
				t.Errorf("%s: got status %d type %q, want 200 image/jpeg", u, res.Status, res.Header.Get("Content-Type"))
			}
			if got := res.Header.Get("Cache-Control"); !strings.Contains(got, "immutable") {
				t.Errorf("got Cache-Control %q, want immutable", got)
			}
		}
	})

	t.Run("publishing twice is a conflict", func(t *testing.T) {
		res := s.do("POST", "/api/v1/manage/publish", nil, map[string]string{"Authorization": "Bearer " + token})
		if res.Status != http.StatusConflict {
			t.Errorf("got status %d, want 409", res.Status)
		}
	})

	t.Run("edit keeps the list position", func(t *testing.T) {
		s.Clock.Advance(time.Hour)
		res := s.postJSONMethod("PATCH", "/api/v1/manage", map[string]any{"title": "Trek road bike, 58 cm", "price": "free"}, token)
		if res.Status != http.StatusOK {
			t.Fatalf("got status %d, want 200: %s", res.Status, res.Body)
		}
		var got struct {
			Title       string
			PriceCents  *int64    `json:"price_cents"`
			PublishedAt time.Time `json:"published_at"`
		}
		json.Unmarshal([]byte(res.Body), &got)
		if got.Title != "Trek road bike, 58 cm" || got.PriceCents == nil || *got.PriceCents != 0 {
			t.Errorf("got title %q price %v, want the edit applied", got.Title, got.PriceCents)
		}
		if !got.PublishedAt.Equal(post.PublishedAt) {
			t.Errorf("got published_at %v, want unchanged %v", got.PublishedAt, post.PublishedAt)
		}
		if page := s.get("/boston/bikes/"); !strings.Contains(page.Body, "58 cm") {
			t.Error("category page still shows the old title after the edit")
		}
	})

	t.Run("renew before 48 hours is refused with a time", func(t *testing.T) {
		_, csrf := formTokens(t, s.get(manage).Body)
		res := s.postForm(manage+"/renew", url.Values{"csrf": {csrf}})
		if res.Status != http.StatusConflict {
			t.Fatalf("got status %d, want 409", res.Status)
		}
		if !strings.Contains(res.Body, "You can renew this post from") {
			t.Errorf("renew refusal does not say when: %s", res.Body)
		}
	})

	t.Run("renew after 48 hours restarts the lifetime", func(t *testing.T) {
		s.Clock.Advance(48 * time.Hour)
		res := s.do("POST", "/api/v1/manage/renew", nil, map[string]string{"Authorization": "Bearer " + token})
		if res.Status != http.StatusOK {
			t.Fatalf("got status %d, want 200: %s", res.Status, res.Body)
		}
		var got struct {
			ExpiresAt time.Time `json:"expires_at"`
		}
		json.Unmarshal([]byte(res.Body), &got)
		if want := s.Clock.Now().Add(30 * 24 * time.Hour).Truncate(time.Microsecond); !got.ExpiresAt.Equal(want) {
			t.Errorf("got expires_at %v, want %v", got.ExpiresAt, want)
		}
	})

	t.Run("delete asks for confirmation, then answers 410", func(t *testing.T) {
		_, csrf := formTokens(t, s.get(manage).Body)
		res := s.postForm(manage+"/delete", url.Values{"csrf": {csrf}})
		if res.Status != http.StatusOK || !strings.Contains(res.Body, "Yes, delete it") {
			t.Fatalf("got status %d without a confirmation, want 200 with one", res.Status)
		}
		if got := s.get("/api/v1/posts/" + created.ID).Status; got != http.StatusOK {
			t.Fatalf("post gone before confirmation: status %d", got)
		}
		res = s.postForm(manage+"/delete", url.Values{"csrf": {csrf}, "confirm": {"yes"}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("confirm: got status %d, want 303", res.Status)
		}
		if got, want := res.Header.Get("Location"), manage+"?done=deleted"; got != want {
			t.Errorf("confirm: got Location %q, want %q", got, want)
		}
		if page := s.get(manage + "?done=deleted"); !strings.Contains(page.Body, `<p class="notice" role="status">Your post is deleted.</p>`) {
			t.Errorf("manage page after the delete lacks the notice:\n%s", page.Body)
		}
		if got := s.get("/api/v1/posts/" + created.ID).Status; got != http.StatusGone {
			t.Errorf("API: got status %d, want 410", got)
		}
		if got := s.get(strings.TrimPrefix(post.URL, s.URL)).Status; got != http.StatusGone {
			t.Errorf("post page: got status %d, want 410", got)
		}
		if got := s.get(strings.TrimPrefix(post.Images[0].LargeURL, s.URL)).Status; got != http.StatusNotFound {
			t.Errorf("photo: got status %d, want 404", got)
		}
		if got := s.get(manage).Status; got != http.StatusGone {
			t.Errorf("manage page: got status %d, want 410", got)
		}
		if page := s.get("/boston/bikes/"); strings.Contains(page.Body, "Trek road bike") {
			t.Error("category page still lists the deleted post")
		}
	})

	t.Run("deleted post page links its lists", func(t *testing.T) {
		page := s.get(strings.TrimPrefix(post.URL, s.URL))
		if page.Status != http.StatusGone {
			t.Fatalf("got status %d, want 410", page.Status)
		}
		for _, want := range []string{
			"This post was deleted by its author.",
			`<a href="/boston/bikes/">Bikes in Boston</a>`,
			`<a href="/boston/">All ads in Boston</a>`,
			`<a href="/">Go to the home page</a>`,
		} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("deleted post page lacks %s", want)
			}
		}
	})

	t.Run("an old notice shows only while it holds", func(t *testing.T) {
		if page := s.get(manage + "?done=published"); strings.Contains(page.Body, "Your post is published") {
			t.Error("manage page of a deleted post says it is published")
		}
	})

	t.Run("delete from a stale tab shows the deleted state", func(t *testing.T) {
		// The form token is the one the page carried before the delete.
		res := s.postForm(manage+"/delete", url.Values{"csrf": {csrf}})
		if res.Status != http.StatusGone {
			t.Errorf("got status %d, want 410", res.Status)
		}
		if strings.Contains(res.Body, "Yes, delete it") {
			t.Errorf("page offers to delete a deleted post:\n%s", res.Body)
		}
		if !strings.Contains(res.Body, "This ad was deleted") {
			t.Errorf("page does not show the deleted state:\n%s", res.Body)
		}
	})
}

func (s *testServer) postJSONMethod(method, path string, v any, token string) response {
	b, _ := json.Marshal(v)
	return s.do(method, path, strings.NewReader(string(b)), map[string]string{
		"Content-Type": "application/json", "Authorization": "Bearer " + token,
	})
}

// TestAPIDeleteTwice checks what docs/api.md promises after a delete: a
// repeated DELETE returns 204 again, so a retried request succeeds, and
// every other call returns 410.
func TestAPIDeleteTwice(t *testing.T) {
	s := startServer(t)
	id, token := s.publishPost(map[string]any{"title": "Lamp", "category": "household", "zip": "02134", "email": "l@example.com"})
	for i := range 2 {
		if res := s.postJSONMethod("DELETE", "/api/v1/manage", nil, token); res.Status != http.StatusNoContent {
			t.Errorf("delete %d: got status %d %s, want 204", i+1, res.Status, res.Body)
		}
	}
	for _, call := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/manage", nil},
		{"POST", "/api/v1/manage/publish", nil},
		{"POST", "/api/v1/manage/renew", nil},
		{"PATCH", "/api/v1/manage", map[string]any{"title": "Desk lamp"}},
		{"GET", "/api/v1/posts/" + id, nil},
	} {
		if res := s.postJSONMethod(call.method, call.path, call.body, token); res.Status != http.StatusGone {
			t.Errorf("%s %s: got status %d %s, want 410", call.method, call.path, res.Status, res.Body)
		}
	}
}

// TestWebFormPosting posts through the HTML form, as a browser without
// JavaScript would.
func TestWebFormPosting(t *testing.T) {
	s := startServer(t)
	formID, csrf := formTokens(t, s.get("/new").Body)
	fields := map[string]string{
		"form_id": formID, "csrf": csrf, "title": "Sofa", "body": "Blue, 3 seats.", "price": "150",
		"category": "furniture", "zip": "10001", "email": "a@example.com",
	}

	t.Run("bad input re-shows the form with what was typed", func(t *testing.T) {
		bad := map[string]string{}
		for k, v := range fields {
			bad[k] = v
		}
		bad["price"], bad["zip"], bad["title"] = "1e3", "1234", "Sofa <script>alert(1)</script>"
		body, ct := multipartBody(t, bad, nil)
		res := s.do("POST", "/new", body, map[string]string{"Content-Type": ct})
		if res.Status != http.StatusBadRequest {
			t.Fatalf("got status %d, want 400", res.Status)
		}
		for _, want := range []string{`id="price-error"`, `id="zip-error"`, `value="1e3"`, `Blue, 3 seats.`, `&lt;script&gt;alert(1)&lt;/script&gt;`} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("re-shown form lacks %q", want)
			}
		}
		if strings.Contains(res.Body, "<script>alert") {
			t.Error("typed markup is not escaped")
		}
	})

	t.Run("a double submit creates one post and one email", func(t *testing.T) {
		for range 2 {
			body, ct := multipartBody(t, fields, nil)
			res := s.do("POST", "/new", body, map[string]string{"Content-Type": ct})
			if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/posted" {
				t.Fatalf("got status %d location %q, want 303 /posted: %s", res.Status, res.Header.Get("Location"), res.Body)
			}
		}
		s.waitForMail(1)
		time.Sleep(200 * time.Millisecond)
		if got := mailCount(s); got != 1 {
			t.Errorf("got %d messages, want 1", got)
		}
	})

	t.Run("a form from another site is rejected", func(t *testing.T) {
		body, ct := multipartBody(t, fields, nil)
		res := s.do("POST", "/new", body, map[string]string{"Content-Type": ct, "Sec-Fetch-Site": "cross-site"})
		if res.Status != http.StatusBadRequest {
			t.Errorf("got status %d, want 400", res.Status)
		}
	})
}

var linkLine = regexp.MustCompile(`(?m)^.*/manage/.*$`)

// TestConfirmationMail checks the message a poster receives.
func TestConfirmationMail(t *testing.T) {
	s := startServer(t)
	res := s.postJSON("/api/v1/posts", map[string]any{
		"title": "Café table — ½ price", "category": "furniture", "zip": "02134", "email": "b@example.com",
	}, nil)
	if res.Status != http.StatusAccepted {
		t.Fatalf("got status %d: %s", res.Status, res.Body)
	}
	msg := s.waitForMail(1)

	links := manageLink.FindAllString(msg, -1)
	if len(links) != 3 {
		t.Fatalf("got %d links, want 3 (text part, HTML href and HTML text)", len(links))
	}
	for _, l := range links[1:] {
		if l != links[0] {
			t.Errorf("got link %q, want byte-identical %q", l, links[0])
		}
	}
	if !strings.HasPrefix(links[0], s.URL+"/manage/") {
		t.Errorf("got link %q, want it under the base URL %s", links[0], s.URL)
	}
	for _, line := range linkLine.FindAllString(msg, -1) {
		if strings.HasSuffix(line, "=\r") || strings.HasSuffix(line, "=") {
			t.Errorf("link line is soft-wrapped: %q", line)
		}
	}
	for _, header := range []string{"Message-ID: <", "Date: ", "MIME-Version: 1.0", "Content-Type: text/plain", "Content-Type: text/html"} {
		if !strings.Contains(msg, header) {
			t.Errorf("message lacks %q", header)
		}
	}
	if !strings.Contains(msg, "Subject: =?utf-8?q?") {
		t.Errorf("non-ASCII subject is not encoded")
	}

	t.Run("lost link mails a new working link", func(t *testing.T) {
		_, csrf := formTokens(t, s.get("/lost").Body)
		res := s.postForm("/lost", url.Values{"csrf": {csrf}, "email": {"b@example.com"}})
		if res.Status != http.StatusOK {
			t.Fatalf("got status %d", res.Status)
		}
		newToken := tokenOf(t, s.waitForMail(2))
		if newToken == tokenOf(t, msg) {
			t.Error("got the same token again, want a fresh one")
		}
		for _, tok := range []string{newToken, tokenOf(t, msg)} {
			if got := s.get("/manage/" + tok).Status; got != http.StatusOK {
				t.Errorf("token %s…: got status %d, want 200", tok[:6], got)
			}
		}
	})

	t.Run("lost link answers the same for an unknown address", func(t *testing.T) {
		_, csrf := formTokens(t, s.get("/lost").Body)
		before := mailCount(s)
		unknown := s.postForm("/lost", url.Values{"csrf": {csrf}, "email": {"nobody@example.com"}})
		if unknown.Status != http.StatusOK {
			t.Errorf("got status %d, want 200", unknown.Status)
		}
		if !strings.Contains(unknown.Body, "If that address has posts here") {
			t.Errorf("unknown address got a different page")
		}
		time.Sleep(200 * time.Millisecond)
		if got := mailCount(s); got != before {
			t.Errorf("got %d messages, want %d: nothing sent to an address without posts", got, before)
		}
	})
}

// TestRenewOffer checks that the manage page offers Renew only once it is
// allowed, and otherwise names the same time as the refusal of an early
// renew, to the minute of the times shown beside it.
func TestRenewOffer(t *testing.T) {
	s := startServer(t)
	now := s.Clock.Now()
	s.Clock.Advance(now.Truncate(time.Minute).Add(time.Minute + 30*time.Second).Sub(now))
	published := s.Clock.Now()
	_, token := s.publishPost(map[string]any{"title": "Kayak paddle", "category": "bikes", "zip": "02134", "email": "k@example.com"})
	manage := "/manage/" + token
	renewableAt := published.Truncate(time.Minute).Add(48 * time.Hour)
	renewableText := renewableAt.Format("January 2, 2006 at 3:04 PM") + " UTC"
	renewForm := `action="` + manage + `/renew"`

	t.Run("early page names the time instead of a button", func(t *testing.T) {
		page := s.get(manage).Body
		if strings.Contains(page, renewForm) {
			t.Error("manage page offers Renew before it is allowed")
		}
		if want := "You can renew this post from <time datetime=\"" + renewableAt.Format(time.RFC3339) + "\">" + renewableText + "</time>."; !strings.Contains(page, want) {
			t.Errorf("manage page lacks %q", want)
		}
		expires := published.Add(30*24*time.Hour).Format("January 2, 2006 at 3:04 PM") + " UTC"
		if !strings.Contains(page, "until "+expires) {
			t.Errorf("manage page lacks the expiry %q", expires)
		}
	})

	t.Run("early renew is refused with the same time", func(t *testing.T) {
		_, csrf := formTokens(t, s.get(manage).Body)
		res := s.postForm(manage+"/renew", url.Values{"csrf": {csrf}})
		if res.Status != http.StatusConflict {
			t.Fatalf("got status %d, want 409", res.Status)
		}
		if want := "You can renew this post from " + renewableText + ", 48 hours after"; !strings.Contains(res.Body, want) {
			t.Errorf("refusal lacks %q", want)
		}
		wantRetry := strconv.Itoa(int(renewableAt.Sub(published) / time.Second))
		if got := res.Header.Get("Retry-After"); got != wantRetry {
			t.Errorf("page: got Retry-After %q, want %q", got, wantRetry)
		}

		api := s.do("POST", "/api/v1/manage/renew", nil, map[string]string{"Authorization": "Bearer " + token})
		if api.Status != http.StatusConflict || !strings.Contains(api.Body, renewableText) {
			t.Errorf("API: got status %d %s, want 409 naming %s", api.Status, api.Body, renewableText)
		}
		if got := api.Header.Get("Retry-After"); got != wantRetry {
			t.Errorf("API: got Retry-After %q, want %q", got, wantRetry)
		}
		var body struct {
			Error struct {
				Code    string `json:"code"`
				RetryAt string `json:"retry_at"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(api.Body), &body); err != nil {
			t.Fatalf("API: %v: %s", err, api.Body)
		}
		if want := renewableAt.UTC().Format(time.RFC3339); body.Error.RetryAt != want {
			t.Errorf("API: got retry_at %q, want %q", body.Error.RetryAt, want)
		}
	})

	t.Run("renew a second early is refused", func(t *testing.T) {
		s.Clock.Advance(renewableAt.Add(-time.Second).Sub(s.Clock.Now()))
		if page := s.get(manage).Body; strings.Contains(page, renewForm) {
			t.Error("manage page offers Renew a second before it is allowed")
		}
		res := s.do("POST", "/api/v1/manage/renew", nil, map[string]string{"Authorization": "Bearer " + token})
		if res.Status != http.StatusConflict {
			t.Errorf("got status %d, want 409", res.Status)
		}
		if got := res.Header.Get("Retry-After"); got != "1" {
			t.Errorf("got Retry-After %q, want 1", got)
		}
	})

	t.Run("renew at the time shown works", func(t *testing.T) {
		s.Clock.Advance(time.Second)
		page := s.get(manage).Body
		if !strings.Contains(page, renewForm) {
			t.Fatal("manage page lacks the Renew button at the time it named")
		}
		_, csrf := formTokens(t, page)
		res := s.postForm(manage+"/renew", url.Values{"csrf": {csrf}})
		if res.Status != http.StatusSeeOther {
			t.Errorf("got status %d, want 303: %s", res.Status, res.Body)
		}
	})
}

// TestPostAnAdHere checks that the region and category pages open the
// form for their region and category, and that the form keeps the region
// hint when it is shown again with errors.
func TestPostAnAdHere(t *testing.T) {
	s := startServer(t)
	regionHint := "To post in Boston, enter a ZIP code there."

	t.Run("region page links the form for its region", func(t *testing.T) {
		if page := s.get("/boston/").Body; !strings.Contains(page, `<a href="/new?region=boston">Post an ad here</a>`) {
			t.Error("region page lacks the link to /new?region=boston")
		}
		if page := s.get("/boston/?q=bike").Body; !strings.Contains(page, `<a href="/new?region=boston">Post an ad here</a>`) {
			t.Error("region search page lacks the link to /new?region=boston")
		}
	})

	t.Run("category page links the form for both", func(t *testing.T) {
		if page := s.get("/boston/bikes/").Body; !strings.Contains(page, `<a href="/new?category=bikes&amp;region=boston">`) {
			t.Error("category page lacks the link to /new?category=bikes&region=boston")
		}
	})

	t.Run("form names the region and selects the category", func(t *testing.T) {
		page := s.get("/new?category=bikes&region=boston").Body
		for _, want := range []string{regionHint, `<option value="bikes" selected>`, `<input type="hidden" name="region" value="boston">`, `aria-describedby="zip-hint"`} {
			if !strings.Contains(page, want) {
				t.Errorf("form lacks %s", want)
			}
		}
	})

	t.Run("unknown region gets the plain form", func(t *testing.T) {
		page := s.get("/new?region=atlantis").Body
		if strings.Contains(page, "To post in") || strings.Contains(page, `name="region"`) {
			t.Error("form names an unknown region")
		}
	})

	t.Run("form shown again keeps the region", func(t *testing.T) {
		formID, csrf := formTokens(t, s.get("/new?region=boston").Body)
		body, ct := multipartBody(t, map[string]string{"form_id": formID, "csrf": csrf, "region": "boston", "title": "Bike", "category": "bikes", "zip": "1234", "email": "r@example.com"}, nil)
		res := s.do("POST", "/new", body, map[string]string{"Content-Type": ct})
		if res.Status != http.StatusBadRequest {
			t.Fatalf("got status %d, want 400", res.Status)
		}
		for _, want := range []string{regionHint, `aria-describedby="zip-hint zip-error"`} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("form shown again lacks %s", want)
			}
		}
	})
}
