package photos

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"math"
	"testing"

	"github.com/gen2brain/webp"
)

// The matrices from linear Display P3 and linear Adobe RGB (1998) to linear
// sRGB, as published with the CSS Color Module Level 4 sample code and in
// Adobe's specification, rounded to four places. They are independent of
// this package's own matrix arithmetic.
var (
	p3ToSRGB = mat3{
		{1.2249, -0.2249, 0},
		{-0.0421, 1.0421, 0},
		{-0.0196, -0.0786, 1.0982},
	}
	adobeToSRGB = mat3{
		{1.3982, -0.3982, 0},
		{0, 1, 0},
		{0, -0.0429, 1.0429},
	}
)

// referenceConvert converts one 8-bit color with the given decoding curve
// and matrix to 8-bit sRGB, clipping out-of-gamut values.
func referenceConvert(c color.RGBA, decode func(float64) float64, m mat3) color.RGBA {
	linear := m.apply([3]float64{decode(float64(c.R) / 255), decode(float64(c.G) / 255), decode(float64(c.B) / 255)})
	var out [3]uint8
	for i, v := range linear {
		out[i] = uint8(math.Round(linearToSRGB(clamp01(v)) * 255))
	}
	return color.RGBA{out[0], out[1], out[2], 255}
}

func adobeGamma(v float64) float64 { return math.Pow(v, 563.0/256) }

func TestColorTransformMatchesReference(t *testing.T) {
	adobe := matrixProfile(chromaticities{[2]float64{0.64, 0.33}, [2]float64{0.21, 0.71}, [2]float64{0.15, 0.06}, whiteD65}, curvTag(0x0233))
	tests := []struct {
		name   string
		source colorSource
		decode func(float64) float64
		matrix mat3
	}{
		{"display p3 icc", colorSource{icc: testP3Profile()}, srgbToLinear, p3ToSRGB},
		{"display p3 nclx", colorSource{cicp: &cicp{primaries: 12, transfer: 13, matrix: 6, fullRange: true}}, srgbToLinear, p3ToSRGB},
		{"adobe rgb icc", colorSource{icc: adobe}, adobeGamma, adobeToSRGB},
	}
	colors := []color.RGBA{
		{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255},
		{200, 60, 60, 255}, {60, 160, 90, 255}, {128, 128, 128, 255}, {255, 255, 255, 255}, {0, 0, 0, 255},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			transform, err := newColorTransform(tt.source)
			if err != nil {
				t.Fatalf("newColorTransform: %v", err)
			}
			for _, c := range colors {
				want := referenceConvert(c, tt.decode, tt.matrix)
				r, g, b := transform.convert(c.R, c.G, c.B)
				if !colorNear(color.RGBA{r, g, b, 255}, want, 1) {
					t.Errorf("convert(%v): got (%d, %d, %d), want %v", c, r, g, b, want)
				}
			}
		})
	}
}

func TestColorTransformSkipsSRGB(t *testing.T) {
	tests := []struct {
		name   string
		source colorSource
	}{
		{"no color information", colorSource{}},
		{"srgb icc", colorSource{icc: matrixProfile(primariesSRGB, srgbCurveTag())}},
		{"srgb icc with a sampled curve", colorSource{icc: matrixProfile(primariesSRGB, sampledSRGBCurve())}},
		{"bt.709 nclx with the srgb curve", colorSource{cicp: &cicp{primaries: 1, transfer: 13, matrix: 1}}},
		{"unspecified nclx", colorSource{cicp: &cicp{primaries: 2, transfer: 2, matrix: 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := newColorTransform(tt.source); !errors.Is(err, errSRGB) {
				t.Errorf("newColorTransform: got error %v, want errSRGB", err)
			}
		})
	}
}

// sampledSRGBCurve is the sRGB curve as a 1024-entry table, the form the
// widespread "sRGB IEC61966-2.1" profile uses.
func sampledSRGBCurve() []byte {
	entries := make([]uint16, 1024)
	for i := range entries {
		entries[i] = uint16(math.Round(srgbToLinear(float64(i)/1023) * 65535))
	}
	return curvTag(entries...)
}

func TestColorTransformUnsupportedSources(t *testing.T) {
	tests := []struct {
		name   string
		source colorSource
	}{
		{"lut-based icc", colorSource{icc: buildICC("RGB ", "Lab ", []iccTag{{"A2B0", make([]byte, 64)}})}},
		{"cmyk icc", colorSource{icc: buildICC("CMYK", "Lab ", nil)}},
		{"garbage icc", colorSource{icc: []byte("not a profile")}},
		{"pq transfer", colorSource{cicp: &cicp{primaries: 9, transfer: 16, matrix: 9}}},
		{"unknown primaries", colorSource{cicp: &cicp{primaries: 99, transfer: 13, matrix: 6}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			transform, err := newColorTransform(tt.source)
			if err == nil || errors.Is(err, errSRGB) || transform != nil {
				t.Errorf("newColorTransform: got (%v, %v), want nil and an error other than errSRGB", transform, err)
			}
		})
	}
}

func TestColorTransformGrayProfile(t *testing.T) {
	// A linear gray profile: level 128 is 50% light, which sRGB encodes
	// as 188.
	profile := buildICC("GRAY", "XYZ ", []iccTag{{"kTRC", curvTag(0x0100)}})
	transform, err := newColorTransform(colorSource{icc: profile})
	if err != nil {
		t.Fatal(err)
	}
	r, g, b := transform.convert(128, 128, 128)
	if r != 188 || g != 188 || b != 188 {
		t.Errorf("convert(128, 128, 128): got (%d, %d, %d), want (188, 188, 188)", r, g, b)
	}
}

// flatImage returns a w×h image of one color.
func flatImage(w, h int, c color.RGBA) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(m, m.Rect, image.NewUniform(c), image.Point{}, draw.Src)
	return m
}

// pngWithICC returns a PNG of img with an iCCP chunk after IHDR.
func pngWithICC(t testing.TB, img image.Image, profile []byte) []byte {
	t.Helper()
	data := encodePNG(t, img)
	var compressed bytes.Buffer
	zw := zlib.NewWriter(&compressed)
	zw.Write(profile)
	zw.Close()
	chunk := pngChunk("iCCP", append([]byte("test profile\x00\x00"), compressed.Bytes()...))
	// The signature is 8 bytes and IHDR 25 with its length, type and CRC.
	return append(append(append([]byte{}, data[:33]...), chunk...), data[33:]...)
}

func pngChunk(kind string, body []byte) []byte {
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	chunk = append(append(chunk, kind...), body...)
	return binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
}

// webpWithChunks returns a lossy WebP of img in the extended format, with
// the given chunks before the bitstream and the VP8X flags they need.
func webpWithChunks(t testing.TB, img image.Image, chunks ...webpChunk) []byte {
	t.Helper()
	var simple bytes.Buffer
	if err := webp.Encode(&simple, img, webp.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	parsed, err := parseWebPChunks(simple.Bytes()[12:])
	if err != nil || len(parsed) != 1 || parsed[0].fourCC != "VP8 " {
		t.Fatalf("encoded WebP: got chunks %v (%v), want one VP8 chunk", parsed, err)
	}

	var body bytes.Buffer
	body.WriteString("WEBP")
	vp8x := make([]byte, 10)
	for _, c := range chunks {
		switch c.fourCC {
		case "ICCP":
			vp8x[0] |= 0x20
		case "EXIF":
			vp8x[0] |= 0x08
		}
	}
	putUint24(vp8x[4:], uint32(img.Bounds().Dx()-1))
	putUint24(vp8x[7:], uint32(img.Bounds().Dy()-1))
	writeWebPChunk(&body, "VP8X", vp8x)
	for _, c := range chunks {
		if c.fourCC == "ICCP" {
			writeWebPChunk(&body, c.fourCC, c.payload)
		}
	}
	writeWebPChunk(&body, "VP8 ", parsed[0].payload)
	for _, c := range chunks {
		if c.fourCC != "ICCP" {
			writeWebPChunk(&body, c.fourCC, c.payload)
		}
	}
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(body.Len()))...), body.Bytes()...)
}

// TestProcessConvertsDisplayP3 checks each way a file can declare its pixels
// Display P3. A pure P3 red lies outside sRGB and clips to sRGB red, so it
// only shows that nothing wraps around. The mid-saturation red shows the
// conversion: read as sRGB it would stay (200, 60, 60) and look duller than
// the photographer saw.
func TestProcessConvertsDisplayP3(t *testing.T) {
	p3 := testP3Profile()
	for _, c := range []color.RGBA{{255, 0, 0, 255}, {200, 60, 60, 255}} {
		want := referenceConvert(c, srgbToLinear, p3ToSRGB)
		img := flatImage(64, 48, c)
		inputs := []struct {
			name string
			data []byte
		}{
			{"jpeg app2", insertAfterSOI(encodeJPEG(t, img), iccSegments(p3)[0])},
			{"png iccp", pngWithICC(t, img, p3)},
			{"webp iccp", webpWithChunks(t, img, webpChunk{"ICCP", p3})},
		}
		for _, in := range inputs {
			t.Run(in.name, func(t *testing.T) {
				res := mustProcess(t, in.data)
				for _, v := range res.Variants {
					got := decodeVariant(t, v).At(v.Width/2, v.Height/2)
					// Lossy coding moves a flat color by a few levels.
					if !colorNear(got, want, 4) {
						t.Errorf("%s %s variant of P3 %v: got %v, want %v", v.Size, v.Format, c, got, want)
					}
				}
			})
		}
	}
}

func TestProcessLeavesUnconvertibleProfiles(t *testing.T) {
	c := color.RGBA{200, 60, 60, 255}
	lut := buildICC("RGB ", "Lab ", []iccTag{{"A2B0", make([]byte, 64)}})
	res := mustProcess(t, pngWithICC(t, flatImage(32, 32, c), lut))
	large := mustVariant(t, res, SizeLarge, FormatJPEG)
	if got := decodeVariant(t, large).At(16, 16); !colorNear(got, c, 3) {
		t.Errorf("got %v, want %v unchanged", got, c)
	}
}
