package photos

import (
	"image"
	"math"
)

// toYUV420 converts an opaque RGBA image to limited-range BT.601 YCbCr
// 4:2:0, the form VP8 codes, with an opaque alpha plane. Each chroma sample
// is the mean of a 2×2 block. The four planes share one buffer in the order
// Y, Cb, Cr, A, which is the layout github.com/gen2brain/webp passes to
// libwebp without converting.
//
// Converting here saves libwebp's WebAssembly build from importing RGBA
// into a 32-bit ARGB copy and converting that, which takes memory in the
// module and time.
func toYUV420(img *image.RGBA) *image.NYCbCrA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	buf := make([]uint8, 2*w*h+2*cw*ch)
	yPlane, rest := buf[:w*h:w*h], buf[w*h:]
	cb, rest := rest[:cw*ch:cw*ch], rest[cw*ch:]
	cr, alpha := rest[:cw*ch:cw*ch], rest[cw*ch:]
	for i := range alpha {
		alpha[i] = 0xFF
	}

	parallelRows(ch, func(cy0, cy1 int) {
		for cy := cy0; cy < cy1; cy++ {
			for dy := range 2 {
				y := min(2*cy+dy, h-1)
				src := img.Pix[y*img.Stride:][:4*w]
				dst := yPlane[y*w:][:w]
				for x := range dst {
					p := src[4*x : 4*x+3 : 4*x+3]
					dst[x] = uint8((yuvEncodeY[0][p[0]] + yuvEncodeY[1][p[1]] + yuvEncodeY[2][p[2]]) >> yuvFixedBits)
				}
			}
			top := img.Pix[2*cy*img.Stride:][:4*w]
			bottom := img.Pix[min(2*cy+1, h-1)*img.Stride:][:4*w]
			for cx := range cw {
				// An odd last column or row pairs with itself.
				x0, x1 := 4*2*cx, 4*min(2*cx+1, w-1)
				var sum [3]int32
				for c := range 3 {
					sum[c] = int32(top[x0+c]) + int32(top[x1+c]) + int32(bottom[x0+c]) + int32(bottom[x1+c])
				}
				i := cy*cw + cx
				cb[i] = clampYUV((yuvEncodeCb[0]*sum[0]+yuvEncodeCb[1]*sum[1]+yuvEncodeCb[2]*sum[2])/4 + yuvChromaOffset)
				cr[i] = clampYUV((yuvEncodeCr[0]*sum[0]+yuvEncodeCr[1]*sum[1]+yuvEncodeCr[2]*sum[2])/4 + yuvChromaOffset)
			}
		}
	})
	return &image.NYCbCrA{
		YCbCr: image.YCbCr{
			Y: yPlane, Cb: cb, Cr: cr,
			YStride: w, CStride: cw,
			SubsampleRatio: image.YCbCrSubsampleRatio420,
			Rect:           image.Rect(0, 0, w, h),
		},
		A:       alpha,
		AStride: w,
	}
}

// The BT.601 limited-range encoding coefficients in yuvFixedBits fixed
// point, derived from the same Kr and Kb as the decoding in yuvConverter.
var (
	yuvEncodeY      [3][256]int32 // per channel, Y offset and rounding included in red
	yuvEncodeCb     [3]int32
	yuvEncodeCr     [3]int32
	yuvChromaOffset = int32(128<<yuvFixedBits + 1<<(yuvFixedBits-1))
)

func init() {
	const kr, kb = 0.299, 0.114
	kg := 1 - kr - kb
	fixed := func(v float64) int32 { return int32(math.Round(v * (1 << yuvFixedBits))) }
	lumaScale, chromaScale := 219.0/255, 224.0/255
	for v := range 256 {
		yuvEncodeY[0][v] = fixed(kr * lumaScale * float64(v))
		yuvEncodeY[1][v] = fixed(kg * lumaScale * float64(v))
		yuvEncodeY[2][v] = fixed(kb * lumaScale * float64(v))
	}
	for v := range 256 {
		yuvEncodeY[0][v] += fixed(16) + 1<<(yuvFixedBits-1)
	}
	// Cb is (B - Y) / (2(1 - Kb)) and Cr is (R - Y) / (2(1 - Kr)), scaled
	// to the 224 levels of limited-range chroma.
	cbScale := chromaScale / (2 * (1 - kb))
	crScale := chromaScale / (2 * (1 - kr))
	yuvEncodeCb = [3]int32{fixed(-kr * cbScale), fixed(-kg * cbScale), fixed((1 - kb) * cbScale)}
	yuvEncodeCr = [3]int32{fixed((1 - kr) * crScale), fixed(-kg * crScale), fixed(-kb * crScale)}
}
