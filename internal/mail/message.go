// Package mail composes Corkboard's emails and delivers them through a
// Sender: the outbox folder in the embedded default.
package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
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
	folded("Subject", encodeHeader("Subject", noBreaks.Replace(m.Subject)))
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

// maxHeaderLine is the header line length that RFC 5322 recommends.
const maxHeaderLine = 78

// encodeHeader folds the value of the header name so that no line passes
// maxHeaderLine. Plain ASCII is folded before single spaces, which readers
// restore. Other text becomes RFC 2047 encoded-words, and so does ASCII
// that contains "=?", which readers would decode, or has no space to fold at.
func encodeHeader(name, v string) string {
	first := maxHeaderLine - len(name) - len(": ")
	if folded, ok := foldASCII(v, first); ok {
		return folded
	}
	return encodeWords(v, first)
}

// foldASCII folds printable ASCII before spaces, with at most first
// characters on the first line. It returns false for other text and for
// text it cannot fold. Readers collapse the whitespace around a fold to
// one space, so it folds only before a single space.
func foldASCII(v string, first int) (string, bool) {
	if strings.Contains(v, "=?") {
		return "", false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < ' ' || v[i] > '~' {
			return "", false
		}
	}
	var lines []string
	limit := first
	for len(v) > limit {
		cut := -1
		for i := limit; i > 0; i-- {
			if v[i] == ' ' && v[i-1] != ' ' && i+1 < len(v) && v[i+1] != ' ' {
				cut = i
				break
			}
		}
		if cut < 0 {
			return "", false
		}
		lines = append(lines, v[:cut])
		v = v[cut:] // the next line starts with the space
		limit = maxHeaderLine
	}
	lines = append(lines, v)
	return strings.Join(lines, "\r\n"), true
}

// Encoded-words of RFC 2047 in the Q encoding: "=?utf-8?q?" and "?=" around
// the encoded text, each word at most maxWord characters long.
const (
	wordStart = "=?utf-8?q?"
	wordEnd   = "?="
	maxWord   = 75
)

// encodeWords encodes v as a sequence of encoded-words, one per line, the
// first line holding at most first characters. Words end only between
// characters, since RFC 2047 forbids splitting one across words, and
// readers drop the folding whitespace between two encoded-words.
func encodeWords(v string, first int) string {
	var lines []string
	var word strings.Builder
	limit := min(first, maxWord)
	word.WriteString(wordStart)
	for _, r := range v {
		encoded := qEncode(r)
		if word.Len()+len(encoded)+len(wordEnd) > limit && word.Len() > len(wordStart) {
			word.WriteString(wordEnd)
			lines = append(lines, word.String())
			word.Reset()
			word.WriteString(wordStart)
			limit = min(maxHeaderLine-1, maxWord) // after the leading space
		}
		word.WriteString(encoded)
	}
	word.WriteString(wordEnd)
	lines = append(lines, word.String())
	return strings.Join(lines, "\r\n ")
}

// qEncode returns the Q encoding of one character. Letters, digits and
// "!*+-/", the characters RFC 2047 allows wherever an encoded-word may
// appear, stay as they are. A space becomes "_", and every other byte "="
// and two hex digits.
func qEncode(r rune) string {
	switch {
	case r == ' ':
		return "_"
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("!*+-/", r):
		return string(r)
	}
	const hex = "0123456789ABCDEF"
	var out []byte
	for _, b := range []byte(string(r)) {
		out = append(out, '=', hex[b>>4], hex[b&15])
	}
	return string(out)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
