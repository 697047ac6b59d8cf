package app_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
)

func TestSearchAPI(t *testing.T) {
	s := startServer(t)
	s.publishPost(map[string]any{"title": "Café racer motorcycle", "price": "4500", "category": "motorcycles", "zip": "02134", "email": "m@example.com"})
	s.publishPost(map[string]any{"title": "Road bike", "price": "250", "category": "bikes", "zip": "02139", "email": "n@example.com"})

	t.Run("text and distance", func(t *testing.T) {
		res := s.get("/api/v1/posts?" + url.Values{"q": {"cafe"}, "zip": {"02134"}, "miles": {"10"}, "sort": {"distance"}}.Encode())
		var out struct {
			Posts []struct {
				Title         string
				DistanceMiles *float64 `json:"distance_miles"`
			}
		}
		json.Unmarshal([]byte(res.Body), &out)
		if len(out.Posts) != 1 || out.Posts[0].Title != "Café racer motorcycle" {
			t.Fatalf("got %s, want the café racer only", res.Body)
		}
		if out.Posts[0].DistanceMiles == nil || *out.Posts[0].DistanceMiles != 0 {
			t.Errorf("got distance %v, want 0 from its own ZIP", out.Posts[0].DistanceMiles)
		}
	})

	t.Run("zip alone adds distances without filtering", func(t *testing.T) {
		for _, query := range []string{"zip=10001", "zip=10001&sort=distance"} {
			res := s.get("/api/v1/posts?" + query)
			if res.Status != http.StatusOK {
				t.Fatalf("%s: got status %d %s, want 200", query, res.Status, res.Body)
			}
			var out struct {
				Posts []struct {
					Title         string
					DistanceMiles *float64 `json:"distance_miles"`
				}
			}
			json.Unmarshal([]byte(res.Body), &out)
			if len(out.Posts) != 2 {
				t.Fatalf("%s: got %d posts, want both Boston posts: %s", query, len(out.Posts), res.Body)
			}
			for _, p := range out.Posts {
				// Boston is about 190 miles from Manhattan.
				if p.DistanceMiles == nil || *p.DistanceMiles < 150 || *p.DistanceMiles > 250 {
					t.Errorf("%s: %s: got distance %v, want about 190 miles", query, p.Title, p.DistanceMiles)
				}
			}
		}
	})

	t.Run("miles filters by distance from zip", func(t *testing.T) {
		if res := s.get("/api/v1/posts?zip=10001&miles=50"); !strings.Contains(res.Body, `"posts":[]`) {
			t.Errorf("got %s, want no posts within 50 miles of Manhattan", res.Body)
		}
		res := s.get("/api/v1/posts?miles=50")
		if res.Status != http.StatusBadRequest || apiErrorOf(t, res).Fields["zip"] == "" {
			t.Errorf("miles without zip: got status %d %s, want 400 naming zip", res.Status, res.Body)
		}
	})

	t.Run("price in whole dollars", func(t *testing.T) {
		res := s.get("/api/v1/posts?max_price=300")
		if !strings.Contains(res.Body, "Road bike") || strings.Contains(res.Body, "racer") {
			t.Errorf("got %s, want only the bike", res.Body)
		}
	})

	t.Run("bad parameters name the parameter", func(t *testing.T) {
		for param, value := range map[string]string{"min_price": "-1", "max_price": "cheap", "miles": "far", "sort": "best",
			"has_image": "maybe", "limit": "1000", "zip": "123", "region": "atlantis"} {
			res := s.get("/api/v1/posts?" + url.Values{param: {value}}.Encode())
			if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `"`+param+`"`) {
				t.Errorf("%s=%s: got status %d %s, want 400 naming %s", param, value, res.Status, res.Body, param)
			}
		}
	})
}

func TestFeeds(t *testing.T) {
	s := startServer(t)
	s.publishPost(map[string]any{"title": "Trek & <Co> bike", "price": "300", "category": "bikes", "zip": "02134", "email": "f@example.com"})
	s.publishPost(map[string]any{"title": "Kid's bike", "category": "bikes", "zip": "02134", "email": "g@example.com"})

	for _, format := range []string{"rss", "atom"} {
		t.Run(format, func(t *testing.T) {
			res := s.get("/feeds/boston/bikes." + format + "?q=trek")
			if res.Status != http.StatusOK {
				t.Fatalf("got status %d: %s", res.Status, res.Body)
			}
			feed, err := gofeed.NewParser().ParseString(res.Body)
			if err != nil {
				t.Fatalf("feed does not parse: %v\n%s", err, res.Body)
			}
			if got := strings.ToLower(feed.FeedType); got != format {
				t.Errorf("got feed type %q, want %q", got, format)
			}
			if len(feed.Items) != 1 {
				t.Fatalf("got %d items, want 1 (the search for trek)", len(feed.Items))
			}
			item := feed.Items[0]
			if item.Title != "Trek & <Co> bike – $300" {
				t.Errorf("got title %q", item.Title)
			}
			if !strings.HasPrefix(item.Link, s.URL+"/boston/bikes/trek-co-bike-") {
				t.Errorf("got link %q", item.Link)
			}
			if item.PublishedParsed == nil {
				t.Error("item has no parsable date")
			}
		})
	}

	t.Run("pages announce their feeds", func(t *testing.T) {
		// html/template writes "+" in attributes as the entity &#43;.
		page := strings.ReplaceAll(s.get("/boston/bikes/?q=trek").Body, "&#43;", "+")
		for _, want := range []string{`type="application/rss+xml"`, `type="application/atom+xml"`, `/feeds/boston/bikes.rss?q=trek`} {
			if !strings.Contains(page, want) {
				t.Errorf("category page lacks %s", want)
			}
		}
	})
}

func TestSearchPages(t *testing.T) {
	s := startServer(t)
	s.publishPost(map[string]any{"title": "Blue sofa", "price": "150", "category": "furniture", "zip": "10001", "email": "h@example.com"})
	s.publishPost(map[string]any{"title": "Red sofa", "price": "900", "category": "furniture", "zip": "11201", "email": "i@example.com"})

	t.Run("state lives in the query string", func(t *testing.T) {
		res := s.get("/new-york/furniture/?q=sofa&max_price=300")
		if res.Status != http.StatusOK {
			t.Fatalf("got status %d", res.Status)
		}
		if !strings.Contains(res.Body, "Blue sofa") || strings.Contains(res.Body, "Red sofa") {
			t.Error("got the wrong results for sofa under $300")
		}
		if !strings.Contains(res.Body, `value="300"`) || !strings.Contains(res.Body, `value="sofa"`) {
			t.Error("the form does not show the search it ran")
		}
		if !strings.Contains(res.Body, `name="robots" content="noindex"`) {
			t.Error("search results are indexable")
		}
	})

	t.Run("region page searches every category", func(t *testing.T) {
		res := s.get("/new-york/?q=red")
		if !strings.Contains(res.Body, "Red sofa") || strings.Contains(res.Body, "Blue sofa") {
			t.Error("region search got the wrong results")
		}
	})

	t.Run("a bad filter is shown on the form", func(t *testing.T) {
		res := s.get("/new-york/furniture/?min_price=cheap")
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `id="min_price-error"`) {
			t.Errorf("got status %d without a field error, want 400 with one", res.Status)
		}
	})

	t.Run("bad page cursor names the parameter", func(t *testing.T) {
		for _, tc := range []struct{ path, param string }{
			{"/new-york/?cursor=!!", "cursor"},
			{"/new-york/furniture/?cursor=!!", "cursor"},
			{"/new-york/?q=sofa&cursor=!!", "cursor"},
			{"/new-york/?after=!!", "after"},
			{"/new-york/furniture/?after=!!", "after"},
		} {
			res := s.get(tc.path)
			if res.Status != http.StatusBadRequest {
				t.Errorf("%s: got status %d, want 400", tc.path, res.Status)
			}
			if want := `id="` + tc.param + `-error">Invalid cursor.`; !strings.Contains(res.Body, want) {
				t.Errorf("%s: page lacks %s", tc.path, want)
			}
		}
	})

	t.Run("region page links nearby regions", func(t *testing.T) {
		if res := s.get("/new-york/"); !strings.Contains(res.Body, `href="/philadelphia/"`) {
			t.Error("New York does not link Philadelphia as nearby")
		}
	})
}

func TestSEO(t *testing.T) {
	s := startServer(t)
	id, _ := s.publishPost(map[string]any{"title": "Oak desk", "price": "120.50", "category": "furniture", "zip": "02134", "email": "o@example.com"})
	var post struct{ URL string }
	json.Unmarshal([]byte(s.get("/api/v1/posts/"+id).Body), &post)

	t.Run("sitemap lists live posts", func(t *testing.T) {
		index := s.get("/sitemap.xml").Body
		if !strings.Contains(index, "/sitemaps/posts-"+id[:2]+".xml") || !strings.Contains(index, "/sitemaps/regions.xml") {
			t.Fatalf("sitemap index lacks the files:\n%s", index)
		}
		file := s.get("/sitemaps/posts-" + id[:2] + ".xml").Body
		if !strings.Contains(file, "<loc>"+post.URL+"</loc>") {
			t.Errorf("sitemap file lacks %s:\n%s", post.URL, file)
		}
	})

	t.Run("post page has Product and Offer data", func(t *testing.T) {
		page := s.get(strings.TrimPrefix(post.URL, s.URL)).Body
		for _, want := range []string{`itemtype="https://schema.org/Product"`, `itemtype="https://schema.org/Offer"`, `itemprop="price" content="120.50"`, `rel="canonical" href="` + post.URL} {
			if !strings.Contains(page, want) {
				t.Errorf("post page lacks %s", want)
			}
		}
	})

	t.Run("robots.txt points at the sitemap", func(t *testing.T) {
		if body := s.get("/robots.txt").Body; !strings.Contains(body, "Sitemap: "+s.URL+"/sitemap.xml") || !strings.Contains(body, "Disallow: /manage/") {
			t.Errorf("got robots.txt:\n%s", body)
		}
	})
}

// TestMilesParameter checks that every place reading miles rejects a
// value that is not a distance, and accepts one from 0.1 to 3,000.
func TestMilesParameter(t *testing.T) {
	s := startServer(t)
	for _, path := range []string{"/api/v1/posts", "/boston/", "/boston/bikes/", "/feeds/boston/bikes.rss"} {
		for _, miles := range []string{"NaN", "nan", "Inf", "-Inf", "0", "0.0000001", "3001"} {
			if got := s.get(path + "?zip=02134&miles=" + miles).Status; got != http.StatusBadRequest {
				t.Errorf("%s?miles=%s: got status %d, want 400", path, miles, got)
			}
		}
		for _, miles := range []string{"0.1", "0.5", "3000"} {
			if got := s.get(path + "?zip=02134&miles=" + miles).Status; got != http.StatusOK {
				t.Errorf("%s?miles=%s: got status %d, want 200", path, miles, got)
			}
		}
	}

	t.Run("alert form", func(t *testing.T) {
		_, csrf := formTokens(t, s.get("/boston/?q=bike").Body)
		res := s.postForm("/alerts", url.Values{"csrf": {csrf}, "email": {"w@example.com"}, "region": {"boston"},
			"zip": {"02134"}, "miles": {"NaN"}})
		if res.Status != http.StatusBadRequest {
			t.Errorf("got status %d, want 400", res.Status)
		}
	})

	t.Run("alert label shows the radius as given", func(t *testing.T) {
		for _, miles := range []string{"10", "2.5", "0.25"} {
			_, csrf := formTokens(t, s.get("/boston/?q=bike").Body)
			res := s.postForm("/alerts", url.Values{"csrf": {csrf}, "email": {"w@example.com"}, "region": {"boston"},
				"zip": {"02134"}, "miles": {miles}})
			if res.Status != http.StatusSeeOther {
				t.Fatalf("miles=%s: got status %d, want 303", miles, res.Status)
			}
			res = s.get(res.Header.Get("Location"))
			if want := "within " + miles + " miles of 02134"; !strings.Contains(res.Body, want) {
				t.Errorf("miles=%s: page lacks %q:\n%s", miles, want, res.Body)
			}
		}
	})
}
