package photos

import (
	"errors"
	"fmt"
)

// HEVC NAL unit types of the parameter sets (ITU-T H.265, table 7-1).
const (
	nalVPS = 32
	nalSPS = 33
	nalPPS = 34
)

// hevcSPS contains the fields of an HEVC sequence parameter set that bound
// the decoder's memory and determine how its YCbCr samples become RGB.
type hevcSPS struct {
	width, height int // coded size in luma samples, before the conformance window
	chromaFormat  int // 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4
	bitDepth      int // luma bit depth

	// signal comes from the VUI. Without a video_signal_type in the VUI,
	// H.265 infers limited range and unspecified code points.
	signal cicp
}

var errSPSTruncated = errors.New("sequence parameter set is truncated")

// parseSPS reads a sequence parameter set NAL unit, header included, up to
// the video signal fields of its VUI (H.265 sections 7.3.2.2 and E.2.1).
func parseSPS(nal []byte) (hevcSPS, error) {
	if len(nal) < 3 || int(nal[0]>>1)&0x3F != nalSPS {
		return hevcSPS{}, errors.New("NAL unit is not a sequence parameter set")
	}
	r := bitReader{data: unescapeRBSP(nal[2:])}

	r.skip(4) // sps_video_parameter_set_id
	maxSubLayersMinus1 := int(r.u(3))
	r.skip(1) // sps_temporal_id_nesting_flag
	skipProfileTierLevel(&r, maxSubLayersMinus1)

	r.ue() // sps_seq_parameter_set_id
	sps := hevcSPS{signal: cicp{primaries: 2, transfer: 2, matrix: 2}}
	sps.chromaFormat = int(r.ue())
	if sps.chromaFormat == 3 {
		r.skip(1) // separate_colour_plane_flag
	}
	width, height := r.ue(), r.ue()
	if r.failed {
		return hevcSPS{}, errSPSTruncated
	}
	if width == 0 || height == 0 || width > 1<<16 || height > 1<<16 || sps.chromaFormat > 3 {
		return hevcSPS{}, fmt.Errorf("sequence parameter set declares an invalid %d×%d picture of chroma format %d", width, height, sps.chromaFormat)
	}
	sps.width, sps.height = int(width), int(height)

	if r.flag() { // conformance_window_flag
		r.ue()
		r.ue()
		r.ue()
		r.ue()
	}
	sps.bitDepth = int(r.ue()) + 8
	r.ue() // bit_depth_chroma_minus8
	log2MaxPOCLsb := int(r.ue()) + 4

	subLayerOrderingInfo := r.flag()
	first := maxSubLayersMinus1
	if subLayerOrderingInfo {
		first = 0
	}
	for i := first; i <= maxSubLayersMinus1; i++ {
		r.ue() // sps_max_dec_pic_buffering_minus1
		r.ue() // sps_max_num_reorder_pics
		r.ue() // sps_max_latency_increase_plus1
	}
	for range 6 {
		// Coding block and transform block sizes, and the two maximum
		// transform hierarchy depths.
		r.ue()
	}
	if r.flag() { // scaling_list_enabled_flag
		if r.flag() { // sps_scaling_list_data_present_flag
			skipScalingListData(&r)
		}
	}
	r.skip(2)     // amp_enabled_flag, sample_adaptive_offset_enabled_flag
	if r.flag() { // pcm_enabled_flag
		r.skip(8) // PCM sample bit depths
		r.ue()
		r.ue()
		r.skip(1) // pcm_loop_filter_disabled_flag
	}
	if err := skipShortTermRefPicSets(&r); err != nil {
		return hevcSPS{}, err
	}
	if r.flag() { // long_term_ref_pics_present_flag
		count := r.ue()
		if count > 32 {
			return hevcSPS{}, fmt.Errorf("sequence parameter set declares %d long-term reference pictures, more than 32", count)
		}
		for range count {
			r.skip(log2MaxPOCLsb) // lt_ref_pic_poc_lsb_sps
			r.skip(1)             // used_by_curr_pic_lt_sps_flag
		}
	}
	r.skip(2) // sps_temporal_mvp_enabled_flag, strong_intra_smoothing_enabled_flag

	if r.flag() { // vui_parameters_present_flag
		readVUISignal(&r, &sps.signal)
	}
	if r.failed {
		return hevcSPS{}, errSPSTruncated
	}
	return sps, nil
}

// skipProfileTierLevel skips profile_tier_level(1, maxSubLayersMinus1).
func skipProfileTierLevel(r *bitReader, maxSubLayersMinus1 int) {
	// General profile space, tier, profile, 32 compatibility flags, 48
	// constraint bits and the level.
	r.skip(2 + 1 + 5 + 32 + 48 + 8)
	profilePresent := make([]bool, maxSubLayersMinus1)
	levelPresent := make([]bool, maxSubLayersMinus1)
	for i := range maxSubLayersMinus1 {
		profilePresent[i] = r.flag()
		levelPresent[i] = r.flag()
	}
	if maxSubLayersMinus1 > 0 {
		r.skip(2 * (8 - maxSubLayersMinus1)) // reserved_zero_2bits
	}
	for i := range maxSubLayersMinus1 {
		if profilePresent[i] {
			r.skip(2 + 1 + 5 + 32 + 48)
		}
		if levelPresent[i] {
			r.skip(8)
		}
	}
}

// skipScalingListData skips scaling_list_data() (H.265 section 7.3.4).
func skipScalingListData(r *bitReader) {
	for sizeID := range 4 {
		step := 1
		if sizeID == 3 {
			step = 3
		}
		for matrixID := 0; matrixID < 6; matrixID += step {
			if !r.flag() { // scaling_list_pred_mode_flag
				r.ue() // scaling_list_pred_matrix_id_delta
				continue
			}
			coefficients := min(64, 1<<(4+(sizeID<<1)))
			if sizeID > 1 {
				r.ue() // scaling_list_dc_coef_minus8, signed but the same length
			}
			for range coefficients {
				r.ue() // scaling_list_delta_coef
			}
		}
	}
}

// skipShortTermRefPicSets skips num_short_term_ref_pic_sets and the sets
// themselves (H.265 section 7.3.7). A set predicted from the previous one
// has one flag or two per picture of that set, so the picture counts are
// tracked.
func skipShortTermRefPicSets(r *bitReader) error {
	count := int(r.ue())
	if count > 64 {
		return fmt.Errorf("sequence parameter set declares %d short-term reference picture sets, more than 64", count)
	}
	deltaPOCs := make([]int, count)
	for i := range count {
		if i != 0 && r.flag() { // inter_ref_pic_set_prediction_flag
			r.skip(1) // delta_rps_sign
			r.ue()    // abs_delta_rps_minus1
			n := 0
			for range deltaPOCs[i-1] + 1 {
				used := r.flag()
				useDelta := true
				if !used {
					useDelta = r.flag()
				}
				if used || useDelta {
					n++
				}
			}
			deltaPOCs[i] = n
			continue
		}
		negative, positive := r.ue(), r.ue()
		if negative > 16 || positive > 16 {
			return fmt.Errorf("short-term reference picture set declares %d+%d pictures, more than 16 each", negative, positive)
		}
		for range negative + positive {
			r.ue()    // delta_poc_s0_minus1 or delta_poc_s1_minus1
			r.skip(1) // used_by_curr_pic flag
		}
		deltaPOCs[i] = int(negative + positive)
	}
	if r.failed {
		return errSPSTruncated
	}
	return nil
}

// readVUISignal reads vui_parameters() up to the video signal type (H.265
// section E.2.1), which comes before any field this package does not need.
func readVUISignal(r *bitReader, signal *cicp) {
	if r.flag() { // aspect_ratio_info_present_flag
		if r.u(8) == 255 { // aspect_ratio_idc is EXTENDED_SAR
			r.skip(32) // sar_width, sar_height
		}
	}
	if r.flag() { // overscan_info_present_flag
		r.skip(1)
	}
	if !r.flag() { // video_signal_type_present_flag
		return
	}
	r.skip(3) // video_format
	signal.fullRange = r.flag()
	if r.flag() { // colour_description_present_flag
		signal.primaries = uint16(r.u(8))
		signal.transfer = uint16(r.u(8))
		signal.matrix = uint16(r.u(8))
	}
}

// unescapeRBSP removes the emulation prevention bytes, each 0x03 following
// two zero bytes, that keep start codes out of a NAL unit's payload.
func unescapeRBSP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	zeros := 0
	for _, c := range b {
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		out = append(out, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}

// bitReader reads big-endian bit fields. Reading past the end sets failed
// and returns zeros, so parsers check once at the end rather than after
// every field.
type bitReader struct {
	data   []byte
	pos    int // in bits
	failed bool
}

func (r *bitReader) u(n int) uint32 {
	var v uint32
	for range n {
		if r.pos >= 8*len(r.data) {
			r.failed = true
			return 0
		}
		bit := r.data[r.pos/8] >> (7 - r.pos%8) & 1
		v = v<<1 | uint32(bit)
		r.pos++
	}
	return v
}

func (r *bitReader) skip(n int) {
	r.pos += n
	if r.pos > 8*len(r.data) {
		r.failed = true
	}
}

func (r *bitReader) flag() bool { return r.u(1) == 1 }

// ue reads an unsigned Exp-Golomb code. Codes of more than 31 leading zeros
// do not fit in 32 bits and mark the reader failed.
func (r *bitReader) ue() uint32 {
	zeros := 0
	for !r.failed && r.u(1) == 0 {
		zeros++
		if zeros > 31 {
			r.failed = true
			return 0
		}
	}
	if r.failed {
		return 0
	}
	return 1<<zeros - 1 + r.u(zeros)
}
