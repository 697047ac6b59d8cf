package board

import (
	"context"
	"time"
)

type primaryKey struct{}

// ReadYourWritesWindow is how long after a person's change their own
// requests read from the primary database, which bounds how far a read
// replica may lag before they could miss their change.
const ReadYourWritesWindow = 10 * time.Second

// WithPrimary marks ctx so that a store with read replicas serves its
// reads from the primary, as after the requester's own change.
func WithPrimary(ctx context.Context) context.Context {
	return context.WithValue(ctx, primaryKey{}, true)
}

// PrimaryRequested reports whether ctx was marked by WithPrimary.
func PrimaryRequested(ctx context.Context) bool {
	v, _ := ctx.Value(primaryKey{}).(bool)
	return v
}
