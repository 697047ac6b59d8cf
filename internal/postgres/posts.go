package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/mail"
)

const postColumns = `id, status, title, body, price_cents, category, region, subarea, zip, city, state,
	lat, lon, email, phone, sample, created_at, updated_at, published_at, bumped_at, expires_at`

// scanPost reads the postColumns of a row, then any extra columns.
func scanPost(row pgx.Row, extra ...any) (*board.Post, error) {
	var p board.Post
	var created, updated time.Time
	var published, bumped, expires *time.Time
	dest := []any{&p.ID, &p.Status, &p.Title, &p.Body, &p.PriceCents, &p.Category, &p.Region, &p.Subarea, &p.ZIP,
		&p.City, &p.State, &p.Lat, &p.Lon, &p.Email, &p.Phone, &p.Sample,
		&created, &updated, &published, &bumped, &expires}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt = created.UTC(), updated.UTC()
	p.PublishedAt, p.BumpedAt, p.ExpiresAt = fromTS(published), fromTS(bumped), fromTS(expires)
	return &p, nil
}

// collectPosts reads every row of a postColumns query.
func collectPosts(rows pgx.Rows) ([]*board.Post, error) {
	defer rows.Close()
	var posts []*board.Post
	for rows.Next() {
		p, err := scanPost(rows)
		if err != nil {
			return nil, fmt.Errorf("scan post: %w", err)
		}
		posts = append(posts, p)
	}
	return posts, rows.Err()
}

func values(posts []*board.Post) []board.Post {
	out := make([]board.Post, len(posts))
	for i, p := range posts {
		out[i] = *p
	}
	return out
}

// CreatePost inserts a pending post, its images, token, idempotency record
// and confirmation mail in one transaction.
func (s *Store) CreatePost(ctx context.Context, p *board.Post, tokenHash []byte, idem board.Idempotency, msg mail.Message) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := insertPost(ctx, tx, p); err != nil {
			return err
		}
		if idem.Key != "" {
			_, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (key, request_hash, post_id, created_at) VALUES ($1, $2, $3, $4)`,
				idem.Key, idem.RequestHash, p.ID, ts(p.CreatedAt))
			if isUniqueViolation(err) {
				return board.ErrIdempotencyKeyUsed
			}
			if err != nil {
				return fmt.Errorf("insert idempotency key: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO post_tokens (hash, post_id, created_at) VALUES ($1, $2, $3)`,
			tokenHash, p.ID, ts(p.CreatedAt)); err != nil {
			return fmt.Errorf("insert token: %w", err)
		}
		return enqueueMail(ctx, tx, msg)
	})
}

// insertPost writes a post row with its images.
func insertPost(ctx context.Context, tx pgx.Tx, p *board.Post) error {
	_, err := tx.Exec(ctx, `INSERT INTO posts (`+postColumns+`, dup_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`,
		p.ID, p.Status, p.Title, p.Body, p.PriceCents, p.Category, p.Region, p.Subarea, p.ZIP, p.City, p.State,
		p.Lat, p.Lon, p.Email, p.Phone, p.Sample, ts(p.CreatedAt), ts(p.UpdatedAt),
		nullTS(p.PublishedAt), nullTS(p.BumpedAt), nullTS(p.ExpiresAt), board.DupKey(p))
	if err != nil {
		return fmt.Errorf("insert post: %w", err)
	}
	return insertImages(ctx, tx, p)
}

const imageColumns = `thumb_key, medium_key, large_key, thumb_webp_key, medium_webp_key, large_webp_key, width, height`

func insertImages(ctx context.Context, tx pgx.Tx, p *board.Post) error {
	for i, img := range p.Images {
		_, err := tx.Exec(ctx, `INSERT INTO post_images (post_id, position, `+imageColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, p.ID, i, img.ThumbKey, img.MediumKey, img.LargeKey,
			img.ThumbWebPKey, img.MediumWebPKey, img.LargeWebPKey, img.Width, img.Height)
		if err != nil {
			return fmt.Errorf("insert image: %w", err)
		}
		for _, key := range img.Keys() {
			_, err := tx.Exec(ctx, `INSERT INTO post_files (post_id, key) VALUES ($1, $2) ON CONFLICT DO NOTHING`, p.ID, key)
			if err != nil {
				return fmt.Errorf("insert post file: %w", err)
			}
		}
	}
	return nil
}

// InsertPosts adds finished posts, such as generated samples, in one
// transaction. It is not part of board.Store: only the seeder uses it.
func (s *Store) InsertPosts(ctx context.Context, posts []*board.Post) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		for _, p := range posts {
			if err := insertPost(ctx, tx, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// IdempotentRequest returns the record stored under key.
func (s *Store) IdempotentRequest(ctx context.Context, key string) (board.Idempotency, error) {
	idem := board.Idempotency{Key: key}
	err := s.pool.QueryRow(ctx, `SELECT request_hash, post_id FROM idempotency_keys WHERE key = $1`, key).
		Scan(&idem.RequestHash, &idem.PostID)
	if errors.Is(err, pgx.ErrNoRows) {
		return idem, board.ErrNotFound
	}
	if err != nil {
		return idem, fmt.Errorf("select idempotency key: %w", err)
	}
	return idem, nil
}

// Post returns a post with its images, whatever its status.
func (s *Store) Post(ctx context.Context, id string) (*board.Post, error) {
	return s.postWhere(ctx, s.reader(ctx), `id = $1`, id)
}

// PostByToken returns the post a token hash belongs to. It reads the
// primary: the manage page must show the owner's edit it follows.
func (s *Store) PostByToken(ctx context.Context, tokenHash []byte) (*board.Post, error) {
	return s.postWhere(ctx, s.pool, `id = (SELECT post_id FROM post_tokens WHERE hash = $1)`, tokenHash)
}

func (s *Store) postWhere(ctx context.Context, db querier, where string, args ...any) (*board.Post, error) {
	p, err := scanPost(db.QueryRow(ctx, `SELECT `+postColumns+` FROM posts WHERE `+where, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, board.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("select post: %w", err)
	}
	if err := loadImages(ctx, db, []*board.Post{p}); err != nil {
		return nil, err
	}
	return p, nil
}

// loadImages fills in the images of posts with one query. It takes the
// pool that read the posts: the images were committed with them, so that
// replica has them, where another one may not yet.
func loadImages(ctx context.Context, db querier, posts []*board.Post) error {
	if len(posts) == 0 {
		return nil
	}
	byID := make(map[string]*board.Post, len(posts))
	ids := make([]string, len(posts))
	for i, p := range posts {
		byID[p.ID] = p
		ids[i] = p.ID
	}
	rows, err := db.Query(ctx, `SELECT post_id, `+imageColumns+` FROM post_images
		WHERE post_id = ANY($1) ORDER BY post_id, position`, ids)
	if err != nil {
		return fmt.Errorf("select images: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var img board.Image
		err := rows.Scan(&id, &img.ThumbKey, &img.MediumKey, &img.LargeKey,
			&img.ThumbWebPKey, &img.MediumWebPKey, &img.LargeWebPKey, &img.Width, &img.Height)
		if err != nil {
			return fmt.Errorf("scan image: %w", err)
		}
		byID[id].Images = append(byID[id].Images, img)
	}
	return rows.Err()
}

// PublishPost moves a pending post to active.
func (s *Store) PublishPost(ctx context.Context, id string, now, expires time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE posts SET status = 'active', published_at = $1, bumped_at = $1, expires_at = $2, updated_at = $1
			WHERE id = $3 AND status = 'pending'`, ts(now), ts(expires), id)
		conflict := board.Errorf(board.Conflict, "This post is not pending.")
		return expectOne(ctx, tx, tag, err, "publish post", "posts", id, conflict)
	})
}

// UpdatePost saves the editable fields and replaces the image list.
func (s *Store) UpdatePost(ctx context.Context, p *board.Post, now time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE posts SET title = $1, body = $2, price_cents = $3, dup_key = $4, updated_at = $5
			WHERE id = $6 AND (status = 'pending' OR (status = 'active' AND expires_at > $5))`,
			p.Title, p.Body, p.PriceCents, board.DupKey(p), ts(now), p.ID)
		conflict := board.Errorf(board.Conflict, "This post can no longer be edited.")
		if err := expectOne(ctx, tx, tag, err, "update post", "posts", p.ID, conflict); err != nil {
			return err
		}
		for _, table := range []string{"post_images", "post_files"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE post_id = $1`, p.ID); err != nil {
				return fmt.Errorf("delete images: %w", err)
			}
		}
		return insertImages(ctx, tx, p)
	})
}

// RenewPost bumps a post that was last bumped at or before renewableBefore.
func (s *Store) RenewPost(ctx context.Context, id string, now, renewableBefore, expires time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE posts SET status = 'active', bumped_at = $1, expires_at = $2, updated_at = $1
			WHERE id = $3 AND status IN ('active', 'expired') AND bumped_at <= $4`,
			ts(now), ts(expires), id, ts(renewableBefore))
		conflict := board.Errorf(board.Conflict, "This post cannot be renewed yet.")
		return expectOne(ctx, tx, tag, err, "renew post", "posts", id, conflict)
	})
}

// DeletePost marks a post deleted and erases its text and contact details.
func (s *Store) DeletePost(ctx context.Context, id string, now time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE posts SET status = 'deleted', body = '', email = '', phone = '', dup_key = '',
			deleted_at = $1, updated_at = $1 WHERE id = $2 AND status <> 'deleted'`, ts(now), id)
		conflict := board.Errorf(board.Conflict, "This post is already deleted.")
		return expectOne(ctx, tx, tag, err, "delete post", "posts", id, conflict)
	})
}

// expectOne returns nil when an UPDATE of the row of table with this id
// changed it. Otherwise it returns ErrNotFound when no such row exists, and
// conflict when the row's state ruled the change out. The table name goes
// into the SQL text, so it must be a constant.
func expectOne(ctx context.Context, tx pgx.Tx, tag pgconn.CommandTag, err error, action, table string, id any, conflict error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	var exists bool
	err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+` WHERE id = $1)`, id).Scan(&exists)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if !exists {
		return board.ErrNotFound
	}
	return conflict
}

// ListPosts returns a page of live posts in keyset order.
func (s *Store) ListPosts(ctx context.Context, q board.ListQuery) ([]board.Post, error) {
	var w query
	w.where(`status = 'active'`)
	w.where(`expires_at > ` + w.arg(ts(q.Now)))
	if q.Region != "" {
		w.where(`region = ` + w.arg(q.Region))
	}
	if q.Category != "" {
		w.where(`category = ` + w.arg(q.Category))
	}
	if q.After != nil {
		w.where(`(bumped_at, id) < (` + w.arg(ts(q.After.BumpedAt)) + `, ` + w.arg(q.After.ID) + `)`)
	}
	db := s.reader(ctx)
	rows, err := db.Query(ctx, `SELECT `+postColumns+` FROM posts WHERE `+w.sql()+
		` ORDER BY bumped_at DESC, id DESC LIMIT `+w.arg(q.Limit), w.args...)
	if err != nil {
		return nil, fmt.Errorf("list posts: %w", err)
	}
	posts, err := collectPosts(rows)
	if err != nil {
		return nil, fmt.Errorf("list posts: %w", err)
	}
	if err := loadImages(ctx, db, posts); err != nil {
		return nil, err
	}
	return values(posts), nil
}

// CountPosts counts live posts per category in a region.
func (s *Store) CountPosts(ctx context.Context, region string, now time.Time) (map[string]int, time.Time, error) {
	rows, err := s.reader(ctx).Query(ctx, `SELECT category, count(*), min(expires_at) FROM posts
		WHERE status = 'active' AND region = $1 AND expires_at > $2 GROUP BY category`, region, ts(now))
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("count posts: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{}
	var next time.Time
	for rows.Next() {
		var category string
		var n int
		var expires *time.Time
		if err := rows.Scan(&category, &n, &expires); err != nil {
			return nil, time.Time{}, fmt.Errorf("scan count: %w", err)
		}
		counts[category] = n
		if t := fromTS(expires); !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return counts, next, rows.Err()
}

// LivePostsByEmail returns the pending and unexpired posts of an address,
// matched without regard to case like the SQLite store's NOCASE.
func (s *Store) LivePostsByEmail(ctx context.Context, email string, now time.Time) ([]board.Post, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+postColumns+` FROM posts
		WHERE lower(email) = lower($1) AND (status = 'pending' OR (status = 'active' AND expires_at > $2))
		ORDER BY created_at DESC LIMIT 50`, email, ts(now))
	if err != nil {
		return nil, fmt.Errorf("select posts by email: %w", err)
	}
	posts, err := collectPosts(rows)
	if err != nil {
		return nil, fmt.Errorf("select posts by email: %w", err)
	}
	return values(posts), nil
}

// AddTokens stores one more token hash for each post and queues msg.
func (s *Store) AddTokens(ctx context.Context, hashes map[string][]byte, now time.Time, msg mail.Message) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		for postID, hash := range hashes {
			if _, err := tx.Exec(ctx, `INSERT INTO post_tokens (hash, post_id, created_at) VALUES ($1, $2, $3)`,
				hash, postID, ts(now)); err != nil {
				return fmt.Errorf("insert token: %w", err)
			}
		}
		return enqueueMail(ctx, tx, msg)
	})
}

// ImageLive reports whether key is a file of a pending or live post.
func (s *Store) ImageLive(ctx context.Context, key string, now time.Time) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM post_files f JOIN posts p ON p.id = f.post_id
		WHERE f.key = $1 AND (p.status = 'pending' OR (p.status = 'active' AND p.expires_at > $2)))`, key, ts(now)).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("check image: %w", err)
	}
	return ok, nil
}

// ImagePublic reports whether key is a file of a live post.
func (s *Store) ImagePublic(ctx context.Context, key string, now time.Time) (bool, error) {
	var ok bool
	err := s.reader(ctx).QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM post_files f JOIN posts p ON p.id = f.post_id
		WHERE f.key = $1 AND p.status = 'active' AND p.expires_at > $2)`, key, ts(now)).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("check image: %w", err)
	}
	return ok, nil
}

// DeleteUnconfirmed deletes pending posts created before the given time
// and erases their contact details, like an owner's delete.
func (s *Store) DeleteUnconfirmed(ctx context.Context, before, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE posts SET status = 'deleted', body = '', email = '', phone = '', dup_key = '',
		deleted_at = $1, updated_at = $1 WHERE status = 'pending' AND created_at < $2`, ts(now), ts(before))
	if err != nil {
		return 0, fmt.Errorf("delete unconfirmed posts: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// ExpirePosts marks active posts whose lifetime ended as expired.
func (s *Store) ExpirePosts(ctx context.Context, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE posts SET status = 'expired' WHERE status = 'active' AND expires_at <= $1`, ts(now))
	if err != nil {
		return 0, fmt.Errorf("expire posts: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// deadBefore is the SQL condition for a post that was deleted, or whose
// lifetime ended, before the time bound to $1.
const deadBefore = `((p.status = 'deleted' AND p.deleted_at < $1) OR (p.status IN ('active', 'expired') AND p.expires_at < $1))`

// ReleasedImages returns keys used only by posts that died before the
// given time: deleted then, or expired then.
func (s *Store) ReleasedImages(ctx context.Context, before time.Time, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT f.key FROM post_files f JOIN posts p ON p.id = f.post_id
		WHERE `+deadBefore+` AND NOT EXISTS (
			SELECT 1 FROM post_files g JOIN posts q ON q.id = g.post_id
			WHERE g.key = f.key AND (q.status = 'pending' OR (q.status IN ('active', 'expired') AND q.expires_at >= $1))
		) LIMIT $2`, ts(before), limit)
	if err != nil {
		return nil, fmt.Errorf("select released images: %w", err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("select released images: %w", err)
	}
	return keys, nil
}

// ForgetImages deletes the file rows that use any of keys in posts that
// died before the given time.
func (s *Store) ForgetImages(ctx context.Context, keys []string, before time.Time) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM post_files WHERE key = ANY($2)
		AND post_id IN (SELECT p.id FROM posts p WHERE `+deadBefore+`)`, ts(before), keys)
	if err != nil {
		return fmt.Errorf("delete post files: %w", err)
	}
	return nil
}

// Secret returns the named secret, creating it on first use. Two servers
// may generate a value at once: ON CONFLICT keeps the first one committed,
// and both read that one back.
func (s *Store) Secret(ctx context.Context, name string, generate func() []byte) ([]byte, error) {
	var value []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&value)
	if errors.Is(err, pgx.ErrNoRows) {
		_, err = s.pool.Exec(ctx, `INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, generate())
		if err == nil {
			err = s.pool.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&value)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("load secret %s: %w", name, err)
	}
	return value, nil
}

// SitemapBuckets counts live posts by the first two characters of their ID.
func (s *Store) SitemapBuckets(ctx context.Context, now time.Time) (map[string]int, error) {
	rows, err := s.reader(ctx).Query(ctx, `SELECT substr(id, 1, 2), count(*) FROM posts
		WHERE status = 'active' AND expires_at > $1 GROUP BY 1`, ts(now))
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
// on id uses the primary key: IDs sort bytewise (COLLATE "C") and every
// character of the ID alphabet sorts below "~".
func (s *Store) SitemapPosts(ctx context.Context, prefix string, now time.Time, limit int) ([]board.Post, error) {
	rows, err := s.reader(ctx).Query(ctx, `SELECT `+postColumns+` FROM posts
		WHERE id >= $1 AND id < $2 AND status = 'active' AND expires_at > $3 ORDER BY id LIMIT $4`,
		prefix, prefix+"~", ts(now), limit)
	if err != nil {
		return nil, fmt.Errorf("select sitemap posts: %w", err)
	}
	posts, err := collectPosts(rows)
	if err != nil {
		return nil, fmt.Errorf("select sitemap posts: %w", err)
	}
	return values(posts), nil
}
