package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/mail"
)

// RunStore runs the board.Store behaviour tests other than search, which
// RunSearch covers. Each test opens its own store with open and runs in
// parallel with the others.
func RunStore(t *testing.T, open func(t *testing.T) board.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s board.Store)
	}{
		{"create and load", testCreateAndLoad},
		{"idempotency key is unique", testIdempotencyKeyIsUnique},
		{"lifecycle rules", testLifecycleRules},
		{"edit changes text and photos", testEditChangesTextAndPhotos},
		{"edit rules", testEditRules},
		{"missing post is not found", testMissingPostIsNotFound},
		{"unconfirmed posts are deleted", testUnconfirmedPostsAreDeleted},
		{"lost links add tokens", testLostLinksAddTokens},
		{"sitemap and counts", testSitemapAndCounts},
		{"images of dead posts are released", testImagesOfDeadPostsAreReleased},
		{"photos are public only for live posts", testPhotosArePublicOnlyForLivePosts},
		{"mail leases", testMailLeases},
		{"failed mail is retried later", testFailedMailIsRetriedLater},
		{"outbox depth counts unsent mail", testOutboxDepthCountsUnsentMail},
		{"claim takes earliest due mail first", testClaimTakesEarliestDueMailFirst},
		{"concurrent claimers get disjoint mail", testConcurrentClaimersGetDisjointMail},
		{"expired mail lease is fenced", testExpiredMailLeaseIsFenced},
		{"late mail mark without takeover", testLateMailMarkWithoutTakeover},
		{"alert leases", testAlertLeases},
		{"expired alert lease is fenced", testExpiredAlertLeaseIsFenced},
		{"secret is shared by concurrent callers", testSecretIsShared},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, open(t))
		})
	}
}

// T0 is the time the fixtures are created at.
var T0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// NewPost returns a pending post in Allston, Boston, created at T0, with
// one image whose keys are "t-" and "l-" followed by id.
func NewPost(id string) *board.Post {
	return &board.Post{
		ID: id, Status: board.Pending, Title: "Bike", Body: "Red", Category: "bikes",
		Region: "boston", Subarea: "021", ZIP: "02134", City: "Allston", State: "MA",
		Email: "a@example.com", CreatedAt: T0, UpdatedAt: T0,
		Images: []board.Image{{ThumbKey: "t-" + id, LargeKey: "l-" + id, Width: 10, Height: 5}},
	}
}

// Message returns a mail message dated T0 whose Message-ID is id at
// example.com.
func Message(id string) mail.Message {
	return mail.Message{ID: id + "@example.com", From: "c@example.com", To: "a@example.com", Subject: "s", Text: "t", HTML: "h", Date: T0}
}

// create stores NewPost(id) with the token hash "hash-" followed by id.
func create(t *testing.T, s board.Store, id string) {
	t.Helper()
	if err := s.CreatePost(context.Background(), NewPost(id), []byte("hash-"+id), board.Idempotency{}, Message(id)); err != nil {
		t.Fatal(err)
	}
}

// assertDepth checks the outbox depth, the count of unsent messages shown
// to operators, at the step named by when.
func assertDepth(t *testing.T, s board.Store, when string, want int) {
	t.Helper()
	got, err := s.OutboxDepth(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("%s: got depth %d, want %d", when, got, want)
	}
}
