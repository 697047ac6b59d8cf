package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/mail"
)

const alertColumns = `id, email, query, label, status, created_at, confirmed_at, checked_at, locked_until`

func scanAlert(row scanner) (*board.Alert, error) {
	var a board.Alert
	var created, confirmed, checked, lockedUntil sql.NullInt64
	if err := row.Scan(&a.ID, &a.Email, &a.Query, &a.Label, &a.Status, &created, &confirmed, &checked, &lockedUntil); err != nil {
		return nil, err
	}
	a.CreatedAt, a.ConfirmedAt, a.CheckedAt = fromMicros(created), fromMicros(confirmed), fromMicros(checked)
	a.LockedUntil = fromMicros(lockedUntil)
	return &a, nil
}

// CreateAlert inserts a pending alert and queues its confirmation message.
func (s *Store) CreateAlert(ctx context.Context, a *board.Alert, msg mail.Message) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO alerts (id, email, query, label, status, created_at) VALUES (?, ?, ?, ?, 'pending', ?)`,
			a.ID, a.Email, a.Query, a.Label, micros(a.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert alert: %w", err)
		}
		return enqueueMail(ctx, tx, msg)
	})
}

// Alert returns an alert by id.
func (s *Store) Alert(ctx context.Context, id string) (*board.Alert, error) {
	a, err := scanAlert(s.write.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, board.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("select alert: %w", err)
	}
	return a, nil
}

// ConfirmAlert activates a pending alert: posts from now on are sent.
func (s *Store) ConfirmAlert(ctx context.Context, id string, now time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE alerts SET status = 'active', confirmed_at = ?, checked_at = ?, next_run_at = ?
			WHERE id = ? AND status = 'pending'`, micros(now), micros(now), micros(now), id)
		conflict := board.Errorf(board.Conflict, "This alert is not waiting for confirmation.")
		return expectOne(ctx, tx, res, err, "confirm alert", "alerts", id, conflict)
	})
}

// Unsubscribe stops an alert. Stopping a stopped alert is not an error.
func (s *Store) Unsubscribe(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE alerts SET status = 'unsubscribed', locked_until = NULL WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("unsubscribe: %w", err)
		}
		return nil
	})
}

// ClaimAlerts leases due alerts, so that with several workers each alert
// is handled by one; a worker that dies leaves its alerts to the next.
func (s *Store) ClaimAlerts(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]board.Alert, error) {
	var out []board.Alert
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE alerts SET locked_until = ?
			WHERE id IN (SELECT id FROM alerts WHERE status = 'active' AND next_run_at <= ?
				AND (locked_until IS NULL OR locked_until <= ?) ORDER BY next_run_at LIMIT ?)
			RETURNING `+alertColumns, micros(now.Add(lease)), micros(now), micros(now), limit)
		if err != nil {
			return fmt.Errorf("claim alerts: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanAlert(rows)
			if err != nil {
				return fmt.Errorf("scan alert: %w", err)
			}
			out = append(out, *a)
		}
		return rows.Err()
	})
	return out, err
}

// FinishAlert records a run: the time up to which posts were considered,
// the next run, and the digest to send, if any, in one transaction. It
// changes nothing unless the alert still carries the caller's lease, which
// Unsubscribe releases too.
func (s *Store) FinishAlert(ctx context.Context, id string, lockedUntil, checked, next time.Time, digest *mail.Message) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE alerts SET checked_at = ?, next_run_at = ?, locked_until = NULL
			WHERE id = ? AND status = 'active' AND locked_until = ?`, micros(checked), micros(next), id, micros(lockedUntil))
		if err := expectOne(ctx, tx, res, err, "finish alert", "alerts", id, board.ErrLeaseLost); err != nil {
			return err
		}
		if digest == nil {
			return nil
		}
		return enqueueMail(ctx, tx, *digest)
	})
}
