// Package photos turns one uploaded photo into re-encoded JPEG and WebP
// sizes that are safe to publish.
//
// Only the pixels survive. The input (JPEG, PNG, GIF, WebP or HEIC) is
// decoded, turned upright, converted to sRGB, scaled and encoded again, so
// EXIF (including GPS position), XMP, IPTC, ICC profiles and comments are
// all dropped. Each output is named by the SHA-256 of its bytes.
//
// WebP and HEIC are decoded, and WebP encoded, by libwebp and libheif
// compiled to WebAssembly and run by wazero (github.com/gen2brain/webp and
// github.com/gen2brain/heic), so the package needs no cgo. Those libraries
// load a system libwebp.so or libheif.so instead when a dynamically linked
// binary finds one, which the build tag nodynamic prevents.
package photos

import (
	"fmt"
	"image"
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
// 9 s to process. HEIC decodes inside libheif's WebAssembly memory: a
// 27-megapixel one peaked at 547 MB and took 4.8 s, so a 50-megapixel one
// would need about 1 GB (an estimate from that and an 8.5-megapixel file at
// 243 MB). Size the caller's concurrency limit for those cases.
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
	SizeThumb  = "thumb"  // 400×400, for listings
	SizeMedium = "medium" // 1000×1000, for the post page on phones
	SizeLarge  = "large"  // 1600×1600, for the post page on larger screens
)

// Output formats.
const (
	FormatJPEG = "jpeg"
	FormatWebP = "webp"
)

// outputSizes lists the sizes from smallest to largest, the order of
// Result.Variants.
var outputSizes = []struct {
	name string
	box  int
}{
	{SizeThumb, 400},
	{SizeMedium, 1000},
	{SizeLarge, 1600},
}

// ScaledSize returns the width and height that Process gives size for a
// photo whose large size is largeW×largeH, or false for an unknown size.
// Each size is scaled from the next larger one, so the sizes are derived
// in the same order here.
func ScaledSize(size string, largeW, largeH int) (width, height int, ok bool) {
	w, h := largeW, largeH
	for i := len(outputSizes) - 1; i >= 0; i-- {
		w, h = fitBox(w, h, outputSizes[i].box, outputSizes[i].box)
		if outputSizes[i].name == size {
			return w, h, true
		}
	}
	return 0, 0, false
}

// Variant is one re-encoded size of a photo in one format.
type Variant struct {
	Size          string // SizeThumb, SizeMedium or SizeLarge
	Format        string // FormatJPEG or FormatWebP
	Key           string // hex SHA-256 of Data followed by ".jpg" or ".webp"
	ContentType   string // "image/jpeg" or "image/webp"
	Width, Height int
	Data          []byte
}

// Result is the outcome of processing one photo.
type Result struct {
	Format string // detected input format: "jpeg", "png", "gif", "webp" or "heic"
	// Variants holds every size in both formats, sizes from smallest to
	// largest and JPEG before WebP within a size.
	Variants []Variant
}

// Variant returns the JPEG variant of the given size.
func (r Result) Variant(size string) (Variant, bool) {
	return r.VariantIn(size, FormatJPEG)
}

// VariantIn returns the variant of the given size and format.
func (r Result) VariantIn(size, format string) (Variant, bool) {
	for _, v := range r.Variants {
		if v.Size == size && v.Format == format {
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

// Process decodes one uploaded photo and returns every size in JPEG and
// WebP. The format is detected from the bytes alone. It is safe for
// concurrent use.
//
// Each call uses up to GOMAXPROCS goroutines for scaling and encoding. For
// the cost in time and memory of a typical phone photo, see
// BenchmarkAllSizesPhone and docs/performance.md. The first call in a
// process that encodes WebP, and the first that decodes HEIC, also compile
// that WebAssembly module, which took about 0.3 s and 0.9 s there.
//
// Errors wrap ErrUnsupported, ErrTooLarge, ErrTooManyPixels or ErrCorrupt.
func Process(data []byte, lim Limits) (Result, error) {
	lim = lim.withDefaults()
	format, h, err := inspect(data, lim)
	if err != nil {
		return Result{}, err
	}
	img, err := decodeInput(format, data, &h, lim.MaxPixels)
	if err != nil {
		return Result{}, err
	}
	// A profile that cannot be converted leaves the pixels as they are,
	// which is what every browser shows for a photo without one.
	transform, _ := newColorTransform(h.color)

	// Each size starts encoding as soon as it is scaled, so the slowest
	// encode, the large WebP, overlaps the scaling of the smaller sizes.
	enc := newEncoder()
	scaleAll(img, h.orientation, transform, enc.submit)
	variants, err := enc.wait()
	if err != nil {
		return Result{}, err
	}
	return Result{Format: format.name, Variants: variants}, nil
}

// Info describes a photo as its header declares it.
type Info struct {
	Format        string // "jpeg", "png", "gif", "webp" or "heic"
	Width, Height int    // stored size in pixels, before EXIF orientation
}

// Check applies the checks that Process makes before decoding: the file
// size, the format detected from the bytes and the size declared in the
// header. It reads the container and headers but decodes no pixel, so a
// caller can reject a batch with one bad file before spending time on the
// others. A photo that passes may still fail in Process, for example when
// its image data is truncated.
//
// Errors wrap ErrUnsupported, ErrTooLarge, ErrTooManyPixels or ErrCorrupt.
func Check(data []byte, lim Limits) (Info, error) {
	format, h, err := inspect(data, lim.withDefaults())
	if err != nil {
		return Info{}, err
	}
	return Info{Format: format.name, Width: h.width, Height: h.height}, nil
}

// inspect makes the checks of Check and returns the format and header for
// decoding. lim must have its defaults applied.
func inspect(data []byte, lim Limits) (inputFormat, header, error) {
	if int64(len(data)) > lim.MaxBytes {
		return inputFormat{}, header{}, fmt.Errorf("%w (%d bytes, limit %d)", ErrTooLarge, len(data), lim.MaxBytes)
	}
	format, ok := lookupFormat(data)
	if !ok {
		return inputFormat{}, header{}, ErrUnsupported
	}
	h, err := probeInput(format, data, lim.MaxPixels)
	if err != nil {
		return inputFormat{}, header{}, err
	}
	return format, h, nil
}

// scaleAll calls emit with the upright sRGB picture for each of
// outputSizes, from the largest to the smallest, and i its index there.
// Sizes that the photo already fits get the same image.
func scaleAll(img image.Image, orientation int, transform *colorTransform, emit func(i int, img *image.RGBA)) {
	// Scaling before turning the image upright means the turn moves at
	// most the largest box's pixels rather than the full photo. The boxes
	// are square, so fitting the stored size fits the upright size too.
	// Color conversion also waits for the smaller image.
	b := img.Bounds()
	largest := outputSizes[len(outputSizes)-1].box
	w, h := fitBox(b.Dx(), b.Dy(), largest, largest)
	if 2*w <= b.Dx() && 2*h <= b.Dy() {
		if half, ok := halve(img); ok {
			img = half
		}
	}
	current := applyOrientation(resample(img, w, h), orientation)
	if transform != nil {
		transform.apply(current)
	}

	// Each smaller size is scaled from the next larger one, because
	// shrinking 1600 pixels is far cheaper than shrinking the original
	// again. On a 3264×2448 phone photo the result differs from scaling
	// the original directly by 0.2 levels on average.
	for i := len(outputSizes) - 1; i >= 0; i-- {
		box := outputSizes[i].box
		w, h := fitBox(current.Rect.Dx(), current.Rect.Dy(), box, box)
		if w != current.Rect.Dx() || h != current.Rect.Dy() {
			current = resample(current, w, h)
		}
		emit(i, current)
	}
}
