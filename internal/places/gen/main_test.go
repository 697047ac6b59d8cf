package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// sourceDir holds the generator's input, outside the repository.
const sourceDir = "../../../../shared/data/zip"

func gunzipFile(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return data
}

// TestEmbeddedFileUpToDate fails when the generator or its input changed
// without running go generate in internal/places.
func TestEmbeddedFileUpToDate(t *testing.T) {
	us, zip3 := filepath.Join(sourceDir, "US.txt"), filepath.Join(sourceDir, "zip3.csv")
	if _, err := os.Stat(us); err != nil {
		t.Skipf("skipping: the generator's input ../shared/data/zip/US.txt next to the repository is absent")
	}

	out := filepath.Join(t.TempDir(), "places.tsv.gz")
	if err := run(us, zip3, out, false); err != nil {
		t.Fatalf("run: %v", err)
	}
	got, want := gunzipFile(t, out), gunzipFile(t, "../places.tsv.gz")
	if !bytes.Equal(got, want) {
		t.Errorf("generated %d bytes that differ from the %d bytes of places.tsv.gz; run go generate in internal/places", len(got), len(want))
	}

	t.Run("same input gives same output", func(t *testing.T) {
		again := filepath.Join(t.TempDir(), "again.tsv.gz")
		if err := run(us, zip3, again, false); err != nil {
			t.Fatalf("run: %v", err)
		}
		if !bytes.Equal(gunzipFile(t, again), got) {
			t.Error("two runs on the same input gave different output")
		}
	})
}

func TestSlugify(t *testing.T) {
	tests := []struct{ in, want string }{
		{"New York", "new-york"},
		{"St. Louis, MO", "st-louis-mo"},
		{"Coeur d'Alene, ID", "coeur-d-alene-id"},
		{"Winston-Salem", "winston-salem"},
		{"Military (APO/FPO/DPO)", "military-apo-fpo-dpo"},
		{"  Truth or Consequences ", "truth-or-consequences"},
	}
	for _, tt := range tests {
		if got := slugify(tt.in); got != tt.want {
			t.Errorf("slugify(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMilitaryState(t *testing.T) {
	tests := []struct {
		place        string
		wantState    string
		wantMilitary bool
	}{
		{"APO AE", "AE", true},
		{"FPO AA", "AA", true},
		{"DPO AP", "AP", true},
		{"APO STA", "", true},
		{"Apopka", "", false},
		{"Boston", "", false},
	}
	for _, tt := range tests {
		state, military := militaryState(tt.place)
		if state != tt.wantState || military != tt.wantMilitary {
			t.Errorf("militaryState(%q): got %q, %v, want %q, %v", tt.place, state, military, tt.wantState, tt.wantMilitary)
		}
	}
}

func TestPlaceKeyMatchesSaint(t *testing.T) {
	if a, b := placeKey("St. Louis", "MO"), placeKey("Saint Louis", "MO"); a != b {
		t.Errorf("got keys %q and %q for St. Louis and Saint Louis, want one key", a, b)
	}
}
