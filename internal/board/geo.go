package board

import "math"

// BoundingBox is a latitude and longitude range that contains every point
// within a distance of a centre. Stores narrow a distance search with it,
// by index, before they compute the exact distance.
type BoundingBox struct {
	MinLat, MaxLat float64 // may pass ±90 when the circle contains a pole
	// MinLon and MaxLon bound the longitude unless AllLon is set. A box
	// that crosses the 180° meridian has MinLon > MaxLon, and a point is
	// inside it when lon >= MinLon or lon <= MaxLon.
	MinLon, MaxLon float64
	AllLon         bool // the circle contains a pole, so any longitude may be within it
}

// CrossesMeridian reports whether the longitude range wraps around ±180°.
func (b BoundingBox) CrossesMeridian() bool {
	return !b.AllLon && b.MinLon > b.MaxLon
}

// BoundingBoxAround returns the box around the circle of radius miles on
// a sphere, for a centre with longitude in [-180, 180].
func BoundingBoxAround(center Point, miles float64) BoundingBox {
	// 69.0 miles to the degree is a little less than the 69.09 of the
	// 3,958.8-mile radius that the stores' distance uses, so the box is
	// about 0.1% larger than the circle and rounding loses no post.
	dLat := miles / 69.0
	b := BoundingBox{MinLat: center.Lat - dLat, MaxLat: center.Lat + dLat}
	if b.MinLat <= -90 || b.MaxLat >= 90 {
		b.AllLon = true
		return b
	}

	// The circle reaches furthest east and west where a great circle from
	// the centre touches a meridian, nearer the pole than the centre. The
	// spherical law of sines gives that offset as asin(sin r / cos lat),
	// wider than r / cos lat, the width at the centre's own latitude.
	const rad = math.Pi / 180
	ratio := math.Sin(dLat*rad) / math.Cos(center.Lat*rad)
	if ratio >= 1 {
		b.AllLon = true
		return b
	}
	dLon := math.Asin(ratio) / rad
	b.MinLon, b.MaxLon = center.Lon-dLon, center.Lon+dLon
	if b.MinLon < -180 {
		b.MinLon += 360
	}
	if b.MaxLon > 180 {
		b.MaxLon -= 360
	}
	return b
}
