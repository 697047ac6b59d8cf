package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/corkboard/corkboard/internal/board"
)

// distanceSQL is the great-circle distance in miles from the point bound
// to its three placeholders (latitude, latitude, longitude).
const distanceSQL = `(3958.8 * acos(min(1.0, max(-1.0,
	sin(radians(p.lat)) * sin(radians(?)) + cos(radians(p.lat)) * cos(radians(?)) * cos(radians(p.lon - ?))))))`

// SearchPosts runs a search with keyset pagination in every sort order.
func (s *Store) SearchPosts(ctx context.Context, q board.SearchQuery) ([]board.Hit, error) {
	var w where
	w.add(`p.status = 'active'`)
	w.add(`p.expires_at > ?`, micros(q.Now))
	if len(q.Regions) > 0 {
		args := make([]any, len(q.Regions))
		for i, r := range q.Regions {
			args[i] = r
		}
		w.add(`p.region IN (`+placeholders(len(args))+`)`, args...)
	}
	if len(q.Categories) > 0 {
		args := make([]any, len(q.Categories))
		for i, c := range q.Categories {
			args[i] = c
		}
		w.add(`p.category IN (`+placeholders(len(args))+`)`, args...)
	}
	if q.MinPrice != nil {
		w.add(`p.price_cents >= ?`, *q.MinPrice)
	}
	if q.MaxPrice != nil {
		w.add(`p.price_cents <= ?`, *q.MaxPrice)
	}
	if q.HasImage {
		w.add(`EXISTS (SELECT 1 FROM post_images i WHERE i.post_id = p.id)`)
	}
	if !q.Since.IsZero() {
		w.add(`p.bumped_at >= ?`, micros(q.Since))
	}
	match := q.Match
	if q.TitlesOnly && match != "" {
		match = "{title} : " + match
	}
	from := "posts p"
	switch {
	case match != "" && q.Sort == board.SortRelevance:
		// The full-text query drives the join, so bm25 is computed on the
		// row it is already on instead of once more per matching post.
		from = "posts_fts JOIN posts p ON p.rowid = posts_fts.rowid"
		w.add(`posts_fts MATCH ?`, match)
	case match != "":
		w.add(`p.rowid IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?)`, match)
	}

	distance := "NULL"
	var distanceArgs []any
	if q.Origin != nil {
		distance = distanceSQL
		distanceArgs = []any{q.Origin.Lat, q.Origin.Lat, q.Origin.Lon}
		if q.Miles > 0 {
			// A bounding box lets the index on lat narrow the rows before
			// the exact distance is computed.
			box := board.BoundingBoxAround(*q.Origin, q.Miles)
			w.add(`p.lat BETWEEN ? AND ?`, box.MinLat, box.MaxLat)
			switch {
			case box.AllLon:
			case box.CrossesMeridian():
				w.add(`(p.lon >= ? OR p.lon <= ?)`, box.MinLon, box.MaxLon)
			default:
				w.add(`p.lon BETWEEN ? AND ?`, box.MinLon, box.MaxLon)
			}
			w.add(distance+` <= ?`, append(append([]any{}, distanceArgs...), q.Miles)...)
		}
	}
	if q.Bundle {
		// Only the newest post of each group of duplicates is shown.
		w.add(`NOT EXISTS (SELECT 1 FROM posts d WHERE d.dup_key = p.dup_key AND d.dup_key <> ''
			AND d.status = 'active' AND d.expires_at > ?
			AND (d.bumped_at, d.id) > (p.bumped_at, p.id))`, micros(q.Now))
	}

	// sortValue is the expression the order and the cursor use; nullsLast
	// puts posts without a price after all others in both price orders.
	var sortValue, order string
	var sortArgs []any
	descending := false
	switch q.Sort {
	case board.SortOldest:
		sortValue, order = "p.bumped_at", "p.bumped_at ASC, p.id ASC"
	case board.SortPriceAsc:
		sortValue, order = "p.price_cents", "(p.price_cents IS NULL) ASC, p.price_cents ASC, p.id ASC"
	case board.SortPriceDesc:
		sortValue, order, descending = "p.price_cents", "(p.price_cents IS NULL) ASC, p.price_cents DESC, p.id DESC", true
	case board.SortDistance:
		sortValue, sortArgs, order = distance, distanceArgs, "sort_value ASC, p.id ASC"
	case board.SortRelevance:
		// bm25 is lower for better matches; title matches weigh 4 times
		// as much as body matches.
		sortValue, order = `bm25(posts_fts, 4.0, 1.0)`, "sort_value ASC, p.id ASC"
	default:
		sortValue, order, descending = "p.bumped_at", "p.bumped_at DESC, p.id DESC", true
	}
	if c := q.After; c != nil {
		addKeyset(&w, q.Sort, sortValue, sortArgs, c, descending)
	}

	columns := prefixed(postColumns, "p.") + `, ` + distance + ` AS distance, ` + sortValue + ` AS sort_value`
	query := `SELECT ` + columns + ` FROM ` + from + ` WHERE ` + w.sql() + ` ORDER BY ` + order + ` LIMIT ?`
	args := append(append(append(append([]any{}, distanceArgs...), sortArgs...), w.args...), q.Limit)
	if q.Origin != nil && q.Miles > 0 && from == "posts p" {
		// The covering geo index holds every column the conditions and
		// the order use, so the page's 50 rows are picked from the index
		// alone and only they are read in full.
		query = `SELECT ` + columns + ` FROM posts p WHERE p.rowid IN (
			SELECT rowid FROM (SELECT p.rowid, ` + sortValue + ` AS sort_value FROM posts p
				WHERE ` + w.sql() + ` ORDER BY ` + order + ` LIMIT ?))
			ORDER BY ` + order
		args = append(append(append(append(append([]any{}, distanceArgs...), sortArgs...), sortArgs...), w.args...), q.Limit)
	}
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search posts: %w", err)
	}
	defer rows.Close()

	var hits []board.Hit
	var posts []*board.Post
	for rows.Next() {
		var distance, sortValue sql.NullFloat64
		p, err := scanPost(rows, &distance, &sortValue)
		if err != nil {
			return nil, fmt.Errorf("scan post: %w", err)
		}
		h := board.Hit{Post: *p, SortValue: sortValue.Float64, SortNull: !sortValue.Valid}
		if distance.Valid {
			d := distance.Float64
			h.DistanceMiles = &d
		}
		hits = append(hits, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search posts: %w", err)
	}
	for i := range hits {
		posts = append(posts, &hits[i].Post)
	}
	if err := s.loadImages(ctx, s.read, posts); err != nil {
		return nil, err
	}
	return hits, nil
}

// addKeyset adds the condition "after the cursor" for a sort order.
func addKeyset(w *where, sort, value string, valueArgs []any, c *board.SearchCursor, descending bool) {
	cmp, idCmp := ">", ">"
	if descending {
		cmp, idCmp = "<", "<"
	}
	args := func(extra ...any) []any {
		var out []any
		out = append(out, valueArgs...)
		out = append(out, extra...)
		return out
	}
	switch sort {
	case board.SortPriceAsc, board.SortPriceDesc:
		// Posts without a price come last in both orders, sorted by id.
		if c.Null {
			w.add(`(p.price_cents IS NULL AND p.id `+idCmp+` ?)`, c.ID)
			return
		}
		w.add(`(p.price_cents IS NULL OR p.price_cents `+cmp+` ? OR (p.price_cents = ? AND p.id `+idCmp+` ?))`,
			int64(c.Value), int64(c.Value), c.ID)
	case board.SortNewest, board.SortOldest:
		// A row value lets SQLite seek in the index instead of reading it
		// from the first post.
		w.add(`(p.bumped_at, p.id) `+cmp+` (?, ?)`, int64(c.Value), c.ID)
	default:
		w.add(`(`+value+` `+cmp+` ? OR (`+value+` = ? AND p.id `+idCmp+` ?))`,
			append(append(args(c.Value), valueArgs...), c.Value, c.ID)...)
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
