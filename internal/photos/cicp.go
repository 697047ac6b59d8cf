package photos

import "math"

// cicp holds the color code points of ITU-T H.273 (2016) as HEIF nclx boxes
// and the VUI of HEVC streams carry them. The value 2 means unspecified in
// each of the three code point fields.
type cicp struct {
	primaries, transfer, matrix uint16
	fullRange                   bool
}

// chromaticities are the CIE 1931 xy coordinates of an RGB space's red,
// green and blue primaries and its white point.
type chromaticities struct {
	red, green, blue, white [2]float64
}

var (
	whiteD65 = [2]float64{0.3127, 0.3290}
	whiteC   = [2]float64{0.310, 0.316}

	// primariesSRGB are the primaries of sRGB and BT.709.
	primariesSRGB = chromaticities{[2]float64{0.640, 0.330}, [2]float64{0.300, 0.600}, [2]float64{0.150, 0.060}, whiteD65}
	// primariesP3 are those of DCI-P3 with the D65 white point, the Display
	// P3 space of Apple devices.
	primariesP3 = chromaticities{[2]float64{0.680, 0.320}, [2]float64{0.265, 0.690}, [2]float64{0.150, 0.060}, whiteD65}
)

// cicpPrimaries lists the ColourPrimaries values of H.273 table 2 that
// describe an RGB space.
var cicpPrimaries = map[uint16]chromaticities{
	1:  primariesSRGB,
	4:  {[2]float64{0.67, 0.33}, [2]float64{0.21, 0.71}, [2]float64{0.14, 0.08}, whiteC},
	5:  {[2]float64{0.64, 0.33}, [2]float64{0.29, 0.60}, [2]float64{0.15, 0.06}, whiteD65},
	6:  {[2]float64{0.630, 0.340}, [2]float64{0.310, 0.595}, [2]float64{0.155, 0.070}, whiteD65},
	7:  {[2]float64{0.630, 0.340}, [2]float64{0.310, 0.595}, [2]float64{0.155, 0.070}, whiteD65},
	8:  {[2]float64{0.681, 0.319}, [2]float64{0.243, 0.692}, [2]float64{0.145, 0.049}, whiteC},
	9:  {[2]float64{0.708, 0.292}, [2]float64{0.170, 0.797}, [2]float64{0.131, 0.046}, whiteD65},
	11: {primariesP3.red, primariesP3.green, primariesP3.blue, [2]float64{0.314, 0.351}},
	12: primariesP3,
	22: {[2]float64{0.630, 0.340}, [2]float64{0.295, 0.605}, [2]float64{0.155, 0.077}, whiteD65},
}

// rgbPrimaries returns the chromaticities of the code point, and false when
// they are unspecified or not an RGB space this package converts.
func (c cicp) rgbPrimaries() (chromaticities, bool) {
	p, ok := cicpPrimaries[c.primaries]
	return p, ok
}

// decodeTransfer returns the function from an encoded value in [0, 1] to
// linear light for the TransferCharacteristics of H.273 table 3, and false
// when it is unspecified or not one this package converts. The HDR curves,
// PQ (16) and HLG (18), would need tone mapping and are among the latter.
func (c cicp) decodeTransfer() (func(float64) float64, bool) {
	switch c.transfer {
	case 1, 6, 14, 15:
		// The inverse of the BT.709 camera curve, shared by BT.601 and
		// BT.2020 at 10 and 12 bits.
		return func(v float64) float64 {
			if v < 0.081 {
				return v / 4.5
			}
			return math.Pow((v+0.099)/1.099, 1/0.45)
		}, true
	case 4:
		return func(v float64) float64 { return math.Pow(v, 2.2) }, true
	case 5:
		return func(v float64) float64 { return math.Pow(v, 2.8) }, true
	case 7:
		return func(v float64) float64 {
			if v < 0.0913 {
				return v / 4
			}
			return math.Pow((v+0.1115)/1.1115, 1/0.45)
		}, true
	case 8:
		return func(v float64) float64 { return v }, true
	case 13:
		return srgbToLinear, true
	}
	return nil, false
}

// lumaCoefficients returns Kr and Kb of the MatrixCoefficients of H.273
// table 4. Unspecified and unknown values get those of BT.601, as libheif
// uses them. The constant-luminance variants (10 and 13) are approximated
// by their non-constant counterparts.
func (c cicp) lumaCoefficients() (kr, kb float64) {
	switch c.matrix {
	case 1:
		return 0.2126, 0.0722
	case 4:
		return 0.30, 0.11
	case 7:
		return 0.212, 0.087
	case 9, 10:
		return 0.2627, 0.0593
	case 12, 13:
		p, ok := c.rgbPrimaries()
		if !ok {
			break
		}
		// Kr and Kb are the luminances of the red and blue primaries,
		// the Y row of the RGB to XYZ matrix.
		m := rgbToXYZ(p)
		return m[1][0], m[1][2]
	}
	return 0.299, 0.114
}

// srgbToLinear is the sRGB decoding function (IEC 61966-2-1).
func srgbToLinear(v float64) float64 {
	if v <= 0.04045 {
		return v / 12.92
	}
	return math.Pow((v+0.055)/1.055, 2.4)
}

// linearToSRGB is the sRGB encoding function (IEC 61966-2-1).
func linearToSRGB(v float64) float64 {
	if v <= 0.0031308 {
		return v * 12.92
	}
	return 1.055*math.Pow(v, 1/2.4) - 0.055
}
