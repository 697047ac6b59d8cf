package board

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/corkboard/corkboard/internal/categories"
	"github.com/corkboard/corkboard/internal/mail"
	"github.com/corkboard/corkboard/internal/photos"
	"github.com/corkboard/corkboard/internal/places"
)

// Service carries out what people do on the board: post, publish, edit,
// renew, delete, recover links and browse. Handlers call it; it calls the
// Store, Blobs, Cache and mail templates.
type Service struct {
	Store      Store
	Blobs      Blobs
	Cache      Cache
	Places     *places.Directory
	Categories *categories.Taxonomy
	Mail       *mail.Templates
	Log        *slog.Logger

	SiteName    string
	BaseURL     *url.URL // used in emailed links
	MailFrom    string   // sender address of every message
	PhotoLimits photos.Limits
	// NearbyMiles is how far apart region centres may be for the regions
	// to count as nearby.
	NearbyMiles float64

	// Now returns the current time; tests replace it. Times are truncated
	// to microseconds, the precision both databases store.
	Now func() time.Time
	// MailQueued is called after a transaction queued mail, to wake the
	// delivery worker. It may be nil.
	MailQueued func()
	// Files is held while photo files are stored or removed together with
	// the rows that use them; the worker's sweep holds it too. On
	// PostgreSQL it is an advisory lock, so it spans every app server.
	Files sync.Locker

	photoSlots chan struct{}
	flight     singleflight.Group // one query for concurrent cache misses
}

// ServiceConfig lists what NewService needs.
type ServiceConfig struct {
	Store      Store
	Blobs      Blobs
	Cache      Cache
	Places     *places.Directory
	Categories *categories.Taxonomy
	Mail       *mail.Templates
	Log        *slog.Logger
	SiteName   string
	BaseURL    *url.URL
	MailFrom   string
	// PhotoWorkers bounds how many photos are decoded at once, which bounds
	// memory under a burst of uploads.
	PhotoWorkers int
	PhotoLimits  photos.Limits
	NearbyMiles  float64 // default 100
	// Files is shared with the worker; NewService makes one when nil.
	Files sync.Locker
}

// NewService returns a Service with the real clock.
func NewService(c ServiceConfig) *Service {
	workers := c.PhotoWorkers
	if workers < 1 {
		workers = 2
	}
	if c.NearbyMiles <= 0 {
		c.NearbyMiles = 100
	}
	if c.Files == nil {
		c.Files = new(sync.Mutex)
	}
	// Unset photo limits take the defaults, as photos.Process does, so the
	// upload checks and the request size bounds agree with it.
	defaults := photos.DefaultLimits()
	if c.PhotoLimits.MaxBytes <= 0 {
		c.PhotoLimits.MaxBytes = defaults.MaxBytes
	}
	if c.PhotoLimits.MaxPixels <= 0 {
		c.PhotoLimits.MaxPixels = defaults.MaxPixels
	}
	return &Service{
		Store: c.Store, Blobs: c.Blobs, Cache: c.Cache, Places: c.Places,
		Categories: c.Categories, Mail: c.Mail, Log: c.Log,
		SiteName: c.SiteName, BaseURL: c.BaseURL, MailFrom: c.MailFrom,
		PhotoLimits: c.PhotoLimits,
		NearbyMiles: c.NearbyMiles,
		Now:         time.Now,
		Files:       c.Files,
		photoSlots:  make(chan struct{}, workers),
	}
}

func (s *Service) now() time.Time {
	return s.Now().UTC().Truncate(time.Microsecond)
}

// ManageURL returns the emailed link for a token.
func (s *Service) ManageURL(token string) string {
	return s.BaseURL.JoinPath("manage", token).String()
}

// newMessage returns a message to one recipient with a fresh Message-ID.
func (s *Service) newMessage(to, subject string, now time.Time) mail.Message {
	return mail.Message{
		ID:      mail.NewMessageID(senderDomain(s.MailFrom)),
		From:    s.MailFrom,
		To:      to,
		Subject: subject,
		Date:    now,
	}
}

func (s *Service) mailQueued() {
	if s.MailQueued != nil {
		s.MailQueued()
	}
}

// invalidate drops every cached page and list that can show the post.
func (s *Service) invalidate(ctx context.Context, p *Post) {
	s.Cache.Invalidate(ctx, "region:"+p.Region, "post:"+p.ID, "all")
}

// internal wraps an unexpected error so that handlers log it and show a
// generic message.
func internal(what string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// senderDomain returns the domain of the sender address, for Message-IDs.
func senderDomain(from string) string {
	if addr, err := netmail.ParseAddress(from); err == nil {
		if at := strings.LastIndexByte(addr.Address, '@'); at >= 0 {
			return addr.Address[at+1:]
		}
	}
	return "localhost.localdomain"
}
