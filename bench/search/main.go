// Command search measures the latency of typical searches on a SQLite
// board filled with generated sample posts:
//
//	go run ./bench/search -posts 1000000 -db /tmp/search-bench.db
//
// It creates the database on the first run and reuses it while it contains
// exactly -posts posts, so the searches can be measured again without
// waiting for the load. Each search calls board.Service.Search, which has
// no cache, on a store opened by sqlite.Open as the app opens it.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/cache"
	"github.com/corkboard/corkboard/internal/categories"
	"github.com/corkboard/corkboard/internal/mail"
	"github.com/corkboard/corkboard/internal/places"
	"github.com/corkboard/corkboard/internal/postgres"
	"github.com/corkboard/corkboard/internal/seed"
	"github.com/corkboard/corkboard/internal/sqlite"
)

// benchNow is the clock of both the generator and the service. A fixed
// time keeps a reused database valid: every generated post is live at it,
// and would start to expire within days of a real clock.
var benchNow = time.Date(2026, time.March, 2, 12, 0, 0, 0, time.UTC)

// loadChunk is how many posts are generated between two progress lines.
const loadChunk = 100_000

type options struct {
	posts       int
	path        string
	databaseURL string
	iterations  int
	seed        int64
	deepPage    int
	target      time.Duration
	filler      int
	// otherIterations is the number of timed calls of each search outside
	// the target.
	otherIterations int
}

func main() {
	var o options
	flag.IntVar(&o.posts, "posts", 1_000_000, "number of generated posts in the database")
	flag.StringVar(&o.path, "db", "/tmp/search-bench.db", "SQLite database file, created if missing")
	flag.StringVar(&o.databaseURL, "database-url", "", "measure PostgreSQL at this postgres:// URL instead of SQLite")
	flag.IntVar(&o.iterations, "iterations", 200, "timed calls of each search")
	flag.Int64Var(&o.seed, "seed", 1, "random seed of the post generator")
	flag.IntVar(&o.deepPage, "deep-page", 10, "page number of the deep category page, reached by following cursors")
	flag.DurationVar(&o.target, "target", 50*time.Millisecond, "p99 latency that a search must stay under")
	flag.IntVar(&o.filler, "filler-words", 0, "extra words of a large made-up vocabulary appended to each body when loading")
	flag.IntVar(&o.otherIterations, "other-iterations", 20, "timed calls of each search outside the target, 0 to skip them")
	flag.Parse()
	if o.posts < 1 || o.iterations < 1 || o.deepPage < 2 || o.otherIterations < 0 {
		fmt.Fprintf(os.Stderr, "search: invalid flags -posts %d -iterations %d -deep-page %d -other-iterations %d: -posts and -iterations must be at least 1, -deep-page at least 2, -other-iterations at least 0\n",
			o.posts, o.iterations, o.deepPage, o.otherIterations)
		os.Exit(2)
	}
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "search:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	fmt.Printf("machine: %s/%s, %d CPUs, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())

	dir, err := places.Load()
	if err != nil {
		return fmt.Errorf("load places: %w", err)
	}
	taxonomy := categories.Builtin()
	templates, err := mail.LoadTemplates()
	if err != nil {
		return err
	}
	db, err := openBenchDB(ctx, o)
	if err != nil {
		return err
	}
	defer db.store.Close()
	store := db.store

	if err := fill(ctx, o, db, seed.NewGenerator(dir, taxonomy, o.seed)); err != nil {
		return err
	}
	if err := db.settle(ctx); err != nil {
		return err
	}
	fmt.Printf("database: %s\n", db.describe())

	// A cache of zero bytes stores nothing, so every call reaches the
	// store: the figures are the database's, not the cache's.
	svc := board.NewService(board.ServiceConfig{
		Store: store, Cache: cache.NewMemory(0), Places: dir, Categories: taxonomy,
		Mail: templates, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), SiteName: "Corkboard",
	})
	svc.Now = func() time.Time { return benchNow }

	cases, err := searchCases(ctx, svc, o.deepPage)
	if err != nil {
		return err
	}
	// Other processes on the machine slow the searches down, so the load
	// average goes next to the figures.
	fmt.Printf("load average before: %s\n", loadAverage())
	results, err := measure(ctx, svc, cases, o.iterations)
	if err != nil {
		return err
	}
	fmt.Printf("load average after: %s\n", loadAverage())
	printTable(os.Stdout, results, o.target)

	if o.otherIterations > 0 {
		other, err := measure(ctx, svc, otherCases(), o.otherIterations)
		if err != nil {
			return err
		}
		fmt.Println()
		printOther(os.Stdout, other)
	}
	return nil
}

// loadAverage returns the 1, 5 and 15 minute load averages of Linux, or
// "unknown" elsewhere.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	fields := strings.Fields(string(b))
	if len(fields) < 3 {
		return "unknown"
	}
	return strings.Join(fields[:3], " ")
}

// fill loads o.posts generated posts into an empty database, or checks that
// an existing one contains exactly that many.
func fill(ctx context.Context, o options, db *benchDB, gen *seed.Generator) error {
	have, err := db.count(ctx)
	if err != nil {
		return fmt.Errorf("count posts: %w", err)
	}
	switch {
	case have == o.posts:
		fmt.Printf("reusing %s: it already contains %d posts (load time not measured, -seed and -filler-words not applied)\n", db.name, have)
		return nil
	case have != 0:
		return fmt.Errorf("%s contains %d posts, not %d: empty it or use another database", db.name, have, o.posts)
	}

	fmt.Printf("loading %d posts into %s (filler words per body: %d)\n", o.posts, db.name, o.filler)
	var target seed.Inserter = db.store
	if o.filler > 0 {
		target = newFiller(db.store, o.filler, o.seed)
	}
	start := time.Now()
	for done := 0; done < o.posts; {
		n := min(loadChunk, o.posts-done)
		if err := gen.Insert(ctx, target, n, benchNow); err != nil {
			return err
		}
		done += n
		elapsed := time.Since(start)
		fmt.Printf("  %8d posts  %7.1fs  %6.0f posts/s\n", done, elapsed.Seconds(), float64(done)/elapsed.Seconds())
	}
	fmt.Printf("load time: %s for %d posts\n", time.Since(start).Round(100*time.Millisecond), o.posts)
	return nil
}

// benchStore is a store that also takes generated posts.
type benchStore interface {
	board.Store
	seed.Inserter
}

// benchDB is the store under test with what the benchmark needs beyond
// the store's methods.
type benchDB struct {
	store benchStore
	name  string // the SQLite file, or "PostgreSQL"
	// count returns the number of posts, which the store has no method for.
	count func(context.Context) (int, error)
	// describe returns the database's size.
	describe func() string
	// settle brings the database to the state of a running server before
	// the searches are timed.
	settle func(context.Context) error
}

// openBenchDB opens the SQLite file, or PostgreSQL when -database-url is
// set.
func openBenchDB(ctx context.Context, o options) (*benchDB, error) {
	if o.databaseURL != "" {
		return openPostgres(ctx, o.databaseURL)
	}
	store, err := sqlite.Open(ctx, o.path)
	if err != nil {
		return nil, err
	}
	raw, err := sql.Open("sqlite", "file:"+o.path+"?_pragma=query_only(1)")
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	return &benchDB{
		store: store,
		name:  o.path,
		count: func(ctx context.Context) (int, error) {
			var n int
			err := raw.QueryRowContext(ctx, `SELECT count(*) FROM posts`).Scan(&n)
			return n, err
		},
		describe: func() string { return o.path + ", " + databaseSize(o.path) },
		settle:   func(context.Context) error { return nil },
	}, nil
}

// openPostgres opens the PostgreSQL store at url, and a connection of its
// own for counting and maintenance.
func openPostgres(ctx context.Context, url string) (*benchDB, error) {
	store, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		store.Close()
		return nil, err
	}
	return &benchDB{
		store: store,
		name:  "PostgreSQL",
		count: func(ctx context.Context) (int, error) {
			var n int
			err := conn.QueryRow(ctx, `SELECT count(*) FROM posts`).Scan(&n)
			return n, err
		},
		describe: func() string {
			var size string
			if err := conn.QueryRow(ctx, `SELECT pg_size_pretty(pg_database_size(current_database()))`).Scan(&size); err != nil {
				return "PostgreSQL, size unknown: " + err.Error()
			}
			return "PostgreSQL, " + size
		},
		settle: func(ctx context.Context) error {
			// On a running server autovacuum keeps the planner's
			// statistics and the visibility map, which index-only scans
			// need, up to date. Right after a load, or where autovacuum
			// is off, they are missing, so the benchmark does that work
			// first.
			var autovacuum string
			if err := conn.QueryRow(ctx, `SHOW autovacuum`).Scan(&autovacuum); err != nil {
				return err
			}
			start := time.Now()
			if _, err := conn.Exec(ctx, `VACUUM (ANALYZE) posts, post_images`); err != nil {
				return fmt.Errorf("vacuum: %w", err)
			}
			fmt.Printf("VACUUM (ANALYZE) posts: %s (autovacuum is %s)\n", time.Since(start).Round(100*time.Millisecond), autovacuum)
			return nil
		},
	}, nil
}

// databaseSize returns the size of the database file and of its
// write-ahead log, which contains recent pages until a checkpoint copies them
// into the file.
func databaseSize(path string) string {
	var sizes [2]int64
	for i, p := range []string{path, path + "-wal"} {
		info, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return "size unknown: " + err.Error()
		}
		sizes[i] = info.Size()
	}
	return fmt.Sprintf("%.0f MB file, %.0f MB write-ahead log", float64(sizes[0])/1e6, float64(sizes[1])/1e6)
}
