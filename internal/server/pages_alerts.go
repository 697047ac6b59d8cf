package server

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/corkboard/corkboard/internal/board"
)

type alertPage struct {
	Page
	Alert       *board.Alert
	Action      string // path of the alert's signed link
	Unsubscribe bool   // show the stop button first
	Notice      string // confirmation of the last action
	Error       string
}

var alertNotices = map[string]string{
	"confirmed":    "Your alert is on. You get at most one email a day, only when there are new matches.",
	"unsubscribed": "Your alert is stopped. No more emails will be sent for it.",
}

// alertNoticeFor returns the notice of the action named by done, or "" when
// the alert's status shows that it no longer holds, such as "confirmed" on
// an alert stopped since.
func alertNoticeFor(done, status string) string {
	switch {
	case done == "confirmed" && status != "active", done == "unsubscribed" && status != "unsubscribed":
		return ""
	}
	return alertNotices[done]
}

type alertCreatedPage struct {
	Page
	Label     string
	Email     string
	Error     string
	Back      string
	Fields    url.Values
	CSRF      string
	DevOutbox bool
}

// createAlert saves the search a page shows for an email address. The
// search arrives as hidden fields, so it is exactly what the page ran.
// Success redirects to alertSent, so reloading the page sends no second
// confirmation email.
func (s *Server) createAlert(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.error(w, r, tooLargeOr(err, "The form could not be read."))
		return
	}
	form := alertSearchFields(r.PostForm)
	search, back, err := s.alertSearch(form)
	if err != nil {
		s.error(w, r, err)
		return
	}
	label := s.describeSearch(search)
	page := alertCreatedPage{Page: Page{Title: "Email me new matches", NoIndex: true}, Label: label,
		Email: clip(r.PostForm.Get("email"), maxShortField), Back: back, Fields: form, CSRF: s.formToken("alert")}

	if !s.validFormToken("alert", r.PostForm.Get("csrf")) {
		page.Error = "The form has expired. Please send it again."
		s.render(w, r, http.StatusBadRequest, "alert_created", page)
		return
	}
	if ok, wait := s.limiter.take("alert:"+s.clientKey(r), 10, 1); !ok {
		setRetryAfter(w, wait)
		page.Error = "You have set up many alerts. Please wait a few minutes."
		s.render(w, r, http.StatusTooManyRequests, "alert_created", page)
		return
	}

	err = s.svc.CreateAlert(r.Context(), page.Email, search, label)
	var e *board.Error
	if errors.As(err, &e) && e.Code == board.Invalid {
		page.Error = e.Fields["email"]
		if page.Error == "" {
			page.Error = e.Message
		}
		s.render(w, r, http.StatusBadRequest, "alert_created", page)
		return
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	// The search goes into the URL so the next page can name it. The
	// email address stays out of the URL, and so out of access logs.
	http.Redirect(w, r, "/alerts/sent?"+form.Encode(), http.StatusSeeOther)
}

// alertSent renders the "check your email" page shown after an alert
// sign-up. It reads the search from its query string and changes nothing.
func (s *Server) alertSent(w http.ResponseWriter, r *http.Request) {
	search, back, err := s.alertSearch(alertSearchFields(r.URL.Query()))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "alert_created", alertCreatedPage{Page: Page{Title: "Check your email", NoIndex: true},
		Label: s.describeSearch(search), Back: back, DevOutbox: s.devOutbox(r)})
}

// alertSearchFields returns the search parameters of values, without the
// email address and form token of the alert form.
func alertSearchFields(values url.Values) url.Values {
	form := url.Values{}
	for _, p := range append(searchParams, "region", "category", "section") {
		if v := values.Get(p); v != "" {
			form.Set(p, v)
		}
	}
	return form
}

// alertSearch parses the search of an alert and returns it with the path
// of the page that runs it. Errors: Invalid for a bad search parameter or
// a region or category that no page has.
func (s *Server) alertSearch(form url.Values) (board.Search, string, error) {
	search, err := parseSearch(form, 25)
	if err != nil {
		return board.Search{}, "", err
	}
	back, ok := s.searchPagePath(search)
	if !ok {
		return board.Search{}, "", board.Errorf(board.Invalid, "The alert form names an unknown region or category. Open the search on a region's page and set up the alert there.")
	}
	return search, back, nil
}

// searchPagePath returns the path of the region or category page that
// runs q, with the rest of the search in the query string. It returns
// false unless the region, and the category when one is set, are known.
// Every search page belongs to one region, so a search of all regions has
// no page.
func (s *Server) searchPagePath(q board.Search) (string, bool) {
	region, ok := s.svc.Places.Region(q.Region)
	if !ok {
		return "", false
	}
	path := "/" + region.Slug + "/"
	if q.Category != "" {
		cat, ok := s.svc.Categories.Category(q.Category)
		if !ok {
			return "", false
		}
		path += cat.Slug + "/"
	}
	q.Region, q.Category = "", ""
	if query := board.SearchQueryString(q); query != "" {
		path += "?" + query
	}
	return path, true
}

// describeSearch puts a search in words for emails and pages.
func (s *Server) describeSearch(q board.Search) string {
	var parts []string
	if q.Text != "" {
		parts = append(parts, `"`+q.Text+`"`)
	}
	if c, ok := s.svc.Categories.Category(q.Category); ok {
		parts = append(parts, c.Name)
	}
	if r, ok := s.svc.Places.Region(q.Region); ok {
		where := "in " + r.Name
		if q.Nearby {
			where += " and nearby"
		}
		parts = append(parts, where)
	}
	if q.ZIP != "" && q.Miles > 0 {
		parts = append(parts, "within "+strconv.FormatFloat(q.Miles, 'f', -1, 64)+" miles of "+q.ZIP)
	}
	switch {
	case q.MinPrice != nil && q.MaxPrice != nil:
		parts = append(parts, board.FormatPrice(*q.MinPrice)+" to "+board.FormatPrice(*q.MaxPrice))
	case q.MinPrice != nil:
		parts = append(parts, "from "+board.FormatPrice(*q.MinPrice))
	case q.MaxPrice != nil:
		parts = append(parts, "up to "+board.FormatPrice(*q.MaxPrice))
	}
	if q.HasImage {
		parts = append(parts, "with photos")
	}
	if len(parts) == 0 {
		return "All ads"
	}
	return strings.Join(parts, ", ")
}

// alertPage shows an alert from its signed link. GET changes nothing.
func (s *Server) alertPage(w http.ResponseWriter, r *http.Request) {
	a, err := s.svc.AlertBySignature(r.Context(), r.PathValue("id"), r.PathValue("sig"))
	if err != nil {
		s.alertError(w, r, err)
		return
	}
	s.renderAlert(w, r, http.StatusOK, a, func(p *alertPage) {
		p.Unsubscribe = strings.HasSuffix(r.URL.Path, "/unsubscribe")
		p.Notice = alertNoticeFor(r.URL.Query().Get("done"), a.Status)
	})
}

func (s *Server) renderAlert(w http.ResponseWriter, r *http.Request, status int, a *board.Alert, adjust func(*alertPage)) {
	p := &alertPage{Page: Page{Title: "Search alert", NoIndex: true}, Alert: a,
		Action: "/alerts/" + a.ID + "/" + r.PathValue("sig")}
	if adjust != nil {
		adjust(p)
	}
	manageHeaders(w)
	s.render(w, r, status, "alert", p)
}

// alertConfirm starts an alert. A stopped alert stays stopped, and the
// page shows the reason with status 409.
func (s *Server) alertConfirm(w http.ResponseWriter, r *http.Request) {
	id, sig := r.PathValue("id"), r.PathValue("sig")
	err := s.svc.ConfirmAlert(r.Context(), id, sig)
	var e *board.Error
	if errors.As(err, &e) && e.Code == board.Conflict {
		a, loadErr := s.svc.AlertBySignature(r.Context(), id, sig)
		if loadErr != nil {
			s.alertError(w, r, loadErr)
			return
		}
		s.renderAlert(w, r, http.StatusConflict, a, func(p *alertPage) { p.Error = e.Message })
		return
	}
	if err != nil {
		s.alertError(w, r, err)
		return
	}
	http.Redirect(w, r, "/alerts/"+id+"/"+sig+"?done=confirmed", http.StatusSeeOther)
}

// alertUnsubscribe stops an alert. Mail programs call it directly with
// List-Unsubscribe=One-Click (RFC 8058), so it needs no form token: the
// signed link is the credential.
func (s *Server) alertUnsubscribe(w http.ResponseWriter, r *http.Request) {
	id, sig := r.PathValue("id"), r.PathValue("sig")
	if err := s.svc.Unsubscribe(r.Context(), id, sig); err != nil {
		s.alertError(w, r, err)
		return
	}
	http.Redirect(w, r, "/alerts/"+id+"/"+sig+"?done=unsubscribed", http.StatusSeeOther)
}

func (s *Server) alertError(w http.ResponseWriter, r *http.Request, err error) {
	manageHeaders(w)
	s.error(w, r, err)
}
