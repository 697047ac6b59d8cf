package board

import (
	"fmt"
	"math"
	"testing"

	"github.com/corkboard/corkboard/internal/places"
)

// TestBoundingBoxContainsCircle walks the edge of circles, just inside
// their radius, and expects every point inside the box: near the 180°
// meridian, at high latitudes and around a pole.
func TestBoundingBoxContainsCircle(t *testing.T) {
	cases := []struct {
		center Point
		miles  float64
	}{
		{Point{42.35, -71.13}, 10},     // Allston
		{Point{51.874, -176.634}, 200}, // Adak, across the meridian to the west
		{Point{19.2836, 166.6419}, 2500},
		{Point{61.2116, -149.8761}, 1000}, // Anchorage, widest north of the centre
		{Point{71.2346, -156.8174}, 1500}, // Barrow, the circle contains the North Pole
		{Point{-89.9976, 139.2729}, 100},  // South Pole
		{Point{0, 180}, 3000},
		{Point{0, -180}, 0.1},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%v %v mi", tc.center, tc.miles), func(t *testing.T) {
			b := BoundingBoxAround(tc.center, tc.miles)
			for bearing := 0.0; bearing < 360; bearing += 0.5 {
				p := destination(tc.center, bearing, tc.miles*0.9999)
				if d := places.DistanceMiles(tc.center.Lat, tc.center.Lon, p.Lat, p.Lon); d > tc.miles {
					t.Fatalf("test point %v is %v miles away, outside the circle", p, d)
				}
				if !b.contains(p) {
					t.Errorf("box %+v lacks %v at bearing %v", b, p, bearing)
				}
			}
		})
	}
}

func TestBoundingBoxCrossesMeridian(t *testing.T) {
	west := BoundingBoxAround(Point{51.874, -176.634}, 200)
	if !west.CrossesMeridian() || west.MinLon < 170 || west.MaxLon > -170 {
		t.Errorf("Adak, 200 miles: got %+v, want a box from about 172 to -171", west)
	}
	east := BoundingBoxAround(Point{19.2836, 166.6419}, 2500)
	if !east.CrossesMeridian() {
		t.Errorf("Wake Island, 2,500 miles: got %+v, want a box across the meridian", east)
	}
	if b := BoundingBoxAround(Point{42.35, -71.13}, 10); b.CrossesMeridian() || b.AllLon {
		t.Errorf("Allston, 10 miles: got %+v, want a plain range", b)
	}
	if b := BoundingBoxAround(Point{51.874, -176.634}, 3000); !b.AllLon {
		t.Errorf("Adak, 3,000 miles: got %+v, want every longitude, since the circle contains the North Pole", b)
	}
}

func (b BoundingBox) contains(p Point) bool {
	switch {
	case p.Lat < b.MinLat || p.Lat > b.MaxLat:
		return false
	case b.AllLon:
		return true
	case b.CrossesMeridian():
		return p.Lon >= b.MinLon || p.Lon <= b.MaxLon
	}
	return p.Lon >= b.MinLon && p.Lon <= b.MaxLon
}

// destination returns the point reached from start along a great circle
// with the initial bearing in degrees, on the sphere of places.DistanceMiles.
func destination(start Point, bearing, miles float64) Point {
	const rad = math.Pi / 180
	r := miles / 3958.8
	lat1, lon1, theta := start.Lat*rad, start.Lon*rad, bearing*rad
	lat2 := math.Asin(math.Sin(lat1)*math.Cos(r) + math.Cos(lat1)*math.Sin(r)*math.Cos(theta))
	lon2 := lon1 + math.Atan2(math.Sin(theta)*math.Sin(r)*math.Cos(lat1), math.Cos(r)-math.Sin(lat1)*math.Sin(lat2))
	lon := math.Mod(lon2/rad+540, 360) - 180
	return Point{Lat: lat2 / rad, Lon: lon}
}
