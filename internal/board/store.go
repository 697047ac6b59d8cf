package board

import (
	"context"
	"time"

	"github.com/corkboard/corkboard/internal/mail"
)

// Store persists posts, their tokens and the mail outbox. Each method is one
// transaction. Methods return ErrNotFound (code NotFound) for a missing row
// and an *Error with code Conflict when a state rule forbids the change;
// anything else is an internal error.
type Store interface {
	// CreatePost inserts a pending post with its images, its first token
	// hash, the idempotency record (when Key is set) and the confirmation
	// message. It returns ErrIdempotencyKeyUsed when another request
	// committed the same key first.
	CreatePost(ctx context.Context, p *Post, tokenHash []byte, idem Idempotency, msg mail.Message) error
	// IdempotentRequest returns the record stored under key, or ErrNotFound.
	IdempotentRequest(ctx context.Context, key string) (Idempotency, error)

	Post(ctx context.Context, id string) (*Post, error)
	PostByToken(ctx context.Context, tokenHash []byte) (*Post, error)
	// PublishPost moves a pending post to active; Conflict unless pending.
	PublishPost(ctx context.Context, id string, now, expires time.Time) error
	// UpdatePost saves title, body, price and images; Conflict unless
	// pending or active at now.
	UpdatePost(ctx context.Context, p *Post, now time.Time) error
	// RenewPost bumps an active post to the top and restarts its lifetime;
	// Conflict unless it was last bumped at or before renewableBefore.
	RenewPost(ctx context.Context, id string, now, renewableBefore, expires time.Time) error
	// DeletePost marks the post deleted and erases its contact details.
	// It returns Conflict when the post is already deleted.
	DeletePost(ctx context.Context, id string, now time.Time) error

	// ListPosts returns active, unexpired posts, newest bump first.
	ListPosts(ctx context.Context, q ListQuery) ([]Post, error)
	// SearchPosts returns up to q.Limit live posts matching q, in q.Sort
	// order, after q.After.
	SearchPosts(ctx context.Context, q SearchQuery) ([]Hit, error)
	// CountPosts returns the number of live posts per category in a region
	// and the earliest time one of them expires (zero when none).
	CountPosts(ctx context.Context, region string, now time.Time) (map[string]int, time.Time, error)
	// LivePostsByEmail returns the pending and unexpired active posts of an
	// email address.
	LivePostsByEmail(ctx context.Context, email string, now time.Time) ([]Post, error)
	// AddTokens stores one more token hash per post ID and queues msg.
	AddTokens(ctx context.Context, hashes map[string][]byte, now time.Time, msg mail.Message) error
	// ImageLive reports whether a stored photo belongs to a pending or
	// unexpired active post.
	ImageLive(ctx context.Context, key string, now time.Time) (bool, error)
	// ImagePublic reports whether a stored photo belongs to an unexpired
	// active post: the only photos served to everyone.
	ImagePublic(ctx context.Context, key string, now time.Time) (bool, error)

	// QueueMail adds a message to the outbox on its own.
	QueueMail(ctx context.Context, msg mail.Message) error
	// ClaimMail leases up to limit due outbox messages for lease. It takes
	// only messages whose lease has ended or was released, and a takeover
	// stores a later end than the lease it replaces, so the end it returns
	// in OutboxMail.LockedUntil identifies the claim.
	ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]OutboxMail, error)
	// MarkMailSent records delivery and erases the body, which holds tokens.
	// It returns ErrLeaseLost when the message no longer carries the lease
	// that ends at lockedUntil, the OutboxMail.LockedUntil of the caller's
	// claim. A lease that has ended still counts until another claim takes
	// the message over.
	MarkMailSent(ctx context.Context, id int64, lockedUntil, now time.Time) error
	// OutboxDepth counts the messages not yet sent.
	OutboxDepth(ctx context.Context) (int, error)
	// MarkMailFailed releases the lease and schedules another attempt at
	// next. It returns ErrLeaseLost as MarkMailSent does.
	MarkMailFailed(ctx context.Context, id int64, lockedUntil, next time.Time, reason string) error

	// ExpirePosts marks active posts whose lifetime ended as expired.
	ExpirePosts(ctx context.Context, now time.Time) (int, error)
	// DeleteUnconfirmed deletes pending posts created before the given
	// time, which were never confirmed.
	DeleteUnconfirmed(ctx context.Context, before, now time.Time) (int, error)
	// ReleasedImages returns photo keys used only by posts that were
	// deleted or expired before the given time.
	ReleasedImages(ctx context.Context, before time.Time, limit int) ([]string, error)
	// ForgetImages deletes the image rows that use any of keys in posts
	// that were deleted or expired before the given time.
	ForgetImages(ctx context.Context, keys []string, before time.Time) error

	// SitemapBuckets counts live posts by the first two characters of
	// their ID, which split the sitemap into files.
	SitemapBuckets(ctx context.Context, now time.Time) (map[string]int, error)
	// SitemapPosts returns up to limit live posts whose ID starts with
	// prefix, by ID.
	SitemapPosts(ctx context.Context, prefix string, now time.Time, limit int) ([]Post, error)

	// CreateAlert inserts a pending alert and queues its confirmation.
	CreateAlert(ctx context.Context, a *Alert, msg mail.Message) error
	// Alert returns an alert by id, or ErrNotFound.
	Alert(ctx context.Context, id string) (*Alert, error)
	// ConfirmAlert activates a pending alert; Conflict unless pending.
	ConfirmAlert(ctx context.Context, id string, now time.Time) error
	// Unsubscribe stops an alert; stopping it twice is not an error.
	Unsubscribe(ctx context.Context, id string) error
	// ClaimAlerts leases up to limit active alerts that are due, as
	// ClaimMail does.
	ClaimAlerts(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Alert, error)
	// FinishAlert records a run and queues its digest, when there is one.
	// lockedUntil is the Alert.LockedUntil of the caller's claim. It returns
	// ErrLeaseLost, and queues nothing, when another run took the alert
	// over or the alert was unsubscribed during the run.
	FinishAlert(ctx context.Context, id string, lockedUntil, checked, next time.Time, digest *mail.Message) error

	// Secret returns the named server secret, creating it with generate on
	// first use, so every app server shares one value.
	Secret(ctx context.Context, name string, generate func() []byte) ([]byte, error)

	Ping(ctx context.Context) error
	Close() error
}

// ListQuery selects a page of live posts.
type ListQuery struct {
	Region   string // empty for all regions
	Category string // empty for all categories
	Section  string // optional; ignored when Category is set
	After    *Cursor
	Limit    int
	Now      time.Time
}

// Cursor is the keyset position after the last post of a page.
type Cursor struct {
	BumpedAt time.Time
	ID       string
}

// Idempotency records which post a request with an Idempotency-Key created.
type Idempotency struct {
	Key         string
	RequestHash string
	PostID      string
}

// OutboxMail is a queued message with its delivery state.
type OutboxMail struct {
	ID       int64
	Attempts int
	Message  mail.Message
	// LockedUntil is the end of the lease that ClaimMail took, exactly as
	// the store keeps it.
	LockedUntil time.Time
}

// ErrIdempotencyKeyUsed is returned by CreatePost when the key is taken.
var ErrIdempotencyKeyUsed = &Error{Code: Conflict, Message: "This Idempotency-Key was already used."}

// ErrLeaseLost is returned by MarkMailSent, MarkMailFailed and FinishAlert
// when the row no longer carries the caller's lease, because another worker
// claimed it after the lease ran out or the lease was released.
var ErrLeaseLost = &Error{Code: Conflict, Message: "Lease lost: another worker took this job over, or its lease was released."}

// Blobs stores photo files under content-addressed keys.
type Blobs interface {
	Put(ctx context.Context, key, contentType string, data []byte) error
	// Get returns the file's bytes, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	Delete(ctx context.Context, key string) error
}

// Cache keeps rendered results for a while. Tags group entries so that one
// change can drop every entry that shows a post.
type Cache interface {
	Get(ctx context.Context, key string) ([]byte, bool)
	Set(ctx context.Context, key string, value []byte, ttl time.Duration, tags ...string)
	Invalidate(ctx context.Context, tags ...string)
}
