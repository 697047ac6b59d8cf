package main

import (
	"fmt"
	"sort"
	"strings"
)

// subarea is a group of 3-digit prefixes that the zip3 list gives the same
// sectional center name and whose ZIP codes lie mostly in the same state,
// for example "Brooklyn, NY" (112) or "New York, NY" (100-102).
type subarea struct {
	slug     string
	name     string // "City, ST"
	city     string
	state    string
	center   string // zip3 sectional center "City, ST" that this subarea is served from
	prefixes []string
	zips     []int // indexes into the ZIP rows

	lat, lon float64 // centroid weighted by density, see computeWeights
	weight   float64 // urban weight, see computeWeights
	military bool
}

type subareaKey struct {
	center string // "City, ST" from the zip3 list, or "" for prefixes it lacks
	state  string // state that most of the prefix's ZIP codes are in
}

// buildSubareas groups the ZIP codes into subareas and returns them sorted
// by slug.
//
// A sectional center sometimes serves ZIP codes across a state line: 986
// (Vancouver, WA) is served from Portland, OR and 220-221 (northern Virginia)
// from Washington, DC. Naming those ZIP codes "Portland, OR" would mislead
// the people who live there. Such prefixes therefore become a subarea of
// their own, named after their most common place name. They keep the
// center, so buildRegions puts them in the same region as the center.
//
// Military rows (APO, FPO, DPO) take their state code from the zip3 list,
// which follows the USPS assignment (AA 340, AE 090-098, AP 962-966), because
// GeoNames labels some Pacific APO codes AA.
func buildSubareas(zips []zipRow, prefixes map[string]prefixInfo) ([]*subarea, error) {
	byPrefix := make(map[string][]int)
	for i := range zips {
		p := zips[i].prefix
		if info, ok := prefixes[p]; ok && info.city == "Military" && zips[i].military {
			zips[i].state = info.state
		}
		if zips[i].state == "" {
			return nil, fmt.Errorf("military ZIP code %s has no state code, and the zip3 list names no military area for prefix %s", zips[i].zip, p)
		}
		byPrefix[p] = append(byPrefix[p], i)
	}

	groups := make(map[subareaKey]*subarea)
	for _, p := range sortedKeys(byPrefix) {
		idx := byPrefix[p]
		state := majorityState(zips, idx)
		key := subareaKey{state: state}
		info, known := prefixes[p]
		if known {
			key.center = info.city + ", " + normalizeState(info.state)
		} else {
			// Prefixes missing from the zip3 list are unrelated to each other.
			key.center = "prefix " + p
		}
		g := groups[key]
		if g == nil {
			g = &subarea{state: state}
			if known {
				g.center = key.center
			}
			if known && normalizeState(info.state) == state {
				g.city = info.city
			}
			g.military = known && info.city == "Military"
			groups[key] = g
		}
		g.prefixes = append(g.prefixes, p)
		g.zips = append(g.zips, idx...)
	}

	bySlug := make(map[string]*subarea)
	for _, g := range groups {
		if g.city == "" {
			g.city = commonCity(zips, g.zips, g.state)
		}
		g.name = g.city + ", " + g.state
		g.slug = slugify(g.name)
		if other, dup := bySlug[g.slug]; dup {
			return nil, fmt.Errorf("subareas %v and %v both have the slug %q", other.prefixes, g.prefixes, g.slug)
		}
		bySlug[g.slug] = g
		// computeWeights replaces the median with a weighted centroid and
		// needs it as the reference for longitudes across the antimeridian.
		g.lat, g.lon = medianPoint(zips, g.zips)
	}

	subareas := make([]*subarea, 0, len(bySlug))
	for _, slug := range sortedKeys(bySlug) {
		subareas = append(subareas, bySlug[slug])
	}
	computeWeights(zips, subareas)
	return subareas, nil
}

// normalizeState drops the asterisk that the zip3 list puts after some
// Connecticut entries ("CT*").
func normalizeState(s string) string { return strings.TrimRight(s, "*") }

// majorityState returns the state that most of the given ZIP codes are in,
// the alphabetically first one on a tie.
func majorityState(zips []zipRow, idx []int) string {
	counts := make(map[string]int)
	for _, i := range idx {
		counts[zips[i].state]++
	}
	best := ""
	for _, s := range sortedKeys(counts) {
		if best == "" || counts[s] > counts[best] {
			best = s
		}
	}
	return best
}

// commonCity returns the place name that the most ZIP codes in state carry,
// the one with the lowest ZIP code on a tie. Cities have many ZIP codes and
// villages one, so this usually picks the main city of the area.
func commonCity(zips []zipRow, idx []int, state string) string {
	counts := make(map[string]int)
	first := make(map[string]string)
	for _, i := range idx {
		z := zips[i]
		if z.state != state {
			continue
		}
		counts[z.city]++
		if f, ok := first[z.city]; !ok || z.zip < f {
			first[z.city] = z.zip
		}
	}
	best := ""
	for _, c := range sortedKeys(counts) {
		if best == "" || counts[c] > counts[best] || (counts[c] == counts[best] && first[c] < first[best]) {
			best = c
		}
	}
	return best
}

func medianPoint(zips []zipRow, idx []int) (lat, lon float64) {
	lats := make([]float64, len(idx))
	lons := make([]float64, len(idx))
	for k, i := range idx {
		lats[k] = zips[i].lat()
		lons[k] = zips[i].lon()
	}
	return median(lats), median(lons)
}

func median(v []float64) float64 {
	sort.Float64s(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// slugify turns a name into lowercase ASCII words joined by hyphens:
// "St. Louis, MO" becomes "st-louis-mo" and "Coeur d'Alene" "coeur-d-alene".
func slugify(s string) string {
	var b strings.Builder
	pendingHyphen := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if pendingHyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			pendingHyphen = false
			b.WriteRune(r)
		default:
			pendingHyphen = true
		}
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
