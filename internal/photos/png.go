package photos

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"image"
	"image/png"
	"io"
)

// maxICCSize caps the decompressed size of an embedded ICC profile. Matrix
// profiles take a few kilobytes and LUT profiles rarely pass one megabyte,
// so anything larger is treated as a compression bomb and ignored.
const maxICCSize = 4 << 20

// probePNG reads the size from IHDR and the ICC profile from iCCP.
//
// NOTE: The gAMA and cHRM chunks and EXIF orientation in eXIf are not read,
// so a PNG without iCCP is taken to be upright sRGB.
func probePNG(data []byte) (header, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return header{}, err
	}
	return header{
		width:       cfg.Width,
		height:      cfg.Height,
		orientation: 1,
		color:       colorSource{icc: pngICCProfile(data)},
	}, nil
}

func decodePNG(data []byte, _ *header) (image.Image, error) {
	return png.Decode(bytes.NewReader(data))
}

// pngICCProfile returns the decompressed profile of the iCCP chunk that
// precedes the image data, or nil when there is none or it is malformed.
// Chunk CRCs are not checked here, because png.Decode checks them.
func pngICCProfile(data []byte) []byte {
	pos := 8 // past the signature
	for pos+8 <= len(data) {
		length := int64(binary.BigEndian.Uint32(data[pos:]))
		kind := string(data[pos+4 : pos+8])
		// Each chunk is length, type, data and a four-byte CRC.
		end := int64(pos) + 8 + length + 4
		if end > int64(len(data)) || kind == "IDAT" {
			return nil
		}
		if kind == "iCCP" {
			return inflateICCP(data[pos+8 : pos+8+int(length)])
		}
		pos = int(end)
	}
	return nil
}

// inflateICCP decodes the body of an iCCP chunk: a profile name of 1 to 79
// bytes, a NUL, the compression method (0, zlib) and the compressed profile.
func inflateICCP(body []byte) []byte {
	nul := bytes.IndexByte(body, 0)
	if nul < 1 || nul > 79 || nul+2 > len(body) || body[nul+1] != 0 {
		return nil
	}
	r, err := zlib.NewReader(bytes.NewReader(body[nul+2:]))
	if err != nil {
		return nil
	}
	defer r.Close()
	profile, err := io.ReadAll(io.LimitReader(r, maxICCSize+1))
	if err != nil || len(profile) > maxICCSize {
		return nil
	}
	return profile
}
