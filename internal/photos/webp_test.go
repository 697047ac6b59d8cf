package photos

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"testing"

	"github.com/gen2brain/webp"
)

// vp8Chunk returns the VP8 or VP8L chunk of a simple WebP file of img.
func vp8Chunk(t testing.TB, img image.Image, lossless bool) webpChunk {
	t.Helper()
	var buf bytes.Buffer
	if err := webp.Encode(&buf, img, webp.Options{Quality: 90, Lossless: lossless}); err != nil {
		t.Fatal(err)
	}
	chunks, err := parseWebPChunks(buf.Bytes()[12:])
	if err != nil || len(chunks) != 1 {
		t.Fatalf("encoded WebP: got chunks %v (%v), want one", chunks, err)
	}
	return chunks[0]
}

// riffWebP wraps chunks in a RIFF WEBP container.
func riffWebP(chunks ...webpChunk) []byte {
	var body bytes.Buffer
	body.WriteString("WEBP")
	for _, c := range chunks {
		writeWebPChunk(&body, c.fourCC, c.payload)
	}
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(body.Len()))...), body.Bytes()...)
}

func vp8xChunk(flags byte, w, h int) webpChunk {
	p := make([]byte, 10)
	p[0] = flags
	putUint24(p[4:], uint32(w-1))
	putUint24(p[7:], uint32(h-1))
	return webpChunk{"VP8X", p}
}

// anmfChunk returns an animation frame at the given place on the canvas.
// Offsets must be even, as the format stores them halved.
func anmfChunk(frame image.Rectangle, bitstream webpChunk) webpChunk {
	p := make([]byte, 16)
	putUint24(p[0:], uint32(frame.Min.X/2))
	putUint24(p[3:], uint32(frame.Min.Y/2))
	putUint24(p[6:], uint32(frame.Dx()-1))
	putUint24(p[9:], uint32(frame.Dy()-1))
	putUint24(p[12:], 100) // duration in milliseconds
	var body bytes.Buffer
	writeWebPChunk(&body, bitstream.fourCC, bitstream.payload)
	return webpChunk{"ANMF", append(p, body.Bytes()...)}
}

// animatedWebP returns a two-frame animation on the given canvas. The first
// frame is a red rectangle at first, the second a blue canvas that must never
// show.
func animatedWebP(t testing.TB, canvas, first image.Rectangle) []byte {
	t.Helper()
	red := flatImage(first.Dx(), first.Dy(), color.RGBA{220, 30, 30, 255})
	blue := flatImage(canvas.Dx(), canvas.Dy(), color.RGBA{30, 30, 220, 255})
	return riffWebP(
		vp8xChunk(0x02, canvas.Dx(), canvas.Dy()),
		webpChunk{"ANIM", make([]byte, 6)},
		anmfChunk(first, vp8Chunk(t, red, false)),
		anmfChunk(canvas, vp8Chunk(t, blue, false)),
	)
}

func TestParseWebP(t *testing.T) {
	img := quadrants(30, 20)
	lossy := vp8Chunk(t, img, false)
	lossless := vp8Chunk(t, img, true)

	tests := []struct {
		name      string
		data      []byte
		wantSize  image.Point
		wantFrame image.Rectangle
	}{
		{"simple lossy", riffWebP(lossy), image.Pt(30, 20), image.Rect(0, 0, 30, 20)},
		{"simple lossless", riffWebP(lossless), image.Pt(30, 20), image.Rect(0, 0, 30, 20)},
		{"extended", riffWebP(vp8xChunk(0, 30, 20), lossy), image.Pt(30, 20), image.Rect(0, 0, 30, 20)},
		{"animation", animatedWebP(t, image.Rect(0, 0, 40, 30), image.Rect(4, 2, 34, 22)), image.Pt(40, 30), image.Rect(4, 2, 34, 22)},
		{"trailing bytes after riff", append(riffWebP(lossy), "<html>"...), image.Pt(30, 20), image.Rect(0, 0, 30, 20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseWebP(tt.data)
			if err != nil {
				t.Fatalf("parseWebP: %v", err)
			}
			if got := image.Pt(f.width, f.height); got != tt.wantSize {
				t.Errorf("canvas: got %v, want %v", got, tt.wantSize)
			}
			if f.frame != tt.wantFrame {
				t.Errorf("frame: got %v, want %v", f.frame, tt.wantFrame)
			}
			if _, err := parseWebP(f.still); err != nil {
				t.Errorf("still image: %v", err)
			}
		})
	}
}

func TestParseWebPRejects(t *testing.T) {
	img := quadrants(30, 20)
	lossy := vp8Chunk(t, img, false)
	interFrame := webpChunk{"VP8 ", append([]byte{0x01}, lossy.payload[1:]...)}
	truncated := riffWebP(lossy)
	binary.LittleEndian.PutUint32(truncated[4:], uint32(len(truncated)))

	tests := []struct {
		name string
		data []byte
	}{
		{"riff size past the end", truncated},
		{"no chunks", riffWebP()},
		{"vp8 inter frame", riffWebP(interFrame)},
		{"vp8l without signature", riffWebP(webpChunk{"VP8L", []byte{0, 0, 0, 0, 0}})},
		{"vp8l of unknown version", riffWebP(webpChunk{"VP8L", []byte{0x2F, 0, 0, 0, 0x20}})},
		{"canvas larger than bitstream", riffWebP(vp8xChunk(0, 3000, 2000), lossy)},
		{"extended without bitstream", riffWebP(vp8xChunk(0, 30, 20))},
		{"animation without frames", riffWebP(vp8xChunk(0x02, 30, 20), webpChunk{"ANIM", make([]byte, 6)})},
		{"frame outside canvas", riffWebP(vp8xChunk(0x02, 30, 20), anmfChunk(image.Rect(10, 10, 40, 30), lossy))},
		{"frame size differs from bitstream", riffWebP(vp8xChunk(0x02, 64, 64), anmfChunk(image.Rect(0, 0, 40, 40), lossy))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseWebP(tt.data)
			if err == nil && f.invalid == nil {
				t.Error("parseWebP: got a valid file, want an error")
			}
		})
	}
}

func TestProcessWebP(t *testing.T) {
	img := quadrants(64, 48)
	t.Run("lossy", func(t *testing.T) {
		res := mustProcess(t, riffWebP(vp8Chunk(t, img, false)))
		if res.Format != "webp" {
			t.Errorf("format: got %q, want webp", res.Format)
		}
		checkQuadrants(t, res, 64, 48, 30)
	})
	t.Run("lossless", func(t *testing.T) {
		checkQuadrants(t, mustProcess(t, riffWebP(vp8Chunk(t, img, true))), 64, 48, 30)
	})
	t.Run("alpha flattened onto white", func(t *testing.T) {
		half := image.NewNRGBA(image.Rect(0, 0, 64, 64))
		for y := range 64 {
			for x := range 64 {
				if x >= 32 {
					half.SetNRGBA(x, y, color.NRGBA{0, 0, 255, 255})
				}
			}
		}
		res := mustProcess(t, riffWebP(vp8xChunk(0x10, 64, 64), vp8Chunk(t, half, true)))
		large := decodeVariant(t, mustVariant(t, res, SizeLarge, FormatJPEG))
		if c := large.At(8, 32); !colorNear(c, color.RGBA{255, 255, 255, 255}, 6) {
			t.Errorf("transparent area: got %v, want white", c)
		}
		if c := large.At(56, 32); !colorNear(c, color.RGBA{0, 0, 255, 255}, 12) {
			t.Errorf("opaque area: got %v, want blue", c)
		}
	})
	t.Run("exif orientation", func(t *testing.T) {
		// Orientation 6 turns the 64×48 stored picture into a 48×64 one
		// whose top right is the stored top left, red.
		exif := exifSegment(6, binary.BigEndian)[4+6:]
		res := mustProcess(t, webpWithChunks(t, img, webpChunk{"EXIF", exif}))
		large := mustVariant(t, res, SizeLarge, FormatJPEG)
		if large.Width != 48 || large.Height != 64 {
			t.Fatalf("size: got %dx%d, want 48x64", large.Width, large.Height)
		}
		if c := decodeVariant(t, large).At(40, 8); !colorNear(c, quadrantColor(true, true), 30) {
			t.Errorf("top right: got %v, want red", c)
		}
	})
	t.Run("animation keeps the first frame", func(t *testing.T) {
		// The first frame covers the middle of the canvas. The rest of the
		// canvas is transparent and so white, and the blue second frame
		// must not show.
		res := mustProcess(t, animatedWebP(t, image.Rect(0, 0, 64, 48), image.Rect(16, 12, 48, 36)))
		large := decodeVariant(t, mustVariant(t, res, SizeLarge, FormatJPEG))
		if c := large.At(32, 24); !colorNear(c, color.RGBA{220, 30, 30, 255}, 20) {
			t.Errorf("inside the first frame: got %v, want red", c)
		}
		if c := large.At(4, 4); !colorNear(c, color.RGBA{255, 255, 255, 255}, 6) {
			t.Errorf("outside the first frame: got %v, want white", c)
		}
	})
}

// checkQuadrants checks the corner colors of every variant of a processed
// quadrants picture of w×h that needed no turning.
func checkQuadrants(t *testing.T, res Result, w, h, tolerance int) {
	t.Helper()
	for _, v := range res.Variants {
		img := decodeVariant(t, v)
		if v.Width*h != v.Height*w && absDiff(v.Width*h, v.Height*w) > max(w, h) {
			t.Errorf("%s %s variant: got %dx%d, want the aspect ratio of %dx%d", v.Size, v.Format, v.Width, v.Height, w, h)
		}
		corners := []struct {
			p    image.Point
			want color.RGBA
		}{
			{image.Pt(v.Width/8, v.Height/8), quadrantColor(true, true)},
			{image.Pt(v.Width*7/8, v.Height/8), quadrantColor(false, true)},
			{image.Pt(v.Width/8, v.Height*7/8), quadrantColor(true, false)},
			{image.Pt(v.Width*7/8, v.Height*7/8), quadrantColor(false, false)},
		}
		for _, c := range corners {
			if got := img.At(c.p.X, c.p.Y); !colorNear(got, c.want, tolerance) {
				t.Errorf("%s %s variant at %v: got %v, want %v", v.Size, v.Format, c.p, got, c.want)
			}
		}
	}
}

func TestWebPYUVMatchesLibwebp(t *testing.T) {
	// libwebp's VP8YUVToR, VP8YUVToG and VP8YUVToB (src/dsp/yuv.h) in
	// its 14-bit fixed point, an independent statement of the same
	// limited-range BT.601 conversion.
	multHi := func(v, coeff int) int { return (v * coeff) >> 8 }
	clip := func(v int) uint8 { return uint8(min(max(v>>6, 0), 255)) }
	for _, yuv := range [][3]int{{16, 128, 128}, {235, 128, 128}, {81, 90, 240}, {145, 54, 34}, {41, 240, 110}, {128, 0, 255}} {
		y, u, v := yuv[0], yuv[1], yuv[2]
		want := color.RGBA{
			clip(multHi(y, 19077) + multHi(v, 26149) - 14234),
			clip(multHi(y, 19077) - multHi(u, 6419) - multHi(v, 13320) + 8708),
			clip(multHi(y, 19077) + multHi(u, 33050) - 17685),
			255,
		}
		r, g, b := webpYUV.rgb(uint8(y), uint8(u), uint8(v))
		if !colorNear(color.RGBA{r, g, b, 255}, want, 1) {
			t.Errorf("YUV %v: got (%d, %d, %d), want %v", yuv, r, g, b, want)
		}
	}
}

func TestProcessWebPHostile(t *testing.T) {
	lossy := vp8Chunk(t, quadrants(30, 20), false)
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"canvas of 16777216 squared", riffWebP(vp8xChunk(0, 1<<24, 1<<24), lossy), ErrTooManyPixels},
		{"animation canvas of 10000x10000", riffWebP(vp8xChunk(0x02, 10000, 10000), anmfChunk(image.Rect(0, 0, 30, 20), lossy)), ErrTooManyPixels},
		{"bitstream cut short", riffWebP(webpChunk{"VP8 ", lossy.payload[:len(lossy.payload)/2]}), ErrCorrupt},
		{"riff header only", []byte("RIFF\x04\x00\x00\x00WEBPVP8 "), ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Process(tt.data, DefaultLimits()); !errors.Is(err, tt.want) {
				t.Errorf("got error %v, want %v", err, tt.want)
			}
		})
	}
}
