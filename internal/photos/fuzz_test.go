package photos

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"testing"

	"github.com/gen2brain/webp"
)

// FuzzProcess checks that no input makes Process panic, return an error
// outside the sentinel set, or return variants that are not images of the
// recorded size within their boxes.
func FuzzProcess(f *testing.F) {
	small := quadrants(24, 16)
	smallJPEG := encodeJPEG(f, small)
	f.Add(smallJPEG)
	f.Add(encodePNG(f, small))
	f.Add(insertAfterSOI(smallJPEG, exifSegment(6, binary.LittleEndian)))
	f.Add(insertAfterSOI(smallJPEG, exifSegment(7, binary.BigEndian)))
	f.Add(insertAfterSOI(smallJPEG, iccSegments(testP3Profile())[0]))

	transparent := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	transparent.SetNRGBA(1, 1, color.NRGBA{255, 0, 0, 128})
	f.Add(encodePNG(f, transparent))
	f.Add(encodePNG(f, image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.Transparent, color.Black})))
	f.Add(encodePNG(f, image.NewGray16(image.Rect(0, 0, 8, 8))))
	f.Add(readFile(f, "testdata/progressive.jpg"))
	f.Add(readFile(f, "testdata/cmyk.jpg"))

	var smallGIF bytes.Buffer
	if err := gif.Encode(&smallGIF, small, nil); err != nil {
		f.Fatal(err)
	}
	f.Add(smallGIF.Bytes())
	var lossy, lossless bytes.Buffer
	if err := webp.Encode(&lossy, small, webp.Options{Quality: 50}); err != nil {
		f.Fatal(err)
	}
	if err := webp.Encode(&lossless, transparent, webp.Options{Lossless: true}); err != nil {
		f.Fatal(err)
	}
	f.Add(lossy.Bytes())
	f.Add(lossless.Bytes())
	f.Add(animatedWebP(f, image.Rect(0, 0, 16, 16), image.Rect(4, 2, 12, 10)))

	heic := readFile(f, "testdata/quadrants.heic")
	f.Add(heic)
	// The container alone, without the coded picture at the end.
	f.Add(heic[:len(heic)*2/3])

	f.Add([]byte{})
	f.Add([]byte{0xFF, 0xD8, 0xFF})
	f.Add(pngWithIHDR(50000, 50000))
	f.Add(pngWithIHDR(0, 1))
	f.Add(smallJPEG[:len(smallJPEG)/2])
	f.Add([]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))
	f.Add([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"))
	f.Add([]byte("RIFF\x16\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff"))

	// Small limits keep each run fast: a fuzzed header may otherwise
	// declare 50 megapixels and make the decoder allocate them.
	lim := Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 20}
	boxes := map[string]int{}
	for _, s := range outputSizes {
		boxes[s.name] = s.box
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Process(data, lim)
		if err != nil {
			if !isSentinelError(err) {
				t.Fatalf("got error %v, want one wrapping a sentinel", err)
			}
			return
		}
		if want := 2 * len(outputSizes); len(res.Variants) != want {
			t.Fatalf("got %d variants, want %d", len(res.Variants), want)
		}
		for _, v := range res.Variants {
			box, ok := boxes[v.Size]
			if !ok {
				t.Fatalf("got variant size %q, want one of outputSizes", v.Size)
			}
			size, err := variantSize(v)
			if err != nil {
				t.Fatalf("%s %s variant: read output header: %v", v.Size, v.Format, err)
			}
			if size != image.Pt(v.Width, v.Height) {
				t.Fatalf("%s %s variant: got %v in the file, %dx%d recorded", v.Size, v.Format, size, v.Width, v.Height)
			}
			if v.Width < 1 || v.Height < 1 || v.Width > box || v.Height > box {
				t.Fatalf("%s %s variant: got %dx%d, want within %dx%d", v.Size, v.Format, v.Width, v.Height, box, box)
			}
		}
	})
}
