package photos

import (
	"image"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/image/draw"
)

// resampleKernel is the filter for downscaling. Catmull-Rom is sharp and
// keeps fine detail, and its support of 2 keeps the tap count low.
var resampleKernel = draw.CatmullRom

// weightBits is the number of fractional bits of a fixed-point filter weight.
// With 14 bits, a sum of weights times 255 stays far below the int32 range
// even with the kernel's negative lobes.
const weightBits = 14

// intermediateBits is the number of fractional bits kept in the int16
// buffer between the horizontal and vertical passes. Keeping a fraction, and
// values below 0 and above 255, makes the two-pass result match a float64
// implementation to within one level.
const intermediateBits = 4

// fitBox returns the size of a w×h image scaled to fit within maxW×maxH
// while keeping its aspect ratio. An image that already fits keeps its size,
// because upscaling only adds blur and bytes. Each side is at least 1.
func fitBox(w, h, maxW, maxH int) (int, int) {
	if w <= maxW && h <= maxH {
		return w, h
	}
	// Cross-multiplying compares w/h with maxW/maxH in integers. An image
	// at least as wide as the box, relative to its height, is limited by the
	// width.
	if w*maxH >= h*maxW {
		return maxW, max(1, (h*maxW+w/2)/w)
	}
	return max(1, (w*maxH+h/2)/h), maxH
}

// filter stores, for each destination index along one axis, the range of
// source indexes it reads and their fixed-point weights.
type filter struct {
	starts  []int
	counts  []int
	weights []int32 // taps entries per destination index
	taps    int
}

// newFilter computes the weights that map srcLen samples to dstLen samples.
// When shrinking, the kernel is stretched by the scale factor so that every
// source sample contributes, which is what prevents aliasing. Weights that
// would fall outside the image are dropped and the rest renormalized.
func newFilter(srcLen, dstLen int) filter {
	scale := float64(srcLen) / float64(dstLen)
	stretch := max(scale, 1)
	support := resampleKernel.Support * stretch
	taps := int(math.Ceil(2*support)) + 1

	f := filter{
		starts:  make([]int, dstLen),
		counts:  make([]int, dstLen),
		weights: make([]int32, dstLen*taps),
		taps:    taps,
	}
	raw := make([]float64, taps)
	for i := 0; i < dstLen; i++ {
		// Sample centers sit at half-integer positions on both axes.
		center := (float64(i) + 0.5) * scale
		lo := max(int(math.Floor(center-support)), 0)
		hi := min(int(math.Ceil(center+support)), srcLen)
		hi = min(hi, lo+taps)

		sum := 0.0
		for j := lo; j < hi; j++ {
			// Kernel.At accepts only distances in [0, Support).
			t := math.Abs(float64(j)+0.5-center) / stretch
			w := 0.0
			if t < resampleKernel.Support {
				w = resampleKernel.At(t)
			}
			raw[j-lo] = w
			sum += w
		}
		if sum == 0 {
			// No sample lies under the kernel. Fall back to the nearest one.
			lo, hi = min(int(center), srcLen-1), min(int(center), srcLen-1)+1
			raw[0], sum = 1, 1
		}

		// Trim zero weights at both ends so identity and near-identity
		// scales read as few samples as possible.
		for hi-lo > 1 && raw[0] == 0 {
			copy(raw, raw[1:hi-lo])
			lo++
		}
		for hi-lo > 1 && raw[hi-lo-1] == 0 {
			hi--
		}

		ws := f.weights[i*taps : i*taps+hi-lo]
		total, largest := int32(0), 0
		for k := range ws {
			ws[k] = int32(math.Round(raw[k] / sum * (1 << weightBits)))
			total += ws[k]
			if ws[k] > ws[largest] {
				largest = k
			}
		}
		// Rounding can leave the total a little off 1.0. Putting the
		// remainder on the largest weight keeps flat areas exactly flat.
		ws[largest] += 1<<weightBits - total

		f.starts[i] = lo
		f.counts[i] = hi - lo
	}
	return f
}

// clampFixed converts a sum of weights (weightBits fraction bits) times
// samples (extraBits fraction bits) to a byte. Catmull-Rom's negative lobes
// can push sums past 0 and 255 next to sharp edges.
func clampFixed(v int32, extraBits int) uint8 {
	shift := weightBits + extraBits
	v = (v + 1<<(shift-1)) >> shift
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// bandRows is the number of output rows that resample computes from one
// batch of horizontally filtered source rows.
const bandRows = 64

// resample scales img to dw×dh and returns an opaque RGBA image, with any
// transparency flattened onto white.
//
// It works in bands of bandRows output rows. For each band it filters the
// source rows that the band needs into an int16 RGB buffer, then filters
// that buffer's columns. Keeping fractional bits between the passes makes
// the result match a float64 implementation to within one level. A band of
// a 12-megapixel photo scaled to 1600 pixels wide needs about 1.3 MB of
// buffer, where filtering every source row first would need 29 MB and
// draw.CatmullRom.Scale a float64 buffer of 155 MB. Bands go to GOMAXPROCS
// goroutines, and the source rows at a band's edges are filtered by both
// neighbors, about 7% extra work when halving.
func resample(img image.Image, dw, dh int) *image.RGBA {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	readRow := newRowReader(img)
	horizontal := newFilter(sw, dw)
	vertical := newFilter(sh, dh)
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))

	bands := (dh + bandRows - 1) / bandRows
	var next atomic.Int64
	parallelRows(bands, func(_, _ int) {
		row := make([]uint8, sw*3)
		acc := make([]int32, dw*3)
		var tmp []int16
		for {
			band := int(next.Add(1)) - 1
			if band >= bands {
				return
			}
			y0, y1 := band*bandRows, min((band+1)*bandRows, dh)
			// Filter starts never decrease, so the band's first row
			// starts its source range, and any row may end it.
			first, last := vertical.starts[y0], 0
			for y := y0; y < y1; y++ {
				last = max(last, vertical.starts[y]+vertical.counts[y])
			}
			tmp = slices.Grow(tmp[:0], (last-first)*dw*3)[:(last-first)*dw*3]
			for sy := first; sy < last; sy++ {
				readRow(b.Min.Y+sy, row)
				filterRow(tmp[(sy-first)*dw*3:(sy-first+1)*dw*3], row, &horizontal)
			}
			for y := y0; y < y1; y++ {
				filterColumns(dst.Pix[y*dst.Stride:y*dst.Stride+dw*4], tmp, dw*3, y, first, &vertical, acc)
			}
		}
	})
	return dst
}

// filterRow applies f to one row of packed RGB samples and stores the result
// with intermediateBits fractional bits.
func filterRow(dst []int16, src []uint8, f *filter) {
	const shift = weightBits - intermediateBits
	for x, n := range f.counts {
		ws := f.weights[x*f.taps : x*f.taps+n]
		s := src[f.starts[x]*3 : (f.starts[x]+n)*3]
		var r, g, b int32
		for k, w := range ws {
			p := s[3*k : 3*k+3 : 3*k+3]
			r += w * int32(p[0])
			g += w * int32(p[1])
			b += w * int32(p[2])
		}
		d := dst[3*x : 3*x+3 : 3*x+3]
		d[0] = int16((r + 1<<(shift-1)) >> shift)
		d[1] = int16((g + 1<<(shift-1)) >> shift)
		d[2] = int16((b + 1<<(shift-1)) >> shift)
	}
}

// filterColumns computes output row y of f from the rows of src, each
// stride values of packed RGB, the first of which is source row first, and
// writes it to dst as opaque RGBA. acc is scratch space of stride elements.
func filterColumns(dst []uint8, src []int16, stride, y, first int, f *filter, acc []int32) {
	clear(acc)
	ws := f.weights[y*f.taps : y*f.taps+f.counts[y]]
	for k, w := range ws {
		sy := f.starts[y] + k - first
		row := src[sy*stride : (sy+1)*stride]
		acc := acc[:len(row)]
		for i, v := range row {
			acc[i] += w * int32(v)
		}
	}
	for x := 0; x < stride/3; x++ {
		a := acc[3*x : 3*x+3 : 3*x+3]
		d := dst[4*x : 4*x+4 : 4*x+4]
		d[0] = clampFixed(a[0], intermediateBits)
		d[1] = clampFixed(a[1], intermediateBits)
		d[2] = clampFixed(a[2], intermediateBits)
		d[3] = 0xff
	}
}

// parallelRows calls work on consecutive row ranges that together cover
// [0, rows), one range per GOMAXPROCS, and waits for all of them.
func parallelRows(rows int, work func(y0, y1 int)) {
	workers := min(runtime.GOMAXPROCS(0), rows)
	if workers <= 1 {
		work(0, rows)
		return
	}
	var wg sync.WaitGroup
	for i := range workers {
		y0, y1 := rows*i/workers, rows*(i+1)/workers
		wg.Go(func() { work(y0, y1) })
	}
	wg.Wait()
}
