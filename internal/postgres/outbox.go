package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/mail"
)

func enqueueMail(ctx context.Context, tx pgx.Tx, msg mail.Message) error {
	headers, err := json.Marshal(msg.Headers)
	if err != nil {
		return err
	}
	if msg.Headers == nil {
		headers = []byte("{}")
	}
	_, err = tx.Exec(ctx, `INSERT INTO mail_outbox
		(message_id, sender, recipient, subject, text_body, html_body, headers, created_at, next_attempt_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $8)`,
		msg.ID, msg.From, msg.To, msg.Subject, msg.Text, msg.HTML, string(headers), ts(msg.Date))
	if err != nil {
		return fmt.Errorf("queue mail: %w", err)
	}
	return nil
}

// QueueMail adds one message to the outbox.
func (s *Store) QueueMail(ctx context.Context, msg mail.Message) error {
	return s.inTx(ctx, func(tx pgx.Tx) error { return enqueueMail(ctx, tx, msg) })
}

// ClaimMail leases due messages so that no other worker takes them until
// the lease runs out; a worker that dies leaves them to be retried. SKIP
// LOCKED lets workers claiming at the same moment take different messages
// instead of waiting for each other.
func (s *Store) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]board.OutboxMail, error) {
	rows, err := s.pool.Query(ctx, `WITH due AS (
			SELECT id FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at <= $2
				AND (locked_until IS NULL OR locked_until <= $2)
			ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
		UPDATE mail_outbox m SET locked_until = $1, attempts = m.attempts + 1 FROM due WHERE m.id = due.id
		RETURNING m.id, m.attempts, m.message_id, m.sender, m.recipient, m.subject,
			coalesce(m.text_body, ''), coalesce(m.html_body, ''), m.headers::text, m.created_at, m.locked_until`,
		ts(now.Add(lease)), ts(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claim mail: %w", err)
	}
	defer rows.Close()
	var out []board.OutboxMail
	for rows.Next() {
		var m board.OutboxMail
		var headers string
		var created, lockedUntil time.Time
		err := rows.Scan(&m.ID, &m.Attempts, &m.Message.ID, &m.Message.From, &m.Message.To, &m.Message.Subject,
			&m.Message.Text, &m.Message.HTML, &headers, &created, &lockedUntil)
		if err != nil {
			return nil, fmt.Errorf("scan mail: %w", err)
		}
		m.Message.Date, m.LockedUntil = created.UTC(), lockedUntil.UTC()
		if err := json.Unmarshal([]byte(headers), &m.Message.Headers); err != nil {
			return nil, fmt.Errorf("decode mail headers: %w", err)
		}
		if len(m.Message.Headers) == 0 {
			m.Message.Headers = nil
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim mail: %w", err)
	}
	return out, nil
}

// MarkMailSent records delivery and erases the bodies, if the message still
// carries the caller's lease.
func (s *Store) MarkMailSent(ctx context.Context, id int64, lockedUntil, now time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE mail_outbox SET sent_at = $1, locked_until = NULL, text_body = NULL, html_body = NULL, last_error = NULL
			WHERE id = $2 AND locked_until = $3`, ts(now), id, ts(lockedUntil))
		return expectOne(ctx, tx, tag, err, "mark mail sent", "mail_outbox", id, board.ErrLeaseLost)
	})
}

// MarkMailFailed releases the lease and schedules another attempt, if the
// message still carries the caller's lease.
func (s *Store) MarkMailFailed(ctx context.Context, id int64, lockedUntil, next time.Time, reason string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE mail_outbox SET locked_until = NULL, next_attempt_at = $1, last_error = $2
			WHERE id = $3 AND locked_until = $4`, ts(next), reason, id, ts(lockedUntil))
		return expectOne(ctx, tx, tag, err, "mark mail failed", "mail_outbox", id, board.ErrLeaseLost)
	})
}

// OutboxDepth counts the messages not yet sent.
func (s *Store) OutboxDepth(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count outbox: %w", err)
	}
	return n, nil
}
