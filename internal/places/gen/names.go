package main

import (
	"fmt"
	"sort"
	"strings"
)

// regionNames gives the names of regions that people know by another name
// than their main city's. A region that contains the subarea with the key
// as slug takes the name, and that subarea's city is its main city.
var regionNames = map[string]string{
	"san-francisco-ca": "San Francisco Bay Area",
	"washington-dc":    "Washington, DC",
}

// nameRegions names each region after its main city, sets its state and
// center from that city, and gives it a slug. Regions come back sorted by
// slug.
//
// The main city is the sectional center city that the most of the region's
// ZIP codes carry as their place name: big cities have dozens of ZIP codes,
// so "New Orleans" wins over its heavier suburban neighbor "Metairie".
// Two regions whose names would give the same slug (Portland, OR and
// Portland, ME) both get the state code appended, so neither looks like the
// default.
func nameRegions(regions []*region, zips []zipRow) error {
	for _, r := range regions {
		if r.military {
			r.name, r.slug = "Military (APO/FPO/DPO)", "military"
			largest := r.subareas[0]
			for _, s := range r.subareas {
				if len(s.zips) > len(largest.zips) {
					largest = s
				}
			}
			r.state, r.lat, r.lon = largest.state, largest.lat, largest.lon
			continue
		}

		main := mainSubarea(r, zips)
		r.name = main.city
		for _, s := range r.subareas {
			if name, ok := regionNames[s.slug]; ok {
				r.name, main = name, s
			}
		}
		r.state = main.state
		r.lat, r.lon = cityCenter(r, zips, main)
		r.slug = slugify(r.name)
	}

	count := make(map[string]int)
	for _, r := range regions {
		count[r.slug]++
	}
	for _, r := range regions {
		if count[r.slug] > 1 {
			r.slug += "-" + strings.ToLower(r.state)
		}
	}

	seen := make(map[string]*region)
	for _, r := range regions {
		if other, dup := seen[r.slug]; dup {
			return fmt.Errorf("regions %q (%s) and %q (%s) both have the slug %q", other.name, other.state, r.name, r.state, r.slug)
		}
		seen[r.slug] = r
	}
	sort.Slice(regions, func(i, j int) bool { return regions[i].slug < regions[j].slug })
	return nil
}

// mainSubarea returns the subarea whose city most of r's ZIP codes are
// named after, the heavier one on a tie.
func mainSubarea(r *region, zips []zipRow) *subarea {
	named := make(map[string]int) // placeKey → ZIP codes with that place name
	for _, s := range r.subareas {
		for _, i := range s.zips {
			named[placeKey(zips[i].city, zips[i].state)]++
		}
	}
	best := r.core
	for _, s := range r.subareas {
		n, nBest := named[placeKey(s.city, s.state)], named[placeKey(best.city, best.state)]
		if n > nBest || (n == nBest && s.weight > best.weight) {
			best = s
		}
	}
	return best
}

// cityCenter returns the median location of the ZIP codes in r named
// after main's city, or main's centroid if none are.
func cityCenter(r *region, zips []zipRow, main *subarea) (lat, lon float64) {
	var idx []int
	key := placeKey(main.city, main.state)
	for _, s := range r.subareas {
		for _, i := range s.zips {
			if placeKey(zips[i].city, zips[i].state) == key {
				idx = append(idx, i)
			}
		}
	}
	if len(idx) == 0 {
		return main.lat, main.lon
	}
	return medianPoint(zips, idx)
}

// placeKey returns a key under which the zip3 list's city names match the
// GeoNames place names, which spell out "Saint" where the list has "St.".
func placeKey(city, state string) string {
	key := strings.ToLower(city)
	if rest, ok := strings.CutPrefix(key, "saint "); ok {
		key = "st. " + rest
	}
	return key + ", " + state
}
