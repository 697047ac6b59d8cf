package server

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"mime/multipart"
	"net/http"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/categories"
	"github.com/corkboard/corkboard/internal/places"
)

// maxPostBody bounds a create or edit request: the most photos a post may
// have, each of the largest size allowed, plus 1 MB for the text fields
// and the multipart framing.
func (s *Server) maxPostBody() int64 {
	return board.MaxPhotos*s.svc.PhotoLimits.MaxBytes + (1 << 20)
}

// multipartMemory is how much of a multipart body is kept in memory; the
// rest of the photos spill to temporary files.
const multipartMemory = 8 << 20

type newPostPage struct {
	Page
	Form     postForm
	Region   places.Region // the region the form was opened from, if any
	Sections []categories.Section
	Errors   map[string]string
	Summary  []fieldMessage // Errors in the order of the form
	Message  string
	FormID   string
	CSRF     string
}

// fieldMessage is one entry of an error summary, linking to its field.
type fieldMessage struct{ Field, Message string }

// formOrder lists the fields of the post form from top to bottom.
var formOrder = []string{"title", "category", "price", "zip", "body", "images", "email", "phone"}

// postForm holds what the person typed, to show it again after an error.
// Region is the slug of the region whose page linked to the form. The ZIP
// code alone decides where the ad is listed, so Region only sets a hint.
type postForm struct {
	Title, Body, Price, Category, ZIP, Email, Phone, Region string
}

// maxShortField is the maximum length kept of the other fields of a
// re-shown post form: an email address, the longest of them, has at most
// 254 characters.
const maxShortField = 254

// clipped returns the form cut to what a page shows again after an error.
func (f postForm) clipped() postForm {
	return postForm{
		Title: clip(f.Title, board.MaxTitle), Body: clip(f.Body, board.MaxBody),
		Price: clip(f.Price, maxShortField), Category: clip(f.Category, maxShortField), ZIP: clip(f.ZIP, maxShortField),
		Email: clip(f.Email, maxShortField), Phone: clip(f.Phone, maxShortField), Region: clip(f.Region, maxShortField),
	}
}

// clip cuts text that a form shows again to limit characters plus a
// tenth. A person who typed a little too much can still see the excess and
// shorten it, but a client that sent megabytes does not get them back.
func clip(text string, limit int) string {
	keep := limit + limit/10
	for i := range text {
		if keep == 0 {
			return text[:i]
		}
		keep--
	}
	return text
}

// newPostForm shows an empty form. The query parameters category and zip
// fill those fields, and region names a region in the ZIP field's hint.
func (s *Server) newPostForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.renderNewPost(w, r, http.StatusOK, postForm{Category: q.Get("category"), ZIP: q.Get("zip"), Region: q.Get("region")}, nil)
}

func (s *Server) renderNewPost(w http.ResponseWriter, r *http.Request, status int, form postForm, e *board.Error) {
	formID := newFormID()
	page := newPostPage{
		Page: Page{Title: "Post an ad", NoIndex: true,
			Description: "Post a free classified ad in a minute, without an account."},
		Form:     form.clipped(),
		Sections: s.svc.Categories.Sections,
		FormID:   formID,
		CSRF:     s.formToken("new:" + formID),
	}
	page.Region, _ = s.svc.Places.Region(form.Region)
	if e != nil {
		page.Errors, page.Message = e.Fields, e.Message
		for _, f := range formOrder {
			if m, ok := e.Fields[f]; ok {
				page.Summary = append(page.Summary, fieldMessage{Field: f, Message: m})
			}
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "new", page)
}

// createPost handles the form. The hidden form ID doubles as idempotency
// key: a double click or a resent form creates one post and one email.
func (s *Server) createPost(w http.ResponseWriter, r *http.Request) {
	if err := parsePostForm(r); err != nil {
		s.error(w, r, tooLargeOr(err, "The form could not be read. Please try again."))
		return
	}
	form := postForm{
		Title: r.FormValue("title"), Body: r.FormValue("body"), Price: r.FormValue("price"),
		Category: r.FormValue("category"), ZIP: r.FormValue("zip"), Email: r.FormValue("email"), Phone: r.FormValue("phone"),
		Region: r.FormValue("region"),
	}
	formID := r.FormValue("form_id")
	if formID == "" || !s.validFormToken("new:"+formID, r.FormValue("csrf")) {
		s.renderNewPost(w, r, http.StatusBadRequest, form, board.Errorf(board.Invalid, "The form has expired. Please check your entries and send it again."))
		return
	}
	if ok, wait := s.takePost(r); !ok {
		setRetryAfter(w, wait)
		s.renderNewPost(w, r, http.StatusTooManyRequests, form, board.Errorf(board.RateLimited, "You are posting very quickly. Please wait %s and try again.", waitText(wait)))
		return
	}

	draft := board.Draft{Title: form.Title, Body: form.Body, Price: form.Price, Category: form.Category,
		ZIP: form.ZIP, Email: form.Email, Phone: form.Phone, Photos: uploads(r.MultipartForm, "images")}
	_, err := s.svc.CreatePost(r.Context(), draft, "web:"+formID)
	if err != nil {
		s.refundPost(r, err)
	}
	var e *board.Error
	if errors.As(err, &e) && e.Code == board.Conflict {
		// The same form was sent before with other content: the person
		// went back and changed it after posting.
		e = board.Errorf(board.Conflict, "This form was already used to post an ad. Check your email for its link, or open a new form to post another ad.")
	}
	if errors.As(err, &e) && e.Code != board.Internal {
		s.renderNewPost(w, r, statusByCode[e.Code], form, e)
		return
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/posted", http.StatusSeeOther)
}

func (s *Server) posted(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "posted", struct {
		Page
		DevOutbox bool
	}{Page{Title: "Check your email", NoIndex: true}, s.devOutbox(r)})
}

// parsePostForm reads a multipart or form-encoded body into r.Form.
// ParseMultipartForm alone returns ErrNotMultipart for a form-encoded body
// and drops the error of reading it, such as a body over the size bound,
// so ParseForm runs first.
func parsePostForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	if err := r.ParseMultipartForm(multipartMemory); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return err
	}
	return nil
}

// uploads returns the files of a multipart field, skipping the empty part
// a browser sends when no file was chosen.
func uploads(form *multipart.Form, field string) []board.Upload {
	if form == nil {
		return nil
	}
	var out []board.Upload
	for _, fh := range form.File[field] {
		if fh.Size == 0 && fh.Filename == "" {
			continue
		}
		out = append(out, board.Upload{Name: fh.Filename, Size: fh.Size, Open: func() (io.ReadCloser, error) { return fh.Open() }})
	}
	return out
}

func newFormID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// tooLargeOr returns a TooLarge error when err comes from the body size
// limit, and an Invalid error with message otherwise.
func tooLargeOr(err error, message string) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return err
	}
	return board.Errorf(board.Invalid, "%s", message)
}
