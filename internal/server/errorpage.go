package server

type errorPage struct {
	Page
	Status  int
	Message string
	Links   []link // pages to go on to besides the home page
}

// link is a link on a page: its text and its target.
type link struct{ Text, Href string }
