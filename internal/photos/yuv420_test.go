package photos

import (
	"image"
	"image/color"
	"testing"
	"unsafe"
)

func TestToYUV420RoundTrips(t *testing.T) {
	// Flat 2×2 blocks keep chroma subsampling out of the comparison, so
	// converting there and back must land within rounding of the input.
	colors := []color.RGBA{
		{0, 0, 0, 255}, {255, 255, 255, 255}, {220, 30, 30, 255}, {30, 200, 30, 255},
		{30, 30, 220, 255}, {128, 128, 128, 255}, {230, 220, 40, 255}, {12, 34, 56, 255},
	}
	img := image.NewRGBA(image.Rect(0, 0, 2*len(colors), 3))
	for i, c := range colors {
		for y := range 3 {
			img.SetRGBA(2*i, y, c)
			img.SetRGBA(2*i+1, y, c)
		}
	}

	yuv := toYUV420(img)
	if got := len(yuv.Y) + len(yuv.Cb) + len(yuv.Cr) + len(yuv.A); got != 2*16*3+2*8*2 {
		t.Fatalf("planes: got %d bytes, want %d", got, 2*16*3+2*8*2)
	}
	// The library passes the planes to libwebp as one buffer.
	follows := func(a, b []uint8) bool { return unsafe.Add(unsafe.Pointer(&a[0]), len(a)) == unsafe.Pointer(&b[0]) }
	if !follows(yuv.Y, yuv.Cb) || !follows(yuv.Cb, yuv.Cr) || !follows(yuv.Cr, yuv.A) {
		t.Fatal("planes are not contiguous in the order Y, Cb, Cr, A")
	}

	back := newYUVImage(&yuv.YCbCr, yuv.A, yuv.AStride, webpYUV)
	for i, c := range colors {
		for y := range 3 {
			if got := back.At(2*i, y); !colorNear(got, c, 2) {
				t.Errorf("color %v at row %d: got %v after the round trip", c, y, got)
			}
		}
	}
	for _, a := range yuv.A {
		if a != 0xFF {
			t.Fatalf("alpha: got %d, want 255 everywhere", a)
		}
	}
}
