package board

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/photos"
)

// TestMediumSizeMatchesPhotos checks the derived medium size against the
// one internal/photos makes, for photos that fit the medium box, fill it
// and exceed the large box, in both orientations and with odd ratios.
func TestMediumSizeMatchesPhotos(t *testing.T) {
	for _, size := range [][2]int{{800, 600}, {1000, 1000}, {1200, 800}, {1001, 667}, {2000, 1000}, {999, 1601}, {3, 1500}} {
		w, h := size[0], size[1]
		t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
			var buf bytes.Buffer
			if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
				t.Fatal(err)
			}
			res, err := photos.Process(buf.Bytes(), photos.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			img := imageOf(res)
			medium, ok := res.VariantIn(photos.SizeMedium, photos.FormatJPEG)
			if !ok {
				t.Fatal("no medium JPEG")
			}

			gotW, gotH := img.MediumSize()
			if gotW != medium.Width || gotH != medium.Height {
				t.Errorf("got medium %dx%d, want %dx%d as stored", gotW, gotH, medium.Width, medium.Height)
			}
		})
	}
}

// TestLastRenewableBumpMatchesRenewableAt checks that the bound the store
// applies allows a renew exactly when RenewableAt does, around the start
// and end of a minute.
func TestLastRenewableBumpMatchesRenewableAt(t *testing.T) {
	published := time.Date(2026, 12, 4, 23, 6, 30, 123456000, time.UTC)
	for _, bumped := range []time.Time{published, published.Truncate(time.Minute), published.Truncate(time.Minute).Add(time.Minute - time.Microsecond)} {
		p := &Post{BumpedAt: bumped}
		for _, offset := range []time.Duration{-time.Minute, -time.Second, -time.Microsecond, 0, time.Microsecond, 29 * time.Second, time.Minute} {
			now := p.RenewableAt().Add(offset)
			allowed := !now.Before(p.RenewableAt())
			if got := !bumped.After(lastRenewableBump(now)); got != allowed {
				t.Errorf("bumped at %v, now %v: store bound allows %v, want %v as RenewableAt", bumped, now, got, allowed)
			}
		}
	}
}

func TestRenewableAtIsTheMinuteShown(t *testing.T) {
	p := &Post{BumpedAt: time.Date(2026, 12, 4, 23, 6, 59, 0, time.UTC)}
	if got, want := FormatTime(p.RenewableAt()), "December 6, 2026 at 11:06 PM UTC"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := FormatTime(p.BumpedAt.Add(30*24*time.Hour)), "January 3, 2027 at 11:06 PM UTC"; got != want {
		t.Errorf("expiry: got %q, want %q", got, want)
	}
}
