package photos

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
)

// probeGIF reads the logical screen size. image/gif rejects any frame that
// extends past the screen, so the screen bounds every frame's pixels.
func probeGIF(data []byte) (header, error) {
	cfg, err := gif.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return header{}, err
	}
	return header{width: cfg.Width, height: cfg.Height, orientation: 1}, nil
}

// decodeGIF returns the first frame drawn on the logical screen. gif.Decode
// stops reading after that frame, so later frames cost nothing. The part of
// the screen that the frame leaves uncovered is transparent, as browsers
// show it, and so turns white later.
func decodeGIF(data []byte, h *header) (image.Image, error) {
	img, err := gif.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	screen := image.Rect(0, 0, h.width, h.height)
	frame, ok := img.(*image.Paletted)
	if !ok || frame.Rect == screen {
		return img, nil
	}

	// A palette with room for one more entry gets a transparent one, which
	// keeps the canvas at one byte per pixel. Indexes outside the frame's
	// palette become transparent as well.
	if len(frame.Palette) < 256 {
		palette := append(color.Palette{color.Transparent}, frame.Palette...)
		canvas := image.NewPaletted(screen, palette)
		for y := frame.Rect.Min.Y; y < frame.Rect.Max.Y; y++ {
			src := frame.Pix[frame.PixOffset(frame.Rect.Min.X, y):][:frame.Rect.Dx()]
			dst := canvas.Pix[canvas.PixOffset(frame.Rect.Min.X, y):][:frame.Rect.Dx()]
			for x, index := range src {
				if int(index) < len(frame.Palette) {
					dst[x] = index + 1
				}
			}
		}
		return canvas, nil
	}
	canvas := image.NewNRGBA(screen)
	draw.Draw(canvas, frame.Rect, frame, frame.Rect.Min, draw.Src)
	return canvas, nil
}
