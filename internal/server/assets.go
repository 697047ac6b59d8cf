package server

import (
	"mime"
	"net/http"
	"path"

	"github.com/corkboard/corkboard/internal/blobs"
	"github.com/corkboard/corkboard/internal/board"
)

// static serves the embedded CSS and scripts. Their URLs carry a content
// hash, so they may be cached for a year.
func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	data, err := assets.ReadFile("static/" + name)
	if err != nil {
		s.notFound(w, r)
		return
	}
	if r.URL.Query().Get("v") == staticVersion {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=300")
	}
	w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	w.Write(data)
}

// photo serves one stored photo size while the post it belongs to is
// pending or live. Names are content hashes, so a URL never changes
// meaning and may be cached for a year.
func (s *Server) photo(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if !blobs.ValidKey(key) {
		s.notFound(w, r)
		return
	}

	live, err := s.svc.PhotoServable(r.Context(), key)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if !live {
		s.error(w, r, board.Errorf(board.NotFound, "This photo is no longer available."))
		return
	}
	data, err := s.svc.Blobs.Get(r.Context(), key)
	if err != nil {
		s.error(w, r, err)
		return
	}

	w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(key)))
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("ETag", `"`+key+`"`)
	if r.Header.Get("If-None-Match") == `"`+key+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(data)
}
