package board

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/corkboard/corkboard/internal/photos"
)

// Created is the response to a create request. A repeat with the same
// idempotency key gets the same response.
type Created struct {
	ID     string `json:"id"`
	Status Status `json:"status"`
}

// photoWait is how long an upload waits for a decode slot before the
// request gets a 503 response, so a burst of uploads cannot pile up in memory.
const photoWait = 20 * time.Second

// CreatePost validates a draft, stores its photos, and saves a pending post
// together with the confirmation email in one transaction. With a non-empty
// idempotencyKey, a repeated request returns the first answer and creates
// nothing. Errors: Invalid with Fields, TooLarge or Unsupported for photos,
// Conflict when the key was used for a different request, Unavailable when
// photo processing is saturated. PhotosDecoded reports whether an error
// came after the photos passed their checks and decoding began.
func (s *Service) CreatePost(ctx context.Context, d Draft, idempotencyKey string) (_ Created, err error) {
	now := s.now()
	requestHash := hashDraft(d)
	decoding := false
	defer func() {
		if err != nil && decoding {
			err = decodedError{err}
		}
	}()

	if idempotencyKey != "" {
		if c, err := s.repeatAnswer(ctx, idempotencyKey, requestHash); err == nil || !errors.Is(err, ErrNotFound) {
			return c, err
		}
	}

	p, err := s.validateDraft(d)
	if err != nil {
		return Created{}, err
	}
	if err := s.checkPhotos(d.Photos); err != nil {
		return Created{}, err
	}
	decoding = len(d.Photos) > 0
	processed, err := s.processPhotos(ctx, d.Photos)
	if err != nil {
		return Created{}, err
	}

	// Storing files and committing the rows that use them happen under
	// one lock, so a failed request never removes a file that another
	// request has just stored and is about to use.
	s.Files.Lock()
	defer s.Files.Unlock()
	images, stored, err := s.putPhotos(ctx, processed)
	if err != nil {
		return Created{}, err
	}
	p.ID = NewPostID()
	p.Status = Pending
	p.Images = images
	p.CreatedAt, p.UpdatedAt = now, now

	token, hash := NewToken()
	msg := s.newMessage(p.Email, "Publish your post: "+p.Title, now)
	err = s.Mail.Render(&msg, "confirm", map[string]string{
		"SiteName": s.SiteName, "Title": p.Title, "Link": s.ManageURL(token),
	})
	if err != nil {
		s.releasePhotos(ctx, stored)
		return Created{}, err
	}

	idem := Idempotency{Key: idempotencyKey, RequestHash: requestHash, PostID: p.ID}
	if err := s.Store.CreatePost(ctx, p, hash, idem, msg); err != nil {
		s.releasePhotos(ctx, stored)
		if errors.Is(err, ErrIdempotencyKeyUsed) {
			return s.repeatAnswer(ctx, idempotencyKey, requestHash)
		}
		return Created{}, internal("create post", err)
	}
	s.mailQueued()
	s.Log.Info("Post created", "post_id", p.ID, "region", p.Region, "category", p.Category, "photos", len(p.Images))
	return Created{ID: p.ID, Status: Pending}, nil
}

// repeatAnswer returns the response to the request first stored under key,
// or ErrNotFound when there is none.
func (s *Service) repeatAnswer(ctx context.Context, key, requestHash string) (Created, error) {
	idem, err := s.Store.IdempotentRequest(ctx, key)
	if err != nil {
		return Created{}, err
	}
	if idem.RequestHash != requestHash {
		return Created{}, Errorf(Conflict, "This Idempotency-Key was already used for a different request.")
	}
	return Created{ID: idem.PostID, Status: Pending}, nil
}

// validateDraft checks every text field and returns all problems at once.
func (s *Service) validateDraft(d Draft) (*Post, error) {
	fields := map[string]string{}
	p := &Post{
		Title:      checkTitle(d.Title, fields),
		Body:       checkBody(d.Body, fields),
		PriceCents: checkPrice(d.Price, fields),
		Category:   strings.TrimSpace(d.Category),
		Email:      checkEmail(d.Email, fields),
		Phone:      checkPhone(d.Phone, fields),
	}
	s.checkCategory(p.Category, fields)
	place := s.checkPlace(d.ZIP, fields)
	if len(d.Photos) > MaxPhotos {
		fields["images"] = fmt.Sprintf("You chose %d photos; the maximum is %d.", len(d.Photos), MaxPhotos)
	}
	if len(fields) > 0 {
		return nil, FieldErrors(fields)
	}
	p.ZIP, p.City, p.State = place.ZIP, place.City, place.State
	p.Region, p.Subarea = place.Region, place.Subarea
	p.Lat, p.Lon = place.Lat, place.Lon
	return p, nil
}

// checkPhotos reads every upload and checks its size, format and declared
// pixels without decoding it, so a request with one bad file is rejected
// before any photo is decoded. The error names the photo that failed.
func (s *Service) checkPhotos(uploads []Upload) error {
	for i, u := range uploads {
		data, err := s.readUpload(u)
		if err == nil {
			_, err = photos.Check(data, s.PhotoLimits)
		}
		if err != nil {
			return s.photoError(i, u.Name, err)
		}
	}
	return nil
}

// decodedError marks an error returned after photo decoding began.
type decodedError struct{ err error }

func (e decodedError) Error() string { return e.err.Error() }
func (e decodedError) Unwrap() error { return e.err }

// PhotosDecoded reports whether err, from CreatePost or Update, came from
// the decoding step or a later one. Decoding starts once every photo has
// passed its checks, and its errors include Unavailable from waiting for
// a decode slot.
func PhotosDecoded(err error) bool {
	var d decodedError
	return errors.As(err, &d)
}

// processPhotos decodes and re-encodes every upload. The error names the
// photo that failed.
func (s *Service) processPhotos(ctx context.Context, uploads []Upload) ([]photos.Result, error) {
	var out []photos.Result
	for i, u := range uploads {
		res, err := s.processPhoto(ctx, u)
		if err != nil {
			return nil, s.photoError(i, u.Name, err)
		}
		out = append(out, res)
	}
	return out, nil
}

// putPhotos stores every size of processed photos. Either all files are
// stored or none: on failure the files written so far are removed again.
// The caller holds s.Files.
func (s *Service) putPhotos(ctx context.Context, processed []photos.Result) (images []Image, stored []string, err error) {
	for _, res := range processed {
		for _, v := range res.Variants {
			if err := s.Blobs.Put(ctx, v.Key, v.ContentType, v.Data); err != nil {
				s.releasePhotos(ctx, stored)
				return nil, nil, internal("store photo", err)
			}
			stored = append(stored, v.Key)
		}
		images = append(images, imageOf(res))
	}
	return images, stored, nil
}

// imageOf records the keys of every size of a processed photo.
func imageOf(res photos.Result) Image {
	key := func(size, format string) string {
		v, _ := res.VariantIn(size, format)
		return v.Key
	}
	large, _ := res.VariantIn(photos.SizeLarge, photos.FormatJPEG)
	return Image{
		ThumbKey:      key(photos.SizeThumb, photos.FormatJPEG),
		MediumKey:     key(photos.SizeMedium, photos.FormatJPEG),
		LargeKey:      large.Key,
		ThumbWebPKey:  key(photos.SizeThumb, photos.FormatWebP),
		MediumWebPKey: key(photos.SizeMedium, photos.FormatWebP),
		LargeWebPKey:  key(photos.SizeLarge, photos.FormatWebP),
		Width:         large.Width,
		Height:        large.Height,
	}
}

// processPhoto decodes one upload in a bounded pool of decode slots.
func (s *Service) processPhoto(ctx context.Context, u Upload) (photos.Result, error) {
	timer := time.NewTimer(photoWait)
	defer timer.Stop()
	select {
	case s.photoSlots <- struct{}{}:
		defer func() { <-s.photoSlots }()
	case <-timer.C:
		return photos.Result{}, Errorf(Unavailable, "Too many photos are being processed right now. Please try again in a minute.")
	case <-ctx.Done():
		return photos.Result{}, ctx.Err()
	}
	data, err := s.readUpload(u)
	if err != nil {
		return photos.Result{}, err
	}
	return photos.Process(data, s.PhotoLimits)
}

// readUpload reads a whole upload of at most PhotoLimits.MaxBytes.
func (s *Service) readUpload(u Upload) ([]byte, error) {
	if u.Size > s.PhotoLimits.MaxBytes {
		return nil, photos.ErrTooLarge
	}
	f, err := u.Open()
	if err != nil {
		return nil, fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	data, err := photos.ReadLimited(f, s.PhotoLimits.MaxBytes)
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	return data, nil
}

// photoError turns a photo processing error into a field error for images.
func (s *Service) photoError(i int, name string, err error) error {
	label := fmt.Sprintf("Photo %d", i+1)
	if name != "" {
		label += " (" + cleanText(name, false) + ")"
	}
	// Only the sentinel's own message is shown: the wrapped detail comes
	// from the decoder and means nothing to the person uploading.
	var code Code
	var reason error
	switch {
	case errors.Is(err, photos.ErrUnsupported):
		code, reason = Unsupported, photos.ErrUnsupported
	case errors.Is(err, photos.ErrTooLarge):
		code, reason = TooLarge, photos.ErrTooLarge
	case errors.Is(err, photos.ErrTooManyPixels):
		code, reason = Invalid, photos.ErrTooManyPixels
	case errors.Is(err, photos.ErrCorrupt):
		code, reason = Invalid, photos.ErrCorrupt
	default:
		return err
	}
	msg := label + ": " + reason.Error() + "."
	if code == TooLarge {
		msg = fmt.Sprintf("%s: the file is larger than the %s limit. Save it at a smaller size and try again.",
			label, FormatBytes(s.PhotoLimits.MaxBytes))
	}
	return &Error{Code: code, Message: "Please correct the marked fields.", Fields: map[string]string{"images": msg}}
}

// releasePhotos deletes files that no pending or live post uses. A file
// that another post shares stays. The caller holds s.Files.
func (s *Service) releasePhotos(ctx context.Context, keys []string) {
	now := s.now()
	for _, key := range keys {
		live, err := s.Store.ImageLive(ctx, key, now)
		if err != nil || live {
			continue
		}
		if err := s.Blobs.Delete(ctx, key); err != nil {
			s.Log.Warn("Photo not removed after a failed request", "key", key, "error", err)
		}
	}
}

// hashDraft fingerprints a request, so that an idempotency key reused for
// different content is detected.
func hashDraft(d Draft) string {
	h := sha256.New()
	for _, f := range []string{d.Title, d.Body, d.Price, d.Category, d.ZIP, d.Email, d.Phone} {
		fmt.Fprintf(h, "%d:%s", len(f), f)
	}
	for _, p := range d.Photos {
		fmt.Fprintf(h, "photo:%d:", p.Size)
		if f, err := p.Open(); err == nil {
			io.Copy(h, f)
			f.Close()
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
