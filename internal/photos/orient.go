package photos

import "image"

// orientedSize returns the size of a w×h stored image once displayed with the
// given EXIF orientation. Orientations 5 to 8 turn the image a quarter, which
// swaps width and height.
func orientedSize(w, h, orientation int) (int, int) {
	if orientation >= 5 && orientation <= 8 {
		return h, w
	}
	return w, h
}

// applyOrientation returns src transformed from its stored layout to the
// upright layout that the EXIF orientation describes. Orientation 1 and
// unknown values return src itself.
//
// EXIF describes where the stored rows and columns belong on screen: for 6
// the stored top row is the displayed right column, so the image is turned
// 90° clockwise. Values 2, 4, 5 and 7 add a mirror image.
func applyOrientation(src *image.RGBA, orientation int) *image.RGBA {
	if orientation < 2 || orientation > 8 {
		return src
	}
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	dw, dh := orientedSize(sw, sh, orientation)
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))

	// For each destination pixel (dx, dy), locate its source pixel (sx, sy)
	// as sx = x0 + dx*xdx + dy*xdy and sy = y0 + dx*ydx + dy*ydy.
	var x0, xdx, xdy, y0, ydx, ydy int
	switch orientation {
	case 2: // mirrored left to right
		x0, xdx, y0, ydy = sw-1, -1, 0, 1
	case 3: // turned 180°
		x0, xdx, y0, ydy = sw-1, -1, sh-1, -1
	case 4: // mirrored top to bottom
		x0, xdx, y0, ydy = 0, 1, sh-1, -1
	case 5: // transposed across the main diagonal
		x0, xdy, y0, ydx = 0, 1, 0, 1
	case 6: // needs a 90° clockwise turn
		x0, xdy, y0, ydx = 0, 1, sh-1, -1
	case 7: // transposed across the anti-diagonal
		x0, xdy, y0, ydx = sw-1, -1, sh-1, -1
	case 8: // needs a 90° counter-clockwise turn
		x0, xdy, y0, ydx = sw-1, -1, 0, 1
	}

	for dy := 0; dy < dh; dy++ {
		row := dst.Pix[dy*dst.Stride : dy*dst.Stride+dw*4]
		sx := x0 + dy*xdy
		sy := y0 + dy*ydy
		for dx := 0; dx < dw; dx++ {
			i := (sy-src.Rect.Min.Y)*src.Stride + (sx-src.Rect.Min.X)*4
			copy(row[dx*4:dx*4+4], src.Pix[i:i+4])
			sx += xdx
			sy += ydx
		}
	}
	return dst
}
