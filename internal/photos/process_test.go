package photos

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestProcessOrientationRealFiles(t *testing.T) {
	for _, path := range sharedPhotos(t, "orientation/*.jpg") {
		name := strings.TrimSuffix(filepath.Base(path), ".jpg")
		t.Run(name, func(t *testing.T) {
			res := mustProcess(t, readFile(t, path))
			for _, v := range res.Variants {
				if strings.HasPrefix(name, "landscape") && v.Width <= v.Height {
					t.Errorf("%s variant: got %dx%d, want wider than tall", v.Size, v.Width, v.Height)
				}
				if strings.HasPrefix(name, "portrait") && v.Height <= v.Width {
					t.Errorf("%s variant: got %dx%d, want taller than wide", v.Size, v.Width, v.Height)
				}
			}
		})
	}
}

// TestProcessOrientationMatchesUpright checks pixels, not only the aspect
// ratio: every landscape_N and portrait_N shows the same picture once
// upright, so a wrong mirror would pass the aspect check but fail here.
func TestProcessOrientationMatchesUpright(t *testing.T) {
	for _, shape := range []string{"landscape", "portrait"} {
		paths := sharedPhotos(t, "orientation/"+shape+"_*.jpg")
		upright := decodeVariant(t, mustVariant(t, mustProcess(t, readFile(t, paths[0])), SizeLarge, FormatJPEG))
		for _, path := range paths[1:] {
			t.Run(filepath.Base(path), func(t *testing.T) {
				got := decodeVariant(t, mustVariant(t, mustProcess(t, readFile(t, path)), SizeLarge, FormatJPEG))
				if got.Bounds() != upright.Bounds() {
					t.Fatalf("size: got %v, want %v", got.Bounds(), upright.Bounds())
				}
				// The digit drawn on each file and a color shift in the _1
				// files leave a mean difference of about 15 levels. A
				// mirrored or wrongly turned picture differs by 40 or more.
				if d := meanAbsDiff(got, upright); d > 25 {
					t.Errorf("mean abs diff from %s_1: got %.1f, want at most 25", shape, d)
				}
			})
		}
	}
}

func TestProcessOrientationSynthetic(t *testing.T) {
	// The stored picture is 64×32 with red top left, green top right, blue
	// bottom left and yellow bottom right.
	red, green := quadrantColor(true, true), quadrantColor(false, true)
	blue, yellow := quadrantColor(true, false), quadrantColor(false, false)

	// wantCorners lists the upright colors at top left, top right, bottom
	// left and bottom right for each orientation.
	wantCorners := map[int][4]color.RGBA{
		1: {red, green, blue, yellow},
		2: {green, red, yellow, blue},
		3: {yellow, blue, green, red},
		4: {blue, yellow, red, green},
		5: {red, blue, green, yellow},
		6: {blue, red, yellow, green},
		7: {yellow, green, blue, red},
		8: {green, yellow, red, blue},
	}
	base := encodeJPEG(t, quadrants(64, 32))
	for orientation := 1; orientation <= 8; orientation++ {
		t.Run(fmt.Sprint(orientation), func(t *testing.T) {
			data := insertAfterSOI(base, exifSegment(uint16(orientation), binary.BigEndian))
			large, _ := mustProcess(t, data).Variant(SizeLarge)
			img := decodeVariant(t, large)

			wantW, wantH := orientedSize(64, 32, orientation)
			if large.Width != wantW || large.Height != wantH {
				t.Fatalf("size: got %dx%d, want %dx%d", large.Width, large.Height, wantW, wantH)
			}
			corners := []image.Point{{4, 4}, {wantW - 5, 4}, {4, wantH - 5}, {wantW - 5, wantH - 5}}
			for i, p := range corners {
				if c := img.At(p.X, p.Y); !colorNear(c, wantCorners[orientation][i], 24) {
					t.Errorf("pixel %v: got %v, want %v", p, c, wantCorners[orientation][i])
				}
			}
		})
	}
}

// TestProcessStripsMetadata parses every output. In a JPEG only the
// segments before the scan and any bytes after EOI can carry metadata: the
// entropy-coded data between them decodes to pixels only, and random bytes
// there could spell "GPS" by chance. In a WebP only chunks other than the
// bitstream can, so the chunk types are checked.
func TestProcessStripsMetadata(t *testing.T) {
	type input struct {
		name string
		data []byte
	}
	var inputs []input
	for _, path := range sharedPhotos(t, "*/*") {
		inputs = append(inputs, input{filepath.Base(filepath.Dir(path)) + "/" + filepath.Base(path), readFile(t, path)})
	}
	img := quadrants(64, 48)
	xmp := []byte(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>`)
	exif := exifSegment(1, binary.BigEndian)[4+6:]
	inputs = append(inputs,
		input{"synthetic/webp with exif, xmp and icc", webpWithChunks(t, img, webpChunk{"ICCP", testP3Profile()}, webpChunk{"EXIF", exif}, webpChunk{"XMP ", xmp})},
		input{"synthetic/png with text chunk", insertPNGChunk(encodePNG(t, img), pngChunk("tEXt", []byte("Comment\x00GPS 42N")))},
	)
	forbidden := []string{"Exif", "GPS", "http://ns.adobe.com/xap", "ICC_PROFILE", "Photoshop", "xmpmeta"}

	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			res := mustProcess(t, in.data)
			for _, v := range res.Variants {
				switch v.Format {
				case FormatJPEG:
					checkJPEGHasNoMetadata(t, v, forbidden)
				case FormatWebP:
					checkWebPHasNoMetadata(t, v)
				default:
					t.Errorf("%s variant: unknown format %q", v.Size, v.Format)
				}
			}
		})
	}
}

func checkJPEGHasNoMetadata(t *testing.T, v Variant, forbidden []string) {
	t.Helper()
	segments, trailer, err := parseJPEGSegments(v.Data)
	if err != nil {
		t.Fatalf("%s jpeg variant: %v", v.Size, err)
	}
	if len(trailer) != 0 {
		t.Errorf("%s jpeg variant: got %d bytes after EOI, want none", v.Size, len(trailer))
	}
	for _, s := range segments {
		switch {
		case s.marker == 0xE1:
			t.Errorf("%s jpeg variant: got an APP1 (Exif or XMP) segment", v.Size)
		case s.marker == 0xE2:
			t.Errorf("%s jpeg variant: got an APP2 (ICC profile) segment", v.Size)
		case s.marker == 0xED:
			t.Errorf("%s jpeg variant: got an APP13 (IPTC) segment", v.Size)
		case s.marker == 0xFE:
			t.Errorf("%s jpeg variant: got a COM segment", v.Size)
		case s.marker >= 0xE0 && s.marker <= 0xEF:
			t.Errorf("%s jpeg variant: got an APP%d segment", v.Size, s.marker-0xE0)
		}
		for _, f := range forbidden {
			if bytes.Contains(s.payload, []byte(f)) {
				t.Errorf("%s jpeg variant: segment %#x contains %q", v.Size, s.marker, f)
			}
		}
	}
}

// checkWebPHasNoMetadata accepts only the chunks of an opaque still image:
// a VP8 or VP8L bitstream, alone or after VP8X, with no EXIF, XMP or ICCP
// chunk and nothing after the RIFF container.
func checkWebPHasNoMetadata(t *testing.T, v Variant) {
	t.Helper()
	if len(v.Data) < 12 || string(v.Data[:4]) != "RIFF" || string(v.Data[8:12]) != "WEBP" {
		t.Fatalf("%s webp variant: no RIFF WEBP header", v.Size)
	}
	riffEnd := 8 + int(binary.LittleEndian.Uint32(v.Data[4:]))
	if riffEnd != len(v.Data) {
		t.Errorf("%s webp variant: RIFF container ends at %d of %d bytes, want the end", v.Size, riffEnd, len(v.Data))
	}
	chunks, err := parseWebPChunks(v.Data[12:min(riffEnd, len(v.Data))])
	if err != nil {
		t.Fatalf("%s webp variant: %v", v.Size, err)
	}
	for _, c := range chunks {
		switch c.fourCC {
		case "VP8 ", "VP8L", "VP8X":
		default:
			t.Errorf("%s webp variant: got a %q chunk, want only the bitstream", v.Size, c.fourCC)
		}
	}
}

// insertPNGChunk returns a PNG with chunk inserted right after IHDR.
func insertPNGChunk(data, chunk []byte) []byte {
	return append(append(append([]byte{}, data[:33]...), chunk...), data[33:]...)
}

func TestProcessSharedFiles(t *testing.T) {
	// Despite the folder name, these files decode without any warning in
	// image/jpeg, djpeg (libjpeg-turbo 2.1) and exiftool -validate. Their
	// only oddity is a large XMP APP1 and no EXIF, so they must be accepted,
	// while truncated copies of them must be rejected as corrupt.
	t.Run("broken folder decodes", func(t *testing.T) {
		for _, path := range sharedPhotos(t, "broken/*.jpg") {
			if _, err := Process(readFile(t, path), DefaultLimits()); err != nil {
				t.Errorf("%s: got error %v, want nil", filepath.Base(path), err)
			}
		}
	})
	t.Run("truncated files are corrupt", func(t *testing.T) {
		paths := sharedPhotos(t, "broken/*.jpg")
		paths = append(paths, sharedPhotos(t, "phone/*.jpg")...)
		for _, path := range paths {
			data := readFile(t, path)
			for _, keep := range []int{len(data) / 2, len(data) * 9 / 10, len(data) - 300} {
				_, err := Process(data[:keep], DefaultLimits())
				if !errors.Is(err, ErrCorrupt) {
					t.Errorf("%s cut to %d of %d bytes: got error %v, want ErrCorrupt", filepath.Base(path), keep, len(data), err)
				}
			}
		}
	})
	t.Run("phone photo sizes", func(t *testing.T) {
		for _, path := range sharedPhotos(t, "phone/*.jpg") {
			res := mustProcess(t, readFile(t, path))
			want := map[string]image.Point{SizeThumb: {400, 300}, SizeMedium: {1000, 750}, SizeLarge: {1600, 1200}}
			for _, v := range res.Variants {
				if got := image.Pt(v.Width, v.Height); got != want[v.Size] {
					t.Errorf("%s %s %s: got %v, want %v", filepath.Base(path), v.Size, v.Format, got, want[v.Size])
				}
				decodeVariant(t, v)
			}
		}
	})
}

// pngWithIHDR returns a PNG signature and an IHDR chunk with a valid CRC
// declaring the given size as 8-bit RGBA, followed by no image data.
func pngWithIHDR(width, height uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], width)
	binary.BigEndian.PutUint32(ihdr[4:], height)
	ihdr[8] = 8 // bit depth
	ihdr[9] = 6 // color type RGBA

	var chunk bytes.Buffer
	binary.Write(&chunk, binary.BigEndian, uint32(len(ihdr)))
	chunk.WriteString("IHDR")
	chunk.Write(ihdr)
	binary.Write(&chunk, binary.BigEndian, crc32.ChecksumIEEE(chunk.Bytes()[4:]))
	return append([]byte("\x89PNG\r\n\x1a\n"), chunk.Bytes()...)
}

// withJPEGSize returns a copy of a baseline JPEG whose SOF0 segment
// declares the given size.
func withJPEGSize(t *testing.T, data []byte, width, height uint16) []byte {
	t.Helper()
	out := append([]byte{}, data...)
	i := bytes.Index(out, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("no SOF0 segment")
	}
	// SOF0: marker, length (2), precision (1), height (2), width (2).
	binary.BigEndian.PutUint16(out[i+5:], height)
	binary.BigEndian.PutUint16(out[i+7:], width)
	return out
}

// withJPEGPrecision returns a copy of a baseline JPEG whose SOF0 segment
// declares the given sample precision in bits. Image/jpeg decodes only 8.
func withJPEGPrecision(t *testing.T, data []byte, bits byte) []byte {
	t.Helper()
	out := append([]byte{}, data...)
	i := bytes.Index(out, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("no SOF0 segment")
	}
	out[i+4] = bits
	return out
}

func TestProcessHostileInputs(t *testing.T) {
	small := encodeJPEG(t, quadrants(64, 48))
	progressive := readFile(t, "testdata/progressive.jpg")
	// The first scan of a progressive file ends where the Huffman table for
	// the second scan begins.
	firstSOS := bytes.Index(progressive, []byte{0xFF, markerSOS})
	firstScanEnd := firstSOS + bytes.Index(progressive[firstSOS:], []byte{0xFF, 0xC4})

	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty file", nil, ErrUnsupported},
		{"svg with script", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.cookie)</script></svg>`), ErrUnsupported},
		{"html", []byte("<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>"), ErrUnsupported},
		{"pdf", []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"), ErrUnsupported},
		{"html named .jpg", []byte("<html><head><title>photo.jpg</title></head><body><script>alert(1)</script></body></html>"), ErrUnsupported},
		// Polyglots: another format's file that embeds a real photo. The
		// leading bytes decide, so the photo inside is never reached.
		{"html wrapping a jpeg", append([]byte("<html><!-- "), small...), ErrUnsupported},
		{"pdf wrapping a jpeg", append([]byte("%PDF-1.4\n1 0 obj<</Filter/DCTDecode>>stream\n"), small...), ErrUnsupported},
		{"zip wrapping a png", append([]byte("PK\x03\x04\x14\x00\x00\x00"), encodePNG(t, quadrants(8, 8))...), ErrUnsupported},
		{"gif header without image", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), ErrCorrupt},
		{"gif of 65535x65535", gifWithScreen(65535, 65535), ErrTooManyPixels},
		{"webp cut after the chunk header", []byte("RIFF\x1a\x00\x00\x00WEBPVP8 \x0e\x00\x00\x00"), ErrCorrupt},
		{"webp canvas of 16777216x16777216", []byte("RIFF\x16\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff"), ErrTooManyPixels},
		{"html after jpeg magic", append([]byte{0xFF, 0xD8, 0xFF}, "<html><script>alert(1)</script></html>"...), ErrCorrupt},
		{"png signature only", []byte("\x89PNG\r\n\x1a\n"), ErrCorrupt},
		{"png of 50000x50000", pngWithIHDR(50000, 50000), ErrTooManyPixels},
		{"png of 2^31-1 squared", pngWithIHDR(1<<31-1, 1<<31-1), ErrTooManyPixels},
		{"png of zero width", pngWithIHDR(0, 100), ErrCorrupt},
		{"png header without data", pngWithIHDR(100, 100), ErrCorrupt},
		{"jpeg of 65535x65535", withJPEGSize(t, small, 65535, 65535), ErrTooManyPixels},
		{"jpeg of zero height", withJPEGSize(t, small, 64, 0), ErrCorrupt},
		{"jpeg of zero width", withJPEGSize(t, small, 0, 48), ErrCorrupt},
		{"12-bit jpeg", withJPEGPrecision(t, small, 12), ErrUnsupported},
		{"baseline jpeg cut in half", small[:len(small)/2], ErrCorrupt},
		{"baseline jpeg without EOI", small[:len(small)-2], ErrCorrupt},
		{"progressive jpeg cut in half", progressive[:len(progressive)/2], ErrCorrupt},
		{"progressive jpeg cut after first scan", progressive[:firstScanEnd], ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Process(tt.data, DefaultLimits())
			if !errors.Is(err, tt.want) {
				t.Fatalf("got error %v, want %v", err, tt.want)
			}
			if len(res.Variants) != 0 {
				t.Errorf("got %d variants alongside the error, want 0", len(res.Variants))
			}
		})
	}
}

// gifWithScreen returns a GIF header declaring a logical screen of the
// given size, with one 1×1 frame.
func gifWithScreen(w, h uint16) []byte {
	data := []byte("GIF89a")
	data = binary.LittleEndian.AppendUint16(data, w)
	data = binary.LittleEndian.AppendUint16(data, h)
	data = append(data, 0x80, 0, 0) // a global color table of two entries
	data = append(data, 0, 0, 0, 255, 255, 255)
	data = append(data, 0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0) // image descriptor
	data = append(data, 2, 2, 0x44, 0x01, 0)             // LZW data
	return append(data, 0x3B)
}

func TestProcessPolyglotWithTrailerIsCleaned(t *testing.T) {
	// A valid JPEG followed by HTML decodes as a JPEG. The outputs are
	// encoded from pixels, so the trailer cannot reach them.
	data := append(encodeJPEG(t, quadrants(64, 48)), "<html><script>alert(1)</script></html>"...)
	res := mustProcess(t, data)
	for _, v := range res.Variants {
		if bytes.Contains(v.Data, []byte("<script")) {
			t.Errorf("%s %s variant: got the trailer in the output, want only pixels", v.Size, v.Format)
		}
	}
}

func TestProcessRejectsHugeHeaderCheaply(t *testing.T) {
	data := pngWithIHDR(50000, 50000)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := Process(data, DefaultLimits())
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)

	if !errors.Is(err, ErrTooManyPixels) {
		t.Fatalf("got error %v, want ErrTooManyPixels", err)
	}
	// Decoding 2.5 gigapixels would allocate 10 GB. The header alone needs
	// a few kilobytes for the decoder state.
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 1<<20 {
		t.Errorf("allocated %d bytes, want under 1 MiB", allocated)
	}
	if elapsed > 100*time.Millisecond {
		t.Errorf("took %v, want under 100ms", elapsed)
	}
}

func TestProcessLimits(t *testing.T) {
	data := encodePNG(t, quadrants(100, 50))

	t.Run("too many bytes", func(t *testing.T) {
		_, err := Process(data, Limits{MaxBytes: int64(len(data) - 1)})
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("got error %v, want ErrTooLarge", err)
		}
	})
	t.Run("exactly max bytes", func(t *testing.T) {
		if _, err := Process(data, Limits{MaxBytes: int64(len(data))}); err != nil {
			t.Errorf("got error %v, want nil", err)
		}
	})
	t.Run("too many pixels", func(t *testing.T) {
		_, err := Process(data, Limits{MaxPixels: 100*50 - 1})
		if !errors.Is(err, ErrTooManyPixels) {
			t.Errorf("got error %v, want ErrTooManyPixels", err)
		}
	})
	t.Run("exactly max pixels", func(t *testing.T) {
		if _, err := Process(data, Limits{MaxPixels: 100 * 50}); err != nil {
			t.Errorf("got error %v, want nil", err)
		}
	})
	t.Run("zero limits take defaults", func(t *testing.T) {
		if _, err := Process(data, Limits{}); err != nil {
			t.Errorf("got error %v, want nil", err)
		}
	})
}

func TestReadLimited(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 100)

	got, err := ReadLimited(bytes.NewReader(data), 100)
	if err != nil || len(got) != 100 {
		t.Errorf("at the limit: got %d bytes and error %v, want 100 bytes and nil", len(got), err)
	}
	_, err = ReadLimited(bytes.NewReader(data), 99)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: got error %v, want ErrTooLarge", err)
	}
}

func TestProcessFlattensTransparencyOntoWhite(t *testing.T) {
	// The left half is fully transparent red, which must come out white,
	// not red or black. The right half is opaque blue.
	nrgba := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			if x < 32 {
				nrgba.SetNRGBA(x, y, color.NRGBA{255, 0, 0, 0})
			} else {
				nrgba.SetNRGBA(x, y, color.NRGBA{0, 0, 255, 255})
			}
		}
	}
	paletted := image.NewPaletted(nrgba.Rect, color.Palette{color.NRGBA{255, 0, 0, 0}, color.NRGBA{0, 0, 255, 255}})
	for y := range 64 {
		for x := 32; x < 64; x++ {
			paletted.SetColorIndex(x, y, 1)
		}
	}

	for _, tt := range []struct {
		name string
		img  image.Image
	}{{"rgba png", nrgba}, {"paletted png with tRNS", paletted}} {
		t.Run(tt.name, func(t *testing.T) {
			res := mustProcess(t, encodePNG(t, tt.img))
			if res.Format != "png" {
				t.Errorf("format: got %q, want png", res.Format)
			}
			for _, v := range res.Variants {
				img := decodeVariant(t, v)
				if c := img.At(8, 32); !colorNear(c, color.RGBA{255, 255, 255, 255}, 4) {
					t.Errorf("%s variant, transparent area: got %v, want white", v.Size, c)
				}
				if c := img.At(56, 32); !colorNear(c, color.RGBA{0, 0, 255, 255}, 12) {
					t.Errorf("%s variant, opaque area: got %v, want blue", v.Size, c)
				}
			}
		})
	}
}

func TestProcessNeverUpscales(t *testing.T) {
	for _, size := range []image.Point{{100, 50}, {1, 1}, {3, 400}} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			res := mustProcess(t, encodePNG(t, quadrants(size.X, size.Y)))
			for _, v := range res.Variants {
				if v.Width != size.X || v.Height != size.Y {
					t.Errorf("%s variant: got %dx%d, want %dx%d", v.Size, v.Width, v.Height, size.X, size.Y)
				}
			}
		})
	}
}

func TestProcessExtremePanorama(t *testing.T) {
	res := mustProcess(t, encodePNG(t, quadrants(5000, 3)))
	want := map[string]image.Point{SizeThumb: {400, 1}, SizeMedium: {1000, 1}, SizeLarge: {1600, 1}}
	for _, v := range res.Variants {
		if got := image.Pt(v.Width, v.Height); got != want[v.Size] {
			t.Errorf("%s %s variant: got %v, want %v", v.Size, v.Format, got, want[v.Size])
		}
		decodeVariant(t, v)
	}
}

func TestProcessVariants(t *testing.T) {
	data := encodeJPEG(t, quadrants(2000, 1000))
	res := mustProcess(t, data)

	if res.Format != "jpeg" {
		t.Errorf("format: got %q, want jpeg", res.Format)
	}
	want := []struct {
		size, format, extension, contentType string
		w, h                                 int
	}{
		{SizeThumb, FormatJPEG, ".jpg", "image/jpeg", 400, 200},
		{SizeThumb, FormatWebP, ".webp", "image/webp", 400, 200},
		{SizeMedium, FormatJPEG, ".jpg", "image/jpeg", 1000, 500},
		{SizeMedium, FormatWebP, ".webp", "image/webp", 1000, 500},
		{SizeLarge, FormatJPEG, ".jpg", "image/jpeg", 1600, 800},
		{SizeLarge, FormatWebP, ".webp", "image/webp", 1600, 800},
	}
	if len(res.Variants) != len(want) {
		t.Fatalf("got %d variants, want %d", len(res.Variants), len(want))
	}
	for i, w := range want {
		v := res.Variants[i]
		if v.Size != w.size || v.Format != w.format {
			t.Errorf("variant %d: got %s %s, want %s %s", i, v.Size, v.Format, w.size, w.format)
		}
		if v.Width != w.w || v.Height != w.h {
			t.Errorf("%s %s variant: got %dx%d, want %dx%d", v.Size, v.Format, v.Width, v.Height, w.w, w.h)
		}
		if v.ContentType != w.contentType {
			t.Errorf("%s %s variant: got content type %q, want %q", v.Size, v.Format, v.ContentType, w.contentType)
		}
		sum := sha256.Sum256(v.Data)
		if wantKey := hex.EncodeToString(sum[:]) + w.extension; v.Key != wantKey {
			t.Errorf("%s %s variant: got key %q, want %q", v.Size, v.Format, v.Key, wantKey)
		}
		decodeVariant(t, v)
		if got, ok := res.VariantIn(w.size, w.format); !ok || got.Key != v.Key {
			t.Errorf("VariantIn(%q, %q): got (%q, %v), want (%q, true)", w.size, w.format, got.Key, ok, v.Key)
		}
	}
	for _, size := range []string{SizeThumb, SizeMedium, SizeLarge} {
		jpegVariant, _ := res.VariantIn(size, FormatJPEG)
		if got, ok := res.Variant(size); !ok || got.Key != jpegVariant.Key {
			t.Errorf("Variant(%q): got (%q, %v), want the JPEG %q", size, got.Key, ok, jpegVariant.Key)
		}
	}
	if _, ok := res.Variant("huge"); ok {
		t.Error(`Variant("huge"): got ok, want not found`)
	}
	if _, ok := res.VariantIn(SizeLarge, "avif"); ok {
		t.Error(`VariantIn(SizeLarge, "avif"): got ok, want not found`)
	}
}

func TestProcessIsDeterministic(t *testing.T) {
	data := encodeJPEG(t, noise(900, 700))
	first := mustProcess(t, data)

	// Concurrent calls must neither race (go test -race) nor change the
	// output.
	var wg sync.WaitGroup
	results := make([]Result, 4)
	for i := range results {
		wg.Go(func() { results[i] = mustProcess(t, data) })
	}
	wg.Wait()

	for i, res := range results {
		for j, v := range res.Variants {
			if v.Key != first.Variants[j].Key {
				t.Errorf("run %d, %s %s variant: got key %s, want %s", i, v.Size, v.Format, v.Key, first.Variants[j].Key)
			}
		}
	}
}

func TestProcessJPEGKinds(t *testing.T) {
	tests := []struct {
		file    string
		wantTyp string
	}{
		{"testdata/progressive.jpg", "*image.YCbCr"},
		{"testdata/cmyk.jpg", "*image.CMYK"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			data := readFile(t, tt.file)
			src, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%T", src); got != tt.wantTyp {
				t.Fatalf("decoded type: got %s, want %s", got, tt.wantTyp)
			}

			// Turned by orientation 6, the red top-left quadrant of the
			// stored 160×120 picture ends up top right.
			data = insertAfterSOI(data, exifSegment(6, binary.LittleEndian))
			large, _ := mustProcess(t, data).Variant(SizeLarge)
			img := decodeVariant(t, large)
			if large.Width != 120 || large.Height != 160 {
				t.Fatalf("size: got %dx%d, want 120x160", large.Width, large.Height)
			}
			if c := img.At(110, 10); !colorNear(c, quadrantColor(true, true), 40) {
				t.Errorf("top right: got %v, want red", c)
			}
			if c := img.At(10, 150); !colorNear(c, quadrantColor(false, false), 40) {
				t.Errorf("bottom left: got %v, want yellow", c)
			}
		})
	}
}

func TestProcessGrayscale(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 40, 30))
	for i := range gray.Pix {
		gray.Pix[i] = 90
	}
	for _, tt := range []struct {
		name string
		data []byte
	}{{"jpeg", encodeJPEG(t, gray)}, {"png", encodePNG(t, gray)}} {
		t.Run(tt.name, func(t *testing.T) {
			large, _ := mustProcess(t, tt.data).Variant(SizeLarge)
			if c := decodeVariant(t, large).At(20, 15); !colorNear(c, color.RGBA{90, 90, 90, 255}, 3) {
				t.Errorf("got %v, want gray 90", c)
			}
		})
	}
}

// TestProcessEverySharedFile runs every shared photo through Process and
// checks that each size and format decodes, fits its box and keeps the
// shape of the large variant.
func TestProcessEverySharedFile(t *testing.T) {
	boxes := map[string]int{}
	for _, s := range outputSizes {
		boxes[s.name] = s.box
	}
	for _, path := range sharedPhotos(t, "*/*") {
		name := filepath.Base(filepath.Dir(path)) + "/" + filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			res := mustProcess(t, readFile(t, path))
			large := mustVariant(t, res, SizeLarge, FormatJPEG)
			for _, v := range res.Variants {
				decodeVariant(t, v)
				if v.Width > boxes[v.Size] || v.Height > boxes[v.Size] {
					t.Errorf("%s %s variant: got %dx%d, want within %d", v.Size, v.Format, v.Width, v.Height, boxes[v.Size])
				}
				// Rounding each side to whole pixels moves the ratio by
				// at most one pixel's worth.
				if d := absDiff(v.Width*large.Height, v.Height*large.Width); d > large.Width+large.Height {
					t.Errorf("%s %s variant: got %dx%d, want the shape of the %dx%d large variant", v.Size, v.Format, v.Width, v.Height, large.Width, large.Height)
				}
			}
		})
	}
}

// TestScaleAllMatchesDirectScaling checks that scaling each size from the
// next larger one, as scaleAll does, looks like scaling the original.
func TestScaleAllMatchesDirectScaling(t *testing.T) {
	src := decodeSharedOrSynthetic(t)
	scaled := make([]*image.RGBA, len(outputSizes))
	scaleAll(src, 1, nil, func(i int, img *image.RGBA) { scaled[i] = img })
	for i, s := range outputSizes {
		got := scaled[i]
		direct := resample(src, got.Rect.Dx(), got.Rect.Dy())
		// The phone photo differs by 0.24 to 0.44 levels, and photoLike by
		// 0.18 at most.
		if d := meanAbsDiff(got, direct); d > 0.5 {
			t.Errorf("%s: mean abs diff from direct scaling: got %.2f, want at most 0.5", s.name, d)
		}
	}
}

// decodeSharedOrSynthetic returns the phone photo, or a synthetic image of
// its size when the shared photos are absent.
func decodeSharedOrSynthetic(t *testing.T) image.Image {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sharedImages, "phone/iphone_hdr.jpg"))
	if err != nil {
		t.Logf("shared test photo %s/phone/iphone_hdr.jpg next to the repository is absent, so a synthetic image stands in", sharedImagesFromRepo)
		return photoLike(3264, 2448)
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// photoLike returns an image with what photos have: smooth gradients,
// hard edges and a little sensor noise. Pure noise has far more detail
// than any photo, so scalers differ on it more than on real pictures.
func photoLike(w, h int) *image.RGBA {
	rng := rand.New(rand.NewPCG(3, 4))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			r := float64(x) * 255 / float64(w)
			g := 128 + 100*math.Sin(float64(x)/97)*math.Cos(float64(y)/71)
			b := 60.0
			// Hard-edged blocks in a diagonal pattern, like windows or tiles.
			if (x/400+y/300)%4 == 0 {
				b = 220
			}
			n := float64(rng.IntN(17) - 8)
			m.SetRGBA(x, y, color.RGBA{clampByte(r + n), clampByte(g + n), clampByte(b + n), 255})
		}
	}
	return m
}

func clampByte(v float64) uint8 {
	return uint8(math.Max(0, math.Min(255, math.Round(v))))
}

func TestProcessRejectsExtremeStrips(t *testing.T) {
	for _, size := range [][2]int{{1, 50_000_000}, {40_000, 10}} {
		img := image.NewGray(image.Rect(0, 0, size[0], size[1]))
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		_, err := Process(buf.Bytes(), DefaultLimits())
		if !errors.Is(err, ErrTooManyPixels) {
			t.Errorf("%d×%d: got %v, want ErrTooManyPixels", size[0], size[1], err)
		}
	}
}
