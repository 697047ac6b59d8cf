package server

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/corkboard/corkboard/internal/board"
)

// sitemapMax is the most URLs one sitemap file may list (sitemaps.org).
const sitemapMax = 50_000

type sitemapIndex struct {
	XMLName  xml.Name       `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 sitemapindex"`
	Sitemaps []sitemapEntry `xml:"sitemap"`
}

type sitemapEntry struct {
	Loc string `xml:"loc"`
}

type urlSet struct {
	XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

// sitemapIndexHandler lists one sitemap file for the region pages and one
// for each two-character ID prefix that has live posts. Random IDs spread
// posts evenly over 1,024 prefixes, so each file stays far below 50,000
// URLs until the board holds tens of millions of posts.
func (s *Server) sitemapIndexHandler(w http.ResponseWriter, r *http.Request) {
	buckets, err := s.svc.Store.SitemapBuckets(r.Context(), s.svc.Now().UTC())
	if err != nil {
		s.error(w, r, err)
		return
	}
	prefixes := make([]string, 0, len(buckets))
	for p := range buckets {
		prefixes = append(prefixes, p)
	}
	slices.Sort(prefixes)
	index := sitemapIndex{Sitemaps: []sitemapEntry{{Loc: s.absolute("/sitemaps/regions.xml")}}}
	for _, p := range prefixes {
		index.Sitemaps = append(index.Sitemaps, sitemapEntry{Loc: s.absolute("/sitemaps/posts-" + p + ".xml")})
	}
	writeXML(w, r, s, index)
}

// sitemapFile serves /sitemaps/regions.xml and /sitemaps/posts-{prefix}.xml.
func (s *Server) sitemapFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	set := urlSet{}
	if name == "regions.xml" {
		for _, reg := range s.svc.Places.Regions() {
			set.URLs = append(set.URLs, sitemapURL{Loc: s.absolute("/" + reg.Slug + "/")})
		}
		writeXML(w, r, s, set)
		return
	}
	prefix, ok := strings.CutPrefix(strings.TrimSuffix(name, ".xml"), "posts-")
	if !ok || len(prefix) != 2 || !strings.HasSuffix(name, ".xml") || !board.ValidPostID(prefix+"aaaaaaaaaaaaaa") {
		s.notFound(w, r)
		return
	}
	posts, err := s.svc.Store.SitemapPosts(r.Context(), prefix, s.svc.Now().UTC(), sitemapMax)
	if err != nil {
		s.error(w, r, err)
		return
	}
	for i := range posts {
		p := &posts[i]
		set.URLs = append(set.URLs, sitemapURL{Loc: s.absolute(postPath(p)),
			LastMod: maxTime(p.UpdatedAt, p.BumpedAt).UTC().Format(time.RFC3339)})
	}
	writeXML(w, r, s, set)
}

func writeXML(w http.ResponseWriter, r *http.Request, s *Server, v any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		s.error(w, r, fmt.Errorf("encode sitemap: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(buf.Bytes())
}

// robots points crawlers at the sitemap and keeps them away from
// private links.
func (s *Server) robots(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "User-agent: *\nDisallow: /manage/\nDisallow: /alerts/\nDisallow: /dev/\nDisallow: /api/\n\nSitemap: %s\n", s.absolute("/sitemap.xml"))
}
