// Package server is Corkboard's HTTP surface: the web pages, the JSON API
// under /api/v1 and the photo files. Handlers parse, call board.Service,
// and render; they hold no business rules.
package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/mail"
	"github.com/corkboard/corkboard/internal/metrics"
)

// Server routes requests to handlers.
type Server struct {
	svc          *board.Service
	log          *slog.Logger
	templates    map[string]*template.Template
	secret       []byte    // HMAC key for form tokens
	outbox       *mail.Dir // non-nil enables the development outbox pages
	limiter      *rateLimiter
	postLimit    RateLimit
	photoBase    string // prefix of photo URLs: "/photos" or a CDN URL
	metrics      *metrics.Metrics
	metricsToken string
	handler      http.Handler

	// trustedProxies are the peers whose X-Forwarded-For entries
	// clientAddr trusts.
	trustedProxies []netip.Prefix
}

// Config lists what New needs.
type Config struct {
	Service *board.Service
	Log     *slog.Logger
	// Outbox, when set, enables /dev/outbox for clients on this machine:
	// a way to read the mail of the embedded default during development.
	Outbox *mail.Dir
	// PostLimit bounds how many posts, and edits that add photos, one
	// client address makes.
	PostLimit RateLimit
	// TrustedProxies are the load balancers and CDN servers in front of
	// this server. Requests from them are counted against the client
	// address they report in X-Forwarded-For. When empty, no proxy is
	// trusted.
	TrustedProxies []netip.Prefix
	// PhotoBaseURL, when set, is the public URL of /photos/, such as a CDN.
	PhotoBaseURL string
	// Metrics, when set, counts requests and serves /metrics to clients on
	// this machine or with MetricsToken as a bearer token.
	Metrics      *metrics.Metrics
	MetricsToken string
}

// New builds the server and parses every template; a broken template
// fails here rather than on a request.
func New(ctx context.Context, c Config) (*Server, error) {
	secret, err := c.Service.Store.Secret(ctx, "form-token", func() []byte {
		b := make([]byte, 32)
		rand.Read(b)
		return b
	})
	if err != nil {
		return nil, err
	}
	s := &Server{
		svc:          c.Service,
		log:          c.Log,
		secret:       secret,
		outbox:       c.Outbox,
		limiter:      newRateLimiter(),
		postLimit:    c.PostLimit,
		photoBase:    "/photos",
		metrics:      c.Metrics,
		metricsToken: c.MetricsToken,

		trustedProxies: c.TrustedProxies,
	}
	if c.PhotoBaseURL != "" {
		s.photoBase = c.PhotoBaseURL
	}
	if s.templates, err = s.parseTemplates(); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// serveMetrics serves Prometheus metrics to a scraper that sends the
// configured token, or, when no token is configured, to requests from this
// machine that name it in the Host header. It hides them from everyone
// else.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	allowed := s.metricsToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.metricsToken)) == 1
	if s.metricsToken == "" && localRequest(r) {
		allowed = true
	}
	if s.metrics == nil || !allowed {
		s.notFound(w, r)
		return
	}
	s.metrics.Handler().ServeHTTP(w, r)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

func (s *Server) routes() http.Handler {
	web := http.NewServeMux()
	web.HandleFunc("GET /{$}", s.home)
	web.HandleFunc("GET /about", s.about)
	web.HandleFunc("GET /go", s.goToZIP)
	web.HandleFunc("GET /new", s.newPostForm)
	web.HandleFunc("POST /new", s.createPost)
	web.HandleFunc("GET /posted", s.posted)
	web.HandleFunc("GET /lost", s.lostForm)
	web.HandleFunc("POST /lost", s.lostSubmit)
	web.HandleFunc("GET /manage/{token}", s.managePage)
	web.HandleFunc("GET /manage/{token}/photo/{key}", s.managePhoto)
	web.HandleFunc("POST /manage/{token}/publish", s.managePublish)
	web.HandleFunc("POST /manage/{token}/edit", s.manageEdit)
	web.HandleFunc("POST /manage/{token}/renew", s.manageRenew)
	web.HandleFunc("POST /manage/{token}/delete", s.manageDelete)
	web.HandleFunc("GET /{region}/{$}", s.regionPage)
	web.HandleFunc("GET /{region}/{category}/{$}", s.categoryPage)
	web.HandleFunc("GET /{region}/{category}/{post}", s.postPage)
	web.HandleFunc("POST /{region}/{category}/{post}/reply", s.replyToPost)
	web.HandleFunc("GET /feeds/{region}/{feed}", s.feed)
	web.HandleFunc("POST /alerts", s.createAlert)
	web.HandleFunc("GET /alerts/sent", s.alertSent)
	web.HandleFunc("GET /alerts/{id}/{sig}", s.alertPage)
	web.HandleFunc("GET /alerts/{id}/{sig}/unsubscribe", s.alertPage)
	web.HandleFunc("POST /alerts/{id}/{sig}/confirm", s.alertConfirm)
	web.HandleFunc("POST /alerts/{id}/{sig}/unsubscribe", s.alertUnsubscribe)
	web.HandleFunc("GET /static/{file}", s.static)
	web.HandleFunc("GET /photos/{key}", s.photo)
	web.HandleFunc("GET /healthz", s.healthz)
	web.HandleFunc("GET /readyz", s.readyz)
	web.HandleFunc("GET /metrics", s.serveMetrics)
	web.HandleFunc("GET /robots.txt", s.robots)
	web.HandleFunc("GET /sitemap.xml", s.sitemapIndexHandler)
	web.HandleFunc("GET /sitemaps/{file}", s.sitemapFile)
	web.HandleFunc("GET /dev/outbox", s.outboxList)
	web.HandleFunc("GET /dev/outbox/{name}", s.outboxMessage)
	web.HandleFunc("/", s.notFound)

	api := http.NewServeMux()
	api.HandleFunc("POST /api/v1/posts", s.apiCreatePost)
	api.HandleFunc("GET /api/v1/posts", s.apiListPosts)
	api.HandleFunc("GET /api/v1/posts/{id}", s.apiGetPost)
	api.HandleFunc("GET /api/v1/regions", s.apiRegions)
	api.HandleFunc("GET /api/v1/categories", s.apiCategories)
	api.HandleFunc("GET /api/v1/zip/{zip}", s.apiZIP)
	api.HandleFunc("GET /api/v1/manage", s.apiManageGet)
	api.HandleFunc("POST /api/v1/manage/publish", s.apiManagePublish)
	api.HandleFunc("PATCH /api/v1/manage", s.apiManageEdit)
	api.HandleFunc("POST /api/v1/manage/renew", s.apiManageRenew)
	api.HandleFunc("DELETE /api/v1/manage", s.apiManageDelete)
	api.HandleFunc("/api/", s.apiNotFound)

	// Browsers send Sec-Fetch-Site or Origin with every form post; a post
	// from another site is rejected before any handler runs. This covers
	// the API too, so no page elsewhere can make its visitors' browsers
	// create posts; programs that send neither header are not affected.
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.error(w, r, board.Errorf(board.Invalid, "This form was sent from another site. Go back, reload the page and try again."))
	}))

	root := http.NewServeMux()
	root.Handle("/api/", csrf.Handler(api))
	root.Handle("/", csrf.Handler(web))
	return s.recoverPanics(s.logRequests(securityHeaders(s.limitBodies(s.readYourWrites(root)))))
}
