package app_test

import (
	"bytes"
	"context"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
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
	if res.Status != http.StatusOK || !strings.Contains(res.Body, "Check your email") {
		t.Fatalf("subscribe: got status %d", res.Status)
	}
	confirm := s.waitForMail(1)
	link := alertLink.FindString(confirm)
	if link == "" {
		t.Fatalf("no alert link in:\n%s", confirm)
	}
	path := strings.TrimPrefix(link, s.URL)

	t.Run("GET of the link changes nothing", func(t *testing.T) {
		if res := s.get(path); res.Status != http.StatusOK || !strings.Contains(res.Body, "Waiting for confirmation") {
			t.Errorf("got status %d, want 200 and still waiting", res.Status)
		}
	})

	if res := s.postForm(path+"/confirm", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("confirm: got status %d", res.Status)
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
