package photos

import (
	"bytes"
	"testing"
)

// bitWriter builds big-endian bit fields for test bitstreams.
type bitWriter struct{ bits []byte } // one 0 or 1 per bit

func (w *bitWriter) u(n int, v uint32) {
	for i := n - 1; i >= 0; i-- {
		w.bits = append(w.bits, byte(v>>i&1))
	}
}

// ue writes an unsigned Exp-Golomb code: v+1 in binary after as many zeros
// as it has bits minus one.
func (w *bitWriter) ue(v uint32) {
	n := 0
	for x := v + 1; x > 1; x >>= 1 {
		n++
	}
	w.u(n, 0)
	w.u(n+1, v+1)
}

// rbsp returns the bits with the RBSP stop bit, padded to whole bytes and
// with emulation prevention bytes inserted.
func (w *bitWriter) rbsp() []byte {
	bits := append(append([]byte{}, w.bits...), 1)
	for len(bits)%8 != 0 {
		bits = append(bits, 0)
	}
	var raw []byte
	for i := 0; i < len(bits); i += 8 {
		var b byte
		for _, bit := range bits[i : i+8] {
			b = b<<1 | bit
		}
		raw = append(raw, b)
	}
	var out []byte
	zeros := 0
	for _, b := range raw {
		if zeros >= 2 && b <= 3 {
			out = append(out, 3)
			zeros = 0
		}
		out = append(out, b)
		if b == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}

// buildSPS returns an SPS NAL unit, header included, for a 4:2:0 8-bit
// stream of the given size with two short-term reference picture sets, the
// second predicted from the first. A non-nil signal adds a VUI with it.
func buildSPS(width, height int, signal *cicp) []byte {
	var w bitWriter
	w.u(4, 0) // sps_video_parameter_set_id
	w.u(3, 0) // sps_max_sub_layers_minus1
	w.u(1, 1) // sps_temporal_id_nesting_flag
	w.u(8, 1) // profile space, tier and profile_idc Main
	w.u(32, 1<<30)
	w.u(24, 0) // 48 constraint bits in two parts
	w.u(24, 0)
	w.u(8, 90) // level 3

	w.ue(0) // sps_seq_parameter_set_id
	w.ue(1) // chroma_format_idc 4:2:0
	w.ue(uint32(width))
	w.ue(uint32(height))
	w.u(1, 0) // conformance_window_flag
	w.ue(0)   // bit_depth_luma_minus8
	w.ue(0)   // bit_depth_chroma_minus8
	w.ue(4)   // log2_max_pic_order_cnt_lsb_minus4
	w.u(1, 1) // sps_sub_layer_ordering_info_present_flag
	w.ue(0)
	w.ue(0)
	w.ue(0)
	for _, v := range []uint32{0, 1, 0, 3, 0, 0} {
		w.ue(v)
	}

	w.u(1, 0) // scaling_list_enabled_flag
	w.u(2, 0) // amp, sample adaptive offset
	w.u(1, 0) // pcm_enabled_flag
	w.ue(2)   // num_short_term_ref_pic_sets
	w.ue(1)   // set 0: one negative picture
	w.ue(0)   // and no positive one
	w.ue(0)   // delta_poc_s0_minus1
	w.u(1, 1) // used_by_curr_pic_s0_flag
	w.u(1, 1) // set 1: inter_ref_pic_set_prediction_flag
	w.u(1, 0) // delta_rps_sign
	w.ue(0)   // abs_delta_rps_minus1
	w.u(1, 1) // picture 0: used_by_curr_pic_flag
	w.u(1, 0) // picture 1: not used
	w.u(1, 1) // but use_delta_flag

	w.u(1, 0) // long_term_ref_pics_present_flag
	w.u(2, 0) // temporal MVP, strong intra smoothing

	if signal == nil {
		w.u(1, 0) // vui_parameters_present_flag
	} else {
		w.u(1, 1)
		w.u(1, 0) // aspect_ratio_info_present_flag
		w.u(1, 0) // overscan_info_present_flag
		w.u(1, 1) // video_signal_type_present_flag
		w.u(3, 5) // video_format unspecified
		if signal.fullRange {
			w.u(1, 1)
		} else {
			w.u(1, 0)
		}
		w.u(1, 1) // colour_description_present_flag
		w.u(8, uint32(signal.primaries))
		w.u(8, uint32(signal.transfer))
		w.u(8, uint32(signal.matrix))
		w.u(7, 0) // the remaining VUI flags
	}
	w.u(1, 0) // sps_extension_present_flag
	return append([]byte{nalSPS << 1, 1}, w.rbsp()...)
}

func TestParseSPS(t *testing.T) {
	p3 := &cicp{primaries: 12, transfer: 13, matrix: 6, fullRange: true}
	tests := []struct {
		name       string
		nal        []byte
		wantW      int
		wantH      int
		wantSignal cicp
	}{
		{"without vui", buildSPS(4032, 3024, nil), 4032, 3024, cicp{primaries: 2, transfer: 2, matrix: 2}},
		{"vui with display p3", buildSPS(512, 512, p3), 512, 512, *p3},
		{"vui in limited range", buildSPS(64, 64, &cicp{primaries: 1, transfer: 1, matrix: 1}), 64, 64, cicp{primaries: 1, transfer: 1, matrix: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sps, err := parseSPS(tt.nal)
			if err != nil {
				t.Fatalf("parseSPS: %v", err)
			}
			if sps.width != tt.wantW || sps.height != tt.wantH {
				t.Errorf("size: got %dx%d, want %dx%d", sps.width, sps.height, tt.wantW, tt.wantH)
			}
			if sps.chromaFormat != 1 || sps.bitDepth != 8 {
				t.Errorf("format: got chroma %d at %d bits, want 1 at 8", sps.chromaFormat, sps.bitDepth)
			}
			if sps.signal != tt.wantSignal {
				t.Errorf("signal: got %+v, want %+v", sps.signal, tt.wantSignal)
			}
		})
	}
}

func TestParseSPSRealStreams(t *testing.T) {
	tests := []struct {
		file       string
		wantW      int
		wantH      int
		wantSignal cicp
	}{
		// iPhone tiles of 512×512 in full range, with the BT.601 matrix
		// and no primaries in the VUI, because the colr box has a profile.
		{"heic/IMG_5195.HEIC", 512, 512, cicp{primaries: 2, transfer: 2, matrix: 6, fullRange: true}},
		// A 640×426 picture coded at 640×432 and cropped by the
		// conformance window, with a VUI that names no range.
		{"heic/samplefilehub.heif", 640, 432, cicp{primaries: 2, transfer: 2, matrix: 2, fullRange: false}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := parseHEIF(readFile(t, sharedPhotos(t, tt.file)[0]))
			if err != nil {
				t.Fatal(err)
			}
			img, err := f.primaryImage()
			if err != nil {
				t.Fatal(err)
			}
			if img.sps.width != tt.wantW || img.sps.height != tt.wantH {
				t.Errorf("size: got %dx%d, want %dx%d", img.sps.width, img.sps.height, tt.wantW, tt.wantH)
			}
			if img.sps.signal != tt.wantSignal {
				t.Errorf("signal: got %+v, want %+v", img.sps.signal, tt.wantSignal)
			}
		})
	}
}

func TestParseSPSRejects(t *testing.T) {
	valid := buildSPS(64, 64, nil)
	tests := []struct {
		name string
		nal  []byte
	}{
		{"not an sps", append([]byte{nalPPS << 1, 1}, valid[2:]...)},
		{"cut in the size", valid[:16]},
		{"cut before the vui", valid[:len(valid)-3]},
		{"zero width", buildSPS(0, 64, nil)},
		{"exp-golomb code of 40 zeros", append([]byte{nalSPS << 1, 1}, make([]byte, 20)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseSPS(tt.nal); err == nil {
				t.Error("parseSPS: got nil error, want one")
			}
		})
	}
}

func TestUnescapeRBSP(t *testing.T) {
	got := unescapeRBSP([]byte{0, 0, 3, 1, 0, 0, 3, 0, 0, 3, 3, 5})
	want := []byte{0, 0, 1, 0, 0, 0, 0, 3, 5}
	if !bytes.Equal(got, want) {
		t.Errorf("got % x, want % x", got, want)
	}
}
