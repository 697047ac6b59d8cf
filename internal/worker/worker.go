// Package worker runs Corkboard's background jobs: mail delivery from the
// outbox, the expiry sweep and the removal of photos that no post uses any more.
package worker

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/mail"
)

// Worker runs the jobs until its context ends.
type Worker struct {
	Store  board.Store
	Blobs  board.Blobs
	Cache  board.Cache
	Sender mail.Sender
	Log    *slog.Logger
	Now    func() time.Time

	// Alerts sends the search alert digests that are due; nil disables them.
	Alerts func(ctx context.Context) (int, error)

	// Observe, when set, records the result of each job run for metrics.
	Observe func(job string, err error)

	// Files is the service's lock for storing and removing photo files.
	Files sync.Locker

	// PhotoGrace is how long photos of a deleted or expired post are kept
	// before they are removed; they stop being served at once.
	PhotoGrace time.Duration

	wake chan struct{}
}

// New returns a Worker with the real clock.
func New(store board.Store, blobs board.Blobs, cache board.Cache, sender mail.Sender, files sync.Locker, log *slog.Logger) *Worker {
	return &Worker{
		Store: store, Blobs: blobs, Cache: cache, Sender: sender, Files: files, Log: log,
		Now:        time.Now,
		PhotoGrace: 24 * time.Hour,
		wake:       make(chan struct{}, 1),
	}
}

// Wake makes the mail loop look at the outbox now.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers mail as it is queued, sends alert digests every minute and
// sweeps expired posts and unused photos every few minutes, until ctx
// ends.
func (w *Worker) Run(ctx context.Context) {
	// Jobs act on changes just made, so they read from the primary
	// database, never from a replica that may lag behind.
	ctx = board.WithPrimary(ctx)
	mailTick := time.NewTicker(5 * time.Second)
	defer mailTick.Stop()
	sweepTick := time.NewTicker(5 * time.Minute)
	defer sweepTick.Stop()
	alertTick := time.NewTicker(time.Minute)
	defer alertTick.Stop()
	w.Sweep(ctx)
	for {
		w.DeliverMail(ctx)
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-mailTick.C:
		case <-sweepTick.C:
			w.Sweep(ctx)
		case <-alertTick.C:
			w.RunAlerts(ctx)
		}
	}
}

const mailLease = 2 * time.Minute

// mailSendReserve is the lease time a message needs left for its send to
// start. It exceeds mail.DefaultSMTPTimeout, so a send ends before its lease
// does and another worker cannot claim the message while it is sent.
const mailSendReserve = 45 * time.Second

// DeliverMail sends every due outbox message once. A failed delivery is
// retried with exponential backoff from 30 seconds up to 6 hours.
func (w *Worker) DeliverMail(ctx context.Context) {
	for ctx.Err() == nil {
		batch, err := w.Store.ClaimMail(ctx, w.Now().UTC(), mailLease, 20)
		if err != nil {
			w.observe("mail", err)
			w.Log.Error("Claiming outbox mail failed", "error", err)
			return
		}
		if len(batch) == 0 {
			return
		}
		for i, m := range batch {
			// The messages of a batch are sent one after another, and 20
			// slow deliveries can outlast the lease. Once too little of it
			// is left, the rest are left to the next claim, which counts
			// another attempt, so a later failure waits one step longer.
			if m.LockedUntil.Sub(w.Now()) < mailSendReserve {
				w.Log.Warn("Mail lease too short to send", "mail_id", m.ID, "skipped", len(batch)-i)
				break
			}
			w.deliver(ctx, m)
		}
	}
}

// markTimeout bounds recording a delivery's result.
const markTimeout = 10 * time.Second

func (w *Worker) deliver(ctx context.Context, m board.OutboxMail) {
	ref, err := w.Sender.Send(ctx, m.Message)
	w.observe("mail", err)
	// The result is recorded even when ctx ends during the send, as it does
	// at shutdown: a sent message left unmarked would be sent again once
	// its lease ran out.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	if err != nil {
		backoff := time.Duration(math.Min(30*math.Pow(2, float64(m.Attempts-1)), 6*3600)) * time.Second
		w.Log.Warn("Mail delivery failed", "mail_id", m.ID, "attempt", m.Attempts, "retry_in", backoff.String(), "error", err)
		err := w.Store.MarkMailFailed(ctx, m.ID, m.LockedUntil, w.Now().UTC().Add(backoff), err.Error())
		if errors.Is(err, board.ErrLeaseLost) {
			// The worker that took the message over decides its retry.
			w.Log.Warn("Mail lease lost", "mail_id", m.ID, "locked_until", m.LockedUntil)
		} else if err != nil {
			w.Log.Error("Recording a mail failure failed", "mail_id", m.ID, "error", err)
		}
		return
	}
	err = w.Store.MarkMailSent(ctx, m.ID, m.LockedUntil, w.Now().UTC())
	if errors.Is(err, board.ErrLeaseLost) {
		// The lease ran out before the mark, for example while the database
		// was slow, and another worker claimed the message, so the
		// recipient may get it twice, under the same Message-ID. The mark changed nothing, and that worker records
		// its own result.
		w.Log.Warn("Mail lease lost", "mail_id", m.ID, "locked_until", m.LockedUntil, "ref", ref)
		return
	}
	if err != nil {
		// The lease runs out and the message is sent again under the same
		// Message-ID; the outbox folder replaces its file.
		w.Log.Error("Recording a sent mail failed", "mail_id", m.ID, "error", err)
		return
	}
	w.Log.Info("Mail sent", "mail_id", m.ID, "ref", ref)
}

func (w *Worker) observe(job string, err error) {
	if w.Observe != nil {
		w.Observe(job, err)
	}
}

// RunAlerts sends the alert digests that are due.
func (w *Worker) RunAlerts(ctx context.Context) {
	if w.Alerts == nil {
		return
	}
	n, err := w.Alerts(ctx)
	w.observe("alerts", err)
	if err != nil {
		w.Log.Error("Alert digests failed", "error", err)
	}
	if n > 0 {
		w.Log.Info("Alert digests queued", "count", n)
	}
}

const releaseBatch = 200

// Sweep marks expired posts and removes photos that only dead posts used.
func (w *Worker) Sweep(ctx context.Context) {
	now := w.Now().UTC()
	n, err := w.Store.ExpirePosts(ctx, now)
	w.observe("expiry", err)
	if err != nil {
		w.Log.Error("Expiry sweep failed", "error", err)
	} else if n > 0 {
		w.Cache.Invalidate(ctx, "all")
		w.Log.Info("Posts expired", "count", n)
	}
	n, err = w.Store.DeleteUnconfirmed(ctx, now.Add(-board.UnconfirmedLifetime), now)
	if err != nil {
		w.Log.Error("Deleting unconfirmed posts failed", "error", err)
	} else if n > 0 {
		w.Log.Info("Unconfirmed posts deleted", "count", n)
	}

	w.Files.Lock()
	defer w.Files.Unlock()
	for ctx.Err() == nil {
		before := now.Add(-w.PhotoGrace)
		keys, err := w.Store.ReleasedImages(ctx, before, releaseBatch)
		if err != nil {
			w.Log.Error("Finding unused photos failed", "error", err)
			return
		}
		if len(keys) == 0 {
			return
		}
		for _, key := range keys {
			if err := w.Blobs.Delete(ctx, key); err != nil {
				w.Log.Error("Removing a photo failed", "key", key, "error", err)
				return
			}
		}
		if err := w.Store.ForgetImages(ctx, keys, before); err != nil {
			w.Log.Error("Forgetting removed photos failed", "error", err)
			return
		}
		w.Log.Info("Unused photos removed", "count", len(keys))
		if len(keys) < releaseBatch {
			return
		}
	}
}
