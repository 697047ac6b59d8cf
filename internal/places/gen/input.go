package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

// zipRow is one ZIP code from the GeoNames export.
type zipRow struct {
	zip    string
	city   string
	state  string
	latE4  int32 // latitude in units of 1e-4 degree, the precision GeoNames gives
	lonE4  int32
	prefix string

	military bool // an APO, FPO or DPO address
}

func (z zipRow) lat() float64 { return float64(z.latE4) / 1e4 }
func (z zipRow) lon() float64 { return float64(z.lonE4) / 1e4 }

// Column positions in the GeoNames postal code export.
const (
	colZIP       = 1
	colPlace     = 2
	colStateCode = 4
	colLat       = 9
	colLon       = 10
	minColumns   = 11
)

// readZIPs reads the GeoNames US export and returns one row per ZIP code,
// sorted by ZIP.
//
// A few ZIP codes appear twice, once for a place in a state and once as a
// military (FPO) address. The row with a state wins, because that is where
// the post office is. Military rows have no state code, so their state is
// taken from the place name ("APO AE" gives AE), as on an envelope, and
// corrected by buildSubareas.
func readZIPs(path string) ([]zipRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	byZIP := make(map[string]zipRow)
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) < minColumns {
			return nil, fmt.Errorf("%s:%d: got %d columns, want at least %d", path, line, len(fields), minColumns)
		}
		row, err := parseZIPRow(fields)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if old, dup := byZIP[row.zip]; dup && (old.state != "" || row.state == "") {
			continue
		}
		byZIP[row.zip] = row
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(byZIP) == 0 {
		return nil, fmt.Errorf("%s: no ZIP codes found", path)
	}

	rows := make([]zipRow, 0, len(byZIP))
	for _, r := range byZIP {
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].zip < rows[j].zip })
	return rows, nil
}

func parseZIPRow(fields []string) (zipRow, error) {
	zip := fields[colZIP]
	if !isDigits(zip, 5) {
		return zipRow{}, fmt.Errorf("invalid ZIP code %q", zip)
	}
	city := strings.TrimSpace(fields[colPlace])
	if city == "" {
		return zipRow{}, fmt.Errorf("ZIP code %s has no place name", zip)
	}
	state := fields[colStateCode]
	military := false
	if state == "" {
		// buildSubareas fills in the state of military rows that lack one.
		state, military = militaryState(city)
	}
	if len(state) != 2 && !military {
		return zipRow{}, fmt.Errorf("ZIP code %s: invalid or missing state code %q", zip, state)
	}
	lat, err := parseDegreesE4(fields[colLat], 90)
	if err != nil {
		return zipRow{}, fmt.Errorf("ZIP code %s: latitude: %w", zip, err)
	}
	lon, err := parseDegreesE4(fields[colLon], 180)
	if err != nil {
		return zipRow{}, fmt.Errorf("ZIP code %s: longitude: %w", zip, err)
	}
	return zipRow{zip: zip, city: city, state: state, latE4: lat, lonE4: lon, prefix: zip[:3], military: military}, nil
}

// militaryState reports whether place is an APO, FPO or DPO place name
// such as "APO AE", and returns its state code (AA, AE or AP) if the name
// has a valid one.
func militaryState(place string) (state string, military bool) {
	kind, state, _ := strings.Cut(place, " ")
	if kind != "APO" && kind != "FPO" && kind != "DPO" {
		return "", false
	}
	if state != "AA" && state != "AE" && state != "AP" {
		return "", true
	}
	return state, true
}

func parseDegreesE4(s string, limit float64) (int32, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid number %q", s)
	}
	if math.IsNaN(v) || v < -limit || v > limit {
		return 0, fmt.Errorf("%q is outside -%g..%g", s, limit, limit)
	}
	return int32(math.Round(v * 1e4)), nil
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// prefixInfo is the sectional center area that the zip3 list gives for one
// 3-digit prefix.
type prefixInfo struct {
	city  string
	state string
}

// readZIP3 reads the 3-digit prefix list (columns id, city, state) and
// returns the prefixes that are places. Rows marked "Not in use", and rows
// without a state (placeholders, destinations outside the U.S.), are left
// out.
func readZIP3(path string) (map[string]prefixInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	r := csv.NewReader(f)
	r.FieldsPerRecord = 3
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if header[0] != "id" || header[1] != "city" || header[2] != "state" {
		return nil, fmt.Errorf("%s: got header %q, want id,city,state", path, header)
	}

	prefixes := make(map[string]prefixInfo)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		id, city, state := rec[0], strings.TrimSpace(rec[1]), strings.TrimSpace(rec[2])
		if !isDigits(id, 3) {
			return nil, fmt.Errorf("%s: invalid prefix %q", path, id)
		}
		if state == "" || city == "" || strings.EqualFold(city, "Not in use") {
			continue
		}
		prefixes[id] = prefixInfo{city: city, state: state}
	}
	return prefixes, nil
}
