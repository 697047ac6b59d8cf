package photos

import (
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
)

// header contains the size, orientation and color information that a
// format's probe reads before any pixel is decoded.
type header struct {
	width, height int // stored size, before orientation

	// orientation is the EXIF orientation (1 to 8) that Process still has to
	// apply. It is 1 when the file has none, and for HEIC, whose decoder
	// applies the container's own rotation and mirroring.
	orientation int

	// codedPixels, when not 0, is the number of pixels that the decoder
	// will decode on the way to the image, which for a HEIC grid is the
	// sum of its tiles.
	codedPixels int64

	color colorSource

	heif *heifImage // parsed container, set by probeHEIC for decodeHEIC
	webp *webpFile  // parsed container, set by probeWebP for decodeWebP
}

// probeInput reads the header of data and checks the declared size against
// maxPixels, without decoding any pixel.
func probeInput(format inputFormat, data []byte, maxPixels int) (h header, err error) {
	defer recoverAsCorrupt(format, &err)

	h, err = format.probe(data)
	if err != nil {
		return header{}, decodeError(format, err)
	}
	if err := checkPixels(h.width, h.height, maxPixels); err != nil {
		return header{}, err
	}
	// Grid tiles may overhang the image's right and bottom edges, and an
	// alpha plane is a second coded image, so a valid file decodes up to
	// about twice the limit. A file that declares more is hostile.
	if h.codedPixels > 2*int64(maxPixels) {
		return header{}, fmt.Errorf("%w (%s: %d coded pixels for a %d×%d image, limit %d)", ErrTooManyPixels, format.name, h.codedPixels, h.width, h.height, 2*int64(maxPixels))
	}
	return h, nil
}

// decodeInput decodes the pixels of data, whose header probeInput read
// into h and checked.
func decodeInput(format inputFormat, data []byte, h *header, maxPixels int) (img image.Image, err error) {
	defer recoverAsCorrupt(format, &err)

	img, err = format.decode(data, h)
	if err != nil {
		return nil, decodeError(format, err)
	}
	// The decoders allocate from the same header, so this only guards
	// against a decoder that disagrees with the probe.
	if err := checkPixels(img.Bounds().Dx(), img.Bounds().Dy(), maxPixels); err != nil {
		return nil, err
	}
	return img, nil
}

// recoverAsCorrupt, deferred, reports a probe or decoder that panics on
// hostile input as ErrCorrupt rather than taking down the caller. That
// includes the Go wrappers of the WebAssembly builds of libwebp and
// libheif, which slice the module's memory by sizes the module reports.
// Traps inside the modules come back from wazero as errors.
func recoverAsCorrupt(format inputFormat, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w (%s decoder panicked: %v)", ErrCorrupt, format.name, r)
	}
}

// MaxSide is the longest side accepted, in pixels: wider than the widest
// phone panoramas (about 16,000), far below the strips that would make the
// scaling filters huge.
const MaxSide = 30_000

func checkPixels(w, h, maxPixels int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("%w (declared size %d×%d)", ErrCorrupt, w, h)
	}
	// A strip such as 1×50,000,000 stays under the pixel limit, but the
	// scaling filters for it grow with the length of its long side.
	if w > MaxSide || h > MaxSide {
		return fmt.Errorf("%w (%d×%d, limit %d pixels a side)", ErrTooManyPixels, w, h, MaxSide)
	}
	if int64(w)*int64(h) > int64(maxPixels) {
		return fmt.Errorf("%w (%d×%d, limit %d pixels)", ErrTooManyPixels, w, h, maxPixels)
	}
	return nil
}

// decodeError maps a decoder error to a sentinel. Errors that already wrap
// one pass through. The standard decoders report unsupported features, such
// as arithmetic-coded or 12-bit JPEG, with an UnsupportedError type, and
// every other failure is malformed data.
func decodeError(format inputFormat, err error) error {
	if isSentinelError(err) {
		return err
	}
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

func isSentinelError(err error) bool {
	for _, s := range []error{ErrUnsupported, ErrTooLarge, ErrTooManyPixels, ErrCorrupt} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
