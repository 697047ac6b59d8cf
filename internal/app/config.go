// Package app wires Corkboard's parts together from one typed Config and
// runs them: the web server and the background worker.
package app

import (
	"fmt"
	"github.com/corkboard/corkboard/internal/blobs"
	cbmail "github.com/corkboard/corkboard/internal/mail"
	"github.com/corkboard/corkboard/internal/server"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is every setting, read from flags with CORKBOARD_* environment
// variables as defaults.
type Config struct {
	Addr       string // listen address
	Data       string // folder for the SQLite file, photos and the outbox
	BaseURL    string // public URL used in emailed links; derived from Addr when empty
	Categories string // optional JSON file that replaces the built-in taxonomy
	MailFrom   string // sender address of every message
	LogFormat  string // "text" or "json"
	PostBurst  int    // posts one client address may create at once
	PostRate   int    // posts one client address may create per hour after the burst
	Nearby     int    // miles between region centres for regions to count as nearby
	DevOutbox  bool   // serve /dev/outbox to browsers on this machine

	// TrustedProxies lists the load balancers and CDN servers in front of
	// the app, as comma-separated IP addresses and CIDR ranges. Requests
	// from them count against the client address in X-Forwarded-For.
	// Validate parses it into trustedProxies.
	TrustedProxies string
	trustedProxies []netip.Prefix

	// MetricsToken, when set, lets a scraper with this bearer token read
	// /metrics from anywhere; without it only this machine can.
	MetricsToken string

	// RedisURL selects a shared Redis cache (redis:// or rediss://);
	// empty keeps the in-process cache.
	RedisURL string

	// SMTPURL selects delivery through a mail server (smtp:// with
	// STARTTLS, smtps:// with TLS); empty writes .eml files to Data/outbox.
	SMTPURL string

	// ReplicaURLs are PostgreSQL streaming replicas for page and API
	// reads; ReplicaMaxLag takes a replica out of rotation.
	ReplicaURLs   []string
	ReplicaMaxLag time.Duration

	// NoMigrate starts without applying migrations (PostgreSQL), when a
	// deployment runs "corkboard migrate" first.
	NoMigrate bool

	// DatabaseURL selects PostgreSQL (postgres://...); empty keeps the
	// SQLite file in Data.
	DatabaseURL string

	PhotoMaxMP   int // megapixels a photo may have, read from its header before decoding
	PhotoMaxMB   int // megabytes a photo file may have
	PhotoWorkers int // photos decoded at once; more wait, then get 503

	// S3 selects S3-compatible object storage for photos when its
	// Endpoint is set; otherwise photos live in Data/photos.
	S3 blobs.S3Config
	// PhotoBaseURL, when set, replaces {base-url}/photos in photo URLs,
	// for a CDN whose origin is this server's /photos/ path.
	PhotoBaseURL string
}

// env returns the value of a CORKBOARD_ variable or a default.
func env(name, fallback string) string {
	if v, ok := os.LookupEnv("CORKBOARD_" + name); ok {
		return v
	}
	return fallback
}

// envInt returns the integer value of a CORKBOARD_ variable, or fallback
// when it is unset or not a number; Validate then reports a bad value.
func envInt(name string, fallback int) int {
	v, ok := os.LookupEnv("CORKBOARD_" + name)
	if !ok {
		return fallback
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return n
}

// envDuration reads a CORKBOARD_ variable such as 5s, or fallback.
func envDuration(name string, fallback time.Duration) time.Duration {
	v, ok := os.LookupEnv("CORKBOARD_" + name)
	if !ok {
		return fallback
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return -1
	}
	return d
}

// envBool reports whether a CORKBOARD_ variable is set to a true value.
func envBool(name string) bool {
	v, _ := strconv.ParseBool(os.Getenv("CORKBOARD_" + name))
	return v
}

// envBoolDefault reads a boolean CORKBOARD_ variable, or fallback when unset.
func envBoolDefault(name string, fallback bool) bool {
	v, ok := os.LookupEnv("CORKBOARD_" + name)
	if !ok {
		return fallback
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fallback
	}
	return b
}

// Validate checks every setting and fills derived defaults. Errors name
// the setting.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("--addr (CORKBOARD_ADDR) %q: want host:port, like localhost:8080", c.Addr)
	}
	if c.Data == "" {
		return fmt.Errorf("--data (CORKBOARD_DATA) must not be empty")
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			return fmt.Errorf("--base-url (CORKBOARD_BASE_URL) %q: want an absolute http or https URL, like https://corkboard.example", c.BaseURL)
		}
		c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
	}
	if c.MailFrom != "" {
		if _, err := mail.ParseAddress(c.MailFrom); err != nil {
			return fmt.Errorf("--mail-from (CORKBOARD_MAIL_FROM) %q: want an email address", c.MailFrom)
		}
	}
	if c.PostBurst < 1 {
		return fmt.Errorf("--post-burst (CORKBOARD_POST_BURST) must be a whole number of at least 1")
	}
	if c.PostRate < 1 {
		return fmt.Errorf("--post-rate (CORKBOARD_POST_RATE) must be a whole number of at least 1 per hour")
	}
	if c.Nearby < 1 || c.Nearby > 1000 {
		return fmt.Errorf("--nearby-miles (CORKBOARD_NEARBY_MILES) must be a whole number from 1 to 1000")
	}
	proxies, err := server.ParseTrustedProxies(c.TrustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies (CORKBOARD_TRUSTED_PROXIES): %w", err)
	}
	c.trustedProxies = proxies
	if len(c.ReplicaURLs) > 0 && c.DatabaseURL == "" {
		return fmt.Errorf("CORKBOARD_DATABASE_REPLICA_URLS needs CORKBOARD_DATABASE_URL: replicas serve PostgreSQL")
	}
	// The read-your-writes window must outlast the lag a replica in
	// rotation may have, plus the time until its health check notices.
	if c.ReplicaMaxLag <= 0 || c.ReplicaMaxLag > 8*time.Second {
		return fmt.Errorf("--replica-max-lag (CORKBOARD_REPLICA_MAX_LAG) %s: want more than 0 and at most 8s, below the 10 s read-your-writes window", c.ReplicaMaxLag)
	}
	if c.SMTPURL != "" {
		if _, err := cbmail.NewSMTP(c.SMTPURL); err != nil {
			return err // the message names CORKBOARD_SMTP_URL and hides the password
		}
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return fmt.Errorf("CORKBOARD_DATABASE_URL: want a postgres:// URL")
	}
	switch {
	case c.PhotoMaxMP < 1 || c.PhotoMaxMP > 200:
		return fmt.Errorf("--photo-max-megapixels (CORKBOARD_PHOTO_MAX_MEGAPIXELS) must be a whole number from 1 to 200")
	case c.PhotoMaxMB < 1 || c.PhotoMaxMB > 100:
		return fmt.Errorf("--photo-max-mb (CORKBOARD_PHOTO_MAX_MB) must be a whole number from 1 to 100")
	case c.PhotoWorkers < 1 || c.PhotoWorkers > 64:
		return fmt.Errorf("--photo-workers (CORKBOARD_PHOTO_WORKERS) must be a whole number from 1 to 64")
	}
	if c.S3.Endpoint != "" {
		if err := c.S3.Validate(); err != nil {
			return fmt.Errorf("photo storage (CORKBOARD_S3_*): %w", err)
		}
	}
	if c.PhotoBaseURL != "" {
		u, err := url.Parse(c.PhotoBaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--photo-base-url (CORKBOARD_PHOTO_BASE_URL) %q: want an absolute http or https URL", c.PhotoBaseURL)
		}
		c.PhotoBaseURL = strings.TrimSuffix(c.PhotoBaseURL, "/")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("--log-format (CORKBOARD_LOG_FORMAT) %q: want text or json", c.LogFormat)
	}
	return nil
}

// baseURLFor returns the configured base URL, or one derived from the
// address the server actually listens on.
func (c *Config) baseURLFor(listenAddr string) (*url.URL, error) {
	if c.BaseURL != "" {
		return url.Parse(c.BaseURL)
	}
	// The host people typed (such as localhost) with the port actually
	// bound, which differs from the configured one for port 0.
	host, _, _ := net.SplitHostPort(c.Addr)
	_, port, _ := net.SplitHostPort(listenAddr)
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return url.Parse("http://" + net.JoinHostPort(host, port))
}
