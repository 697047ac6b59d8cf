// Package storetest holds behaviour tests that every board.Store
// implementation must pass. Each store's own tests call them with a
// function that opens an empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/cache"
	"github.com/corkboard/corkboard/internal/categories"
	"github.com/corkboard/corkboard/internal/mail"
	"github.com/corkboard/corkboard/internal/places"
)

// Store is a board.Store that can also take finished posts.
type Store interface {
	board.Store
	InsertPosts(ctx context.Context, posts []*board.Post) error
}

var now = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

// fixture is a service over a fresh store with a fixed clock.
type fixture struct {
	t     *testing.T
	store Store
	svc   *board.Service
	dir   *places.Directory
	seq   int
}

func newFixture(t *testing.T, open func(t *testing.T) Store) *fixture {
	t.Helper()
	dir, err := places.Load()
	if err != nil {
		t.Fatal(err)
	}
	templates, err := mail.LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	store := open(t)
	base, _ := url.Parse("http://localhost")
	svc := board.NewService(board.ServiceConfig{Store: store, Cache: cache.NewMemory(100), Places: dir,
		Categories: categories.Builtin(), Mail: templates, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		BaseURL: base, MailFrom: "c@example.com"})
	svc.Now = func() time.Time { return now }
	return &fixture{t: t, store: store, svc: svc, dir: dir}
}

// post describes a post to insert; zero fields get defaults.
type post struct {
	title, body, category, zip, email string
	price                             *int64
	age                               time.Duration // since the last bump
	images                            int
	at                                *board.Point // coordinates other than the ZIP code's
}

func dollars(n float64) *int64 {
	c := int64(n*100 + 0.5)
	return &c
}

func (f *fixture) add(specs ...post) []string {
	f.t.Helper()
	var posts []*board.Post
	var ids []string
	for _, s := range specs {
		f.seq++
		if s.category == "" {
			s.category = "bikes"
		}
		if s.zip == "" {
			s.zip = "02134"
		}
		if s.email == "" {
			s.email = fmt.Sprintf("poster%d@example.com", f.seq)
		}
		if s.age == 0 {
			s.age = time.Duration(f.seq) * time.Minute
		}
		pl, err := f.dir.Lookup(s.zip)
		if err != nil {
			f.t.Fatalf("ZIP %s: %v", s.zip, err)
		}
		bumped := now.Add(-s.age)
		p := &board.Post{ID: board.NewPostID(), Status: board.Active, Title: s.title, Body: s.body, PriceCents: s.price,
			Category: s.category, Region: pl.Region, Subarea: pl.Subarea, ZIP: pl.ZIP, City: pl.City, State: pl.State,
			Lat: pl.Lat, Lon: pl.Lon, Email: s.email, CreatedAt: bumped, UpdatedAt: bumped, PublishedAt: bumped,
			BumpedAt: bumped, ExpiresAt: bumped.Add(30 * 24 * time.Hour)}
		if s.at != nil {
			p.Lat, p.Lon = s.at.Lat, s.at.Lon
		}
		for i := range s.images {
			key := fmt.Sprintf("%064x.jpg", f.seq*100+i)
			p.Images = append(p.Images, board.Image{ThumbKey: key, LargeKey: key, Width: 4, Height: 3})
		}
		posts = append(posts, p)
		ids = append(ids, p.ID)
	}
	if err := f.store.InsertPosts(context.Background(), posts); err != nil {
		f.t.Fatal(err)
	}
	return ids
}

// search returns the titles of every page of results, following cursors.
func (f *fixture) search(q board.Search) []string {
	f.t.Helper()
	if q.Limit == 0 {
		q.Limit = 100
	}
	var titles []string
	for range 50 {
		page, err := f.svc.Search(context.Background(), q)
		if err != nil {
			f.t.Fatalf("search %+v: %v", q, err)
		}
		for _, h := range page.Hits {
			titles = append(titles, h.Title)
		}
		if page.Next == "" {
			return titles
		}
		q.Cursor = page.Next
	}
	f.t.Fatal("more than 50 pages")
	return nil
}

// RunSearch runs the search behaviour tests against a store.
func RunSearch(t *testing.T, open func(t *testing.T) Store) {
	t.Run("text", func(t *testing.T) {
		f := newFixture(t, open)
		f.add(post{title: "Café table", body: "Solid oak."},
			post{title: "O'Brien's road bike", body: "Fast."},
			post{title: "Kids bikes", body: "Two of them, see https://example.com/bikes?x=1"},
			post{title: "Lamp", body: "Works with the café lights & more"})

		cases := []struct {
			q    string
			want []string
		}{
			{"cafe", []string{"Café table", "Lamp"}},
			{"CAFÉ", []string{"Café table", "Lamp"}},
			{"O'Brien", []string{"O'Brien's road bike"}},
			{"bike", []string{"O'Brien's road bike", "Kids bikes"}},
			{`"road bike"`, []string{"O'Brien's road bike"}},
			{"bike -kids", []string{"O'Brien's road bike"}},
			{"oak OR lamp", []string{"Café table", "Lamp"}},
			{"https://example.com/bikes?x=1", []string{"Kids bikes"}},
		}
		for _, tc := range cases {
			got := f.search(board.Search{Text: tc.q})
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("q=%q: got %q, want %q", tc.q, got, want)
			}
		}

		t.Run("titles only", func(t *testing.T) {
			got := f.search(board.Search{Text: "cafe", TitlesOnly: true})
			if !slices.Equal(got, []string{"Café table"}) {
				t.Errorf("got %q, want only the title match", got)
			}
		})

		t.Run("special characters never fail", func(t *testing.T) {
			for _, q := range []string{`"`, `"""`, `:`, `title:bike`, `a & b`, `\`, `\\"`, `(`, `)(`, `-`, `--x`, `*`, `NOT`, `OR`, `AND bike`,
				`NEAR(bike)`, `{title}`, `^bike`, `🚲`, `'`, strings.Repeat("bike ", 400), strings.Repeat("é", 2000), "\x00", "a\u0301"} {
				if _, err := f.svc.Search(context.Background(), board.Search{Text: q, Limit: 10}); err != nil {
					t.Errorf("q=%q: got error %v, want results or an empty list", q, err)
				}
			}
		})
	})

	t.Run("price bounds include their edges", func(t *testing.T) {
		f := newFixture(t, open)
		f.add(post{title: "99.99", price: dollars(99.99)}, post{title: "100", price: dollars(100)},
			post{title: "200", price: dollars(200)}, post{title: "200.01", price: dollars(200.01)}, post{title: "none"})
		got := f.search(board.Search{MinPrice: dollars(100), MaxPrice: dollars(200), Sort: board.SortPriceAsc})
		if !slices.Equal(got, []string{"100", "200"}) {
			t.Errorf("got %q, want [100 200]", got)
		}
	})

	t.Run("distance", func(t *testing.T) {
		f := newFixture(t, open)
		// 02134 (Allston) to 02139 (Cambridge) is about 1.6 miles, to
		// 01002 (Amherst) about 78 miles.
		f.add(post{title: "Allston", zip: "02134"}, post{title: "Cambridge", zip: "02139"}, post{title: "Amherst", zip: "01002"})
		a, _ := f.dir.Lookup("02134")
		c, _ := f.dir.Lookup("02139")
		edge := places.DistanceMiles(a.Lat, a.Lon, c.Lat, c.Lon)

		got := f.search(board.Search{ZIP: "02134", Miles: edge + 0.01, Sort: board.SortDistance})
		if !slices.Equal(got, []string{"Allston", "Cambridge"}) {
			t.Errorf("just outside the edge: got %q, want [Allston Cambridge]", got)
		}
		got = f.search(board.Search{ZIP: "02134", Miles: edge - 0.01, Sort: board.SortDistance})
		if !slices.Equal(got, []string{"Allston"}) {
			t.Errorf("just inside the edge: got %q, want [Allston]", got)
		}
		page, _ := f.svc.Search(context.Background(), board.Search{ZIP: "02134", Sort: board.SortDistance, Limit: 10})
		if len(page.Hits) != 3 || page.Hits[2].Title != "Amherst" || page.Hits[2].DistanceMiles == nil || *page.Hits[2].DistanceMiles < 60 {
			t.Errorf("got %+v, want Amherst last, about 78 miles away", page.Hits)
		}
	})

	t.Run("distance across the 180th meridian and a pole", func(t *testing.T) {
		f := newFixture(t, open)
		// Adak (99546) lies at 176.6° W. Atka (99547) is 106 miles east
		// of it, Amchitka (96507, at 178.9° E) 193 miles west across the
		// meridian, Wake Island (96898) 2,427 miles. Two posts have
		// coordinates of their own. Pole lies on the far side of the North
		// Pole from Alaska, 1,434 miles from Barrow (99723). Edge lies 998
		// miles from Anchorage (99501), at 64.82° N, where a circle around
		// Anchorage reaches furthest east.
		f.add(post{title: "Adak", zip: "99546"}, post{title: "Atka", zip: "99547"},
			post{title: "Amchitka", zip: "96507"}, post{title: "Wake", zip: "96898"},
			post{title: "Pole", zip: "99723", at: &board.Point{Lat: 88, Lon: 30}},
			post{title: "Edge", zip: "99501", at: &board.Point{Lat: 64.82, Lon: -149.8761 + 31.2}})

		cases := []struct {
			name  string
			zip   string
			miles float64
			want  []string
		}{
			{"west of the meridian, just short", "99546", 190, []string{"Adak", "Atka"}},
			{"west of the meridian", "99546", 200, []string{"Adak", "Atka", "Amchitka"}},
			{"Wake just outside", "99546", 2400, []string{"Adak", "Atka", "Amchitka", "Edge"}},
			{"Wake inside", "99546", 2500, []string{"Adak", "Atka", "Amchitka", "Edge", "Wake"}},
			{"circle around the pole", "99546", 3000, []string{"Adak", "Atka", "Amchitka", "Edge", "Wake", "Pole"}},
			{"east of the meridian", "96898", 2450, []string{"Wake", "Amchitka", "Adak"}},
			{"across the pole", "99723", 1500, []string{"Edge", "Atka", "Pole", "Adak"}},
			{"widest point at high latitude", "99501", 1000, []string{"Edge"}},
		}
		for _, tc := range cases {
			got := f.search(board.Search{ZIP: tc.zip, Miles: tc.miles, Sort: board.SortDistance})
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s: %s within %v miles: got %q, want %q", tc.name, tc.zip, tc.miles, got, tc.want)
			}
		}
	})

	t.Run("every sort order", func(t *testing.T) {
		f := newFixture(t, open)
		f.add(post{title: "b", body: "bike bike", price: dollars(20), age: 3 * time.Hour, zip: "02139"},
			post{title: "a bike", price: dollars(10), age: 1 * time.Hour, zip: "01002"},
			post{title: "c", body: "bike", age: 2 * time.Hour, zip: "02134"},
			post{title: "d", body: "bike", price: dollars(10), age: 4 * time.Hour, zip: "02134"})
		cases := map[string][]string{
			board.SortNewest:    {"a bike", "c", "b", "d"},
			board.SortOldest:    {"d", "b", "c", "a bike"},
			board.SortPriceAsc:  {"a bike", "d", "b", "c"}, // equal prices by id; no price last
			board.SortPriceDesc: {"b", "a bike", "d", "c"},
		}
		for sort, want := range cases {
			for _, limit := range []int{1, 100} {
				got := f.search(board.Search{Sort: sort, Limit: limit})
				if sort == board.SortPriceAsc || sort == board.SortPriceDesc {
					// Equal prices order by id, which is random here.
					if len(got) != 4 || got[3] != "c" {
						t.Errorf("%s limit %d: got %q, want 4 results with c (no price) last", sort, limit, got)
					}
					continue
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s limit %d: got %q, want %q", sort, limit, got, want)
				}
			}
		}
		got := f.search(board.Search{ZIP: "02134", Sort: board.SortDistance, Limit: 1})
		if len(got) != 4 || got[3] != "a bike" {
			t.Errorf("distance: got %q, want Amherst's post last", got)
		}
		got = f.search(board.Search{Text: "bike", Sort: board.SortRelevance, Limit: 1})
		if len(got) != 4 || got[0] != "a bike" {
			t.Errorf("relevance: got %q, want the title match first", got)
		}
	})

	t.Run("duplicates bundled", func(t *testing.T) {
		f := newFixture(t, open)
		f.add(post{title: "Sofa", body: "Blue.", email: "same@example.com"},
			post{title: "sofa!", body: "blue", email: "same@example.com"},
			post{title: "Sofa", body: "Blue.", email: "other@example.com"})
		if got := f.search(board.Search{Bundle: true}); len(got) != 2 {
			t.Errorf("bundled: got %q, want 2 posts", got)
		}
		if got := f.search(board.Search{}); len(got) != 3 {
			t.Errorf("not bundled: got %q, want 3 posts", got)
		}
	})

	t.Run("filters", func(t *testing.T) {
		f := newFixture(t, open)
		f.add(post{title: "photo", images: 1, age: 30 * time.Hour}, post{title: "today", age: time.Hour},
			post{title: "sofa", category: "furniture", age: 2 * time.Hour},
			post{title: "manhattan", zip: "10001"}, post{title: "hoboken", zip: "07030"}, post{title: "philly", zip: "19103"})
		check := func(name string, q board.Search, want ...string) {
			t.Helper()
			got := f.search(q)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: got %q, want %q", name, got, want)
			}
		}
		check("has image", board.Search{HasImage: true}, "photo")
		check("today", board.Search{Today: true, Region: "boston"}, "today", "sofa")
		check("section", board.Search{Section: "for-sale", Region: "boston"}, "photo", "today", "sofa")
		check("category", board.Search{Category: "furniture"}, "sofa")
		check("region", board.Search{Region: "new-york"}, "manhattan", "hoboken")
		check("nearby regions", board.Search{Region: "new-york", Nearby: true, ZIP: "10001", Miles: 100}, "manhattan", "hoboken", "philly")
		check("zip with a leading zero", board.Search{ZIP: "07030", Miles: 1}, "hoboken")
	})

	t.Run("pagination stays stable while posts arrive", func(t *testing.T) {
		f := newFixture(t, open)
		for i := range 9 {
			f.add(post{title: fmt.Sprintf("p%d", i), price: dollars(float64(10 + i)), age: time.Duration(20-i) * time.Hour})
		}
		for _, sort := range []string{board.SortNewest, board.SortOldest, board.SortPriceAsc, board.SortPriceDesc} {
			seen := map[string]int{}
			q := board.Search{Sort: sort, Limit: 2}
			for {
				page, err := f.svc.Search(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range page.Hits {
					seen[h.Title]++
				}
				if page.Next == "" {
					break
				}
				f.add(post{title: "new " + sort, price: dollars(15), age: time.Minute})
				q.Cursor = page.Next
			}
			for i := range 9 {
				if n := seen[fmt.Sprintf("p%d", i)]; n != 1 {
					t.Errorf("%s: p%d seen %d times, want once", sort, i, n)
				}
			}
		}
	})

	t.Run("bad parameters name the field", func(t *testing.T) {
		f := newFixture(t, open)
		cases := map[string]board.Search{
			"region": {Region: "atlantis"},
			"zip":    {ZIP: "00000", Miles: 5},
			"sort":   {Sort: "random"},
			"cursor": {Cursor: "bm9wZQ"},
			"q":      {Text: strings.Repeat("x", 2001)},
		}
		for field, q := range cases {
			q.Limit = 10
			_, err := f.svc.Search(context.Background(), q)
			var e *board.Error
			if !errors.As(err, &e) || e.Fields[field] == "" {
				t.Errorf("%s: got %v, want an error naming %s", field, err, field)
			}
		}
	})
}
