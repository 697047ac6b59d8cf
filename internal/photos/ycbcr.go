package photos

import (
	"image"
	"image/color"
	"math"
)

// yuvImage is a decoded YCbCr picture whose conversion to RGB follows the
// matrix and range its format declares. image.YCbCr always converts with
// the full-range BT.601 matrix of JPEG (JFIF), which makes the limited-range
// YCbCr of WebP and most HEVC streams look washed out.
type yuvImage struct {
	planes      *image.YCbCr // Cb and Cr are nil for a monochrome picture
	alpha       []uint8      // non-premultiplied, nil when opaque
	alphaStride int
	conv        *yuvConverter
}

func newYUVImage(planes *image.YCbCr, alpha []uint8, alphaStride int, conv *yuvConverter) *yuvImage {
	return &yuvImage{planes: planes, alpha: alpha, alphaStride: alphaStride, conv: conv}
}

func (m *yuvImage) Bounds() image.Rectangle { return m.planes.Rect }

func (m *yuvImage) ColorModel() color.Model { return color.NRGBAModel }

// At is the slow path for callers outside this package's row reader.
func (m *yuvImage) At(x, y int) color.Color {
	if !image.Pt(x, y).In(m.planes.Rect) {
		return color.NRGBA{}
	}
	row := make([]uint8, 3*m.planes.Rect.Dx())
	m.readRow(y, row)
	i := 3 * (x - m.planes.Rect.Min.X)
	a := uint8(0xFF)
	if m.alpha != nil {
		a = m.alpha[(y-m.planes.Rect.Min.Y)*m.alphaStride+x-m.planes.Rect.Min.X]
	}
	return color.NRGBA{row[i], row[i+1], row[i+2], a}
}

// readRow converts row y to packed RGB without touching alpha.
func (m *yuvImage) readRow(y int, dst []uint8) {
	p := m.planes
	b := p.Rect
	yRow := p.Y[(y-b.Min.Y)*p.YStride:]
	if p.Cb == nil {
		for x := 0; x < b.Dx(); x++ {
			dst[3*x], dst[3*x+1], dst[3*x+2] = m.conv.rgb(yRow[x], 128, 128)
		}
		return
	}
	xShift, yShift := chromaShifts(p.SubsampleRatio)
	cRow := (y>>yShift - b.Min.Y>>yShift) * p.CStride
	cb, cr := p.Cb[cRow:], p.Cr[cRow:]
	cx0 := b.Min.X >> xShift
	for x := 0; x < b.Dx(); x++ {
		ci := (b.Min.X+x)>>xShift - cx0
		dst[3*x], dst[3*x+1], dst[3*x+2] = m.conv.rgb(yRow[x], cb[ci], cr[ci])
	}
}

// rows returns a rowReader that also flattens any alpha onto white, the
// page background behind listing photos.
func (m *yuvImage) rows() rowReader {
	if m.alpha == nil {
		return m.readRow
	}
	b := m.planes.Rect
	return func(y int, dst []uint8) {
		m.readRow(y, dst)
		alpha := m.alpha[(y-b.Min.Y)*m.alphaStride:]
		for x := 0; x < b.Dx(); x++ {
			a := uint32(alpha[x])
			if a == 0xFF {
				continue
			}
			bg := 255 * (255 - a)
			for c := 3 * x; c < 3*x+3; c++ {
				dst[c] = uint8((uint32(dst[c])*a + bg + 127) / 255)
			}
		}
	}
}

// chromaShifts returns log2 of the horizontal and vertical chroma
// subsampling factors. Their shifts equal image.YCbCr.COffset's divisions
// only for non-negative coordinates, which every decoder here produces.
func chromaShifts(ratio image.YCbCrSubsampleRatio) (xShift, yShift int) {
	switch ratio {
	case image.YCbCrSubsampleRatio422:
		return 1, 0
	case image.YCbCrSubsampleRatio420:
		return 1, 1
	case image.YCbCrSubsampleRatio440:
		return 0, 1
	case image.YCbCrSubsampleRatio411:
		return 2, 0
	case image.YCbCrSubsampleRatio410:
		return 2, 1
	}
	return 0, 0
}

// yuvFixedBits is the number of fractional bits in yuvConverter's tables.
const yuvFixedBits = 16

// yuvConverter turns 8-bit YCbCr into RGB by table lookups, one table per
// term of the conversion, in fixed point with yuvFixedBits fraction bits.
type yuvConverter struct {
	luma       [256]int32 // includes the rounding bias
	crR, cbB   [256]int32
	crG, cbG   [256]int32
	identityGB bool // matrix 0: Y is green, Cb blue and Cr red
}

// newYUVConverter derives the tables from the matrix coefficients and range
// of the code points (H.273 section 8.3). Limited range puts black at 16 and
// white at 235 for luma, and spans 16 to 240 for chroma.
func newYUVConverter(signal cicp) *yuvConverter {
	c := &yuvConverter{identityGB: signal.matrix == 0}
	lumaOffset, lumaScale, chromaScale := 0.0, 1.0, 1.0
	if !signal.fullRange {
		lumaOffset, lumaScale, chromaScale = 16, 255.0/219, 255.0/224
	}
	kr, kb := signal.lumaCoefficients()
	kg := 1 - kr - kb
	fixed := func(v float64) int32 { return int32(math.Round(v * (1 << yuvFixedBits))) }
	for i := range 256 {
		y := (float64(i) - lumaOffset) * lumaScale
		chroma := (float64(i) - 128) * chromaScale
		c.luma[i] = fixed(y) + 1<<(yuvFixedBits-1)
		c.crR[i] = fixed(2 * (1 - kr) * chroma)
		c.cbB[i] = fixed(2 * (1 - kb) * chroma)
		c.crG[i] = fixed(-2 * kr * (1 - kr) / kg * chroma)
		c.cbG[i] = fixed(-2 * kb * (1 - kb) / kg * chroma)
	}
	return c
}

func (c *yuvConverter) rgb(y, cb, cr uint8) (r, g, b uint8) {
	if c.identityGB {
		// Every channel is scaled as luma is.
		return clampYUV(c.luma[cr]), clampYUV(c.luma[y]), clampYUV(c.luma[cb])
	}
	l := c.luma[y]
	return clampYUV(l + c.crR[cr]), clampYUV(l + c.crG[cr] + c.cbG[cb]), clampYUV(l + c.cbB[cb])
}

func clampYUV(v int32) uint8 {
	v >>= yuvFixedBits
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}
