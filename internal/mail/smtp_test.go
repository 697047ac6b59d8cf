package mail_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/corkboard/corkboard/internal/mail"
)

// testCA returns a pool trusting a fresh CA and a server certificate for
// 127.0.0.1 signed by it, so the client verifies the server as it would
// in production.
func testCA(t *testing.T) (*x509.CertPool, tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Corkboard test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}

	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

type received struct {
	User, Pass string
	From       string
	To         []string
	Data       []byte
	TLS        bool
}

// recorder is a go-smtp backend that keeps every message the server
// accepted, with the credentials and TLS state of its session.
type recorder struct {
	mu       sync.Mutex
	mails    []received
	auths    int    // Count of AUTH attempts, including failed ones.
	user     string // Expected user name.
	pass     string // Expected password.
	rejectTo string // Address that RCPT TO rejects with 550.
}

func (r *recorder) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{r: r, c: c}, nil
}

func (r *recorder) got() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.mails...)
}

type session struct {
	r   *recorder
	c   *smtp.Conn
	cur received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		s.r.mu.Lock()
		s.r.auths++
		s.r.mu.Unlock()
		s.cur.User, s.cur.Pass = user, pass
		if user != s.r.user || pass != s.r.pass {
			return smtp.ErrAuthFailed
		}
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.r.user != "" && s.cur.User == "" {
		return smtp.ErrAuthRequired
	}
	s.cur.From = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to == s.r.rejectTo {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<" + to + ">: no such user"}
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = b
	_, s.cur.TLS = s.c.TLSConnectionState()
	s.r.mu.Lock()
	s.r.mails = append(s.r.mails, s.cur)
	s.r.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = received{User: s.cur.User, Pass: s.cur.Pass} }
func (s *session) Logout() error { return nil }

// serve starts a go-smtp server on 127.0.0.1 and returns its port. With
// implicit set, the listener speaks TLS from the first byte; otherwise the
// server offers STARTTLS when tlsConf is not nil.
func serve(t *testing.T, be smtp.Backend, tlsConf *tls.Config, implicit bool) string {
	t.Helper()
	srv := smtp.NewServer(be)
	srv.Domain = "127.0.0.1"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	var ln net.Listener
	var err error
	if implicit {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", tlsConf)
	} else {
		srv.TLSConfig = tlsConf
		// Without TLS the server offers AUTH anyway, so a test can check
		// that the client does not use it.
		srv.AllowInsecureAuth = tlsConf == nil
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

const (
	testUser = "corkboard"
	testPass = "s3cret-Pa55word"
	link     = "https://corkboard.example/manage/aaaaaaaaaaaaaaaa?token=0123456789abcdef0123456789abcdef"
)

func testMessage() mail.Message {
	return mail.Message{
		ID: "0123456789abcdef@corkboard.example", From: "Corkboard <noreply@corkboard.example>",
		To: "Ann Poster <ann@example.com>", Subject: "Manage your post: Fahrrad für Kinder",
		Text: "Manage your post here:\n" + link + "\n.\n..leading dots survive\n",
		HTML: `<p><a href="` + link + `">Manage your post</a></p>`,
		Date: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC),
	}
}

func newSender(t *testing.T, rawURL string, pool *x509.CertPool) *mail.SMTP {
	t.Helper()
	s, err := mail.NewSMTPWith(rawURL, mail.SMTPOptions{RootCAs: pool, HeloName: "corkboard.test", Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func checkDelivered(t *testing.T, be *recorder, ref string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	msg := testMessage()
	if ref != "smtp:"+msg.ID {
		t.Errorf("got reference %q, want %q", ref, "smtp:"+msg.ID)
	}
	got := be.got()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	want, _ := msg.Bytes()
	m := got[0]
	if !bytes.Equal(m.Data, want) {
		t.Errorf("server received\n%q\nwant\n%q", m.Data, want)
	}
	if !bytes.Contains(m.Data, []byte("\r\n"+link+"\r\n")) {
		t.Errorf("manage link not intact in the text part")
	}
	if !bytes.Contains(m.Data, []byte(`href="`+link+`"`)) {
		t.Errorf("manage link not intact in the HTML part")
	}
	if m.From != "noreply@corkboard.example" {
		t.Errorf("got MAIL FROM %q, want noreply@corkboard.example", m.From)
	}
	if len(m.To) != 1 || m.To[0] != "ann@example.com" {
		t.Errorf("got RCPT TO %q, want [ann@example.com]", m.To)
	}
	if m.User != testUser {
		t.Errorf("got user %q, want %q", m.User, testUser)
	}
	if m.Pass != testPass {
		t.Errorf("got password %q, want %q", m.Pass, testPass)
	}
	if !m.TLS {
		t.Errorf("message was sent without TLS")
	}
}

func TestSMTPStartTLS(t *testing.T) {
	pool, cert := testCA(t)
	be := &recorder{user: testUser, pass: testPass}
	port := serve(t, be, &tls.Config{Certificates: []tls.Certificate{cert}}, false)
	s := newSender(t, "smtp://"+testUser+":"+testPass+"@127.0.0.1:"+port, pool)
	ref, err := s.Send(context.Background(), testMessage())
	checkDelivered(t, be, ref, err)
	if strings.Contains(s.String(), testPass) {
		t.Errorf("String() contains the password: %s", s)
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	pool, cert := testCA(t)
	be := &recorder{user: testUser, pass: testPass}
	port := serve(t, be, &tls.Config{Certificates: []tls.Certificate{cert}}, true)
	s := newSender(t, "smtps://"+testUser+":"+testPass+"@127.0.0.1:"+port, pool)
	ref, err := s.Send(context.Background(), testMessage())
	checkDelivered(t, be, ref, err)
}

func TestSMTPUntrustedCertificate(t *testing.T) {
	_, cert := testCA(t)
	otherPool, _ := testCA(t)
	be := &recorder{user: testUser, pass: testPass}
	port := serve(t, be, &tls.Config{Certificates: []tls.Certificate{cert}}, false)
	s := newSender(t, "smtp://"+testUser+":"+testPass+"@127.0.0.1:"+port, otherPool)
	if _, err := s.Send(context.Background(), testMessage()); err == nil {
		t.Fatal("sent to a server whose certificate no trusted CA signed")
	}
	if n := len(be.got()); n != 0 {
		t.Errorf("server received %d messages", n)
	}
	// insecure_skip_verify is the escape hatch for self-signed setups.
	s = newSender(t, "smtp://"+testUser+":"+testPass+"@127.0.0.1:"+port+"?insecure_skip_verify=1", otherPool)
	if _, err := s.Send(context.Background(), testMessage()); err != nil {
		t.Fatalf("with insecure_skip_verify=1: %v", err)
	}
}

func TestSMTPRefusesAuthWithoutTLS(t *testing.T) {
	be := &recorder{user: testUser, pass: testPass}
	port := serve(t, be, nil, false)
	s := newSender(t, "smtp://"+testUser+":"+testPass+"@127.0.0.1:"+port, nil)
	_, err := s.Send(context.Background(), testMessage())
	if err == nil || !strings.Contains(err.Error(), "STARTTLS required") {
		t.Fatalf("got %v, want an error about missing STARTTLS", err)
	}
	if len(be.got()) != 0 {
		t.Errorf("server received a message")
	}
	be.mu.Lock()
	auths := be.auths
	be.mu.Unlock()
	if auths != 0 {
		t.Errorf("client sent credentials in clear text")
	}
	if strings.Contains(err.Error(), testPass) {
		t.Errorf("error contains the password: %v", err)
	}
}

func TestSMTPPlainRelay(t *testing.T) {
	be := &recorder{}
	port := serve(t, be, nil, false)
	s := newSender(t, "smtp://127.0.0.1:"+port+"?tls=none", nil)
	if _, err := s.Send(context.Background(), testMessage()); err != nil {
		t.Fatal(err)
	}
	got := be.got()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	if got[0].TLS {
		t.Errorf("message was sent over TLS, want plain text")
	}
}

func TestSMTPWrongPassword(t *testing.T) {
	pool, cert := testCA(t)
	be := &recorder{user: testUser, pass: testPass}
	port := serve(t, be, &tls.Config{Certificates: []tls.Certificate{cert}}, false)
	s := newSender(t, "smtp://"+testUser+":wrong-Pa55@127.0.0.1:"+port, pool)
	_, err := s.Send(context.Background(), testMessage())
	if err == nil || !strings.Contains(err.Error(), "authentication failed") {
		t.Fatalf("got %v, want an authentication error", err)
	}
	if strings.Contains(err.Error(), "wrong-Pa55") {
		t.Errorf("error contains the password: %v", err)
	}
	if len(be.got()) != 0 {
		t.Errorf("server received a message")
	}
}

func TestSMTPRecipientRejected(t *testing.T) {
	pool, cert := testCA(t)
	be := &recorder{user: testUser, pass: testPass, rejectTo: "ann@example.com"}
	port := serve(t, be, &tls.Config{Certificates: []tls.Certificate{cert}}, false)
	s := newSender(t, "smtp://"+testUser+":"+testPass+"@127.0.0.1:"+port, pool)
	_, err := s.Send(context.Background(), testMessage())
	if !errors.Is(err, mail.ErrRejected) {
		t.Fatalf("got %v, want ErrRejected", err)
	}
	if !strings.Contains(err.Error(), "550") {
		t.Errorf("got %v, want the reply code 550", err)
	}
	if strings.Contains(err.Error(), "ann@example.com") {
		t.Errorf("error contains the recipient's address: %v", err)
	}
	if len(be.got()) != 0 {
		t.Errorf("server received a message")
	}
}

func TestSMTPContextDeadline(t *testing.T) {
	// The listener accepts connections and never sends a greeting, so Send
	// must stop at the context's deadline, well before its 10-second timeout.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	s := newSender(t, "smtp://127.0.0.1:"+port+"?tls=none", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := s.Send(ctx, testMessage()); err == nil {
		t.Fatal("Send succeeded without a greeting")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %v, want about 200ms", d)
	}
}

func TestNewSMTPValidation(t *testing.T) {
	const pass = "Xy9-secret-Zq"
	for _, tc := range []struct{ url, want string }{
		{"", "scheme"},
		{"http://u:" + pass + "@host", "scheme"},
		{"smtp://u:" + pass + "@", "missing host"},
		{"smtp:u:" + pass + "@host", "missing host"},
		{"smtp://u:" + pass + "@host/path", "path"},
		{"smtp://u:" + pass + "@host:25?tls=none", "tls=none"},
		{"smtp://u:" + pass + "@host?tls=bogus", "invalid tls"},
		{"smtps://u:" + pass + "@host?tls=none", "invalid tls"},
		{"smtp://u:" + pass + "@host?insecure_skip_verify=yes", "insecure_skip_verify"},
		{"smtp://u:" + pass + "@host?password=" + pass, "unknown query parameter"},
		{"smtp://u:" + pass + "@host:99999999999x", "invalid URL"},
		{"smtp://u:" + pass + "%zz@host", "invalid URL"},
		{"smtp://:" + pass + "@host", "missing user name"},
		{"smtp://u:1?" + pass + "@host", "unknown query parameter"},
		{"smtp://u:1#" + pass + "@host", "unexpected fragment"},
		{"smtp://u:1/" + pass + "@host", "unexpected path"},
		{"smtp://u:" + pass + "@host?tls=none&x=%zz", "invalid query"},
		{"smtp://u:" + pass + "@host:0", "invalid port"},
		{"smtp://u:" + pass + "@host:65536", "invalid port"},
		{"smtp://u@host", "missing password"},
	} {
		_, err := mail.NewSMTP(tc.url)
		if err == nil {
			t.Errorf("%q: no error", tc.url)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "CORKBOARD_SMTP_URL: ") || !strings.Contains(msg, tc.want) {
			t.Errorf("%q: got %q, want it to mention %q", tc.url, msg, tc.want)
		}
		if strings.Contains(msg, pass) || strings.Contains(msg, "Xy9") {
			t.Errorf("%q: error contains the password: %q", tc.url, msg)
		}
	}
	for _, ok := range []string{
		"smtp://u:p@mail.example.com:587",
		"smtp://u:p%40x@mail.example.com",
		"smtps://u:p@mail.example.com:465",
		"smtps://u:p@mail.example.com?tls=implicit",
		"smtp://localhost:25?tls=none",
		"smtp://u:p@[::1]:587?insecure_skip_verify=1",
	} {
		if _, err := mail.NewSMTP(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}
