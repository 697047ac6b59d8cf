package server

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"strings"

	"github.com/corkboard/corkboard/internal/board"
)

// The outbox pages let a developer read the mail of the embedded default
// in the browser. They exist only when the operator turns them on, and
// serve only clients on the loopback interface that name this machine in
// the Host header, because every message contains a manage link. The
// Host check stops a web page that rebinds its own domain to 127.0.0.1.

type outboxListPage struct {
	Page
	Messages []outboxEntry
}

type outboxEntry struct {
	Name, Subject, To, Date string
}

func (s *Server) outboxAllowed(w http.ResponseWriter, r *http.Request) bool {
	if !s.devOutbox(r) {
		s.notFound(w, r)
		return false
	}
	manageHeaders(w)
	return true
}

func (s *Server) outboxList(w http.ResponseWriter, r *http.Request) {
	if !s.outboxAllowed(w, r) {
		return
	}
	names, err := s.outbox.List()
	if err != nil {
		s.error(w, r, err)
		return
	}
	page := outboxListPage{Page: Page{Title: "Outbox (development)", NoIndex: true}}
	for _, name := range names {
		if len(page.Messages) == 100 {
			break
		}
		raw, err := s.outbox.Read(name)
		if err != nil {
			continue
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			continue
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		page.Messages = append(page.Messages, outboxEntry{Name: name, Subject: subject, To: msg.Header.Get("To"), Date: msg.Header.Get("Date")})
	}
	s.render(w, r, http.StatusOK, "outbox", page)
}

type outboxMessagePage struct {
	Page
	Name, From, To, Subject, Date string
	Text                          string
}

// outboxMessage shows the plain-text part of one message; links in it are
// made clickable by the template.
func (s *Server) outboxMessage(w http.ResponseWriter, r *http.Request) {
	if !s.outboxAllowed(w, r) {
		return
	}
	name := r.PathValue("name")
	raw, err := s.outbox.Read(name)
	if err != nil {
		s.error(w, r, board.Errorf(board.NotFound, "No such message in the outbox."))
		return
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		s.error(w, r, err)
		return
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	page := outboxMessagePage{Page: Page{Title: subject, NoIndex: true}, Name: name,
		From: msg.Header.Get("From"), To: msg.Header.Get("To"), Subject: subject, Date: msg.Header.Get("Date"),
		Text: plainPart(msg)}
	s.render(w, r, http.StatusOK, "outbox_message", page)
}

// plainPart returns the text/plain part of a multipart message.
func plainPart(msg *mail.Message) string {
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			return ""
		}
		if strings.HasPrefix(part.Header.Get("Content-Type"), "text/plain") {
			body, _ := io.ReadAll(part)
			return strings.ReplaceAll(string(body), "\r\n", "\n")
		}
	}
}

// devOutbox reports whether the outbox pages may be shown for r.
func (s *Server) devOutbox(r *http.Request) bool {
	return s.outbox != nil && localRequest(r)
}
