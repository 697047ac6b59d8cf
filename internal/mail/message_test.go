package mail

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"
)

func testMessage(subject, text string) Message {
	return Message{ID: "abc@example.com", From: "Corkboard <c@example.com>", To: "a@example.com",
		Subject: subject, Text: text, HTML: "<p>" + text + "</p>", Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func TestBytesKeepsLinesShort(t *testing.T) {
	subject := strings.Repeat("🚲", 100)
	text := strings.Repeat("x", 3000) + "\n" + strings.Repeat("word ", 400)
	raw, err := testMessage(subject, text).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line %d is %d bytes long, want at most 998", i, len(line))
		}
	}

	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	got, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || got != subject {
		t.Errorf("got subject %q (%v), want the original back", got, err)
	}
}

func TestBytesParts(t *testing.T) {
	link := "http://localhost:8080/manage/WBoyI4CP5ZgbWoSpTKI1vqC6QbPHm0Cndo2tVzYR10E"
	raw, err := testMessage("Publish", "Open this link:\n\n"+link+"\n").Bytes()
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := mail.ReadMessage(bytes.NewReader(raw))
	_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(part)
		types = append(types, part.Header.Get("Content-Type"))
		if !bytes.Contains(body, []byte(link)) {
			t.Errorf("%s part lacks the link unbroken", part.Header.Get("Content-Type"))
		}
	}
	if len(types) != 2 || !strings.HasPrefix(types[0], "text/plain") || !strings.HasPrefix(types[1], "text/html") {
		t.Errorf("got parts %v, want text/plain then text/html", types)
	}
	for _, h := range []string{"Date", "Message-Id", "From", "To"} {
		if msg.Header.Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
}

func TestHeaderInjection(t *testing.T) {
	m := testMessage("Hi\r\nBcc: victim@example.com", "x")
	m.Headers = map[string]string{"Reply-To": "a@example.com\r\nBcc: victim@example.com"}
	raw, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := mail.ReadMessage(bytes.NewReader(raw))
	if got := msg.Header.Get("Bcc"); got != "" {
		t.Errorf("got a Bcc header %q, want none", got)
	}
}

// TestSubjectRoundTrip decodes the subject as mail programs do and expects
// the original text back, with no header line over the 78 characters that
// RFC 5322 recommends.
func TestSubjectRoundTrip(t *testing.T) {
	subjects := map[string]string{
		"German":                 "Publish your post: Kinderfahrrad mit Stützrädern, sehr guter Zustand, kaum benutzt, mit Klingel und Korb",
		"emoji":                  "Publish your post: 🚲🚲 Fahrrad 🚴‍♀️ mit Körbchen 👍🏽, fast neu 🇩🇪",
		"CJK":                    "Publish your post: 子供用自転車、補助輪付き、とても良い状態です。ほとんど使っていません。東京都内で手渡し",
		"long ASCII":             "Publish your post: Vintage road bike with a 56 cm steel frame, new tyres and brake pads, ready to ride today",
		"ASCII without spaces":   "Publish your post: " + strings.Repeat("x", 100),
		"accent at the end":      "Publish your post: Vintage road bike with a 56 cm steel frame, new tyres and brake pads, ready for a café",
		"encoded-word lookalike": "Publish your post: =?utf-8?q?free?= bike",
		"double spaces":          "Publish your post: two  spaces and  more, in a title long enough to be folded across lines",
		"short":                  "Confirm your search alert",
		"short accent":           "New matches: café",
	}
	for name, subject := range subjects {
		t.Run(name, func(t *testing.T) {
			raw, err := testMessage(subject, "x").Bytes()
			if err != nil {
				t.Fatal(err)
			}
			header, _, _ := strings.Cut(string(raw), "\r\n\r\n")
			inSubject := false
			for _, line := range strings.Split(header, "\r\n") {
				inSubject = strings.HasPrefix(line, "Subject:") || inSubject && strings.HasPrefix(line, " ")
				if inSubject && len(line) > 78 {
					t.Errorf("subject line is %d characters long, want at most 78: %q", len(line), line)
				}
			}

			msg, err := mail.ReadMessage(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			got, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			if err != nil {
				t.Fatal(err)
			}
			if got != subject {
				t.Errorf("got subject %q, want %q", got, subject)
			}
		})
	}
}
