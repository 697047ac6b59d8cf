package server

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/corkboard/corkboard/internal/board"
)

//go:embed templates static
var assets embed.FS

// Page is the data every template needs besides its own.
type Page struct {
	Title       string
	Description string
	Canonical   string // path of the canonical URL, when it differs from the request's
	NoIndex     bool   // keeps search engines from indexing the page
	Feeds       []feedLink
}

// feedLink announces a feed in the page's <head>, for feed readers.
type feedLink struct {
	Title, Type, Href string
}

// staticVersion is a content hash of the static files, appended to their
// URLs so that browsers may cache them for a year.
var staticVersion = func() string {
	h := sha256.New()
	fs.WalkDir(assets, "static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := assets.ReadFile(p)
			h.Write(data)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}()

func (s *Server) funcs() template.FuncMap {
	return template.FuncMap{
		"price": func(cents *int64) string {
			if cents == nil {
				return ""
			}
			return board.FormatPrice(*cents)
		},
		"date":        func(t time.Time) string { return t.UTC().Format("Jan 2, 2006") },
		"datetime":    board.FormatTime,
		"iso":         func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"postPath":    postPath,
		"photo":       s.photoURL,
		"managePhoto": func(token, key string) string { return "/manage/" + token + "/photo/" + key },
		"srcset":      s.srcset,
		"static":      func(name string) string { return "/static/" + name + "?v=" + staticVersion },
		"regionName": func(slug string) string {
			if r, ok := s.svc.Places.Region(slug); ok {
				return r.Name
			}
			return slug
		},
		"categoryName": func(slug string) string {
			if c, ok := s.svc.Categories.Category(slug); ok {
				return c.Name
			}
			return slug
		},
		"paragraphs": paragraphs,
		"query": func(pairs ...string) string {
			q := url.Values{}
			for i := 0; i+1 < len(pairs); i += 2 {
				if pairs[i+1] != "" {
					q.Set(pairs[i], pairs[i+1])
				}
			}
			if len(q) == 0 {
				return ""
			}
			return "?" + q.Encode()
		},
		"add":   func(a, b int) int { return a + b },
		"miles": formatMiles,
		// dollars renders cents as a schema.org price: "1200.50".
		"dollars": func(cents *int64) string {
			return strconv.FormatInt(*cents/100, 10) + "." + fmt.Sprintf("%02d", *cents%100)
		},
		"lines": func(s string) []string { return strings.Split(s, "\n") },
		"isLink": func(s string) bool {
			return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
		},
		// absolute turns a site path into a URL under the public base URL.
		// Google advises absolute canonical links, and Lighthouse 12 fails
		// a relative one.
		"absolute": func(sitePath string) string {
			if s.svc.BaseURL == nil {
				return sitePath
			}
			return s.svc.BaseURL.JoinPath(sitePath).String()
		},
	}
}

// parseTemplates parses layout.html together with each page template.
func (s *Server) parseTemplates() (map[string]*template.Template, error) {
	layout, err := template.New("layout.html").Funcs(s.funcs()).ParseFS(assets, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	pages, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(assets, p)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// render executes a page template into a buffer first, so a template
// error never leaves a half-written page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	t, ok := s.templates[name]
	if !ok {
		s.log.Error("Template not found", "template", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", data); err != nil {
		s.log.Error("Rendering a page failed", "template", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// photoURL returns the URL of a stored photo: a path on this site, or a
// URL on the CDN when one is configured.
func (s *Server) photoURL(key string) string {
	return s.photoBase + "/" + key
}

// srcset returns the srcset attribute of a photo's medium and large files
// in one format, each with its width in pixels. A size is never scaled up,
// so a photo that fits the medium box has both sizes alike: such a file, or
// a second file of the same width, is listed once.
func (s *Server) srcset(img board.Image, mediumKey, largeKey string) string {
	mediumWidth, _ := img.MediumSize()
	candidates := []string{}
	if mediumKey != "" {
		candidates = append(candidates, s.photoURL(mediumKey)+" "+strconv.Itoa(mediumWidth)+"w")
	}
	if largeKey != "" && (mediumKey == "" || largeKey != mediumKey && img.Width != mediumWidth) {
		candidates = append(candidates, s.photoURL(largeKey)+" "+strconv.Itoa(img.Width)+"w")
	}
	return strings.Join(candidates, ", ")
}

// absolutePhotoURL returns photoURL as an absolute URL, for the API and
// feeds.
func (s *Server) absolutePhotoURL(key string) string {
	u := s.photoURL(key)
	if strings.HasPrefix(u, "/") {
		return s.absolute(u)
	}
	return u
}

// formatMiles renders a distance for lists: "here" or "3.2 mi".
func formatMiles(d float64) string {
	if d < 0.1 {
		return "here"
	}
	return strconv.FormatFloat(d, 'f', 1, 64) + " mi"
}

// postPath returns the readable URL path of a post.
func postPath(p *board.Post) string { return board.PostPath(p) }

// paragraphs splits text at blank lines for display.
func paragraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
