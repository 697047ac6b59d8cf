package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/mail"
	"github.com/corkboard/corkboard/internal/storetest"
)

const urlVar = "CORKBOARD_TEST_DATABASE_URL"

var extensionOnce sync.Once
var extensionErr error

// testConfig returns a pool configuration for a new, empty schema that is
// dropped when the test ends, so tests run in parallel without sharing
// rows. It skips the test when no database is configured.
func testConfig(t *testing.T) *pgxpool.Config {
	t.Helper()
	url := os.Getenv(urlVar)
	if url == "" {
		t.Skipf("set %s, such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable, to run the PostgreSQL tests", urlVar)
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("%s is set but the database is unreachable: %v", urlVar, err)
	}
	defer admin.Close(ctx)

	// The extension goes in public once: installed into a test schema, it
	// would vanish with that schema while other tests still use it.
	extensionOnce.Do(func() {
		_, extensionErr = admin.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public`)
	})
	if extensionErr != nil {
		t.Fatalf("create extension unaccent: %v", extensionErr)
	}

	schema := newTestSchema(t, url, "corkboard_test_")

	config, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	config.ConnConfig.RuntimeParams["search_path"] = schema
	return config
}

// newTestSchema creates an empty schema with a random name in the database
// at url and drops it when the test ends.
func newTestSchema(t *testing.T, url, prefix string) string {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to the test database: %v", err)
	}
	defer admin.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	schema := prefix + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

func openConfig(t *testing.T, config *pgxpool.Config) *Store {
	t.Helper()
	s, err := OpenConfig(context.Background(), config)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last in first out: the pool closes before the schema
	// is dropped.
	t.Cleanup(func() { s.Close() })
	return s
}

func openStore(t *testing.T) *Store {
	t.Helper()
	return openConfig(t, testConfig(t))
}

func TestSearch(t *testing.T) {
	t.Parallel()
	storetest.RunSearch(t, func(t *testing.T) storetest.Store { return openStore(t) })
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newPost(id string) *board.Post {
	return &board.Post{
		ID: id, Status: board.Pending, Title: "Bike", Body: "Red", Category: "bikes",
		Region: "boston", Subarea: "021", ZIP: "02134", City: "Allston", State: "MA",
		Email: "a@example.com", CreatedAt: t0, UpdatedAt: t0,
		Images: []board.Image{{ThumbKey: "t-" + id, LargeKey: "l-" + id, Width: 10, Height: 5}},
	}
}

func message(id string) mail.Message {
	return mail.Message{ID: id + "@example.com", From: "c@example.com", To: "a@example.com", Subject: "s", Text: "t", HTML: "h", Date: t0}
}

func create(t *testing.T, s *Store, id string) {
	t.Helper()
	if err := s.CreatePost(context.Background(), newPost(id), []byte("hash-"+id), board.Idempotency{}, message(id)); err != nil {
		t.Fatal(err)
	}
}

func TestMigrationsRunOnceWhenServersStartTogether(t *testing.T) {
	t.Parallel()
	config := testConfig(t)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			s, err := OpenConfig(context.Background(), config.Copy())
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("open: %v", err)
		}
	}
	s := openConfig(t, config.Copy())
	var n, versions int
	err := s.pool.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&n, &versions)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := migrationFS.ReadDir("migrations")
	if n != len(files) || versions != len(files) {
		t.Errorf("got %d rows for %d versions, want one row for each of %d migrations", n, versions, len(files))
	}
}

func TestCreateAndLoad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	create(t, s, "aaaaaaaaaaaaaaaa")

	p, err := s.PostByToken(ctx, []byte("hash-aaaaaaaaaaaaaaaa"))
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "aaaaaaaaaaaaaaaa" || p.Status != board.Pending || p.ZIP != "02134" {
		t.Errorf("got %+v", p)
	}
	if len(p.Images) != 1 || p.Images[0].Width != 10 {
		t.Errorf("got images %+v, want one 10x5", p.Images)
	}
	if !p.CreatedAt.Equal(t0) || p.CreatedAt.Location() != time.UTC {
		t.Errorf("got created %v, want %v in UTC", p.CreatedAt, t0)
	}
	if !p.PublishedAt.IsZero() {
		t.Errorf("got published %v for a pending post, want zero", p.PublishedAt)
	}

	_, err = s.Post(ctx, "nonexistent")
	if !errors.Is(err, board.ErrNotFound) {
		t.Errorf("got error %v, want ErrNotFound", err)
	}
}

func TestIdempotencyKeyIsUnique(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	idem := board.Idempotency{Key: "k", RequestHash: "h", PostID: "aaaaaaaaaaaaaaaa"}
	if err := s.CreatePost(ctx, newPost("aaaaaaaaaaaaaaaa"), []byte("x1"), idem, message("m1")); err != nil {
		t.Fatal(err)
	}
	idem.PostID = "bbbbbbbbbbbbbbbb"
	err := s.CreatePost(ctx, newPost("bbbbbbbbbbbbbbbb"), []byte("x2"), idem, message("m2"))
	if !errors.Is(err, board.ErrIdempotencyKeyUsed) {
		t.Fatalf("got error %v, want ErrIdempotencyKeyUsed", err)
	}
	if _, err := s.Post(ctx, "bbbbbbbbbbbbbbbb"); !errors.Is(err, board.ErrNotFound) {
		t.Error("the second post was half-written despite the conflict")
	}
	got, err := s.IdempotentRequest(ctx, "k")
	if err != nil || got.PostID != "aaaaaaaaaaaaaaaa" {
		t.Errorf("got %+v, %v; want the first post", got, err)
	}
}

func TestLifecycleRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	id := "aaaaaaaaaaaaaaaa"
	create(t, s, id)

	if err := s.PublishPost(ctx, id, t0, t0.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	t.Run("publishing twice is a conflict", func(t *testing.T) {
		err := s.PublishPost(ctx, id, t0, t0.Add(time.Hour))
		if board.ErrorCode(err) != board.Conflict {
			t.Errorf("got %v, want a conflict", err)
		}
	})
	t.Run("renewing before the bound is a conflict", func(t *testing.T) {
		err := s.RenewPost(ctx, id, t0.Add(time.Hour), t0.Add(-time.Second), t0.Add(100*time.Hour))
		if board.ErrorCode(err) != board.Conflict {
			t.Errorf("got %v, want a conflict", err)
		}
	})
	t.Run("renewing moves the post to the top", func(t *testing.T) {
		create(t, s, "bbbbbbbbbbbbbbbb")
		s.PublishPost(ctx, "bbbbbbbbbbbbbbbb", t0.Add(time.Minute), t0.Add(72*time.Hour))
		later := t0.Add(49 * time.Hour)
		if err := s.RenewPost(ctx, id, later, later.Add(-48*time.Hour), later.Add(72*time.Hour)); err != nil {
			t.Fatal(err)
		}
		posts, err := s.ListPosts(ctx, board.ListQuery{Region: "boston", Limit: 10, Now: later})
		if err != nil {
			t.Fatal(err)
		}
		if len(posts) != 2 || posts[0].ID != id {
			t.Errorf("got %d posts with %v first, want the renewed one first", len(posts), posts)
		}
		next, err := s.ListPosts(ctx, board.ListQuery{Region: "boston", Limit: 10, Now: later,
			After: &board.Cursor{BumpedAt: posts[0].BumpedAt, ID: posts[0].ID}})
		if err != nil || len(next) != 1 || next[0].ID != "bbbbbbbbbbbbbbbb" {
			t.Errorf("after the first post: got %v, %v; want only the second", next, err)
		}
	})
	t.Run("deleting erases contact details", func(t *testing.T) {
		if err := s.DeletePost(ctx, id, t0.Add(50*time.Hour)); err != nil {
			t.Fatal(err)
		}
		p, _ := s.Post(ctx, id)
		if p.Status != board.Deleted || p.Email != "" || p.Body != "" {
			t.Errorf("got status %s email %q body %q, want deleted and erased", p.Status, p.Email, p.Body)
		}
		if err := s.DeletePost(ctx, id, t0); board.ErrorCode(err) != board.Conflict {
			t.Errorf("second delete: got %v, want a conflict", err)
		}
	})
}

func TestImagesOfDeadPostsAreReleased(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	create(t, s, "aaaaaaaaaaaaaaaa")
	s.PublishPost(ctx, "aaaaaaaaaaaaaaaa", t0, t0.Add(time.Hour))

	// A second live post shares the large photo of the first.
	shared := newPost("bbbbbbbbbbbbbbbb")
	shared.Images[0].LargeKey = "l-aaaaaaaaaaaaaaaa"
	if err := s.CreatePost(ctx, shared, []byte("h2"), board.Idempotency{}, message("m2")); err != nil {
		t.Fatal(err)
	}

	live, _ := s.ImageLive(ctx, "t-aaaaaaaaaaaaaaaa", t0.Add(time.Minute))
	if !live {
		t.Error("photo of a live post: got not live")
	}
	live, _ = s.ImageLive(ctx, "t-aaaaaaaaaaaaaaaa", t0.Add(2*time.Hour))
	if live {
		t.Error("photo of an expired post: got live")
	}

	keys, err := s.ReleasedImages(ctx, t0.Add(3*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != "t-aaaaaaaaaaaaaaaa" {
		t.Errorf("got released %v, want only the thumbnail nobody else uses", keys)
	}
	if err := s.ForgetImages(ctx, keys, t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if keys, _ := s.ReleasedImages(ctx, t0.Add(3*time.Hour), 10); len(keys) != 0 {
		t.Errorf("got %v after forgetting, want none", keys)
	}
}

func TestMailLeases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	create(t, s, "aaaaaaaaaaaaaaaa")

	first, err := s.ClaimMail(ctx, t0, time.Minute, 10)
	if err != nil || len(first) != 1 {
		t.Fatalf("got %d messages, %v; want 1", len(first), err)
	}
	if m := first[0].Message; m.ID != "aaaaaaaaaaaaaaaa@example.com" || m.Text != "t" || !m.Date.Equal(t0) {
		t.Errorf("got %+v, want the queued message", m)
	}
	if again, _ := s.ClaimMail(ctx, t0.Add(time.Second), time.Minute, 10); len(again) != 0 {
		t.Errorf("got %d messages while leased, want 0", len(again))
	}
	// A worker that died: the lease runs out and the message comes back.
	retry, _ := s.ClaimMail(ctx, t0.Add(2*time.Minute), time.Minute, 10)
	if len(retry) != 1 || retry[0].Attempts != 2 {
		t.Fatalf("got %+v after the lease, want the message on attempt 2", retry)
	}
	if err := s.MarkMailSent(ctx, retry[0].ID, t0); err != nil {
		t.Fatal(err)
	}
	if after, _ := s.ClaimMail(ctx, t0.Add(time.Hour), time.Minute, 10); len(after) != 0 {
		t.Errorf("got %d messages after sending, want 0", len(after))
	}
}

func queueMessages(t *testing.T, s *Store, prefix string, n int) {
	t.Helper()
	for i := range n {
		if err := s.QueueMail(context.Background(), message(fmt.Sprintf("%s%d", prefix, i))); err != nil {
			t.Fatal(err)
		}
	}
}

// TestConcurrentClaimersGetDisjointMail runs several rounds because an
// overlap, when the locking is wrong, depends on timing.
func TestConcurrentClaimersGetDisjointMail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	for round := range 10 {
		queueMessages(t, s, fmt.Sprintf("r%d-", round), 40)
		claims := make([][]board.OutboxMail, 8)
		errs := make([]error, len(claims))
		var wg sync.WaitGroup
		for i := range claims {
			wg.Go(func() { claims[i], errs[i] = s.ClaimMail(ctx, t0, time.Minute, 5) })
		}
		wg.Wait()
		seen := map[int64]int{}
		for i, c := range claims {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			for _, m := range c {
				seen[m.ID]++
			}
		}
		for id, n := range seen {
			if n > 1 {
				t.Errorf("round %d: message %d claimed %d times, want once", round, id, n)
			}
			if err := s.MarkMailSent(ctx, id, t0); err != nil {
				t.Fatal(err)
			}
		}
		if len(seen) != 40 {
			t.Errorf("round %d: got %d messages claimed, want all 40", round, len(seen))
		}
	}
}

// TestClaimSkipsLockedMail holds a row lock, as a worker in the middle of
// its claim does, and expects ClaimMail to take the other messages at once
// instead of waiting for the lock.
func TestClaimSkipsLockedMail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	queueMessages(t, s, "m", 3)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var locked int64
	if err := tx.QueryRow(ctx, `SELECT id FROM mail_outbox ORDER BY id LIMIT 1 FOR UPDATE`).Scan(&locked); err != nil {
		t.Fatal(err)
	}
	claimCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	got, err := s.ClaimMail(claimCtx, t0, time.Minute, 10)
	if err != nil {
		t.Fatalf("claim while a row is locked: %v", err)
	}
	if len(got) != 2 {
		t.Errorf("got %d messages, want the 2 unlocked ones", len(got))
	}
	for _, m := range got {
		if m.ID == locked {
			t.Errorf("got the locked message %d", locked)
		}
	}
}

func TestAlertLeases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	a := &board.Alert{ID: "alert1", Email: "a@example.com", Query: "q=bike", Label: "bike", CreatedAt: t0}
	if err := s.CreateAlert(ctx, a, message("alert1")); err != nil {
		t.Fatal(err)
	}
	if err := s.ConfirmAlert(ctx, "alert1", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.ConfirmAlert(ctx, "alert1", t0); board.ErrorCode(err) != board.Conflict {
		t.Errorf("second confirm: got %v, want a conflict", err)
	}

	got, err := s.ClaimAlerts(ctx, t0, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d alerts, want the confirmed one", len(got))
	}
	if got[0].Status != "active" {
		t.Errorf("got status %q, want active", got[0].Status)
	}
	if !got[0].CheckedAt.Equal(t0) {
		t.Errorf("got checked %v, want the confirmation time %v", got[0].CheckedAt, t0)
	}
	if again, _ := s.ClaimAlerts(ctx, t0.Add(time.Second), time.Minute, 10); len(again) != 0 {
		t.Errorf("got %d alerts while leased, want 0", len(again))
	}

	digest := message("digest")
	if err := s.FinishAlert(ctx, "alert1", t0.Add(time.Second), t0.Add(24*time.Hour), &digest); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.ClaimAlerts(ctx, t0.Add(time.Hour), time.Minute, 10); len(due) != 0 {
		t.Errorf("got %d alerts before the next run, want 0", len(due))
	}

	if err := s.Unsubscribe(ctx, "alert1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Unsubscribe(ctx, "alert1"); err != nil {
		t.Errorf("second unsubscribe: %v", err)
	}
	if due, _ := s.ClaimAlerts(ctx, t0.Add(48*time.Hour), time.Minute, 10); len(due) != 0 {
		t.Errorf("got %d alerts after unsubscribing, want 0", len(due))
	}
	if _, err := s.Alert(ctx, "missing"); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("missing alert: got %v, want ErrNotFound", err)
	}
}

func TestSecretIsSharedByConcurrentServers(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	values := make([][]byte, 8)
	errs := make([]error, len(values))
	var wg sync.WaitGroup
	for i := range values {
		wg.Go(func() {
			values[i], errs[i] = s.Secret(context.Background(), "csrf", func() []byte { return []byte{byte(i)} })
		})
	}
	wg.Wait()
	for i := range values {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if string(values[i]) != string(values[0]) {
			t.Errorf("got secrets %v and %v, want one value", values[0], values[i])
		}
	}
}

func TestSitemapAndCounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	for _, id := range []string{"aaaaaaaaaaaaaaaa", "aabbbbbbbbbbbbbb", "bbbbbbbbbbbbbbbb"} {
		create(t, s, id)
		if err := s.PublishPost(ctx, id, t0, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}

	buckets, err := s.SitemapBuckets(ctx, t0)
	if err != nil {
		t.Fatal(err)
	}
	if buckets["aa"] != 2 || buckets["bb"] != 1 {
		t.Errorf("got buckets %v, want aa:2 bb:1", buckets)
	}

	posts, err := s.SitemapPosts(ctx, "aa", t0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 2 || posts[0].ID != "aaaaaaaaaaaaaaaa" {
		t.Errorf("got %d posts, want the 2 starting with aa, by id", len(posts))
	}

	counts, next, err := s.CountPosts(ctx, "boston", t0)
	if err != nil {
		t.Fatal(err)
	}
	if counts["bikes"] != 3 {
		t.Errorf("got counts %v, want bikes:3", counts)
	}
	if !next.Equal(t0.Add(time.Hour)) {
		t.Errorf("got next expiry %v, want %v", next, t0.Add(time.Hour))
	}

	mine, err := s.LivePostsByEmail(ctx, "A@Example.com", t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 3 {
		t.Errorf("got %d posts by email, want 3 whatever the case", len(mine))
	}

	n, err := s.ExpirePosts(ctx, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("expired %d posts, want 3", n)
	}
}
