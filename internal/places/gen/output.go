package main

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"sort"
)

// write stores the directory as gzip-compressed, tab-separated lines, in
// the format that package places parses:
//
//	corkboard-places 1 REGIONS SUBAREAS CITIES ZIPS
//	R slug name state lat lon military
//	S slug name region
//	C name
//	Z zip city state lat lon subarea
//
// The header gives the number of lines of each kind that follow. R lines
// (regions) and S lines (subareas) are sorted by slug, C lines (place
// names) by name and Z lines by ZIP code. The military field is 0 or 1.
// The region, city and subarea fields of S and Z lines are 0-based
// positions among the R, C and S lines. Coordinates are integers in units
// of 1e-4 degree, the precision of the GeoNames data. The header has single
// spaces between fields, every other line tabs.
func write(w io.Writer, regions []*region, zips []zipRow) error {
	regionIndex := make(map[*region]int)
	var subareas []*subarea
	subareaRegion := make(map[*subarea]int)
	for i, r := range regions {
		regionIndex[r] = i
		for _, s := range r.subareas {
			subareas = append(subareas, s)
			subareaRegion[s] = i
		}
	}
	sort.Slice(subareas, func(i, j int) bool { return subareas[i].slug < subareas[j].slug })

	subareaOfZIP := make(map[int]int)
	for i, s := range subareas {
		for _, z := range s.zips {
			subareaOfZIP[z] = i
		}
	}

	cityIndex := make(map[string]int)
	for _, z := range zips {
		cityIndex[z.city] = 0
	}
	cities := sortedKeys(cityIndex)
	for i, c := range cities {
		cityIndex[c] = i
	}

	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(gz)

	fmt.Fprintf(bw, "corkboard-places 1 %d %d %d %d\n", len(regions), len(subareas), len(cities), len(zips))
	for _, r := range regions {
		military := 0
		if r.military {
			military = 1
		}
		fmt.Fprintf(bw, "R\t%s\t%s\t%s\t%d\t%d\t%d\n", r.slug, r.name, r.state, e4(r.lat), e4(r.lon), military)
	}
	for _, s := range subareas {
		fmt.Fprintf(bw, "S\t%s\t%s\t%d\n", s.slug, s.name, subareaRegion[s])
	}
	for _, c := range cities {
		fmt.Fprintf(bw, "C\t%s\n", c)
	}
	for i, z := range zips {
		sub, ok := subareaOfZIP[i]
		if !ok {
			return fmt.Errorf("ZIP code %s is in no subarea", z.zip)
		}
		fmt.Fprintf(bw, "Z\t%s\t%d\t%s\t%d\t%d\t%d\n", z.zip, cityIndex[z.city], z.state, z.latE4, z.lonE4, sub)
	}

	if err := bw.Flush(); err != nil {
		return err
	}
	return gz.Close()
}

func e4(deg float64) int32 {
	if deg < 0 {
		return int32(deg*1e4 - 0.5)
	}
	return int32(deg*1e4 + 0.5)
}
