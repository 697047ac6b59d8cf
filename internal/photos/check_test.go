package photos

import (
	"errors"
	"runtime"
	"testing"
)

func TestCheck(t *testing.T) {
	data := encodePNG(t, quadrants(100, 50))
	tests := []struct {
		name string
		data []byte
		lim  Limits
		want error
	}{
		{"text file", []byte("not a photo at all"), DefaultLimits(), ErrUnsupported},
		{"too many bytes", data, Limits{MaxBytes: int64(len(data) - 1)}, ErrTooLarge},
		{"too many pixels", data, Limits{MaxPixels: 100*50 - 1}, ErrTooManyPixels},
		{"png of 50000x50000", pngWithIHDR(50000, 50000), DefaultLimits(), ErrTooManyPixels},
		{"png of zero width", pngWithIHDR(0, 100), DefaultLimits(), ErrCorrupt},
		{"png signature only", []byte("\x89PNG\r\n\x1a\n"), DefaultLimits(), ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Check(tt.data, tt.lim); !errors.Is(err, tt.want) {
				t.Errorf("got error %v, want %v", err, tt.want)
			}
		})
	}

	t.Run("valid png", func(t *testing.T) {
		info, err := Check(data, Limits{})
		if err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		if want := (Info{Format: "png", Width: 100, Height: 50}); info != want {
			t.Errorf("got %+v, want %+v", info, want)
		}
	})
}

// TestCheckDecodesNoPixels checks a 49-megapixel PNG header that no image
// data follows. Decoding that many pixels would allocate at least 49 MB.
func TestCheckDecodesNoPixels(t *testing.T) {
	data := pngWithIHDR(7000, 7000)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	info, err := Check(data, DefaultLimits())
	runtime.ReadMemStats(&after)

	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if info.Width != 7000 || info.Height != 7000 {
		t.Errorf("got %d×%d, want 7000×7000", info.Width, info.Height)
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 1<<20 {
		t.Errorf("allocated %d bytes, want under 1 MiB", allocated)
	}
}
