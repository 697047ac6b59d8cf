package board

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// PostPath returns the readable URL path of a post:
// /{region}/{category}/{title-slug}-{id}.
func PostPath(p *Post) string {
	slug := titleSlug(p.Title)
	if slug != "" {
		slug += "-"
	}
	return "/" + p.Region + "/" + p.Category + "/" + slug + p.ID
}

// titleSlug turns a title into lowercase ASCII words joined by hyphens,
// dropping accents: "Café table, 2 chairs!" becomes "cafe-table-2-chairs".
func titleSlug(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(strings.ToLower(title)) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		case unicode.Is(unicode.Mn, r):
		default:
			dash = true
		}
		if b.Len() >= 60 {
			break
		}
	}
	return strings.Trim(b.String(), "-")
}
