package board

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// SearchParams are the URL query parameters of a search, shared by the
// pages, their feeds, GET /api/v1/posts and saved alerts.
var SearchParams = []string{"q", "titles_only", "min_price", "max_price", "has_image", "today", "zip", "miles", "nearby", "sort", "bundle"}

// SearchFromQuery reads a search from URL query parameters: region,
// section, category, cursor, limit and SearchParams. Prices are whole
// dollars. Errors are Invalid and name the parameter. A missing limit is
// left at zero for the caller to fill.
func SearchFromQuery(q url.Values) (Search, error) {
	fields := map[string]string{}
	s := Search{
		Region: q.Get("region"), Section: q.Get("section"), Category: q.Get("category"),
		Text: q.Get("q"), ZIP: strings.TrimSpace(q.Get("zip")), Sort: q.Get("sort"), Cursor: q.Get("cursor"),
	}
	s.TitlesOnly = parseBool(q, "titles_only", fields)
	s.HasImage = parseBool(q, "has_image", fields)
	s.Today = parseBool(q, "today", fields)
	s.Nearby = parseBool(q, "nearby", fields)
	s.Bundle = parseBool(q, "bundle", fields)
	s.MinPrice = parseDollars(q, "min_price", fields)
	s.MaxPrice = parseDollars(q, "max_price", fields)
	if v := strings.TrimSpace(q.Get("miles")); v != "" {
		miles, err := strconv.ParseFloat(v, 64)
		if err != nil || !validMiles(miles) {
			fields["miles"] = milesMessage
		}
		s.Miles = miles
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageSize {
			fields["limit"] = fmt.Sprintf("Must be a whole number from 1 to %d.", MaxPageSize)
		}
		s.Limit = n
	}
	if len(fields) > 0 {
		return s, &Error{Code: Invalid, Message: "Please correct the search.", Fields: fields}
	}
	return s, nil
}

// Distance bounds of a search. Posts are placed at the centre of their
// ZIP code and distances are shown to a tenth of a mile, so a smaller
// radius would promise a precision that the data lacks.
// NOTE: an alert saved while any radius above 0 was accepted, and below
// 0.1 mile, now fails each of its runs as Invalid.
const (
	minMiles     = 0.1
	maxMiles     = 3000
	milesMessage = "Enter a distance from 0.1 to 3,000 miles."
)

// validMiles reports whether miles is a search radius. NaN fails both
// comparisons, so it is rejected too.
func validMiles(miles float64) bool {
	return miles >= minMiles && miles <= maxMiles
}

func parseBool(q url.Values, name string, fields map[string]string) bool {
	switch strings.ToLower(q.Get(name)) {
	case "", "0", "false", "no", "off":
		return false
	case "1", "true", "yes", "on":
		return true
	}
	fields[name] = "Must be true, false, 1, 0, yes, no, on or off."
	return false
}

// parseDollars reads a whole number of dollars and returns cents.
func parseDollars(q url.Values, name string, fields map[string]string) *int64 {
	v := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(q.Get(name)), "$"))
	if v == "" {
		return nil
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(v, ",", ""), 10, 64)
	if err != nil || n < 0 || n > MaxPriceCents/100 {
		fields[name] = "Enter a whole number of dollars, like 300."
		return nil
	}
	cents := n * 100
	return &cents
}

// SearchQueryString returns the query string that SearchFromQuery reads
// back into the same search, without cursor and limit.
func SearchQueryString(q Search) string {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	flag := func(k string, b bool) {
		if b {
			v.Set(k, "1")
		}
	}
	set("region", q.Region)
	set("section", q.Section)
	set("category", q.Category)
	set("q", q.Text)
	set("zip", q.ZIP)
	set("sort", q.Sort)
	if q.Miles > 0 {
		v.Set("miles", strconv.FormatFloat(q.Miles, 'f', -1, 64))
	}
	if q.MinPrice != nil {
		v.Set("min_price", strconv.FormatInt(*q.MinPrice/100, 10))
	}
	if q.MaxPrice != nil {
		v.Set("max_price", strconv.FormatInt(*q.MaxPrice/100, 10))
	}
	flag("titles_only", q.TitlesOnly)
	flag("has_image", q.HasImage)
	flag("today", q.Today)
	flag("nearby", q.Nearby)
	flag("bundle", q.Bundle)
	return v.Encode()
}
