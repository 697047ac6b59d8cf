package server

import (
	"net/url"

	"github.com/corkboard/corkboard/internal/board"
)

// searchParams are the query parameters that make a page a search.
var searchParams = board.SearchParams

// isSearch reports whether the query has any search parameter.
func isSearch(q url.Values) bool {
	for _, p := range searchParams {
		if q.Get(p) != "" {
			return true
		}
	}
	return false
}

// parseSearch reads search parameters, with limit as the default page size.
func parseSearch(q url.Values, limit int) (board.Search, error) {
	s, err := board.SearchFromQuery(q)
	if s.Limit == 0 {
		s.Limit = limit
	}
	return s, err
}
