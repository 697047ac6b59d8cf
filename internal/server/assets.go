package server

import (
	"mime"
	"net/http"
	"path"
	"slices"

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
// live. Names are content hashes, so a URL never changes
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
	s.writePhoto(w, r, key, "public, max-age=31536000, immutable")
}

// managePhoto serves a photo of the post a manage token controls, also
// while the post is pending, so the owner sees it before publishing.
func (s *Server) managePhoto(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	p, err := s.svc.PostByToken(r.Context(), r.PathValue("token"))
	if err != nil {
		s.manageError(w, r, err)
		return
	}
	if p.Status == board.Deleted || !slices.ContainsFunc(p.Images, func(img board.Image) bool { return slices.Contains(img.Keys(), key) }) {
		s.error(w, r, board.Errorf(board.NotFound, "This photo is not part of this post."))
		return
	}
	manageHeaders(w)
	s.writePhoto(w, r, key, "private, no-store")
}

func (s *Server) writePhoto(w http.ResponseWriter, r *http.Request, key, cacheControl string) {
	data, err := s.svc.Blobs.Get(r.Context(), key)
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(key)))
	w.Header().Set("Cache-Control", cacheControl)
	w.Header().Set("ETag", `"`+key+`"`)
	if r.Header.Get("If-None-Match") == `"`+key+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(data)
}
