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
	heicHead := []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")
	mif1First := []byte("\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1miafheic")
	avif := []byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf")

	tests := []struct {
		name       string
		head       []byte
		wantFormat string
		wantOK     bool
	}{
		{"jpeg", encodeJPEG(t, quadrants(8, 8)), "jpeg", true},
		{"png", encodePNG(t, quadrants(8, 8)), "png", true},
		{"gif89a", gifData.Bytes(), "gif", true},
		{"gif87a", []byte("GIF87a\x01\x00\x01\x00"), "gif", true},
		{"webp lossy", []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), "webp", true},
		{"webp lossless", []byte("RIFF\x24\x00\x00\x00WEBPVP8L"), "webp", true},
		{"webp extended", []byte("RIFF\x24\x00\x00\x00WEBPVP8X"), "webp", true},
		{"heic major brand", heicHead, "heic", true},
		{"heic compatible brand", mif1First, "heic", true},
		{"jpeg SOI alone", []byte{0xFF, 0xD8}, "", false},
		{"png signature cut short", []byte("\x89PNG\r\n"), "", false},
		{"gif signature of unknown version", []byte("GIF90a\x01\x00\x01\x00"), "", false},
		{"riff wave", []byte("RIFF\x24\x00\x00\x00WAVEfmt "), "", false},
		{"riff webp of unknown chunk", []byte("RIFF\x24\x00\x00\x00WEBPABCD"), "", false},
		{"avif", avif, "", false},
		{"ftyp box of 8 bytes", []byte("\x00\x00\x00\x08ftypheic\x00\x00\x00\x00"), "", false},
		{"empty", nil, "", false},
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

func TestSniffLenCoversRealFiles(t *testing.T) {
	for _, path := range sharedPhotos(t, "*/*") {
		data := readFile(t, path)
		want, wantOK := Sniff(data)
		got, ok := Sniff(data[:min(len(data), SniffLen)])
		if got != want || ok != wantOK {
			t.Errorf("%s: got (%q, %v) from %d bytes, want (%q, %v) as from the whole file", path, got, ok, SniffLen, want, wantOK)
		}
	}
}
