package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/mail"
)

func enqueueMail(ctx context.Context, tx *sql.Tx, msg mail.Message) error {
	headers, err := json.Marshal(msg.Headers)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO mail_outbox
		(message_id, sender, recipient, subject, text_body, html_body, headers, created_at, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		msg.ID, msg.From, msg.To, msg.Subject, msg.Text, msg.HTML, string(headers), micros(msg.Date), micros(msg.Date))
	if err != nil {
		return fmt.Errorf("queue mail: %w", err)
	}
	return nil
}

// QueueMail adds one message to the outbox.
func (s *Store) QueueMail(ctx context.Context, msg mail.Message) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return enqueueMail(ctx, tx, msg) })
}

// ClaimMail leases due messages so that no other worker takes them until
// the lease runs out; a worker that dies leaves them to be retried. Like
// the PostgreSQL store, it picks the messages due earliest and breaks ties
// by id, which is the order they were queued in.
func (s *Store) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]board.OutboxMail, error) {
	var out []board.OutboxMail
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE mail_outbox SET locked_until = ?, attempts = attempts + 1
			WHERE id IN (SELECT id FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at <= ?
				AND (locked_until IS NULL OR locked_until <= ?) ORDER BY next_attempt_at, id LIMIT ?)
			RETURNING id, attempts, message_id, sender, recipient, subject, text_body, html_body, headers, created_at, locked_until`,
			micros(now.Add(lease)), micros(now), micros(now), limit)
		if err != nil {
			return fmt.Errorf("claim mail: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var m board.OutboxMail
			var headers string
			var created, lockedUntil sql.NullInt64
			err := rows.Scan(&m.ID, &m.Attempts, &m.Message.ID, &m.Message.From, &m.Message.To, &m.Message.Subject,
				&m.Message.Text, &m.Message.HTML, &headers, &created, &lockedUntil)
			if err != nil {
				return fmt.Errorf("scan mail: %w", err)
			}
			m.Message.Date, m.LockedUntil = fromMicros(created), fromMicros(lockedUntil)
			if err := json.Unmarshal([]byte(headers), &m.Message.Headers); err != nil {
				return fmt.Errorf("decode mail headers: %w", err)
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}

// MarkMailSent records delivery and erases the bodies, if the message still
// carries the caller's lease.
func (s *Store) MarkMailSent(ctx context.Context, id int64, lockedUntil, now time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET sent_at = ?, locked_until = NULL, text_body = NULL, html_body = NULL, last_error = NULL
			WHERE id = ? AND locked_until = ?`, micros(now), id, micros(lockedUntil))
		return expectOne(ctx, tx, res, err, "mark mail sent", "mail_outbox", id, board.ErrLeaseLost)
	})
}

// MarkMailFailed releases the lease and schedules another attempt, if the
// message still carries the caller's lease.
func (s *Store) MarkMailFailed(ctx context.Context, id int64, lockedUntil, next time.Time, reason string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET locked_until = NULL, next_attempt_at = ?, last_error = ?
			WHERE id = ? AND locked_until = ?`, micros(next), reason, id, micros(lockedUntil))
		return expectOne(ctx, tx, res, err, "mark mail failed", "mail_outbox", id, board.ErrLeaseLost)
	})
}

// OutboxDepth counts the messages not yet sent.
func (s *Store) OutboxDepth(ctx context.Context) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count outbox: %w", err)
	}
	return n, nil
}
