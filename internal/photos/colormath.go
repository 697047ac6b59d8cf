package photos

import "math"

// mat3 is a 3×3 matrix that maps column vectors, m[row][column].
type mat3 [3][3]float64

// whiteD50 is the ICC profile connection space illuminant (ICC.1:2022,
// section 7.2.16) as XYZ with Y = 1.
var whiteD50 = [3]float64{0.9642, 1.0, 0.8249}

func (m mat3) mul(n mat3) mat3 {
	var out mat3
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				out[i][j] += m[i][k] * n[k][j]
			}
		}
	}
	return out
}

func (m mat3) apply(v [3]float64) [3]float64 {
	var out [3]float64
	for i := range 3 {
		out[i] = m[i][0]*v[0] + m[i][1]*v[1] + m[i][2]*v[2]
	}
	return out
}

// inverse returns the inverse of m, and false when m is singular or close
// enough to it that the inverse is meaningless.
func (m mat3) inverse() (mat3, bool) {
	det := m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) -
		m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) +
		m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	if math.Abs(det) < 1e-9 || math.IsNaN(det) || math.IsInf(det, 0) {
		return mat3{}, false
	}
	var inv mat3
	for i := range 3 {
		for j := range 3 {
			// The inverse is the transposed cofactor matrix over the
			// determinant.
			a, b := (j+1)%3, (j+2)%3
			c, d := (i+1)%3, (i+2)%3
			inv[i][j] = (m[a][c]*m[b][d] - m[a][d]*m[b][c]) / det
		}
	}
	return inv, true
}

// xyToXYZ returns the XYZ of a chromaticity with luminance Y = 1.
func xyToXYZ(xy [2]float64) [3]float64 {
	return [3]float64{xy[0] / xy[1], 1, (1 - xy[0] - xy[1]) / xy[1]}
}

// rgbToXYZ returns the matrix from linear RGB in the given primaries to XYZ
// relative to the space's own white point, scaled so that RGB white (1, 1, 1)
// has Y = 1.
func rgbToXYZ(p chromaticities) mat3 {
	var primaries mat3
	for j, xy := range [3][2]float64{p.red, p.green, p.blue} {
		xyz := xyToXYZ(xy)
		for i := range 3 {
			primaries[i][j] = xyz[i]
		}
	}
	inv, ok := primaries.inverse()
	if !ok {
		return mat3{}
	}
	// Each primary's luminance is the weight that makes the three add up
	// to the white point.
	scale := inv.apply(xyToXYZ(p.white))
	var m mat3
	for i := range 3 {
		for j := range 3 {
			m[i][j] = primaries[i][j] * scale[j]
		}
	}
	return m
}

// bradfordCone is the Bradford matrix from XYZ to cone responses, the
// chromatic adaptation that the ICC specification recommends (ICC.1:2022,
// annex E).
var bradfordCone = mat3{
	{0.8951, 0.2664, -0.1614},
	{-0.7502, 1.7135, 0.0367},
	{0.0389, -0.0685, 1.0296},
}

// adaptWhite returns the matrix that maps XYZ colors seen under the from
// white to the colors that look the same under the to white.
func adaptWhite(from, to [3]float64) mat3 {
	coneFrom := bradfordCone.apply(from)
	coneTo := bradfordCone.apply(to)
	var scale mat3
	for i := range 3 {
		scale[i][i] = coneTo[i] / coneFrom[i]
	}
	coneInv, _ := bradfordCone.inverse()
	return coneInv.mul(scale).mul(bradfordCone)
}

// rgbToPCS returns the matrix from linear RGB in the given primaries to
// XYZ in the ICC profile connection space, whose white is D50.
func rgbToPCS(p chromaticities) mat3 {
	return adaptWhite(xyToXYZ(p.white), whiteD50).mul(rgbToXYZ(p))
}
