package photos

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"testing"
)

func TestSniff(t *testing.T) {
	var gifData bytes.Buffer
	if err := gif.Encode(&gifData, image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.White}), nil); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		head       []byte
		wantFormat string
		wantOK     bool
	}{
		{"jpeg", encodeJPEG(t, quadrants(8, 8)), "jpeg", true},
		{"png", encodePNG(t, quadrants(8, 8)), "png", true},
		{"jpeg SOI alone", []byte{0xFF, 0xD8}, "", false},
		{"png signature cut short", []byte("\x89PNG\r\n"), "", false},
		{"empty", nil, "", false},
		{"gif", gifData.Bytes(), "", false},
		{"webp", []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), "", false},
		{"heic", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00heicmif1"), "", false},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "", false},
		{"html", []byte("<!DOCTYPE html><html><body>hi</body></html>"), "", false},
		{"pdf", []byte("%PDF-1.7\n"), "", false},
		{"jpeg after leading space", append([]byte(" "), encodeJPEG(t, quadrants(8, 8))...), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			format, ok := Sniff(tt.head)
			if format != tt.wantFormat || ok != tt.wantOK {
				t.Errorf("Sniff: got (%q, %v), want (%q, %v)", format, ok, tt.wantFormat, tt.wantOK)
			}
		})
	}
}

func TestSniffLenCoversEveryMagic(t *testing.T) {
	for _, f := range inputFormats {
		if len(f.magic) > SniffLen {
			t.Errorf("%s: magic is %d bytes, want at most SniffLen (%d)", f.name, len(f.magic), SniffLen)
		}
		if format, ok := Sniff(f.magic); format != f.name || !ok {
			t.Errorf("Sniff(%s magic): got (%q, %v), want (%q, true)", f.name, format, ok, f.name)
		}
	}
}
