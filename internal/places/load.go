package places

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// placesData is written by ./gen; see gen/output.go for the format.
//
//go:embed places.tsv.gz
var placesData []byte

const formatVersion = "1"

// Load parses the embedded directory. It allocates about 4 MB and takes
// about 20 ms (BenchmarkLoad on a 2-core AMD EPYC), so call it once at
// start-up and share the Directory.
func Load() (*Directory, error) {
	text, err := decompress(placesData)
	if err != nil {
		return nil, fmt.Errorf("places: read embedded data: %w", err)
	}
	d, err := parse(text)
	if err != nil {
		return nil, fmt.Errorf("places: embedded data: %w", err)
	}
	return d, nil
}

func decompress(data []byte) (string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return "", err
	}
	var buf strings.Builder
	// The gzip trailer ends with the uncompressed size, so one allocation suffices.
	if n := len(data); n >= 4 {
		if size := binary.LittleEndian.Uint32(data[n-4:]); size < 64<<20 {
			buf.Grow(int(size))
		}
	}
	if _, err := io.Copy(&buf, zr); err != nil {
		return "", err
	}
	return buf.String(), zr.Close()
}

// lineReader yields the lines of a text and counts them for error messages.
type lineReader struct {
	text string
	line int
}

func (r *lineReader) next() (string, error) {
	if r.text == "" {
		return "", fmt.Errorf("line %d: unexpected end of data", r.line+1)
	}
	r.line++
	line, rest, _ := strings.Cut(r.text, "\n")
	r.text = rest
	return line, nil
}

// fields splits a tab-separated line that starts with tag into exactly
// len(dst) fields after the tag.
func (r *lineReader) fields(line, tag string, dst []string) error {
	rest, ok := strings.CutPrefix(line, tag+"\t")
	if !ok {
		return fmt.Errorf("line %d: got %.20q, want a %s line", r.line, line, tag)
	}
	last := len(dst) - 1
	for i := range last {
		var ok bool
		dst[i], rest, ok = strings.Cut(rest, "\t")
		if !ok {
			return fmt.Errorf("line %d: got %d fields, want %d", r.line, i+1, len(dst))
		}
	}
	if strings.Contains(rest, "\t") {
		return fmt.Errorf("line %d: got more than %d fields", r.line, len(dst))
	}
	dst[last] = rest
	return nil
}

func (r *lineReader) index(s string, n int) (int, error) {
	i, err := strconv.Atoi(s)
	if err != nil || i < 0 || i >= n {
		return 0, fmt.Errorf("line %d: invalid index %q, want 0 to %d", r.line, s, n-1)
	}
	return i, nil
}

func (r *lineReader) degrees(s string, limit int) (int32, error) {
	v, err := strconv.Atoi(s)
	if err != nil || v < -limit*1e4 || v > limit*1e4 {
		return 0, fmt.Errorf("line %d: invalid coordinate %q", r.line, s)
	}
	return int32(v), nil
}

// parse reads the format that gen/output.go writes. The regions, subareas
// and city names are copied out of text, so text itself can be freed.
func parse(text string) (*Directory, error) {
	header, _, _ := strings.Cut(text, "\n")
	counts := strings.Fields(header)
	if len(counts) != 6 || counts[0] != "corkboard-places" || counts[1] != formatVersion {
		return nil, fmt.Errorf("line 1: got header %.40q, want corkboard-places %s and four counts", header, formatVersion)
	}
	var n [4]int // regions, subareas, cities, ZIP codes
	for i := range n {
		v, err := strconv.Atoi(counts[2+i])
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("line 1: invalid count %q", counts[2+i])
		}
		n[i] = v
	}
	nRegions, nSubareas, nCities, nZIPs := n[0], n[1], n[2], n[3]
	if nSubareas > math.MaxUint16+1 {
		return nil, fmt.Errorf("line 1: %d subareas, at most %d fit", nSubareas, math.MaxUint16+1)
	}

	// Copy the lines up to the first ZIP code, which hold every string the
	// Directory keeps except the state codes.
	metaEnd := 0
	for i := 0; i < 1+nRegions+nSubareas+nCities; i++ {
		nl := strings.IndexByte(text[metaEnd:], '\n')
		if nl < 0 {
			return nil, fmt.Errorf("unexpected end of data in line %d", i+1)
		}
		metaEnd += nl + 1
	}
	meta := strings.Clone(text[:metaEnd])

	d := &Directory{bySlug: make(map[string]int, nRegions)}
	r := &lineReader{text: meta}
	if _, err := r.next(); err != nil {
		return nil, err
	}
	if err := d.parseRegions(r, nRegions); err != nil {
		return nil, err
	}
	if err := d.parseSubareas(r, nSubareas); err != nil {
		return nil, err
	}
	cities, err := parseCities(r, nCities)
	if err != nil {
		return nil, err
	}

	r.text = text[metaEnd:]
	if err := d.parseZIPs(r, nZIPs, cities); err != nil {
		return nil, err
	}
	if rest := strings.TrimSpace(r.text); rest != "" {
		return nil, fmt.Errorf("line %d: got %.20q after the last ZIP code", r.line+1, rest)
	}
	return d, nil
}

func (d *Directory) parseRegions(r *lineReader, n int) error {
	d.regions = make([]Region, n)
	var f [6]string
	for i := range d.regions {
		line, err := r.next()
		if err != nil {
			return err
		}
		if err := r.fields(line, "R", f[:]); err != nil {
			return err
		}
		slug, name, state, military := f[0], f[1], f[2], f[5]
		if slug == "" || name == "" || state == "" {
			return fmt.Errorf("line %d: region with empty slug, name or state", r.line)
		}
		if i > 0 && slug <= d.regions[i-1].Slug {
			return fmt.Errorf("line %d: region %q is out of order or repeated", r.line, slug)
		}
		lat, err := r.degrees(f[3], 90)
		if err != nil {
			return err
		}
		lon, err := r.degrees(f[4], 180)
		if err != nil {
			return err
		}
		if military != "0" && military != "1" {
			return fmt.Errorf("line %d: invalid military flag %q, want 0 or 1", r.line, military)
		}
		d.regions[i] = Region{
			Slug: slug, Name: name, State: state,
			Lat: float64(lat) / 1e4, Lon: float64(lon) / 1e4,
			Military: military == "1",
		}
		d.bySlug[slug] = i
	}

	d.byName = make([]int, n)
	for i := range d.byName {
		d.byName[i] = i
	}
	slices.SortFunc(d.byName, func(a, b int) int {
		ra, rb := &d.regions[a], &d.regions[b]
		if c := strings.Compare(ra.Name, rb.Name); c != 0 {
			return c
		}
		return strings.Compare(ra.Slug, rb.Slug)
	})
	return nil
}

func (d *Directory) parseSubareas(r *lineReader, n int) error {
	d.subareas = make([]subareaEntry, n)
	var f [3]string
	for i := range d.subareas {
		line, err := r.next()
		if err != nil {
			return err
		}
		if err := r.fields(line, "S", f[:]); err != nil {
			return err
		}
		slug, name := f[0], f[1]
		if slug == "" || name == "" {
			return fmt.Errorf("line %d: subarea with empty slug or name", r.line)
		}
		if i > 0 && slug <= d.subareas[i-1].slug {
			return fmt.Errorf("line %d: subarea %q is out of order or repeated", r.line, slug)
		}
		region, err := r.index(f[2], len(d.regions))
		if err != nil {
			return err
		}
		d.subareas[i] = subareaEntry{slug: slug, name: name, region: region}
		d.regions[region].Subareas = append(d.regions[region].Subareas, Subarea{Slug: slug, Name: name})
	}

	for i := range d.regions {
		subs := d.regions[i].Subareas
		if len(subs) == 0 {
			return fmt.Errorf("region %q has no subareas", d.regions[i].Slug)
		}
		slices.SortFunc(subs, func(a, b Subarea) int { return strings.Compare(a.Name, b.Name) })
		d.regions[i].Subareas = slices.Clip(subs)
	}
	return nil
}

func parseCities(r *lineReader, n int) ([]string, error) {
	cities := make([]string, n)
	for i := range cities {
		line, err := r.next()
		if err != nil {
			return nil, err
		}
		name, ok := strings.CutPrefix(line, "C\t")
		if !ok || name == "" || strings.Contains(name, "\t") {
			return nil, fmt.Errorf("line %d: got %.20q, want a C line with one name", r.line, line)
		}
		cities[i] = name
	}
	return cities, nil
}

func (d *Directory) parseZIPs(r *lineReader, n int, cities []string) error {
	d.places = make([]place, n)
	zips := make([]byte, 0, 5*n)
	stateIndex := make(map[string]uint8)
	var f [6]string
	for i := range d.places {
		line, err := r.next()
		if err != nil {
			return err
		}
		if err := r.fields(line, "Z", f[:]); err != nil {
			return err
		}
		zip := f[0]
		if len(zip) != 5 || !isDigits(zip) {
			return fmt.Errorf("line %d: invalid ZIP code %q", r.line, zip)
		}
		if i > 0 && zip <= string(zips[len(zips)-5:]) {
			return fmt.Errorf("line %d: ZIP code %s is out of order or repeated", r.line, zip)
		}
		zips = append(zips, zip...)

		city, err := r.index(f[1], len(cities))
		if err != nil {
			return err
		}
		state, ok := stateIndex[f[2]]
		if !ok {
			if len(f[2]) != 2 || len(d.states) > math.MaxUint8 {
				return fmt.Errorf("line %d: invalid state code %q", r.line, f[2])
			}
			state = uint8(len(d.states))
			stateIndex[f[2]] = state
			d.states = append(d.states, strings.Clone(f[2]))
		}
		lat, err := r.degrees(f[3], 90)
		if err != nil {
			return err
		}
		lon, err := r.degrees(f[4], 180)
		if err != nil {
			return err
		}
		sub, err := r.index(f[5], len(d.subareas))
		if err != nil {
			return err
		}
		d.places[i] = place{city: cities[city], latE4: lat, lonE4: lon, subarea: uint16(sub), state: state}
	}
	d.zips = string(zips)
	return nil
}
