package board

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Sort orders of a search.
const (
	SortNewest    = "newest"
	SortOldest    = "oldest"
	SortPriceAsc  = "price_asc"
	SortPriceDesc = "price_desc"
	SortDistance  = "distance"  // needs a ZIP
	SortRelevance = "relevance" // needs text
)

// MaxQueryLength bounds the search text, in characters.
const MaxQueryLength = 2000

// Search is a search request from a region or category page, or from
// GET /api/v1/posts.
type Search struct {
	Region     string // empty for all regions
	Nearby     bool   // also search the regions near Region
	Section    string // optional section slug
	Category   string // optional category slug
	Text       string
	TitlesOnly bool
	MinPrice   *int64 // cents
	MaxPrice   *int64 // cents
	HasImage   bool
	Today      bool // posted or renewed in the last 24 hours
	ZIP        string
	Miles      float64 // with ZIP: only posts within this distance
	Sort       string  // one of the Sort constants; empty picks a default
	Bundle     bool    // show duplicates once
	Cursor     string
	Limit      int
}

// SearchQuery is a validated Search, ready for the store.
type SearchQuery struct {
	Regions    []string // empty for all
	Categories []string // empty for all; a section is its categories
	Match      string   // FTS query built by MatchExpression; empty for none
	TitlesOnly bool
	MinPrice   *int64
	MaxPrice   *int64
	HasImage   bool
	Since      time.Time // zero for no bound
	Origin     *Point    // set when a ZIP was given
	Miles      float64   // zero for no distance bound
	Sort       string
	Bundle     bool
	After      *SearchCursor
	Limit      int
	Now        time.Time
}

// Point is a position in degrees.
type Point struct{ Lat, Lon float64 }

// SearchCursor is the keyset position after the last post of a page: the
// sort value of that post and its ID.
type SearchCursor struct {
	Sort  string  `json:"s"`
	Value float64 `json:"v"`
	Null  bool    `json:"n,omitempty"` // the post had no price
	ID    string  `json:"i"`
}

// Hit is one search result.
type Hit struct {
	Post
	DistanceMiles *float64 // set when the search had a ZIP
	SortValue     float64
	SortNull      bool
}

// SearchPage is one page of search results.
type SearchPage struct {
	Hits []Hit
	Next string
}

// Search validates a search and returns one page of live posts. Errors:
// Invalid with Fields naming the parameter.
func (s *Service) Search(ctx context.Context, q Search) (SearchPage, error) {
	sq, err := s.prepareSearch(q)
	if err != nil {
		return SearchPage{}, err
	}
	if sq.Match == "" && strings.TrimSpace(q.Text) != "" {
		// The text had no searchable word (say, only punctuation or an
		// emoji): nothing can match it.
		return SearchPage{}, nil
	}

	// First pages are cached, filled from the primary; later pages read
	// a replica directly.
	key := ""
	if q.Cursor == "" {
		key = fmt.Sprintf("search:%d:%s", q.Limit, SearchQueryString(q))
		var cached []Hit
		if data, ok := s.Cache.Get(ctx, key); ok && json.Unmarshal(data, &cached) == nil && !anyHitExpired(cached, sq.Now) {
			return s.searchPage(cached, sq, q.Limit), nil
		}
		ctx = WithPrimary(ctx)
	}
	hits, err := s.Store.SearchPosts(ctx, sq)
	if err != nil {
		return SearchPage{}, internal("search posts", err)
	}
	for i := range hits {
		hits[i].Email = "" // results never show it, and caches should not hold it
	}
	if key != "" {
		if data, err := json.Marshal(hits); err == nil {
			tags := []string{"all"}
			for _, r := range sq.Regions {
				tags = append(tags, "region:"+r)
			}
			if len(sq.Regions) > 0 {
				tags = tags[1:]
			}
			s.Cache.Set(ctx, key, data, time.Minute, tags...)
		}
	}
	return s.searchPage(hits, sq, q.Limit), nil
}

// searchPage cuts the extra row off and makes the next page's cursor.
func (s *Service) searchPage(hits []Hit, sq SearchQuery, limit int) SearchPage {
	page := SearchPage{Hits: hits}
	if len(hits) > limit {
		page.Hits = hits[:limit]
		last := page.Hits[limit-1]
		page.Next = encodeSearchCursor(SearchCursor{Sort: sq.Sort, Value: last.SortValue, Null: last.SortNull, ID: last.ID})
	}
	return page
}

func anyHitExpired(hits []Hit, now time.Time) bool {
	for i := range hits {
		if hits[i].StatusAt(now) != Active {
			return true
		}
	}
	return false
}

func (s *Service) prepareSearch(q Search) (SearchQuery, error) {
	fields := map[string]string{}
	sq := SearchQuery{TitlesOnly: q.TitlesOnly,
		MinPrice: q.MinPrice, MaxPrice: q.MaxPrice, HasImage: q.HasImage, Bundle: q.Bundle,
		Limit: q.Limit, Now: s.now()}

	if q.Region != "" {
		if _, ok := s.Places.Region(q.Region); !ok {
			fields["region"] = "Unknown region."
		} else {
			sq.Regions = []string{q.Region}
			if q.Nearby {
				for _, r := range s.Places.Nearby(q.Region, s.NearbyMiles) {
					sq.Regions = append(sq.Regions, r.Slug)
				}
			}
		}
	}
	if q.Category != "" {
		if _, ok := s.Categories.Category(q.Category); !ok {
			fields["category"] = "Unknown category."
		}
		sq.Categories = []string{q.Category}
	} else if q.Section != "" {
		sec, ok := s.Categories.Section(q.Section)
		if !ok {
			fields["section"] = "Unknown section."
		}
		for _, c := range sec.Categories {
			sq.Categories = append(sq.Categories, c.Slug)
		}
	}
	if utf8.RuneCountInString(q.Text) > MaxQueryLength {
		fields["q"] = fmt.Sprintf("The search text may be at most %d characters long.", MaxQueryLength)
	}
	sq.Match = MatchExpression(q.Text)
	if q.MinPrice != nil && q.MaxPrice != nil && *q.MinPrice > *q.MaxPrice {
		fields["max_price"] = "The maximum price is below the minimum."
	}
	if q.Today {
		sq.Since = sq.Now.Add(-24 * time.Hour)
	}
	if q.ZIP != "" {
		place, err := s.Places.Lookup(q.ZIP)
		if err != nil {
			fields["zip"] = ZIPMessage(q.ZIP, err)
		} else {
			sq.Origin = &Point{Lat: place.Lat, Lon: place.Lon}
		}
	}
	switch {
	case q.Miles != 0 && !validMiles(q.Miles):
		fields["miles"] = milesMessage
	case q.Miles > 0 && q.ZIP == "":
		fields["zip"] = "Enter a ZIP code to search within a distance."
	}
	sq.Miles = q.Miles

	sq.Sort = q.Sort
	switch q.Sort {
	case "":
		sq.Sort = SortNewest
	case SortNewest, SortOldest, SortPriceAsc, SortPriceDesc:
	case SortDistance:
		if q.ZIP == "" {
			fields["sort"] = "Sorting by distance needs a ZIP code."
		}
	case SortRelevance:
		if sq.Match == "" {
			fields["sort"] = "Sorting by relevance needs search text."
		}
	default:
		fields["sort"] = "Sort by newest, oldest, price_asc, price_desc, distance or relevance."
	}
	if q.Limit < 1 || q.Limit > MaxPageSize {
		fields["limit"] = fmt.Sprintf("Must be between 1 and %d.", MaxPageSize)
	}
	if q.Cursor != "" {
		c, err := decodeSearchCursor(q.Cursor)
		if err != nil || c.Sort != sq.Sort || !ValidPostID(c.ID) {
			fields["cursor"] = "Invalid cursor. Start again from the first page."
		}
		sq.After = c
	}
	if len(fields) > 0 {
		return sq, &Error{Code: Invalid, Message: "Please correct the search.", Fields: fields}
	}
	sq.Limit = q.Limit + 1 // one extra row shows whether a next page exists
	return sq, nil
}

func encodeSearchCursor(c SearchCursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeSearchCursor(s string) (*SearchCursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) > 512 {
		return nil, fmt.Errorf("invalid cursor")
	}
	var c SearchCursor
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// maxTerms bounds the words of one search, which bounds the work of the
// full-text engine whatever the input.
const maxTerms = 24

// MatchExpression turns what a person typed into a full-text query that
// the engine cannot misread: every word is quoted, so quotes, colons,
// parentheses, operators and backslashes are plain text. It understands
// "exact phrases", -excluded words and OR between words, like web search.
// It returns "" when the text has no searchable word.
func MatchExpression(text string) string {
	if utf8.RuneCountInString(text) > MaxQueryLength {
		text = string([]rune(text)[:MaxQueryLength])
	}
	type term struct {
		phrase  string
		exclude bool
		or      bool // joined to the previous term with OR
	}
	var terms []term
	nextOr := false
	for _, tok := range splitQuery(text) {
		if tok == "OR" && len(terms) > 0 {
			nextOr = true
			continue
		}
		exclude := strings.HasPrefix(tok, "-") && len(tok) > 1
		words := searchWords(strings.TrimPrefix(tok, "-"))
		if len(words) == 0 {
			continue
		}
		terms = append(terms, term{phrase: strings.Join(words, " "), exclude: exclude, or: nextOr && !exclude})
		nextOr = false
		if len(terms) == maxTerms {
			break
		}
	}

	var b strings.Builder
	positives := 0
	for _, t := range terms {
		if t.exclude {
			continue
		}
		switch {
		case positives == 0:
		case t.or:
			b.WriteString(" OR ")
		default:
			b.WriteString(" AND ")
		}
		b.WriteString(`"` + t.phrase + `"`)
		positives++
	}
	if positives == 0 {
		return ""
	}
	expr := "(" + b.String() + ")"
	for _, t := range terms {
		if t.exclude {
			expr += ` NOT "` + t.phrase + `"`
		}
	}
	return expr
}

// splitQuery splits at spaces, keeping "quoted phrases" together.
func splitQuery(text string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range text {
		switch {
		case r == '"':
			flush()
			quoted = !quoted
		case unicode.IsSpace(r) && !quoted:
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return out
}

// searchWords returns the letter and digit runs of s in lower case, the
// units the full-text tokenizer indexes: "O'Brien" gives "o" and "brien".
func searchWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.Is(unicode.Mn, r)
	})
}

// DupKey returns the key that bundles duplicates: the same normalised
// title and text from the same email address.
func DupKey(p *Post) string {
	normal := func(s string) string {
		return strings.Join(searchWords(norm.NFKC.String(s)), " ")
	}
	sum := sha256.Sum256([]byte(normal(p.Title) + "\n" + normal(p.Body) + "\n" + strings.ToLower(p.Email)))
	return hex.EncodeToString(sum[:16])
}
