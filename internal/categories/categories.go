// Package categories holds the taxonomy posts are filed in: sections (for
// sale, housing, jobs, ...) with categories, each with a default lifetime.
package categories

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"time"
)

//go:embed builtin.json
var builtin []byte

// Category is the class a post is filed under. Its slug is unique across
// sections.
type Category struct {
	Slug     string
	Name     string
	Section  string        // slug of the section
	Lifetime time.Duration // how long a published post stays listed
}

// Section groups categories on region pages.
type Section struct {
	Slug       string
	Name       string
	Categories []Category
}

// Taxonomy is a validated set of sections and categories.
type Taxonomy struct {
	Sections []Section
	bySlug   map[string]Category
	sections map[string]Section
}

type fileSection struct {
	Slug         string         `json:"slug"`
	Name         string         `json:"name"`
	LifetimeDays int            `json:"lifetime_days"`
	Categories   []fileCategory `json:"categories"`
}

type fileCategory struct {
	Slug         string `json:"slug"`
	Name         string `json:"name"`
	LifetimeDays int    `json:"lifetime_days"` // 0 means the section's
}

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Builtin returns the taxonomy shipped inside the binary.
func Builtin() *Taxonomy {
	t, err := Parse(builtin)
	if err != nil {
		panic("categories: built-in taxonomy is invalid: " + err.Error())
	}
	return t
}

// LoadFile reads an operator's taxonomy from a JSON file in the same format
// as builtin.json.
func LoadFile(path string) (*Taxonomy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read categories file: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("categories file %s: %w", path, err)
	}
	return t, nil
}

// Parse validates a taxonomy: slugs well formed and unique, names present,
// lifetimes between 1 and 365 days, and at least one category.
func Parse(data []byte) (*Taxonomy, error) {
	var file struct {
		Sections []fileSection `json:"sections"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	t := &Taxonomy{bySlug: map[string]Category{}, sections: map[string]Section{}}
	for _, fs := range file.Sections {
		if !slugPattern.MatchString(fs.Slug) || fs.Name == "" {
			return nil, fmt.Errorf("section %q: needs a lowercase slug and a name", fs.Slug)
		}
		if _, dup := t.sections[fs.Slug]; dup {
			return nil, fmt.Errorf("section %q appears twice", fs.Slug)
		}
		s := Section{Slug: fs.Slug, Name: fs.Name}
		for _, fc := range fs.Categories {
			days := fc.LifetimeDays
			if days == 0 {
				days = fs.LifetimeDays
			}
			switch {
			case !slugPattern.MatchString(fc.Slug) || fc.Name == "":
				return nil, fmt.Errorf("category %q: needs a lowercase slug and a name", fc.Slug)
			case days < 1 || days > 365:
				return nil, fmt.Errorf("category %q: lifetime must be 1 to 365 days, got %d", fc.Slug, days)
			}
			if _, dup := t.bySlug[fc.Slug]; dup {
				return nil, fmt.Errorf("category %q appears twice", fc.Slug)
			}
			c := Category{Slug: fc.Slug, Name: fc.Name, Section: fs.Slug, Lifetime: time.Duration(days) * 24 * time.Hour}
			s.Categories = append(s.Categories, c)
			t.bySlug[c.Slug] = c
		}
		t.Sections = append(t.Sections, s)
		t.sections[s.Slug] = s
	}
	if len(t.bySlug) == 0 {
		return nil, fmt.Errorf("no categories defined")
	}
	return t, nil
}

// Category returns the category with the given slug.
func (t *Taxonomy) Category(slug string) (Category, bool) {
	c, ok := t.bySlug[slug]
	return c, ok
}

// Section returns the section with the given slug.
func (t *Taxonomy) Section(slug string) (Section, bool) {
	s, ok := t.sections[slug]
	return s, ok
}

// All returns every category in taxonomy order.
func (t *Taxonomy) All() []Category {
	var all []Category
	for _, s := range t.Sections {
		all = append(all, s.Categories...)
	}
	return all
}
