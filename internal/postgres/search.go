package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/corkboard/corkboard/internal/board"
)

// rankWeights are ts_rank_cd's weights for D, C, B and A. A title match
// (A) counts four times a body match (B), like the column weights the
// SQLite store gives bm25.
const rankWeights = `'{0.1, 0.2, 0.25, 1.0}'::float4[]`

// SearchPosts runs a search with keyset pagination in every sort order.
func (s *Store) SearchPosts(ctx context.Context, q board.SearchQuery) ([]board.Hit, error) {
	var w query
	w.where(`p.status = 'active'`)
	w.where(`p.expires_at > ` + w.arg(ts(q.Now)))
	inList(&w, "p.region", q.Regions)
	inList(&w, "p.category", q.Categories)
	if q.MinPrice != nil {
		w.where(`p.price_cents >= ` + w.arg(*q.MinPrice))
	}
	if q.MaxPrice != nil {
		w.where(`p.price_cents <= ` + w.arg(*q.MaxPrice))
	}
	if q.HasImage {
		w.where(`EXISTS (SELECT 1 FROM post_images i WHERE i.post_id = p.id)`)
	}
	if !q.Since.IsZero() {
		w.where(`p.bumped_at >= ` + w.arg(ts(q.Since)))
	}
	rank := "NULL::float8"
	if q.Match != "" {
		tsq, err := tsQuery(&w, q.Match)
		if err != nil {
			return nil, err
		}
		vector := "p.search_all"
		if q.TitlesOnly {
			vector = "p.search_title"
		}
		// ANALYZE gives PostgreSQL the most common words. It estimates any
		// other word as rare and uses the GIN index, which took 0.08 ms for
		// a word in no post at a million posts. Without statistics it
		// walked a list index instead (see docs/search-performance.md).
		w.where(vector + ` @@ ` + tsq)
		rank = `ts_rank_cd(` + rankWeights + `, ` + vector + `, ` + tsq + `)::float8`
	}

	distance := "NULL::float8"
	if q.Origin != nil {
		lat, lon := w.arg(q.Origin.Lat), w.arg(q.Origin.Lon)
		distance = `(3958.8 * acos(least(1.0, greatest(-1.0, sin(radians(p.lat)) * sin(radians(` + lat + `::float8))
			+ cos(radians(p.lat)) * cos(radians(` + lat + `::float8)) * cos(radians(p.lon - ` + lon + `::float8))))))`
		if q.Miles > 0 {
			// A bounding box lets the index on (lat, lon) narrow the rows
			// before the exact distance is computed.
			box := board.BoundingBoxAround(*q.Origin, q.Miles)
			w.where(`p.lat BETWEEN ` + w.arg(box.MinLat) + ` AND ` + w.arg(box.MaxLat))
			switch {
			case box.AllLon:
			case box.CrossesMeridian():
				w.where(`(p.lon >= ` + w.arg(box.MinLon) + ` OR p.lon <= ` + w.arg(box.MaxLon) + `)`)
			default:
				w.where(`p.lon BETWEEN ` + w.arg(box.MinLon) + ` AND ` + w.arg(box.MaxLon))
			}
			w.where(distance + ` <= ` + w.arg(q.Miles))
		}
	}
	if q.Bundle {
		// Only the newest post of each group of duplicates is shown.
		w.where(`NOT EXISTS (SELECT 1 FROM posts d WHERE d.dup_key = p.dup_key AND d.dup_key <> ''
			AND d.status = 'active' AND d.expires_at > ` + w.arg(ts(q.Now)) + `
			AND (d.bumped_at, d.id) > (p.bumped_at, p.id))`)
	}

	// sortValue is what the cursor stores, as float64: for the time orders
	// it is bumped_at in Unix microseconds, as in the SQLite store, so that
	// a cursor reads the same whichever store wrote it.
	var sortValue, order string
	switch q.Sort {
	case board.SortOldest:
		sortValue, order = microsSQL, "p.bumped_at ASC, p.id ASC"
	case board.SortPriceAsc:
		sortValue, order = "p.price_cents::float8", "p.price_cents ASC NULLS LAST, p.id ASC"
	case board.SortPriceDesc:
		sortValue, order = "p.price_cents::float8", "p.price_cents DESC NULLS LAST, p.id DESC"
	case board.SortDistance:
		sortValue, order = distance, "sort_value ASC, p.id ASC"
	case board.SortRelevance:
		// ts_rank_cd is higher for better matches, unlike bm25.
		sortValue, order = rank, "sort_value DESC, p.id ASC"
	default:
		sortValue, order = microsSQL, "p.bumped_at DESC, p.id DESC"
	}
	if c := q.After; c != nil {
		addKeyset(&w, q.Sort, sortValue, c)
	}

	limit := w.arg(q.Limit)
	sql := `SELECT ` + prefixed(postColumns, "p.") + `, ` + distance + ` AS distance, ` + sortValue + ` AS sort_value
		FROM posts p WHERE ` + w.sql() + ` ORDER BY ` + order + ` LIMIT ` + limit
	if q.Origin != nil && q.Miles > 0 {
		// The covering geo indexes contain every column that a distance
		// search filters or sorts on. So the inner query picks the page's
		// IDs by an index-only scan, and only those posts are read in full.
		// Both levels name the table p, so one order serves both.
		sql = `SELECT ` + prefixed(postColumns, "p.") + `, page.distance, page.sort_value AS sort_value
			FROM (SELECT p.id, ` + distance + ` AS distance, ` + sortValue + ` AS sort_value
				FROM posts p WHERE ` + w.sql() + ` ORDER BY ` + order + ` LIMIT ` + limit + `) page
			JOIN posts p ON p.id = page.id
			ORDER BY ` + order
	}
	db := s.reader(ctx)
	// The best plan depends on the values: how many posts a word or a price
	// range matches decides between the full-text and the list indexes.
	// A generic plan took text + price from 4 to 39 ms at the median on a
	// million posts.
	args := append([]any{s.searchMode}, w.args...)
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("search posts: %w", err)
	}
	defer rows.Close()
	var hits []board.Hit
	for rows.Next() {
		var distance, sortValue *float64
		p, err := scanPost(rows, &distance, &sortValue)
		if err != nil {
			return nil, fmt.Errorf("scan post: %w", err)
		}
		h := board.Hit{Post: *p, DistanceMiles: distance, SortNull: sortValue == nil}
		if sortValue != nil {
			h.SortValue = *sortValue
		}
		hits = append(hits, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search posts: %w", err)
	}
	posts := make([]*board.Post, len(hits))
	for i := range hits {
		posts[i] = &hits[i].Post
	}
	if err := loadImages(ctx, db, posts); err != nil {
		return nil, err
	}
	return hits, nil
}

// inList adds "column is one of values", unless values is empty. PostgreSQL
// reads an index in order for = on its leading column, but not for = ANY,
// so a single value is compared with =.
func inList(w *query, column string, values []string) {
	switch len(values) {
	case 0:
	case 1:
		w.where(column + ` = ` + w.arg(values[0]))
	default:
		w.where(column + ` = ANY(` + w.arg(values) + `)`)
	}
}

// microsSQL is bumped_at in Unix microseconds; numeric keeps it exact.
const microsSQL = `(extract(epoch FROM p.bumped_at) * 1000000)::float8`

// addKeyset adds the condition "after the cursor" for a sort order.
func addKeyset(w *query, sort, value string, c *board.SearchCursor) {
	switch sort {
	case board.SortNewest, board.SortOldest:
		// A row comparison on the columns themselves lets PostgreSQL seek
		// in the (bumped_at, id) index.
		cmp := "<"
		if sort == board.SortOldest {
			cmp = ">"
		}
		bumped := time.UnixMicro(int64(c.Value)).UTC()
		w.where(`(p.bumped_at, p.id) ` + cmp + ` (` + w.arg(bumped) + `, ` + w.arg(c.ID) + `)`)
	case board.SortPriceAsc, board.SortPriceDesc:
		cmp := ">"
		if sort == board.SortPriceDesc {
			cmp = "<"
		}
		// Posts without a price come last in both orders, sorted by id.
		if c.Null {
			w.where(`(p.price_cents IS NULL AND p.id ` + cmp + ` ` + w.arg(c.ID) + `)`)
			return
		}
		price, id := w.arg(int64(c.Value)), w.arg(c.ID)
		w.where(`(p.price_cents IS NULL OR p.price_cents ` + cmp + ` ` + price +
			` OR (p.price_cents = ` + price + ` AND p.id ` + cmp + ` ` + id + `))`)
	case board.SortRelevance:
		v, id := w.arg(c.Value), w.arg(c.ID)
		w.where(`(` + value + ` < ` + v + ` OR (` + value + ` = ` + v + ` AND p.id > ` + id + `))`)
	default:
		v, id := w.arg(c.Value), w.arg(c.ID)
		w.where(`(` + value + ` > ` + v + ` OR (` + value + ` = ` + v + ` AND p.id > ` + id + `))`)
	}
}

// prefixed qualifies each column of a comma-separated list.
func prefixed(columns, prefix string) string {
	parts := strings.Split(columns, ",")
	for i, c := range parts {
		parts[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// tsQuery turns the board's full-text expression into a tsquery SQL
// expression whose phrases are arguments of w. The board writes FTS5
// syntax (see board.MatchExpression), always of the form
//
//	("a b" AND "c" OR "d") NOT "e" NOT "f"
//
// where phrases hold only letters, digits and spaces. AND binds tighter
// than OR, as in FTS5 and tsquery. Each phrase goes through search_text,
// like the indexed text, then phraseto_tsquery, which stems it and keeps
// its words in order.
func tsQuery(w *query, match string) (string, error) {
	toks, err := matchTokens(match)
	if err != nil {
		return "", fmt.Errorf("full-text expression %q: %w", match, err)
	}
	phrase := func(i int) (string, error) {
		if i >= len(toks) || !toks[i].phrase {
			return "", fmt.Errorf("full-text expression %q: phrase expected", match)
		}
		return `phraseto_tsquery('english', search_text(` + w.arg(toks[i].text) + `))`, nil
	}

	if len(toks) < 3 || toks[0].text != "(" || toks[0].phrase {
		return "", fmt.Errorf("full-text expression %q: ( expected", match)
	}

	// The groups are joined with OR, and the phrases of one group with AND.
	var groups [][]string
	var group []string
	i := 1
	for {
		p, err := phrase(i)
		if err != nil {
			return "", err
		}
		group = append(group, p)
		i++
		if i >= len(toks) || toks[i].phrase {
			return "", fmt.Errorf("full-text expression %q: operator expected", match)
		}
		op := toks[i].text
		i++
		if op == ")" {
			break
		}
		switch op {
		case "AND":
		case "OR":
			groups = append(groups, group)
			group = nil
		default:
			return "", fmt.Errorf("full-text expression %q: unexpected %s", match, op)
		}
	}
	groups = append(groups, group)

	ors := make([]string, len(groups))
	for j, g := range groups {
		ors[j] = "(" + strings.Join(g, " && ") + ")"
	}
	expr := "(" + strings.Join(ors, " || ") + ")"

	for i < len(toks) {
		if toks[i].phrase || toks[i].text != "NOT" {
			return "", fmt.Errorf("full-text expression %q: NOT expected", match)
		}
		p, err := phrase(i + 1)
		if err != nil {
			return "", err
		}
		expr = "(" + expr + " && !!" + p + ")"
		i += 2
	}
	return expr, nil
}

type matchToken struct {
	text   string
	phrase bool // a quoted phrase, without its quotes
}

// matchTokens splits an FTS5 expression into parentheses, operators and
// quoted phrases.
func matchTokens(s string) ([]matchToken, error) {
	var toks []matchToken
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ':
			i++
		case c == '(' || c == ')':
			toks = append(toks, matchToken{text: string(c)})
			i++
		case c == '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated phrase")
			}
			toks = append(toks, matchToken{text: s[i+1 : i+1+end], phrase: true})
			i += end + 2
		default:
			end := strings.IndexAny(s[i:], ` ()"`)
			if end < 0 {
				end = len(s) - i
			}
			toks = append(toks, matchToken{text: s[i : i+end]})
			i += end
		}
	}
	return toks, nil
}
