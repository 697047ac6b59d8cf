package worker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/blobs"
	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/cache"
	"github.com/corkboard/corkboard/internal/mail"
	"github.com/corkboard/corkboard/internal/sqlite"
	"github.com/corkboard/corkboard/internal/worker"
)

// flakySender fails while down is set and records what it delivered.
type flakySender struct {
	mu   sync.Mutex
	down bool
	sent []string
}

func (f *flakySender) Send(_ context.Context, msg mail.Message) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return "", errors.New("connection refused")
	}
	f.sent = append(f.sent, msg.ID)
	return msg.ID, nil
}

type fixture struct {
	store  *sqlite.Store
	blobs  *blobs.Dir
	sender *flakySender
	worker *worker.Worker
	now    time.Time
}

func setup(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	photos, _ := blobs.NewDir(filepath.Join(dir, "photos"))
	f := &fixture{store: store, blobs: photos, sender: &flakySender{}, now: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}
	f.worker = worker.New(store, photos, cache.NewMemory(1000), f.sender, new(sync.Mutex), slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.worker.Now = func() time.Time { return f.now }
	return f
}

const key = "0000000000000000000000000000000000000000000000000000000000000001.jpg"

func (f *fixture) addPost(t *testing.T, id string) {
	t.Helper()
	p := &board.Post{ID: id, Status: board.Pending, Title: "T", Category: "bikes", Region: "boston", Subarea: "021",
		ZIP: "02134", City: "Allston", State: "MA", Email: "a@example.com", CreatedAt: f.now, UpdatedAt: f.now,
		Images: []board.Image{{ThumbKey: key, LargeKey: key, Width: 1, Height: 1}}}
	msg := mail.Message{ID: id + "@example.com", From: "c@example.com", To: "a@example.com", Subject: "s", Date: f.now}
	if err := f.store.CreatePost(context.Background(), p, []byte(id), board.Idempotency{}, msg); err != nil {
		t.Fatal(err)
	}
}

func TestMailSurvivesAnOutage(t *testing.T) {
	ctx := context.Background()
	f := setup(t)
	f.addPost(t, "aaaaaaaaaaaaaaaa")

	f.sender.down = true
	f.worker.DeliverMail(ctx)
	if len(f.sender.sent) != 0 {
		t.Fatalf("got %d sent while the server is down, want 0", len(f.sender.sent))
	}

	f.sender.down = false
	f.worker.DeliverMail(ctx)
	if len(f.sender.sent) != 0 {
		t.Errorf("retried before the backoff ended")
	}

	f.now = f.now.Add(31 * time.Second)
	f.worker.DeliverMail(ctx)
	f.worker.DeliverMail(ctx)
	if len(f.sender.sent) != 1 {
		t.Errorf("got %d deliveries after recovery, want exactly 1", len(f.sender.sent))
	}
}

func TestSweepRemovesPhotosAfterGrace(t *testing.T) {
	ctx := context.Background()
	f := setup(t)
	f.addPost(t, "aaaaaaaaaaaaaaaa")
	if err := f.blobs.Put(ctx, key, "image/jpeg", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := f.store.PublishPost(ctx, "aaaaaaaaaaaaaaaa", f.now, f.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	f.now = f.now.Add(2 * time.Hour)
	f.worker.Sweep(ctx)
	p, _ := f.store.Post(ctx, "aaaaaaaaaaaaaaaa")
	if p.Status != board.Expired {
		t.Errorf("got status %s after the sweep, want expired", p.Status)
	}
	if _, err := f.blobs.Get(ctx, key); err != nil {
		t.Errorf("photo removed before the grace period ended: %v", err)
	}

	f.now = f.now.Add(25 * time.Hour)
	f.worker.Sweep(ctx)
	if _, err := f.blobs.Get(ctx, key); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("got %v after the grace period, want the photo removed", err)
	}
}

// senderFunc sends a message by calling the function.
type senderFunc func(msg mail.Message) error

func (f senderFunc) Send(_ context.Context, msg mail.Message) (string, error) {
	return msg.ID, f(msg)
}

// TestMailLeaseLost has a second worker claim a message while the first
// one is still sending it, after the first lease ran out. The first worker
// must log the lost lease, not a failure to record the result, and leave
// the message to the second worker.
func TestMailLeaseLost(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sendErr error
	}{
		{"after delivery", nil},
		{"after failed delivery", errors.New("connection reset")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f := setup(t)
			f.addPost(t, "aaaaaaaaaaaaaaaa")
			var logs bytes.Buffer
			f.worker.Log = slog.New(slog.NewTextHandler(&logs, nil))
			var observed []error
			f.worker.Observe = func(job string, err error) { observed = append(observed, err) }
			var second []board.OutboxMail
			f.worker.Sender = senderFunc(func(mail.Message) error {
				f.now = f.now.Add(3 * time.Minute)
				var err error
				second, err = f.store.ClaimMail(ctx, f.now, 2*time.Minute, 10)
				if err != nil {
					t.Fatal(err)
				}
				return tc.sendErr
			})

			f.worker.DeliverMail(ctx)
			if len(second) != 1 {
				t.Fatalf("second worker got %d messages, want the one being sent", len(second))
			}
			want := fmt.Sprintf(`level=WARN msg="Mail lease lost" mail_id=%d`, second[0].ID)
			if !strings.Contains(logs.String(), want) {
				t.Errorf("want a log line with %s, got:\n%s", want, logs.String())
			}
			if strings.Contains(logs.String(), "level=ERROR") {
				t.Errorf("want no error logged, got:\n%s", logs.String())
			}
			if len(observed) != 1 || observed[0] != tc.sendErr {
				t.Errorf("got job results %v, want only the delivery's result %v", observed, tc.sendErr)
			}

			// The second worker's lease is intact, so its mark works.
			if err := f.store.MarkMailSent(ctx, second[0].ID, second[0].LockedUntil, f.now); err != nil {
				t.Errorf("second worker's delivery: %v", err)
			}
		})
	}
}

// TestMailLeaseEndsInBatch has the first delivery of a batch take longer
// than the lease, and a second worker claim the batch meanwhile. The first
// worker must not send the rest of the batch, which the second worker now
// holds.
// TestMailSentDuringShutdown checks that a message whose send completes
// while the worker is being stopped is recorded as sent, so it is not sent
// again once its lease runs out.
func TestMailSentDuringShutdown(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	f := setup(t)
	f.addPost(t, "aaaaaaaaaaaaaaaa")
	var logs bytes.Buffer
	f.worker.Log = slog.New(slog.NewTextHandler(&logs, nil))
	f.worker.Sender = senderFunc(func(msg mail.Message) error {
		stop() // the server starts shutting down while the mail goes out
		return nil
	})

	f.worker.DeliverMail(ctx)
	depth, err := f.store.OutboxDepth(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if depth != 0 {
		t.Errorf("outbox depth %d after a send that completed during shutdown, want 0", depth)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("want no error logged, got:\n%s", logs.String())
	}
}

// TestMailLeaseReserve checks that a message is not sent with less lease
// left than a slow send can take, even before anyone else has claimed it.
func TestMailLeaseReserve(t *testing.T) {
	ctx := context.Background()
	f := setup(t)
	f.addPost(t, "aaaaaaaaaaaaaaaa")
	f.addPost(t, "bbbbbbbbbbbbbbbb")
	f.worker.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	var sent []string
	f.worker.Sender = senderFunc(func(msg mail.Message) error {
		sent = append(sent, msg.ID)
		// The first send took 90 s, so 30 s of the 2-minute lease remain.
		f.now = f.now.Add(90 * time.Second)
		return nil
	})

	f.worker.DeliverMail(ctx)
	if len(sent) != 1 {
		t.Fatalf("sent %v, want only the first message", sent)
	}
	depth, err := f.store.OutboxDepth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if depth != 1 {
		t.Errorf("outbox depth %d, want 1 left for the next claim", depth)
	}

	// Once the lease has ended, the next run sends it.
	f.now = f.now.Add(time.Minute)
	f.worker.DeliverMail(ctx)
	if len(sent) != 2 {
		t.Errorf("sent %v after the lease ended, want both messages", sent)
	}
}

func TestMailLeaseEndsInBatch(t *testing.T) {
	ctx := context.Background()
	f := setup(t)
	f.addPost(t, "aaaaaaaaaaaaaaaa")
	f.addPost(t, "bbbbbbbbbbbbbbbb")
	var logs bytes.Buffer
	f.worker.Log = slog.New(slog.NewTextHandler(&logs, nil))
	var sent []string
	var second []board.OutboxMail
	f.worker.Sender = senderFunc(func(msg mail.Message) error {
		sent = append(sent, msg.ID)
		if len(sent) == 1 {
			f.now = f.now.Add(3 * time.Minute)
			var err error
			second, err = f.store.ClaimMail(ctx, f.now, 2*time.Minute, 10)
			if err != nil {
				t.Fatal(err)
			}
		}
		return nil
	})

	f.worker.DeliverMail(ctx)
	if len(second) != 2 {
		t.Fatalf("second worker got %d messages, want both", len(second))
	}
	if len(sent) != 1 {
		t.Errorf("first worker sent %v, want only the first message", sent)
	}
	if !strings.Contains(logs.String(), `level=WARN msg="Mail lease too short to send"`) {
		t.Errorf("want the skipped message logged, got:\n%s", logs.String())
	}
}
