package postgres

import (
	"context"
	"errors"
	"fmt"
	"github.com/corkboard/corkboard/internal/board"
	"io"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ReplicaOptions tunes how read replicas are admitted to rotation.
type ReplicaOptions struct {
	// SkipMigrations opens the database as it is, for servers started
	// after "corkboard migrate" ran.
	SkipMigrations bool

	// MaxLag is how far behind the primary a replica may be and still
	// serve reads; 10s when zero.
	MaxLag time.Duration
	// CheckEvery is the pause between health checks of every replica;
	// 2s when zero. A replica also leaves rotation at the first read
	// that fails to reach it, and only a check readmits it.
	CheckEvery time.Duration
}

// ReplicaState is one replica as the last health check saw it.
type ReplicaState struct {
	URL     string // password redacted
	Healthy bool
	// Lag is the replay delay behind the primary; zero when caught up.
	// After the primary was idle it overstates: see checkReplica.
	Lag time.Duration
	Err string // the failed check or read, empty when healthy
}

// OpenWithReplicas is Open with hot-standby replicas that stream from the
// primary. Migrations run on the primary only, because replicas are
// read-only and receive the schema through replication.
//
// Page reads (Post, ListPosts, SearchPosts, CountPosts, SitemapBuckets,
// SitemapPosts, ImagePublic) go to a healthy replica. Everything else
// uses the primary, and so does any read whose context came through
// WithPrimary or ReadYourWrites. An unreachable replica does not fail
// Open: it stays out of rotation until a health check reaches it.
func OpenWithReplicas(ctx context.Context, primaryURL string, replicaURLs []string, opts ReplicaOptions) (*Store, error) {
	primary, err := pgxpool.ParseConfig(primaryURL)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	replicas := make([]*pgxpool.Config, len(replicaURLs))
	for i, u := range replicaURLs {
		if replicas[i], err = pgxpool.ParseConfig(u); err != nil {
			return nil, fmt.Errorf("parse replica URL %s: %w", redact(u), err)
		}
	}
	return OpenReplicasConfig(ctx, primary, replicas, opts)
}

// OpenReplicasConfig is OpenWithReplicas with pool configurations, like
// OpenConfig. A replica's search_path must name the primary's schema.
func OpenReplicasConfig(ctx context.Context, primary *pgxpool.Config, replicas []*pgxpool.Config, opts ReplicaOptions) (*Store, error) {
	s, err := openPool(ctx, primary, !opts.SkipMigrations)
	if err != nil {
		return nil, err
	}

	if opts.MaxLag <= 0 {
		opts.MaxLag = 10 * time.Second
	}
	if opts.CheckEvery <= 0 {
		opts.CheckEvery = 2 * time.Second
	}

	set := &replicaSet{opts: opts, done: make(chan struct{})}
	for _, config := range replicas {
		// NewWithConfig does not connect, so a replica that is down
		// now only starts out of rotation.
		pool, err := pgxpool.NewWithConfig(ctx, config)
		if err != nil {
			set.closePools()
			s.pool.Close()
			return nil, fmt.Errorf("open replica %s: %w", redact(config.ConnString()), err)
		}
		set.replicas = append(set.replicas, &replica{url: redact(config.ConnString()), pool: pool})
	}

	// One check before returning, so reads use replicas from the start
	// rather than after the first CheckEvery.
	set.checkAll(ctx, s.pool)
	checkCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	set.stop = stop
	go set.run(checkCtx, s.pool)
	s.replicas = set
	return s, nil
}

// ReplicaStatus reports every replica's last health check, for metrics.
// It is empty for a Store opened without replicas.
func (s *Store) ReplicaStatus() []ReplicaState {
	if s.replicas == nil {
		return nil
	}
	out := make([]ReplicaState, len(s.replicas.replicas))
	for i, r := range s.replicas.replicas {
		r.mu.Lock()
		out[i] = r.state
		r.mu.Unlock()
		out[i].URL = r.url
	}
	return out
}

// primaryKey marks a context whose reads must use the primary. This is
// the read-your-writes strategy: after a person's write, the HTTP layer
// marks that person's requests for a few seconds (through a cookie, which
// survives the redirect after a POST), and their reads skip replicas.
//
// The other strategy records pg_current_wal_lsn() after the write and
// lets a replica serve a read only once pg_last_wal_replay_lsn() reached
// it. That costs a round trip to the replica per read, and the LSN would
// travel in the same cookie, so it is no simpler. The marker's weakness
// is its fixed window: a replica lagging longer than the window could
// serve stale pages, so keep MaxLag plus CheckEvery shorter than the
// window. Background jobs need neither, since every method they call
// (claims, expiry, the outbox) runs on the primary.
type primaryKey struct{}

// WithPrimary returns a context whose reads all use the primary, for
// code that must see its own or another transaction's latest writes.
func WithPrimary(ctx context.Context) context.Context {
	return context.WithValue(ctx, primaryKey{}, time.Time{})
}

// ReadYourWrites returns a context whose reads use the primary until the
// given time, typically a few seconds after the person's last write.
func ReadYourWrites(ctx context.Context, until time.Time) context.Context {
	if until.IsZero() {
		// The zero time means "always" to usePrimary.
		until = time.Unix(0, 1)
	}
	return context.WithValue(ctx, primaryKey{}, until)
}

func usePrimary(ctx context.Context) bool {
	// The board marks requests right after a person's change, and every
	// background job, with board.WithPrimary.
	if board.PrimaryRequested(ctx) {
		return true
	}
	until, ok := ctx.Value(primaryKey{}).(time.Time)
	return ok && (until.IsZero() || time.Now().Before(until))
}

// querier is the read half of a pool, so one function can read from the
// primary or from a replica.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// reader picks the pool for a read that may be a little stale. That is
// a healthy replica, taken in turn, or the primary when no replica is
// healthy or the context requests the primary.
func (s *Store) reader(ctx context.Context) querier {
	if s.replicas == nil || usePrimary(ctx) {
		return s.pool
	}
	if r := s.replicas.pick(); r != nil {
		return replicaReader{r: r, primary: s.pool}
	}
	return s.pool
}

// replicaReader reads from a replica and repeats on the primary a read
// that failed because of the replica rather than the query. Without it a
// replica that dies is used until the next health check, and a hot
// standby cancels queries that conflict with the WAL it replays.
// Only reads that failed before their first row are repeated, so no
// caller gets rows twice.
type replicaReader struct {
	r       *replica
	primary *pgxpool.Pool
}

func (q replicaReader) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := q.r.pool.Query(ctx, sql, args...)
	if q.retry(ctx, err) {
		return q.primary.Query(ctx, sql, args...)
	}
	if err != nil {
		return rows, err
	}
	// For a cached prepared statement, pgx reports a connection lost
	// while reading the result from rows.Next, not from Query.
	return &fallbackRows{Rows: rows, q: q, ctx: ctx, sql: sql, args: args}, nil
}

func (q replicaReader) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return fallbackRow{q: q, ctx: ctx, sql: sql, args: args}
}

type fallbackRow struct {
	q    replicaReader
	ctx  context.Context
	sql  string
	args []any
}

func (row fallbackRow) Scan(dest ...any) error {
	err := row.q.r.pool.QueryRow(row.ctx, row.sql, row.args...).Scan(dest...)
	if row.q.retry(row.ctx, err) {
		return row.q.primary.QueryRow(row.ctx, row.sql, row.args...).Scan(dest...)
	}
	return err
}

type fallbackRows struct {
	pgx.Rows
	q        replicaReader
	ctx      context.Context
	sql      string
	args     []any
	seen     bool
	switched bool
	err      error
}

func (r *fallbackRows) Next() bool {
	if r.Rows.Next() {
		r.seen = true
		return true
	}
	if r.seen || r.switched || !r.q.retry(r.ctx, r.Rows.Err()) {
		return false
	}
	r.switched = true
	r.Rows.Close()
	rows, err := r.q.primary.Query(r.ctx, r.sql, r.args...)
	if err != nil {
		r.err = err
		return false
	}
	r.Rows = rows
	return r.Next()
}

func (r *fallbackRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.Rows.Err()
}

// retry reports whether err is the replica's fault, so that the read
// may be repeated on the primary. An unreachable replica leaves rotation
// at once, and the next health check that reaches it readmits it.
func (q replicaReader) retry(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// PostgreSQL cancels a query that conflicts with recovery with
		// 40001. Class 57P is a server shutting down or starting up.
		return pgErr.Code == "40001" || strings.HasPrefix(pgErr.Code, "57P")
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err) {
		q.r.mu.Lock()
		q.r.state = ReplicaState{Err: "read failed: " + err.Error()}
		q.r.mu.Unlock()
		slog.Warn("postgres replica out of rotation", "replica", q.r.url, "err", err)
		return true
	}
	return false
}

type replica struct {
	url  string
	pool *pgxpool.Pool

	mu    sync.Mutex
	state ReplicaState
}

type replicaSet struct {
	replicas []*replica
	opts     ReplicaOptions
	next     atomic.Uint64
	stop     context.CancelFunc
	done     chan struct{}
}

func (set *replicaSet) pick() *replica {
	n := len(set.replicas)
	start := int(set.next.Add(1) % uint64(max(n, 1)))
	for i := range n {
		r := set.replicas[(start+i)%n]
		r.mu.Lock()
		ok := r.state.Healthy
		r.mu.Unlock()
		if ok {
			return r
		}
	}
	return nil
}

func (set *replicaSet) run(ctx context.Context, primary *pgxpool.Pool) {
	defer close(set.done)
	tick := time.NewTicker(set.opts.CheckEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			set.checkAll(ctx, primary)
		}
	}
}

// checkAll checks the replicas in parallel, so one that hangs delays
// neither the others nor the next round by more than the timeout.
func (set *replicaSet) checkAll(parent context.Context, primary *pgxpool.Pool) {
	timeout := min(set.opts.CheckEvery, 5*time.Second)
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	// The primary's position now is the target: a replica that replayed
	// up to it is caught up whatever its last commit's age, which on an
	// idle primary grows without any real lag.
	var target *string
	if err := primary.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&target); err != nil {
		target = nil
	}
	var wg sync.WaitGroup
	for _, r := range set.replicas {
		wg.Go(func() {
			st := checkReplica(ctx, r.pool, target, set.opts.MaxLag)
			r.mu.Lock()
			was := r.state
			r.state = st
			r.mu.Unlock()
			switch {
			case parent.Err() != nil || was.Healthy == st.Healthy:
			case st.Healthy:
				slog.Info("postgres replica in rotation", "replica", r.url, "lag", st.Lag)
			default:
				slog.Warn("postgres replica out of rotation", "replica", r.url, "lag", st.Lag, "err", st.Err)
			}
		})
	}
	wg.Wait()
}

// checkReplica measures one replica against target, the primary's WAL
// position. Without target, because the primary is unreachable, it
// compares the WAL the replica received with the WAL it replayed, which
// misses a lag in receiving.
//
// A replica that is behind reports the age of its last replayed commit
// as its lag. After a quiet spell on the primary that commit is old, so
// the next write can take a replica out of rotation until it replays
// that write. Reading from the primary meanwhile is the safe side.
func checkReplica(ctx context.Context, pool *pgxpool.Pool, target *string, maxLag time.Duration) ReplicaState {
	var inRecovery, caughtUp bool
	var lagSeconds *float64
	err := pool.QueryRow(ctx, `SELECT pg_is_in_recovery(),
		COALESCE(pg_last_wal_replay_lsn() >= $1::text::pg_lsn,
			pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn(), false),
		extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8`, target).
		Scan(&inRecovery, &caughtUp, &lagSeconds)
	switch {
	case err != nil:
		return ReplicaState{Err: err.Error()}
	case !inRecovery:
		// A promoted replica accepts writes that the primary never gets.
		return ReplicaState{Err: "not in recovery: promoted, or not a replica"}
	case caughtUp:
		return ReplicaState{Healthy: true}
	case lagSeconds == nil:
		return ReplicaState{Err: "behind the primary and has replayed no transaction yet"}
	}
	lag := time.Duration(*lagSeconds * float64(time.Second))
	if lag > maxLag {
		return ReplicaState{Lag: lag, Err: fmt.Sprintf("lag %v exceeds %v", lag.Round(time.Millisecond), maxLag)}
	}
	return ReplicaState{Healthy: true, Lag: lag}
}

func (set *replicaSet) close() {
	set.stop()
	<-set.done
	set.closePools()
}

func (set *replicaSet) closePools() {
	for _, r := range set.replicas {
		r.pool.Close()
	}
}

// redact hides the password of a URL or key=value connection string.
func redact(conn string) string {
	if u, err := url.Parse(conn); err == nil && u.Scheme != "" {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return passwordKV.ReplaceAllString(conn, "${1}xxxxx")
}

var passwordKV = regexp.MustCompile(`(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)
