package server

type errorPage struct {
	Page
	Status  int
	Message string
}
