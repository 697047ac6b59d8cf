package board

import (
	"context"
	"strings"
)

// SendLostLinks emails fresh manage links for every live post of an
// address. Earlier links keep working because each post can have several
// tokens. The caller shows the same answer whether or not the address has
// posts, so the form reveals nothing about who posts here. Errors: Invalid
// for a malformed address.
func (s *Service) SendLostLinks(ctx context.Context, email string) error {
	fields := map[string]string{}
	email = checkEmail(email, fields)
	if len(fields) > 0 {
		return FieldErrors(fields)
	}
	now := s.now()

	posts, err := s.Store.LivePostsByEmail(ctx, email, now)
	if err != nil {
		return internal("find posts by email", err)
	}
	if len(posts) == 0 {
		return nil
	}

	type entry struct{ Title, Status, Link string }
	var entries []entry
	hashes := map[string][]byte{}
	for _, p := range posts {
		token, hash := NewToken()
		hashes[p.ID] = hash
		entries = append(entries, entry{Title: p.Title, Status: string(p.StatusAt(now)), Link: s.ManageURL(token)})
	}
	msg := s.newMessage(posts[0].Email, "Links to your posts on "+s.SiteName, now)
	err = s.Mail.Render(&msg, "lostlinks", map[string]any{"SiteName": s.SiteName, "Posts": entries})
	if err != nil {
		return err
	}
	if err := s.Store.AddTokens(ctx, hashes, now, msg); err != nil {
		return internal("store new tokens", err)
	}
	s.mailQueued()
	s.Log.Info("Lost links sent", "posts", len(posts))
	return nil
}

// NormalizeEmail returns the address as stored, for rate limiting by address.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}
