package photos

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg"
	"runtime"
	"sync"

	"github.com/gen2brain/webp"
)

// jpegQuality is the image/jpeg quality of every JPEG output. On 1600×1200
// phone photos it gives about half the bytes of quality 95 (220–350 KB
// against 490–690 KB).
const jpegQuality = 82

// webpQuality and webpMethod are libwebp's quality and method (its
// speed/size trade-off, 0 fastest to 6 smallest) for every WebP output.
// Method 4, libwebp's default, makes files about 5% smaller than method 2 but
// takes twice as long in the WebAssembly build. docs/performance.md has the
// measurements.
const (
	webpQuality = 80
	webpMethod  = 2
)

// encoding is one output format.
type encoding struct {
	format      string
	extension   string
	contentType string
	encode      func(*bytes.Buffer, *image.RGBA) error
}

var (
	jpegEncoding = encoding{FormatJPEG, ".jpg", "image/jpeg", func(buf *bytes.Buffer, img *image.RGBA) error {
		return jpeg.Encode(buf, img, &jpeg.Options{Quality: jpegQuality})
	}}
	webpEncoding = encoding{FormatWebP, ".webp", "image/webp", func(buf *bytes.Buffer, img *image.RGBA) error {
		return webp.Encode(buf, toYUV420(img), webp.Options{Quality: webpQuality, Method: webpMethod})
	}}
)

// encoder runs the encodes of every size and format concurrently, up to
// GOMAXPROCS at a time, because each encoder is single-threaded.
type encoder struct {
	slots    chan struct{}
	wg       sync.WaitGroup
	variants []Variant // in Result.Variants order
	errs     []error
}

func newEncoder() *encoder {
	n := 2 * len(outputSizes)
	return &encoder{
		slots:    make(chan struct{}, runtime.GOMAXPROCS(0)),
		variants: make([]Variant, n),
		errs:     make([]error, n),
	}
}

// submit starts encoding img, the picture for outputSizes[i], in every
// format. The WebP encode is started first, so that it usually gets a slot
// first, because it takes five to ten times as long as the JPEG one.
func (e *encoder) submit(i int, img *image.RGBA) {
	for _, j := range []int{1, 0} {
		enc := []encoding{jpegEncoding, webpEncoding}[j]
		index := 2*i + j
		e.wg.Go(func() {
			e.slots <- struct{}{}
			defer func() { <-e.slots }()
			e.variants[index], e.errs[index] = encodeVariant(outputSizes[i].name, img, enc)
		})
	}
}

// wait returns the variants once every encode has finished, or the first
// error in Result.Variants order.
func (e *encoder) wait() ([]Variant, error) {
	e.wg.Wait()
	for _, err := range e.errs {
		if err != nil {
			return nil, err
		}
	}
	return e.variants, nil
}

func encodeVariant(size string, img *image.RGBA, enc encoding) (v Variant, err error) {
	// wazero returns the module's traps as errors, but the library's Go
	// code slices memory by sizes the module reports, so a bug there
	// would panic in this goroutine, out of reach of the caller's recover.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("encode %s %s variant: encoder panicked: %v", size, enc.format, r)
		}
	}()
	var buf bytes.Buffer
	if err := enc.encode(&buf, img); err != nil {
		return Variant{}, fmt.Errorf("encode %s %s variant: %w", size, enc.format, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return Variant{
		Size:        size,
		Format:      enc.format,
		Key:         hex.EncodeToString(sum[:]) + enc.extension,
		ContentType: enc.contentType,
		Width:       img.Rect.Dx(),
		Height:      img.Rect.Dy(),
		Data:        buf.Bytes(),
	}, nil
}
