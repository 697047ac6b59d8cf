package photos

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// FuzzProcess checks that no input makes Process panic, return an error
// outside the sentinel set, or return variants that are not JPEGs within
// their boxes.
func FuzzProcess(f *testing.F) {
	small := quadrants(24, 16)
	smallJPEG := encodeJPEG(f, small)
	f.Add(smallJPEG)
	f.Add(encodePNG(f, small))
	f.Add(insertAfterSOI(smallJPEG, exifSegment(6, binary.LittleEndian)))
	f.Add(insertAfterSOI(smallJPEG, exifSegment(7, binary.BigEndian)))

	transparent := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	transparent.SetNRGBA(1, 1, color.NRGBA{255, 0, 0, 128})
	f.Add(encodePNG(f, transparent))
	f.Add(encodePNG(f, image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.Transparent, color.Black})))
	f.Add(encodePNG(f, image.NewGray16(image.Rect(0, 0, 8, 8))))
	f.Add(readFile(f, "testdata/progressive.jpg"))
	f.Add(readFile(f, "testdata/cmyk.jpg"))

	f.Add([]byte{})
	f.Add([]byte{0xFF, 0xD8, 0xFF})
	f.Add(pngWithIHDR(50000, 50000))
	f.Add(pngWithIHDR(0, 1))
	f.Add(smallJPEG[:len(smallJPEG)/2])
	f.Add([]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))
	f.Add([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"))

	// Small limits keep each run fast: a fuzzed header may otherwise
	// declare 50 megapixels and make the decoder allocate them.
	lim := Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 20}

	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Process(data, lim)
		if err != nil {
			if !isSentinel(err) {
				t.Fatalf("got error %v, want one wrapping a sentinel", err)
			}
			return
		}
		boxes := map[string]int{SizeThumb: thumbBox, SizeLarge: largeBox}
		if len(res.Variants) != 2 {
			t.Fatalf("got %d variants, want 2", len(res.Variants))
		}
		for _, v := range res.Variants {
			box, ok := boxes[v.Size]
			if !ok {
				t.Fatalf("got variant size %q, want thumb or large", v.Size)
			}
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(v.Data))
			if err != nil {
				t.Fatalf("%s variant: decode output: %v", v.Size, err)
			}
			if cfg.Width != v.Width || cfg.Height != v.Height {
				t.Fatalf("%s variant: got %dx%d in the file, %dx%d recorded", v.Size, cfg.Width, cfg.Height, v.Width, v.Height)
			}
			if v.Width < 1 || v.Height < 1 || v.Width > box || v.Height > box {
				t.Fatalf("%s variant: got %dx%d, want within %dx%d", v.Size, v.Width, v.Height, box, box)
			}
		}
	})
}
