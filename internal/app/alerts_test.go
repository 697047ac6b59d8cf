package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/board"
	cbmail "github.com/corkboard/corkboard/internal/mail"
)

var alertLink = regexp.MustCompile(`https?://[^\s"<>]+/alerts/[a-z0-9]{16}/[A-Za-z0-9_-]{32}`)

// TestAlertFlow subscribes to a search without an account, confirms from
// the outbox, and receives a digest with a working one-click unsubscribe.
func TestAlertFlow(t *testing.T) {
	s := startServer(t)
	search := "/boston/bikes/?q=fixie&max_price=500"
	page := s.get(search).Body
	_, csrf := formTokens(t, page)
	if !strings.Contains(page, "Email me new matches") {
		t.Fatal("search page has no alert form")
	}

	form := url.Values{"csrf": {csrf}, "email": {"watcher@example.com"}, "region": {"boston"}, "category": {"bikes"},
		"q": {"fixie"}, "max_price": {"500"}}
	res := s.postForm("/alerts", form)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("subscribe: got status %d, want 303", res.Status)
	}
	sent := res.Header.Get("Location")
	if !strings.HasPrefix(sent, "/alerts/sent?") {
		t.Fatalf("subscribe: got Location %q, want /alerts/sent?…", sent)
	}
	if strings.Contains(sent, "watcher") {
		t.Errorf("subscribe: Location %q contains the email address", sent)
	}
	confirm := s.waitForMail(1)
	link := alertLink.FindString(confirm)
	if link == "" {
		t.Fatalf("no alert link in:\n%s", confirm)
	}
	path := strings.TrimPrefix(link, s.URL)

	t.Run("reloading the sent page sends no mail", func(t *testing.T) {
		for range 2 {
			res := s.with(t).get(sent)
			if res.Status != http.StatusOK {
				t.Fatalf("got status %d, want 200", res.Status)
			}
			if !strings.Contains(res.Body, "Check your email") {
				t.Errorf("sent page lacks \"Check your email\":\n%s", res.Body)
			}
			if want := `&#34;fixie&#34;, Bikes, in Boston, up to $500`; !strings.Contains(res.Body, want) {
				t.Errorf("sent page lacks the search %q:\n%s", want, res.Body)
			}
		}
		time.Sleep(200 * time.Millisecond)
		if got := mailCount(s); got != 1 {
			t.Errorf("got %d messages, want 1: only the confirmation", got)
		}
	})

	t.Run("GET of the link changes nothing", func(t *testing.T) {
		if res := s.get(path); res.Status != http.StatusOK || !strings.Contains(res.Body, "Waiting for confirmation") {
			t.Errorf("got status %d, want 200 and still waiting", res.Status)
		}
	})

	t.Run("pending alert shows no stopped notice", func(t *testing.T) {
		if got := s.with(t).get(path + "?done=unsubscribed").Body; strings.Contains(got, "Your alert is stopped") {
			t.Errorf("pending alert page says the alert is stopped:\n%s", got)
		}
	})

	res = s.postForm(path+"/confirm", nil)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("confirm: got status %d", res.Status)
	}
	if got := s.get(res.Header.Get("Location")).Body; !strings.Contains(got, "Your alert is on") {
		t.Errorf("page after confirming has no notice:\n%s", got)
	}

	s.Clock.Advance(time.Minute)
	s.publishPost(map[string]any{"title": "Fixie bike", "price": "300", "category": "bikes", "zip": "02134", "email": "seller@example.com"})
	s.publishPost(map[string]any{"title": "Fixie bike, gold", "price": "900", "category": "bikes", "zip": "02134", "email": "seller2@example.com"})
	mails := mailCount(s)

	s.Clock.Advance(time.Minute)
	n, err := s.Service.RunAlerts(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("digest job: got %d digests, %v; want 1", n, err)
	}
	digest := s.waitForMail(mails + 1)
	msg, err := mail.ReadMessage(bytes.NewReader([]byte(digest)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(digest, "Fixie bike - $300") || strings.Contains(digest, "gold") {
		t.Errorf("digest lists the wrong posts:\n%s", digest)
	}
	if got := msg.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("got List-Unsubscribe-Post %q", got)
	}
	unsubscribe := strings.Trim(msg.Header.Get("List-Unsubscribe"), "<>")
	if !strings.HasPrefix(unsubscribe, link) {
		t.Fatalf("got List-Unsubscribe %q, want the alert's link", unsubscribe)
	}

	t.Run("no second digest within a day", func(t *testing.T) {
		s.Clock.Advance(time.Hour)
		s.publishPost(map[string]any{"title": "Another fixie", "price": "200", "category": "bikes", "zip": "02134", "email": "s3@example.com"})
		if n, _ := s.Service.RunAlerts(context.Background()); n != 0 {
			t.Errorf("got %d digests an hour later, want 0", n)
		}
	})

	// A mail program's one-click unsubscribe: a plain POST, no form token.
	res = s.do("POST", strings.TrimPrefix(unsubscribe, s.URL), strings.NewReader("List-Unsubscribe=One-Click"),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("one-click unsubscribe: got status %d", res.Status)
	}
	if got := s.get(res.Header.Get("Location")).Body; !strings.Contains(got, "Your alert is stopped") {
		t.Errorf("page after unsubscribing has no stopped notice:\n%s", got)
	}

	// A confirmation email opened after the alert was stopped, or a stale tab.
	t.Run("confirm of a stopped alert is refused", func(t *testing.T) {
		res := s.with(t).postForm(path+"/confirm", nil)
		if res.Status != http.StatusConflict {
			t.Errorf("got status %d, want 409", res.Status)
		}
		if !strings.Contains(res.Body, "This alert is stopped") {
			t.Errorf("page does not say why:\n%s", res.Body)
		}
		if strings.Contains(res.Body, "Your alert is on") {
			t.Errorf("page says the alert is on:\n%s", res.Body)
		}
	})
	t.Run("stale notice is not shown", func(t *testing.T) {
		if got := s.with(t).get(path + "?done=confirmed").Body; strings.Contains(got, "Your alert is on") {
			t.Errorf("stopped alert page says the alert is on:\n%s", got)
		}
	})

	s.Clock.Advance(25 * time.Hour)
	if n, _ := s.Service.RunAlerts(context.Background()); n != 0 {
		t.Errorf("got %d digests after unsubscribing, want 0", n)
	}

	t.Run("a forged link is a 404", func(t *testing.T) {
		forged := path[:len(path)-5] + "AAAAA"
		if got := s.do("POST", forged+"/unsubscribe", nil, nil).Status; got != http.StatusNotFound {
			t.Errorf("got status %d, want 404", got)
		}
	})
}

// TestAlertSignupError expects a rejected alert form to come back with
// status 400, the typed values and the search, and to send no mail.
func TestAlertSignupError(t *testing.T) {
	s := startServer(t)
	_, csrf := formTokens(t, s.get("/boston/bikes/?q=fixie").Body)
	form := url.Values{"csrf": {csrf}, "email": {"not-an-email"}, "region": {"boston"}, "category": {"bikes"}, "q": {"fixie"}}

	res := s.postForm("/alerts", form)
	if res.Status != http.StatusBadRequest {
		t.Fatalf("got status %d, want 400", res.Status)
	}
	for _, want := range []string{`value="not-an-email"`, `name="q" value="fixie"`, `name="category" value="bikes"`, `aria-invalid="true"`} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("form shown again lacks %s:\n%s", want, res.Body)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if got := mailCount(s); got != 0 {
		t.Errorf("got %d messages, want 0", got)
	}
}

// TestAlertSchedule expects an alert whose check found no matches to be
// checked again an hour later, not sooner, and a renewed post to count
// as a new match in the next digest.
func TestAlertSchedule(t *testing.T) {
	ctx := context.Background()
	s := startServer(t)
	confirmed := s.Clock.Now()
	a := &board.Alert{ID: "qrstuvwxyzabcdef", Email: "watcher@example.com", Label: "bikes", CreatedAt: confirmed,
		Query: board.SearchQueryString(board.Search{Region: "boston", Category: "bikes"})}
	confirm := cbmail.Message{ID: "confirm@example.com", From: "c@example.com", To: a.Email, Subject: "Confirm", Text: "t", Date: confirmed}
	if err := s.Store.CreateAlert(ctx, a, confirm); err != nil {
		t.Fatal(err)
	}
	if err := s.Store.ConfirmAlert(ctx, a.ID, confirmed); err != nil {
		t.Fatal(err)
	}
	s.waitForMail(1)
	runAlerts := func(step string, want int) {
		t.Helper()
		n, err := s.Service.RunAlerts(ctx)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if n != want {
			t.Errorf("%s: got %d digests, want %d", step, n, want)
		}
	}

	s.Clock.Advance(time.Minute)
	runAlerts("check without matches", 0)
	_, token := s.publishPost(map[string]any{"title": "Fixie bike", "category": "bikes", "zip": "02134", "email": "seller@example.com"})
	s.Clock.Advance(59 * time.Minute)
	runAlerts("check 59 minutes later", 0)
	s.Clock.Advance(time.Minute)
	runAlerts("check an hour later", 1)

	s.Clock.Advance(board.RenewAfter)
	renewed := s.do("POST", "/api/v1/manage/renew", nil, map[string]string{"Authorization": "Bearer " + token})
	if renewed.Status != http.StatusOK {
		t.Fatalf("renew: got status %d: %s", renewed.Status, renewed.Body)
	}
	s.Clock.Advance(time.Minute)
	runAlerts("check after the renew", 1)
}

// takeoverStore lets another run claim every alert just before a run
// finishes it, as if the run had outlasted its lease. It counts the
// digests that runs tried to queue.
type takeoverStore struct {
	board.Store
	digests int
}

func (s *takeoverStore) FinishAlert(ctx context.Context, id string, lockedUntil, checked, next time.Time, digest *cbmail.Message) error {
	if digest != nil {
		s.digests++
	}
	if _, err := s.Store.ClaimAlerts(ctx, lockedUntil, time.Hour, 10); err != nil {
		return err
	}
	return s.Store.FinishAlert(ctx, id, lockedUntil, checked, next, digest)
}

// TestAlertLeaseLost expects a run whose alert another run took over to
// count no digest and to log the lost lease, not a failed run.
func TestAlertLeaseLost(t *testing.T) {
	ctx := context.Background()
	s := startServer(t)
	// The alert is confirmed a minute before the post is published, so the
	// run finds the post. Its confirmation message is queued after the
	// post's, which publishPost waits for.
	confirmed := s.Clock.Now()
	s.Clock.Advance(time.Minute)
	s.publishPost(map[string]any{"title": "Fixie bike", "price": "300", "category": "bikes", "zip": "02134", "email": "seller@example.com"})
	a := &board.Alert{ID: "abcdefghijklmnop", Email: "watcher@example.com", Label: "bikes", CreatedAt: confirmed,
		Query: board.SearchQueryString(board.Search{Region: "boston", Category: "bikes"})}
	confirm := cbmail.Message{ID: "confirm@example.com", From: "c@example.com", To: a.Email, Subject: "Confirm", Text: "t", Date: confirmed}
	if err := s.Store.CreateAlert(ctx, a, confirm); err != nil {
		t.Fatal(err)
	}
	if err := s.Store.ConfirmAlert(ctx, a.ID, confirmed); err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	store := &takeoverStore{Store: s.Store}
	svc := board.NewService(board.ServiceConfig{
		Store: store, Places: s.Service.Places, Categories: s.Service.Categories, Mail: s.Service.Mail,
		Log: slog.New(slog.NewTextHandler(&logs, nil)), SiteName: s.Service.SiteName,
		BaseURL: s.Service.BaseURL, MailFrom: s.Service.MailFrom,
	})
	svc.Now = s.Clock.Now
	s.Clock.Advance(time.Minute)
	n, err := svc.RunAlerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if store.digests != 1 {
		t.Fatalf("run tried to queue %d digests, want 1 for the new post", store.digests)
	}
	if n != 0 {
		t.Errorf("got %d digests counted, want 0 from a run that lost its lease", n)
	}
	if want := `level=INFO msg="Alert lease lost" alert_id=` + a.ID; !strings.Contains(logs.String(), want) {
		t.Errorf("want a log line with %s, got:\n%s", want, logs.String())
	}
	if strings.Contains(logs.String(), "Alert run failed") {
		t.Errorf("want no failed run logged, got:\n%s", logs.String())
	}
}

// TestAlertBackLink checks the "Back to the search" link of the page that
// follows the alert form. The link leads to the region or category page of
// the search, and a region or category that no page has is rejected.
func TestAlertBackLink(t *testing.T) {
	s := startServer(t)
	_, csrf := formTokens(t, s.get("/boston/?q=trek").Body)
	for _, tc := range []struct {
		name     string
		fields   url.Values
		wantHref string
	}{
		{"region page", url.Values{"region": {"boston"}}, `href="/boston/?q=trek"`},
		{"category page", url.Values{"region": {"boston"}, "category": {"bikes"}}, `href="/boston/bikes/?q=trek"`},
		{"section filter", url.Values{"region": {"boston"}, "section": {"for-sale"}}, `href="/boston/?q=trek&amp;section=for-sale"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{"csrf": {csrf}, "email": {"watcher@example.com"}, "q": {"trek"}}
			for k, v := range tc.fields {
				form[k] = v
			}
			res := s.with(t).postForm("/alerts", form)
			if res.Status != http.StatusSeeOther {
				t.Fatalf("got status %d, want 303", res.Status)
			}
			res = s.with(t).get(res.Header.Get("Location"))
			if !strings.Contains(res.Body, tc.wantHref) {
				t.Errorf("page lacks %s:\n%s", tc.wantHref, res.Body)
			}
		})
	}

	for _, tc := range []struct {
		name   string
		fields url.Values
	}{
		{"path as region", url.Values{"region": {"/evil.example"}}},
		{"no region", url.Values{"region": {""}}},
		{"unknown category", url.Values{"region": {"boston"}, "category": {"/evil.example"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{"csrf": {csrf}, "email": {"watcher@example.com"}, "q": {"trek"}}
			for k, v := range tc.fields {
				form[k] = v
			}
			res := s.with(t).postForm("/alerts", form)
			if res.Status != http.StatusBadRequest {
				t.Errorf("got status %d, want 400", res.Status)
			}
			if strings.Contains(res.Body, `href="//`) || strings.Contains(res.Body, "evil.example/") {
				t.Errorf("page links off the site:\n%s", res.Body)
			}
		})
	}
}
