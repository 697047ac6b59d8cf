package app

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// FlagGroup is a set of related settings. A command registers the groups
// it reads, so its -h lists only flags that change what it does.
type FlagGroup uint

const (
	DataFlags       FlagGroup = 1 << iota // --data
	DatabaseFlags                         // CORKBOARD_DATABASE_URL
	MigrationFlags                        // --no-migrate
	ReplicaFlags                          // CORKBOARD_DATABASE_REPLICA_URLS, --replica-max-lag
	CategoryFlags                         // --categories
	SearchFlags                           // --nearby-miles
	CacheFlags                            // CORKBOARD_REDIS_URL
	MailFlags                             // --base-url, --mail-from, CORKBOARD_SMTP_URL
	PhotoStoreFlags                       // --s3-*, CORKBOARD_S3_ACCESS_KEY and _SECRET_KEY
	PhotoFlags                            // --photo-max-megapixels, --photo-max-mb, --photo-workers
	ServerFlags                           // --addr, --trusted-proxies, --post-*, --dev-outbox, --photo-base-url, CORKBOARD_METRICS_TOKEN
	LogFlags                              // --log-format

	AllFlags = DataFlags | DatabaseFlags | MigrationFlags | ReplicaFlags | CategoryFlags | SearchFlags |
		CacheFlags | MailFlags | PhotoStoreFlags | PhotoFlags | ServerFlags | LogFlags
)

// envOnly lists the settings read from the environment only, in the
// order help prints them.
var envOnly = []struct {
	group FlagGroup
	name  string
	help  string
}{
	{DatabaseFlags, "CORKBOARD_DATABASE_URL", "postgres:// URL that stores everything in PostgreSQL instead of the SQLite file in --data"},
	{ReplicaFlags, "CORKBOARD_DATABASE_REPLICA_URLS", "comma-separated postgres:// URLs of streaming replicas for reads; needs CORKBOARD_DATABASE_URL"},
	{CacheFlags, "CORKBOARD_REDIS_URL", "redis:// or rediss:// URL of a cache shared between app servers; default an in-process cache"},
	{MailFlags, "CORKBOARD_SMTP_URL", "smtp:// (STARTTLS) or smtps:// URL of the mail server; default .eml files in DATA/outbox"},
	{PhotoStoreFlags, "CORKBOARD_S3_ACCESS_KEY", "access key for --s3-endpoint"},
	{PhotoStoreFlags, "CORKBOARD_S3_SECRET_KEY", "secret key for --s3-endpoint"},
	{ServerFlags, "CORKBOARD_METRICS_TOKEN", "bearer token that lets a scraper read /metrics from another machine; default this machine only"},
}

// envOnlyHeading explains why some settings have no flag.
const envOnlyHeading = "Environment only, because these hold secrets or URLs with passwords, which a flag would show in the process list:"

// RegisterFlags defines the flags of groups on fs, with CORKBOARD_*
// environment variables as defaults. Settings of the other groups still
// take their environment value or default. So Validate checks a complete
// Config, and a deployment can share one environment between commands.
func (c *Config) RegisterFlags(fs *flag.FlagSet, groups FlagGroup) {
	unused := flag.NewFlagSet("unused", flag.ContinueOnError)
	flagsOf := func(g FlagGroup) *flag.FlagSet {
		if groups&g != 0 {
			return fs
		}
		return unused
	}

	c.registerStorage(flagsOf)
	c.registerBoard(flagsOf)
	c.registerMail(flagsOf(MailFlags))
	c.registerPhotos(flagsOf)
	c.registerServer(flagsOf(ServerFlags))
	flagsOf(LogFlags).StringVar(&c.LogFormat, "log-format", env("LOG_FORMAT", "text"), "log format: text or json (env CORKBOARD_LOG_FORMAT)")
	c.readEnvOnly()
}

func (c *Config) registerStorage(flagsOf func(FlagGroup) *flag.FlagSet) {
	flagsOf(DataFlags).StringVar(&c.Data, "data", env("DATA", "./data"), "folder for the database, photos and outbox (env CORKBOARD_DATA)")
	flagsOf(MigrationFlags).BoolVar(&c.NoMigrate, "no-migrate", envBool("NO_MIGRATE"), "do not apply PostgreSQL migrations at start; run corkboard migrate instead (env CORKBOARD_NO_MIGRATE)")
	flagsOf(ReplicaFlags).DurationVar(&c.ReplicaMaxLag, "replica-max-lag", envDuration("REPLICA_MAX_LAG", 5*time.Second), "a read replica further behind than this is not used; more than 0 and at most 8s (env CORKBOARD_REPLICA_MAX_LAG)")
}

func (c *Config) registerBoard(flagsOf func(FlagGroup) *flag.FlagSet) {
	flagsOf(CategoryFlags).StringVar(&c.Categories, "categories", env("CATEGORIES", ""), "JSON file that replaces the built-in categories (env CORKBOARD_CATEGORIES)")
	flagsOf(SearchFlags).IntVar(&c.Nearby, "nearby-miles", envInt("NEARBY_MILES", 100), "regions whose centres lie within this many miles are nearby; 1 to 1000 (env CORKBOARD_NEARBY_MILES)")
}

func (c *Config) registerMail(fs *flag.FlagSet) {
	fs.StringVar(&c.BaseURL, "base-url", env("BASE_URL", ""), "public URL of the site, used in emailed links; default http://ADDR, where ADDR is --addr or CORKBOARD_ADDR (env CORKBOARD_BASE_URL)")
	fs.StringVar(&c.MailFrom, "mail-from", env("MAIL_FROM", ""), "sender address of emails; default corkboard@HOST of the base URL, or corkboard@localhost.localdomain when HOST is localhost or an IP address (env CORKBOARD_MAIL_FROM)")
}

func (c *Config) registerPhotos(flagsOf func(FlagGroup) *flag.FlagSet) {
	limits := flagsOf(PhotoFlags)
	limits.IntVar(&c.PhotoMaxMP, "photo-max-megapixels", envInt("PHOTO_MAX_MEGAPIXELS", 50), "largest photo accepted, in megapixels, checked before decoding; 1 to 200 (env CORKBOARD_PHOTO_MAX_MEGAPIXELS)")
	limits.IntVar(&c.PhotoMaxMB, "photo-max-mb", envInt("PHOTO_MAX_MB", 20), "largest photo file accepted, in MB; 1 to 100 (env CORKBOARD_PHOTO_MAX_MB)")
	limits.IntVar(&c.PhotoWorkers, "photo-workers", envInt("PHOTO_WORKERS", 2), "photos decoded at once; a burst beyond waits, then gets 503; 1 to 64 (env CORKBOARD_PHOTO_WORKERS)")

	s3 := flagsOf(PhotoStoreFlags)
	s3.StringVar(&c.S3.Endpoint, "s3-endpoint", env("S3_ENDPOINT", ""), "S3-compatible endpoint, host:port; when set, photos are stored there (env CORKBOARD_S3_ENDPOINT)")
	s3.StringVar(&c.S3.Bucket, "s3-bucket", env("S3_BUCKET", ""), "S3 bucket for photos (env CORKBOARD_S3_BUCKET)")
	s3.StringVar(&c.S3.Region, "s3-region", env("S3_REGION", ""), "S3 region; optional (env CORKBOARD_S3_REGION)")
	s3.StringVar(&c.S3.Prefix, "s3-prefix", env("S3_PREFIX", ""), "key prefix inside the bucket, like photos/ (env CORKBOARD_S3_PREFIX)")
	s3.BoolVar(&c.S3.UseTLS, "s3-tls", envBoolDefault("S3_TLS", true), "use HTTPS for S3 (env CORKBOARD_S3_TLS)")
	s3.BoolVar(&c.S3.PathStyle, "s3-path-style", envBool("S3_PATH_STYLE"), "path-style S3 URLs, as MinIO and most self-hosted servers need (env CORKBOARD_S3_PATH_STYLE)")
	s3.BoolVar(&c.S3.CreateBucket, "s3-create-bucket", envBool("S3_CREATE_BUCKET"), "create the bucket when it is missing (env CORKBOARD_S3_CREATE_BUCKET)")
}

func (c *Config) registerServer(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", env("ADDR", "localhost:8080"), "listen address, host:port (env CORKBOARD_ADDR)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", env("TRUSTED_PROXIES", ""), "comma-separated IP addresses and CIDR ranges of proxies whose X-Forwarded-For names the client, like 10.0.0.0/8,127.0.0.1; default none (env CORKBOARD_TRUSTED_PROXIES)")
	fs.IntVar(&c.PostBurst, "post-burst", envInt("POST_BURST", 10), "posts one client address may create at once, at least 1; edits that add photos count as posts (env CORKBOARD_POST_BURST)")
	fs.IntVar(&c.PostRate, "post-rate", envInt("POST_RATE", 60), "posts per hour one client address may create after the burst, at least 1; edits that add photos count (env CORKBOARD_POST_RATE)")
	fs.BoolVar(&c.DevOutbox, "dev-outbox", envBool("DEV_OUTBOX"), "show the outbox folder's emails at /dev/outbox to browsers on this machine; for development only (env CORKBOARD_DEV_OUTBOX)")
	fs.StringVar(&c.PhotoBaseURL, "photo-base-url", env("PHOTO_BASE_URL", ""), "public URL of the photos, for a CDN in front of BASE-URL/photos/ (env CORKBOARD_PHOTO_BASE_URL)")
}

// readEnvOnly reads the settings that have no flag: see envOnly.
func (c *Config) readEnvOnly() {
	c.DatabaseURL = os.Getenv("CORKBOARD_DATABASE_URL")
	c.ReplicaURLs = nil
	for _, u := range strings.Split(os.Getenv("CORKBOARD_DATABASE_REPLICA_URLS"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			c.ReplicaURLs = append(c.ReplicaURLs, u)
		}
	}
	c.RedisURL = os.Getenv("CORKBOARD_REDIS_URL")
	c.SMTPURL = os.Getenv("CORKBOARD_SMTP_URL")
	c.S3.AccessKey, c.S3.SecretKey = os.Getenv("CORKBOARD_S3_ACCESS_KEY"), os.Getenv("CORKBOARD_S3_SECRET_KEY")
	c.MetricsToken = os.Getenv("CORKBOARD_METRICS_TOKEN")
}

// printEnvOnly writes the environment-only settings of groups to w, one
// line each, and nothing when groups has none.
func printEnvOnly(w io.Writer, groups FlagGroup) {
	var lines []string
	for _, v := range envOnly {
		if groups&v.group != 0 {
			lines = append(lines, fmt.Sprintf("  %s\n    \t%s\n", v.name, v.help))
		}
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w, envOnlyHeading)
	fmt.Fprint(w, strings.Join(lines, ""))
}
