package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// formToken binds a hidden form field to a purpose (such as one post's
// manage token hash), so a form made for one post cannot act on another.
// It complements the cross-origin check, which stops posts from other
// sites in browsers.
func (s *Server) formToken(purpose string) string {
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte(purpose))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func (s *Server) validFormToken(purpose, got string) bool {
	return hmac.Equal([]byte(s.formToken(purpose)), []byte(got))
}
