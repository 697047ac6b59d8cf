package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/mail"
)

const postColumns = `id, status, title, body, price_cents, category, region, subarea, zip, city, state,
	lat, lon, email, phone, sample, created_at, updated_at, published_at, bumped_at, expires_at`

type scanner interface{ Scan(dest ...any) error }

// scanPost reads the postColumns of a row, then any extra columns.
func scanPost(row scanner, extra ...any) (*board.Post, error) {
	var p board.Post
	var price sql.NullInt64
	var created, updated, published, bumped, expires sql.NullInt64
	dest := []any{&p.ID, &p.Status, &p.Title, &p.Body, &price, &p.Category, &p.Region, &p.Subarea, &p.ZIP,
		&p.City, &p.State, &p.Lat, &p.Lon, &p.Email, &p.Phone, &p.Sample,
		&created, &updated, &published, &bumped, &expires}
	err := row.Scan(append(dest, extra...)...)
	if err != nil {
		return nil, err
	}
	if price.Valid {
		p.PriceCents = &price.Int64
	}
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	p.PublishedAt, p.BumpedAt, p.ExpiresAt = fromMicros(published), fromMicros(bumped), fromMicros(expires)
	return &p, nil
}

// CreatePost inserts a pending post, its images, token, idempotency record
// and confirmation mail in one transaction.
func (s *Store) CreatePost(ctx context.Context, p *board.Post, tokenHash []byte, idem board.Idempotency, msg mail.Message) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := insertPost(ctx, tx, p); err != nil {
			return err
		}
		if idem.Key != "" {
			_, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (key, request_hash, post_id, created_at) VALUES (?, ?, ?, ?)`,
				idem.Key, idem.RequestHash, p.ID, micros(p.CreatedAt))
			if isUniqueViolation(err) {
				return board.ErrIdempotencyKeyUsed
			}
			if err != nil {
				return fmt.Errorf("insert idempotency key: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO post_tokens (hash, post_id, created_at) VALUES (?, ?, ?)`,
			tokenHash, p.ID, micros(p.CreatedAt)); err != nil {
			return fmt.Errorf("insert token: %w", err)
		}
		return enqueueMail(ctx, tx, msg)
	})
}

// insertPost writes a post row with its images.
func insertPost(ctx context.Context, tx *sql.Tx, p *board.Post) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO posts (`+postColumns+`, dup_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Status, p.Title, p.Body, p.PriceCents, p.Category, p.Region, p.Subarea, p.ZIP, p.City, p.State,
		p.Lat, p.Lon, p.Email, p.Phone, p.Sample, micros(p.CreatedAt), micros(p.UpdatedAt),
		nullMicros(p.PublishedAt), nullMicros(p.BumpedAt), nullMicros(p.ExpiresAt), board.DupKey(p))
	if err != nil {
		return fmt.Errorf("insert post: %w", err)
	}
	return insertImages(ctx, tx, p)
}

const imageColumns = `thumb_key, medium_key, large_key, thumb_webp_key, medium_webp_key, large_webp_key, width, height`

func insertImages(ctx context.Context, tx *sql.Tx, p *board.Post) error {
	for i, img := range p.Images {
		_, err := tx.ExecContext(ctx, `INSERT INTO post_images (post_id, position, `+imageColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, p.ID, i, img.ThumbKey, img.MediumKey, img.LargeKey,
			img.ThumbWebPKey, img.MediumWebPKey, img.LargeWebPKey, img.Width, img.Height)
		if err != nil {
			return fmt.Errorf("insert image: %w", err)
		}
		for _, key := range img.Keys() {
			_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO post_files (post_id, key) VALUES (?, ?)`, p.ID, key)
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
	return s.inTx(ctx, func(tx *sql.Tx) error {
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
	err := s.write.QueryRowContext(ctx, `SELECT request_hash, post_id FROM idempotency_keys WHERE key = ?`, key).
		Scan(&idem.RequestHash, &idem.PostID)
	if errors.Is(err, sql.ErrNoRows) {
		return idem, board.ErrNotFound
	}
	if err != nil {
		return idem, fmt.Errorf("select idempotency key: %w", err)
	}
	return idem, nil
}

// Post returns a post with its images, whatever its status.
func (s *Store) Post(ctx context.Context, id string) (*board.Post, error) {
	return s.postWhere(ctx, s.read, `id = ?`, id)
}

// PostByToken returns the post a token hash belongs to.
func (s *Store) PostByToken(ctx context.Context, tokenHash []byte) (*board.Post, error) {
	return s.postWhere(ctx, s.read, `id = (SELECT post_id FROM post_tokens WHERE hash = ?)`, tokenHash)
}

func (s *Store) postWhere(ctx context.Context, db *sql.DB, where string, args ...any) (*board.Post, error) {
	p, err := scanPost(db.QueryRowContext(ctx, `SELECT `+postColumns+` FROM posts WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, board.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("select post: %w", err)
	}
	if err := s.loadImages(ctx, db, []*board.Post{p}); err != nil {
		return nil, err
	}
	return p, nil
}

// loadImages fills in the images of posts with one query.
func (s *Store) loadImages(ctx context.Context, db *sql.DB, posts []*board.Post) error {
	if len(posts) == 0 {
		return nil
	}
	byID := make(map[string]*board.Post, len(posts))
	args := make([]any, len(posts))
	for i, p := range posts {
		byID[p.ID] = p
		args[i] = p.ID
	}
	rows, err := db.QueryContext(ctx, `SELECT post_id, `+imageColumns+` FROM post_images
		WHERE post_id IN (`+placeholders(len(posts))+`) ORDER BY post_id, position`, args...)
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
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE posts SET status = 'active', published_at = ?, bumped_at = ?, expires_at = ?, updated_at = ?
			WHERE id = ? AND status = 'pending'`, micros(now), micros(now), micros(expires), micros(now), id)
		conflict := board.Errorf(board.Conflict, "This post is not pending.")
		return expectOne(ctx, tx, res, err, "publish post", "posts", id, conflict)
	})
}

// UpdatePost saves the editable fields and replaces the image list.
func (s *Store) UpdatePost(ctx context.Context, p *board.Post, now time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE posts SET title = ?, body = ?, price_cents = ?, dup_key = ?, updated_at = ?
			WHERE id = ? AND (status = 'pending' OR (status = 'active' AND expires_at > ?))`,
			p.Title, p.Body, p.PriceCents, board.DupKey(p), micros(now), p.ID, micros(now))
		conflict := board.Errorf(board.Conflict, "This post can no longer be edited.")
		if err := expectOne(ctx, tx, res, err, "update post", "posts", p.ID, conflict); err != nil {
			return err
		}
		for _, table := range []string{"post_images", "post_files"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE post_id = ?`, p.ID); err != nil {
				return fmt.Errorf("delete images: %w", err)
			}
		}
		return insertImages(ctx, tx, p)
	})
}

// RenewPost bumps a post that was last bumped at or before renewableBefore.
func (s *Store) RenewPost(ctx context.Context, id string, now, renewableBefore, expires time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE posts SET status = 'active', bumped_at = ?, expires_at = ?, updated_at = ?
			WHERE id = ? AND status IN ('active', 'expired') AND bumped_at <= ?`,
			micros(now), micros(expires), micros(now), id, micros(renewableBefore))
		conflict := board.Errorf(board.Conflict, "This post cannot be renewed yet.")
		return expectOne(ctx, tx, res, err, "renew post", "posts", id, conflict)
	})
}

// DeletePost marks a post deleted and erases its text and contact details.
func (s *Store) DeletePost(ctx context.Context, id string, now time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE posts SET status = 'deleted', body = '', email = '', phone = '', dup_key = '', deleted_at = ?, updated_at = ?
			WHERE id = ? AND status <> 'deleted'`, micros(now), micros(now), id)
		conflict := board.Errorf(board.Conflict, "This post is already deleted.")
		return expectOne(ctx, tx, res, err, "delete post", "posts", id, conflict)
	})
}

// expectOne returns nil when an UPDATE of the row of table with this id
// changed it. Otherwise it returns ErrNotFound when no such row exists, and
// conflict when the row's state ruled the change out. The table name goes
// into the SQL text, so it must be a constant.
func expectOne(ctx context.Context, tx *sql.Tx, res sql.Result, err error, action, table string, id any, conflict error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if n > 0 {
		return nil
	}
	var exists bool
	err = tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+` WHERE id = ?)`, id).Scan(&exists)
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
	var w where
	w.add(`status = 'active'`)
	w.add(`expires_at > ?`, micros(q.Now))
	if q.Region != "" {
		w.add(`region = ?`, q.Region)
	}
	if q.Category != "" {
		w.add(`category = ?`, q.Category)
	}
	if q.After != nil {
		w.add(`(bumped_at < ? OR (bumped_at = ? AND id < ?))`, micros(q.After.BumpedAt), micros(q.After.BumpedAt), q.After.ID)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+postColumns+` FROM posts WHERE `+w.sql()+
		` ORDER BY bumped_at DESC, id DESC LIMIT ?`, append(w.args, q.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("list posts: %w", err)
	}
	defer rows.Close()
	var posts []*board.Post
	for rows.Next() {
		p, err := scanPost(rows)
		if err != nil {
			return nil, fmt.Errorf("scan post: %w", err)
		}
		posts = append(posts, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list posts: %w", err)
	}
	if err := s.loadImages(ctx, s.read, posts); err != nil {
		return nil, err
	}
	out := make([]board.Post, len(posts))
	for i, p := range posts {
		out[i] = *p
	}
	return out, nil
}

// CountPosts counts live posts per category in a region.
func (s *Store) CountPosts(ctx context.Context, region string, now time.Time) (map[string]int, time.Time, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT category, count(*), min(expires_at) FROM posts
		WHERE status = 'active' AND region = ? AND expires_at > ? GROUP BY category`, region, micros(now))
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("count posts: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{}
	var next time.Time
	for rows.Next() {
		var category string
		var n int
		var expires sql.NullInt64
		if err := rows.Scan(&category, &n, &expires); err != nil {
			return nil, time.Time{}, fmt.Errorf("scan count: %w", err)
		}
		counts[category] = n
		if t := fromMicros(expires); !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return counts, next, rows.Err()
}

// LivePostsByEmail returns the pending and unexpired posts of an address.
func (s *Store) LivePostsByEmail(ctx context.Context, email string, now time.Time) ([]board.Post, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+postColumns+` FROM posts
		WHERE email = ? COLLATE NOCASE AND (status = 'pending' OR (status = 'active' AND expires_at > ?))
		ORDER BY created_at DESC LIMIT 50`, email, micros(now))
	if err != nil {
		return nil, fmt.Errorf("select posts by email: %w", err)
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

// AddTokens stores one more token hash for each post and queues msg.
func (s *Store) AddTokens(ctx context.Context, hashes map[string][]byte, now time.Time, msg mail.Message) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for postID, hash := range hashes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO post_tokens (hash, post_id, created_at) VALUES (?, ?, ?)`,
				hash, postID, micros(now)); err != nil {
				return fmt.Errorf("insert token: %w", err)
			}
		}
		return enqueueMail(ctx, tx, msg)
	})
}

// ImageLive reports whether key is a file of a pending or live post.
func (s *Store) ImageLive(ctx context.Context, key string, now time.Time) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM post_files f JOIN posts p ON p.id = f.post_id
		WHERE f.key = ? AND (p.status = 'pending' OR (p.status = 'active' AND p.expires_at > ?))`, key, micros(now)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check image: %w", err)
	}
	return n > 0, nil
}

// ImagePublic reports whether key is a file of a live post.
func (s *Store) ImagePublic(ctx context.Context, key string, now time.Time) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM post_files f JOIN posts p ON p.id = f.post_id
		WHERE f.key = ? AND p.status = 'active' AND p.expires_at > ?`, key, micros(now)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check image: %w", err)
	}
	return n > 0, nil
}

// DeleteUnconfirmed deletes pending posts created before the given time
// and erases their contact details, like an owner's delete.
func (s *Store) DeleteUnconfirmed(ctx context.Context, before, now time.Time) (int, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE posts SET status = 'deleted', body = '', email = '', phone = '', dup_key = '',
			deleted_at = ?, updated_at = ? WHERE status = 'pending' AND created_at < ?`, micros(now), micros(now), micros(before))
		if err != nil {
			return fmt.Errorf("delete unconfirmed posts: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// ExpirePosts marks active posts whose lifetime ended as expired.
func (s *Store) ExpirePosts(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE posts SET status = 'expired' WHERE status = 'active' AND expires_at <= ?`, micros(now))
		if err != nil {
			return fmt.Errorf("expire posts: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// deadBefore is the SQL condition for a post that was deleted, or whose
// lifetime ended, before the time bound to both placeholders.
const deadBefore = `((p.status = 'deleted' AND p.deleted_at < ?) OR (p.status IN ('active', 'expired') AND p.expires_at < ?))`

// ReleasedImages returns keys used only by posts that died before the
// given time: deleted then, or expired then.
func (s *Store) ReleasedImages(ctx context.Context, before time.Time, limit int) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT DISTINCT f.key FROM post_files f JOIN posts p ON p.id = f.post_id
		WHERE `+deadBefore+` AND NOT EXISTS (
			SELECT 1 FROM post_files g JOIN posts q ON q.id = g.post_id
			WHERE g.key = f.key AND (q.status = 'pending' OR (q.status IN ('active', 'expired') AND q.expires_at >= ?))
		) LIMIT ?`, micros(before), micros(before), micros(before), limit)
	if err != nil {
		return nil, fmt.Errorf("select released images: %w", err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// ForgetImages deletes the file rows that use any of keys in posts that
// died before the given time.
func (s *Store) ForgetImages(ctx context.Context, keys []string, before time.Time) error {
	if len(keys) == 0 {
		return nil
	}
	args := make([]any, 0, len(keys)+2)
	for _, k := range keys {
		args = append(args, k)
	}
	args = append(args, micros(before), micros(before))
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM post_files WHERE key IN (`+placeholders(len(keys))+`)
			AND post_id IN (SELECT p.id FROM posts p WHERE `+deadBefore+`)`, args...)
		if err != nil {
			return fmt.Errorf("delete post files: %w", err)
		}
		return nil
	})
}

// Secret returns the named secret, creating it on first use.
func (s *Store) Secret(ctx context.Context, name string, generate func() []byte) ([]byte, error) {
	var value []byte
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&value)
		if errors.Is(err, sql.ErrNoRows) {
			value = generate()
			_, err = tx.ExecContext(ctx, `INSERT INTO secrets (name, value) VALUES (?, ?)`, name, value)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load secret %s: %w", name, err)
	}
	return value, nil
}

// where is a list of SQL conditions and their arguments; values never enter
// the SQL text.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) sql() string { return strings.Join(w.conds, " AND ") }

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
