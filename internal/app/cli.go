package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/corkboard/corkboard/internal/seed"
)

const usage = `Usage: corkboard COMMAND [flags]

Commands:
  serve   start the web site, the JSON API and the background jobs
  worker  run only the background jobs (mail, alerts, expiry, photo clean-up)
  migrate apply database migrations and exit
  seed    fill the board with generated sample posts
  backup  copy the SQLite database and the photos into a new folder (--to)
  restore copy a backup (--from) into an empty data folder

Run "corkboard COMMAND -h" for the flags of a command.
`

// ErrUsage marks a command line that Main rejected after printing the
// problem and the usage to stderr. The caller exits with status 2 and
// prints nothing more.
var ErrUsage = errors.New("invalid command line")

// Main runs one subcommand with its arguments. Errors wrap ErrUsage when
// the command line was invalid.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "corkboard: missing command")
		fmt.Fprint(stderr, usage)
		return ErrUsage
	}
	var cfg Config
	fs := flag.NewFlagSet("corkboard "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterFlags(fs)

	switch args[0] {
	case "serve":
		if err := fs.Parse(args[1:]); err != nil {
			return flagParseError(err)
		}
		return serve(ctx, cfg, stderr)
	case "worker":
		if err := fs.Parse(args[1:]); err != nil {
			return flagParseError(err)
		}
		a, err := New(ctx, cfg, newLogger(cfg, stderr))
		if err != nil {
			return err
		}
		defer a.Close()
		return a.RunWorker(ctx)
	case "migrate":
		if err := fs.Parse(args[1:]); err != nil {
			return flagParseError(err)
		}
		// Opening a store applies its pending migrations, under an
		// advisory lock on PostgreSQL.
		cfg.NoMigrate = false
		a, err := New(ctx, cfg, newLogger(cfg, stderr))
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "Migrations applied.")
		return a.Close()
	case "backup":
		to := fs.String("to", "", "new folder for the backup")
		if err := fs.Parse(args[1:]); err != nil {
			return flagParseError(err)
		}
		if *to == "" {
			return errors.New("backup: --to FOLDER is required")
		}
		if err := Backup(ctx, cfg, *to); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Backup written to %s.\n", *to)
		return nil
	case "restore":
		from := fs.String("from", "", "folder written by corkboard backup")
		if err := fs.Parse(args[1:]); err != nil {
			return flagParseError(err)
		}
		if *from == "" {
			return errors.New("restore: --from FOLDER is required")
		}
		if err := Restore(cfg, *from); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Restored %s into %s.\n", *from, cfg.Data)
		return nil
	case "seed":
		posts := fs.Int("posts", 200, "number of sample posts to generate")
		randomSeed := fs.Int64("seed", 0, "random seed; 0 picks one from the clock")
		if err := fs.Parse(args[1:]); err != nil {
			return flagParseError(err)
		}
		return runSeed(ctx, cfg, *posts, *randomSeed, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "corkboard: unknown command %q\n", args[0])
	fmt.Fprint(stderr, usage)
	return ErrUsage
}

// flagParseError maps an error from parsing flags to Main's result. The
// flag package has printed the message and the usage already, so -h
// becomes nil and any other error wraps ErrUsage.
func flagParseError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrUsage, err)
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

func serve(ctx context.Context, cfg Config, stderr io.Writer) error {
	log := newLogger(cfg, stderr)
	a, err := New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Run(ctx)
}

func runSeed(ctx context.Context, cfg Config, n int, randomSeed int64, stdout, stderr io.Writer) error {
	if n < 1 || n > 5_000_000 {
		return fmt.Errorf("--posts %d: want 1 to 5000000", n)
	}
	if randomSeed == 0 {
		randomSeed = time.Now().UnixNano()
	}
	a, err := New(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	g := seed.NewGenerator(a.Service.Places, a.Service.Categories, randomSeed)
	start := time.Now()
	err = g.Insert(ctx, a.Store, n, time.Now().UTC())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Added %d sample posts in %s.\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}
