package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/categories"
	"github.com/corkboard/corkboard/internal/places"
)

type homePage struct {
	Page
	States []stateRegions
	ZIP    string
	Error  string
}

type stateRegions struct {
	State   string
	Regions []places.Region
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	s.renderHome(w, r, http.StatusOK, "", "")
}

func (s *Server) renderHome(w http.ResponseWriter, r *http.Request, status int, zip, message string) {
	var states []stateRegions
	byState := map[string]int{}
	for _, reg := range s.svc.Places.Regions() {
		i, ok := byState[reg.State]
		if !ok {
			i = len(states)
			byState[reg.State] = i
			states = append(states, stateRegions{State: reg.State})
		}
		states[i].Regions = append(states[i].Regions, reg)
	}
	sortStates(states)
	s.render(w, r, status, "home", homePage{
		Page:   Page{Title: "Local classifieds", Description: "Buy, sell, find housing, jobs and services near you. Post free ads without an account."},
		States: states, ZIP: zip, Error: message,
	})
}

// goToZIP sends a visitor who typed a ZIP code to that ZIP's region.
func (s *Server) goToZIP(w http.ResponseWriter, r *http.Request) {
	zip := r.URL.Query().Get("zip")
	place, err := s.svc.Places.Lookup(zip)
	switch {
	case errors.Is(err, places.ErrMalformedZIP):
		s.renderHome(w, r, http.StatusBadRequest, zip, board.ZIPMessage(zip, err))
		return
	case err != nil:
		s.renderHome(w, r, http.StatusNotFound, zip, board.ZIPMessage(zip, err))
		return
	}
	http.Redirect(w, r, "/"+place.Region+"/", http.StatusSeeOther)
}

type regionPage struct {
	Page
	Crumbs   []link
	Region   places.Region
	Sections []sectionCounts
	Total    int
	Nearby   []places.Region
	Results  searchResults
}

type sectionCounts struct {
	Section    categories.Section
	Categories []categoryCount
}

type categoryCount struct {
	Category categories.Category
	Count    int
}

// searchResults is the search form of a region or category page with what
// it found. Action is the page's path; the search state lives in the
// query string, so every search can be bookmarked and shared.
type searchResults struct {
	Action    string
	Form      url.Values
	Sections  []categories.Section
	Searching bool
	Hits      []board.Hit
	Next      string // query string of the next page
	First     bool
	Errors    map[string]string
	Query     string // the search parameters as a query string, for feeds and alerts
	Filtered  bool   // a filter beyond the words is set, so the filters show open
	// AlertFields and AlertCSRF fill the "email me new matches" form.
	AlertFields url.Values
	AlertCSRF   string
}

func (s *Server) regionPage(w http.ResponseWriter, r *http.Request) {
	region, ok := s.svc.Places.Region(r.PathValue("region"))
	if !ok {
		s.notFound(w, r)
		return
	}
	if redirectClean(w, r, "/"+region.Slug+"/") {
		return
	}

	page := regionPage{Page: Page{Title: region.Name + " classifieds",
		Description: "Local classified ads in " + region.Name + ": for sale, housing, jobs, services and more.",
		Canonical:   "/" + region.Slug + "/"}, Region: region,
		Crumbs: breadcrumbs(regionLink(region))}
	status := http.StatusOK
	page.Results, status = s.runSearch(r, "/"+region.Slug+"/", region.Slug, "")
	page.Feeds = feedLinks(region.Slug, "all", page.Results.Query)
	if page.Results.Searching {
		page.NoIndex = true
		s.render(w, r, status, "region", page)
		return
	}

	counts, err := s.svc.RegionCounts(r.Context(), region.Slug)
	if err != nil {
		s.error(w, r, err)
		return
	}
	for _, sec := range s.svc.Categories.Sections {
		sc := sectionCounts{Section: sec}
		for _, c := range sec.Categories {
			sc.Categories = append(sc.Categories, categoryCount{Category: c, Count: counts[c.Slug]})
			page.Total += counts[c.Slug]
		}
		page.Sections = append(page.Sections, sc)
	}
	page.Nearby = s.svc.Places.Nearby(region.Slug, s.svc.NearbyMiles)
	s.render(w, r, status, "region", page)
}

type categoryPage struct {
	Page
	Crumbs   []link
	Region   places.Region
	Category categories.Category
	Results  searchResults
}

const pageSize = 50

func (s *Server) categoryPage(w http.ResponseWriter, r *http.Request) {
	region, ok := s.svc.Places.Region(r.PathValue("region"))
	if !ok {
		s.notFound(w, r)
		return
	}
	cat, ok := s.svc.Categories.Category(r.PathValue("category"))
	if !ok {
		s.notFound(w, r)
		return
	}
	if redirectClean(w, r, "/"+region.Slug+"/"+cat.Slug+"/") {
		return
	}

	results, status := s.runSearch(r, "/"+region.Slug+"/"+cat.Slug+"/", region.Slug, cat.Slug)
	page := categoryPage{
		Page: Page{Title: cat.Name + " in " + region.Name,
			Description: cat.Name + " classified ads in " + region.Name + ".",
			Canonical:   "/" + region.Slug + "/" + cat.Slug + "/",
			NoIndex:     results.Searching || !results.First,
			Feeds:       feedLinks(region.Slug, cat.Slug, results.Query)},
		Crumbs: breadcrumbs(regionLink(region), categoryLink(region, cat)),
		Region: region, Category: cat, Results: results,
	}
	s.render(w, r, status, "category", page)
}

// redirectClean sends a search whose form left empty fields in the query
// string to the page at path without them, so shared links stay short.
// The caller builds path from known region and category slugs, because
// the request's own path may spell another host that a browser would
// follow off the site, such as /%2F%5Cevil.example/.
func redirectClean(w http.ResponseWriter, r *http.Request, path string) bool {
	q := r.URL.Query()
	clean := url.Values{}
	changed := false
	for k, vs := range q {
		if len(vs) == 0 || vs[0] == "" {
			changed = true
			continue
		}
		clean[k] = vs[:1]
	}
	if !changed {
		return false
	}
	target := path
	if len(clean) > 0 {
		target += "?" + clean.Encode()
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return true
}

// runSearch lists the newest posts, or searches when the query string has
// search parameters. A bad parameter shows the form with its message.
func (s *Server) runSearch(r *http.Request, action, region, category string) (searchResults, int) {
	q := r.URL.Query()
	res := searchResults{Action: action, Form: q, Sections: s.svc.Categories.Sections, Searching: isSearch(q),
		First: q.Get("cursor") == "" && q.Get("after") == "", Query: queryString(q), AlertCSRF: s.formToken("alert")}
	for _, p := range searchParams {
		if p != "q" && q.Get(p) != "" {
			res.Filtered = true
		}
	}
	res.AlertFields = url.Values{"region": {region}}
	if category != "" {
		res.AlertFields.Set("category", category)
	}
	for _, p := range append(searchParams, "section") {
		if v := q.Get(p); v != "" {
			res.AlertFields.Set(p, v)
		}
	}
	if !res.Searching && region != "" && q.Get("cursor") == "" {
		page, err := s.svc.ListPosts(r.Context(), region, category, q.Get("after"), pageSize)
		var e *board.Error
		if errors.As(err, &e) && e.Fields["cursor"] != "" {
			// The page takes the listing's cursor as "after".
			err = &board.Error{Code: e.Code, Message: e.Message, Fields: map[string]string{"after": e.Fields["cursor"]}}
		}
		if err != nil {
			return s.searchError(r, res, err)
		}
		for _, p := range page.Posts {
			res.Hits = append(res.Hits, board.Hit{Post: p})
		}
		if page.Next != "" {
			res.Next = "?after=" + url.QueryEscape(page.Next)
		}
		return res, http.StatusOK
	}

	search, err := parseSearch(q, pageSize)
	if err != nil {
		return s.searchError(r, res, err)
	}
	search.Region, search.Category = region, category
	if search.Category == "" {
		search.Section = q.Get("section")
	}
	page, err := s.svc.Search(r.Context(), search)
	if err != nil {
		return s.searchError(r, res, err)
	}
	res.Hits = page.Hits
	if page.Next != "" {
		next := url.Values{}
		for _, p := range append(searchParams, "section") {
			if v := q.Get(p); v != "" {
				next.Set(p, v)
			}
		}
		next.Set("cursor", page.Next)
		res.Next = "?" + next.Encode()
	}
	return res, http.StatusOK
}

func (s *Server) searchError(r *http.Request, res searchResults, err error) (searchResults, int) {
	var e *board.Error
	if errors.As(err, &e) && e.Code == board.Invalid {
		res.Errors = e.Fields
		if len(res.Errors) == 0 {
			res.Errors = map[string]string{"q": e.Message}
		}
		return res, http.StatusBadRequest
	}
	// publicError logs the cause, or an info line when the client left.
	status, _ := s.publicError(r, err)
	res.Errors = map[string]string{"q": "The search failed. Please try again."}
	return res, status
}

// feedLinks returns the RSS and Atom feeds of a page for its <head>.
func feedLinks(region, feed, query string) []feedLink {
	base := "/feeds/" + region + "/" + feed
	return []feedLink{
		{Title: "RSS", Type: "application/rss+xml", Href: base + ".rss" + query},
		{Title: "Atom", Type: "application/atom+xml", Href: base + ".atom" + query},
	}
}

type postPage struct {
	Page
	Crumbs []link
	Post   *board.Post
	Reply  replyForm
}

// replyForm is the "contact the poster" form under a post.
type replyForm struct {
	Email, Message string
	CSRF           string
	Errors         map[string]string
	Sent           bool
}

// postPage shows a post under its readable URL, redirecting to the current
// one when the title, region or category in the URL is outdated.
func (s *Server) postPage(w http.ResponseWriter, r *http.Request) {
	segment := r.PathValue("post")
	if len(segment) < 16 {
		s.notFound(w, r)
		return
	}
	id := segment[len(segment)-16:]

	p, err := s.svc.PublicPost(r.Context(), id)
	if board.ErrorCode(err) == board.Gone {
		s.errorWithLinks(w, r, err, s.listLinks(p))
		return
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	if canonical := postPath(p); r.URL.Path != canonical {
		http.Redirect(w, r, canonical, http.StatusMovedPermanently)
		return
	}
	s.renderPost(w, r, http.StatusOK, p, replyForm{Sent: r.URL.Query().Get("reply") == "sent"})
}

// listLinks returns links to the category and region lists of a post, for
// the page of a post that is gone. It skips a region or category that no
// longer exists.
func (s *Server) listLinks(p *board.Post) []link {
	region, ok := s.svc.Places.Region(p.Region)
	if !ok {
		return nil
	}
	var links []link
	if cat, ok := s.svc.Categories.Category(p.Category); ok {
		links = append(links, link{Text: cat.Name + " in " + region.Name, Href: "/" + region.Slug + "/" + cat.Slug + "/"})
	}
	return append(links, link{Text: "All ads in " + region.Name, Href: "/" + region.Slug + "/"})
}

func (s *Server) renderPost(w http.ResponseWriter, r *http.Request, status int, p *board.Post, reply replyForm) {
	var trail []link
	if region, ok := s.svc.Places.Region(p.Region); ok {
		trail = append(trail, regionLink(region))
		if cat, ok := s.svc.Categories.Category(p.Category); ok {
			trail = append(trail, categoryLink(region, cat))
		}
	}
	trail = append(trail, link{Text: p.Title, Href: postPath(p)})

	reply.CSRF = s.formToken("reply:" + p.ID)
	reply.Email, reply.Message = clip(reply.Email, maxShortField), clip(reply.Message, board.MaxReply)
	s.render(w, r, status, "post", postPage{
		Page:   Page{Title: p.Title, Description: truncate(p.Body, 160), Canonical: postPath(p)},
		Crumbs: breadcrumbs(trail...),
		Post:   p, Reply: reply,
	})
}

// breadcrumbs returns the trail of links from the list of all regions to
// the current page, which is the last link of trail.
func breadcrumbs(trail ...link) []link {
	return append([]link{{Text: "All regions", Href: "/"}}, trail...)
}

func regionLink(region places.Region) link {
	return link{Text: region.Name, Href: "/" + region.Slug + "/"}
}

func categoryLink(region places.Region, cat categories.Category) link {
	return link{Text: cat.Name, Href: "/" + region.Slug + "/" + cat.Slug + "/"}
}

// replyToPost mails a visitor's message to the poster without showing
// either address to the other until the poster replies.
func (s *Server) replyToPost(w http.ResponseWriter, r *http.Request) {
	segment := r.PathValue("post")
	id := segment[max(0, len(segment)-16):]
	p, err := s.svc.PublicPost(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	form := replyForm{Email: r.FormValue("email"), Message: r.FormValue("message")}
	if !s.validFormToken("reply:"+p.ID, r.FormValue("csrf")) {
		form.Errors = map[string]string{"message": "The form has expired. Please send it again."}
		s.renderPost(w, r, http.StatusBadRequest, p, form)
		return
	}
	if ok, wait := s.limiter.take("reply:"+s.clientKey(r), 5, 0.5); !ok {
		setRetryAfter(w, wait)
		form.Errors = map[string]string{"message": "You have sent many messages. Please wait a few minutes."}
		s.renderPost(w, r, http.StatusTooManyRequests, p, form)
		return
	}

	err = s.svc.Reply(r.Context(), p.ID, form.Email, form.Message)
	var e *board.Error
	if errors.As(err, &e) && e.Code == board.Invalid {
		form.Errors = e.Fields
		s.renderPost(w, r, http.StatusBadRequest, p, form)
		return
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, postPath(p)+"?reply=sent#reply", http.StatusSeeOther)
}

func (s *Server) about(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "about", struct{ Page }{Page{Title: "About"}})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.error(w, r, board.Errorf(board.NotFound, "There is nothing at this address. It may have been mistyped."))
}

// readyz reports whether this server can serve requests: it fails when
// the primary database is unreachable, so a load balancer stops sending
// traffic here. healthz only reports that the process is alive.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.svc.Store.Ping(ctx); err != nil {
		s.log.Error("Readiness check failed", "error", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "unreachable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// truncate shortens text to at most n characters at a word boundary.
func truncate(text string, n int) string {
	runes := []rune(strings.Join(strings.Fields(text), " "))
	if len(runes) <= n {
		return string(runes)
	}
	cut := string(runes[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}
