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

// printUsage writes the list of commands and every environment-only
// setting to w.
func printUsage(w io.Writer) {
	fmt.Fprint(w, usage)
	fmt.Fprintln(w, envOnlyHeading)
	for _, v := range envOnly {
		fmt.Fprintf(w, "  %-31s  %s\n", v.name, v.help)
	}
}

// command is one subcommand and the settings it reads.
type command struct {
	synopsis string    // arguments after "corkboard NAME"
	summary  string    // one sentence for its -h
	groups   FlagGroup // shared settings it reads
}

var commands = map[string]command{
	"serve": {"[flags]", "Start the web site, the JSON API and the background jobs.", AllFlags},
	"worker": {"[flags]", "Run only the background jobs: mail delivery, alert digests, expiry and photo clean-up.",
		DataFlags | DatabaseFlags | MigrationFlags | ReplicaFlags | CategoryFlags | SearchFlags | CacheFlags |
			MailFlags | PhotoStoreFlags | LogFlags},
	"migrate": {"[flags]", "Apply the database migrations and exit.", DataFlags | DatabaseFlags},
	"seed": {"[--posts N] [--seed N] [flags]", "Fill the board with generated sample posts, marked as samples on every page.",
		DataFlags | DatabaseFlags | MigrationFlags | CategoryFlags | LogFlags},
	"backup":  {"--to FOLDER [flags]", "Copy the SQLite database and the photos into a new folder, while the server may run.", DataFlags},
	"restore": {"--from FOLDER [flags]", "Copy a backup into a --data folder that has no database yet.", DataFlags},
}

// ErrUsage marks a command line that Main rejected after printing the
// problem and the usage to stderr. The caller exits with status 2 and
// prints nothing more.
var ErrUsage = errors.New("invalid command line")

// Main runs one subcommand with its arguments. Errors wrap ErrUsage when
// the command line was invalid.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "corkboard: missing command")
		printUsage(stderr)
		return ErrUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help":
		printUsage(stdout)
		return nil
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "corkboard: unknown command %q\n", name)
		printUsage(stderr)
		return ErrUsage
	}

	// The command's own flags go on fs first, so its usage can list them
	// apart from the shared settings.
	var cfg Config
	fs := flag.NewFlagSet("corkboard "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var to, from *string
	var posts *int
	var randomSeed *int64
	switch name {
	case "backup":
		to = fs.String("to", "", "new folder for the backup; required")
	case "restore":
		from = fs.String("from", "", "folder written by corkboard backup; required")
	case "seed":
		posts = fs.Int("posts", 200, "number of sample posts to generate, 1 to 5000000")
		randomSeed = fs.Int64("seed", 0, "random seed; 0 picks one from the clock")
	}
	own := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { own[f.Name] = true })
	cfg.RegisterFlags(fs, cmd.groups)
	fs.Usage = func() { printCommandUsage(fs.Output(), name, cmd, fs, own) }
	if err := fs.Parse(args[1:]); err != nil {
		return flagParseError(err)
	}

	switch name {
	case "serve":
		return serve(ctx, cfg, stderr)
	case "worker":
		a, err := New(ctx, cfg, newLogger(cfg, stderr))
		if err != nil {
			return err
		}
		defer a.Close()
		return a.RunWorker(ctx)
	case "migrate":
		if err := Migrate(ctx, cfg); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "Migrations applied.")
		return nil
	case "backup":
		if *to == "" {
			return errors.New("backup: --to FOLDER is required")
		}
		if err := Backup(ctx, cfg, *to); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Backup written to %s.\n", *to)
		return nil
	case "restore":
		if *from == "" {
			return errors.New("restore: --from FOLDER is required")
		}
		if err := Restore(cfg, *from); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Restored %s into %s.\n", *from, cfg.Data)
		return nil
	default: // seed
		return runSeed(ctx, cfg, *posts, *randomSeed, stdout, stderr)
	}
}

// printCommandUsage writes the -h of one command: its own flags, then
// the shared settings it reads, then its environment-only settings.
func printCommandUsage(w io.Writer, name string, cmd command, fs *flag.FlagSet, own map[string]bool) {
	fmt.Fprintf(w, "Usage: corkboard %s %s\n\n%s\n\n", name, cmd.synopsis, cmd.summary)
	if len(own) > 0 {
		fmt.Fprintf(w, "Flags of %s:\n", name)
		printFlags(w, fs, func(f *flag.Flag) bool { return own[f.Name] })
		fmt.Fprintln(w, "Shared flags:")
	} else {
		fmt.Fprintln(w, "Flags:")
	}
	printFlags(w, fs, func(f *flag.Flag) bool { return !own[f.Name] })
	printEnvOnly(w, cmd.groups)
}

// printFlags writes the flags of fs that keep selects, in the format of
// flag.PrintDefaults.
func printFlags(w io.Writer, fs *flag.FlagSet, keep func(*flag.Flag) bool) {
	subset := flag.NewFlagSet("", flag.ContinueOnError)
	subset.SetOutput(w)
	fs.VisitAll(func(f *flag.Flag) {
		if keep(f) {
			subset.Var(f.Value, f.Name, f.Usage)
			subset.Lookup(f.Name).DefValue = f.DefValue // the value may have been parsed already
		}
	})
	subset.PrintDefaults()
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
