package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/mail"
)

const alertColumns = `id, email, query, label, status, created_at, confirmed_at, checked_at, locked_until`

func scanAlert(row pgx.Row) (*board.Alert, error) {
	var a board.Alert
	var created time.Time
	var confirmed, checked, lockedUntil *time.Time
	if err := row.Scan(&a.ID, &a.Email, &a.Query, &a.Label, &a.Status, &created, &confirmed, &checked, &lockedUntil); err != nil {
		return nil, err
	}
	a.CreatedAt, a.ConfirmedAt, a.CheckedAt = created.UTC(), fromTS(confirmed), fromTS(checked)
	a.LockedUntil = fromTS(lockedUntil)
	return &a, nil
}

// CreateAlert inserts a pending alert and queues its confirmation message.
func (s *Store) CreateAlert(ctx context.Context, a *board.Alert, msg mail.Message) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO alerts (id, email, query, label, status, created_at) VALUES ($1, $2, $3, $4, 'pending', $5)`,
			a.ID, a.Email, a.Query, a.Label, ts(a.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert alert: %w", err)
		}
		return enqueueMail(ctx, tx, msg)
	})
}

// Alert returns an alert by id.
func (s *Store) Alert(ctx context.Context, id string) (*board.Alert, error) {
	a, err := scanAlert(s.pool.QueryRow(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, board.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("select alert: %w", err)
	}
	return a, nil
}

// ConfirmAlert activates a pending alert: posts from now on are sent.
func (s *Store) ConfirmAlert(ctx context.Context, id string, now time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE alerts SET status = 'active', confirmed_at = $1, checked_at = $1, next_run_at = $1
			WHERE id = $2 AND status = 'pending'`, ts(now), id)
		conflict := board.Errorf(board.Conflict, "This alert is not waiting for confirmation.")
		return expectOne(ctx, tx, tag, err, "confirm alert", "alerts", id, conflict)
	})
}

// Unsubscribe stops an alert. Stopping a stopped alert is not an error.
func (s *Store) Unsubscribe(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `UPDATE alerts SET status = 'unsubscribed', locked_until = NULL WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("unsubscribe: %w", err)
	}
	return nil
}

// ClaimAlerts leases due alerts, so that with several workers each alert
// is handled by one; a worker that dies leaves its alerts to the next.
// SKIP LOCKED, as in ClaimMail, keeps concurrent claimers from waiting.
func (s *Store) ClaimAlerts(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]board.Alert, error) {
	rows, err := s.pool.Query(ctx, `WITH due AS (
			SELECT id FROM alerts WHERE status = 'active' AND next_run_at <= $2
				AND (locked_until IS NULL OR locked_until <= $2)
			ORDER BY next_run_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
		UPDATE alerts a SET locked_until = $1 FROM due WHERE a.id = due.id
		RETURNING a.id, a.email, a.query, a.label, a.status, a.created_at, a.confirmed_at, a.checked_at, a.locked_until`,
		ts(now.Add(lease)), ts(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claim alerts: %w", err)
	}
	defer rows.Close()
	var out []board.Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, fmt.Errorf("scan alert: %w", err)
		}
		out = append(out, *a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim alerts: %w", err)
	}
	return out, nil
}

// FinishAlert records a run: the time up to which posts were considered,
// the next run, and the digest to send, if any, in one transaction. It
// changes nothing unless the alert still carries the caller's lease, which
// Unsubscribe releases too.
func (s *Store) FinishAlert(ctx context.Context, id string, lockedUntil, checked, next time.Time, digest *mail.Message) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE alerts SET checked_at = $1, next_run_at = $2, locked_until = NULL
			WHERE id = $3 AND status = 'active' AND locked_until = $4`, ts(checked), ts(next), id, ts(lockedUntil))
		if err := expectOne(ctx, tx, tag, err, "finish alert", "alerts", id, board.ErrLeaseLost); err != nil {
			return err
		}
		if digest == nil {
			return nil
		}
		return enqueueMail(ctx, tx, *digest)
	})
}
