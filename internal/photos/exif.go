package photos

import (
	"bytes"
	"encoding/binary"
)

// JPEG markers that matter when walking the segments before the image data.
const (
	markerSOI  = 0xD8
	markerEOI  = 0xD9
	markerSOS  = 0xDA
	markerAPP1 = 0xE1
	markerTEM  = 0x01
	markerRST0 = 0xD0
	markerRST7 = 0xD7
)

// tagOrientation is the TIFF tag of the EXIF Orientation field in IFD0.
const tagOrientation = 0x0112

// TIFF field types that can carry the orientation value.
const (
	tiffShort = 3
	tiffLong  = 4
)

var exifHeader = []byte("Exif\x00\x00")

// jpegOrientation returns the EXIF Orientation (1 to 8) stored in the first
// APP1 Exif segment of a JPEG file. It returns 1, meaning "already upright",
// when the file has no such segment or the segment is malformed in any way,
// because a bad tag must not make an otherwise valid photo fail.
func jpegOrientation(data []byte) int {
	payload, ok := findExifPayload(data)
	if !ok {
		return 1
	}
	return tiffOrientation(payload)
}

// findExifPayload walks the JPEG marker segments up to the start of scan and
// returns the TIFF data of the first APP1 segment that starts with the Exif
// header.
func findExifPayload(data []byte) ([]byte, bool) {
	if len(data) < 2 || data[0] != 0xFF || data[1] != markerSOI {
		return nil, false
	}
	pos := 2
	for {
		// A marker is 0xFF followed by a code. Any number of extra 0xFF fill
		// bytes may precede the code (ITU T.81, B.1.1.2).
		if pos >= len(data) || data[pos] != 0xFF {
			return nil, false
		}
		for pos < len(data) && data[pos] == 0xFF {
			pos++
		}
		if pos >= len(data) {
			return nil, false
		}
		marker := data[pos]
		pos++

		switch {
		case marker == markerSOS || marker == markerEOI:
			// EXIF lives in the header. Past this point is entropy-coded data.
			return nil, false
		case marker == markerTEM || marker == markerSOI || (marker >= markerRST0 && marker <= markerRST7):
			// Standalone markers have no length field.
			continue
		}

		if pos+2 > len(data) {
			return nil, false
		}
		// The length counts its own two bytes but not the marker.
		length := int(binary.BigEndian.Uint16(data[pos:]))
		if length < 2 || pos+length > len(data) {
			return nil, false
		}
		segment := data[pos+2 : pos+length]
		pos += length

		if marker == markerAPP1 && bytes.HasPrefix(segment, exifHeader) {
			return segment[len(exifHeader):], true
		}
	}
}

// tiffOrientation reads the Orientation tag from IFD0 of a TIFF structure.
// Every offset is checked against the slice, so arbitrary bytes return 1
// instead of panicking.
func tiffOrientation(tiff []byte) int {
	if len(tiff) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 1
	}
	if order.Uint16(tiff[2:]) != 42 {
		return 1
	}

	// Offsets are relative to the start of the TIFF header. Comparing in
	// uint64 keeps a huge offset from wrapping around on 32-bit platforms.
	ifd := uint64(order.Uint32(tiff[4:]))
	if ifd+2 > uint64(len(tiff)) {
		return 1
	}
	count := uint64(order.Uint16(tiff[ifd:]))
	entries := ifd + 2
	// Each IFD entry is 12 bytes: tag, type, count and a 4-byte value field
	// that holds values of up to 4 bytes directly, left-justified. An entry
	// table that overruns the data means a truncated or corrupt IFD, and
	// none of its entries is trusted.
	if entries+count*12 > uint64(len(tiff)) {
		return 1
	}

	for i := uint64(0); i < count; i++ {
		e := tiff[entries+i*12 : entries+i*12+12]
		if order.Uint16(e[0:]) != tagOrientation {
			continue
		}
		if order.Uint32(e[4:]) < 1 {
			return 1
		}
		var value uint32
		switch order.Uint16(e[2:]) {
		case tiffShort:
			value = uint32(order.Uint16(e[8:]))
		case tiffLong:
			value = order.Uint32(e[8:])
		default:
			return 1
		}
		if value < 1 || value > 8 {
			return 1
		}
		return int(value)
	}
	return 1
}
