// Package postgres implements board.Store on PostgreSQL through a pgx
// connection pool, so that several app servers can share one database.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corkboard/corkboard/internal/board"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLock is the pg_advisory_lock key held while migrating, so that
// app servers starting together apply each migration once. It is fixed,
// and the same for every schema of a database.
const migrationLock = 0x636f726b // "cork"

// Store implements board.Store on PostgreSQL.
type Store struct {
	pool     *pgxpool.Pool // the primary
	replicas *replicaSet   // nil without replicas; see OpenWithReplicas
	// searchMode is the query mode of searches, whose best plan depends on
	// their values; see searchExecMode.
	searchMode pgx.QueryExecMode
}

var _ board.Store = (*Store)(nil)

// Open connects to the database at url, a PostgreSQL URL or key=value
// string, and applies pending migrations.
func Open(ctx context.Context, url string) (*Store, error) {
	config, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	return OpenConfig(ctx, config)
}

// OpenConfig is Open with a pool configuration, for settings a URL cannot
// hold, such as a search_path per test.
func OpenConfig(ctx context.Context, config *pgxpool.Config) (*Store, error) {
	return openPool(ctx, config, true)
}

func openPool(ctx context.Context, config *pgxpool.Config, migrate bool) (*Store, error) {
	pool, err := pgxpool.NewWithConfig(ctx, config)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	s := &Store{pool: pool, searchMode: searchExecMode(config.ConnConfig)}
	if !migrate {
		if err := pool.Ping(ctx); err != nil {
			pool.Close()
			return nil, fmt.Errorf("open database: %w", err)
		}
		return s, nil
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close stops the replica health checks and closes every connection.
func (s *Store) Close() error {
	if s.replicas != nil {
		s.replicas.close()
	}
	s.pool.Close()
	return nil
}

// Ping checks that the database responds.
func (s *Store) Ping(ctx context.Context) error {
	return s.pool.Ping(ctx)
}

// migrate applies each embedded migration not yet recorded, in file name
// order, each in its own transaction. A session advisory lock, held on one
// connection for the whole run, makes a second server wait and then find
// everything applied.
func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	defer func() {
		// A cancelled ctx must not leave the lock held by a pooled
		// connection, so the unlock gets its own.
		unlockCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := conn.Exec(unlockCtx, `SELECT pg_advisory_unlock($1)`, int64(migrationLock)); err != nil {
			conn.Conn().Close(unlockCtx)
		}
	}()

	_, err = conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`)
	if err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", base)
		}
		script, err := migrationFS.ReadFile(name)
		if err != nil {
			return err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			var done bool
			err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, version).Scan(&done)
			if err != nil || done {
				return err
			}
			// Without arguments pgx sends the simple protocol, which
			// accepts a script of several statements.
			if _, err := tx.Exec(ctx, string(script)); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				version, base, time.Now())
			return err
		})
		if err != nil {
			return fmt.Errorf("apply migration %s: %w", base, err)
		}
	}
	return nil
}

// searchExecMode returns a query mode in which PostgreSQL plans a statement
// for each call's values. The default mode prepares named statements, and
// PostgreSQL may give those one generic plan after five calls. The other
// modes run unnamed statements, planned at each call. CacheDescribe takes
// one round trip but needs pgx's description cache.
func searchExecMode(c *pgx.ConnConfig) pgx.QueryExecMode {
	if c.DefaultQueryExecMode != pgx.QueryExecModeCacheStatement {
		return c.DefaultQueryExecMode
	}
	if c.DescriptionCacheCapacity > 0 {
		return pgx.QueryExecModeCacheDescribe
	}
	return pgx.QueryExecModeDescribeExec
}

// inTx runs fn in a transaction and commits it when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// isUniqueViolation matches SQLSTATE 23505, never the message text.
func isUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

// ts is a time as PostgreSQL stores it: timestamptz keeps microseconds,
// and truncating here, like the SQLite store, keeps both stores equal.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// nullTS is ts, or NULL for the zero time.
func nullTS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ts(t)
}

// fromTS converts a nullable timestamptz to UTC. NULL becomes the zero time.
func fromTS(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// query collects SQL conditions and their arguments, so values never
// enter the SQL text. A placeholder from arg may be used more than once.
type query struct {
	conds []string
	args  []any
}

func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *query) where(cond string) { q.conds = append(q.conds, cond) }

func (q *query) sql() string {
	if len(q.conds) == 0 {
		return "TRUE"
	}
	return strings.Join(q.conds, " AND ")
}
