package postgres

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// fileLockKey is the advisory lock that guards photo files; the migration
// lock uses another key.
const fileLockKey = 0x636f726b66696c65 // "corkfile"

// FileLock is a lock held across every app server on this database while
// photo files are stored or removed together with the rows that use them.
// It is a process mutex plus a PostgreSQL session advisory lock on one
// pooled connection.
type FileLock struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	mu   sync.Mutex
	conn *pgxpool.Conn
}

// FileLock returns the store's lock for photo files.
func (s *Store) FileLock(log *slog.Logger) *FileLock {
	return &FileLock{pool: s.pool, log: log}
}

// Lock waits for the lock. When the database cannot be reached it logs and
// holds only the process mutex: the operation that follows fails on the
// same database anyway.
func (l *FileLock) Lock() {
	l.mu.Lock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := l.pool.Acquire(ctx)
	if err == nil {
		if _, err = conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(fileLockKey)); err != nil {
			conn.Release()
		}
	}
	if err != nil {
		l.log.Error("Taking the photo file lock failed", "error", err)
		return
	}
	l.conn = conn
}

// Unlock releases the lock.
func (l *FileLock) Unlock() {
	if l.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, int64(fileLockKey)); err != nil {
			// A session lock that was not released would block every
			// server, so the connection is closed, which releases it.
			l.log.Error("Releasing the photo file lock failed", "error", err)
			l.conn.Conn().Close(ctx)
		}
		cancel()
		l.conn.Release()
		l.conn = nil
	}
	l.mu.Unlock()
}
