package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
)

// region is a metropolitan region under construction; buildRegions also
// uses it for the clusters it merges.
type region struct {
	slug     string
	name     string
	state    string
	lat, lon float64
	core     *subarea // heaviest subarea
	subareas []*subarea
	weight   float64 // sum of the subareas' weights
	military bool
}

const earthRadiusMiles = 3958.8

// distanceMiles returns the haversine distance between two points given in
// degrees.
func distanceMiles(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusMiles * math.Asin(math.Min(1, math.Sqrt(a)))
}

// densityRadius is the radius in miles within which computeWeights
// counts the neighbors of a ZIP code location.
const densityRadius = 10.0

// computeWeights sets each subarea's weight to the sum, over its ZIP code
// locations, of the number of ZIP code locations within densityRadius miles.
// ZIP counts alone would rank rural Iowa with big cities, because every
// village has its own ZIP code. Weighting each location by how crowded its
// surroundings are makes the weight grow faster than linearly with
// settlement density, so cities outweigh farmland. Locations
// rather than ZIP codes are counted because GeoNames puts the many
// single-building and PO box ZIP codes of a city (the federal government's
// in Washington, the state's in Sacramento) on the same point.
//
// NOTE: Post offices are dense in Appalachia and Pennsylvania, so towns there
// weigh more than their population suggests and their regions (Pittsburgh,
// Charleston, WV) grow larger than elsewhere.
func computeWeights(zips []zipRow, subareas []*subarea) {
	// A grid cell and its 8 neighbors cover densityRadius in every
	// direction up to 73° north, beyond the northernmost ZIP code (71.3°).
	const cell = 0.5 // degrees
	type point struct{ latE4, lonE4 int32 }
	type cellKey struct{ lat, lon int }
	keyOf := func(p point) cellKey {
		return cellKey{int(math.Floor(float64(p.latE4) / 1e4 / cell)), int(math.Floor(float64(p.lonE4) / 1e4 / cell))}
	}

	// Each subarea's distinct locations, and all of them in a grid.
	locations := make([][]point, len(subareas))
	grid := make(map[cellKey][]point)
	seen := make(map[point]bool)
	for si, s := range subareas {
		if s.military {
			continue
		}
		mine := make(map[point]bool)
		for _, i := range s.zips {
			p := point{zips[i].latE4, zips[i].lonE4}
			if !mine[p] {
				mine[p] = true
				locations[si] = append(locations[si], p)
			}
			if !seen[p] {
				seen[p] = true
				grid[keyOf(p)] = append(grid[keyOf(p)], p)
			}
		}
	}

	for si, s := range subareas {
		s.weight = 0
		var sumLat, sumLon float64
		for _, p := range locations[si] {
			k := keyOf(p)
			lat, lon := float64(p.latE4)/1e4, float64(p.lonE4)/1e4
			n := 0
			for dlat := -1; dlat <= 1; dlat++ {
				for dlon := -1; dlon <= 1; dlon++ {
					for _, q := range grid[cellKey{k.lat + dlat, k.lon + dlon}] {
						if distanceMiles(lat, lon, float64(q.latE4)/1e4, float64(q.lonE4)/1e4) <= densityRadius {
							n++
						}
					}
				}
			}
			w := float64(n)
			s.weight += w
			sumLat += w * lat
			sumLon += w * nearLongitude(lon, s.lon)
		}
		// Weighting the centroid too moves it from the countryside towards
		// the city, which is what distances between subareas should measure.
		if s.weight > 0 {
			s.lat, s.lon = sumLat/s.weight, normalizeLongitude(sumLon/s.weight)
		}
	}
}

// nearLongitude returns lon, shifted by 360° if that brings it closer to
// ref, so that averaging works across the antimeridian (Wake Island lies at
// 166.6° east, the rest of Hawaii near 158° west).
func nearLongitude(lon, ref float64) float64 {
	switch {
	case lon-ref > 180:
		return lon - 360
	case lon-ref < -180:
		return lon + 360
	}
	return lon
}

func normalizeLongitude(lon float64) float64 {
	switch {
	case lon > 180:
		return lon - 360
	case lon < -180:
		return lon + 360
	}
	return lon
}

// Parameters of buildRegions. They were tuned against the OMB metropolitan
// area delineation (see TestMetroAreasStayTogether in package places), and
// the distances are in miles between weighted centroids.
const (
	// A cluster with weight w joins a heavier neighbor only within
	// isolationScale*w^-isolationPower miles, at most maxIsolation. Big
	// clusters therefore stay independent unless a heavier one is close:
	// Oakland (17 miles from San Francisco) and Fort Worth (28 miles from
	// Dallas) join, Baltimore (37 miles from Washington) and San Diego
	// (107 miles from Los Angeles) do not. Small towns join a neighbor up
	// to maxIsolation away.
	isolationScale = 4300.0
	isolationPower = 0.6
	maxIsolation   = 65.0

	// A region's core reaches reachScale*sqrt(w) miles, clamped to
	// minReach..maxReach, where w is the core's own weight. Without this
	// limit chains of towns, each joining a slightly heavier neighbor,
	// would grow regions across several states.
	reachScale = 1.25
	minReach   = 40.0
	maxReach   = 130.0

	// Regions with fewer ZIP codes (a national park, a spaceport) join
	// the nearest region, however far.
	minRegionZIPs = 5
)

// buildRegions merges subareas into metropolitan regions.
//
// Subareas served from the same sectional center form one cluster to start
// with. Clusters are then visited from the heaviest down. Each joins the
// region of the nearest heavier cluster that lies within the visited
// cluster's isolation distance and whose region's core has it within
// reach. A cluster with no such neighbor founds a region of its own.
// Military subareas form one region apart, because their ZIP codes lie at
// bases abroad.
func buildRegions(subareas []*subarea) []*region {
	clusters, military := clusterByCenter(subareas)
	sortByWeight(clusters)

	root := make([]int, len(clusters))
	for b, cb := range clusters {
		root[b] = b
		isolation := math.Min(maxIsolation, isolationScale*math.Pow(cb.weight, -isolationPower))
		nearest := math.Inf(1)
		for a := range b {
			d := distanceMiles(clusters[a].lat, clusters[a].lon, cb.lat, cb.lon)
			if d > isolation || d >= nearest || clusters[a].weight <= cb.weight {
				continue
			}
			core := clusters[root[a]]
			reach := math.Max(minReach, math.Min(maxReach, reachScale*math.Sqrt(core.weight)))
			if distanceMiles(core.lat, core.lon, cb.lat, cb.lon) > reach {
				continue
			}
			root[b], nearest = root[a], d
		}
	}

	var regions []*region
	for b, c := range clusters {
		if root[b] == b {
			regions = append(regions, c)
		} else {
			core := clusters[root[b]]
			core.subareas = append(core.subareas, c.subareas...)
		}
	}
	for _, r := range regions {
		r.settle()
	}
	regions = mergeTinyRegions(regions)
	if military != nil {
		military.settle()
		regions = append(regions, military)
	}
	return regions
}

// clusterByCenter returns one cluster per sectional center, and the
// military subareas as one region (nil if there are none).
func clusterByCenter(subareas []*subarea) (clusters []*region, military *region) {
	byCenter := make(map[string]*region)
	for _, s := range subareas {
		if s.military {
			if military == nil {
				military = &region{military: true}
			}
			military.subareas = append(military.subareas, s)
			continue
		}
		if c := byCenter[s.center]; c != nil && s.center != "" {
			c.subareas = append(c.subareas, s)
			continue
		}
		c := &region{subareas: []*subarea{s}}
		if s.center != "" {
			byCenter[s.center] = c
		}
		clusters = append(clusters, c)
	}
	for _, c := range clusters {
		c.settle()
	}
	return clusters, military
}

// mergeTinyRegions moves the subareas of every region with fewer than
// minRegionZIPs ZIP codes into the region of the nearest subarea elsewhere.
func mergeTinyRegions(regions []*region) []*region {
	var result, tiny []*region
	for _, r := range regions {
		if r.zipCount() < minRegionZIPs {
			tiny = append(tiny, r)
		} else {
			result = append(result, r)
		}
	}
	for _, t := range tiny {
		var best *region
		bestDist := math.Inf(1)
		for _, r := range result {
			for _, s := range r.subareas {
				if d := distanceMiles(t.core.lat, t.core.lon, s.lat, s.lon); d < bestDist {
					best, bestDist = r, d
				}
			}
		}
		if best == nil {
			result = append(result, t)
			continue
		}
		best.subareas = append(best.subareas, t.subareas...)
		best.settle()
	}
	return result
}

func (r *region) zipCount() int {
	n := 0
	for _, s := range r.subareas {
		n += len(s.zips)
	}
	return n
}

// settle recomputes the weight and core of r from its subareas and, until
// nameRegions picks the main city, takes the core's centroid as the center.
func (r *region) settle() {
	sort.Slice(r.subareas, func(i, j int) bool { return r.subareas[i].slug < r.subareas[j].slug })
	r.weight = 0
	r.core = nil
	for _, s := range r.subareas {
		r.weight += s.weight
		if r.core == nil || s.weight > r.core.weight {
			r.core = s
		}
	}
	r.lat, r.lon = r.core.lat, r.core.lon
	r.state = r.core.state
}

// sortByWeight sorts heaviest first, by core slug on a tie, so that the
// merge visits clusters in the same order on every run.
func sortByWeight(rs []*region) {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].weight != rs[j].weight {
			return rs[i].weight > rs[j].weight
		}
		return rs[i].core.slug < rs[j].core.slug
	})
}

// printRegions lists the regions, heaviest first, with their ZIP code
// count, weight and subareas, for reviewing a change to the merge.
func printRegions(w io.Writer, regions []*region) {
	sorted := slices.Clone(regions)
	sortByWeight(sorted)
	for _, r := range sorted {
		fmt.Fprintf(w, "%-28s %-2s %5d ZIP codes, weight %6.0f:", r.slug, r.state, r.zipCount(), r.weight)
		for _, s := range r.subareas {
			fmt.Fprintf(w, " %s (%.0f);", s.name, s.weight)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%d regions\n", len(regions))
}
