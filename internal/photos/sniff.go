package photos

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"io"
)

// inputFormat describes one accepted input format: how to recognize it from
// its leading bytes and how to decode it. Adding a format (GIF, WebP, HEIC)
// means adding one entry to inputFormats.
type inputFormat struct {
	name         string
	magic        []byte
	decodeConfig func(io.Reader) (image.Config, error)
	decode       func(io.Reader) (image.Image, error)
}

// inputFormats lists the accepted formats. Decoding goes through these
// functions rather than image.Decode, so a format registered with the image
// package elsewhere in the binary is still rejected here.
var inputFormats = []inputFormat{
	{
		// SOI marker followed by the 0xFF that starts the next marker.
		name:         "jpeg",
		magic:        []byte{0xFF, 0xD8, 0xFF},
		decodeConfig: jpeg.DecodeConfig,
		decode:       jpeg.Decode,
	},
	{
		// The eight-byte PNG signature.
		name:         "png",
		magic:        []byte("\x89PNG\r\n\x1a\n"),
		decodeConfig: png.DecodeConfig,
		decode:       png.Decode,
	},
}

// SniffLen is the number of leading bytes that Sniff needs to recognize
// every accepted format, so a caller can reject an upload after reading only
// that much.
const SniffLen = 8

// Sniff detects the format of a file from its first bytes (at least SniffLen
// of them for a reliable result). It returns the format name ("jpeg" or "png")
// and true, or "" and false when the bytes are not an accepted format. File
// names and client-supplied content types are never consulted because a
// client controls both.
func Sniff(head []byte) (format string, ok bool) {
	f, ok := lookupFormat(head)
	if !ok {
		return "", false
	}
	return f.name, true
}

func lookupFormat(head []byte) (inputFormat, bool) {
	for _, f := range inputFormats {
		if bytes.HasPrefix(head, f.magic) {
			return f, true
		}
	}
	return inputFormat{}, false
}
