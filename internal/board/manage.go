package board

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// PostByToken returns the post a manage token controls, whatever its status.
// Errors: NotFound for an unknown or malformed token.
func (s *Service) PostByToken(ctx context.Context, token string) (*Post, error) {
	if !ValidTokenFormat(token) {
		return nil, ErrNotFound
	}
	p, err := s.Store.PostByToken(ctx, HashToken(token))
	if err != nil {
		return nil, internal("load post by token", err)
	}
	return p, nil
}

// Publish makes a pending post visible and starts its lifetime. Errors:
// NotFound, Gone for a deleted post, Conflict when it is not pending.
func (s *Service) Publish(ctx context.Context, token string) (*Post, error) {
	p, err := s.PostByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if p.Status == Deleted {
		return nil, Errorf(Gone, "This post was deleted.")
	}
	if p.Status != Pending {
		return nil, Errorf(Conflict, "This post is already published.")
	}
	cat, ok := s.Categories.Category(p.Category)
	if !ok {
		return nil, Errorf(Conflict, "The category of this post no longer exists. Delete it and post again.")
	}
	if err := s.Store.PublishPost(ctx, p.ID, now, now.Add(cat.Lifetime)); err != nil {
		return nil, internal("publish post", err)
	}
	s.invalidate(ctx, p)
	s.Log.Info("Post published", "post_id", p.ID)
	return s.Store.Post(ctx, p.ID)
}

// Edit is a change to a post's title, body, price and photos. Empty
// pointers leave a field as it is.
type Edit struct {
	Title        *string
	Body         *string
	Price        *string
	RemoveImages []string // thumbnail keys of photos to drop
	AddPhotos    []Upload
}

// Update applies an edit without moving the post up the list. Errors:
// NotFound, Gone for a deleted or expired post, Invalid with Fields,
// TooLarge or Unsupported for photos, Unavailable when photo processing is
// saturated. PhotosDecoded reports whether an error came after the added
// photos passed their checks and decoding began.
func (s *Service) Update(ctx context.Context, token string, e Edit) (_ *Post, err error) {
	decoding := false
	defer func() {
		if err != nil && decoding {
			err = decodedError{err}
		}
	}()
	p, err := s.PostByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if st := p.StatusAt(now); st == Deleted || st == Expired {
		return nil, Errorf(Gone, "This post is %s and can no longer be edited.", st)
	}

	fields := map[string]string{}
	if e.Title != nil {
		p.Title = checkTitle(*e.Title, fields)
	}
	if e.Body != nil {
		p.Body = checkBody(*e.Body, fields)
	}
	if e.Price != nil {
		p.PriceCents = checkPrice(*e.Price, fields)
	}
	kept := p.Images[:0:0]
	for _, img := range p.Images {
		if !slices.Contains(e.RemoveImages, img.ThumbKey) {
			kept = append(kept, img)
		}
	}
	if n := len(kept) + len(e.AddPhotos); n > MaxPhotos {
		fields["images"] = fmt.Sprintf("A post can have at most %d photos; this edit would leave %d.", MaxPhotos, n)
	}
	if len(fields) > 0 {
		return nil, FieldErrors(fields)
	}
	if err := s.checkPhotos(e.AddPhotos); err != nil {
		return nil, err
	}

	decoding = len(e.AddPhotos) > 0
	processed, err := s.processPhotos(ctx, e.AddPhotos)
	if err != nil {
		return nil, err
	}
	removed := p.Images
	s.Files.Lock()
	defer s.Files.Unlock()
	added, stored, err := s.putPhotos(ctx, processed)
	if err != nil {
		return nil, err
	}
	p.Images = append(kept, added...)
	if err := s.Store.UpdatePost(ctx, p, now); err != nil {
		s.releasePhotos(ctx, stored)
		return nil, internal("update post", err)
	}
	// Files of dropped photos go at once, unless another post uses them.
	var dropped []string
	for _, img := range removed {
		if !slices.ContainsFunc(p.Images, func(k Image) bool { return k.ThumbKey == img.ThumbKey }) {
			dropped = append(dropped, img.Keys()...)
		}
	}
	s.releasePhotos(ctx, dropped)
	s.invalidate(ctx, p)
	s.Log.Info("Post edited", "post_id", p.ID)
	return s.Store.Post(ctx, p.ID)
}

// Renew moves an active post to the top of its list and restarts its
// lifetime. Errors: NotFound; Gone when deleted; Conflict when pending, or
// before RenewableAt, with that time in RetryAt.
func (s *Service) Renew(ctx context.Context, token string) (*Post, error) {
	p, err := s.PostByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	now := s.now()
	switch p.Status {
	case Deleted:
		return nil, Errorf(Gone, "This post was deleted.")
	case Pending:
		return nil, Errorf(Conflict, "Publish this post first.")
	}
	if renewableAt := p.RenewableAt(); now.Before(renewableAt) {
		e := Errorf(Conflict, "You can renew this post from %s, 48 hours after it was last published or renewed.", FormatTime(renewableAt))
		e.RetryAt = renewableAt.UTC()
		return nil, e
	}
	cat, ok := s.Categories.Category(p.Category)
	if !ok {
		return nil, Errorf(Conflict, "The category of this post no longer exists.")
	}
	err = s.Store.RenewPost(ctx, p.ID, now, lastRenewableBump(now), now.Add(cat.Lifetime))
	if err != nil {
		return nil, internal("renew post", err)
	}
	s.invalidate(ctx, p)
	s.Log.Info("Post renewed", "post_id", p.ID)
	return s.Store.Post(ctx, p.ID)
}

// Delete removes a post for good: it returns 410 from then on and its
// photos stop being served. Deleting twice is not an error.
func (s *Service) Delete(ctx context.Context, token string) error {
	p, err := s.PostByToken(ctx, token)
	if err != nil {
		return err
	}
	if p.Status == Deleted {
		return nil
	}
	if err := s.Store.DeletePost(ctx, p.ID, s.now()); err != nil && !errors.Is(err, ErrNotFound) {
		return internal("delete post", err)
	}
	s.invalidate(ctx, p)
	s.Log.Info("Post deleted", "post_id", p.ID)
	return nil
}
