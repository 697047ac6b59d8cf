package server

import (
	"errors"
	"net/http"

	"github.com/corkboard/corkboard/internal/board"
)

type lostPage struct {
	Page
	Email string
	Error string
	Sent  bool
	CSRF  string
}

func (s *Server) lostForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "lost", lostPage{Page: Page{Title: "Get the links to your posts"}, CSRF: s.formToken("lost")})
}

// lostSubmit mails fresh links for the address's posts. The response is
// the same whether or not the address has posts.
func (s *Server) lostSubmit(w http.ResponseWriter, r *http.Request) {
	email := r.FormValue("email")
	page := lostPage{Page: Page{Title: "Get the links to your posts", NoIndex: true}, Email: clip(email, maxShortField), CSRF: s.formToken("lost")}
	if !s.validFormToken("lost", r.FormValue("csrf")) {
		page.Error = "The form has expired. Please send it again."
		s.render(w, r, http.StatusBadRequest, "lost", page)
		return
	}
	// One mail per address every ten minutes stops the form from being
	// used to flood someone's inbox.
	ok, wait := s.limiter.take("lost-ip:"+s.clientKey(r), 5, 1)
	if ok {
		ok, wait = s.limiter.take("lost:"+board.NormalizeEmail(email), 1, 0.1)
	}
	if !ok {
		setRetryAfter(w, wait)
		page.Error = "A message was sent recently. Please wait a few minutes before asking again."
		s.render(w, r, http.StatusTooManyRequests, "lost", page)
		return
	}

	err := s.svc.SendLostLinks(r.Context(), email)
	var e *board.Error
	if errors.As(err, &e) && e.Code == board.Invalid {
		page.Error = e.Fields["email"]
		s.render(w, r, http.StatusBadRequest, "lost", page)
		return
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	page.Sent = true
	s.render(w, r, http.StatusOK, "lost", page)
}
