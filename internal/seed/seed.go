// Package seed generates sample posts, clearly marked as samples, spread
// over real ZIP codes and every category, so a new board looks used.
package seed

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/categories"
	"github.com/corkboard/corkboard/internal/places"
)

// Inserter is the part of a store that takes finished posts.
type Inserter interface {
	InsertPosts(ctx context.Context, posts []*board.Post) error
}

// Generator makes reproducible sample posts from a random seed.
type Generator struct {
	rng        *rand.Rand
	categories []categories.Category
	regions    []regionPlaces
	cumulative []float64 // cumulative region weights for weighted picks
}

type regionPlaces struct {
	places []places.Place
}

// NewGenerator prepares a generator. Regions are weighted by their number
// of ZIP codes to the power 1.5, so big metros get most of the posts, as
// on a real board.
func NewGenerator(dir *places.Directory, tax *categories.Taxonomy, seed int64) *Generator {
	g := &Generator{rng: rand.New(rand.NewPCG(uint64(seed), 0x636f726b)), categories: tax.All()}
	total := 0.0
	for _, r := range dir.Regions() {
		ps := dir.PlacesIn(r.Slug)
		if len(ps) == 0 || r.Military {
			continue
		}
		total += math.Pow(float64(len(ps)), 1.5)
		g.regions = append(g.regions, regionPlaces{places: ps})
		g.cumulative = append(g.cumulative, total)
	}
	return g
}

func (g *Generator) place() places.Place {
	x := g.rng.Float64() * g.cumulative[len(g.cumulative)-1]
	lo, hi := 0, len(g.cumulative)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if g.cumulative[mid] < x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	ps := g.regions[lo].places
	return ps[g.rng.IntN(len(ps))]
}

// Post returns one published sample post, bumped at a random time within
// its category's lifetime before now, so it is live at now.
func (g *Generator) Post(now time.Time) *board.Post {
	cat := g.categories[g.rng.IntN(len(g.categories))]
	pl := g.place()
	age := time.Duration(g.rng.Int64N(int64(cat.Lifetime) * 9 / 10))
	bumped := now.Add(-age).Truncate(time.Microsecond)
	title, body, price := g.text(cat)
	return &board.Post{
		ID:          board.NewPostID(),
		Status:      board.Active,
		Title:       title,
		Body:        body,
		PriceCents:  price,
		Category:    cat.Slug,
		Region:      pl.Region,
		Subarea:     pl.Subarea,
		ZIP:         pl.ZIP,
		City:        pl.City,
		State:       pl.State,
		Lat:         pl.Lat,
		Lon:         pl.Lon,
		Email:       "samples@corkboard.invalid",
		Sample:      true,
		CreatedAt:   bumped,
		UpdatedAt:   bumped,
		PublishedAt: bumped,
		BumpedAt:    bumped,
		ExpiresAt:   bumped.Add(cat.Lifetime),
	}
}

// Insert adds n sample posts in batches of 1,000.
func (g *Generator) Insert(ctx context.Context, store Inserter, n int, now time.Time) error {
	const batch = 1000
	posts := make([]*board.Post, 0, batch)
	for i := 0; i < n; i++ {
		posts = append(posts, g.Post(now))
		if len(posts) == batch || i == n-1 {
			if err := store.InsertPosts(ctx, posts); err != nil {
				return fmt.Errorf("insert sample posts: %w", err)
			}
			posts = posts[:0]
		}
	}
	return nil
}

func (g *Generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

// text returns a title, a body and a price fitting the category.
func (g *Generator) text(cat categories.Category) (string, string, *int64) {
	var title string
	var cents int64 = -1
	list := items[cat.Slug]
	if len(list) == 0 {
		list = items[cat.Section]
	}
	switch cat.Section {
	case "for-sale", "vehicles", "pets", "events-tickets":
		if len(list) == 0 {
			list = items["general-for-sale"]
		}
		title = g.pick([]string{"", "Like new ", "Vintage ", "Barely used ", "Great condition ", "Moving sale: "}) + g.pick(list)
		cents = priceFor(g.rng, cat.Slug)
	case "housing":
		title = fmt.Sprintf("%s %s", g.pick([]string{"Sunny", "Quiet", "Spacious", "Renovated", "Cozy", "Bright"}), g.pick(list))
		cents = int64(600+g.rng.IntN(3400)) * 100
	case "jobs", "gigs":
		title = g.pick(list) + g.pick([]string{" wanted", " needed", ", part time", ", full time", " (flexible hours)"})
	default:
		title = g.pick(list)
	}
	if cat.Slug == "free-stuff" {
		cents = 0
	}
	title = strings.TrimSpace(title)
	lines := bodies
	if cents < 0 {
		lines = serviceBodies
	}
	body := "This is a sample ad, generated to show how the board looks. " +
		g.pick(lines) + "\n\n" + g.pick(lines)
	if cents < 0 {
		return title, body, nil
	}
	return title, body, &cents
}

func priceFor(rng *rand.Rand, slug string) int64 {
	switch slug {
	case "cars-trucks", "boats", "rvs-campers":
		return int64(1500+rng.IntN(38500)) * 100
	case "motorcycles":
		return int64(800+rng.IntN(12000)) * 100
	case "furniture", "appliances", "electronics", "bikes", "musical-instruments":
		return int64(20+rng.IntN(1200)) * 100
	}
	if rng.IntN(10) == 0 {
		return int64(rng.IntN(10000)) // a few with cents
	}
	return int64(5+rng.IntN(300)) * 100
}

var items = map[string][]string{
	"antiques":            {"Oak writing desk", "Brass ship lantern", "Cast iron skillet set", "Victorian mirror"},
	"appliances":          {"Stainless refrigerator", "Front-load washer", "Gas range, 30 inch", "Dishwasher"},
	"baby-kids":           {"Stroller with car seat", "Wooden crib", "High chair", "Kids bike with training wheels"},
	"bikes":               {"Road bike, 56 cm", "Mountain bike, 29er", "Commuter bike with rack", "Cargo bike", "BMX bike"},
	"books":               {"Box of paperbacks", "Cookbook collection", "Complete encyclopedia set", "Comic books lot"},
	"cars-trucks":         {"2012 Honda Civic", "2015 Toyota Tacoma", "2009 Subaru Outback", "2018 Ford F-150", "2011 Mazda 3"},
	"clothes":             {"Leather jacket, size M", "Winter coat", "Running shoes, size 10", "Wedding dress"},
	"electronics":         {"27 inch monitor", "Bluetooth speaker", "Laptop, 16 GB RAM", "Record player", "Game console with two controllers"},
	"furniture":           {"Mid-century sofa", "Dining table with 4 chairs", "Queen bed frame", "Bookshelf", "Standing desk"},
	"garden":              {"Lawn mower", "Raised garden beds", "Chicken coop", "Patio set"},
	"household":           {"Air purifier", "Set of dishes", "Area rug 8x10", "Vacuum cleaner"},
	"musical-instruments": {"Acoustic guitar", "Digital piano", "Drum kit", "Violin, full size"},
	"sporting-goods":      {"Kayak with paddle", "Weight bench", "Golf clubs", "Camping tent, 4 person", "Snowboard"},
	"tools":               {"Cordless drill set", "Table saw", "Tool chest", "Ladder, 12 ft"},
	"free-stuff":          {"Moving boxes", "Firewood", "Old couch", "Garden soil"},
	"general-for-sale":    {"Assorted household items", "Storage bins", "Box of cables", "Picture frames"},
	"tickets":             {"Two concert tickets", "Season pass", "Theater tickets, Saturday"},
	"pet-rehoming":        {"Friendly cat needs a home", "Senior dog looking for a quiet home"},
	"pet-supplies":        {"Dog crate, large", "Aquarium, 40 gallon", "Cat tree"},
	"auto-parts":          {"Set of winter tires", "Roof rack", "Car battery"},
	"boats":               {"14 ft aluminum boat", "Sailboat, 22 ft", "Canoe"},
	"motorcycles":         {"2016 Honda Rebel", "Vintage scooter", "Dirt bike"},
	"rvs-campers":         {"Pop-up camper", "Travel trailer, 24 ft"},
	"housing":             {"1 bedroom apartment", "2 bedroom near the park", "Studio with parking", "Room in shared house", "3 bedroom house with yard"},
	"jobs":                {"Line cook", "Delivery driver", "Office assistant", "Carpenter", "Web developer", "Dental assistant", "Warehouse associate", "Barista"},
	"admin-office":        {"Office assistant", "Receptionist", "Bookkeeper"},
	"food-hospitality":    {"Line cook", "Barista", "Server", "Dishwasher"},
	"healthcare":          {"Dental assistant", "Home health aide", "Medical receptionist"},
	"retail":              {"Sales associate", "Cashier", "Stock clerk"},
	"skilled-trades":      {"Carpenter", "Electrician", "Plumber's helper"},
	"software":            {"Web developer", "IT support technician", "Data analyst"},
	"transport":           {"Delivery driver", "Warehouse associate", "Forklift operator"},
	"gigs":                {"Help moving a couch", "Photographer for a party", "Yard cleanup", "Flyer design"},
	"services":            {"House cleaning, weekly", "Handyman, no job too small", "Moving help with truck", "Math tutoring", "Dog walking", "Computer repair", "Oil changes at your home"},
	"auto-services":       {"Oil changes at your home", "Mobile car detailing", "Brake repair"},
	"cleaning":            {"House cleaning, weekly", "Move-out cleaning", "Window washing"},
	"computer-services":   {"Computer repair", "Home network setup", "Data recovery"},
	"lessons":             {"Math tutoring", "Guitar lessons", "Spanish lessons"},
	"moving":              {"Moving help with truck", "Junk removal", "Piano moving"},
	"pets-services":       {"Dog walking", "Cat sitting", "Pet grooming"},
	"repairs":             {"Handyman, no job too small", "Drywall repair", "Appliance repair"},
	"community":           {"Weekend hiking group", "Choir looking for tenors", "Volunteers for park cleanup", "Book club, new members welcome"},
	"lost-found":          {"Lost: grey cat near the library", "Found: keys on Main Street", "Lost: blue backpack on the bus"},
	"childcare":           {"Nanny share available", "After-school care"},
	"events":              {"Pottery class, Saturday", "Free yoga in the park", "Farmers market this Sunday"},
	"musicians":           {"Drummer wanted for cover band", "Singer looking for a band"},
	"volunteers":          {"Volunteers for park cleanup", "Food bank helpers needed"},
	"wanted-items":        {"Wanted: used piano", "Wanted: bike for a teenager", "Wanted: old vinyl records"},
	"wanted-services":     {"Wanted: reliable house cleaner", "Wanted: math tutor"},
}

var serviceBodies = []string{
	"Reliable and friendly, with references.",
	"Flexible schedule, evenings and weekends too.",
	"Experienced, and happy to answer questions.",
	"Get in touch to talk it over.",
}

var bodies = []string{
	"Pick up only, cash or mobile payment.",
	"Well looked after, from a smoke-free home.",
	"Available evenings and weekends.",
	"Photos show the actual item.",
	"Can deliver nearby for a small fee.",
	"Serious inquiries only, please.",
	"First come, first served.",
	"Everything works as it should.",
}
