package board

import (
	"errors"
	"math"
	"net/url"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/places"
)

func TestSearchFromQueryMiles(t *testing.T) {
	ok := map[string]float64{"0.1": 0.1, "0.5": 0.5, "1": 1, " 25 ": 25, "2.5": 2.5, "3000": 3000, "3e3": 3000}
	for in, want := range ok {
		t.Run("accepts "+in, func(t *testing.T) {
			s, err := SearchFromQuery(url.Values{"zip": {"02134"}, "miles": {in}})
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if s.Miles != want {
				t.Errorf("got %v miles, want %v", s.Miles, want)
			}
		})
	}

	for _, in := range []string{"NaN", "nan", "Inf", "+Inf", "-Inf", "infinity", "0", "-0", "0.0000001", "0.09", "-1", "3000.5", "1e9", "far"} {
		t.Run("rejects "+in, func(t *testing.T) {
			_, err := SearchFromQuery(url.Values{"zip": {"02134"}, "miles": {in}})
			var e *Error
			if !errors.As(err, &e) || e.Code != Invalid {
				t.Fatalf("got error %v, want invalid", err)
			}
			if got, want := e.Fields["miles"], "Enter a distance from 0.1 to 3,000 miles."; got != want {
				t.Errorf("got message %q, want %q", got, want)
			}
		})
	}
}

// TestPrepareSearchMiles covers searches built in code, which skip
// SearchFromQuery.
func TestPrepareSearchMiles(t *testing.T) {
	dir, err := places.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{Places: dir, Now: time.Now}

	for _, miles := range []float64{0, 0.1, 3000} {
		if _, err := s.prepareSearch(Search{ZIP: "02134", Miles: miles, Limit: 10}); err != nil {
			t.Errorf("%v miles: got error %v", miles, err)
		}
	}
	for _, miles := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), -1, 0.01, 3001} {
		_, err := s.prepareSearch(Search{ZIP: "02134", Miles: miles, Limit: 10})
		var e *Error
		if !errors.As(err, &e) || e.Fields["miles"] == "" {
			t.Errorf("%v miles: got error %v, want one naming miles", miles, err)
		}
	}
}
