package photos

import "image"

// halve returns img at half its width and height, rounded up, for a
// 4:2:0 YCbCr image whose chroma planes are already at that size. Each luma
// sample becomes the mean of a 2×2 block, and the chroma planes are shared,
// so the result is 4:4:4 YCbCr of the same type as img. It returns false for
// other images.
//
// Scaling a photo to half its size or less then converts a quarter as many
// pixels to RGB and filters a quarter as many, the same saving that libvips
// gets from shrinking JPEGs on load. A box filter followed by the
// Catmull-Rom resampler still averages every source pixel, so it aliases no
// more than the resampler alone.
func halve(img image.Image) (image.Image, bool) {
	switch m := img.(type) {
	case *image.YCbCr:
		if half, ok := halvePlanes(m); ok {
			return half, true
		}
	case *yuvImage:
		if m.alpha != nil || m.planes.Cb == nil {
			break
		}
		if half, ok := halvePlanes(m.planes); ok {
			return newYUVImage(half, nil, 0, m.conv), true
		}
	}
	return nil, false
}

func halvePlanes(m *image.YCbCr) (*image.YCbCr, bool) {
	if m.SubsampleRatio != image.YCbCrSubsampleRatio420 || m.Rect.Min != (image.Point{}) {
		return nil, false
	}
	w, h := m.Rect.Dx(), m.Rect.Dy()
	hw, hh := (w+1)/2, (h+1)/2
	half := &image.YCbCr{
		Y:              make([]uint8, hw*hh),
		Cb:             m.Cb,
		Cr:             m.Cr,
		YStride:        hw,
		CStride:        m.CStride,
		SubsampleRatio: image.YCbCrSubsampleRatio444,
		Rect:           image.Rect(0, 0, hw, hh),
	}
	parallelRows(hh, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			// An odd last row or column averages with itself.
			top := m.Y[2*y*m.YStride:][:w]
			bottom := m.Y[min(2*y+1, h-1)*m.YStride:][:w]
			dst := half.Y[y*hw:][:hw]
			for x := range dst {
				x0, x1 := 2*x, min(2*x+1, w-1)
				sum := uint(top[x0]) + uint(top[x1]) + uint(bottom[x0]) + uint(bottom[x1])
				dst[x] = uint8((sum + 2) / 4)
			}
		}
	})
	return half, true
}
