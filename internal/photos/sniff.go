package photos

import (
	"bytes"
	"encoding/binary"
	"image"
)

// inputFormat describes one accepted input format: how to recognize it from
// its leading bytes, how to read its header without decoding pixels, and how
// to decode it. Adding a format means adding one entry to inputFormats.
type inputFormat struct {
	name  string
	match func(head []byte) bool
	// probe reads the declared size, orientation and color information.
	// It must not decode pixels, because Process checks the size it
	// returns against Limits.MaxPixels before calling decode.
	probe  func(data []byte) (header, error)
	decode func(data []byte, h *header) (image.Image, error)
}

// inputFormats lists the accepted formats. Decoding goes through these
// functions rather than image.Decode, so a format registered with the image
// package elsewhere in the binary is still rejected here.
var inputFormats = []inputFormat{
	{
		// SOI marker followed by the 0xFF that starts the next marker.
		name:   "jpeg",
		match:  prefixMatcher("\xFF\xD8\xFF"),
		probe:  probeJPEG,
		decode: decodeJPEG,
	},
	{
		// The eight-byte PNG signature.
		name:   "png",
		match:  prefixMatcher("\x89PNG\r\n\x1a\n"),
		probe:  probePNG,
		decode: decodePNG,
	},
	{
		// Both versions of the six-byte GIF signature.
		name: "gif",
		match: func(head []byte) bool {
			return bytes.HasPrefix(head, []byte("GIF87a")) || bytes.HasPrefix(head, []byte("GIF89a"))
		},
		probe:  probeGIF,
		decode: decodeGIF,
	},
	{
		// A RIFF container of form type WEBP (RFC 9649, section 2.4).
		name:   "webp",
		match:  isWebP,
		probe:  probeWebP,
		decode: decodeWebP,
	},
	{
		// An ISO base media file whose ftyp box names an HEVC image brand.
		name:   "heic",
		match:  isHEIC,
		probe:  probeHEIC,
		decode: decodeHEIC,
	},
}

// SniffLen is the number of leading bytes that Sniff needs to recognize
// every accepted format, so a caller can reject an upload after reading only
// that much. Only a HEIC file whose ftyp box lists its HEVC brand further in
// than that is missed, and Process, which reads the whole file, accepts it.
const SniffLen = 64

// Sniff detects the format of a file from its first bytes (at least SniffLen
// of them for a reliable result). It returns the format name ("jpeg", "png",
// "gif", "webp" or "heic") and true, or "" and false when the bytes are not an
// accepted format. File names and client-supplied content types are never
// consulted because a client controls both.
func Sniff(head []byte) (format string, ok bool) {
	f, ok := lookupFormat(head)
	if !ok {
		return "", false
	}
	return f.name, true
}

func lookupFormat(head []byte) (inputFormat, bool) {
	for _, f := range inputFormats {
		if f.match(head) {
			return f, true
		}
	}
	return inputFormat{}, false
}

func prefixMatcher(magic string) func([]byte) bool {
	return func(head []byte) bool { return bytes.HasPrefix(head, []byte(magic)) }
}

// isWebP matches "RIFF", a four-byte size, "WEBP" and the first chunk's
// FourCC. Requiring one of the three image chunk types keeps other RIFF
// files with a WEBP form type out.
func isWebP(head []byte) bool {
	if len(head) < 16 || string(head[0:4]) != "RIFF" || string(head[8:12]) != "WEBP" {
		return false
	}
	switch string(head[12:16]) {
	case "VP8 ", "VP8L", "VP8X":
		return true
	}
	return false
}

// heicBrands are the ftyp brands of HEIF files whose images are coded with
// HEVC (ISO/IEC 23008-12, annex B). The general brands mif1 and msf1 are not
// enough on their own, because AVIF files carry mif1 as well.
var heicBrands = []string{"heic", "heix", "heim", "heis"}

// isHEIC matches a leading ftyp box whose major brand or one of whose
// compatible brands is an HEVC image brand. Only the part of the box present
// in head is searched.
func isHEIC(head []byte) bool {
	if len(head) < 16 || string(head[4:8]) != "ftyp" {
		return false
	}
	size := int(binary.BigEndian.Uint32(head))
	if size < 16 {
		return false
	}
	box := head[:min(size, len(head))]
	// The major brand is at offset 8 and the compatible brands follow the
	// four-byte minor version at offset 12.
	brands := [][]byte{box[8:12]}
	for i := 16; i+4 <= len(box); i += 4 {
		brands = append(brands, box[i:i+4])
	}
	for _, b := range brands {
		for _, want := range heicBrands {
			if string(b) == want {
				return true
			}
		}
	}
	return false
}
