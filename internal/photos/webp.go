package photos

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"

	"github.com/gen2brain/webp"
)

// webpFile contains the facts that this package reads from a WebP container
// (RFC 9649) before passing it to libwebp.
type webpFile struct {
	width, height int // canvas size
	icc, exif     []byte

	// still is a non-animated WebP file holding the pixels to decode: the
	// file itself, or the first frame of an animation in a container of
	// its own. Handing libwebp one frame keeps its animation decoder, which
	// allocates a canvas for every frame, out of reach.
	still []byte
	frame image.Rectangle // position of still on the canvas
	alpha bool

	// invalid, when set, is why the file cannot be decoded although its
	// canvas size was read. decodeWebP returns it, so that Process checks
	// a hostile canvas size first and reports ErrTooManyPixels.
	invalid error
}

// webpYUV converts the limited-range BT.601 YCbCr that VP8 codes and that
// libwebp also returns for lossless (VP8L) images.
var webpYUV = newYUVConverter(cicp{primaries: 2, transfer: 2, matrix: 6, fullRange: false})

func probeWebP(data []byte) (header, error) {
	f, err := parseWebP(data)
	if err != nil {
		return header{}, err
	}
	orientation := 1
	if f.exif != nil {
		// The EXIF chunk holds TIFF data, although some writers keep the
		// "Exif\0\0" prefix of the JPEG APP1 segment.
		orientation = tiffOrientation(bytes.TrimPrefix(f.exif, exifHeader))
	}
	return header{
		width:       f.width,
		height:      f.height,
		orientation: orientation,
		color:       colorSource{icc: f.icc},
		webp:        f,
	}, nil
}

// decodeWebP decodes the still image or first frame with libwebp compiled to
// WebAssembly (github.com/gen2brain/webp). The library returns YCbCr planes
// that image.NYCbCrA would convert as full range, so they are wrapped with
// the limited-range conversion that VP8 uses.
func decodeWebP(data []byte, h *header) (image.Image, error) {
	f := h.webp
	if f.invalid != nil {
		return nil, f.invalid
	}
	decoded, err := webp.Decode(bytes.NewReader(f.still))
	if err != nil {
		return nil, err
	}
	m, ok := decoded.(*image.NYCbCrA)
	if !ok {
		return nil, fmt.Errorf("libwebp returned %T for a still image", decoded)
	}
	if m.Rect.Size() != f.frame.Size() {
		return nil, fmt.Errorf("libwebp returned a %v image for a %v frame", m.Rect.Size(), f.frame.Size())
	}
	var alpha []uint8
	if f.alpha {
		alpha = m.A
	}
	frame := newYUVImage(&m.YCbCr, alpha, m.AStride, webpYUV)
	canvas := image.Rect(0, 0, f.width, f.height)
	if f.frame == canvas {
		return frame, nil
	}

	// The first frame of an animation may cover only part of the canvas.
	// The rest is transparent, and so white like any other transparency.
	out := image.NewRGBA(canvas)
	for i := range out.Pix {
		out.Pix[i] = 0xFF
	}
	read := frame.rows()
	row := make([]uint8, 3*f.frame.Dx())
	for y := range f.frame.Dy() {
		read(y, row)
		dst := out.Pix[out.PixOffset(f.frame.Min.X, f.frame.Min.Y+y):]
		for x := range f.frame.Dx() {
			copy(dst[4*x:4*x+3], row[3*x:3*x+3])
		}
	}
	return out, nil
}

// webpChunk is one RIFF chunk: its FourCC and payload, without padding.
type webpChunk struct {
	fourCC  string
	payload []byte
}

// parseWebPChunks splits a RIFF payload into chunks, each padded to an even
// length.
func parseWebPChunks(data []byte) ([]webpChunk, error) {
	var chunks []webpChunk
	for pos := 0; pos < len(data); {
		if len(data)-pos < 8 {
			return nil, errors.New("chunk header is truncated")
		}
		fourCC := string(data[pos : pos+4])
		size := uint64(binary.LittleEndian.Uint32(data[pos+4:]))
		if size > uint64(len(data)-pos-8) {
			return nil, fmt.Errorf("%q chunk of %d bytes runs past the end of the file", fourCC, size)
		}
		chunks = append(chunks, webpChunk{fourCC: fourCC, payload: data[pos+8 : pos+8+int(size)]})
		pos += 8 + int(size) + int(size&1)
	}
	return chunks, nil
}

// parseWebP reads the container in the three layouts of RFC 9649: simple
// lossy (VP8), simple lossless (VP8L) and extended (VP8X), and checks that
// the bitstream's own size agrees with the canvas.
func parseWebP(data []byte) (*webpFile, error) {
	if len(data) < 12 {
		return nil, errors.New("RIFF header is truncated")
	}
	riffSize := uint64(binary.LittleEndian.Uint32(data[4:]))
	if riffSize+8 > uint64(len(data)) {
		return nil, fmt.Errorf("RIFF size %d runs past the end of the %d-byte file", riffSize, len(data))
	}
	// Bytes after the RIFF container are not part of the image.
	data = data[:8+riffSize]
	chunks, err := parseWebPChunks(data[12:])
	if err != nil {
		return nil, err
	}
	if len(chunks) == 0 {
		return nil, errors.New("no chunks")
	}

	first := chunks[0]
	if first.fourCC != "VP8X" {
		w, h, alpha, err := bitstreamSize(first)
		if err != nil {
			return nil, err
		}
		rect := image.Rect(0, 0, w, h)
		return &webpFile{width: w, height: h, still: data, frame: rect, alpha: alpha}, nil
	}

	if len(first.payload) < 10 {
		return nil, errors.New("VP8X chunk is truncated")
	}
	const (
		flagAnimation = 0x02
		flagAlpha     = 0x10
	)
	flags := first.payload[0]
	f := &webpFile{
		width:  int(uint24(first.payload[4:])) + 1,
		height: int(uint24(first.payload[7:])) + 1,
	}
	for _, c := range chunks[1:] {
		switch c.fourCC {
		case "ICCP":
			f.icc = c.payload
		case "EXIF":
			f.exif = c.payload
		}
	}
	if flags&flagAnimation != 0 {
		f.invalid = f.readFirstFrame(chunks[1:])
	} else {
		f.invalid = f.readStill(data, flags&flagAlpha != 0, chunks[1:])
	}
	return f, nil
}

// readStill finds the bitstream of a non-animated extended file.
func (f *webpFile) readStill(data []byte, alphaFlag bool, chunks []webpChunk) error {
	for _, c := range chunks {
		switch c.fourCC {
		case "ALPH":
			f.alpha = true
		case "VP8 ", "VP8L":
			w, h, alpha, err := bitstreamSize(c)
			if err != nil {
				return err
			}
			if w != f.width || h != f.height {
				return fmt.Errorf("bitstream of %d×%d in a %d×%d canvas", w, h, f.width, f.height)
			}
			f.alpha = (f.alpha || alpha) && alphaFlag
			f.still = data
			f.frame = image.Rect(0, 0, w, h)
			return nil
		}
	}
	return errors.New("no VP8 or VP8L bitstream chunk")
}

// readFirstFrame finds the first ANMF chunk and wraps its image data in a
// still file of its own.
func (f *webpFile) readFirstFrame(chunks []webpChunk) error {
	for _, c := range chunks {
		if c.fourCC != "ANMF" {
			continue
		}
		if len(c.payload) < 16 {
			return errors.New("ANMF chunk is truncated")
		}
		p := c.payload
		// Offsets are stored halved, sizes minus one.
		x, y := 2*int(uint24(p[0:])), 2*int(uint24(p[3:]))
		w, h := int(uint24(p[6:]))+1, int(uint24(p[9:]))+1
		f.frame = image.Rect(x, y, x+w, y+h)
		if !f.frame.In(image.Rect(0, 0, f.width, f.height)) {
			return fmt.Errorf("first frame %v lies outside the %d×%d canvas", f.frame, f.width, f.height)
		}
		frameChunks, err := parseWebPChunks(p[16:])
		if err != nil {
			return fmt.Errorf("first frame: %w", err)
		}
		var alph, bitstream *webpChunk
		for i := range frameChunks {
			switch frameChunks[i].fourCC {
			case "ALPH":
				alph = &frameChunks[i]
			case "VP8 ", "VP8L":
				bitstream = &frameChunks[i]
			}
			if bitstream != nil {
				break
			}
		}
		if bitstream == nil {
			return errors.New("first frame has no VP8 or VP8L bitstream chunk")
		}
		bw, bh, alpha, err := bitstreamSize(*bitstream)
		if err != nil {
			return err
		}
		if bw != w || bh != h {
			return fmt.Errorf("bitstream of %d×%d in a %d×%d frame", bw, bh, w, h)
		}
		f.alpha = alpha || alph != nil
		f.still = stillWebP(w, h, f.alpha, alph, *bitstream)
		return nil
	}
	return errors.New("animation has no ANMF frame")
}

// stillWebP builds an extended-format WebP file of one image from an
// optional ALPH chunk and a bitstream chunk.
func stillWebP(w, h int, alpha bool, alph *webpChunk, bitstream webpChunk) []byte {
	var body bytes.Buffer
	body.WriteString("WEBP")
	vp8x := make([]byte, 10)
	if alpha {
		vp8x[0] = 0x10
	}
	putUint24(vp8x[4:], uint32(w-1))
	putUint24(vp8x[7:], uint32(h-1))
	writeWebPChunk(&body, "VP8X", vp8x)
	if alph != nil {
		writeWebPChunk(&body, alph.fourCC, alph.payload)
	}
	writeWebPChunk(&body, bitstream.fourCC, bitstream.payload)

	out := make([]byte, 8, 8+body.Len())
	copy(out, "RIFF")
	binary.LittleEndian.PutUint32(out[4:], uint32(body.Len()))
	return append(out, body.Bytes()...)
}

func writeWebPChunk(buf *bytes.Buffer, fourCC string, payload []byte) {
	buf.WriteString(fourCC)
	binary.Write(buf, binary.LittleEndian, uint32(len(payload)))
	buf.Write(payload)
	if len(payload)%2 == 1 {
		buf.WriteByte(0)
	}
}

// bitstreamSize reads the picture size from a VP8 key frame header (RFC
// 6386, section 9.1) or a VP8L header (RFC 9649, section 3.2), and the
// alpha hint of a VP8L header.
func bitstreamSize(c webpChunk) (w, h int, alpha bool, err error) {
	p := c.payload
	switch c.fourCC {
	case "VP8 ":
		// A three-byte frame tag whose low bit is 0 for key frames, then
		// the start code and two 14-bit sizes with 2-bit scales.
		if len(p) < 10 || p[0]&1 != 0 || !bytes.Equal(p[3:6], []byte{0x9D, 0x01, 0x2A}) {
			return 0, 0, false, errors.New("VP8 bitstream does not start with a key frame header")
		}
		w = int(binary.LittleEndian.Uint16(p[6:]) & 0x3FFF)
		h = int(binary.LittleEndian.Uint16(p[8:]) & 0x3FFF)
	case "VP8L":
		// The signature byte 0x2F, then 14-bit width and height minus one,
		// the alpha hint and a 3-bit version that must be 0.
		if len(p) < 5 || p[0] != 0x2F {
			return 0, 0, false, errors.New("VP8L bitstream has no signature")
		}
		bits := binary.LittleEndian.Uint32(p[1:])
		if bits>>29 != 0 {
			return 0, 0, false, fmt.Errorf("VP8L bitstream of unknown version %d", bits>>29)
		}
		w = int(bits&0x3FFF) + 1
		h = int(bits>>14&0x3FFF) + 1
		alpha = bits>>28&1 != 0
	default:
		return 0, 0, false, fmt.Errorf("first chunk %q is not an image", c.fourCC)
	}
	if w == 0 || h == 0 {
		return 0, 0, false, fmt.Errorf("bitstream declares a %d×%d picture", w, h)
	}
	return w, h, alpha, nil
}

func uint24(b []byte) uint32 { return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 }

func putUint24(b []byte, v uint32) { b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16) }
