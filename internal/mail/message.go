// Package mail composes Corkboard's emails and delivers them through a
// Sender: the outbox folder in the embedded default.
package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Message is one email ready to send. Text and HTML carry the same content.
type Message struct {
	ID      string // Message-ID without angle brackets, stable across retries
	From    string
	To      string
	Subject string
	Text    string
	HTML    string
	Date    time.Time
	Headers map[string]string // extra headers, such as List-Unsubscribe
}

// NewMessageID returns a random Message-ID for the given domain.
func NewMessageID(domain string) string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:]) + "@" + domain
}

// maxLine is kept under the 998-octet limit of RFC 5322 with room to spare.
const maxLine = 900

// Bytes renders the message in RFC 5322 format as multipart/alternative with
// a plain-text and an HTML part. Both parts use 8bit encoding, so a link is
// byte-identical in the two parts and never broken by soft line breaks.
func (m Message) Bytes() ([]byte, error) {
	if _, err := mail.ParseAddress(m.To); err != nil {
		return nil, fmt.Errorf("invalid recipient: %w", err)
	}
	if _, err := mail.ParseAddress(m.From); err != nil {
		return nil, fmt.Errorf("invalid sender: %w", err)
	}
	var b bytes.Buffer
	boundary := "=_" + strings.ReplaceAll(m.ID, "@", "_")
	// Header values never contain line breaks, so no caller can inject
	// a header.
	noBreaks := strings.NewReplacer("\r", " ", "\n", " ")
	header := func(k, v string) {
		fmt.Fprintf(&b, "%s: %s\r\n", k, noBreaks.Replace(v))
	}
	folded := func(k, v string) { // v is already encoded and folded
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	header("From", m.From)
	header("To", m.To)
	folded("Subject", encodeHeader(noBreaks.Replace(m.Subject)))
	header("Date", m.Date.UTC().Format(time.RFC1123Z))
	header("Message-ID", "<"+m.ID+">")
	for _, k := range sortedKeys(m.Headers) {
		header(k, m.Headers[k])
	}
	header("MIME-Version", "1.0")
	header("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	b.WriteString("\r\n")
	for _, part := range []struct{ contentType, body string }{
		{"text/plain; charset=utf-8", m.Text},
		{"text/html; charset=utf-8", m.HTML},
	} {
		fmt.Fprintf(&b, "--%s\r\n", boundary)
		header("Content-Type", part.contentType)
		header("Content-Transfer-Encoding", "8bit")
		b.WriteString("\r\n")
		b.WriteString(crlfLines(part.body))
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes(), nil
}

// crlfLines converts line endings to CRLF and folds lines longer than
// maxLine, at a space where there is one. Links contain no spaces and are
// far shorter than maxLine, so they are never folded.
func crlfLines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			out.WriteString("\r\n")
		}
		for len(line) > maxLine {
			cut := strings.LastIndexByte(line[:maxLine], ' ')
			next := cut + 1
			if cut <= 0 {
				// No space: break at the last whole character.
				cut = maxLine
				for cut > 0 && !utf8.RuneStart(line[cut]) {
					cut--
				}
				next = cut
			}
			out.WriteString(line[:cut])
			out.WriteString("\r\n")
			line = line[next:]
		}
		out.WriteString(line)
	}
	return out.String()
}

// encodeHeader encodes a header value as RFC 2047 encoded words when it is
// not plain ASCII, each word short enough that no header line passes the
// 78-character recommendation of RFC 5322 by much.
func encodeHeader(v string) string {
	ascii := true
	for i := 0; i < len(v); i++ {
		if v[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii && len(v) <= maxLine {
		return v
	}
	var words []string
	var chunk strings.Builder
	for _, r := range v {
		if chunk.Len()+utf8.RuneLen(r) > 30 {
			words = append(words, mime.QEncoding.Encode("utf-8", chunk.String()))
			chunk.Reset()
		}
		chunk.WriteRune(r)
	}
	if chunk.Len() > 0 {
		words = append(words, mime.QEncoding.Encode("utf-8", chunk.String()))
	}
	return strings.Join(words, "\r\n ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
