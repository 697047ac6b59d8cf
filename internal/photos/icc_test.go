package photos

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// iccTag is one tag of a profile built by buildICC.
type iccTag struct {
	signature string
	data      []byte
}

// buildICC returns a version 4 display profile of the given data color space
// and connection space holding the given tags.
func buildICC(space, pcs string, tags []iccTag) []byte {
	header := make([]byte, 128)
	binary.BigEndian.PutUint32(header[8:], 0x04300000)
	copy(header[12:], "mntr")
	copy(header[16:], space)
	copy(header[20:], pcs)
	copy(header[36:], "acsp")
	putS15Fixed16(header[68:], whiteD50[0])
	putS15Fixed16(header[72:], whiteD50[1])
	putS15Fixed16(header[76:], whiteD50[2])

	table := binary.BigEndian.AppendUint32(nil, uint32(len(tags)))
	offset := 128 + 4 + 12*len(tags)
	var data []byte
	for _, tag := range tags {
		table = append(table, tag.signature...)
		table = binary.BigEndian.AppendUint32(table, uint32(offset+len(data)))
		table = binary.BigEndian.AppendUint32(table, uint32(len(tag.data)))
		data = append(data, tag.data...)
		// Tags start on four-byte boundaries.
		for len(data)%4 != 0 {
			data = append(data, 0)
		}
	}
	profile := append(append(header, table...), data...)
	binary.BigEndian.PutUint32(profile, uint32(len(profile)))
	return profile
}

func putS15Fixed16(b []byte, v float64) {
	binary.BigEndian.PutUint32(b, uint32(int32(math.Round(v*65536))))
}

func xyzTag(xyz [3]float64) []byte {
	b := make([]byte, 20)
	copy(b, "XYZ ")
	for i, v := range xyz {
		putS15Fixed16(b[8+4*i:], v)
	}
	return b
}

// paraTag returns a parametricCurveType of the given function type.
func paraTag(kind uint16, params ...float64) []byte {
	b := make([]byte, 12+4*len(params))
	copy(b, "para")
	binary.BigEndian.PutUint16(b[8:], kind)
	for i, v := range params {
		putS15Fixed16(b[12+4*i:], v)
	}
	return b
}

// curvTag returns a curveType with the given entries.
func curvTag(entries ...uint16) []byte {
	b := make([]byte, 12+2*len(entries))
	copy(b, "curv")
	binary.BigEndian.PutUint32(b[8:], uint32(len(entries)))
	for i, v := range entries {
		binary.BigEndian.PutUint16(b[12+2*i:], v)
	}
	return b
}

// srgbCurveTag is the sRGB decoding function as parametric type 3.
func srgbCurveTag() []byte {
	return paraTag(3, 2.4, 1/1.055, 0.055/1.055, 1/12.92, 0.04045)
}

// matrixProfile returns an RGB matrix/TRC profile of the given primaries,
// with one curve tag shared by the three channels.
func matrixProfile(p chromaticities, curve []byte) []byte {
	m := rgbToPCS(p)
	column := func(j int) [3]float64 { return [3]float64{m[0][j], m[1][j], m[2][j]} }
	return buildICC("RGB ", "XYZ ", []iccTag{
		{"wtpt", xyzTag(whiteD50)},
		{"rXYZ", xyzTag(column(0))},
		{"gXYZ", xyzTag(column(1))},
		{"bXYZ", xyzTag(column(2))},
		{"rTRC", curve},
		{"gTRC", curve},
		{"bTRC", curve},
	})
}

// testP3Profile returns a Display P3 profile: DCI-P3 primaries, D65 white
// and the sRGB curve, as Apple devices embed it.
func testP3Profile() []byte {
	return matrixProfile(primariesP3, srgbCurveTag())
}

// iccSegments splits a profile into JPEG APP2 segments, markers included.
func iccSegments(profile []byte) [][]byte {
	const maxChunk = 65535 - 2 - 14
	count := (len(profile) + maxChunk - 1) / maxChunk
	var segments [][]byte
	for i := range count {
		chunk := profile[i*maxChunk : min(len(profile), (i+1)*maxChunk)]
		payload := append(append([]byte("ICC_PROFILE\x00"), byte(i+1), byte(count)), chunk...)
		seg := []byte{0xFF, markerAPP2, 0, 0}
		binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
		segments = append(segments, append(seg, payload...))
	}
	return segments
}

func TestParseICCRealProfiles(t *testing.T) {
	heic := sharedPhotos(t, "heic/IMG_5195.HEIC")[0]
	f, err := parseHEIF(readFile(t, heic))
	if err != nil {
		t.Fatal(err)
	}
	img, err := f.primaryImage()
	if err != nil {
		t.Fatal(err)
	}
	generic := jpegICCProfile(readFile(t, sharedPhotos(t, "orientation/landscape_2.jpg")[0]))

	// The wanted columns are what exiftool 12.57 prints for the two
	// profiles' rXYZ, gXYZ and bXYZ tags.
	tests := []struct {
		name    string
		profile []byte
		want    mat3
	}{
		{"iPhone Display P3", img.icc, mat3{{0.51512, 0.29198, 0.1571}, {0.2412, 0.69225, 0.06657}, {-0.00105, 0.04189, 0.78407}}},
		{"Apple Generic RGB", generic, mat3{{0.4543, 0.35335, 0.15665}, {0.24191, 0.67363, 0.08446}, {0.01489, 0.09064, 0.71957}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseICC(tt.profile)
			if err != nil {
				t.Fatalf("parseICC: %v", err)
			}
			for i := range 3 {
				for j := range 3 {
					if math.Abs(p.toPCS[i][j]-tt.want[i][j]) > 1e-4 {
						t.Errorf("matrix[%d][%d]: got %.5f, want %.5f", i, j, p.toPCS[i][j], tt.want[i][j])
					}
				}
			}
			// Both curves pass through the ends and are darker than
			// linear in between.
			for c, curve := range p.curves {
				if got := curve(0); got != 0 {
					t.Errorf("curve %d at 0: got %v, want 0", c, got)
				}
				if got := curve(1); math.Abs(got-1) > 1e-3 {
					t.Errorf("curve %d at 1: got %v, want 1", c, got)
				}
				if got := curve(0.5); got <= 0.15 || got >= 0.3 {
					t.Errorf("curve %d at 0.5: got %v, want within (0.15, 0.3)", c, got)
				}
			}
		})
	}
}

func TestICCCurves(t *testing.T) {
	tests := []struct {
		name string
		tag  []byte
		in   float64
		want float64
	}{
		{"curv identity", curvTag(), 0.3, 0.3},
		{"curv gamma 1.8", curvTag(0x01CD), 0.5, math.Pow(0.5, 461.0/256)},
		{"curv table interpolates", curvTag(0, 0x8000, 0xFFFF), 0.25, 0x4000 / 65535.0},
		{"para type 0", paraTag(0, 2.2), 0.5, math.Pow(0.5, 2.2)},
		{"para type 1 above -b/a", paraTag(1, 2, 1, -0.2), 0.6, 0.16},
		{"para type 1 below -b/a", paraTag(1, 2, 1, -0.2), 0.1, 0},
		{"para type 2 below -b/a", paraTag(2, 2, 1, -0.2, 0.05), 0.1, 0.05},
		{"para type 3 linear part", srgbCurveTag(), 0.02, 0.02 / 12.92},
		{"para type 3 power part", srgbCurveTag(), 0.5, srgbToLinear(0.5)},
		{"para type 4 linear part", paraTag(4, 2, 1, 0, 0.5, 0.4, 0.1, 0.01), 0.2, 0.11},
		{"para type 4 power part", paraTag(4, 2, 1, 0, 0.5, 0.4, 0.1, 0.01), 0.6, 0.46},
		{"clamped above 1", paraTag(1, 1, 2, 0), 0.9, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			curve, err := iccCurve(tt.tag)
			if err != nil {
				t.Fatalf("iccCurve: %v", err)
			}
			if got := curve(tt.in); math.Abs(got-tt.want) > 1e-4 {
				t.Errorf("curve(%v): got %.5f, want %.5f", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseICCRejects(t *testing.T) {
	p3 := testP3Profile()
	lutOnly := buildICC("RGB ", "Lab ", []iccTag{{"A2B0", make([]byte, 64)}})
	cmyk := buildICC("CMYK", "Lab ", []iccTag{{"A2B0", make([]byte, 64)}})
	missingCurve := buildICC("RGB ", "XYZ ", []iccTag{{"rXYZ", xyzTag(whiteD50)}, {"gXYZ", xyzTag(whiteD50)}, {"bXYZ", xyzTag(whiteD50)}})
	overrun := bytes.Clone(p3)
	binary.BigEndian.PutUint32(overrun[128:], 1<<30)
	badCurve := matrixProfile(primariesP3, paraTag(9, 1))

	tests := []struct {
		name      string
		profile   []byte
		notMatrix bool // the error wraps errICCNotMatrix
	}{
		{"lut-based rgb", lutOnly, true},
		{"cmyk", cmyk, true},
		{"missing curves", missingCurve, true},
		{"unknown parametric type", badCurve, true},
		{"tag table overruns", overrun, false},
		{"header only", p3[:100], false},
		{"no acsp signature", append(make([]byte, 132), p3[132:]...), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseICC(tt.profile)
			if err == nil {
				t.Fatal("parseICC: got nil error, want one")
			}
			if got := errors.Is(err, errICCNotMatrix); got != tt.notMatrix {
				t.Errorf("errors.Is(%v, errICCNotMatrix): got %v, want %v", err, got, tt.notMatrix)
			}
		})
	}
}

func TestParseICCAdaptsUnadaptedColorants(t *testing.T) {
	// A version 2 profile whose colorants add up to its D65 media white
	// rather than to D50 must be adapted to the same matrix as a correct
	// profile.
	d65 := xyToXYZ(whiteD65)
	unadapted := rgbToXYZ(primariesSRGB)
	column := func(m mat3, j int) [3]float64 { return [3]float64{m[0][j], m[1][j], m[2][j]} }
	profile := buildICC("RGB ", "XYZ ", []iccTag{
		{"wtpt", xyzTag(d65)},
		{"rXYZ", xyzTag(column(unadapted, 0))},
		{"gXYZ", xyzTag(column(unadapted, 1))},
		{"bXYZ", xyzTag(column(unadapted, 2))},
		{"rTRC", srgbCurveTag()}, {"gTRC", srgbCurveTag()}, {"bTRC", srgbCurveTag()},
	})
	p, err := parseICC(profile)
	if err != nil {
		t.Fatal(err)
	}
	want := rgbToPCS(primariesSRGB)
	for i := range 3 {
		for j := range 3 {
			if math.Abs(p.toPCS[i][j]-want[i][j]) > 1e-3 {
				t.Errorf("matrix[%d][%d]: got %.4f, want %.4f", i, j, p.toPCS[i][j], want[i][j])
			}
		}
	}
}
