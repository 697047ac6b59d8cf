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
	"strconv"
	"strings"
	"time"
)

// The client uses the standard library's net/smtp rather than go-smtp's
// client, which keeps go-smtp a test-only dependency. net/smtp is frozen
// but covers one message per connection. Send works around its two gaps:
// it takes no context, so the connection's deadline bounds the exchange,
// and its PlainAuth sends credentials in clear text to localhost,
// 127.0.0.1 and ::1, so Send checks for TLS itself before AUTH.

// ErrRejected marks a permanent (5xx) reply from the SMTP server, such as
// for an unknown recipient. The worker retries it anyway, so the error
// text makes clear to an operator that retrying will not help.
var ErrRejected = errors.New("permanently rejected by the SMTP server")

// DefaultSMTPTimeout bounds a whole delivery, from dialing to QUIT, when
// the context has no earlier deadline. The value is an estimate that
// leaves room for a slow relay and a message with a few large parts.
const DefaultSMTPTimeout = 30 * time.Second

type smtpSecurity int

const (
	startTLS    smtpSecurity = iota // STARTTLS is required before MAIL FROM.
	implicitTLS                     // TLS starts with the connection.
	noTLS                           // Plain text, for a local relay without credentials.
)

// SMTPOptions holds settings that do not fit in the URL.
type SMTPOptions struct {
	// RootCAs replaces the system's trusted CAs, for a relay with a private
	// CA and for tests that verify certificates. Nil means the system's.
	RootCAs *x509.CertPool
	// HeloName is sent with EHLO. Empty means the machine's host name when
	// it is fully qualified, otherwise "localhost".
	HeloName string
	// Timeout replaces DefaultSMTPTimeout when set.
	Timeout time.Duration
}

// SMTP is a Sender that delivers each message over its own SMTP
// connection. It is safe for concurrent use.
type SMTP struct {
	addr     string // host:port
	host     string // Name checked against the server's certificate.
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

	// A url.Parse error quotes the whole URL or the bad escape, which may
	// be part of the password, so it is not passed on.
	u, err := url.Parse(rawURL)
	if err != nil {
		return fail("invalid URL. Percent-encode special characters in the user name and password.")
	}

	s := &SMTP{host: u.Hostname(), helo: opts.HeloName, timeout: opts.Timeout, redacted: u.Redacted()}
	var port string
	switch u.Scheme {
	case "smtp":
		s.security, port = startTLS, "587"
	case "smtps":
		s.security, port = implicitTLS, "465"
	default:
		// The scheme is not quoted: in a URL missing "smtp://" it could be
		// the user name.
		return fail("invalid scheme, expected smtp:// or smtps://")
	}
	if u.Opaque != "" || s.host == "" {
		return fail("missing host. The form is smtp://user:pass@host:587.")
	}
	// An unencoded "/", "?" or "#" in the password moves its rest into the
	// path, query or fragment, so none of them is quoted in errors.
	if u.Path != "" && u.Path != "/" {
		return fail("unexpected path. The form is smtp://user:pass@host:587.")
	}
	if u.Fragment != "" {
		return fail("unexpected fragment. Percent-encode a \"#\" in the password.")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fail("invalid port, expected 1 to 65535")
		}
	}

	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
		if s.user == "" {
			return fail("missing user name for the password")
		}
		if s.pass == "" {
			return fail("missing password for user %q", s.user)
		}
	}

	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return fail("invalid query. Percent-encode special characters in the password.")
	}
	insecure := false
	for k, v := range query {
		val := v[len(v)-1]
		switch k {
		case "tls":
			switch {
			case val == "none" && s.security == startTLS:
				s.security, port = noTLS, "25"
			case val == "starttls" && s.security == startTLS:
			case val == "implicit" && s.security == implicitTLS:
			default:
				return fail("invalid tls setting. Use starttls or none with smtp://, and implicit or nothing with smtps://.")
			}
		case "insecure_skip_verify":
			switch val {
			case "1", "true":
				insecure = true
			case "0", "false", "":
			default:
				return fail("invalid insecure_skip_verify setting, expected 1 or 0")
			}
		default:
			return fail("unknown query parameter, expected only tls and insecure_skip_verify. Percent-encode a \"?\" in the password.")
		}
	}
	if s.security == noTLS && s.user != "" {
		return fail("tls=none would send the password in clear text. Use it only for a local relay without credentials.")
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
// sent only once the server replies 250 to the end of DATA.
//
// NOTE: If the connection breaks after the final dot and before that
// reply, the worker sends the message again under the same Message-ID,
// because SMTP offers no way to find out whether the server kept it.
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
	// net/smtp takes no context, so the deadline bounds every read and
	// write. Cancelling moves the deadline to now, which fails the pending
	// read or write.
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
			return "", errors.New("smtp: STARTTLS required but not offered by the server. Use smtps:// for implicit TLS, or tls=none for a local relay without credentials.")
		}
		if err := c.StartTLS(s.tls); err != nil {
			return "", fmt.Errorf("smtp: STARTTLS: %w", err)
		}
	}
	if s.user != "" {
		// NewSMTPWith already rejects credentials without TLS. This check
		// stays because net/smtp would send them in clear text to localhost.
		if _, ok := c.TLSConnectionState(); !ok {
			return "", errors.New("smtp: credentials not sent because the connection is not encrypted")
		}
		if ok, _ := c.Extension("AUTH"); !ok {
			return "", errors.New("smtp: AUTH not offered by the server. Remove the credentials from the URL or check the server's settings.")
		}
		if err := c.Auth(smtp.PlainAuth("", s.user, s.pass, s.host)); err != nil {
			return "", fmt.Errorf("smtp: authentication failed: %w", err)
		}
	}
	// NOTE: net/smtp adds BODY=8BITMIME only when the server offers it. A
	// server without 8BITMIME still receives 8bit parts, untested here.
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
	// The server has accepted the message, so a failed QUIT changes nothing.
	c.Quit()
	return "smtp:" + msg.ID, nil
}

// replyError describes a failed command. It removes the address from the
// server's reply, which often quotes it, because errors are logged and stored.
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
