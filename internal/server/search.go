package server

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/corkboard/corkboard/internal/board"
)

// searchParams are the query parameters of a search, shared by the region
// and category pages, their feeds and GET /api/v1/posts.
var searchParams = []string{"q", "titles_only", "min_price", "max_price", "has_image", "today", "zip", "miles", "nearby", "sort", "bundle"}

// isSearch reports whether the query asks for more than a plain list.
func isSearch(q url.Values) bool {
	for _, p := range searchParams {
		if q.Get(p) != "" {
			return true
		}
	}
	return false
}

// parseSearch reads search parameters. Errors are Invalid and name the
// parameter; prices are whole dollars.
func parseSearch(q url.Values, limit int) (board.Search, error) {
	fields := map[string]string{}
	s := board.Search{
		Region: q.Get("region"), Section: q.Get("section"), Category: q.Get("category"),
		Text: q.Get("q"), ZIP: strings.TrimSpace(q.Get("zip")), Sort: q.Get("sort"), Cursor: q.Get("cursor"),
		Limit: limit,
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
		if err != nil || miles <= 0 || miles > 3000 {
			fields["miles"] = "Enter a distance from 1 to 3,000 miles."
		}
		s.Miles = miles
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > board.MaxPageSize {
			fields["limit"] = fmt.Sprintf("Must be a whole number from 1 to %d.", board.MaxPageSize)
		}
		s.Limit = n
	}
	if len(fields) > 0 {
		return s, &board.Error{Code: board.Invalid, Message: "Please correct the search.", Fields: fields}
	}
	return s, nil
}

func parseBool(q url.Values, name string, fields map[string]string) bool {
	switch strings.ToLower(q.Get(name)) {
	case "", "0", "false", "no", "off":
		return false
	case "1", "true", "yes", "on":
		return true
	}
	fields[name] = "Must be true or false."
	return false
}

// parseDollars reads a whole number of dollars and returns cents.
func parseDollars(q url.Values, name string, fields map[string]string) *int64 {
	v := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(q.Get(name)), "$"))
	if v == "" {
		return nil
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(v, ",", ""), 10, 64)
	if err != nil || n < 0 || n > board.MaxPriceCents/100 {
		fields[name] = "Enter a whole number of dollars, like 300."
		return nil
	}
	cents := n * 100
	return &cents
}
