package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	texttemplate "text/template"
)

//go:embed templates
var templateFS embed.FS

// Templates renders the plain-text and HTML bodies of each kind of message
// from templates/NAME.txt and templates/NAME.html.
type Templates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// LoadTemplates parses every message template; a broken one fails start-up.
func LoadTemplates() (*Templates, error) {
	text, err := texttemplate.ParseFS(templateFS, "templates/*.txt")
	if err != nil {
		return nil, fmt.Errorf("parse text mail templates: %w", err)
	}
	html, err := htmltemplate.ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse HTML mail templates: %w", err)
	}
	return &Templates{text: text, html: html}, nil
}

// Render fills msg.Text and msg.HTML from the templates called name.
func (t *Templates) Render(msg *Message, name string, data any) error {
	var text, html bytes.Buffer
	if err := t.text.ExecuteTemplate(&text, name+".txt", data); err != nil {
		return fmt.Errorf("render %s.txt: %w", name, err)
	}
	if err := t.html.ExecuteTemplate(&html, name+".html", data); err != nil {
		return fmt.Errorf("render %s.html: %w", name, err)
	}
	msg.Text, msg.HTML = text.String(), html.String()
	return nil
}
