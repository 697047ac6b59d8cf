package worker_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	cbmail "github.com/corkboard/corkboard/internal/mail"
)

// countingBackend counts the Message-IDs of the messages a go-smtp server
// accepted.
type countingBackend struct {
	mu  sync.Mutex
	ids map[string]int
}

func (b *countingBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &countingSession{b}, nil
}

func (b *countingBackend) counts() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]int, len(b.ids))
	for k, v := range b.ids {
		out[k] = v
	}
	return out
}

type countingSession struct{ b *countingBackend }

func (s *countingSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *countingSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *countingSession) Reset()                               {}
func (s *countingSession) Logout() error                        { return nil }

func (s *countingSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, m.Body)
	s.b.mu.Lock()
	s.b.ids[m.Header.Get("Message-ID")]++
	s.b.mu.Unlock()
	return nil
}

// TestSMTPOutage runs the worker against a real SMTP server that is down
// at first. The relay runs without TLS, which the mail package's tests
// cover, because TLS plays no part in retrying.
func TestSMTPOutage(t *testing.T) {
	ctx := context.Background()
	f := setup(t)
	ids := []string{"aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", "cccccccccccccccc"}
	for _, id := range ids {
		f.addPost(t, id)
	}

	// The port is reserved and closed again, so dialing it is refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	sender, err := cbmail.NewSMTPWith("smtp://"+addr+"?tls=none", cbmail.SMTPOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	f.worker.Sender = sender
	var logs bytes.Buffer
	f.worker.Log = slog.New(slog.NewTextHandler(&logs, nil))

	f.worker.DeliverMail(ctx)
	if n := strings.Count(logs.String(), "Mail delivery failed"); n != len(ids) {
		t.Fatalf("got %d failed deliveries while the server is down, want %d:\n%s", n, len(ids), logs.String())
	}
	if !strings.Contains(logs.String(), "retry_in=30s") || !strings.Contains(logs.String(), "refused") {
		t.Errorf("want a refused connection retried in 30s, got:\n%s", logs.String())
	}

	be := &countingBackend{ids: map[string]int{}}
	srv := smtp.NewServer(be)
	srv.Domain = "127.0.0.1"
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the reserved port was taken in between: %v", err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	// The failures were scheduled for a retry in 30 seconds, not now.
	f.worker.DeliverMail(ctx)
	if n := len(be.counts()); n != 0 {
		t.Fatalf("got %d messages before the backoff ended, want 0", n)
	}

	f.now = f.now.Add(31 * time.Second)
	f.worker.DeliverMail(ctx)
	f.worker.DeliverMail(ctx)
	got := be.counts()
	if len(got) != len(ids) {
		t.Errorf("server received %d distinct messages, want %d: %v", len(got), len(ids), got)
	}
	for _, id := range ids {
		if n := got["<"+id+"@example.com>"]; n != 1 {
			t.Errorf("message %s received %d times, want 1", id, n)
		}
	}

	// Long past every backoff, nothing is due any more.
	f.now = f.now.Add(7 * time.Hour)
	f.worker.DeliverMail(ctx)
	if after := be.counts(); len(after) != len(ids) || sum(after) != len(ids) {
		t.Errorf("more was sent after every message was delivered: %v", after)
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
