package photos

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
)

// JPEG markers that matter when walking the segments before the image data.
const (
	markerSOI  = 0xD8
	markerEOI  = 0xD9
	markerSOS  = 0xDA
	markerAPP1 = 0xE1
	markerAPP2 = 0xE2
	markerTEM  = 0x01
	markerRST0 = 0xD0
	markerRST7 = 0xD7
)

func probeJPEG(data []byte) (header, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return header{}, err
	}
	return header{
		width:       cfg.Width,
		height:      cfg.Height,
		orientation: jpegOrientation(data),
		color:       colorSource{icc: jpegICCProfile(data)},
	}, nil
}

func decodeJPEG(data []byte, _ *header) (image.Image, error) {
	return jpeg.Decode(bytes.NewReader(data))
}

// walkJPEGSegments calls visit with the marker and payload of each segment
// before the start of scan, until visit returns false. It stops silently at
// the first malformed segment, because the metadata it serves is optional.
func walkJPEGSegments(data []byte, visit func(marker byte, payload []byte) bool) {
	if len(data) < 2 || data[0] != 0xFF || data[1] != markerSOI {
		return
	}
	pos := 2
	for {
		// A marker is 0xFF followed by a code. Any number of extra 0xFF fill
		// bytes may precede the code (ITU T.81, B.1.1.2).
		if pos >= len(data) || data[pos] != 0xFF {
			return
		}
		for pos < len(data) && data[pos] == 0xFF {
			pos++
		}
		if pos >= len(data) {
			return
		}
		marker := data[pos]
		pos++

		switch {
		case marker == markerSOS || marker == markerEOI:
			// Metadata lives in the header. Past this point is
			// entropy-coded data.
			return
		case marker == markerTEM || marker == markerSOI || (marker >= markerRST0 && marker <= markerRST7):
			// Standalone markers have no length field.
			continue
		}

		if pos+2 > len(data) {
			return
		}
		// The length counts its own two bytes but not the marker.
		length := int(binary.BigEndian.Uint16(data[pos:]))
		if length < 2 || pos+length > len(data) {
			return
		}
		segment := data[pos+2 : pos+length]
		pos += length

		if !visit(marker, segment) {
			return
		}
	}
}

var iccSegmentHeader = []byte("ICC_PROFILE\x00")

// jpegICCProfile reassembles the ICC profile that a JPEG file stores in
// APP2 segments, each holding a one-based sequence number, the chunk count
// and a piece of the profile (ICC.1:2022, annex B.4). It returns nil when
// there is none or the chunks are inconsistent, and the photo is then taken
// to be sRGB, as browsers do.
func jpegICCProfile(data []byte) []byte {
	var chunks [][]byte
	valid := true
	walkJPEGSegments(data, func(marker byte, payload []byte) bool {
		if marker != markerAPP2 || !bytes.HasPrefix(payload, iccSegmentHeader) {
			return true
		}
		rest := payload[len(iccSegmentHeader):]
		if len(rest) < 2 {
			valid = false
			return false
		}
		seq, count := int(rest[0]), int(rest[1])
		if chunks == nil {
			chunks = make([][]byte, count)
		}
		if count != len(chunks) || seq < 1 || seq > count || chunks[seq-1] != nil {
			valid = false
			return false
		}
		chunks[seq-1] = rest[2:]
		return true
	})
	if !valid || len(chunks) == 0 {
		return nil
	}
	var profile []byte
	for _, c := range chunks {
		if c == nil {
			return nil
		}
		profile = append(profile, c...)
	}
	return profile
}
