package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/storetest"
)

// These tests need real streaming replication. `.ci/pg-replicas.sh start`
// runs a primary, a replica and a replica that applies WAL 3 s late, and
// prints the three variables. The tests do not run in parallel, because
// a write by one test makes the delayed replica lag in another.
const (
	primaryVar = "CORKBOARD_TEST_PRIMARY_URL"
	replicaVar = "CORKBOARD_TEST_REPLICA_URL"
	delayedVar = "CORKBOARD_TEST_DELAYED_REPLICA_URL"
)

type replicaURLs struct{ primary, replica, delayed string }

func replicaEnv(t *testing.T) replicaURLs {
	t.Helper()
	u := replicaURLs{os.Getenv(primaryVar), os.Getenv(replicaVar), os.Getenv(delayedVar)}
	if u.primary == "" || u.replica == "" || u.delayed == "" {
		t.Skipf("set %s, %s and %s to run the replica tests; `bash .ci/pg-replicas.sh start` starts the clusters and prints them",
			primaryVar, replicaVar, delayedVar)
	}
	for name, url := range map[string]string{primaryVar: u.primary, replicaVar: u.replica, delayedVar: u.delayed} {
		conn, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Fatalf("%s is set but the database is unreachable: %v", name, err)
		}
		conn.Close(context.Background())
	}
	return u
}

// queryCounter counts the statements that read posts through one pool,
// to show which server a Store method used. Health checks read no posts,
// so they do not count.
type queryCounter struct{ n atomic.Int64 }

func (c *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.Contains(d.SQL, "FROM posts") || strings.Contains(d.SQL, "FROM post_files") {
		c.n.Add(1)
	}
	return ctx
}

func (c *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

type replicaStore struct {
	*Store
	primary, replica *queryCounter
}

// openReplicated opens a Store on a fresh schema of the primary with one
// replica at replicaURL, and waits until the replica has replayed the
// migrations.
func openReplicated(t *testing.T, primaryURL, replicaURL string, opts ReplicaOptions) replicaStore {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, primaryURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public`); err != nil {
		t.Fatal(err)
	}
	schema := newTestSchema(t, primaryURL, "corkboard_replica_test_")

	rs := replicaStore{primary: &queryCounter{}, replica: &queryCounter{}}
	pc, err := pgxpool.ParseConfig(primaryURL)
	if err != nil {
		t.Fatal(err)
	}
	pc.ConnConfig.RuntimeParams["search_path"] = schema
	pc.ConnConfig.Tracer = rs.primary
	rc, err := pgxpool.ParseConfig(replicaURL)
	if err != nil {
		t.Fatal(err)
	}
	rc.ConnConfig.RuntimeParams["search_path"] = schema
	rc.ConnConfig.Tracer = rs.replica
	rs.Store, err = OpenReplicasConfig(ctx, pc, []*pgxpool.Config{rc}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	return rs
}

// waitReplayed waits until the replica at url has replayed everything the
// primary had written when it was called.
func waitReplayed(t *testing.T, s *Store, url string, within time.Duration) {
	t.Helper()
	ctx := context.Background()
	var lsn string
	if err := s.pool.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&lsn); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	deadline := time.Now().Add(within)
	for {
		var done bool
		if err := conn.QueryRow(ctx, `SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn`, lsn).Scan(&done); err != nil {
			t.Fatal(err)
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica did not replay up to %s within %v", lsn, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitHealthy waits until the only replica's health is want.
func waitHealthy(t *testing.T, s *Store, want bool, within time.Duration) ReplicaState {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		st := s.ReplicaStatus()[0]
		if st.Healthy == want {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica healthy=%v after %v, want %v: %+v", st.Healthy, within, want, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func publish(t *testing.T, s *Store, id string) {
	t.Helper()
	create(t, s, id)
	if err := s.PublishPost(context.Background(), id, storetest.T0, storetest.T0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
}

func inRecovery(t *testing.T, s *Store, ctx context.Context) bool {
	t.Helper()
	var yes bool
	if err := s.reader(ctx).QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&yes); err != nil {
		t.Fatal(err)
	}
	return yes
}

func TestReplicaServesPageReads(t *testing.T) {
	u := replicaEnv(t)
	ctx := context.Background()
	s := openReplicated(t, u.primary, u.replica, ReplicaOptions{CheckEvery: 100 * time.Millisecond})
	publish(t, s.Store, "aaaaaaaaaaaaaaaa")
	waitReplayed(t, s.Store, u.replica, 5*time.Second)
	waitHealthy(t, s.Store, true, 2*time.Second)

	if !inRecovery(t, s.Store, ctx) {
		t.Error("a plain read went to the primary, want the replica")
	}
	if inRecovery(t, s.Store, WithPrimary(ctx)) {
		t.Error("a WithPrimary read went to a replica")
	}
	if inRecovery(t, s.Store, ReadYourWrites(ctx, time.Now().Add(time.Minute))) {
		t.Error("a ReadYourWrites read went to a replica before its deadline")
	}
	if !inRecovery(t, s.Store, ReadYourWrites(ctx, time.Now().Add(-time.Second))) {
		t.Error("a ReadYourWrites read went to the primary after its deadline")
	}

	s.primary.n.Store(0)
	s.replica.n.Store(0)
	id := "aaaaaaaaaaaaaaaa"
	if p, err := s.Post(ctx, id); err != nil || len(p.Images) != 1 {
		t.Fatalf("Post: %v, %+v", err, p)
	}
	if posts, err := s.ListPosts(ctx, board.ListQuery{Limit: 10, Now: storetest.T0}); err != nil || len(posts) != 1 {
		t.Fatalf("ListPosts: %v, %d posts", err, len(posts))
	}
	if hits, err := s.SearchPosts(ctx, board.SearchQuery{Limit: 10, Now: storetest.T0}); err != nil || len(hits) != 1 {
		t.Fatalf("SearchPosts: %v, %d hits", err, len(hits))
	}
	if counts, _, err := s.CountPosts(ctx, "boston", storetest.T0); err != nil || counts["bikes"] != 1 {
		t.Fatalf("CountPosts: %v, %v", err, counts)
	}
	if b, err := s.SitemapBuckets(ctx, storetest.T0); err != nil || b["aa"] != 1 {
		t.Fatalf("SitemapBuckets: %v, %v", err, b)
	}
	if posts, err := s.SitemapPosts(ctx, "aa", storetest.T0, 10); err != nil || len(posts) != 1 {
		t.Fatalf("SitemapPosts: %v, %d posts", err, len(posts))
	}
	if ok, err := s.ImagePublic(ctx, "t-"+id, storetest.T0); err != nil || !ok {
		t.Fatalf("ImagePublic: %v, %v", err, ok)
	}
	if n := s.primary.n.Load(); n != 0 {
		t.Errorf("page reads sent %d queries to the primary, want 0", n)
	}
	if n := s.replica.n.Load(); n < 7 {
		t.Errorf("page reads sent %d queries to the replica, want at least 7", n)
	}

	// The manage page must see the owner's edit, so it never uses a
	// replica.
	s.replica.n.Store(0)
	if _, err := s.PostByToken(ctx, []byte("hash-"+id)); err != nil {
		t.Fatal(err)
	}
	if n := s.replica.n.Load(); n != 0 {
		t.Errorf("PostByToken sent %d queries to the replica, want 0", n)
	}

	st := s.ReplicaStatus()
	if len(st) != 1 || !st[0].Healthy || st[0].URL != u.replica {
		t.Errorf("ReplicaStatus = %+v", st)
	}
}

// The delayed replica applies each commit 3 s late: a real lag, which the
// read-your-writes context must hide.
func TestReplicaReadYourWritesUnderLag(t *testing.T) {
	u := replicaEnv(t)
	ctx := context.Background()
	s := openReplicated(t, u.primary, u.delayed, ReplicaOptions{MaxLag: time.Minute, CheckEvery: 100 * time.Millisecond})
	waitReplayed(t, s.Store, u.delayed, 10*time.Second)
	waitHealthy(t, s.Store, true, 2*time.Second)

	id := "bbbbbbbbbbbbbbbb"
	create(t, s.Store, id)
	written := time.Now()
	s.replica.n.Store(0)
	if _, err := s.Post(ctx, id); !errors.Is(err, board.ErrNotFound) {
		t.Fatalf("a plain read right after the write: err %v, want ErrNotFound from the lagging replica", err)
	}
	if s.replica.n.Load() == 0 {
		t.Fatal("the plain read did not go to the replica")
	}
	if p, err := s.Post(ReadYourWrites(ctx, written.Add(5*time.Second)), id); err != nil || p.ID != id {
		t.Fatalf("ReadYourWrites read: %v", err)
	}
	if _, err := s.Post(WithPrimary(ctx), id); err != nil {
		t.Fatalf("WithPrimary read: %v", err)
	}
	if time.Since(written) > 2*time.Second {
		t.Fatalf("the checks took %v, too long to prove the replica had not applied the write", time.Since(written))
	}

	waitReplayed(t, s.Store, u.delayed, 10*time.Second)
	if _, err := s.Post(ctx, id); err != nil {
		t.Fatalf("a plain read once the replica caught up: %v", err)
	}
}

func TestReplicaPastMaxLagLeavesRotation(t *testing.T) {
	u := replicaEnv(t)
	ctx := context.Background()
	s := openReplicated(t, u.primary, u.delayed, ReplicaOptions{MaxLag: time.Second, CheckEvery: 100 * time.Millisecond})
	waitReplayed(t, s.Store, u.delayed, 10*time.Second)
	waitHealthy(t, s.Store, true, 2*time.Second)

	id := "cccccccccccccccc"
	create(t, s.Store, id)
	st := waitHealthy(t, s.Store, false, 3*time.Second)
	if st.Lag <= time.Second {
		t.Errorf("out of rotation with lag %v, want more than MaxLag", st.Lag)
	}
	// Out of rotation, plain reads use the primary and see the write.
	if _, err := s.Post(ctx, id); err != nil {
		t.Fatalf("read while the replica lags: %v", err)
	}

	waitHealthy(t, s.Store, true, 8*time.Second)
	s.replica.n.Store(0)
	if _, err := s.Post(ctx, id); err != nil {
		t.Fatalf("read after readmission: %v", err)
	}
	if s.replica.n.Load() == 0 {
		t.Error("the replica is healthy again but did not serve the read")
	}
}

// proxy forwards TCP connections to a server until closed, so a test can
// cut a replica off and bring it back without touching the cluster that
// other tests use.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
}

func startProxy(t *testing.T, addr, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// cutOffReplica opens a Store whose replica is reached through a proxy,
// with one live post, and returns it with the proxy, once the replica
// serves reads.
func cutOffReplica(t *testing.T, opts ReplicaOptions) (replicaStore, *proxy, string) {
	t.Helper()
	u := replicaEnv(t)
	rc, err := pgx.ParseConfig(u.replica)
	if err != nil {
		t.Fatal(err)
	}
	target := net.JoinHostPort(rc.Host, strconv.Itoa(int(rc.Port)))
	p := startProxy(t, "127.0.0.1:0", target)
	viaProxy := strings.Replace(u.replica, target, p.ln.Addr().String(), 1)
	if viaProxy == u.replica {
		t.Fatalf("cannot find %s in %s to route it through a proxy", target, u.replica)
	}
	s := openReplicated(t, u.primary, viaProxy, opts)
	id := "dddddddddddddddd"
	publish(t, s.Store, id)
	waitReplayed(t, s.Store, u.replica, 5*time.Second)
	waitHealthy(t, s.Store, true, 2*time.Second)
	return s, p, id
}

// pageReads runs reads that use a replica and fails on any error.
func pageReads(t *testing.T, s *Store, id string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Post(ctx, id); err != nil {
		t.Fatalf("Post: %v", err)
	}
	if posts, err := s.ListPosts(ctx, board.ListQuery{Limit: 10, Now: storetest.T0}); err != nil || len(posts) != 1 {
		t.Fatalf("ListPosts: %v, %d posts", err, len(posts))
	}
	if _, _, err := s.CountPosts(ctx, "boston", storetest.T0); err != nil {
		t.Fatalf("CountPosts: %v", err)
	}
}

func TestReplicaDownFallsBackToPrimary(t *testing.T) {
	s, p, id := cutOffReplica(t, ReplicaOptions{CheckEvery: 100 * time.Millisecond})
	p.close()
	// No wait for the health check: reads between the failure and the
	// check must succeed as well.
	s.primary.n.Store(0)
	for range 5 {
		pageReads(t, s.Store, id)
	}
	if s.primary.n.Load() == 0 {
		t.Error("reads with the replica down did not reach the primary")
	}
	if st := waitHealthy(t, s.Store, false, 3*time.Second); st.Err == "" {
		t.Error("an unreachable replica reports no error")
	}

	startProxy(t, p.ln.Addr().String(), p.target)
	waitHealthy(t, s.Store, true, 3*time.Second)
	s.replica.n.Store(0)
	pageReads(t, s.Store, id)
	if s.replica.n.Load() == 0 {
		t.Error("the replica is back but did not serve the reads")
	}
}

// With health checks too rare to help, the failed read itself must move
// to the primary and take the replica out of rotation.
func TestReplicaFailedReadUsesPrimary(t *testing.T) {
	s, p, id := cutOffReplica(t, ReplicaOptions{CheckEvery: time.Hour})
	p.close()
	s.primary.n.Store(0)
	pageReads(t, s.Store, id)
	if s.primary.n.Load() == 0 {
		t.Error("the reads did not reach the primary")
	}
	if st := s.ReplicaStatus()[0]; st.Healthy || st.Err == "" {
		t.Errorf("after a failed read ReplicaStatus = %+v, want unhealthy with an error", st)
	}
}

// A replica that was never reachable must not stop the store from opening.
func TestReplicaUnreachableAtOpen(t *testing.T) {
	u := replicaEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "postgres://postgres:secret@" + ln.Addr().String() + "/test?sslmode=disable&connect_timeout=1"
	ln.Close()
	s := openReplicated(t, u.primary, closed, ReplicaOptions{})
	st := s.ReplicaStatus()
	if len(st) != 1 || st[0].Healthy || st[0].Err == "" {
		t.Fatalf("ReplicaStatus = %+v, want one unhealthy replica with an error", st)
	}
	if strings.Contains(st[0].URL, "secret") || strings.Contains(st[0].Err, "secret") {
		t.Errorf("the password leaks: %+v", st[0])
	}
	publish(t, s.Store, "eeeeeeeeeeeeeeee")
	if _, err := s.Post(context.Background(), "eeeeeeeeeeeeeeee"); err != nil {
		t.Fatal(err)
	}
}

func TestReplicaRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:pw@h:5432/db?sslmode=disable": "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"postgres://u@h/db?password=pw":             "postgres://u@h/db?password=xxxxx",
		"host=h user=u password=pw dbname=d":        "host=h user=u password=xxxxx dbname=d",
		"host=h password='p w' dbname=d":            "host=h password=xxxxx dbname=d",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}
