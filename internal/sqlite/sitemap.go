package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/corkboard/corkboard/internal/board"
)

// SitemapBuckets counts live posts by the first two characters of their ID.
func (s *Store) SitemapBuckets(ctx context.Context, now time.Time) (map[string]int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT substr(id, 1, 2), count(*) FROM posts
		WHERE status = 'active' AND expires_at > ? GROUP BY 1`, micros(now))
	if err != nil {
		return nil, fmt.Errorf("count sitemap buckets: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var prefix string
		var n int
		if err := rows.Scan(&prefix, &n); err != nil {
			return nil, err
		}
		out[prefix] = n
	}
	return out, rows.Err()
}

// SitemapPosts returns live posts whose ID starts with prefix. The range
// condition on id uses the primary key; prefix is two characters of the
// ID alphabet, which sort below "~".
func (s *Store) SitemapPosts(ctx context.Context, prefix string, now time.Time, limit int) ([]board.Post, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+postColumns+` FROM posts
		WHERE id >= ? AND id < ? AND status = 'active' AND expires_at > ? ORDER BY id LIMIT ?`,
		prefix, prefix+"~", micros(now), limit)
	if err != nil {
		return nil, fmt.Errorf("select sitemap posts: %w", err)
	}
	defer rows.Close()
	var posts []board.Post
	for rows.Next() {
		p, err := scanPost(rows)
		if err != nil {
			return nil, fmt.Errorf("scan post: %w", err)
		}
		posts = append(posts, *p)
	}
	return posts, rows.Err()
}
