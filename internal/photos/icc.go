package photos

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// iccProfile is the part of an ICC profile (ICC.1:2022, or version 2) that
// a matrix/TRC conversion needs: per-channel tone curves to linear light
// and the matrix from linear RGB to the D50 profile connection space.
type iccProfile struct {
	gray   bool                     // a monochrome profile with one curve, kTRC
	curves [3]func(float64) float64 // rTRC, gTRC, bTRC, or kTRC three times
	toPCS  mat3                     // columns rXYZ, gXYZ, bXYZ; unused for gray
}

var errICCNotMatrix = errors.New("ICC profile is not a matrix/TRC RGB or gray profile")

// parseICC reads a matrix/TRC profile. Profiles built only on lookup
// tables (A2B0 and friends), and CMYK and Lab profiles, return an error
// wrapping errICCNotMatrix. An RGB profile that has lookup tables as well
// as the matrix and curves is read through the latter, which the ICC
// specification requires to describe the same colors for display profiles.
func parseICC(data []byte) (*iccProfile, error) {
	if len(data) < 132 || string(data[36:40]) != "acsp" {
		return nil, errors.New("ICC profile has no valid header")
	}
	if size := binary.BigEndian.Uint32(data); size >= 132 && int64(size) < int64(len(data)) {
		data = data[:size]
	}
	space, pcs := string(data[16:20]), string(data[20:24])
	tags, err := iccTagTable(data)
	if err != nil {
		return nil, err
	}

	switch {
	case space == "GRAY":
		curve, err := iccCurve(tags["kTRC"])
		if err != nil {
			return nil, fmt.Errorf("%w: kTRC: %v", errICCNotMatrix, err)
		}
		return &iccProfile{gray: true, curves: [3]func(float64) float64{curve, curve, curve}}, nil
	case space != "RGB " || pcs != "XYZ ":
		return nil, fmt.Errorf("%w: color space %q, connection space %q", errICCNotMatrix, space, pcs)
	}

	p := &iccProfile{}
	for i, name := range []string{"rTRC", "gTRC", "bTRC"} {
		if p.curves[i], err = iccCurve(tags[name]); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", errICCNotMatrix, name, err)
		}
	}
	for j, name := range []string{"rXYZ", "gXYZ", "bXYZ"} {
		xyz, err := iccXYZ(tags[name])
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", errICCNotMatrix, name, err)
		}
		for i := range 3 {
			p.toPCS[i][j] = xyz[i]
		}
	}

	// The colorants of a display profile are adapted to D50, so they add
	// up to D50. Some old version 2 profiles leave them unadapted, adding
	// up to their media white point (wtpt). Those are adapted here the way
	// a profile writer should have.
	sum := p.toPCS.apply([3]float64{1, 1, 1})
	if wtpt, err := iccXYZ(tags["wtpt"]); err == nil && !nearXYZ(sum, whiteD50) && nearXYZ(sum, wtpt) {
		p.toPCS = adaptWhite(wtpt, whiteD50).mul(p.toPCS)
	}
	return p, nil
}

func nearXYZ(a, b [3]float64) bool {
	const tolerance = 0.01
	return math.Abs(a[0]-b[0]) < tolerance && math.Abs(a[1]-b[1]) < tolerance && math.Abs(a[2]-b[2]) < tolerance
}

// iccTagTable maps each tag signature to its data. Tags pointing outside
// the profile are left out.
func iccTagTable(data []byte) (map[string][]byte, error) {
	count := binary.BigEndian.Uint32(data[128:])
	if count > uint32((len(data)-132)/12) {
		return nil, fmt.Errorf("ICC tag table of %d entries overruns the profile", count)
	}
	tags := make(map[string][]byte, count)
	for i := range int(count) {
		entry := data[132+12*i:]
		offset := uint64(binary.BigEndian.Uint32(entry[4:]))
		size := uint64(binary.BigEndian.Uint32(entry[8:]))
		if offset+size > uint64(len(data)) {
			continue
		}
		tags[string(entry[:4])] = data[offset : offset+size]
	}
	return tags, nil
}

// s15Fixed16 decodes the ICC signed 15.16 fixed-point number type.
func s15Fixed16(b []byte) float64 {
	return float64(int32(binary.BigEndian.Uint32(b))) / 65536
}

// iccXYZ reads an XYZType tag's first value.
func iccXYZ(tag []byte) ([3]float64, error) {
	if len(tag) < 20 || string(tag[:4]) != "XYZ " {
		return [3]float64{}, errors.New("missing or not an XYZ tag")
	}
	return [3]float64{s15Fixed16(tag[8:]), s15Fixed16(tag[12:]), s15Fixed16(tag[16:])}, nil
}

// iccCurve reads a curveType or parametricCurveType tag as a function from
// an encoded value in [0, 1] to linear light, clamped to [0, 1].
func iccCurve(tag []byte) (func(float64) float64, error) {
	if len(tag) < 12 {
		return nil, errors.New("missing or truncated curve tag")
	}
	switch string(tag[:4]) {
	case "curv":
		return iccSampledCurve(tag)
	case "para":
		return iccParametricCurve(tag)
	}
	return nil, fmt.Errorf("curve tag of unknown type %q", tag[:4])
}

// iccSampledCurve reads a curveType: no entries for identity, one entry
// for a pure gamma in u8Fixed8, or a table sampled at equal steps.
func iccSampledCurve(tag []byte) (func(float64) float64, error) {
	n := int(binary.BigEndian.Uint32(tag[8:]))
	if n > (len(tag)-12)/2 {
		return nil, fmt.Errorf("curve of %d entries overruns its tag", n)
	}
	switch n {
	case 0:
		return func(v float64) float64 { return v }, nil
	case 1:
		gamma := float64(binary.BigEndian.Uint16(tag[12:])) / 256
		return func(v float64) float64 { return math.Pow(v, gamma) }, nil
	}
	table := make([]float64, n)
	for i := range table {
		table[i] = float64(binary.BigEndian.Uint16(tag[12+2*i:])) / 65535
	}
	return func(v float64) float64 {
		// Linear interpolation between the two nearest samples.
		pos := clamp01(v) * float64(n-1)
		i := min(int(pos), n-2)
		frac := pos - float64(i)
		return table[i]*(1-frac) + table[i+1]*frac
	}, nil
}

// iccParametricCurve reads a parametricCurveType of function type 0 to 4
// (ICC.1:2022, section 10.18).
func iccParametricCurve(tag []byte) (func(float64) float64, error) {
	kind := binary.BigEndian.Uint16(tag[8:])
	counts := []int{1, 3, 4, 5, 7}
	if int(kind) >= len(counts) {
		return nil, fmt.Errorf("parametric curve of unknown function type %d", kind)
	}
	if len(tag) < 12+4*counts[kind] {
		return nil, errors.New("parametric curve is truncated")
	}

	// Parameters g, a, b, c, d, e and f in the order of the specification,
	// with the ones a function type lacks left at values that make it
	// reduce to the simpler types.
	p := [7]float64{1, 1, 0, 0, math.Inf(-1), 0, 0}
	for i := range counts[kind] {
		p[i] = s15Fixed16(tag[12+4*i:])
	}
	g, a, b, c, d, e, f := p[0], p[1], p[2], p[3], p[4], p[5], p[6]

	switch kind {
	case 1, 2:
		// Below -b/a the curve is flat: 0 for type 1 and c for type 2.
		if a == 0 {
			return nil, errors.New("parametric curve has a = 0")
		}
		d = -b / a
		e, c, f = c, 0, c
		if kind == 1 {
			e, f = 0, 0
		}
	case 0:
		e, f = 0, 0
	}

	return func(v float64) float64 {
		if v >= d {
			return clamp01(math.Pow(max(a*v+b, 0), g) + e)
		}
		return clamp01(c*v + f)
	}, nil
}

func clamp01(v float64) float64 {
	if v < 0 || math.IsNaN(v) {
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}
