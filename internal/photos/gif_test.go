package photos

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"testing"
)

func encodeGIF(t testing.TB, g *gif.GIF) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestProcessGIF(t *testing.T) {
	palette := color.Palette{
		quadrantColor(true, true), quadrantColor(false, true),
		quadrantColor(true, false), quadrantColor(false, false),
		color.RGBA{30, 30, 220, 255},
	}
	frame := func(r image.Rectangle, index uint8) *image.Paletted {
		m := image.NewPaletted(r, palette)
		for i := range m.Pix {
			m.Pix[i] = index
		}
		return m
	}
	quads := image.NewPaletted(image.Rect(0, 0, 64, 48), palette)
	for y := range 48 {
		for x := range 64 {
			quads.SetColorIndex(x, y, uint8(2*(y/24)+x/32))
		}
	}

	t.Run("first frame of an animation", func(t *testing.T) {
		// The second frame, all blue, must not show.
		data := encodeGIF(t, &gif.GIF{
			Image: []*image.Paletted{quads, frame(quads.Rect, 4)},
			Delay: []int{10, 10},
		})
		res := mustProcess(t, data)
		if res.Format != "gif" {
			t.Errorf("format: got %q, want gif", res.Format)
		}
		checkQuadrants(t, res, 64, 48, 30)
	})
	t.Run("frame smaller than the screen", func(t *testing.T) {
		// A 20×10 red frame at (30, 20) on a 64×48 screen. The rest of the
		// screen is transparent and turns white.
		data := encodeGIF(t, &gif.GIF{
			Image:  []*image.Paletted{frame(image.Rect(30, 20, 50, 30), 0)},
			Delay:  []int{0},
			Config: image.Config{Width: 64, Height: 48, ColorModel: palette},
		})
		res := mustProcess(t, data)
		large := mustVariant(t, res, SizeLarge, FormatJPEG)
		if large.Width != 64 || large.Height != 48 {
			t.Fatalf("size: got %dx%d, want the 64x48 screen", large.Width, large.Height)
		}
		img := decodeVariant(t, large)
		if c := img.At(40, 25); !colorNear(c, quadrantColor(true, true), 20) {
			t.Errorf("inside the frame: got %v, want red", c)
		}
		if c := img.At(5, 5); !colorNear(c, color.RGBA{255, 255, 255, 255}, 6) {
			t.Errorf("outside the frame: got %v, want white", c)
		}
	})
	t.Run("transparent index turns white", func(t *testing.T) {
		transparentPalette := color.Palette{color.RGBA{}, quadrantColor(true, true)}
		m := image.NewPaletted(image.Rect(0, 0, 32, 32), transparentPalette)
		for y := range 32 {
			for x := 16; x < 32; x++ {
				m.SetColorIndex(x, y, 1)
			}
		}
		res := mustProcess(t, encodeGIF(t, &gif.GIF{Image: []*image.Paletted{m}, Delay: []int{0}}))
		img := decodeVariant(t, mustVariant(t, res, SizeLarge, FormatJPEG))
		if c := img.At(4, 16); !colorNear(c, color.RGBA{255, 255, 255, 255}, 6) {
			t.Errorf("transparent half: got %v, want white", c)
		}
		if c := img.At(28, 16); !colorNear(c, quadrantColor(true, true), 20) {
			t.Errorf("opaque half: got %v, want red", c)
		}
	})
}
