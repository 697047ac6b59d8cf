package board

import "testing"

func TestParsePrice(t *testing.T) {
	ok := map[string]int64{
		"1200":          120000,
		"1,200":         120000,
		"$1,200.50":     120050,
		"$ 5":           500,
		"  7.5 ":        750,
		"0.99":          99,
		"free":          0,
		"FREE":          0,
		"1,234,567":     123456700,
		"100,000,000":   MaxPriceCents,
		"$100000000.00": MaxPriceCents,
	}
	for in, want := range ok {
		t.Run("accepts "+in, func(t *testing.T) {
			got, err := ParsePrice(in)
			if err != nil {
				t.Fatalf("got error %v, want %d cents", err, want)
			}
			if *got != want {
				t.Errorf("got %d cents, want %d", *got, want)
			}
		})
	}

	for _, in := range []string{"-5", "1e3", "abc", "12,00", "1,2345", "$", "1.234", "1.", ".5", "100000000.01", "99999999999999999999999", "5 dollars", "١٢"} {
		t.Run("rejects "+in, func(t *testing.T) {
			got, err := ParsePrice(in)
			if err == nil {
				t.Errorf("got %d cents, want an error", *got)
			}
		})
	}

	t.Run("empty means no price", func(t *testing.T) {
		got, err := ParsePrice("  ")
		if err != nil || got != nil {
			t.Errorf("got %v, %v; want nil, nil", got, err)
		}
	})
}

func TestFormatPrice(t *testing.T) {
	cases := map[int64]string{0: "Free", 5: "$0.05", 120000: "$1,200", 120050: "$1,200.50", 100: "$1", 123456700: "$1,234,567"}
	for cents, want := range cases {
		if got := FormatPrice(cents); got != want {
			t.Errorf("FormatPrice(%d): got %q, want %q", cents, got, want)
		}
	}
}
