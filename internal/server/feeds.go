package server

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/corkboard/corkboard/internal/board"
)

// feedSize is the number of posts in a feed.
const feedSize = 50

// RSS 2.0 (https://www.rssboard.org/rss-specification) with the Atom
// self link that validators expect and Media RSS for the first photo.
type rssFeed struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	AtomNS  string     `xml:"xmlns:atom,attr"`
	MediaNS string     `xml:"xmlns:media,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string    `xml:"title"`
	Link          string    `xml:"link"`
	Description   string    `xml:"description"`
	Language      string    `xml:"language"`
	LastBuildDate string    `xml:"lastBuildDate"`
	Self          atomLink  `xml:"atom:link"`
	Items         []rssItem `xml:"item"`
}

type rssItem struct {
	Title       string     `xml:"title"`
	Link        string     `xml:"link"`
	GUID        rssGUID    `xml:"guid"`
	PubDate     string     `xml:"pubDate"`
	Description string     `xml:"description"`
	Category    string     `xml:"category,omitempty"`
	Thumbnail   *mediaItem `xml:"media:thumbnail,omitempty"`
}

type rssGUID struct {
	IsPermaLink bool   `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

type mediaItem struct {
	URL string `xml:"url,attr"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
}

// Atom (RFC 4287).
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomPerson  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	Title     string     `xml:"title"`
	ID        string     `xml:"id"`
	Published string     `xml:"published"`
	Updated   string     `xml:"updated"`
	Links     []atomLink `xml:"link"`
	Summary   atomText   `xml:"summary"`
	Category  *atomCat   `xml:"category,omitempty"`
}

type atomText struct {
	Type  string `xml:"type,attr"`
	Value string `xml:",chardata"`
}

type atomCat struct {
	Term string `xml:"term,attr"`
}

// feed serves /feeds/{region}/{feed}: {category}.rss, {category}.atom,
// or all.rss and all.atom for the whole region, with the same search
// parameters as the pages.
func (s *Server) feed(w http.ResponseWriter, r *http.Request) {
	region, ok := s.svc.Places.Region(r.PathValue("region"))
	if !ok {
		s.notFound(w, r)
		return
	}
	name, format, _ := strings.Cut(r.PathValue("feed"), ".")
	if format != "rss" && format != "atom" {
		s.notFound(w, r)
		return
	}
	title := region.Name
	category := ""
	if name != "all" {
		cat, ok := s.svc.Categories.Category(name)
		if !ok {
			s.notFound(w, r)
			return
		}
		category, title = cat.Slug, cat.Name+" in "+region.Name
	}
	q := r.URL.Query()
	search, err := parseSearch(q, feedSize)
	if err != nil {
		s.error(w, r, err)
		return
	}
	search.Region, search.Category, search.Cursor, search.Limit = region.Slug, category, "", feedSize
	if text := q.Get("q"); text != "" {
		title += ": " + text
	}

	page, err := s.svc.Search(r.Context(), search)
	if err != nil {
		s.error(w, r, err)
		return
	}

	pagePath := "/" + region.Slug + "/"
	if category != "" {
		pagePath += category + "/"
	}
	pageURL := s.absolute(pagePath + queryString(q))
	selfURL := s.absolute(r.URL.RequestURI())
	var body any
	contentType := "application/rss+xml; charset=utf-8"
	if format == "rss" {
		body = s.rss(title, pageURL, selfURL, page.Hits)
	} else {
		contentType = "application/atom+xml; charset=utf-8"
		body = s.atom(title, pageURL, selfURL, page.Hits)
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(body); err != nil {
		s.error(w, r, fmt.Errorf("encode feed: %w", err))
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(buf.Bytes())
}

func (s *Server) absolute(path string) string {
	return strings.TrimSuffix(s.svc.BaseURL.String(), "/") + path
}

func queryString(q map[string][]string) string {
	v := make(map[string][]string)
	for _, p := range searchParams {
		if vals, ok := q[p]; ok && len(vals) > 0 && vals[0] != "" {
			v[p] = vals[:1]
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + url.Values(v).Encode()
}

// feedSummary renders a post's price, place, first photo and text as HTML.
func (s *Server) feedSummary(p *board.Post) string {
	var b strings.Builder
	if len(p.Images) > 0 {
		fmt.Fprintf(&b, `<p><img src="%s" alt=""></p>`, template.HTMLEscapeString(s.absolutePhotoURL(p.Images[0].ThumbKey)))
	}
	meta := p.City + ", " + p.State
	if p.PriceCents != nil {
		meta = board.FormatPrice(*p.PriceCents) + " · " + meta
	}
	fmt.Fprintf(&b, "<p><strong>%s</strong></p>", template.HTMLEscapeString(meta))
	for _, para := range paragraphs(truncate(p.Body, 500)) {
		fmt.Fprintf(&b, "<p>%s</p>", template.HTMLEscapeString(para))
	}
	return b.String()
}

func (s *Server) rss(title, link, self string, hits []board.Hit) rssFeed {
	f := rssFeed{Version: "2.0", AtomNS: "http://www.w3.org/2005/Atom", MediaNS: "http://search.yahoo.com/mrss/",
		Channel: rssChannel{Title: title + " · Corkboard", Link: link, Description: "New classified ads: " + title,
			Language: "en-us", LastBuildDate: s.svc.Now().UTC().Format(time.RFC1123Z),
			Self: atomLink{Href: self, Rel: "self", Type: "application/rss+xml"}}}
	for i := range hits {
		p := &hits[i].Post
		link := s.absolute(postPath(p))
		item := rssItem{Title: feedTitle(p), Link: link, GUID: rssGUID{IsPermaLink: true, Value: link},
			PubDate: p.BumpedAt.UTC().Format(time.RFC1123Z), Description: s.feedSummary(p), Category: p.Category}
		if len(p.Images) > 0 {
			item.Thumbnail = &mediaItem{URL: s.absolutePhotoURL(p.Images[0].ThumbKey)}
		}
		f.Channel.Items = append(f.Channel.Items, item)
	}
	return f
}

func (s *Server) atom(title, link, self string, hits []board.Hit) atomFeed {
	updated := s.svc.Now().UTC()
	if len(hits) > 0 {
		updated = hits[0].BumpedAt
	}
	f := atomFeed{Title: title + " · Corkboard", ID: self, Updated: updated.UTC().Format(time.RFC3339),
		Links:  []atomLink{{Href: link, Rel: "alternate", Type: "text/html"}, {Href: self, Rel: "self", Type: "application/atom+xml"}},
		Author: atomPerson{Name: "Corkboard"}}
	for i := range hits {
		p := &hits[i].Post
		link := s.absolute(postPath(p))
		f.Entries = append(f.Entries, atomEntry{Title: feedTitle(p), ID: link,
			Published: p.PublishedAt.UTC().Format(time.RFC3339), Updated: maxTime(p.BumpedAt, p.UpdatedAt).UTC().Format(time.RFC3339),
			Links:    []atomLink{{Href: link, Rel: "alternate", Type: "text/html"}},
			Summary:  atomText{Type: "html", Value: s.feedSummary(p)},
			Category: &atomCat{Term: p.Category}})
	}
	return f
}

// feedTitle puts the price in the title, as feed readers show only titles.
func feedTitle(p *board.Post) string {
	if p.PriceCents != nil {
		return p.Title + " – " + board.FormatPrice(*p.PriceCents)
	}
	return p.Title
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
