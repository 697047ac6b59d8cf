package server

import (
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/corkboard/corkboard/internal/board"
)

type managePage struct {
	Page
	Token       string
	CSRF        string
	Post        *board.Post
	Status      board.Status
	PostURL     string
	CanRenew    bool
	RenewableAt time.Time
	Notice      string // confirmation of the last action
	Error       string
	Edit        editForm
	EditErrors  map[string]string
	EditOpen    bool
	Confirm     bool // show the delete confirmation
}

type editForm struct{ Title, Body, Price string }

// clipped returns the form cut to what a page shows again after an error.
func (f editForm) clipped() editForm {
	return editForm{Title: clip(f.Title, board.MaxTitle), Body: clip(f.Body, board.MaxBody), Price: clip(f.Price, maxShortField)}
}

var notices = map[string]string{
	"published": "Your post is published. It is now visible to everyone.",
	"edited":    "Your changes are saved.",
	"renewed":   "Your post is renewed: it is at the top of the list again.",
	"deleted":   "Your post is deleted.",
}

// noticeFor returns the notice of the action named by done, or "" when the
// post's status shows that it no longer holds, such as "published" on a
// post deleted since.
func noticeFor(done string, st board.Status) string {
	switch {
	case done == "published" && st != board.Active, done == "deleted" && st != board.Deleted:
		return ""
	}
	return notices[done]
}

// managePage shows a post to its owner. GET never changes anything: mail
// scanners open links before people do.
func (s *Server) managePage(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	p, err := s.svc.PostByToken(r.Context(), token)
	if err != nil {
		s.manageError(w, r, err)
		return
	}
	s.renderManage(w, r, http.StatusOK, token, p, func(m *managePage) {
		m.Notice = noticeFor(r.URL.Query().Get("done"), m.Status)
	})
}

func (s *Server) renderManage(w http.ResponseWriter, r *http.Request, status int, token string, p *board.Post, adjust func(*managePage)) {
	now := s.svc.Now().UTC()
	st := p.StatusAt(now)
	if st == board.Deleted {
		status = http.StatusGone
	}
	m := &managePage{
		Page:        Page{Title: "Manage your post", NoIndex: true},
		Token:       token,
		CSRF:        s.manageCSRF(token),
		Post:        p,
		Status:      st,
		PostURL:     postPath(p),
		CanRenew:    st != board.Pending && st != board.Deleted && !now.Before(p.RenewableAt()),
		RenewableAt: p.RenewableAt(),
		Edit:        editForm{Title: p.Title, Body: p.Body, Price: priceInput(p.PriceCents)},
	}
	if adjust != nil {
		adjust(m)
	}
	manageHeaders(w)
	s.render(w, r, status, "manage", m)
}

// manageHeaders keeps the page, which contains the token, out of caches
// and out of the Referer header of links followed from it.
func manageHeaders(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
}

func (s *Server) manageCSRF(token string) string {
	return s.formToken("manage:" + hex.EncodeToString(board.HashToken(token)))
}

// manageAction loads the post and checks the form token shared by every
// manage form. It writes the error response itself and returns false on failure.
func (s *Server) manageAction(w http.ResponseWriter, r *http.Request) (string, bool) {
	token := r.PathValue("token")
	if !s.validFormToken("manage:"+hex.EncodeToString(board.HashToken(token)), r.FormValue("csrf")) {
		manageHeaders(w)
		s.error(w, r, board.Errorf(board.Invalid, "The form has expired. Open the link from your email again and retry."))
		return "", false
	}
	return token, true
}

func (s *Server) managePublish(w http.ResponseWriter, r *http.Request) {
	token, ok := s.manageAction(w, r)
	if !ok {
		return
	}
	if _, err := s.svc.Publish(r.Context(), token); err != nil {
		s.manageActionError(w, r, token, err)
		return
	}
	http.Redirect(w, r, "/manage/"+token+"?done=published", http.StatusSeeOther)
}

func (s *Server) manageEdit(w http.ResponseWriter, r *http.Request) {
	// An unknown link gets its 404 before the body, which may hold
	// photos, is read.
	if _, err := s.svc.PostByToken(r.Context(), r.PathValue("token")); err != nil {
		s.manageError(w, r, err)
		return
	}
	if err := parsePostForm(r); err != nil {
		manageHeaders(w)
		s.error(w, r, tooLargeOr(err, "The form could not be read. Please try again."))
		return
	}
	token, ok := s.manageAction(w, r)
	if !ok {
		return
	}
	form := editForm{Title: r.FormValue("title"), Body: r.FormValue("body"), Price: r.FormValue("price")}
	edit := board.Edit{Title: &form.Title, Body: &form.Body, Price: &form.Price,
		RemoveImages: r.Form["remove"], AddPhotos: uploads(r.MultipartForm, "images")}
	charged := len(edit.AddPhotos) > 0
	if charged {
		if ok, wait := s.takePost(r); !ok {
			setRetryAfter(w, wait)
			s.renderEditError(w, r, token, form, photoEditLimited(wait))
			return
		}
	}

	_, err := s.svc.Update(r.Context(), token, edit)
	if err != nil && charged {
		s.refundPost(r, err)
	}
	var e *board.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		s.renderEditError(w, r, token, form, e)
		return
	}
	if err != nil {
		s.manageActionError(w, r, token, err)
		return
	}
	http.Redirect(w, r, "/manage/"+token+"?done=edited", http.StatusSeeOther)
}

// renderEditError shows the manage page again with the edit form open,
// filled with what the person typed and marked with the errors of e.
func (s *Server) renderEditError(w http.ResponseWriter, r *http.Request, token string, form editForm, e *board.Error) {
	p, loadErr := s.svc.PostByToken(r.Context(), token)
	if loadErr != nil {
		s.manageError(w, r, loadErr)
		return
	}
	s.renderManage(w, r, statusByCode[e.Code], token, p, func(m *managePage) {
		m.Edit, m.EditErrors, m.EditOpen, m.Error = form.clipped(), e.Fields, true, e.Message
	})
}

func (s *Server) manageRenew(w http.ResponseWriter, r *http.Request) {
	token, ok := s.manageAction(w, r)
	if !ok {
		return
	}
	if _, err := s.svc.Renew(r.Context(), token); err != nil {
		s.manageActionError(w, r, token, err)
		return
	}
	http.Redirect(w, r, "/manage/"+token+"?done=renewed", http.StatusSeeOther)
}

// manageDelete shows a confirmation form first, which posts again with
// confirm=yes.
func (s *Server) manageDelete(w http.ResponseWriter, r *http.Request) {
	token, ok := s.manageAction(w, r)
	if !ok {
		return
	}
	if r.FormValue("confirm") != "yes" {
		p, err := s.svc.PostByToken(r.Context(), token)
		if err != nil {
			s.manageError(w, r, err)
			return
		}
		// A post deleted since the page was loaded shows its deleted
		// state, with status 410, instead of the confirmation.
		s.renderManage(w, r, http.StatusOK, token, p, func(m *managePage) { m.Confirm = m.Status != board.Deleted })
		return
	}
	if err := s.svc.Delete(r.Context(), token); err != nil {
		s.manageActionError(w, r, token, err)
		return
	}
	http.Redirect(w, r, "/manage/"+token+"?done=deleted", http.StatusSeeOther)
}

// manageActionError shows the manage page again with the message of a
// refused action, such as a renew that comes too early.
func (s *Server) manageActionError(w http.ResponseWriter, r *http.Request, token string, err error) {
	var e *board.Error
	if !errors.As(err, &e) || e.Code == board.Internal || e.Code == board.NotFound {
		s.manageError(w, r, err)
		return
	}
	p, loadErr := s.svc.PostByToken(r.Context(), token)
	if loadErr != nil {
		s.manageError(w, r, loadErr)
		return
	}
	s.setRetryAt(w, e)
	s.renderManage(w, r, statusByCode[e.Code], token, p, func(m *managePage) { m.Error = e.Message })
}

func (s *Server) manageError(w http.ResponseWriter, r *http.Request, err error) {
	manageHeaders(w)
	if board.ErrorCode(err) == board.NotFound {
		err = board.Errorf(board.NotFound, "This link does not match any post. Check that you copied the whole link from the email, or ask for your links again.")
	}
	s.error(w, r, err)
}

// priceInput renders a price for the edit form in a form ParsePrice reads.
func priceInput(cents *int64) string {
	if cents == nil {
		return ""
	}
	if *cents == 0 {
		return "free"
	}
	return board.FormatPrice(*cents)
}
