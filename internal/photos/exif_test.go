package photos

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestJPEGOrientationSynthetic(t *testing.T) {
	base := encodeJPEG(t, quadrants(16, 8))
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for want := 1; want <= 8; want++ {
			t.Run(fmt.Sprintf("%v/%d", order, want), func(t *testing.T) {
				data := insertAfterSOI(base, exifSegment(uint16(want), order))
				if got := jpegOrientation(data); got != want {
					t.Errorf("jpegOrientation: got %d, want %d", got, want)
				}
			})
		}
	}
}

func TestJPEGOrientationRealFiles(t *testing.T) {
	for _, path := range sharedPhotos(t, "orientation/*.jpg") {
		// The files are named landscape_N.jpg or portrait_N.jpg, where N is
		// the EXIF Orientation they carry.
		name := strings.TrimSuffix(filepath.Base(path), ".jpg")
		want := int(name[len(name)-1] - '0')
		t.Run(name, func(t *testing.T) {
			if got := jpegOrientation(readFile(t, path)); got != want {
				t.Errorf("jpegOrientation: got %d, want %d", got, want)
			}
		})
	}
}

func TestJPEGOrientationDefaultsToUpright(t *testing.T) {
	base := encodeJPEG(t, quadrants(16, 8))
	valid := exifSegment(6, binary.BigEndian)

	// withTIFF returns base with an Exif APP1 whose TIFF data is tiff.
	withTIFF := func(tiff []byte) []byte {
		payload := append([]byte("Exif\x00\x00"), tiff...)
		seg := []byte{0xFF, markerAPP1, 0, 0}
		binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
		return insertAfterSOI(base, append(seg, payload...))
	}
	validTIFF := valid[4+6:]
	patched := func(offset int, b ...byte) []byte {
		tiff := append([]byte{}, validTIFF...)
		copy(tiff[offset:], b)
		return withTIFF(tiff)
	}

	tests := []struct {
		name string
		data []byte
	}{
		{"no exif", base},
		{"empty input", nil},
		{"not a jpeg", []byte("<html>")},
		{"soi only", []byte{0xFF, 0xD8}},
		{"segment length past end", append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF}, "Exif\x00\x00MM"...)},
		{"segment length below two", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 0xFF, 0xD9}},
		{"exif header only", withTIFF(nil)},
		{"unknown byte order", patched(0, 'X', 'X')},
		{"wrong magic number", patched(2, 0, 43)},
		{"ifd offset past end", patched(4, 0xFF, 0xFF, 0xFF, 0xF0)},
		{"entry count past end", patched(8, 0x7F, 0xFF)},
		{"orientation zero", patched(18, 0, 0)},
		{"orientation nine", patched(18, 0, 9)},
		{"orientation as ascii", patched(12, 0, 2)},
		{"orientation count zero", patched(14, 0, 0, 0, 0)},
		{"exif after start of scan", append(append([]byte{}, base...), valid...)},
		{"xmp app1 instead of exif", insertAfterSOI(base, append([]byte{0xFF, 0xE1, 0x00, 0x0A}, "http://n"...))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jpegOrientation(tt.data); got != 1 {
				t.Errorf("jpegOrientation: got %d, want 1", got)
			}
		})
	}
}

func TestJPEGOrientationSkipsOtherSegments(t *testing.T) {
	base := encodeJPEG(t, quadrants(16, 8))
	xmp := append([]byte{0xFF, 0xE1, 0x00, 0x0A}, "http://n"...)
	comment := append([]byte{0xFF, 0xFE, 0x00, 0x07}, "hello"...)
	// Fill bytes (extra 0xFF) before a marker are legal.
	exif := append([]byte{0xFF, 0xFF}, exifSegment(8, binary.LittleEndian)...)

	data := insertAfterSOI(base, append(append(append([]byte{}, xmp...), comment...), exif...))
	if got := jpegOrientation(data); got != 8 {
		t.Errorf("jpegOrientation: got %d, want 8", got)
	}
}

func TestTIFFOrientationLongType(t *testing.T) {
	seg := exifSegment(0, binary.LittleEndian)
	tiff := seg[4+6:]
	binary.LittleEndian.PutUint16(tiff[12:], tiffLong)
	binary.LittleEndian.PutUint32(tiff[18:], 3)
	if got := tiffOrientation(tiff); got != 3 {
		t.Errorf("tiffOrientation: got %d, want 3", got)
	}
}
