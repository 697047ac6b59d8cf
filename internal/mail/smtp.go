package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"time"
)

// The client side uses the standard library's net/smtp rather than
// go-smtp's client: it is frozen but complete for one message per
// connection, and it keeps go-smtp a test-only dependency. Two of its
// gaps are covered here: it has no context support (the connection's
// deadline is used instead), and its PlainAuth sends credentials in clear
// text to localhost, so Send checks for TLS itself before AUTH.

// ErrRejected marks a permanent (5xx) refusal by the SMTP server, such as
// an unknown recipient. The worker retries it anyway; the error text tells
// an operator that retrying will not help.
var ErrRejected = errors.New("permanently rejected by the SMTP server")

// DefaultSMTPTimeout bounds a whole delivery, from dialing to QUIT, when
// the context has no earlier deadline.
const DefaultSMTPTimeout = 30 * time.Second

type smtpSecurity int

const (
	startTLS smtpSecurity = iota // STARTTLS required before anything is sent
	implicitTLS
	noTLS // local relays only; never with credentials
)

// SMTPOptions holds settings that do not fit in the URL.
type SMTPOptions struct {
	// RootCAs replaces the system's trusted CAs, for a relay with a private
	// CA and for tests that must not skip verification. nil means the
	// system's.
	RootCAs *x509.CertPool
	// HeloName is sent with EHLO. Empty means the machine's host name when
	// it is fully qualified, otherwise "localhost".
	HeloName string
	// Timeout replaces DefaultSMTPTimeout when set.
	Timeout time.Duration
}

// SMTP is a Sender that delivers each message over one SMTP connection.
// It is safe for concurrent use.
type SMTP struct {
	addr     string // host:port
	host     string // name checked against the server's certificate
	security smtpSecurity
	user     string
	pass     string
	tls      *tls.Config
	helo     string
	timeout  time.Duration
	redacted string
}

// NewSMTP parses a CORKBOARD_SMTP_URL value:
//
//	smtp://user:pass@host:587          STARTTLS required (default port 587)
//	smtps://user:pass@host:465         implicit TLS (default port 465)
//	smtp://host:25?tls=none            no TLS, only without credentials
//	...?insecure_skip_verify=1         accept any certificate
//
// Special characters in the user name or password must be percent-encoded.
// Errors never contain the password.
func NewSMTP(rawURL string) (*SMTP, error) {
	return NewSMTPWith(rawURL, SMTPOptions{})
}

// NewSMTPWith is NewSMTP with options that do not fit in the URL.
func NewSMTPWith(rawURL string, opts SMTPOptions) (*SMTP, error) {
	const setting = "CORKBOARD_SMTP_URL"
	fail := func(format string, args ...any) (*SMTP, error) {
		return nil, fmt.Errorf(setting+": "+format, args...)
	}
	// url.Parse errors quote the whole URL, or the bad escape within the
	// password, so they are never passed on.
	u, err := url.Parse(rawURL)
	if err != nil {
		return fail("not a valid URL; percent-encode special characters in the user name and password")
	}
	s := &SMTP{host: u.Hostname(), helo: opts.HeloName, timeout: opts.Timeout, redacted: u.Redacted()}
	var port string
	switch u.Scheme {
	case "smtp":
		s.security, port = startTLS, "587"
	case "smtps":
		s.security, port = implicitTLS, "465"
	default:
		return fail("scheme must be smtp or smtps")
	}
	if u.Opaque != "" || s.host == "" {
		return fail("no host; the form is smtp://user:pass@host:587")
	}
	if u.Path != "" && u.Path != "/" {
		return fail("unexpected path; the form is smtp://user:pass@host:587")
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
		if s.user == "" || s.pass == "" {
			return fail("a user name needs a password and a password needs a user name")
		}
	}
	insecure := false
	for k, v := range u.Query() {
		val := v[len(v)-1]
		switch k {
		case "tls":
			switch {
			case val == "none" && s.security == startTLS:
				s.security, port = noTLS, "25"
			case val == "starttls" && s.security == startTLS:
			case val == "implicit" && s.security == implicitTLS:
			default:
				return fail("tls must be starttls or none with smtp://, and implicit (or left out) with smtps://")
			}
		case "insecure_skip_verify":
			switch val {
			case "1", "true":
				insecure = true
			case "0", "false", "":
			default:
				return fail("insecure_skip_verify must be 1 or 0")
			}
		default:
			// Only the name: a value could be a misplaced password.
			return fail("unknown parameter %q; known are tls and insecure_skip_verify", k)
		}
	}
	if s.security == noTLS && s.user != "" {
		return fail("tls=none is only for a local relay without credentials; a password would be sent in clear text")
	}
	if p := u.Port(); p != "" {
		port = p
	}
	s.addr = net.JoinHostPort(s.host, port)
	s.tls = &tls.Config{ServerName: s.host, RootCAs: opts.RootCAs, InsecureSkipVerify: insecure, MinVersion: tls.VersionTLS12}
	if s.helo == "" {
		s.helo = "localhost"
		if h, err := os.Hostname(); err == nil && strings.Contains(h, ".") {
			s.helo = h
		}
	}
	if s.timeout <= 0 {
		s.timeout = DefaultSMTPTimeout
	}
	return s, nil
}

// String returns the URL with the password replaced, for logs.
func (s *SMTP) String() string { return s.redacted }

// Send delivers msg and returns "smtp:<Message-ID>". The message counts as
// sent only once the server has answered 250 to the end of DATA. If the
// connection breaks after the final dot and before that answer, the worker
// sends it again under the same Message-ID; SMTP offers no way to avoid
// that.
func (s *SMTP) Send(ctx context.Context, msg Message) (string, error) {
	raw, err := msg.Bytes()
	if err != nil {
		return "", err
	}
	from, err := mail.ParseAddress(msg.From)
	if err != nil {
		return "", fmt.Errorf("invalid sender: %w", err)
	}
	to, err := mail.ParseAddress(msg.To)
	if err != nil {
		return "", fmt.Errorf("invalid recipient: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return "", fmt.Errorf("smtp: %w", err)
	}
	defer conn.Close()
	// net/smtp knows no context: the deadline bounds every read and write,
	// and cancelling moves it to now, which fails the pending one.
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()

	if s.security == implicitTLS {
		tc := tls.Client(conn, s.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return "", fmt.Errorf("smtp: TLS: %w", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return "", fmt.Errorf("smtp: greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(s.helo); err != nil {
		return "", fmt.Errorf("smtp: EHLO: %w", err)
	}
	if s.security == startTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return "", errors.New("smtp: the server does not offer STARTTLS, and the URL requires it; use smtps:// for implicit TLS, or tls=none for a local relay without credentials")
		}
		if err := c.StartTLS(s.tls); err != nil {
			return "", fmt.Errorf("smtp: STARTTLS: %w", err)
		}
	}
	if s.user != "" {
		// Checked again here because net/smtp would send the password in
		// clear text to a server named localhost.
		if _, ok := c.TLSConnectionState(); !ok {
			return "", errors.New("smtp: refusing to send credentials without TLS")
		}
		if ok, _ := c.Extension("AUTH"); !ok {
			return "", errors.New("smtp: the server does not offer AUTH, but the URL has credentials")
		}
		if err := c.Auth(smtp.PlainAuth("", s.user, s.pass, s.host)); err != nil {
			return "", fmt.Errorf("smtp: authentication failed: %w", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return "", s.replyError("MAIL FROM", err, from.Address)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return "", s.replyError("RCPT TO", err, to.Address)
	}
	w, err := c.Data()
	if err != nil {
		return "", s.replyError("DATA", err, to.Address)
	}
	if _, err := w.Write(raw); err != nil {
		return "", fmt.Errorf("smtp: sending the message: %w", err)
	}
	if err := w.Close(); err != nil {
		return "", s.replyError("end of DATA", err, to.Address)
	}
	// The server has taken the message; a failed QUIT changes nothing.
	c.Quit()
	return "smtp:" + msg.ID, nil
}

// replyError describes a failed command. Servers often quote the address
// in their reply; it is removed because errors are logged and stored.
func (s *SMTP) replyError(cmd string, err error, addr string) error {
	var te *textproto.Error
	if !errors.As(err, &te) {
		return fmt.Errorf("smtp: %s: %w", cmd, err)
	}
	reply := strings.ReplaceAll(te.Msg, addr, "<address>")
	if te.Code >= 500 {
		return fmt.Errorf("smtp: %s: %w: %d %s", cmd, ErrRejected, te.Code, reply)
	}
	return fmt.Errorf("smtp: %s: %d %s", cmd, te.Code, reply)
}
