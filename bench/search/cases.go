package main

import (
	"context"
	"fmt"

	"github.com/corkboard/corkboard/internal/board"
)

// pageSize is the page size of the region pages and of the API.
const pageSize = 50

// searchCase is one kind of search. Its timed calls rotate over several
// big regions and queries, so no single query's pages stay hot in the
// caches while the others are cold.
type searchCase struct {
	name     string
	variants []board.Search
}

func dollars(n int64) *int64 {
	cents := n * 100
	return &cents
}

// searchCases returns the searches to time. The regions are the biggest
// that the generator fills, because they contain the most rows to filter.
func searchCases(ctx context.Context, svc *board.Service, deepPage int) ([]searchCase, error) {
	text := []board.Search{
		{Region: "new-york", Text: "bike"},
		{Region: "los-angeles", Text: "sofa"},
		{Region: "washington-dc", Text: "honda"},
		{Region: "philadelphia", Text: "guitar"},
		{Region: "boston", Text: "apartment"},
		{Region: "chicago", Text: "mountain bike"},
	}
	// Words that no generated post contains: with no match to stop at, the
	// search reads the region's whole index, the worst case of a rare word.
	noMatch := []board.Search{
		{Region: "new-york", Text: "eames"},
		{Region: "los-angeles", Text: "theremin"},
		{Region: "washington-dc", Text: "vespa"},
		{Region: "philadelphia", Text: "harpsichord"},
		{Region: "boston", Text: "dyson"},
		{Region: "chicago", Text: "bonsai"},
	}
	textPrice := []board.Search{
		{Region: "new-york", Text: "bike", MinPrice: dollars(100), MaxPrice: dollars(500)},
		{Region: "los-angeles", Text: "sofa", MinPrice: dollars(50), MaxPrice: dollars(400)},
		{Region: "washington-dc", Text: "honda", MinPrice: dollars(2000), MaxPrice: dollars(15000)},
		{Region: "philadelphia", Text: "guitar", MinPrice: dollars(100), MaxPrice: dollars(600)},
		{Region: "boston", Text: "apartment", MinPrice: dollars(1000), MaxPrice: dollars(2500)},
		{Region: "chicago", Text: "table", MinPrice: dollars(20), MaxPrice: dollars(300)},
	}
	// City-centre ZIP codes: the densest part of each region.
	nearZIP := []board.Search{
		{Region: "new-york", ZIP: "10001"},
		{Region: "los-angeles", ZIP: "90012"},
		{Region: "washington-dc", ZIP: "20001"},
		{Region: "philadelphia", ZIP: "19103"},
		{Region: "boston", ZIP: "02134"},
		{Region: "chicago", ZIP: "60601"},
	}
	browse := []board.Search{
		{Region: "new-york", Category: "furniture"},
		{Region: "los-angeles", Category: "cars-trucks"},
		{Region: "washington-dc", Category: "apartments"},
		{Region: "philadelphia", Category: "electronics"},
		{Region: "boston", Category: "bikes"},
		{Region: "pittsburgh", Category: "tools"},
	}

	withZIP := func(sort string) []board.Search {
		out := make([]board.Search, len(nearZIP))
		for i, s := range nearZIP {
			s.Miles, s.Sort = 10, sort
			out[i] = s
		}
		return out
	}
	deep, err := deepPages(ctx, svc, browse, deepPage)
	if err != nil {
		return nil, err
	}
	cases := []searchCase{
		{"text + region", text},
		{"text + region, no match", noMatch},
		{"text + price + region", textPrice},
		{"ZIP + 10 mi, newest", withZIP(board.SortNewest)},
		{"ZIP + 10 mi, distance", withZIP(board.SortDistance)},
		{"category page 1", browse},
	}
	if len(deep) > 0 {
		cases = append(cases, searchCase{fmt.Sprintf("category page %d", deepPage), deep})
	} else {
		fmt.Printf("note: no category reaches page %d, so the deep page is not timed: load more posts or lower -deep-page\n", deepPage)
	}
	for i := range cases {
		for j := range cases[i].variants {
			cases[i].variants[j].Limit = pageSize
		}
	}
	return cases, nil
}

// deepPages follows the cursors of each browse search to the given page
// and returns the searches that fetch that page. A category too small to
// reach it is left out.
func deepPages(ctx context.Context, svc *board.Service, browse []board.Search, page int) ([]board.Search, error) {
	var out []board.Search
	for _, s := range browse {
		s.Limit = pageSize
		reached := 1
		for ; reached < page; reached++ {
			res, err := svc.Search(ctx, s)
			if err != nil {
				return nil, fmt.Errorf("search %s/%s: %w", s.Region, s.Category, err)
			}
			if res.Next == "" {
				break
			}
			s.Cursor = res.Next
		}
		if reached < page {
			fmt.Printf("note: %s/%s has %d pages of %d posts, fewer than %d, so the deep page leaves it out\n",
				s.Region, s.Category, reached, pageSize, page)
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

// otherCases returns searches outside the target: all regions, a radius
// that covers most of a region, and the relevance sort. Each has one
// variant, so its pages stay in the caches between calls.
func otherCases() []searchCase {
	single := func(name string, s board.Search) searchCase {
		s.Limit = pageSize
		return searchCase{name: name, variants: []board.Search{s}}
	}
	return []searchCase{
		single("ZIP 10001 + 10 mi, all regions, newest", board.Search{ZIP: "10001", Miles: 10, Sort: board.SortNewest}),
		single("ZIP 10001 + 10 mi, all regions, distance", board.Search{ZIP: "10001", Miles: 10, Sort: board.SortDistance}),
		single("new-york, ZIP 10001 + 50 mi, distance", board.Search{Region: "new-york", ZIP: "10001", Miles: 50, Sort: board.SortDistance}),
		single("new-york, q=bike, relevance", board.Search{Region: "new-york", Text: "bike", Sort: board.SortRelevance}),
		single("all regions, q=bike, newest", board.Search{Text: "bike"}),
		single("new-york, posted today", board.Search{Region: "new-york", Today: true}),
		single("new-york, q=bike, bundle duplicates", board.Search{Region: "new-york", Text: "bike", Bundle: true}),
		single("new-york, furniture, bundle duplicates", board.Search{Region: "new-york", Category: "furniture", Bundle: true}),
	}
}
