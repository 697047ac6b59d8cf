package photos

import (
	"path/filepath"
	"testing"
)

// BenchmarkProcessPhone processes a full-size 3264×2448 phone photo, the
// common case for uploads.
func BenchmarkProcessPhone(b *testing.B) {
	sharedPhotos(b, "phone/iphone_hdr.jpg")
	data := readFile(b, filepath.Join(sharedImages, "phone/iphone_hdr.jpg"))
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Process(data, DefaultLimits()); err != nil {
			b.Fatal(err)
		}
	}
}
