package photos

import (
	"fmt"
	"image"
	"image/color"
	"testing"
)

func TestApplyOrientation(t *testing.T) {
	// The stored image is 3×2 with pixels labelled 1 to 6:
	//
	//	1 2 3
	//	4 5 6
	//
	// Each want is the upright layout, derived from the EXIF definition of
	// where the stored top row (1 2 3) and left column (1 4) belong.
	src := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for i := range 6 {
		src.SetRGBA(i%3, i/3, color.RGBA{uint8(i + 1), 0, 0, 255})
	}

	tests := []struct {
		orientation int
		want        [][]uint8
	}{
		{1, [][]uint8{{1, 2, 3}, {4, 5, 6}}},
		{2, [][]uint8{{3, 2, 1}, {6, 5, 4}}},   // top row at top, left column at right
		{3, [][]uint8{{6, 5, 4}, {3, 2, 1}}},   // top row at bottom, left column at right
		{4, [][]uint8{{4, 5, 6}, {1, 2, 3}}},   // top row at bottom, left column at left
		{5, [][]uint8{{1, 4}, {2, 5}, {3, 6}}}, // top row at left, left column at top
		{6, [][]uint8{{4, 1}, {5, 2}, {6, 3}}}, // top row at right, left column at top
		{7, [][]uint8{{6, 3}, {5, 2}, {4, 1}}}, // top row at right, left column at bottom
		{8, [][]uint8{{3, 6}, {2, 5}, {1, 4}}}, // top row at left, left column at bottom
		{0, [][]uint8{{1, 2, 3}, {4, 5, 6}}},   // out of range: unchanged
		{9, [][]uint8{{1, 2, 3}, {4, 5, 6}}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.orientation), func(t *testing.T) {
			got := applyOrientation(src, tt.orientation)
			wantSize := image.Pt(len(tt.want[0]), len(tt.want))
			if got.Rect.Size() != wantSize {
				t.Fatalf("size: got %v, want %v", got.Rect.Size(), wantSize)
			}
			for y, row := range tt.want {
				for x, label := range row {
					if r := got.RGBAAt(x, y).R; r != label {
						t.Errorf("pixel (%d,%d): got label %d, want %d", x, y, r, label)
					}
				}
			}
		})
	}
}

func TestOrientedSize(t *testing.T) {
	for orientation := 1; orientation <= 8; orientation++ {
		w, h := orientedSize(30, 20, orientation)
		want := image.Pt(30, 20)
		if orientation >= 5 {
			want = image.Pt(20, 30)
		}
		if image.Pt(w, h) != want {
			t.Errorf("orientation %d: got %dx%d, want %v", orientation, w, h, want)
		}
	}
}
