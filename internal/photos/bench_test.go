package photos

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"path/filepath"
	"testing"

	"github.com/gen2brain/webp"
)

// BenchmarkAllSizesPhone makes every size in JPEG and WebP from a 3264×2448
// phone photo, the common case for uploads.
func BenchmarkAllSizesPhone(b *testing.B) {
	benchmarkProcess(b, "phone/iphone_hdr.jpg")
}

// BenchmarkAllSizesHEIC does the same for a 2566×3313 iPhone HEIC photo.
func BenchmarkAllSizesHEIC(b *testing.B) {
	benchmarkProcess(b, "heic/IMG_5195.HEIC")
}

func benchmarkProcess(b *testing.B, file string) {
	sharedPhotos(b, file)
	data := readFile(b, filepath.Join(sharedImages, file))
	// The first call compiles the WebAssembly modules, which a server
	// does once.
	if _, err := Process(data, DefaultLimits()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Process(data, DefaultLimits()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPhoneStages splits BenchmarkAllSizesPhone into its stages, each
// on one goroutine except scaling, to show where the time goes.
func BenchmarkPhoneStages(b *testing.B) {
	sharedPhotos(b, "phone/iphone_hdr.jpg")
	data := readFile(b, filepath.Join(sharedImages, "phone/iphone_hdr.jpg"))
	src, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	// Compile the WebAssembly encoder outside the timed stages.
	webp.Init()

	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("scale", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			scaleAll(src, 1, nil, func(int, *image.RGBA) {})
		}
	})
	scaled := make([]*image.RGBA, len(outputSizes))
	scaleAll(src, 1, nil, func(i int, img *image.RGBA) { scaled[i] = img })
	for i, s := range outputSizes {
		for _, enc := range []encoding{jpegEncoding, webpEncoding} {
			b.Run(fmt.Sprintf("encode/%s/%s", enc.format, s.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := encodeVariant(s.name, scaled[i], enc); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkWebPMethods encodes the large size of the phone photo with each
// of libwebp's methods, to weigh webpMethod's speed against file size.
func BenchmarkWebPMethods(b *testing.B) {
	sharedPhotos(b, "phone/iphone_hdr.jpg")
	data := readFile(b, filepath.Join(sharedImages, "phone/iphone_hdr.jpg"))
	src, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	var large *image.RGBA
	scaleAll(src, 1, nil, func(i int, img *image.RGBA) {
		if i == len(outputSizes)-1 {
			large = img
		}
	})
	for _, method := range []int{0, 2, 4, 6} {
		b.Run(fmt.Sprintf("method%d", method), func(b *testing.B) {
			var size int
			for b.Loop() {
				var buf bytes.Buffer
				if err := webp.Encode(&buf, toYUV420(large), webp.Options{Quality: webpQuality, Method: method}); err != nil {
					b.Fatal(err)
				}
				size = buf.Len()
			}
			b.ReportMetric(float64(size), "bytes")
		})
	}
}

// BenchmarkColorTransform converts a large-size image from Display P3.
func BenchmarkColorTransform(b *testing.B) {
	transform, err := newColorTransform(colorSource{icc: testP3Profile()})
	if err != nil {
		b.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 1600, 1200))
	for b.Loop() {
		transform.apply(img)
	}
}
