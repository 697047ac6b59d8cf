package photos

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// colorSource is a file's declaration of the color space of its pixels.
// With neither field set the pixels are taken to be sRGB, the assumption of
// browsers and of the web.
type colorSource struct {
	icc  []byte // embedded ICC profile
	cicp *cicp  // code points, used when icc is nil
}

// encodeSteps is the size of the table that encodes linear light as 8-bit
// sRGB. With 2^14 steps, the sRGB curve's steepest part, near black, moves
// less than a quarter of an 8-bit level per step.
const encodeSteps = 1 << 14

// colorTransform converts 8-bit RGB in a source color space to sRGB with
// relative colorimetric intent: white maps to white, and colors outside the
// sRGB gamut are clipped channel by channel.
type colorTransform struct {
	toLinear [3][256]float32
	matrix   [3][3]float32 // from source linear RGB to linear sRGB
	encode   [encodeSteps + 1]uint8
}

// errSRGB means the source is sRGB already, or so close that converting
// would change no pixel by more than one level.
var errSRGB = errors.New("source is sRGB")

// newColorTransform builds the conversion that a colorSource describes. It
// returns errSRGB when no conversion is needed. It returns another error
// for a source it cannot convert: an ICC profile that is malformed or not a
// matrix/TRC profile (LUT-based RGB, CMYK, Lab), or code points of an
// unknown or HDR space. Process then leaves the pixels as they are, which
// shows them as if they were sRGB.
func newColorTransform(src colorSource) (*colorTransform, error) {
	var curves [3]func(float64) float64
	var toPCS mat3
	gray := false

	switch {
	case src.icc != nil:
		p, err := parseICC(src.icc)
		if err != nil {
			return nil, err
		}
		curves, toPCS, gray = p.curves, p.toPCS, p.gray
	case src.cicp != nil:
		primaries, ok := src.cicp.rgbPrimaries()
		if src.cicp.primaries == 2 {
			primaries, ok = primariesSRGB, true
		}
		if !ok {
			return nil, fmt.Errorf("color primaries %d are not supported", src.cicp.primaries)
		}
		curve, ok := src.cicp.decodeTransfer()
		if src.cicp.transfer == 2 {
			curve, ok = srgbToLinear, true
		}
		if !ok {
			return nil, fmt.Errorf("transfer characteristics %d are not supported", src.cicp.transfer)
		}
		curves = [3]func(float64) float64{curve, curve, curve}
		toPCS = rgbToPCS(primaries)
	default:
		return nil, errSRGB
	}

	// A gray profile maps every value to the neutral axis, which is the same
	// in every RGB space, so only its curve needs converting.
	matrix := mat3{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}
	if !gray {
		pcsToSRGB, ok := rgbToPCS(primariesSRGB).inverse()
		if !ok {
			return nil, errors.New("sRGB matrix is singular")
		}
		matrix = pcsToSRGB.mul(toPCS)
	}

	t := &colorTransform{}
	for c := range 3 {
		for v := range 256 {
			t.toLinear[c][v] = float32(curves[c](float64(v) / 255))
		}
	}
	for i := range 3 {
		for j := range 3 {
			if math.IsNaN(matrix[i][j]) || math.IsInf(matrix[i][j], 0) {
				return nil, errors.New("color matrix is not finite")
			}
			t.matrix[i][j] = float32(matrix[i][j])
		}
	}
	for i := range t.encode {
		t.encode[i] = uint8(math.Round(linearToSRGB(float64(i)/encodeSteps) * 255))
	}
	if t.isIdentity() {
		return nil, errSRGB
	}
	return t, nil
}

// convert returns one pixel converted.
func (t *colorTransform) convert(r, g, b uint8) (uint8, uint8, uint8) {
	lr, lg, lb := t.toLinear[0][r], t.toLinear[1][g], t.toLinear[2][b]
	m := &t.matrix
	return t.encodeLinear(m[0][0]*lr + m[0][1]*lg + m[0][2]*lb),
		t.encodeLinear(m[1][0]*lr + m[1][1]*lg + m[1][2]*lb),
		t.encodeLinear(m[2][0]*lr + m[2][1]*lg + m[2][2]*lb)
}

// encodeLinear clips v to [0, 1] and encodes it as 8-bit sRGB.
func (t *colorTransform) encodeLinear(v float32) uint8 {
	if !(v > 0) { // also catches NaN
		return t.encode[0]
	}
	if v >= 1 {
		return t.encode[encodeSteps]
	}
	return t.encode[int(v*encodeSteps+0.5)]
}

// isIdentity reports whether the transform moves no color of a 6×6×6 grid
// spanning the RGB cube, nor any gray level, by more than one level. Such a
// transform comes from an sRGB profile whose numbers were rounded.
func (t *colorTransform) isIdentity() bool {
	near := func(a, b uint8) bool { return absDiff(int(a), int(b)) <= 1 }
	for v := range 256 {
		r, g, b := t.convert(uint8(v), uint8(v), uint8(v))
		if !near(r, uint8(v)) || !near(g, uint8(v)) || !near(b, uint8(v)) {
			return false
		}
	}
	for r := 0; r < 256; r += 51 {
		for g := 0; g < 256; g += 51 {
			for b := 0; b < 256; b += 51 {
				cr, cg, cb := t.convert(uint8(r), uint8(g), uint8(b))
				if !near(cr, uint8(r)) || !near(cg, uint8(g)) || !near(cb, uint8(b)) {
					return false
				}
			}
		}
	}
	return true
}

// apply converts an opaque RGBA image in place, splitting its rows across
// GOMAXPROCS goroutines.
func (t *colorTransform) apply(img *image.RGBA) {
	w := img.Rect.Dx()
	parallelRows(img.Rect.Dy(), func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			row := img.Pix[y*img.Stride : y*img.Stride+4*w]
			for x := 0; x < w; x++ {
				p := row[4*x : 4*x+3 : 4*x+3]
				p[0], p[1], p[2] = t.convert(p[0], p[1], p[2])
			}
		}
	})
}

func absDiff(a, b int) int {
	if a > b {
		return a - b
	}
	return b - a
}
