package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/corkboard/corkboard/internal/blobs"
	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/cache"
	"github.com/corkboard/corkboard/internal/categories"
	"github.com/corkboard/corkboard/internal/mail"
	"github.com/corkboard/corkboard/internal/metrics"
	"github.com/corkboard/corkboard/internal/photos"
	"github.com/corkboard/corkboard/internal/places"
	"github.com/corkboard/corkboard/internal/postgres"
	"github.com/corkboard/corkboard/internal/seed"
	"github.com/corkboard/corkboard/internal/server"
	"github.com/corkboard/corkboard/internal/sqlite"
	"github.com/corkboard/corkboard/internal/worker"
)

// App is one running Corkboard: store, service, worker and web server.
type App struct {
	Config  Config
	Log     *slog.Logger
	Store   Store
	Service *board.Service
	Worker  *worker.Worker
	Outbox  *mail.Dir
	Metrics *metrics.Metrics

	// ShutdownTimeout is how long Run waits for requests in flight when
	// ctx ends before it closes their connections; zero means 20 s.
	ShutdownTimeout time.Duration

	listener net.Listener
	http     *http.Server
	openConn atomic.Int64 // connections accepted and not yet closed
}

const defaultShutdownTimeout = 20 * time.Second

// New opens the data folder, creating what is missing, and builds every
// part. Close releases them.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	dir, err := places.Load()
	if err != nil {
		return nil, fmt.Errorf("load places: %w", err)
	}
	taxonomy := categories.Builtin()
	if cfg.Categories != "" {
		if taxonomy, err = categories.LoadFile(cfg.Categories); err != nil {
			return nil, err
		}
	}
	templates, err := mail.LoadTemplates()
	if err != nil {
		return nil, err
	}
	photoStore, err := openPhotoStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	outbox, err := mail.NewDir(filepath.Join(cfg.Data, "outbox"))
	if err != nil {
		return nil, err
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}

	m := metrics.New(store.OutboxDepth)
	if pg, ok := store.(*postgres.Store); ok && len(cfg.ReplicaURLs) > 0 {
		m.WatchReplicas(func() []metrics.Replica {
			var out []metrics.Replica
			for _, r := range pg.ReplicaStatus() {
				out = append(out, metrics.Replica{Name: r.URL, Healthy: r.Healthy, Lag: r.Lag})
			}
			return out
		})
	}
	var base board.Cache = cache.NewMemory(64 << 20)
	if cfg.RedisURL != "" {
		// Redis down is not a start-up error: the cache then misses and
		// the site reads the database until Redis responds again.
		if base, err = cache.NewRedis(ctx, cfg.RedisURL, cache.RedisOptions{Logger: log}); err != nil {
			store.Close()
			return nil, fmt.Errorf("CORKBOARD_REDIS_URL: %w", err)
		}
	}
	memory := m.Cache(base)
	var files sync.Locker = new(sync.Mutex)
	if pg, ok := store.(*postgres.Store); ok {
		files = pg.FileLock(log)
	}
	svc := board.NewService(board.ServiceConfig{Files: files,
		Store: store, Blobs: photoStore, Cache: memory, Places: dir, Categories: taxonomy,
		Mail: templates, Log: log, SiteName: "Corkboard",
		PhotoLimits:  photos.Limits{MaxBytes: int64(cfg.PhotoMaxMB) << 20, MaxPixels: cfg.PhotoMaxMP * 1_000_000},
		PhotoWorkers: cfg.PhotoWorkers,
		NearbyMiles:  float64(cfg.Nearby),
	})
	var sender mail.Sender = outbox
	if cfg.SMTPURL != "" {
		if sender, err = mail.NewSMTP(cfg.SMTPURL); err != nil {
			store.Close()
			return nil, err
		}
	}
	w := worker.New(store, photoStore, memory, sender, files, log)
	svc.MailQueued = w.Wake
	w.Alerts = svc.RunAlerts
	w.Observe = m.ObserveJob

	return &App{Config: cfg, Log: log, Store: store, Service: svc, Worker: w, Outbox: outbox, Metrics: m}, nil
}

// Migrate applies the pending migrations of the configured database and
// closes it. It opens nothing else, so photo storage, Redis and the mail
// server need not be reachable.
func Migrate(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	// Opening a store applies its pending migrations, under an advisory
	// lock on PostgreSQL. Replicas only serve reads, so none are opened.
	cfg.NoMigrate = false
	cfg.ReplicaURLs = nil
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	return store.Close()
}

// Store is the app's database: the board's store plus bulk inserts for
// sample posts.
type Store interface {
	board.Store
	seed.Inserter
}

// openStore opens PostgreSQL when a database URL is configured and the
// SQLite file in the data folder otherwise.
func openStore(ctx context.Context, cfg Config) (Store, error) {
	if cfg.DatabaseURL != "" {
		store, err := postgres.OpenWithReplicas(ctx, cfg.DatabaseURL, cfg.ReplicaURLs,
			postgres.ReplicaOptions{MaxLag: cfg.ReplicaMaxLag, CheckEvery: time.Second, SkipMigrations: cfg.NoMigrate})
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL (CORKBOARD_DATABASE_URL): %w", err)
		}
		return store, nil
	}
	return sqlite.Open(ctx, filepath.Join(cfg.Data, "corkboard.db"))
}

// openPhotoStore returns the S3 store when an endpoint is configured and
// the folder Data/photos otherwise.
func openPhotoStore(ctx context.Context, cfg Config) (board.Blobs, error) {
	if cfg.S3.Endpoint == "" {
		return blobs.NewDir(filepath.Join(cfg.Data, "photos"))
	}
	s3, err := blobs.NewS3(ctx, cfg.S3)
	if err != nil {
		return nil, fmt.Errorf("open photo storage: %w", err)
	}
	return s3, nil
}

// Listen opens the listening socket and fixes the base URL, so a caller
// that listens on port 0 learns the address before Run.
func (a *App) Listen() error {
	ln, err := net.Listen("tcp", a.Config.Addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("listen on %s: %w. Is another server running? Stop it or choose another address with --addr or CORKBOARD_ADDR", a.Config.Addr, err)
	}
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Config.Addr, err)
	}
	if err := a.setMailLinks(ln.Addr().String()); err != nil {
		ln.Close()
		return err
	}
	a.listener = ln
	return nil
}

// setMailLinks sets the base URL of emailed links and the sender address,
// deriving the defaults from listenAddr.
func (a *App) setMailLinks(listenAddr string) error {
	base, err := a.Config.baseURLFor(listenAddr)
	if err != nil {
		return err
	}
	a.Service.BaseURL = base
	a.Service.MailFrom = a.Config.MailFrom
	if a.Service.MailFrom == "" {
		a.Service.MailFrom = "Corkboard <corkboard@" + mailDomain(base.Hostname()) + ">"
	}
	return nil
}

// mailDomain returns a host name usable in an address: "localhost" and
// IP addresses become "localhost.localdomain".
func mailDomain(host string) string {
	if net.ParseIP(host) != nil || host == "localhost" || host == "" {
		return "localhost.localdomain"
	}
	return host
}

// Addr returns the address the server listens on, after Listen.
func (a *App) Addr() string {
	return a.listener.Addr().String()
}

// BaseURL returns the public URL of the site, after Listen.
func (a *App) BaseURL() string {
	return a.Service.BaseURL.String()
}

// Run serves requests and runs the background worker until ctx ends, then
// shuts down gracefully, giving requests in flight ShutdownTimeout before
// it closes their connections.
func (a *App) Run(ctx context.Context) error {
	if a.listener == nil {
		if err := a.Listen(); err != nil {
			return err
		}
	}
	var outbox *mail.Dir
	if a.Config.DevOutbox && a.Config.SMTPURL == "" {
		outbox = a.Outbox
	}
	srv, err := server.New(ctx, server.Config{Service: a.Service, Log: a.Log, Outbox: outbox, PhotoBaseURL: a.Config.PhotoBaseURL,
		Metrics: a.Metrics, MetricsToken: a.Config.MetricsToken, TrustedProxies: a.Config.trustedProxies,
		PostLimit: server.RateLimit{Burst: float64(a.Config.PostBurst), PerMinute: float64(a.Config.PostRate) / 60}})
	if err != nil {
		return err
	}
	a.http = &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // twelve large photos over a slow phone link
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
		ConnState:         a.countConn,
	}

	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		a.Worker.Run(workerCtx)
	}()

	served := make(chan error, 1)
	go func() { served <- a.http.Serve(a.listener) }()
	a.Log.Info("Corkboard started", "addr", a.Addr(), "base_url", a.BaseURL(), "data", a.Config.Data)

	select {
	case err = <-served:
	case <-ctx.Done():
		a.Log.Info("Shutting down")
		err = a.shutdown()
	}
	stopWorker()
	<-workerDone
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if err != nil {
		return err
	}
	a.Log.Info("Corkboard stopped")
	return nil
}

// shutdown stops the web server, waiting up to ShutdownTimeout for the
// requests in flight, then closes the connections still open.
func (a *App) shutdown() error {
	timeout := a.ShutdownTimeout
	if timeout <= 0 {
		timeout = defaultShutdownTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := a.http.Shutdown(ctx)
	if err == nil {
		return nil
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shut down the web server: %w", err)
	}

	// A stop that cuts requests short still ends with status 0: the
	// process manager asked for the stop and got it, and a failed status
	// would mark a routine restart as a crash. This warning is the record.
	a.Log.Warn("Shutdown timed out, closing open connections", "connections", a.openConn.Load(), "timeout", timeout.String())
	// NOTE: Close does not wait for handlers, so one still running may
	// meet the store closed after Run returns and fail its request.
	if err := a.http.Close(); err != nil {
		return fmt.Errorf("close the web server: %w", err)
	}
	return nil
}

// countConn keeps openConn up to date, as http.Server.ConnState.
func (a *App) countConn(_ net.Conn, state http.ConnState) {
	switch state {
	case http.StateNew:
		a.openConn.Add(1)
	case http.StateClosed, http.StateHijacked:
		a.openConn.Add(-1)
	}
}

// RunWorker runs the background jobs without a web server until ctx ends.
// Several workers and servers may run at once: each job leases its work.
func (a *App) RunWorker(ctx context.Context) error {
	// Alert digests link to the site, so the worker needs the same base
	// URL as the server, derived from the configured --addr when unset.
	if err := a.setMailLinks(a.Config.Addr); err != nil {
		return err
	}
	a.Log.Info("Corkboard worker started", "data", a.Config.Data)
	a.Worker.Run(ctx)
	a.Log.Info("Corkboard worker stopped")
	return nil
}

// Close releases the database.
func (a *App) Close() error {
	return a.Store.Close()
}
