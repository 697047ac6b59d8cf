package photos

import "errors"

// Errors returned by Process and ReadLimited. Each is wrapped with technical
// detail for logs, so callers should match them with errors.Is and show the
// sentinel's own message to the person who uploaded the photo.
var (
	// ErrUnsupported means the bytes are not in a format this package
	// decodes, or use a feature that it cannot decode, such as a 12-bit
	// JPEG or an AVIF image inside a HEIF container.
	ErrUnsupported = errors.New("only JPEG, PNG, GIF, WebP and HEIC photos are accepted")

	// ErrTooLarge means the file exceeds Limits.MaxBytes.
	ErrTooLarge = errors.New("the photo file is too large; save it at a smaller size and try again")

	// ErrTooManyPixels means the header declares more than Limits.MaxPixels
	// pixels, so the photo is rejected before its pixels are decoded.
	ErrTooManyPixels = errors.New("the photo has too many pixels; resize it and try again")

	// ErrCorrupt means the file starts like a supported format but cannot be
	// decoded, for example because it is truncated.
	ErrCorrupt = errors.New("the photo is damaged or incomplete")
)
