package board

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"testing"

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
