package board

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Page is one page of a post list.
type Page struct {
	Posts []Post
	Next  string // cursor of the next page, empty on the last page
}

// MaxPageSize bounds the posts of one list page.
const MaxPageSize = 100

// ListPosts returns one page of live posts, newest first. cursor is the
// Next value of the previous page. Errors: Invalid for a bad cursor or
// limit, NotFound for an unknown region or category.
func (s *Service) ListPosts(ctx context.Context, region, category, cursor string, limit int) (Page, error) {
	if region != "" {
		if _, ok := s.Places.Region(region); !ok {
			return Page{}, Errorf(NotFound, "Region %q was not found.", region)
		}
	}
	if category != "" {
		if _, ok := s.Categories.Category(category); !ok {
			return Page{}, Errorf(NotFound, "Category %q was not found.", category)
		}
	}
	if limit < 1 || limit > MaxPageSize {
		return Page{}, &Error{Code: Invalid, Message: fmt.Sprintf("limit must be between 1 and %d.", MaxPageSize),
			Fields: map[string]string{"limit": fmt.Sprintf("Must be between 1 and %d.", MaxPageSize)}}
	}
	after, err := DecodeCursor(cursor)
	if err != nil {
		return Page{}, err
	}
	now := s.now()

	// Only first pages are cached: they take most of the traffic, and a
	// cursor in the key would let anyone fill the cache with made-up pages.
	key := fmt.Sprintf("list:%s:%s:%d", region, category, limit)
	var page Page
	if cursor == "" {
		if cached, ok := s.Cache.Get(ctx, key); ok && json.Unmarshal(cached, &page) == nil && !anyExpired(page.Posts, now) {
			return page, nil
		}
	}

	// One extra row shows whether a next page exists. Concurrent misses
	// of the same first page share one query.
	q := ListQuery{Region: region, Category: category, After: after, Limit: limit + 1, Now: now}
	fill := ctx
	if cursor == "" {
		fill = WithPrimary(ctx) // the result goes into the cache
	}
	result, err := s.shareQuery(fill, key+":"+cursor, func(ctx context.Context) (any, error) { return s.Store.ListPosts(ctx, q) })
	if err != nil {
		return Page{}, internal("list posts", err)
	}
	posts := result.([]Post)
	page = Page{Posts: posts}
	if len(posts) > limit {
		page.Posts = posts[:limit]
		last := page.Posts[limit-1]
		page.Next = EncodeCursor(Cursor{BumpedAt: last.BumpedAt, ID: last.ID})
	}
	if data, err := json.Marshal(page); err == nil && cursor == "" {
		// A list of all regions changes with any post; a region's list with
		// that region's posts only.
		tag := "all"
		if region != "" {
			tag = "region:" + region
		}
		s.Cache.Set(ctx, key, data, time.Minute, tag)
	}
	return page, nil
}

// sharedQueryTimeout bounds a query that shareQuery runs for several
// callers. List and count queries take milliseconds, so this only ends a
// query that a stuck database would keep running.
const sharedQueryTimeout = 10 * time.Second

// shareQuery runs query once for all concurrent callers with the same key.
// The query runs on a context that keeps ctx's values but not its
// cancellation, because it serves callers other than the first. Each
// caller stops waiting when its own ctx ends and then returns ctx.Err().
func (s *Service) shareQuery(ctx context.Context, key string, query func(ctx context.Context) (any, error)) (any, error) {
	// A caller who must read its own writes may not wait for a query that
	// runs on a replica, so the two kinds of caller share separately.
	if PrimaryRequested(ctx) {
		key += ":primary"
	}
	done := s.flight.DoChan(key, func() (any, error) {
		shared, cancel := context.WithTimeout(context.WithoutCancel(ctx), sharedQueryTimeout)
		defer cancel()
		return query(shared)
	})
	select {
	case res := <-done:
		return res.Val, res.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func anyExpired(posts []Post, now time.Time) bool {
	for i := range posts {
		if posts[i].StatusAt(now) != Active {
			return true
		}
	}
	return false
}

// RegionCounts returns the number of live posts per category in a region.
func (s *Service) RegionCounts(ctx context.Context, region string) (map[string]int, error) {
	now := s.now()
	key := "counts:" + region
	var cached struct {
		Counts     map[string]int
		ValidUntil time.Time
	}
	if data, ok := s.Cache.Get(ctx, key); ok && json.Unmarshal(data, &cached) == nil && now.Before(cached.ValidUntil) {
		return cached.Counts, nil
	}
	type countResult struct {
		counts map[string]int
		next   time.Time
	}
	result, err := s.shareQuery(WithPrimary(ctx), key, func(ctx context.Context) (any, error) {
		counts, next, err := s.Store.CountPosts(ctx, region, now)
		return countResult{counts, next}, err
	})
	if err != nil {
		return nil, internal("count posts", err)
	}
	counts, nextExpiry := result.(countResult).counts, result.(countResult).next
	cached.Counts, cached.ValidUntil = counts, now.Add(time.Minute)
	if !nextExpiry.IsZero() && nextExpiry.Before(cached.ValidUntil) {
		cached.ValidUntil = nextExpiry
	}
	if data, err := json.Marshal(cached); err == nil {
		s.Cache.Set(ctx, key, data, time.Minute, "region:"+region)
	}
	return counts, nil
}

// PublicPost returns a post as shown to everyone, from the cache when it
// is there; the cached copy has no email address. Errors: NotFound for an
// unknown or pending post, Gone for a deleted or expired one. With Gone
// comes a Post with only ID, Status, Region and Category set, so that its
// page can link to the lists it was in.
func (s *Service) PublicPost(ctx context.Context, id string) (*Post, error) {
	if !ValidPostID(id) {
		return nil, ErrNotFound
	}
	now := s.now()
	key := "post:" + id
	var p *Post
	if data, ok := s.Cache.Get(ctx, key); ok && json.Unmarshal(data, &p) == nil && p != nil {
		if err := publicStatus(p, now); err != nil {
			return goneListing(p, now, err)
		}
		return p, nil
	}

	// A miss reads the primary, so a lagging replica never fills the
	// cache with an old version.
	p, err := s.Store.Post(WithPrimary(ctx), id)
	if err != nil {
		return nil, internal("load post", err)
	}
	if err := publicStatus(p, now); err != nil {
		return goneListing(p, now, err)
	}
	public := *p
	public.Email = ""
	if data, err := json.Marshal(public); err == nil {
		s.Cache.Set(ctx, key, data, time.Minute, key, "region:"+p.Region)
	}
	return &public, nil
}

// livePost loads a post from the store, without the cache, with its email
// address. Errors as PublicPost.
func (s *Service) livePost(ctx context.Context, id string) (*Post, error) {
	if !ValidPostID(id) {
		return nil, ErrNotFound
	}
	p, err := s.Store.Post(WithPrimary(ctx), id)
	if err != nil {
		return nil, internal("load post", err)
	}
	return p, publicStatus(p, s.now())
}

// publicStatus returns the error for a post the public may not see at now.
func publicStatus(p *Post, now time.Time) error {
	switch p.StatusAt(now) {
	case Pending:
		return ErrNotFound
	case Deleted:
		return Errorf(Gone, "This post was deleted by its author.")
	case Expired:
		return Errorf(Gone, "This post has expired.")
	}
	return nil
}

// goneListing returns, with err, where a post was listed when err is Gone.
// For any other error it returns no post, because a pending post is
// secret.
func goneListing(p *Post, now time.Time, err error) (*Post, error) {
	if ErrorCode(err) != Gone {
		return nil, err
	}
	return &Post{ID: p.ID, Status: p.StatusAt(now), Region: p.Region, Category: p.Category}, err
}

// PhotoServable reports whether a stored photo may be served to everyone:
// it belongs to a live post. Photos of pending posts are shown only on
// their manage page.
func (s *Service) PhotoServable(ctx context.Context, key string) (bool, error) {
	return s.Store.ImagePublic(ctx, key, s.now())
}

// EncodeCursor returns an opaque string for a keyset position.
func EncodeCursor(c Cursor) string {
	raw := strconv.FormatInt(c.BumpedAt.UnixMicro(), 10) + "." + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeCursor parses a cursor made by EncodeCursor; "" is the first page.
func DecodeCursor(s string) (*Cursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := &Error{Code: Invalid, Message: "The cursor is invalid. Start again from the first page.",
		Fields: map[string]string{"cursor": "Invalid cursor. Start again from the first page."}}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	micros, id, ok := strings.Cut(string(raw), ".")
	if !ok || !ValidPostID(id) {
		return nil, bad
	}
	n, err := strconv.ParseInt(micros, 10, 64)
	if err != nil || n <= 0 {
		return nil, bad
	}
	return &Cursor{BumpedAt: time.UnixMicro(n).UTC(), ID: id}, nil
}
