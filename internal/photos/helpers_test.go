package photos

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/gen2brain/webp"
)

// sharedImages is the folder of real camera and phone photos used by the
// tests. The photos are licensed for use by path only, so they are never
// copied into the repository.
const sharedImages = "../../../shared/data/images"

// sharedImagesFromRepo is sharedImages as seen from the repository root,
// for skip messages.
const sharedImagesFromRepo = "../shared/data/images"

// sharedPhotos returns the paths matching pattern inside sharedImages, or
// skips the test when the folder is absent.
func sharedPhotos(t testing.TB, pattern string) []string {
	t.Helper()
	if _, err := os.Stat(sharedImages); err != nil {
		t.Skipf("shared test photos are absent: %s next to the repository is missing", sharedImagesFromRepo)
	}
	paths, err := filepath.Glob(filepath.Join(sharedImages, pattern))
	if err != nil {
		t.Fatalf("glob %s: %v", pattern, err)
	}
	if len(paths) == 0 {
		t.Skipf("shared test photos are absent: nothing in %s next to the repository matches %s", sharedImagesFromRepo, pattern)
	}
	return paths
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// quadrants returns a w×h picture with a distinct color in each quadrant,
// so a wrong rotation or mirror moves colors to the wrong corner.
func quadrants(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetRGBA(x, y, quadrantColor(x < w/2, y < h/2))
		}
	}
	return m
}

func quadrantColor(left, top bool) color.RGBA {
	switch {
	case left && top:
		return color.RGBA{220, 30, 30, 255} // red
	case top:
		return color.RGBA{30, 200, 30, 255} // green
	case left:
		return color.RGBA{30, 30, 220, 255} // blue
	default:
		return color.RGBA{230, 220, 40, 255} // yellow
	}
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// exifSegment builds an APP1 Exif segment whose IFD0 holds only an
// Orientation tag of type SHORT, in the given byte order.
func exifSegment(orientation uint16, order binary.ByteOrder) []byte {
	tiff := make([]byte, 8+2+12+4)
	if order == binary.ByteOrder(binary.LittleEndian) {
		copy(tiff, "II")
	} else {
		copy(tiff, "MM")
	}
	order.PutUint16(tiff[2:], 42)
	order.PutUint32(tiff[4:], 8) // IFD0 right after the header
	order.PutUint16(tiff[8:], 1) // one entry
	entry := tiff[10:]
	order.PutUint16(entry[0:], tagOrientation)
	order.PutUint16(entry[2:], tiffShort)
	order.PutUint32(entry[4:], 1)
	order.PutUint16(entry[8:], orientation)
	// The last four bytes are the zero offset of the next IFD.

	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, markerAPP1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	return append(seg, payload...)
}

// insertAfterSOI returns a copy of a JPEG file with segment inserted right
// after its SOI marker.
func insertAfterSOI(jpegData, segment []byte) []byte {
	out := append([]byte{}, jpegData[:2]...)
	out = append(out, segment...)
	return append(out, jpegData[2:]...)
}

// jpegSegment is one marker segment of a JPEG file.
type jpegSegment struct {
	marker  byte
	payload []byte // bytes after the length field, nil for standalone markers
}

// parseJPEGSegments splits a JPEG file into its marker segments up to and
// including the first SOS, and returns the bytes that follow the EOI marker.
// Entropy-coded data is skipped, not returned, because it holds pixels only.
func parseJPEGSegments(data []byte) (segments []jpegSegment, trailer []byte, err error) {
	if len(data) < 4 || data[0] != 0xFF || data[1] != markerSOI {
		return nil, nil, errors.New("missing SOI marker")
	}
	pos := 2
	for {
		if pos+4 > len(data) || data[pos] != 0xFF {
			return nil, nil, fmt.Errorf("expected a marker at offset %d", pos)
		}
		marker := data[pos+1]
		length := int(binary.BigEndian.Uint16(data[pos+2:]))
		if length < 2 || pos+2+length > len(data) {
			return nil, nil, fmt.Errorf("segment %#x at offset %d overruns the file", marker, pos)
		}
		segments = append(segments, jpegSegment{marker: marker, payload: data[pos+4 : pos+2+length]})
		pos += 2 + length
		if marker == markerSOS {
			break
		}
	}

	// Scan forward to EOI. Inside entropy-coded data 0xFF is followed by
	// 0x00 (a stuffed byte) or by an RST marker; anything else is a marker.
	// Image/jpeg writes a single baseline scan, so the next marker is EOI.
	for ; pos+1 < len(data); pos++ {
		if data[pos] != 0xFF {
			continue
		}
		next := data[pos+1]
		if next == 0x00 || (next >= markerRST0 && next <= markerRST7) {
			pos++
			continue
		}
		if next != markerEOI {
			return nil, nil, fmt.Errorf("unexpected marker %#x after the scan at offset %d", next, pos)
		}
		segments = append(segments, jpegSegment{marker: markerEOI})
		return segments, data[pos+2:], nil
	}
	return nil, nil, errors.New("missing EOI marker")
}

// mustProcess runs Process with the default limits and fails the test on
// error or when a size or format is missing.
func mustProcess(t testing.TB, data []byte) Result {
	t.Helper()
	res, err := Process(data, DefaultLimits())
	if err != nil {
		t.Fatalf("Process: got error %v, want nil", err)
	}
	if want := 2 * len(outputSizes); len(res.Variants) != want {
		t.Fatalf("Process: got %d variants, want %d", len(res.Variants), want)
	}
	return res
}

// mustVariant returns the variant of the given size and format.
func mustVariant(t testing.TB, res Result, size, format string) Variant {
	t.Helper()
	v, ok := res.VariantIn(size, format)
	if !ok {
		t.Fatalf("VariantIn(%q, %q): not found", size, format)
	}
	return v
}

// decodeVariant decodes a variant's bytes as its format and checks that
// they are an image of the recorded size.
func decodeVariant(t testing.TB, v Variant) image.Image {
	t.Helper()
	var img image.Image
	var err error
	switch v.Format {
	case FormatJPEG:
		img, err = jpeg.Decode(bytes.NewReader(v.Data))
	case FormatWebP:
		img, err = decodeWebPOutput(v.Data)
	default:
		t.Fatalf("%s variant: unknown format %q", v.Size, v.Format)
	}
	if err != nil {
		t.Fatalf("%s %s variant: decode output: %v", v.Size, v.Format, err)
	}
	if got := img.Bounds().Size(); got != image.Pt(v.Width, v.Height) {
		t.Fatalf("%s %s variant: got decoded size %v, want %dx%d", v.Size, v.Format, got, v.Width, v.Height)
	}
	return img
}

// decodeWebPOutput decodes an opaque WebP file that Process wrote.
func decodeWebPOutput(data []byte) (image.Image, error) {
	if _, err := parseWebP(data); err != nil {
		return nil, err
	}
	img, err := webp.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	m, ok := img.(*image.NYCbCrA)
	if !ok {
		return nil, fmt.Errorf("libwebp returned %T", img)
	}
	return newYUVImage(&m.YCbCr, nil, 0, webpYUV), nil
}

// variantSize reads the size from a variant's header alone.
func variantSize(v Variant) (image.Point, error) {
	switch v.Format {
	case FormatJPEG:
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(v.Data))
		return image.Pt(cfg.Width, cfg.Height), err
	case FormatWebP:
		f, err := parseWebP(v.Data)
		if err != nil {
			return image.Point{}, err
		}
		return image.Pt(f.width, f.height), nil
	}
	return image.Point{}, fmt.Errorf("unknown format %q", v.Format)
}

// colorNear reports whether c is within tol of want on each RGB channel.
func colorNear(c color.Color, want color.RGBA, tol int) bool {
	r, g, b, _ := c.RGBA()
	return absDiff(int(r>>8), int(want.R)) <= tol &&
		absDiff(int(g>>8), int(want.G)) <= tol &&
		absDiff(int(b>>8), int(want.B)) <= tol
}

// meanAbsDiff returns the mean absolute difference per RGB channel between
// two images of the same size.
func meanAbsDiff(a, b image.Image) float64 {
	bounds := a.Bounds()
	var sum, n int
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			sum += absDiff(int(r1>>8), int(r2>>8)) + absDiff(int(g1>>8), int(g2>>8)) + absDiff(int(b1>>8), int(b2>>8))
			n += 3
		}
	}
	return float64(sum) / float64(n)
}
