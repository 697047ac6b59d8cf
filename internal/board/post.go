// Package board holds Corkboard's domain: posts, their lifecycle rules, the
// interfaces to storage, photos and mail, and the Service that ties them.
package board

import (
	"slices"
	"time"

	"github.com/corkboard/corkboard/internal/photos"
)

// Status is the stage of a post's lifecycle.
type Status string

const (
	Pending Status = "pending" // created, waiting for the emailed link to publish it
	Active  Status = "active"  // published and listed until ExpiresAt
	Expired Status = "expired" // lifetime ended; reads derive this from ExpiresAt before any sweep runs
	Deleted Status = "deleted" // removed by its owner; returns 410 Gone
)

// UnconfirmedLifetime is how long a post waits for its owner to publish
// it before it is deleted with its photos.
const UnconfirmedLifetime = 7 * 24 * time.Hour

// RenewAfter is how long after a publish or renew the next renew is allowed.
const RenewAfter = 48 * time.Hour

// Post is one classified ad. All times are the server's, in UTC.
type Post struct {
	ID         string
	Status     Status
	Title      string
	Body       string
	PriceCents *int64 // nil when the poster gave no price
	Category   string // category slug
	Region     string // region slug
	Subarea    string
	ZIP        string
	City       string
	State      string
	Lat, Lon   float64
	Email      string
	Phone      string
	Sample     bool // generated demo content
	Images     []Image

	CreatedAt   time.Time
	UpdatedAt   time.Time
	PublishedAt time.Time // zero while pending
	BumpedAt    time.Time // last publish or renew: the list order
	ExpiresAt   time.Time // zero while pending
}

// Image is one stored photo of a post, in every size. Keys name stored
// files; a WebP or medium key is empty when that file was not made.
type Image struct {
	ThumbKey      string // JPEG, fits 400×400
	MediumKey     string // JPEG, fits 1000×1000
	LargeKey      string // JPEG, fits 1600×1600
	ThumbWebPKey  string
	MediumWebPKey string
	LargeWebPKey  string
	Width         int // of the large size
	Height        int
}

// MediumSize returns the width and height of the medium size. Only those
// of the large size are stored, so these are derived from them the way
// internal/photos scales the sizes.
func (img Image) MediumSize() (width, height int) {
	width, height, _ = photos.ScaledSize(photos.SizeMedium, img.Width, img.Height)
	return width, height
}

// Keys returns the keys of every stored file of the image.
func (img Image) Keys() []string {
	var keys []string
	for _, k := range []string{img.ThumbKey, img.MediumKey, img.LargeKey, img.ThumbWebPKey, img.MediumWebPKey, img.LargeWebPKey} {
		if k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// StatusAt returns the post's status at now: an active post whose lifetime
// has ended is expired even if no sweep has marked it yet.
func (p *Post) StatusAt(now time.Time) Status {
	if p.Status == Active && !now.Before(p.ExpiresAt) {
		return Expired
	}
	return p.Status
}

// RenewableAt returns the earliest time the post may be renewed:
// RenewAfter after the start of the minute of its last publish or renew.
// FormatTime truncates to the minute, so the time it shows for renewing is
// exact and has the same minute as the publish and expiry times it shows.
func (p *Post) RenewableAt() time.Time {
	return p.BumpedAt.Truncate(time.Minute).Add(RenewAfter)
}

// lastRenewableBump returns the latest BumpedAt of a post that RenewableAt
// allows to be renewed at now. Stores keep times to the microsecond.
func lastRenewableBump(now time.Time) time.Time {
	return now.Add(-RenewAfter).Truncate(time.Minute).Add(time.Minute - time.Microsecond)
}

// FormatTime renders a time for people the way every page and message
// shows it: in UTC and to the minute, which it truncates.
func FormatTime(t time.Time) string {
	return t.UTC().Format("January 2, 2006 at 3:04 PM") + " UTC"
}
