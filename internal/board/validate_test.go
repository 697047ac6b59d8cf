package board

import "testing"

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{
		20 << 20:  "20 MB",
		1 << 20:   "1 MB",
		3 << 19:   "1.5 MB",
		64 << 10:  "64 KB",
		1536:      "1.5 KB",
		1000:      "1000 bytes",
		241 << 20: "241 MB",
	} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d): got %q, want %q", n, got, want)
		}
	}
}
