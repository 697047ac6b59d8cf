package photos

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// heifImage contains the facts that this package reads from a HEIF
// container (ISO/IEC 23008-12) before libheif decodes it, enough to bound
// the decoder's memory and to interpret the colors it returns.
type heifImage struct {
	width, height int // ispe of the primary item, before rotation

	// codedPixels is the number of pixels that the HEVC decoder produces
	// for the primary item: every grid tile, counted once per reference,
	// plus an alpha plane.
	codedPixels int64

	icc  []byte // ICC profile from a colr box of type prof or rICC
	nclx *cicp  // code points from a colr box of type nclx

	// sps is the sequence parameter set of the first coded image, whose
	// VUI gives the YCbCr matrix and range when no nclx box does.
	sps hevcSPS
}

// box is one ISO base media file format box: its four-character type and
// its payload, after the size and type fields (and the version and flags
// of a full box, which callers skip themselves).
type box struct {
	kind    string
	payload []byte
	offset  int // offset of payload in the enclosing byte slice
}

var errBoxTruncated = errors.New("box runs past the end of its container")

// parseBoxes splits data into consecutive boxes.
func parseBoxes(data []byte) ([]box, error) {
	var boxes []box
	for pos := 0; pos < len(data); {
		if len(data)-pos < 8 {
			return nil, errBoxTruncated
		}
		size := uint64(binary.BigEndian.Uint32(data[pos:]))
		kind := string(data[pos+4 : pos+8])
		headerLen := uint64(8)
		switch size {
		case 0: // the box extends to the end of the container
			size = uint64(len(data) - pos)
		case 1: // a 64-bit size follows the type
			if len(data)-pos < 16 {
				return nil, errBoxTruncated
			}
			size, headerLen = binary.BigEndian.Uint64(data[pos+8:]), 16
		}
		if size < headerLen || size > uint64(len(data)-pos) {
			return nil, fmt.Errorf("%w: %q box of %d bytes", errBoxTruncated, kind, size)
		}
		start := pos + int(headerLen)
		end := pos + int(size)
		boxes = append(boxes, box{kind: kind, payload: data[start:end], offset: start})
		pos = end
	}
	return boxes, nil
}

func findBox(boxes []box, kind string) (box, bool) {
	for _, b := range boxes {
		if b.kind == kind {
			return b, true
		}
	}
	return box{}, false
}

// reader reads big-endian integers from a box payload. Reading past the end
// sets failed and returns zeros.
type reader struct {
	data   []byte
	pos    int
	failed bool
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || len(r.data)-r.pos < n {
		r.failed = true
		r.pos = len(r.data)
		return make([]byte, max(n, 0))
	}
	b := r.data[r.pos : r.pos+n]
	r.pos += n
	return b
}

func (r *reader) u8() uint8   { return r.bytes(1)[0] }
func (r *reader) u16() uint16 { return binary.BigEndian.Uint16(r.bytes(2)) }
func (r *reader) u32() uint32 { return binary.BigEndian.Uint32(r.bytes(4)) }

// uint reads an unsigned integer of 0, 4 or 8 bytes, the sizes that iloc
// fields take.
func (r *reader) uint(size int) uint64 {
	switch size {
	case 4:
		return uint64(r.u32())
	case 8:
		return binary.BigEndian.Uint64(r.bytes(8))
	}
	return 0
}

// fullBox reads the version and flags that start a full box.
func (r *reader) fullBox() (version uint8, flags uint32) {
	v := r.u32()
	return uint8(v >> 24), v & 0xFFFFFF
}

// itemID reads an item ID of 32 bits if wide, else 16. Each box type
// chooses the width by its version.
func (r *reader) itemID(wide bool) uint32 {
	if wide {
		return r.u32()
	}
	return uint32(r.u16())
}

// heifItem is one item of the meta box with its type, properties, data
// location and references.
type heifItem struct {
	kind       string   // item_type from infe, such as hvc1 or grid
	properties []box    // properties associated with the item, in ipma order
	extents    []extent // data location, from iloc
	method     int      // iloc construction_method: 0 file offsets, 1 idat
	dimg       []uint32 // items this derived image is built from, in order
}

type extent struct{ offset, length uint64 }

// heifFile is the parsed meta box of a HEIF file.
type heifFile struct {
	data    []byte // the whole file
	idat    []byte
	primary uint32
	items   map[uint32]*heifItem
	// auxFor maps an image to the auxiliary images (alpha, depth) that
	// refer to it through auxl references.
	auxFor map[uint32][]uint32
}

// parseHEIF reads the boxes of a HEIF file that locate and describe its
// items. It does not look at coded image data.
func parseHEIF(data []byte) (*heifFile, error) {
	top, err := parseBoxes(data)
	if err != nil {
		return nil, err
	}
	meta, ok := findBox(top, "meta")
	if !ok {
		return nil, errors.New("missing meta box")
	}
	if len(meta.payload) < 4 {
		return nil, errBoxTruncated
	}
	children, err := parseBoxes(meta.payload[4:])
	if err != nil {
		return nil, err
	}

	f := &heifFile{data: data, items: map[uint32]*heifItem{}, auxFor: map[uint32][]uint32{}}
	if hdlr, ok := findBox(children, "hdlr"); !ok || len(hdlr.payload) < 12 || string(hdlr.payload[8:12]) != "pict" {
		return nil, errors.New("meta box has no pict handler")
	}
	pitm, ok := findBox(children, "pitm")
	if !ok {
		return nil, errors.New("missing primary item (pitm) box")
	}
	r := reader{data: pitm.payload}
	version, _ := r.fullBox()
	f.primary = r.itemID(version != 0)
	if r.failed {
		return nil, errBoxTruncated
	}
	if idat, ok := findBox(children, "idat"); ok {
		f.idat = idat.payload
	}

	steps := []struct {
		kind     string
		required bool
		parse    func([]byte) error
	}{
		{"iinf", true, f.parseIINF},
		{"iloc", true, f.parseILOC},
		{"iprp", true, f.parseIPRP},
		{"iref", false, f.parseIREF},
	}
	for _, s := range steps {
		b, ok := findBox(children, s.kind)
		if !ok {
			if s.required {
				return nil, fmt.Errorf("missing %s box", s.kind)
			}
			continue
		}
		if err := s.parse(b.payload); err != nil {
			return nil, fmt.Errorf("%s box: %w", s.kind, err)
		}
	}
	if _, ok := f.items[f.primary]; !ok {
		return nil, fmt.Errorf("primary item %d is not in the item list", f.primary)
	}
	return f, nil
}

// item returns the item with the given ID, creating an entry for an ID that
// iloc or ipma names before iinf does.
func (f *heifFile) item(id uint32) *heifItem {
	it, ok := f.items[id]
	if !ok {
		it = &heifItem{}
		f.items[id] = it
	}
	return it
}

// parseIINF reads the item types from the infe boxes. Versions 0 and 1 of
// infe have no item type and are skipped, as libheif does.
func (f *heifFile) parseIINF(payload []byte) error {
	r := reader{data: payload}
	version, _ := r.fullBox()
	if version == 0 {
		r.u16() // entry_count
	} else {
		r.u32()
	}
	if r.failed {
		return errBoxTruncated
	}
	entries, err := parseBoxes(payload[r.pos:])
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.kind != "infe" {
			continue
		}
		er := reader{data: e.payload}
		v, _ := er.fullBox()
		if v < 2 {
			continue
		}
		id := er.itemID(v >= 3)
		er.u16() // item_protection_index
		kind := er.bytes(4)
		if er.failed {
			return errBoxTruncated
		}
		f.item(id).kind = string(kind)
	}
	return nil
}

// parseILOC reads item locations (ISO/IEC 14496-12, section 8.11.3).
func (f *heifFile) parseILOC(payload []byte) error {
	r := reader{data: payload}
	version, _ := r.fullBox()
	if version > 2 {
		return fmt.Errorf("unsupported version %d", version)
	}

	sizes := r.u16()
	offsetSize := int(sizes >> 12)
	lengthSize := int(sizes >> 8 & 0xF)
	baseOffsetSize := int(sizes >> 4 & 0xF)
	indexSize := 0
	if version > 0 {
		indexSize = int(sizes & 0xF)
	}
	for _, s := range []int{offsetSize, lengthSize, baseOffsetSize, indexSize} {
		if s != 0 && s != 4 && s != 8 {
			return fmt.Errorf("invalid field size %d", s)
		}
	}

	var count uint32
	if version < 2 {
		count = uint32(r.u16())
	} else {
		count = r.u32()
	}
	for range count {
		id := r.itemID(version == 2)
		method := 0
		if version > 0 {
			method = int(r.u16() & 0xF)
		}
		r.u16() // data_reference_index
		base := r.uint(baseOffsetSize)
		n := int(r.u16())
		if r.failed {
			return errBoxTruncated
		}

		it := f.item(id)
		it.method = method
		for range n {
			r.uint(indexSize)
			offset, length := r.uint(offsetSize), r.uint(lengthSize)
			if base > 1<<62 || offset > 1<<62 {
				return errors.New("extent offset out of range")
			}
			it.extents = append(it.extents, extent{offset: base + offset, length: length})
		}
		if r.failed {
			return errBoxTruncated
		}
	}
	return nil
}

// parseIPRP reads the property container (ipco) and the associations of
// properties with items (ipma).
func (f *heifFile) parseIPRP(payload []byte) error {
	children, err := parseBoxes(payload)
	if err != nil {
		return err
	}
	ipco, ok := findBox(children, "ipco")
	if !ok {
		return errors.New("missing ipco box")
	}
	properties, err := parseBoxes(ipco.payload)
	if err != nil {
		return err
	}
	for _, ipma := range children {
		if ipma.kind != "ipma" {
			continue
		}
		r := reader{data: ipma.payload}
		version, flags := r.fullBox()
		count := r.u32()
		for range count {
			id := r.itemID(version >= 1)
			n := int(r.u8())
			if r.failed {
				return errBoxTruncated
			}
			it := f.item(id)
			for range n {
				// The top bit marks an essential property. The rest is a
				// one-based index into ipco, where 0 means none.
				var index int
				if flags&1 != 0 {
					index = int(r.u16() & 0x7FFF)
				} else {
					index = int(r.u8() & 0x7F)
				}
				if index == 0 {
					continue
				}
				if index > len(properties) {
					return fmt.Errorf("item %d refers to property %d of %d", id, index, len(properties))
				}
				it.properties = append(it.properties, properties[index-1])
			}
			if r.failed {
				return errBoxTruncated
			}
		}
	}
	return nil
}

// parseIREF reads the dimg references of derived images and the auxl
// references of auxiliary images.
func (f *heifFile) parseIREF(payload []byte) error {
	r := reader{data: payload}
	version, _ := r.fullBox()
	if r.failed {
		return errBoxTruncated
	}
	refs, err := parseBoxes(payload[r.pos:])
	if err != nil {
		return err
	}
	for _, ref := range refs {
		rr := reader{data: ref.payload}
		from := rr.itemID(version != 0)
		n := int(rr.u16())
		to := make([]uint32, 0, n)
		for range n {
			to = append(to, rr.itemID(version != 0))
		}
		if rr.failed {
			return errBoxTruncated
		}
		switch ref.kind {
		case "dimg":
			f.item(from).dimg = append(f.item(from).dimg, to...)
		case "auxl":
			for _, target := range to {
				f.auxFor[target] = append(f.auxFor[target], from)
			}
		}
	}
	return nil
}

// itemData returns the bytes of an item, joining its extents. An extent of
// length 0 runs to the end of the file or idat.
func (f *heifFile) itemData(it *heifItem) ([]byte, error) {
	var src []byte
	switch it.method {
	case 0:
		src = f.data
	case 1:
		src = f.idat
	default:
		return nil, fmt.Errorf("%w (HEIF item data by construction method %d)", ErrUnsupported, it.method)
	}
	var out []byte
	for _, e := range it.extents {
		if e.offset > uint64(len(src)) {
			return nil, errors.New("item extent starts past the end of the file")
		}
		length := e.length
		if length == 0 {
			length = uint64(len(src)) - e.offset
		}
		if length > uint64(len(src))-e.offset {
			return nil, errors.New("item extent runs past the end of the file")
		}
		if len(it.extents) == 1 {
			return src[e.offset : e.offset+length], nil
		}
		out = append(out, src[e.offset:e.offset+length]...)
	}
	return out, nil
}

// property returns the first property of the given type associated with
// the item.
func (it *heifItem) property(kind string) (box, bool) {
	return findBox(it.properties, kind)
}
