package photos

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
)

// heicSpec describes a HEIC file for buildHEIC: one coded HEVC picture used
// as a tile of a grid, or on its own as the primary item.
type heicSpec struct {
	brand         string
	hvcC          []byte // hvcC payload of the coded picture
	coded         []byte // item data of the coded picture
	tileType      string // item type of the coded picture, hvc1 unless a test changes it
	tileW, tileH  int    // ispe of the coded picture
	grid          bool   // the primary item is a grid of the coded picture
	rows, columns int    // grid layout, every cell referring to the one picture
	width, height int    // ispe of the grid and its output size
	props         [][]byte
}

// testHEICSpec returns the spec of testdata/quadrants.heic, a single 160×120
// HEVC picture, as the one tile of a grid of the same size, the layout
// iPhones use.
func testHEICSpec(t testing.TB) heicSpec {
	t.Helper()
	f, err := parseHEIF(readFile(t, "testdata/quadrants.heic"))
	if err != nil {
		t.Fatal(err)
	}
	tile := f.items[f.primary]
	hvcC, _ := tile.property("hvcC")
	coded, err := f.itemData(tile)
	if err != nil {
		t.Fatal(err)
	}
	return heicSpec{
		brand: "heic", hvcC: hvcC.payload, coded: coded, tileType: "hvc1",
		tileW: 160, tileH: 120, grid: true, rows: 1, columns: 1, width: 160, height: 120,
	}
}

func isoBox(kind string, payload ...[]byte) []byte {
	body := bytes.Join(payload, nil)
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	return append(append(b, kind...), body...)
}

func isoFullBox(kind string, version byte, flags uint32, payload ...[]byte) []byte {
	head := binary.BigEndian.AppendUint32(nil, uint32(version)<<24|flags)
	return isoBox(kind, append([][]byte{head}, payload...)...)
}

func u16(v int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(v)) }
func u32(v int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

func ispeBox(w, h int) []byte { return isoFullBox("ispe", 0, 0, u32(w), u32(h)) }
func irotBox(quarterTurns int) []byte {
	return isoBox("irot", []byte{byte(quarterTurns)})
}
func imirBox(axis int) []byte { return isoBox("imir", []byte{byte(axis)}) }

func nclxBox(c cicp) []byte {
	rangeByte := byte(0)
	if c.fullRange {
		rangeByte = 0x80
	}
	return isoBox("colr", []byte("nclx"), u16(int(c.primaries)), u16(int(c.transfer)), u16(int(c.matrix)), []byte{rangeByte})
}

func iccColrBox(profile []byte) []byte { return isoBox("colr", []byte("prof"), profile) }

// buildHEIC writes a HEIF file: item 1 is the coded picture, and item 2 the
// grid when there is one. Extra properties go to the primary item.
func buildHEIC(s heicSpec) []byte {
	ftyp := isoBox("ftyp", []byte(s.brand), u32(0), []byte("mif1"), []byte(s.brand))
	hdlr := isoFullBox("hdlr", 0, 0, u32(0), []byte("pict"), make([]byte, 13))
	primary := 1
	if s.grid {
		primary = 2
	}
	pitm := isoFullBox("pitm", 0, 0, u16(primary))
	infe := func(id int, kind string) []byte {
		return isoFullBox("infe", 2, 0, u16(id), u16(0), []byte(kind), []byte{0})
	}
	entries := [][]byte{infe(1, s.tileType)}
	if s.grid {
		entries = append(entries, infe(2, "grid"))
	}
	iinf := isoFullBox("iinf", 0, 0, append([][]byte{u16(len(entries))}, entries...)...)

	// Property 1 is hvcC, 2 the tile's ispe, 3 the grid's ispe and the
	// extra ones follow.
	props := [][]byte{isoBox("hvcC", s.hvcC), ispeBox(s.tileW, s.tileH), ispeBox(s.width, s.height)}
	props = append(props, s.props...)
	assoc := func(id int, indexes ...int) []byte {
		b := append(u16(id), byte(len(indexes)))
		for _, i := range indexes {
			b = append(b, byte(i))
		}
		return b
	}
	extra := make([]int, len(s.props))
	for i := range extra {
		extra[i] = 4 + i
	}
	var ipma []byte
	if s.grid {
		ipma = isoFullBox("ipma", 0, 0, u32(2), assoc(1, 1, 2), assoc(2, append([]int{3}, extra...)...))
	} else {
		ipma = isoFullBox("ipma", 0, 0, u32(1), assoc(1, append([]int{1, 2}, extra...)...))
	}
	iprp := isoBox("iprp", isoBox("ipco", props...), ipma)

	var iref, idat []byte
	if s.grid {
		refs := append(u16(2), u16(s.rows*s.columns)...)
		for range s.rows * s.columns {
			refs = append(refs, u16(1)...)
		}
		iref = isoFullBox("iref", 0, 0, isoBox("dimg", refs))
		idat = isoBox("idat", []byte{0, 0, byte(s.rows - 1), byte(s.columns - 1)}, u16(s.width), u16(s.height))
	}

	// iloc version 1 carries the construction method: file offset for the
	// coded picture, idat for the grid description.
	iloc := func(mdatOffset int) []byte {
		items := [][]byte{u16(1), u16(0), u16(0), u16(1), u32(mdatOffset), u32(len(s.coded))}
		count := 1
		if s.grid {
			items = append(items, u16(2), u16(1), u16(0), u16(1), u32(0), u32(8))
			count = 2
		}
		return isoFullBox("iloc", 1, 0, append([][]byte{u16(0x4400), u16(count)}, items...)...)
	}
	meta := func(mdatOffset int) []byte {
		return isoFullBox("meta", 0, 0, hdlr, pitm, iinf, iloc(mdatOffset), iref, iprp, idat)
	}
	offset := len(ftyp) + len(meta(0)) + 8
	return bytes.Join([][]byte{ftyp, meta(offset), isoBox("mdat", s.coded)}, nil)
}

func TestProcessHEICSharedFiles(t *testing.T) {
	tests := []struct {
		file      string
		wantLarge image.Point
	}{
		// An iPhone 11 Pro Max photo, cropped on the phone to 2566×3313
		// and stored as a grid of 42 tiles with a Display P3 profile.
		{"heic/IMG_5195.HEIC", image.Pt(1239, 1600)},
		// A single 640×426 picture coded in limited range, the VUI's
		// default, without any colr box.
		{"heic/samplefilehub.heif", image.Pt(640, 426)},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			res := mustProcess(t, readFile(t, sharedPhotos(t, tt.file)[0]))
			if res.Format != "heic" {
				t.Errorf("format: got %q, want heic", res.Format)
			}
			for _, format := range []string{FormatJPEG, FormatWebP} {
				large := mustVariant(t, res, SizeLarge, format)
				if got := image.Pt(large.Width, large.Height); got != tt.wantLarge {
					t.Errorf("large %s: got %v, want %v", format, got, tt.wantLarge)
				}
				decodeVariant(t, large)
			}
		})
	}
}

// TestProcessHEICColorsMatchLibheif compares mean colors of the shared HEIC
// files with what heif-convert (libheif 1.15.1 and libde265, Debian 12)
// made of them, converted to sRGB by vips icc_transform (lcms2 2.14,
// relative colorimetric) where the file has a profile. A wrong YCbCr range
// moves the means by 8 to 10 levels. Skipping the Display P3 conversion of
// IMG_5195 moves the blue mean by 1.2, as the photo has few saturated
// colors.
func TestProcessHEICColorsMatchLibheif(t *testing.T) {
	tests := []struct {
		file      string
		want      [3]float64
		tolerance float64
	}{
		{"heic/IMG_5195.HEIC", [3]float64{124.2, 119.8, 117.6}, 0.6},
		// This dark photo clips many pixels at black, where libheif's
		// bilinear chroma upsampling and this package's nearest-neighbor
		// one differ most.
		{"heic/samplefilehub.heif", [3]float64{62.8, 51.1, 43.6}, 1.2},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			res := mustProcess(t, readFile(t, sharedPhotos(t, tt.file)[0]))
			img := decodeVariant(t, mustVariant(t, res, SizeLarge, FormatJPEG))
			got := meanColor(img)
			for c := range 3 {
				if d := got[c] - tt.want[c]; d > tt.tolerance || d < -tt.tolerance {
					t.Errorf("mean of channel %d: got %.1f, want %.1f", c, got[c], tt.want[c])
				}
			}
		})
	}
}

func meanColor(img image.Image) [3]float64 {
	var sum [3]float64
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			sum[0] += float64(r >> 8)
			sum[1] += float64(g >> 8)
			sum[2] += float64(bl >> 8)
		}
	}
	n := float64(b.Dx() * b.Dy())
	return [3]float64{sum[0] / n, sum[1] / n, sum[2] / n}
}

// TestProcessHEICTransformations checks that the irot and imir properties
// of the primary item turn the picture, as iPhones store portrait photos,
// and that the EXIF orientation convention is not applied on top.
func TestProcessHEICTransformations(t *testing.T) {
	red, green := quadrantColor(true, true), quadrantColor(false, true)
	blue, yellow := quadrantColor(true, false), quadrantColor(false, false)

	// wantCorners lists the upright colors at top left, top right, bottom
	// left and bottom right. irot turns anticlockwise in quarter turns.
	// imir 0 flips top to bottom and imir 1 left to right, which is what
	// heif-convert (libheif 1.15.1) shows for the same files.
	tests := []struct {
		name        string
		props       [][]byte
		wantW       int
		wantCorners [4]color.RGBA
	}{
		{"none", nil, 160, [4]color.RGBA{red, green, blue, yellow}},
		{"irot 1", [][]byte{irotBox(1)}, 120, [4]color.RGBA{green, yellow, red, blue}},
		{"irot 2", [][]byte{irotBox(2)}, 160, [4]color.RGBA{yellow, blue, green, red}},
		{"irot 3", [][]byte{irotBox(3)}, 120, [4]color.RGBA{blue, red, yellow, green}},
		{"imir 0", [][]byte{imirBox(0)}, 160, [4]color.RGBA{blue, yellow, red, green}},
		{"imir 1", [][]byte{imirBox(1)}, 160, [4]color.RGBA{green, red, yellow, blue}},
		{"irot 1 then imir 1", [][]byte{irotBox(1), imirBox(1)}, 120, [4]color.RGBA{yellow, green, blue, red}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := testHEICSpec(t)
			spec.props = tt.props
			large := mustVariant(t, mustProcess(t, buildHEIC(spec)), SizeLarge, FormatJPEG)
			wantH := 160 * 120 / tt.wantW
			if large.Width != tt.wantW || large.Height != wantH {
				t.Fatalf("size: got %dx%d, want %dx%d", large.Width, large.Height, tt.wantW, wantH)
			}
			img := decodeVariant(t, large)
			w, h := large.Width, large.Height
			corners := []image.Point{{8, 8}, {w - 9, 8}, {8, h - 9}, {w - 9, h - 9}}
			for i, p := range corners {
				if c := img.At(p.X, p.Y); !colorNear(c, tt.wantCorners[i], 30) {
					t.Errorf("pixel %v: got %v, want %v", p, c, tt.wantCorners[i])
				}
			}
		})
	}
}

// TestProcessHEICColorSignalling checks the colr boxes: nclx sets the YCbCr
// range and the primaries, and an ICC profile the primaries.
func TestProcessHEICColorSignalling(t *testing.T) {
	redCenter := func(t *testing.T, props ...[]byte) color.RGBA {
		t.Helper()
		spec := testHEICSpec(t)
		spec.props = props
		large := mustVariant(t, mustProcess(t, buildHEIC(spec)), SizeLarge, FormatJPEG)
		r, g, b, _ := decodeVariant(t, large).At(32, 24).RGBA()
		return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255}
	}
	// Without a colr box the VUI of this file signals full range and leaves
	// the primaries unspecified, which means sRGB.
	plain := redCenter(t)
	if !colorNear(plain, quadrantColor(true, true), 12) {
		t.Fatalf("without colr: got %v, want about %v", plain, quadrantColor(true, true))
	}
	wantP3 := referenceConvert(plain, srgbToLinear, p3ToSRGB)

	t.Run("nclx limited range", func(t *testing.T) {
		// Read as limited range, the same samples stretch away from the
		// middle: red grows and green and blue shrink.
		got := redCenter(t, nclxBox(cicp{primaries: 1, transfer: 13, matrix: 6, fullRange: false}))
		if got.R <= plain.R+5 || got.G >= plain.G || got.B >= plain.B {
			t.Errorf("got %v, want red above %d and green and blue below %v", got, plain.R+5, plain)
		}
	})
	t.Run("nclx display p3", func(t *testing.T) {
		got := redCenter(t, nclxBox(cicp{primaries: 12, transfer: 13, matrix: 6, fullRange: true}))
		if !colorNear(got, wantP3, 8) {
			t.Errorf("got %v, want %v", got, wantP3)
		}
	})
	t.Run("icc display p3", func(t *testing.T) {
		got := redCenter(t, iccColrBox(testP3Profile()))
		if !colorNear(got, wantP3, 8) {
			t.Errorf("got %v, want %v", got, wantP3)
		}
	})
}

func TestProcessHEICRejects(t *testing.T) {
	withSpec := func(change func(*heicSpec)) []byte {
		spec := testHEICSpec(t)
		change(&spec)
		return buildHEIC(spec)
	}
	valid := buildHEIC(testHEICSpec(t))

	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"ispe of 50000x50000", withSpec(func(s *heicSpec) { s.width, s.height = 50000, 50000 }), ErrTooManyPixels},
		{"grid narrower than 97 pixels", withSpec(func(s *heicSpec) { s.width = 96 }), ErrUnsupported},
		{"ispe of zero", withSpec(func(s *heicSpec) { s.width, s.height = 0, 0 }), ErrCorrupt},
		// 65280 references to one 160×120 tile decode 1.25 billion pixels
		// for an image that declares 160×120.
		{"grid of 255x256 tiles", withSpec(func(s *heicSpec) { s.rows, s.columns = 255, 256 }), ErrTooManyPixels},
		{"in-band sps of 40000x40000", withSpec(func(s *heicSpec) {
			s.grid = false
			sps := buildSPS(40000, 40000, nil)
			s.coded = append(append(u32(len(sps)), sps...), s.coded...)
		}), ErrTooManyPixels},
		{"avif tile", withSpec(func(s *heicSpec) { s.tileType = "av01" }), ErrUnsupported},
		{"avif primary", withSpec(func(s *heicSpec) { s.grid, s.tileType = false, "av01" }), ErrUnsupported},
		{"avif brand", withSpec(func(s *heicSpec) { s.brand = "avif" }), ErrUnsupported},
		{"alpha plane", readFile(t, "testdata/alpha.heic"), ErrUnsupported},
		{"coded data zeroed", withSpec(func(s *heicSpec) { s.coded = make([]byte, len(s.coded)) }), ErrCorrupt},
		{"coded data cut short", withSpec(func(s *heicSpec) { s.coded = s.coded[:len(s.coded)/2] }), ErrCorrupt},
		{"file cut before mdat", valid[:len(valid)-len(testHEICSpec(t).coded)-8], ErrCorrupt},
		{"ftyp only", valid[:24], ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Process(tt.data, DefaultLimits())
			if !errors.Is(err, tt.want) {
				t.Fatalf("got error %v, want %v", err, tt.want)
			}
			if len(res.Variants) != 0 {
				t.Errorf("got %d variants alongside the error, want 0", len(res.Variants))
			}
		})
	}
}

// TestHEICTopRowIsClean checks the repair of the luma bytes that the
// decoder overwrites: the top row must look like the rows below it, not
// like a dark streak.
func TestHEICTopRowIsClean(t *testing.T) {
	path := sharedPhotos(t, "heic/IMG_5195.HEIC")[0]
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Process(data, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	v, _ := res.VariantIn(SizeLarge, FormatJPEG)
	img, err := jpeg.Decode(bytes.NewReader(v.Data))
	if err != nil {
		t.Fatal(err)
	}
	for x := 0; x < 16; x++ {
		top := color.GrayModel.Convert(img.At(x, 0)).(color.Gray).Y
		below := color.GrayModel.Convert(img.At(x, 2)).(color.Gray).Y
		if diff := int(top) - int(below); diff < -24 || diff > 24 {
			t.Errorf("pixel (%d,0): got brightness %d, want close to %d two rows below", x, top, below)
		}
	}
}
