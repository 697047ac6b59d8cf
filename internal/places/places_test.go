package places

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// sharedZIPDir holds the source data of the generator and the OMB
// crosswalk, outside the repository. Tests that read it skip when it is
// missing.
const sharedZIPDir = "../../../shared/data/zip"

// sharedZIPDirFromRepo is sharedZIPDir as seen from the repository root,
// for skip messages.
const sharedZIPDirFromRepo = "../shared/data/zip"

var loadOnce = sync.OnceValues(Load)

func directory(t testing.TB) *Directory {
	t.Helper()
	d, err := loadOnce()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return d
}

func lookup(t *testing.T, d *Directory, zip string) Place {
	t.Helper()
	p, err := d.Lookup(zip)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", zip, err)
	}
	return p
}

func TestLookup(t *testing.T) {
	d := directory(t)

	t.Run("keeps leading zero", func(t *testing.T) {
		p := lookup(t, d, "02134")
		if p.ZIP != "02134" {
			t.Errorf("ZIP: got %q, want %q", p.ZIP, "02134")
		}
		if p.City != "Allston" {
			t.Errorf("City: got %q, want %q", p.City, "Allston")
		}
		if p.State != "MA" {
			t.Errorf("State: got %q, want %q", p.State, "MA")
		}
		if p.Region != "boston" {
			t.Errorf("Region: got %q, want %q", p.Region, "boston")
		}
		if p.Lat < 42.3 || p.Lat > 42.4 || p.Lon < -71.2 || p.Lon > -71.1 {
			t.Errorf("coordinates: got %v,%v, want near 42.35,-71.13", p.Lat, p.Lon)
		}
	})

	t.Run("drops ZIP+4 suffix", func(t *testing.T) {
		if p := lookup(t, d, " 02134-1234 "); p.ZIP != "02134" {
			t.Errorf("ZIP: got %q, want %q", p.ZIP, "02134")
		}
	})

	t.Run("malformed ZIP codes", func(t *testing.T) {
		for _, zip := range []string{"", "2134", "abcde", "123456", "02134-12", "0213 4", "02134-abcd", "٠٢١٣٤"} {
			_, err := d.Lookup(zip)
			if !errors.Is(err, ErrMalformedZIP) {
				t.Errorf("Lookup(%q): got error %v, want ErrMalformedZIP", zip, err)
			}
		}
	})

	t.Run("unknown ZIP codes", func(t *testing.T) {
		for _, zip := range []string{"00000", "99999", "00100"} {
			_, err := d.Lookup(zip)
			if !errors.Is(err, ErrUnknownZIP) {
				t.Errorf("Lookup(%q): got error %v, want ErrUnknownZIP", zip, err)
			}
			if err != nil && !strings.Contains(err.Error(), zip) {
				t.Errorf("Lookup(%q): error %q does not name the ZIP code", zip, err)
			}
		}
	})

	t.Run("region and subarea exist", func(t *testing.T) {
		p := lookup(t, d, "11201")
		r, ok := d.Region(p.Region)
		if !ok {
			t.Fatalf("Region(%q): not found", p.Region)
		}
		if !slices.ContainsFunc(r.Subareas, func(s Subarea) bool { return s.Slug == p.Subarea }) {
			t.Errorf("region %q: subareas %v lack %q", r.Slug, r.Subareas, p.Subarea)
		}
	})
}

func TestNormalizeZIP(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"02134", "02134"},
		{"  02134\t", "02134"},
		{"02134-1234", "02134"},
		{"99501", "99501"},
	}
	for _, tt := range tests {
		got, err := NormalizeZIP(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeZIP(%q): got %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}

	t.Run("error message shows the input", func(t *testing.T) {
		_, err := NormalizeZIP("2134")
		if err == nil || !strings.Contains(err.Error(), `"2134"`) || !strings.HasPrefix(err.Error(), ErrMalformedZIP.Error()) {
			t.Errorf(`NormalizeZIP("2134"): got error %v, want ErrMalformedZIP quoting "2134"`, err)
		}
	})
}

func TestRegionsOfMetros(t *testing.T) {
	d := directory(t)

	t.Run("New York boroughs and Hoboken together", func(t *testing.T) {
		manhattan, brooklyn, hoboken := lookup(t, d, "10001"), lookup(t, d, "11201"), lookup(t, d, "07030")
		if manhattan.Region != "new-york" {
			t.Errorf("10001: got region %q, want %q", manhattan.Region, "new-york")
		}
		if brooklyn.Region != manhattan.Region || hoboken.Region != manhattan.Region {
			t.Errorf("got regions %q (10001), %q (11201), %q (07030), want one region", manhattan.Region, brooklyn.Region, hoboken.Region)
		}
		if manhattan.Subarea == brooklyn.Subarea || manhattan.Subarea == hoboken.Subarea || brooklyn.Subarea == hoboken.Subarea {
			t.Errorf("got subareas %q, %q, %q, want three different ones", manhattan.Subarea, brooklyn.Subarea, hoboken.Subarea)
		}
	})

	t.Run("San Francisco and Oakland together", func(t *testing.T) {
		sf, oakland := lookup(t, d, "94103"), lookup(t, d, "94612")
		if sf.Region != oakland.Region {
			t.Errorf("got regions %q (94103) and %q (94612), want one region", sf.Region, oakland.Region)
		}
	})

	t.Run("Los Angeles and San Diego apart", func(t *testing.T) {
		la, sd := lookup(t, d, "90012"), lookup(t, d, "92101")
		if la.Region == sd.Region {
			t.Errorf("got region %q for both 90012 and 92101, want two regions", la.Region)
		}
	})

	t.Run("Portland OR and Portland ME apart", func(t *testing.T) {
		or, me := lookup(t, d, "97201"), lookup(t, d, "04101")
		if or.Region != "portland-or" || me.Region != "portland-me" {
			t.Errorf("got regions %q (97201) and %q (04101), want portland-or and portland-me", or.Region, me.Region)
		}
	})

	t.Run("military mail in its own region", func(t *testing.T) {
		p := lookup(t, d, "09001")
		r, _ := d.Region(p.Region)
		if !r.Military {
			t.Errorf("09001: got region %q without the Military flag", p.Region)
		}
		if p.State != "AE" {
			t.Errorf("09001: got state %q, want AE", p.State)
		}
	})
}

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func TestRegionTable(t *testing.T) {
	d := directory(t)
	regions := d.Regions()

	t.Run("count", func(t *testing.T) {
		if n := len(regions); n < 250 || n > 450 {
			t.Errorf("got %d regions, want 250 to 450", n)
		}
	})

	t.Run("sorted by name", func(t *testing.T) {
		if !slices.IsSortedFunc(regions, func(a, b Region) int { return strings.Compare(a.Name, b.Name) }) {
			t.Error("Regions() is not sorted by name")
		}
	})

	t.Run("slugs unique and well formed", func(t *testing.T) {
		regionSlugs := make(map[string]bool)
		subareaSlugs := make(map[string]string)
		for _, r := range regions {
			if !slugPattern.MatchString(r.Slug) {
				t.Errorf("region slug %q does not match %s", r.Slug, slugPattern)
			}
			if regionSlugs[r.Slug] {
				t.Errorf("region slug %q repeated", r.Slug)
			}
			regionSlugs[r.Slug] = true
			for _, s := range r.Subareas {
				if !slugPattern.MatchString(s.Slug) {
					t.Errorf("subarea slug %q does not match %s", s.Slug, slugPattern)
				}
				if other, dup := subareaSlugs[s.Slug]; dup {
					t.Errorf("subarea slug %q in both %q and %q", s.Slug, other, r.Slug)
				}
				subareaSlugs[s.Slug] = r.Slug
			}
		}
	})

	t.Run("every region complete", func(t *testing.T) {
		for _, r := range regions {
			if r.Name == "" || len(r.State) != 2 || len(r.Subareas) == 0 {
				t.Errorf("region %q: got name %q, state %q and %d subareas", r.Slug, r.Name, r.State, len(r.Subareas))
			}
			if got, ok := d.Region(r.Slug); !ok || got.Name != r.Name {
				t.Errorf("Region(%q): got %q, %v, want %q", r.Slug, got.Name, ok, r.Name)
			}
			if len(d.PlacesIn(r.Slug)) == 0 {
				t.Errorf("PlacesIn(%q) is empty", r.Slug)
			}
		}
	})

	t.Run("callers cannot change the directory", func(t *testing.T) {
		first := d.Regions()
		first[0].Subareas[0].Name = "changed"
		if again := d.Regions(); again[0].Subareas[0].Name == "changed" {
			t.Error("changing a Subarea returned by Regions changed the directory")
		}
	})

	t.Run("unknown slug", func(t *testing.T) {
		if _, ok := d.Region("atlantis"); ok {
			t.Error(`Region("atlantis"): got ok, want not found`)
		}
		if got := d.PlacesIn("atlantis"); got != nil {
			t.Errorf(`PlacesIn("atlantis"): got %d places, want none`, len(got))
		}
	})
}

func TestPlaces(t *testing.T) {
	d := directory(t)
	places := d.Places()

	if !slices.IsSortedFunc(places, func(a, b Place) int { return strings.Compare(a.ZIP, b.ZIP) }) {
		t.Error("Places() is not sorted by ZIP")
	}

	t.Run("PlacesIn partitions Places", func(t *testing.T) {
		total := 0
		for _, r := range d.Regions() {
			in := d.PlacesIn(r.Slug)
			total += len(in)
			for _, p := range in {
				if p.Region != r.Slug {
					t.Fatalf("PlacesIn(%q): got ZIP %s of region %q", r.Slug, p.ZIP, p.Region)
				}
			}
		}
		if total != len(places) {
			t.Errorf("PlacesIn over all regions: got %d places, want %d", total, len(places))
		}
	})
}

// usRow is one row of the GeoNames US postal code export.
type usRow struct {
	zip, stateName, countyCode string
}

func readUSRows(t *testing.T) []usRow {
	t.Helper()
	f, err := os.Open(sharedZIPDir + "/US.txt")
	if err != nil {
		t.Skipf("skipping: the GeoNames export %s/US.txt next to the repository is absent", sharedZIPDirFromRepo)
	}
	defer f.Close()

	var rows []usRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) < 7 {
			t.Fatalf("US.txt: got line %q with %d fields, want at least 7", sc.Text(), len(fields))
		}
		rows = append(rows, usRow{zip: fields[1], stateName: fields[3], countyCode: fields[6]})
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read US.txt: %v", err)
	}
	return rows
}

func TestEveryGeoNamesZIPResolves(t *testing.T) {
	d := directory(t)
	rows := readUSRows(t)
	zips := make(map[string]bool)
	for _, row := range rows {
		zips[row.zip] = true
		if _, err := d.Lookup(row.zip); err != nil {
			t.Errorf("Lookup(%q): %v", row.zip, err)
		}
	}
	if got := len(d.Places()); got != len(zips) {
		t.Errorf("Places: got %d ZIP codes, want %d, the distinct ZIP codes of the GeoNames export", got, len(zips))
	}
}

// minMetroZIPs and minMetroShare define the metro check. Every Metropolitan
// Statistical Area with at least minMetroZIPs ZIP codes must have at least
// minMetroShare of its ZIP codes in a single region. The data has no
// population, so the ZIP code count picks the big areas.
const (
	minMetroZIPs  = 150
	minMetroShare = 0.80
)

// splitMetroShare lowers minMetroShare for areas that whole-prefix
// subareas cannot keep together. Gloucester, Mathews and James City
// counties of the Virginia Beach area get their mail through the Richmond
// sectional center (prefixes 230-231, shared with Richmond's rural west).
// Their 39 ZIP codes therefore belong to the Richmond region, and unless
// Richmond, 86 miles away, joined Norfolk, at most 127 of the 166 ZIP codes
// (76.5%) could share a region.
var splitMetroShare = map[string]float64{
	"Virginia Beach-Norfolk-Newport News, VA-NC": 0.60,
}

type metroResult struct {
	title  string
	zips   int
	share  float64
	counts []regionCount // largest first
}

type regionCount struct {
	region string
	zips   int
}

// TestMetroAreasStayTogether compares the regions with the OMB delineation
// of metropolitan areas, which the generator does not read.
func TestMetroAreasStayTogether(t *testing.T) {
	d := directory(t)
	rows := readUSRows(t)
	areaOfCounty := readMetroCounties(t)

	zipsOfArea := make(map[string]map[string]bool)
	for _, row := range rows {
		county, err := strconv.Atoi(row.countyCode)
		if err != nil {
			continue // military rows have no county
		}
		area, ok := areaOfCounty[countyKey{row.stateName, county}]
		if !ok {
			continue
		}
		if zipsOfArea[area] == nil {
			zipsOfArea[area] = make(map[string]bool)
		}
		zipsOfArea[area][row.zip] = true
	}

	var results []metroResult
	for area, zips := range zipsOfArea {
		if len(zips) < minMetroZIPs {
			continue
		}
		perRegion := make(map[string]int)
		for zip := range zips {
			perRegion[lookup(t, d, zip).Region]++
		}
		res := metroResult{title: area, zips: len(zips)}
		for region, n := range perRegion {
			res.counts = append(res.counts, regionCount{region, n})
		}
		slices.SortFunc(res.counts, func(a, b regionCount) int {
			return cmp.Or(cmp.Compare(b.zips, a.zips), strings.Compare(a.region, b.region))
		})
		res.share = float64(res.counts[0].zips) / float64(len(zips))
		results = append(results, res)
	}
	if len(results) < 20 {
		t.Fatalf("got %d metropolitan areas with %d or more ZIP codes, want at least 20; is the crosswalk complete?", len(results), minMetroZIPs)
	}
	slices.SortFunc(results, func(a, b metroResult) int {
		return cmp.Or(cmp.Compare(a.share, b.share), strings.Compare(a.title, b.title))
	})

	atLeast90 := 0
	for _, res := range results {
		if res.share >= 0.9 {
			atLeast90++
		}
	}
	t.Logf("%d metropolitan areas with %d+ ZIP codes; share in their main region: min %.3f, median %.3f; %d at 0.9 or more", len(results), minMetroZIPs, results[0].share, results[len(results)/2].share, atLeast90)
	t.Logf("%-6s %-5s  %-48s %s", "share", "ZIPs", "area", "regions (ZIP codes)")
	for _, res := range results[:min(12, len(results))] {
		var parts []string
		for _, c := range res.counts[:min(4, len(res.counts))] {
			parts = append(parts, c.region+" "+strconv.Itoa(c.zips))
		}
		t.Logf("%.3f  %5d  %-48s %s", res.share, res.zips, res.title, strings.Join(parts, ", "))
	}

	for _, res := range results {
		want, split := splitMetroShare[res.title]
		if !split {
			want = minMetroShare
		}
		if res.share < want {
			t.Errorf("%s: got %.1f%% of %d ZIP codes in region %q, want at least %.0f%%", res.title, 100*res.share, res.zips, res.counts[0].region, 100*want)
		}
	}
}

type countyKey struct {
	stateName string
	county    int
}

// readMetroCounties reads the NBER CBSA-to-FIPS crosswalk and returns the
// Metropolitan Statistical Area title of each county in one.
func readMetroCounties(t *testing.T) map[countyKey]string {
	t.Helper()
	f, err := os.Open(sharedZIPDir + "/cbsa2fipsxw.csv")
	if err != nil {
		t.Skipf("skipping: the OMB county crosswalk %s/cbsa2fipsxw.csv next to the repository is absent", sharedZIPDirFromRepo)
	}
	defer f.Close()

	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		t.Fatalf("read crosswalk header: %v", err)
	}
	col := make(map[string]int)
	for i, name := range header {
		col[name] = i
	}
	for _, name := range []string{"cbsatitle", "metropolitanmicropolitanstatis", "statename", "fipscountycode"} {
		if _, ok := col[name]; !ok {
			t.Fatalf("crosswalk: column %q missing from header %q", name, header)
		}
	}

	areas := make(map[countyKey]string)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read crosswalk: %v", err)
		}
		if rec[col["metropolitanmicropolitanstatis"]] != "Metropolitan Statistical Area" {
			continue
		}
		county, err := strconv.Atoi(rec[col["fipscountycode"]])
		if err != nil {
			t.Fatalf("crosswalk: invalid county code %q", rec[col["fipscountycode"]])
		}
		areas[countyKey{rec[col["statename"]], county}] = rec[col["cbsatitle"]]
	}
	return areas
}

func TestNearby(t *testing.T) {
	d := directory(t)
	const miles = 150

	near := d.Nearby("new-york", miles)
	if len(near) == 0 {
		t.Fatalf(`Nearby("new-york", %d): got no regions`, miles)
	}
	home, _ := d.Region("new-york")
	last := 0.0
	for _, r := range near {
		if r.Slug == "new-york" {
			t.Errorf(`Nearby("new-york"): got the region itself`)
		}
		dist := DistanceMiles(home.Lat, home.Lon, r.Lat, r.Lon)
		if dist > miles {
			t.Errorf(`Nearby("new-york"): got %q at %.0f miles, want at most %d`, r.Slug, dist, miles)
		}
		if dist < last {
			t.Errorf(`Nearby("new-york"): got %q at %.0f miles after a region at %.0f miles, want nearest first`, r.Slug, dist, last)
		}
		last = dist
	}
	if !slices.ContainsFunc(near, func(r Region) bool { return r.Slug == "philadelphia" }) {
		t.Errorf(`Nearby("new-york", %d): got %d regions without philadelphia`, miles, len(near))
	}

	t.Run("unknown and military regions", func(t *testing.T) {
		if got := d.Nearby("atlantis", miles); got != nil {
			t.Errorf(`Nearby("atlantis"): got %d regions, want none`, len(got))
		}
		for _, r := range d.Regions() {
			if r.Military {
				if got := d.Nearby(r.Slug, 20000); got != nil {
					t.Errorf("Nearby(%q): got %d regions, want none", r.Slug, len(got))
				}
			}
		}
		for _, r := range d.Nearby("honolulu", 20000) {
			if r.Military {
				t.Errorf(`Nearby("honolulu", 20000): got military region %q`, r.Slug)
			}
		}
	})
}

func TestDistanceMiles(t *testing.T) {
	tests := []struct {
		name                   string
		lat1, lon1, lat2, lon2 float64
		want                   float64
	}{
		{"same point", 40.7128, -74.006, 40.7128, -74.006, 0},
		{"New York to Los Angeles", 40.7128, -74.006, 34.0522, -118.2437, 2445.6},
		{"quarter of the equator", 0, 0, 0, 90, 6218.5},
		{"across the antimeridian", 0, 179.5, 0, -179.5, 69.1},
	}
	for _, tt := range tests {
		got := DistanceMiles(tt.lat1, tt.lon1, tt.lat2, tt.lon2)
		if diff := got - tt.want; diff < -0.1 || diff > 0.1 {
			t.Errorf("%s: got %.2f miles, want %.1f", tt.name, got, tt.want)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}
