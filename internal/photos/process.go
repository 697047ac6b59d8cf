// Package photos turns one uploaded photo into re-encoded JPEG sizes that are
// safe to publish.
//
// Only the pixels survive. The input is decoded, turned upright according to
// its EXIF orientation, scaled and encoded again with image/jpeg, so EXIF
// (including GPS position), XMP, IPTC, ICC profiles and comments are all
// dropped. Each output is named by the SHA-256 of its bytes.
//
// NOTE: Dropping the ICC profile means photos in a wide-gamut space, such as
// the Display P3 of recent iPhones, are shown as if they were sRGB and look
// slightly less saturated. No color conversion is done.
package photos

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
)

// Limits bounds the input that Process accepts. A zero field takes its value
// from DefaultLimits.
type Limits struct {
	MaxBytes  int64 // maximum file size in bytes
	MaxPixels int   // maximum width×height declared in the header
}

// DefaultLimits returns 20 MiB and 50 megapixels.
//
// NOTE: The pixel limit is what bounds decoding memory, and at 50 megapixels
// that memory is large. An 8-bit RGBA PNG decodes to 200 MB. A progressive
// JPEG without chroma subsampling needs about 15 bytes per pixel in
// image/jpeg, and a 49-megapixel one of 2.6 MB peaked at 810 MB RSS and took
// 9 s to process. Size the caller's concurrency limit for that case.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 20 << 20, MaxPixels: 50_000_000}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = d.MaxPixels
	}
	return l
}

// Output sizes. Each variant fits within a square box of the given side.
const (
	SizeThumb = "thumb"
	SizeLarge = "large"

	thumbBox = 400
	largeBox = 1600
)

// jpegQuality is the image/jpeg quality of every output. On 1600×1200 phone
// photos it gives about half the bytes of quality 95 (220–350 KB against
// 490–690 KB).
const jpegQuality = 82

// Variant is one re-encoded size of a photo.
type Variant struct {
	Size          string // SizeThumb or SizeLarge
	Key           string // hex SHA-256 of Data followed by ".jpg"
	ContentType   string // always "image/jpeg"
	Width, Height int
	Data          []byte
}

// Result is the outcome of processing one photo.
type Result struct {
	Format   string    // detected input format: "jpeg" or "png"
	Variants []Variant // thumb first, then large
}

// Variant returns the variant of the given size (SizeThumb or SizeLarge).
func (r Result) Variant(size string) (Variant, bool) {
	for _, v := range r.Variants {
		if v.Size == size {
			return v, true
		}
	}
	return Variant{}, false
}

// ReadLimited reads an upload of at most maxBytes bytes and returns
// ErrTooLarge as soon as the reader yields more, so an oversized upload is
// never held in memory whole.
func ReadLimited(r io.Reader, maxBytes int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("%w (more than %d bytes)", ErrTooLarge, maxBytes)
	}
	return data, nil
}

// Process decodes one uploaded JPEG or PNG and returns its thumb and large
// variants as freshly encoded JPEGs. It is safe for concurrent use.
//
// A 3264×2448 baseline JPEG allocates about 48 MB in all, and the same photo
// saved as progressive JPEG about 96 MB, most of it in image/jpeg's
// coefficient buffers (BenchmarkProcessPhone and a progressive copy, Go 1.26).
//
// Errors wrap ErrUnsupported, ErrTooLarge, ErrTooManyPixels or ErrCorrupt.
func Process(data []byte, lim Limits) (Result, error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxBytes {
		return Result{}, fmt.Errorf("%w (%d bytes, limit %d)", ErrTooLarge, len(data), lim.MaxBytes)
	}
	format, ok := lookupFormat(data)
	if !ok {
		return Result{}, ErrUnsupported
	}

	img, err := decode(format, data, lim.MaxPixels)
	if err != nil {
		return Result{}, err
	}

	// NOTE: A PNG may carry EXIF in an eXIf chunk, but it is not read, so
	// PNGs are always used as stored.
	orientation := 1
	if format.name == "jpeg" {
		orientation = jpegOrientation(data)
	}

	// Scaling before turning the image upright means the turn moves at
	// most largeBox² pixels rather than the full photo. The box is square, so
	// fitting the stored size fits the upright size too.
	b := img.Bounds()
	w, h := fitBox(b.Dx(), b.Dy(), largeBox, largeBox)
	large := applyOrientation(resample(img, w, h), orientation)

	// The thumb is scaled from the large variant because shrinking 1600
	// pixels is far cheaper than shrinking the original again.
	w, h = fitBox(large.Rect.Dx(), large.Rect.Dy(), thumbBox, thumbBox)
	thumb := resample(large, w, h)

	res := Result{Format: format.name}
	for _, v := range []struct {
		size string
		img  *image.RGBA
	}{{SizeThumb, thumb}, {SizeLarge, large}} {
		variant, err := encodeVariant(v.size, v.img)
		if err != nil {
			return Result{}, err
		}
		res.Variants = append(res.Variants, variant)
	}
	return res, nil
}

// decode checks the declared size against maxPixels and only then decodes
// the pixels. Decoders panicking on hostile input are reported as ErrCorrupt
// rather than taking down the caller.
func decode(format inputFormat, data []byte, maxPixels int) (img image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("%w (%s decoder panicked: %v)", ErrCorrupt, format.name, r)
		}
	}()

	cfg, err := format.decodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, decodeError(format, err)
	}
	if err := checkPixels(cfg.Width, cfg.Height, maxPixels); err != nil {
		return nil, err
	}

	img, err = format.decode(bytes.NewReader(data))
	if err != nil {
		return nil, decodeError(format, err)
	}
	// The decoders allocate from the same header, so this only guards
	// against a decoder that disagrees with its own DecodeConfig.
	if err := checkPixels(img.Bounds().Dx(), img.Bounds().Dy(), maxPixels); err != nil {
		return nil, err
	}
	return img, nil
}

func checkPixels(w, h, maxPixels int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("%w (declared size %d×%d)", ErrCorrupt, w, h)
	}
	if int64(w)*int64(h) > int64(maxPixels) {
		return fmt.Errorf("%w (%d×%d, limit %d pixels)", ErrTooManyPixels, w, h, maxPixels)
	}
	return nil
}

// decodeError maps a decoder error to a sentinel. Both decoders report
// unsupported features, such as arithmetic-coded or 12-bit JPEG, with an
// UnsupportedError type and every other failure as malformed data.
func decodeError(format inputFormat, err error) error {
	// image/png reports a width×height that overflows its arithmetic this
	// way, before any limit of ours could see the size.
	if err == png.UnsupportedError("dimension overflow") {
		return fmt.Errorf("%w (%s: %v)", ErrTooManyPixels, format.name, err)
	}
	switch err.(type) {
	case jpeg.UnsupportedError, png.UnsupportedError:
		return fmt.Errorf("%w (%s: %v)", ErrUnsupported, format.name, err)
	}
	return fmt.Errorf("%w (%s: %v)", ErrCorrupt, format.name, err)
}

func encodeVariant(size string, img *image.RGBA) (Variant, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: jpegQuality}); err != nil {
		return Variant{}, fmt.Errorf("encode %s variant: %w", size, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return Variant{
		Size:        size,
		Key:         hex.EncodeToString(sum[:]) + ".jpg",
		ContentType: "image/jpeg",
		Width:       img.Rect.Dx(),
		Height:      img.Rect.Dy(),
		Data:        buf.Bytes(),
	}, nil
}
