package board

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/corkboard/corkboard/internal/places"
)

// Limits on what people type, counted in characters, not bytes.
const (
	MaxTitle  = 100
	MaxBody   = 10_000
	MaxPhotos = 12
	maxEmail  = 254
)

// FormatBytes writes a size limit the way people read file sizes, in
// binary units as --photo-max-mb counts them: "20 MB" or "64 KB" for a
// whole number of them, "1.5 MB" otherwise.
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// Draft is a post as typed into the form or sent to the API, before checks.
type Draft struct {
	Title    string
	Body     string
	Price    string
	Category string
	ZIP      string
	Email    string
	Phone    string
	Photos   []Upload
}

// Upload is one photo file as received. Open is called once for
// processing and once for the request fingerprint, so a post with twelve
// large photos never holds them all in memory at once.
type Upload struct {
	Name string
	Size int64
	Open func() (io.ReadCloser, error)
}

// BytesUpload returns an Upload that reads from data.
func BytesUpload(name string, data []byte) Upload {
	return Upload{Name: name, Size: int64(len(data)), Open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
}

// cleanText normalises line endings, trims the ends and drops control
// characters other than newline and tab, and the bidirectional overrides
// that can make text read differently from what it is.
func cleanText(s string, multiline bool) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' && multiline, r == '\t':
			return r
		case r == '\n' || r == '\r':
			return ' '
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r):
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// visible reports whether s has a character that shows: a title of only
// zero-width or blank characters looks empty to everyone.
func visible(s string) bool {
	for _, r := range s {
		if unicode.IsGraphic(r) && !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) &&
			!strings.ContainsRune("\u3164\u2800\u115F\u1160\uFFA0", r) {
			return true
		}
	}
	return false
}

// checkTitle validates and cleans a title, adding a message to fields.
func checkTitle(title string, fields map[string]string) string {
	title = cleanText(title, false)
	switch n := utf8.RuneCountInString(title); {
	case n == 0 || !visible(title):
		fields["title"] = "Enter a title."
	case n > MaxTitle:
		fields["title"] = fmt.Sprintf("Title is %d characters long; the maximum is %d.", n, MaxTitle)
	}
	return title
}

func checkBody(body string, fields map[string]string) string {
	body = cleanText(body, true)
	if n := utf8.RuneCountInString(body); n > MaxBody {
		fields["body"] = fmt.Sprintf("Description is %d characters long; the maximum is %d.", n, MaxBody)
	}
	return body
}

func checkPrice(price string, fields map[string]string) *int64 {
	cents, err := ParsePrice(price)
	if err != nil {
		fields["price"] = capitalize(err.Error()) + "."
	}
	return cents
}

// checkEmail accepts one plain address such as name@example.com and
// returns it with the domain in lower case.
func checkEmail(email string, fields map[string]string) string {
	email = strings.TrimSpace(email)
	addr, err := mail.ParseAddress(email)
	switch {
	case email == "":
		fields["email"] = "Enter your email address."
		return ""
	case err != nil || addr.Address != email || addr.Name != "" || len(email) > maxEmail || !emailPattern.MatchString(email):
		fields["email"] = "Enter an email address like name@example.com."
		return email
	}
	at := strings.LastIndexByte(email, '@')
	return email[:at] + "@" + strings.ToLower(email[at+1:])
}

// emailPattern admits the addresses people use: ASCII, a domain name of
// letters, digits and inner hyphens with a dot, no IP literal.
var emailPattern = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$`)

// maxPhone bounds the phone field, in characters.
const maxPhone = 30

// checkPhone accepts digits with the usual separators and 7 to 15 digits.
func checkPhone(phone string, fields map[string]string) string {
	phone = cleanText(phone, false)
	if phone == "" {
		return ""
	}
	if utf8.RuneCountInString(phone) > maxPhone {
		fields["phone"] = fmt.Sprintf("A phone number has at most %d characters.", maxPhone)
		return phone
	}
	digits := 0
	for _, r := range phone {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +-().", r):
		default:
			fields["phone"] = "Enter a phone number with digits only, like (555) 123-4567."
			return phone
		}
	}
	if digits < 7 || digits > 15 {
		fields["phone"] = "A phone number has 7 to 15 digits."
	}
	return phone
}

func (s *Service) checkPlace(zip string, fields map[string]string) places.Place {
	place, err := s.Places.Lookup(zip)
	if err != nil {
		fields["zip"] = ZIPMessage(zip, err)
	}
	return place
}

// ZIPMessage returns the field message for a ZIP code that Lookup
// rejected with err: one for a code in neither form NormalizeZIP accepts,
// another for one that is well formed but not in the directory.
func ZIPMessage(zip string, err error) string {
	if errors.Is(err, places.ErrMalformedZIP) {
		return "Enter a 5-digit ZIP code, like 02134, or a ZIP+4 code, like 02134-1234."
	}
	return fmt.Sprintf("ZIP code %s was not found. Check it for typos.", strings.TrimSpace(zip))
}

func (s *Service) checkCategory(slug string, fields map[string]string) {
	if slug == "" {
		fields["category"] = "Choose a category."
		return
	}
	if _, ok := s.Categories.Category(slug); !ok {
		fields["category"] = "Choose one of the listed categories."
	}
}

func capitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}
