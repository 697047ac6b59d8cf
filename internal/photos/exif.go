package photos

import (
	"bytes"
	"encoding/binary"
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

// findExifPayload returns the TIFF data of the first APP1 segment before
// the start of scan that starts with the Exif header.
func findExifPayload(data []byte) ([]byte, bool) {
	var payload []byte
	found := false
	walkJPEGSegments(data, func(marker byte, segment []byte) bool {
		if marker == markerAPP1 && bytes.HasPrefix(segment, exifHeader) {
			payload, found = segment[len(exifHeader):], true
			return false
		}
		return true
	})
	return payload, found
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
