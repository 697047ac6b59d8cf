package server

import (
	"mime"
	"net/http"
	"strings"

	"github.com/corkboard/corkboard/internal/board"
)

// bearerToken returns the manage token of an API request, or writes a
// 401 response and returns false.
func (s *Server) bearerToken(w http.ResponseWriter, r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		s.apiError(w, r, board.Errorf(board.Unauthorized, "Send the token from the emailed link as: Authorization: Bearer TOKEN."))
		return "", false
	}
	manageHeaders(w)
	return strings.TrimSpace(token), true
}

// apiManaged renders the owner's view of a post, which includes its status.
func (s *Server) apiManaged(p *board.Post) apiPost {
	out := s.apiPostOf(p)
	out.Status = string(p.StatusAt(s.svc.Now().UTC()))
	return out
}

func (s *Server) apiManageGet(w http.ResponseWriter, r *http.Request) {
	token, ok := s.bearerToken(w, r)
	if !ok {
		return
	}
	p, err := s.svc.PostByToken(r.Context(), token)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if p.Status == board.Deleted {
		s.apiError(w, r, board.Errorf(board.Gone, "This post was deleted."))
		return
	}
	writeJSON(w, http.StatusOK, s.apiManaged(p))
}

func (s *Server) apiManagePublish(w http.ResponseWriter, r *http.Request) {
	token, ok := s.bearerToken(w, r)
	if !ok {
		return
	}
	p, err := s.svc.Publish(r.Context(), token)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.apiManaged(p))
}

func (s *Server) apiManageEdit(w http.ResponseWriter, r *http.Request) {
	token, ok := s.bearerToken(w, r)
	if !ok {
		return
	}
	// An unknown token gets its 404 before the body, which may hold
	// photos, is read.
	if _, err := s.svc.PostByToken(r.Context(), token); err != nil {
		s.apiError(w, r, err)
		return
	}
	edit, err := s.readEdit(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	charged := len(edit.AddPhotos) > 0
	if charged {
		if ok, wait := s.takePost(r); !ok {
			setRetryAfter(w, wait)
			s.apiError(w, r, photoEditLimited(wait))
			return
		}
	}

	p, err := s.svc.Update(r.Context(), token, edit)
	if err != nil {
		if charged {
			s.refundPost(r, err)
		}
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.apiManaged(p))
}

// readEdit reads a PATCH as JSON, or as multipart when photos are added.
// Only the fields present change; remove_images lists thumbnail URLs or
// keys of photos to drop.
func (s *Server) readEdit(r *http.Request) (board.Edit, error) {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "multipart/form-data":
		if err := r.ParseMultipartForm(multipartMemory); err != nil {
			return board.Edit{}, tooLargeOr(err, "The multipart body could not be read.")
		}
		var e board.Edit
		for _, field := range []struct {
			name string
			dst  **string
		}{{"title", &e.Title}, {"body", &e.Body}, {"price", &e.Price}} {
			if vs, ok := r.MultipartForm.Value[field.name]; ok && len(vs) > 0 {
				v := vs[0]
				*field.dst = &v
			}
		}
		e.RemoveImages = imageKeys(r.MultipartForm.Value["remove_images"])
		e.AddPhotos = uploads(r.MultipartForm, "images")
		return e, nil
	case "application/json":
		var in struct {
			Title        *string         `json:"title"`
			Body         *string         `json:"body"`
			Price        jsonRawOptional `json:"price"`
			RemoveImages []string        `json:"remove_images"`
		}
		if err := decodeJSON(r, &in); err != nil {
			return board.Edit{}, err
		}
		e := board.Edit{Title: in.Title, Body: in.Body, RemoveImages: imageKeys(in.RemoveImages)}
		if in.Price.set {
			fields := map[string]string{}
			price := jsonScalar(in.Price.raw, "price", fields)
			if len(fields) > 0 {
				return e, board.FieldErrors(fields)
			}
			e.Price = &price
		}
		return e, nil
	}
	return board.Edit{}, board.Errorf(board.Unsupported, "Send the changes as application/json or multipart/form-data.")
}

// jsonRawOptional distinguishes a field set to null (remove the price) from an
// absent one (keep it).
type jsonRawOptional struct {
	set bool
	raw []byte
}

func (o *jsonRawOptional) UnmarshalJSON(b []byte) error {
	o.set, o.raw = true, append([]byte(nil), b...)
	return nil
}

// imageKeys accepts photo URLs or bare keys and returns the keys.
func imageKeys(values []string) []string {
	var keys []string
	for _, v := range values {
		keys = append(keys, v[strings.LastIndexByte(v, '/')+1:])
	}
	return keys
}

func (s *Server) apiManageRenew(w http.ResponseWriter, r *http.Request) {
	token, ok := s.bearerToken(w, r)
	if !ok {
		return
	}
	p, err := s.svc.Renew(r.Context(), token)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.apiManaged(p))
}

func (s *Server) apiManageDelete(w http.ResponseWriter, r *http.Request) {
	token, ok := s.bearerToken(w, r)
	if !ok {
		return
	}
	if err := s.svc.Delete(r.Context(), token); err != nil {
		s.apiError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
