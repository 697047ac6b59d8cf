package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/places"
)

// apiPost is a post as the JSON API returns it.
type apiPost struct {
	ID          string     `json:"id"`
	Status      string     `json:"status,omitempty"` // manage responses only
	Title       string     `json:"title"`
	Body        string     `json:"body"`
	PriceCents  *int64     `json:"price_cents"`
	Category    string     `json:"category"`
	Region      string     `json:"region"`
	ZIP         string     `json:"zip"`
	City        string     `json:"city"`
	State       string     `json:"state"`
	Phone       string     `json:"phone,omitempty"`
	Sample      bool       `json:"sample,omitempty"`
	PublishedAt *time.Time `json:"published_at"`
	ExpiresAt   *time.Time `json:"expires_at"`
	URL         string     `json:"url"`
	// DistanceMiles is set in search results when a ZIP was given.
	DistanceMiles *float64   `json:"distance_miles,omitempty"`
	Images        []apiImage `json:"images"`
}

type apiImage struct {
	ThumbURL  string `json:"thumb_url"`
	MediumURL string `json:"medium_url,omitempty"`
	LargeURL  string `json:"large_url"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
}

func (s *Server) apiPostOf(p *board.Post) apiPost {
	out := apiPost{
		ID: p.ID, Title: p.Title, Body: p.Body, PriceCents: p.PriceCents, Category: p.Category,
		Region: p.Region, ZIP: p.ZIP, City: p.City, State: p.State, Phone: p.Phone, Sample: p.Sample,
		URL:    s.svc.BaseURL.JoinPath(postPath(p)).String(),
		Images: []apiImage{},
	}
	if !p.PublishedAt.IsZero() {
		published, expires := p.PublishedAt, p.ExpiresAt
		out.PublishedAt, out.ExpiresAt = &published, &expires
	}
	for _, img := range p.Images {
		out.Images = append(out.Images, apiImage{
			ThumbURL:  s.absolutePhotoURL(img.ThumbKey),
			LargeURL:  s.absolutePhotoURL(img.LargeKey),
			MediumURL: s.optionalPhotoURL(img.MediumKey),
			Width:     img.Width, Height: img.Height,
		})
	}
	return out
}

// optionalPhotoURL returns "" for a size that was not made.
func (s *Server) optionalPhotoURL(key string) string {
	if key == "" {
		return ""
	}
	return s.absolutePhotoURL(key)
}

// apiDraft is the JSON body of a create request. Price may be a string as
// people type it or a number of dollars; any other field, such as a
// client's idea of the time, is ignored.
type apiDraft struct {
	Title    string          `json:"title"`
	Body     string          `json:"body"`
	Price    json.RawMessage `json:"price"`
	Category string          `json:"category"`
	ZIP      json.RawMessage `json:"zip"`
	Email    string          `json:"email"`
	Phone    string          `json:"phone"`
}

const maxIdempotencyKey = 255

func (s *Server) apiCreatePost(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > maxIdempotencyKey {
		s.apiError(w, r, fieldError("Idempotency-Key", "Must be at most 255 bytes."))
		return
	}
	if ok, wait := s.takePost(r); !ok {
		setRetryAfter(w, wait)
		s.apiError(w, r, board.Errorf(board.RateLimited, "Too many posts from your address. Try again in %s.", waitText(wait)))
		return
	}

	draft, err := s.readDraft(r)
	if err != nil {
		s.refundPost(r, err)
		s.apiError(w, r, err)
		return
	}
	if key != "" {
		key = "api:" + key
	}

	created, err := s.svc.CreatePost(r.Context(), draft, key)
	if err != nil {
		s.refundPost(r, err)
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, created)
}

// readDraft reads a create request sent as JSON, multipart or form-encoded.
// limitBodies has bounded the body by its type.
func (s *Server) readDraft(r *http.Request) (board.Draft, error) {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "multipart/form-data", "application/x-www-form-urlencoded":
		if err := parsePostForm(r); err != nil {
			return board.Draft{}, tooLargeOr(err, "The form body could not be read.")
		}
		return board.Draft{
			Title: r.FormValue("title"), Body: r.FormValue("body"), Price: r.FormValue("price"),
			Category: r.FormValue("category"), ZIP: r.FormValue("zip"), Email: r.FormValue("email"),
			Phone: r.FormValue("phone"), Photos: uploads(r.MultipartForm, "images"),
		}, nil
	case "application/json":
		var in apiDraft
		if err := decodeJSON(r, &in); err != nil {
			return board.Draft{}, err
		}
		fields := map[string]string{}
		d := board.Draft{Title: in.Title, Body: in.Body, Category: in.Category, Email: in.Email, Phone: in.Phone,
			Price: jsonScalar(in.Price, "price", fields), ZIP: jsonScalar(in.ZIP, "zip", fields)}
		if len(fields) > 0 {
			return d, board.FieldErrors(fields)
		}
		return d, nil
	}
	return board.Draft{}, board.Errorf(board.Unsupported, "Send the post as application/json or multipart/form-data.")
}

// decodeJSON reads one JSON object from the body.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooBig):
			return err
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return fieldError(typeErr.Field, "Must be a JSON "+jsonKind(typeErr.Type.Kind())+".")
		}
		return board.Errorf(board.Invalid, "The body is not valid JSON: send one object such as {\"title\": \"...\"}.")
	}
	if dec.More() {
		return board.Errorf(board.Invalid, "The body must contain one JSON object only.")
	}
	return nil
}

// jsonKind names a Go kind the way JSON does.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return "number"
}

// jsonScalar accepts a JSON string or number as typed text; null or an
// absent field is empty. A ZIP code sent as a number has lost any leading
// zero, so 2134 then fails validation as a 4-digit ZIP code.
func jsonScalar(raw json.RawMessage, field string, fields map[string]string) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	fields[field] = "Must be a string or a number."
	return ""
}

// fieldError returns an Invalid error for one field, in the shape of
// every other invalid request: a general message and the field's own.
func fieldError(field, message string) *board.Error {
	return board.FieldErrors(map[string]string{field: message})
}

func (s *Server) apiGetPost(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.PublicPost(r.Context(), r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.apiPostOf(p))
}

// apiListPosts lists or searches live posts; see docs/api.md for the
// parameters.
func (s *Server) apiListPosts(w http.ResponseWriter, r *http.Request) {
	search, err := parseSearch(r.URL.Query(), 50)
	if err != nil {
		s.apiError(w, r, err)
		return
	}

	page, err := s.svc.Search(r.Context(), search)
	if err != nil {
		s.apiError(w, r, err)
		return
	}

	out := struct {
		Posts      []apiPost `json:"posts"`
		NextCursor *string   `json:"next_cursor"`
	}{Posts: []apiPost{}}
	for i := range page.Hits {
		p := s.apiPostOf(&page.Hits[i].Post)
		if d := page.Hits[i].DistanceMiles; d != nil {
			rounded := math.Round(*d*10) / 10
			p.DistanceMiles = &rounded
		}
		out.Posts = append(out.Posts, p)
	}
	if page.Next != "" {
		out.NextCursor = &page.Next
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiRegions(w http.ResponseWriter, r *http.Request) {
	type region struct {
		Slug  string `json:"slug"`
		Name  string `json:"name"`
		State string `json:"state"`
	}
	out := []region{}
	for _, reg := range s.svc.Places.Regions() {
		out = append(out, region{Slug: reg.Slug, Name: reg.Name, State: reg.State})
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeJSON(w, http.StatusOK, map[string]any{"regions": out})
}

func (s *Server) apiCategories(w http.ResponseWriter, r *http.Request) {
	type category struct {
		Slug         string `json:"slug"`
		Name         string `json:"name"`
		Section      string `json:"section"`
		SectionName  string `json:"section_name"`
		LifetimeDays int    `json:"lifetime_days"`
	}
	out := []category{}
	for _, sec := range s.svc.Categories.Sections {
		for _, c := range sec.Categories {
			out = append(out, category{Slug: c.Slug, Name: c.Name, Section: sec.Slug, SectionName: sec.Name,
				LifetimeDays: int(c.Lifetime / (24 * time.Hour))})
		}
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeJSON(w, http.StatusOK, map[string]any{"categories": out})
}

func (s *Server) apiZIP(w http.ResponseWriter, r *http.Request) {
	place, err := s.svc.Places.Lookup(r.PathValue("zip"))
	if err != nil {
		s.apiError(w, r, zipError(err, r.PathValue("zip")))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"zip": place.ZIP, "city": place.City, "state": place.State, "region": place.Region,
		"latitude": place.Lat, "longitude": place.Lon,
	})
}

// zipError returns the error for a ZIP code that Lookup rejected with err,
// with the same field message as a search or a new post gets.
func zipError(err error, zip string) error {
	if errors.Is(err, places.ErrUnknownZIP) {
		return &board.Error{Code: board.NotFound, Message: "ZIP code " + strings.TrimSpace(zip) + " was not found.",
			Fields: map[string]string{"zip": board.ZIPMessage(zip, err)}}
	}
	return fieldError("zip", board.ZIPMessage(zip, err))
}

func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request) {
	s.apiError(w, r, board.Errorf(board.NotFound, "No such API endpoint; see docs/api.md."))
}
