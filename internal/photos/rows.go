package photos

import (
	"image"
	"image/color"
)

// rowReader converts one row of a decoded image to packed 8-bit RGB, three
// bytes per pixel, with any transparency flattened onto white. Listings show
// photos on a white page, so white is what a transparent area looked like to
// the person who uploaded it.
type rowReader func(y int, dst []uint8)

// newRowReader returns a rowReader for img. Each concrete type that the
// decoders in this package return gets a direct loop over its pixel buffer.
// Any other type goes through the slower RGBA64At interface.
func newRowReader(img image.Image) rowReader {
	b := img.Bounds()
	if m, ok := img.(*image.YCbCr); ok && b.Min.X >= 0 && b.Min.Y >= 0 {
		return yCbCrRows(m)
	}
	if m, ok := img.(*yuvImage); ok && b.Min.X >= 0 && b.Min.Y >= 0 {
		return m.rows()
	}
	switch m := img.(type) {
	case *image.Gray:
		return func(y int, dst []uint8) {
			src := m.Pix[m.PixOffset(b.Min.X, y):]
			for x := 0; x < b.Dx(); x++ {
				v := src[x]
				dst[3*x], dst[3*x+1], dst[3*x+2] = v, v, v
			}
		}
	case *image.CMYK:
		return func(y int, dst []uint8) {
			src := m.Pix[m.PixOffset(b.Min.X, y):]
			for x := 0; x < b.Dx(); x++ {
				s := src[4*x : 4*x+4]
				dst[3*x], dst[3*x+1], dst[3*x+2] = color.CMYKToRGB(s[0], s[1], s[2], s[3])
			}
		}
	case *image.RGBA:
		return func(y int, dst []uint8) {
			src := m.Pix[m.PixOffset(b.Min.X, y):]
			for x := 0; x < b.Dx(); x++ {
				s := src[4*x : 4*x+4]
				// Premultiplied: over white adds the uncovered share of 255.
				bg := 255 - s[3]
				dst[3*x] = addSaturated(s[0], bg)
				dst[3*x+1] = addSaturated(s[1], bg)
				dst[3*x+2] = addSaturated(s[2], bg)
			}
		}
	case *image.NRGBA:
		return func(y int, dst []uint8) {
			src := m.Pix[m.PixOffset(b.Min.X, y):]
			for x := 0; x < b.Dx(); x++ {
				s := src[4*x : 4*x+4]
				a := uint32(s[3])
				bg := 255 * (255 - a)
				dst[3*x] = uint8((uint32(s[0])*a + bg + 127) / 255)
				dst[3*x+1] = uint8((uint32(s[1])*a + bg + 127) / 255)
				dst[3*x+2] = uint8((uint32(s[2])*a + bg + 127) / 255)
			}
		}
	case *image.Paletted:
		// Index bytes outside the palette read as opaque black.
		var lut [256][3]uint8
		for i, c := range m.Palette {
			if i >= len(lut) {
				break
			}
			lut[i] = flattenRGBA64(color.RGBA64Model.Convert(c).(color.RGBA64))
		}
		return func(y int, dst []uint8) {
			src := m.Pix[m.PixOffset(b.Min.X, y):]
			for x := 0; x < b.Dx(); x++ {
				p := lut[src[x]]
				dst[3*x], dst[3*x+1], dst[3*x+2] = p[0], p[1], p[2]
			}
		}
	case image.RGBA64Image:
		return func(y int, dst []uint8) {
			for x := 0; x < b.Dx(); x++ {
				p := flattenRGBA64(m.RGBA64At(b.Min.X+x, y))
				dst[3*x], dst[3*x+1], dst[3*x+2] = p[0], p[1], p[2]
			}
		}
	default:
		return func(y int, dst []uint8) {
			for x := 0; x < b.Dx(); x++ {
				r, g, bl, a := img.At(b.Min.X+x, y).RGBA()
				p := flattenRGBA64(color.RGBA64{uint16(r), uint16(g), uint16(bl), uint16(a)})
				dst[3*x], dst[3*x+1], dst[3*x+2] = p[0], p[1], p[2]
			}
		}
	}
}

// addSaturated returns a+b capped at 255. A valid premultiplied color never
// needs the cap, but a color component above its alpha must not wrap around.
func addSaturated(a, b uint8) uint8 {
	if s := uint16(a) + uint16(b); s < 256 {
		return uint8(s)
	}
	return 255
}

// flattenRGBA64 composites a premultiplied 16-bit color over white and
// returns 8-bit RGB.
func flattenRGBA64(c color.RGBA64) [3]uint8 {
	bg := uint32(0xffff - c.A)
	return [3]uint8{
		uint8(min(uint32(c.R)+bg, 0xffff) >> 8),
		uint8(min(uint32(c.G)+bg, 0xffff) >> 8),
		uint8(min(uint32(c.B)+bg, 0xffff) >> 8),
	}
}

// yCbCrRows reads a YCbCr image, whose chroma planes may be subsampled.
// The chroma index follows the formula of image.YCbCr.COffset, written out
// per row so the inner loop makes no method calls. Its shifts equal that
// formula's divisions only for non-negative coordinates, which newRowReader
// checks.
func yCbCrRows(m *image.YCbCr) rowReader {
	b := m.Rect
	xShift, yShift := chromaShifts(m.SubsampleRatio)
	return func(y int, dst []uint8) {
		yRow := m.Y[(y-b.Min.Y)*m.YStride:]
		cRow := (y>>yShift - b.Min.Y>>yShift) * m.CStride
		cb := m.Cb[cRow:]
		cr := m.Cr[cRow:]
		cx0 := b.Min.X >> xShift
		for x := 0; x < b.Dx(); x++ {
			ci := (b.Min.X+x)>>xShift - cx0
			dst[3*x], dst[3*x+1], dst[3*x+2] = color.YCbCrToRGB(yRow[x], cb[ci], cr[ci])
		}
	}
}
