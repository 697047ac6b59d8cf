package photos

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"slices"

	"github.com/gen2brain/heic"
)

// maxGridTiles bounds the tiles of a grid image. An iPhone photo of 4032×3024
// pixels has 48 tiles of 512×512, and the grid box cannot describe more than
// 256×256.
const maxGridTiles = 256 * 256

// probeHEIC parses the container in Go, so that the image size, every coded
// tile's size and the color signalling are known before the WebAssembly
// build of libheif receives the file. Only HEVC-coded images (item type
// hvc1) and grids of them are accepted, because the libheif build has no
// other decoder.
func probeHEIC(data []byte) (header, error) {
	f, err := parseHEIF(data)
	if err != nil {
		return header{}, err
	}
	img, err := f.primaryImage()
	if err != nil {
		return header{}, err
	}
	source := colorSource{icc: img.icc, cicp: img.nclx}
	if source.icc == nil && source.cicp == nil {
		source.cicp = &img.sps.signal
	}
	return header{
		width:       img.width,
		height:      img.height,
		orientation: 1,
		codedPixels: img.codedPixels,
		color:       source,
		heif:        img,
	}, nil
}

// decodeHEIC decodes the primary image with libheif 1.18 compiled to
// WebAssembly (github.com/gen2brain/heic), which applies the container's
// irot, imir and clap transformations itself. EXIF orientation is ignored:
// in HEIF the container's transformations are authoritative, and a file
// that carries both would be turned twice.
//
// The library returns YCbCr planes as decoded and leaves their conversion
// to RGB to the caller, so the matrix and range come from the nclx box or,
// failing that, the VUI of the HEVC stream.
//
// NOTE: Nothing bounds the time libheif spends on a hostile file, because
// the library runs the module without a context that could interrupt it.
//
// NOTE: The library (v0.4.5) frees the WebAssembly buffer that the
// planes alias before returning them, and the allocator then writes its
// bookkeeping over the first 24 bytes of the luma plane. repairTopRow
// paints those pixels with the row below, so no dark streak shows; the
// original 24 pixels are lost.
func decodeHEIC(data []byte, h *header) (image.Image, error) {
	decoded, err := heic.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	signal := h.heif.sps.signal
	if h.heif.nclx != nil {
		signal = *h.heif.nclx
	}
	switch m := decoded.(type) {
	case *image.YCbCr:
		if err := checkPlaneStrides(m.Rect.Dx(), m.YStride, m.CStride); err != nil {
			return nil, err
		}
		repairTopRow(m.Y, m.YStride, m.Rect.Dx(), m.Rect.Dy())
		return newYUVImage(m, nil, 0, newYUVConverter(signal)), nil
	case *image.Gray:
		if err := checkPlaneStrides(m.Rect.Dx(), m.Stride, m.Stride); err != nil {
			return nil, err
		}
		repairTopRow(m.Pix, m.Stride, m.Rect.Dx(), m.Rect.Dy())
		if signal.fullRange {
			return m, nil
		}
		// A monochrome stream in limited range still needs its luma
		// expanded, which the YCbCr path does when it has no chroma.
		y := &image.YCbCr{Y: m.Pix, YStride: m.Stride, Rect: m.Rect, SubsampleRatio: image.YCbCrSubsampleRatio444}
		return newYUVImage(y, nil, 0, newYUVConverter(signal)), nil
	}
	// RGB-coded images come back as RGBA, converted by libheif itself.
	return decoded, nil
}

// clobberedBytes is how much of the luma plane the decoder overwrites.
const clobberedBytes = 24

// repairTopRow copies the start of the second row over the clobbered start
// of the first.
func repairTopRow(plane []byte, stride, width, height int) {
	n := min(clobberedBytes, width)
	if height < 2 || len(plane) < stride+n {
		return
	}
	copy(plane[:n], plane[stride:stride+n])
}

// minPlaneStride is the smallest row stride, in bytes, at which
// github.com/gen2brain/heic v0.4.5 lays out planes the way its libheif build
// writes them.
//
// NOTE: The library assumes each plane's stride is its width rounded up to
// 16 bytes, but the WebAssembly libheif writes rows at least 64 bytes
// apart. Measured against heif-convert on images 32 to 1000 pixels wide,
// every image up to 96 pixels wide, whose chroma rows are then under 64
// bytes, came back garbled and every wider one intact.
const minPlaneStride = 64

// checkPlaneStrides rejects a decoded image that the library has laid out
// with rows closer than minPlaneStride, because its pixels are scrambled.
func checkPlaneStrides(width, lumaStride, chromaStride int) error {
	if lumaStride < minPlaneStride || chromaStride < minPlaneStride {
		return fmt.Errorf("%w (HEIC image %d pixels wide: the decoder garbles images up to 96 pixels wide)", ErrUnsupported, width)
	}
	return nil
}

// primaryImage checks the primary item and collects the facts that
// heifImage holds.
func (f *heifFile) primaryImage() (*heifImage, error) {
	primary := f.items[f.primary]
	img := &heifImage{}
	ispe, ok := primary.property("ispe")
	if !ok || len(ispe.payload) < 12 {
		return nil, errors.New("primary item has no image size (ispe) property")
	}
	img.width = int(binary.BigEndian.Uint32(ispe.payload[4:]))
	img.height = int(binary.BigEndian.Uint32(ispe.payload[8:]))

	var coded []uint32
	switch primary.kind {
	case "hvc1":
		coded = []uint32{f.primary}
	case "grid":
		tiles, err := f.gridTiles(primary, img.width, img.height)
		if err != nil {
			return nil, err
		}
		coded = tiles
	case "av01":
		return nil, fmt.Errorf("%w (HEIF file contains an AVIF image, item type av01)", ErrUnsupported)
	default:
		return nil, fmt.Errorf("%w (HEIF primary item of type %q)", ErrUnsupported, primary.kind)
	}

	first := f.items[coded[0]]
	for _, it := range []*heifItem{primary, first} {
		if img.icc == nil && img.nclx == nil {
			img.icc, img.nclx = colorProperties(it)
		}
	}

	// Alpha, depth and gain map images are coded separately and count
	// towards the decoder's work as well. Those of another codec are never
	// decoded, so they are left out.
	counted := slices.Clone(coded)
	for _, id := range f.auxFor[f.primary] {
		it, ok := f.items[id]
		if !ok {
			continue
		}
		if isAlphaPlane(it) {
			return nil, fmt.Errorf("%w (HEIC image with an alpha plane, which the decoder drops)", ErrUnsupported)
		}
		if it.kind == "hvc1" {
			counted = append(counted, id)
		}
	}
	sizes := map[uint32]int64{}
	for i, id := range counted {
		pixels, ok := sizes[id]
		if !ok {
			sps, err := f.codedSize(id)
			if err != nil {
				return nil, err
			}
			if i == 0 {
				img.sps = sps
			}
			pixels = int64(sps.width) * int64(sps.height)
			sizes[id] = pixels
		}
		img.codedPixels += pixels
	}
	return img, nil
}

// alphaTypes are the auxC types of alpha planes: the HEVC one of ISO/IEC
// 23008-12 and the CICP one that MIAF and AVIF files use.
var alphaTypes = []string{"urn:mpeg:hevc:2015:auxid:1", "urn:mpeg:mpegB:cicp:systems:auxiliary:alpha"}

// isAlphaPlane reports whether an auxiliary image's auxC property names it
// an alpha plane.
//
// github.com/gen2brain/heic v0.4.5 decodes such an image as YCbCr without
// its alpha plane, so the colors that transparent pixels hide would show.
// primaryImage rejects these images rather than publish them that way.
func isAlphaPlane(it *heifItem) bool {
	auxC, ok := it.property("auxC")
	if !ok || len(auxC.payload) < 4 {
		return false
	}
	name, _, _ := bytes.Cut(auxC.payload[4:], []byte{0})
	return slices.Contains(alphaTypes, string(name))
}

// gridTiles reads the ImageGrid structure of a grid item (ISO/IEC 23008-12,
// section 6.6.2.3.2) and returns its tiles, which must all be hvc1 items.
func (f *heifFile) gridTiles(grid *heifItem, width, height int) ([]uint32, error) {
	data, err := f.itemData(grid)
	if err != nil {
		return nil, err
	}

	r := reader{data: data}
	r.u8() // version
	flags := r.u8()
	rows, columns := int(r.u8())+1, int(r.u8())+1
	size := 2
	if flags&1 != 0 {
		size = 4
	}
	var outW, outH int
	if size == 2 {
		outW, outH = int(r.u16()), int(r.u16())
	} else {
		outW, outH = int(r.u32()), int(r.u32())
	}
	if r.failed {
		return nil, errors.New("grid item data is truncated")
	}

	if outW != width || outH != height {
		return nil, fmt.Errorf("grid output of %d×%d differs from the image size %d×%d", outW, outH, width, height)
	}
	if rows*columns != len(grid.dimg) || len(grid.dimg) > maxGridTiles {
		return nil, fmt.Errorf("grid of %d×%d tiles has %d tile references", rows, columns, len(grid.dimg))
	}

	for _, id := range grid.dimg {
		tile, ok := f.items[id]
		if !ok {
			return nil, fmt.Errorf("grid tile %d is not in the item list", id)
		}
		if tile.kind != "hvc1" {
			return nil, fmt.Errorf("%w (HEIF grid tile of type %q)", ErrUnsupported, tile.kind)
		}
	}
	return grid.dimg, nil
}

// colorProperties returns the ICC profile and the nclx code points of an
// item's colr properties. An item may carry one of each.
func colorProperties(it *heifItem) (icc []byte, nclx *cicp) {
	for _, p := range it.properties {
		if p.kind != "colr" || len(p.payload) < 4 {
			continue
		}
		body := p.payload[4:]
		switch string(p.payload[:4]) {
		case "prof", "rICC":
			if icc == nil {
				icc = body
			}
		case "nclx":
			if nclx == nil && len(body) >= 7 {
				nclx = &cicp{
					primaries: binary.BigEndian.Uint16(body[0:]),
					transfer:  binary.BigEndian.Uint16(body[2:]),
					matrix:    binary.BigEndian.Uint16(body[4:]),
					fullRange: body[6]&0x80 != 0,
				}
			}
		}
	}
	return icc, nclx
}

// codedSize returns the sequence parameter set that an hvc1 item's pictures
// are decoded with. The hvcC property normally contains it, but the item
// data may repeat it with other values, and the decoder uses the last one
// in the stream, so each in-band SPS is read too and the largest picture
// is kept.
func (f *heifFile) codedSize(id uint32) (hevcSPS, error) {
	it, ok := f.items[id]
	if !ok {
		return hevcSPS{}, fmt.Errorf("coded item %d is not in the item list", id)
	}
	if it.kind != "hvc1" {
		return hevcSPS{}, fmt.Errorf("%w (HEIF coded item of type %q)", ErrUnsupported, it.kind)
	}
	hvcC, ok := it.property("hvcC")
	if !ok {
		return hevcSPS{}, fmt.Errorf("item %d has no HEVC configuration (hvcC)", id)
	}
	sps, lengthSize, err := parseHVCC(hvcC.payload)
	if err != nil {
		return hevcSPS{}, fmt.Errorf("item %d: %w", id, err)
	}

	data, err := f.itemData(it)
	if err != nil {
		return hevcSPS{}, err
	}
	for pos := 0; pos < len(data); {
		if len(data)-pos < lengthSize {
			return hevcSPS{}, fmt.Errorf("item %d: NAL unit length is truncated", id)
		}
		var n int
		for _, b := range data[pos : pos+lengthSize] {
			n = n<<8 | int(b)
		}
		pos += lengthSize
		if n > len(data)-pos {
			return hevcSPS{}, fmt.Errorf("item %d: NAL unit of %d bytes runs past the item data", id, n)
		}
		nal := data[pos : pos+n]
		pos += n
		if len(nal) > 0 && int(nal[0]>>1)&0x3F == nalSPS {
			inBand, err := parseSPS(nal)
			if err != nil {
				return hevcSPS{}, fmt.Errorf("item %d: %w", id, err)
			}
			if int64(inBand.width)*int64(inBand.height) > int64(sps.width)*int64(sps.height) {
				sps = inBand
			}
		}
	}
	return sps, nil
}

// parseHVCC reads an HEVCDecoderConfigurationRecord (ISO/IEC 14496-15,
// section 8.3.3.1) and returns its sequence parameter set and the size of
// the NAL unit length fields in the item data.
func parseHVCC(payload []byte) (hevcSPS, int, error) {
	if len(payload) < 23 {
		return hevcSPS{}, 0, errors.New("hvcC box is truncated")
	}
	lengthSize := int(payload[21]&3) + 1
	if lengthSize == 3 {
		return hevcSPS{}, 0, errors.New("hvcC box declares 3-byte NAL unit lengths")
	}
	r := reader{data: payload, pos: 23}
	arrays := int(payload[22])
	for range arrays {
		kind := int(r.u8() & 0x3F)
		n := int(r.u16())
		for range n {
			nal := r.bytes(int(r.u16()))
			if r.failed {
				return hevcSPS{}, 0, errors.New("hvcC box is truncated")
			}
			if kind == nalSPS {
				sps, err := parseSPS(nal)
				return sps, lengthSize, err
			}
		}
	}
	return hevcSPS{}, 0, errors.New("hvcC box has no sequence parameter set")
}
