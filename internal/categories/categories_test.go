package categories

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBuiltin(t *testing.T) {
	tax := Builtin()

	t.Run("has about ten sections", func(t *testing.T) {
		if got := len(tax.Sections); got < 8 || got > 12 {
			t.Errorf("got %d sections, want 8 to 12", got)
		}
	})

	t.Run("category lifetime overrides the section's", func(t *testing.T) {
		c, ok := tax.Category("free-stuff")
		if !ok {
			t.Fatal("free-stuff not found")
		}
		if got, want := c.Lifetime, 7*24*time.Hour; got != want {
			t.Errorf("got lifetime %v, want %v", got, want)
		}
		if got, want := c.Section, "for-sale"; got != want {
			t.Errorf("got section %q, want %q", got, want)
		}
	})

	t.Run("category inherits the section lifetime", func(t *testing.T) {
		c, _ := tax.Category("bikes")
		if got, want := c.Lifetime, 30*24*time.Hour; got != want {
			t.Errorf("got lifetime %v, want %v", got, want)
		}
	})
}

func TestParseRejects(t *testing.T) {
	cases := map[string]struct{ json, want string }{
		"duplicate category": {`{"sections":[{"slug":"a","name":"A","lifetime_days":3,"categories":[{"slug":"x","name":"X"},{"slug":"x","name":"Y"}]}]}`, "appears twice"},
		"missing lifetime":   {`{"sections":[{"slug":"a","name":"A","categories":[{"slug":"x","name":"X"}]}]}`, "lifetime"},
		"bad slug":           {`{"sections":[{"slug":"a","name":"A","lifetime_days":3,"categories":[{"slug":"Bad Slug","name":"X"}]}]}`, "slug"},
		"empty":              {`{"sections":[]}`, "no categories"},
		"not json":           {`sections:`, "invalid JSON"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestLoadFileReplacesBuiltin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cats.json")
	os.WriteFile(path, []byte(`{"sections":[{"slug":"market","name":"Market","lifetime_days":10,"categories":[{"slug":"stuff","name":"Stuff"}]}]}`), 0o600)

	tax, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(tax.All()); got != 1 {
		t.Errorf("got %d categories, want 1", got)
	}
	if _, ok := tax.Category("bikes"); ok {
		t.Error("built-in category bikes still present, want only the file's")
	}
}
