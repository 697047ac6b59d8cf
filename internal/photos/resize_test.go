package photos

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"testing"

	"golang.org/x/image/draw"
)

func TestFitBox(t *testing.T) {
	tests := []struct {
		w, h, box    int
		wantW, wantH int
	}{
		{3264, 2448, 1600, 1600, 1200},
		{2448, 3264, 1600, 1200, 1600},
		{1600, 1200, 400, 400, 300},
		{100, 50, 400, 100, 50},   // already fits: never upscaled
		{400, 400, 400, 400, 400}, // exactly the box
		{401, 400, 400, 400, 399}, // rounds to nearest
		{10000, 1, 400, 400, 1},   // extreme panorama keeps one row
		{1, 10000, 400, 1, 400},   // and one column
		{50000, 1000, 1600, 1600, 32},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dx%d in %d", tt.w, tt.h, tt.box), func(t *testing.T) {
			w, h := fitBox(tt.w, tt.h, tt.box, tt.box)
			if w != tt.wantW || h != tt.wantH {
				t.Errorf("fitBox: got %dx%d, want %dx%d", w, h, tt.wantW, tt.wantH)
			}
		})
	}
}

func TestNewFilterWeightsSumToOne(t *testing.T) {
	for _, sizes := range [][2]int{{3264, 1600}, {1600, 400}, {100, 100}, {7, 3}, {1, 1}, {5, 1}, {10000, 1}} {
		src, dst := sizes[0], sizes[1]
		t.Run(fmt.Sprintf("%d to %d", src, dst), func(t *testing.T) {
			f := newFilter(src, dst)
			for i := range dst {
				if f.starts[i] < 0 || f.starts[i]+f.counts[i] > src {
					t.Fatalf("index %d: reads [%d, %d), outside [0, %d)", i, f.starts[i], f.starts[i]+f.counts[i], src)
				}
				var sum int32
				for _, w := range f.weights[i*f.taps : i*f.taps+f.counts[i]] {
					sum += w
				}
				if sum != 1<<weightBits {
					t.Fatalf("index %d: got weight sum %d, want %d", i, sum, 1<<weightBits)
				}
			}
		})
	}
}

func TestResampleKeepsFlatColor(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 333, 217))
	want := color.RGBA{17, 128, 250, 255}
	draw.Draw(src, src.Rect, image.NewUniform(want), image.Point{}, draw.Src)

	got := resample(src, 100, 65)
	for y := range 65 {
		for x := range 100 {
			if c := got.RGBAAt(x, y); c != want {
				t.Fatalf("pixel (%d,%d): got %v, want %v", x, y, c, want)
			}
		}
	}
}

func TestResampleIdentity(t *testing.T) {
	src := noise(97, 61)
	got := resample(src, 97, 61)
	if d := meanAbsDiff(got, src); d != 0 {
		t.Errorf("mean abs diff: got %v, want 0", d)
	}
}

// TestResampleMatchesDrawCatmullRom compares the fixed-point resampler with
// x/image/draw's float64 implementation of the same kernel.
func TestResampleMatchesDrawCatmullRom(t *testing.T) {
	src := noise(640, 480)
	for _, size := range []image.Point{{313, 235}, {160, 120}, {600, 450}, {37, 400}} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			got := resample(src, size.X, size.Y)
			want := image.NewRGBA(image.Rectangle{Max: size})
			draw.CatmullRom.Scale(want, want.Rect, src, src.Rect, draw.Src, nil)

			maxDiff := 0
			for i := range got.Pix {
				maxDiff = max(maxDiff, absDiff(int(got.Pix[i]), int(want.Pix[i])))
			}
			// Fixed-point rounding may differ from float64 by one level.
			if maxDiff > 1 {
				t.Errorf("max channel difference: got %d, want at most 1", maxDiff)
			}
			if d := meanAbsDiff(got, want); d > 0.25 {
				t.Errorf("mean abs diff: got %.3f, want at most 0.25", d)
			}
		})
	}
}

// noise returns a w×h opaque image of smooth gradients overlaid with
// random pixels, the hardest case for a resampler's rounding.
func noise(w, h int) *image.RGBA {
	rng := rand.New(rand.NewPCG(1, 2))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetRGBA(x, y, color.RGBA{
				uint8(x * 255 / w),
				uint8(rng.IntN(256)),
				uint8((x + y) % 256),
				255,
			})
		}
	}
	return m
}

func TestRowReaderFlattensOntoWhite(t *testing.T) {
	rect := image.Rect(0, 0, 4, 1)

	nrgba := image.NewNRGBA(rect)
	nrgba.SetNRGBA(0, 0, color.NRGBA{200, 0, 0, 0})
	nrgba.SetNRGBA(1, 0, color.NRGBA{0, 0, 0, 128})
	nrgba.SetNRGBA(2, 0, color.NRGBA{10, 20, 30, 255})

	rgba := image.NewRGBA(rect)
	rgba.SetRGBA(1, 0, color.RGBA{0, 0, 0, 128})
	rgba.SetRGBA(2, 0, color.RGBA{10, 20, 30, 255})

	paletted := image.NewPaletted(rect, color.Palette{
		color.NRGBA{0, 0, 0, 0},
		color.NRGBA{0, 0, 0, 128},
		color.NRGBA{10, 20, 30, 255},
	})
	paletted.Pix = []uint8{0, 1, 2, 200} // 200 lies outside the palette

	nrgba64 := image.NewNRGBA64(rect)
	nrgba64.SetNRGBA64(1, 0, color.NRGBA64{0, 0, 0, 0x8080})
	nrgba64.SetNRGBA64(2, 0, color.NRGBA64{0x0a0a, 0x1414, 0x1e1e, 0xffff})

	gray := image.NewGray(rect)
	gray.SetGray(1, 0, color.Gray{127})
	gray.SetGray(2, 0, color.Gray{20})

	// Half-covered black over white is mid gray. Each decoder rounds
	// differently, so the tests accept 127 or 128.
	tests := []struct {
		name string
		img  image.Image
		want [4][3]uint8
	}{
		{"nrgba", nrgba, [4][3]uint8{{255, 255, 255}, {127, 127, 127}, {10, 20, 30}, {255, 255, 255}}},
		{"rgba", rgba, [4][3]uint8{{255, 255, 255}, {127, 127, 127}, {10, 20, 30}, {255, 255, 255}}},
		{"paletted", paletted, [4][3]uint8{{255, 255, 255}, {127, 127, 127}, {10, 20, 30}, {0, 0, 0}}},
		{"nrgba64", nrgba64, [4][3]uint8{{255, 255, 255}, {127, 127, 127}, {10, 20, 30}, {255, 255, 255}}},
		{"gray", gray, [4][3]uint8{{0, 0, 0}, {127, 127, 127}, {20, 20, 20}, {0, 0, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := make([]uint8, 12)
			newRowReader(tt.img)(0, row)
			for x, want := range tt.want {
				got := row[3*x : 3*x+3]
				for c := range 3 {
					if absDiff(int(got[c]), int(want[c])) > 1 {
						t.Errorf("pixel %d: got %v, want %v", x, got, want)
						break
					}
				}
			}
		})
	}
}

func TestRowReaderYCbCrMatchesAt(t *testing.T) {
	ratios := []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440,
		image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, ratio := range ratios {
		t.Run(ratio.String(), func(t *testing.T) {
			// An odd size and a non-zero origin exercise the chroma index
			// arithmetic at the edges.
			m := image.NewYCbCr(image.Rect(3, 5, 3+37, 5+23), ratio)
			for i := range m.Y {
				m.Y[i] = uint8(rng.IntN(256))
			}
			for i := range m.Cb {
				m.Cb[i], m.Cr[i] = uint8(rng.IntN(256)), uint8(rng.IntN(256))
			}
			read := newRowReader(m)
			row := make([]uint8, 37*3)
			for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
				read(y, row)
				for x := 0; x < 37; x++ {
					want := color.RGBAModel.Convert(m.At(m.Rect.Min.X+x, y)).(color.RGBA)
					got := row[3*x : 3*x+3]
					if got[0] != want.R || got[1] != want.G || got[2] != want.B {
						t.Fatalf("pixel (%d,%d): got %v, want %v", m.Rect.Min.X+x, y, got, want)
					}
				}
			}
		})
	}
}

func TestScaledSize(t *testing.T) {
	cases := []struct {
		size        string
		large       [2]int
		want        [2]int
		wantUnknown bool
	}{
		{SizeLarge, [2]int{1600, 1200}, [2]int{1600, 1200}, false},
		{SizeMedium, [2]int{1600, 1200}, [2]int{1000, 750}, false},
		{SizeThumb, [2]int{1600, 1200}, [2]int{400, 300}, false},
		{SizeMedium, [2]int{800, 600}, [2]int{800, 600}, false},
		{"huge", [2]int{1600, 1200}, [2]int{0, 0}, true},
	}
	for _, tc := range cases {
		w, h, ok := ScaledSize(tc.size, tc.large[0], tc.large[1])
		if got := [2]int{w, h}; got != tc.want || ok == tc.wantUnknown {
			t.Errorf("ScaledSize(%s, %v): got %v %v, want %v %v", tc.size, tc.large, got, ok, tc.want, !tc.wantUnknown)
		}
	}
}
