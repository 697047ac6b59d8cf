package board

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"time"
)

// Alert is a saved search whose new matches are emailed as a digest.
type Alert struct {
	ID          string
	Email       string
	Query       string // the search as a URL query string, region and category included
	Label       string // the search in words
	Status      string // pending, active or unsubscribed
	CreatedAt   time.Time
	ConfirmedAt time.Time
	CheckedAt   time.Time
	// LockedUntil is the end of the latest lease on the alert's runs,
	// which may have passed, or zero when no run holds one.
	LockedUntil time.Time
}

// Alert timing: a digest at most once a day; without new matches the
// search runs again after an hour.
const (
	digestInterval = 24 * time.Hour
	alertRetry     = time.Hour
	alertLease     = 5 * time.Minute
	digestSize     = 25
)

// alertSignature signs alert links, so they need no stored token: the
// link proves the email reached its owner, and the signature cannot be
// made without the server's secret.
func (s *Service) alertSignature(ctx context.Context, id string) (string, error) {
	key, err := s.Store.Secret(ctx, "alert-links", func() []byte {
		b := make([]byte, 32)
		rand.Read(b)
		return b
	})
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("alert:" + id))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:24]), nil
}

// AlertURL returns the signed link that confirms and cancels an alert.
func (s *Service) AlertURL(ctx context.Context, id string) (string, error) {
	sig, err := s.alertSignature(ctx, id)
	if err != nil {
		return "", err
	}
	return s.BaseURL.JoinPath("alerts", id, sig).String(), nil
}

// AlertBySignature returns the alert a signed link names. Errors:
// NotFound for an unknown alert or a wrong signature.
func (s *Service) AlertBySignature(ctx context.Context, id, sig string) (*Alert, error) {
	want, err := s.alertSignature(ctx, id)
	if err != nil {
		return nil, internal("sign alert", err)
	}
	if !ValidPostID(id) || !hmac.Equal([]byte(want), []byte(sig)) {
		return nil, Errorf(NotFound, "This alert link is not valid. Check that you copied the whole link.")
	}
	a, err := s.Store.Alert(ctx, id)
	if err != nil {
		return nil, internal("load alert", err)
	}
	return a, nil
}

// CreateAlert saves a search for an email address and sends the link to
// confirm it. The search is validated first. Errors: Invalid with Fields.
func (s *Service) CreateAlert(ctx context.Context, email string, q Search, label string) error {
	fields := map[string]string{}
	email = checkEmail(email, fields)
	if len(fields) > 0 {
		return FieldErrors(fields)
	}
	q.Cursor, q.Limit = "", digestSize
	if _, err := s.prepareSearch(q); err != nil {
		return err
	}
	now := s.now()
	a := &Alert{ID: NewPostID(), Email: email, Query: SearchQueryString(q), Label: label, CreatedAt: now}
	link, err := s.AlertURL(ctx, a.ID)
	if err != nil {
		return internal("sign alert", err)
	}
	msg := s.newMessage(email, "Confirm your search alert: "+label, now)
	err = s.Mail.Render(&msg, "alert_confirm", map[string]string{"SiteName": s.SiteName, "Label": label, "Link": link})
	if err != nil {
		return err
	}
	if err := s.Store.CreateAlert(ctx, a, msg); err != nil {
		return internal("create alert", err)
	}
	s.mailQueued()
	s.Log.Info("Alert created", "alert_id", a.ID)
	return nil
}

// ConfirmAlert starts an alert; matches posted from now on are sent.
// Confirming an active alert changes nothing. Errors: NotFound for a bad
// link, Conflict for a stopped alert, which stays stopped.
func (s *Service) ConfirmAlert(ctx context.Context, id, sig string) error {
	a, err := s.AlertBySignature(ctx, id, sig)
	if err != nil {
		return err
	}
	switch a.Status {
	case "active":
		return nil
	case "unsubscribed":
		return errAlertStopped
	}
	err = s.Store.ConfirmAlert(ctx, a.ID, s.now())
	if ErrorCode(err) == Conflict {
		// Another request confirmed or stopped the alert since it was loaded.
		return nil
	}
	if err != nil {
		return internal("confirm alert", err)
	}
	s.Log.Info("Alert confirmed", "alert_id", a.ID)
	return nil
}

var errAlertStopped = Errorf(Conflict, "This alert is stopped, so it cannot be started again. To get emails for this search, set up a new alert from the search page.")

// Unsubscribe stops an alert for good.
func (s *Service) Unsubscribe(ctx context.Context, id, sig string) error {
	a, err := s.AlertBySignature(ctx, id, sig)
	if err != nil {
		return err
	}
	if err := s.Store.Unsubscribe(ctx, a.ID); err != nil {
		return internal("unsubscribe", err)
	}
	s.Log.Info("Alert unsubscribed", "alert_id", a.ID)
	return nil
}

// RunAlerts sends the digests that are due and returns how many were
// sent. It is safe to run on several servers at once: each alert is
// leased to one run at a time.
func (s *Service) RunAlerts(ctx context.Context) (int, error) {
	// A digest records the time it searched up to, so its search must see
	// every post committed before then: the primary, never a replica.
	ctx = WithPrimary(ctx)
	sent := 0
	for ctx.Err() == nil {
		now := s.now()
		due, err := s.Store.ClaimAlerts(ctx, now, alertLease, 20)
		if err != nil {
			return sent, internal("claim alerts", err)
		}
		if len(due) == 0 {
			return sent, nil
		}
		for i := range due {
			ok, err := s.runAlert(ctx, &due[i], now)
			if errors.Is(err, ErrLeaseLost) {
				// Another run took the alert over after this lease ran out,
				// or the alert was unsubscribed. The run queued nothing.
				s.Log.Info("Alert lease lost", "alert_id", due[i].ID, "locked_until", due[i].LockedUntil)
				continue
			}
			if err != nil {
				s.Log.Error("Alert run failed", "alert_id", due[i].ID, "error", err)
				continue
			}
			if ok {
				sent++
			}
		}
	}
	return sent, ctx.Err()
}

// runAlert searches for posts bumped since the alert last looked and
// queues a digest when there are any.
func (s *Service) runAlert(ctx context.Context, a *Alert, now time.Time) (bool, error) {
	values, err := url.ParseQuery(a.Query)
	if err != nil {
		return false, err
	}
	q, err := SearchFromQuery(values)
	if err != nil {
		return false, err
	}
	q.Limit, q.Sort, q.Cursor = digestSize, SortNewest, ""
	sq, err := s.prepareSearch(q)
	if err != nil {
		return false, err
	}
	// Posts bumped after the last run only; the microsecond keeps a post
	// bumped at that very moment from coming twice.
	sq.Since = a.CheckedAt.Add(time.Microsecond)
	hits, err := s.Store.SearchPosts(ctx, sq)
	if err != nil {
		return false, err
	}
	if len(hits) == 0 {
		return false, s.Store.FinishAlert(ctx, a.ID, a.LockedUntil, a.CheckedAt, now.Add(alertRetry), nil)
	}
	if len(hits) > digestSize {
		hits = hits[:digestSize]
	}

	link, err := s.AlertURL(ctx, a.ID)
	if err != nil {
		return false, err
	}
	type entry struct{ Title, Price, Place, Link string }
	var entries []entry
	for _, h := range hits {
		e := entry{Title: h.Title, Place: h.City + ", " + h.State, Link: s.BaseURL.JoinPath(PostPath(&h.Post)).String()}
		if h.PriceCents != nil {
			e.Price = FormatPrice(*h.PriceCents)
		}
		entries = append(entries, e)
	}
	msg := s.newMessage(a.Email, "New matches: "+a.Label, now)
	unsubscribe := link + "/unsubscribe"
	msg.Headers = map[string]string{
		"List-Unsubscribe":      "<" + unsubscribe + ">",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
	}
	err = s.Mail.Render(&msg, "alert_digest", map[string]any{"SiteName": s.SiteName, "Label": a.Label,
		"Posts": entries, "Manage": link, "Unsubscribe": unsubscribe})
	if err != nil {
		return false, err
	}
	if err := s.Store.FinishAlert(ctx, a.ID, a.LockedUntil, now, now.Add(digestInterval), &msg); err != nil {
		return false, err
	}
	s.mailQueued()
	s.Log.Info("Alert digest queued", "alert_id", a.ID, "posts", len(entries))
	return true, nil
}
