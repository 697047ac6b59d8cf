package cache

// Invalidation design. The board.Cache interface passes tags to Set but
// not to Get, so per-tag version counters folded into the key would need a
// second lookup on every Get. Instead each tag has a Redis set of the keys
// written under it, and Set and Invalidate are Lua scripts: Set writes the
// entry and adds it to its tag sets, Invalidate deletes the members of the
// tag sets. A script runs atomically, so a Set cannot interleave with an
// Invalidate of the same tag and leave an entry that the tag set does not
// list.
//
// Atomicity does not stop a Set that carries data read from the database
// before a change and arrives after that change's Invalidate. Invalidate
// therefore leaves a hold-down marker per tag for RedisOptions.HoldDown,
// and Set drops writes under a held tag. A stale entry can still be cached
// if the caller read the database more than HoldDown before its Set, and
// it then lives until its ttl ends.
//
// Every entry key contains a global generation number that the scripts
// read from Redis. When an Invalidate fails (Redis down, slow or
// unreachable from this server), this server's *Redis records that. Its
// first call that reaches Redis again increments the generation before
// anything else, so all app servers ignore every entry written before the
// outage. Between the failed Invalidate and that increment, other
// servers that still reach Redis can serve the stale entries, for at most
// the entries' ttl. The record lives in process memory, so if this server
// exits before Redis comes back, the stale entries also last until their
// ttl ends.
//
// The scripts build key names inside Lua, so they run on a single Redis
// server (or a primary behind Sentinel) and not on Redis Cluster.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"

	"github.com/corkboard/corkboard/internal/board"
)

// RedisOptions tunes a Redis cache. Zero fields take the defaults noted.
type RedisOptions struct {
	// Prefix starts every key the cache writes. Default "corkboard:cache:".
	Prefix string

	// DialTimeout, ReadTimeout and WriteTimeout bound each network step.
	// They are short because a slow cache is worse than none. Default
	// 150 ms each.
	DialTimeout  time.Duration
	ReadTimeout  time.Duration
	WriteTimeout time.Duration

	// FailureThreshold is the number of consecutive failed calls that
	// opens the circuit breaker. Default 3.
	FailureThreshold int
	// Backoff is how long an open breaker skips Redis before one call
	// probes it again. Default 5 s.
	Backoff time.Duration

	// HoldDown is how long Set rejects entries under a tag after that tag
	// is invalidated, so that data read before a change is not cached
	// after it. Default 2 s.
	HoldDown time.Duration

	// MaxValueBytes is the largest value Set stores. Default 1 MiB.
	MaxValueBytes int

	// Logger receives errors and recovery messages. Default slog.Default().
	Logger *slog.Logger
	// LogInterval is the minimum time between two error or warning logs.
	// The next log reports how many messages were dropped in between.
	// Default 1 minute.
	LogInterval time.Duration
}

func (o *RedisOptions) setDefaults() {
	if o.Prefix == "" {
		o.Prefix = "corkboard:cache:"
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 150 * time.Millisecond
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 150 * time.Millisecond
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 150 * time.Millisecond
	}
	if o.FailureThreshold <= 0 {
		o.FailureThreshold = 3
	}
	if o.Backoff <= 0 {
		o.Backoff = 5 * time.Second
	}
	if o.HoldDown <= 0 {
		o.HoldDown = 2 * time.Second
	}
	if o.MaxValueBytes <= 0 {
		o.MaxValueBytes = 1 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.LogInterval <= 0 {
		o.LogInterval = time.Minute
	}
}

// Redis is a board.Cache shared by every app server that points at the
// same Redis. Its methods never return errors: when Redis fails, Get
// misses and Set and Invalidate do nothing.
type Redis struct {
	client *redis.Client
	opts   RedisOptions

	mu               sync.Mutex
	failures         int       // consecutive failed calls
	openUntil        time.Time // breaker skips Redis until then
	probing          bool      // one call is testing Redis after the backoff
	missedInvalidate bool      // the generation must be bumped before the next call
	lastLog          time.Time
	droppedLogs      int  // messages not logged since lastLog
	errorLogged      bool // an error was logged since the last successful call
	now              func() time.Time
}

var _ board.Cache = (*Redis)(nil)

// errBreakerOpen is returned by do while the breaker skips Redis.
var errBreakerOpen = errors.New("redis cache: circuit breaker open")

// NewRedis connects to the redis:// or rediss:// URL. It returns an error
// only for an invalid URL. If Redis does not reply to PING, it logs that
// and returns a cache that degrades until Redis comes up.
func NewRedis(ctx context.Context, rawURL string, opts RedisOptions) (*Redis, error) {
	opts.setDefaults()
	parsed, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("invalid redis cache URL: %w", err)
	}
	parsed.DialTimeout = opts.DialTimeout
	parsed.ReadTimeout = opts.ReadTimeout
	parsed.WriteTimeout = opts.WriteTimeout
	// A wait for a free connection must not outlast a network step.
	parsed.PoolTimeout = opts.ReadTimeout
	// Retries would multiply the time a failing call takes, so the breaker
	// handles repeated failures instead.
	parsed.MaxRetries = -1
	// go-redis v9.23 otherwise dials 5 times, 100 ms apart, before a
	// command fails.
	parsed.DialerRetries = 1
	parsed.ContextTimeoutEnabled = true

	r := &Redis{client: redis.NewClient(parsed), opts: opts, now: time.Now}
	if err := r.client.Ping(ctx).Err(); err != nil {
		r.failed(err)
	}
	// NOTE: go-redis also logs each failed dial through its own
	// process-wide logger, without rate limiting. Only the program can
	// replace that logger, with redis.SetLogger.
	return r, nil
}

// Close closes the connections to Redis.
func (r *Redis) Close() error {
	return r.client.Close()
}

// Lua scripts. KEYS are not declared because the entry key depends on the
// generation read inside the script, which rules out Redis Cluster.
var (
	// ARGV: prefix, key.
	getScript = redis.NewScript(`
local gen = redis.call('GET', ARGV[1] .. 'gen') or '0'
return redis.call('GET', ARGV[1] .. 'e:' .. gen .. ':' .. ARGV[2])
`)

	// ARGV: prefix, key, value, ttl in ms, tags...
	// A tag set lives as long as its longest-lived entry and keeps the
	// names of expired entries until then, which is cheap because the
	// service caches a bounded set of keys (first pages and counts).
	// Returns 1 when stored, 0 when a hold-down refused it.
	setScript = redis.NewScript(`
local p = ARGV[1]
if redis.call('EXISTS', p .. 'hold') == 1 then return 0 end
for i = 5, #ARGV do
  if redis.call('EXISTS', p .. 'hold:' .. ARGV[i]) == 1 then return 0 end
end
local gen = redis.call('GET', p .. 'gen') or '0'
local key = p .. 'e:' .. gen .. ':' .. ARGV[2]
local ttl = tonumber(ARGV[4])
redis.call('SET', key, ARGV[3], 'PX', ttl)
for i = 5, #ARGV do
  local tag = p .. 'tag:' .. ARGV[i]
  redis.call('SADD', tag, key)
  if redis.call('PTTL', tag) < ttl then redis.call('PEXPIRE', tag, ttl) end
end
return 1
`)

	// ARGV: prefix, hold-down in ms, tags...
	invalidateScript = redis.NewScript(`
local p = ARGV[1]
for i = 3, #ARGV do
  local tag = p .. 'tag:' .. ARGV[i]
  local keys = redis.call('SMEMBERS', tag)
  for j = 1, #keys, 500 do
    redis.call('DEL', unpack(keys, j, math.min(j + 499, #keys)))
  end
  redis.call('DEL', tag)
  redis.call('SET', p .. 'hold:' .. ARGV[i], '1', 'PX', ARGV[2])
end
return 1
`)

	// ARGV: prefix, hold-down in ms. The global hold-down keeps out data
	// that other servers read before the missed change.
	bumpScript = redis.NewScript(`
redis.call('SET', ARGV[1] .. 'hold', '1', 'PX', ARGV[2])
return redis.call('INCR', ARGV[1] .. 'gen')
`)
)

// Get returns the value under key, or a miss when it is absent or Redis
// fails.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, bool) {
	var value []byte
	err := r.do(ctx, func(ctx context.Context) error {
		v, err := getScript.Run(ctx, r.client, nil, r.opts.Prefix, key).Text()
		if errors.Is(err, redis.Nil) {
			return nil
		}
		value = []byte(v)
		return err
	})
	if err != nil || value == nil {
		return nil, false
	}
	return value, true
}

// Set stores value under key for ttl, grouped under tags. It stores
// nothing when Redis fails, when value is larger than MaxValueBytes, or
// when one of tags was invalidated less than HoldDown ago.
func (r *Redis) Set(ctx context.Context, key string, value []byte, ttl time.Duration, tags ...string) {
	if len(value) > r.opts.MaxValueBytes || ttl.Milliseconds() <= 0 {
		return
	}
	args := make([]any, 0, 4+len(tags))
	args = append(args, r.opts.Prefix, key, value, ttl.Milliseconds())
	for _, t := range tags {
		args = append(args, t)
	}
	_ = r.do(ctx, func(ctx context.Context) error {
		return setScript.Run(ctx, r.client, nil, args...).Err()
	})
}

// Invalidate drops every entry stored under any of tags. If Redis fails,
// the cache bumps the generation on the next call that reaches Redis, so
// the entries are dropped then.
func (r *Redis) Invalidate(ctx context.Context, tags ...string) {
	if len(tags) == 0 {
		return
	}
	args := make([]any, 0, 2+len(tags))
	args = append(args, r.opts.Prefix, r.opts.HoldDown.Milliseconds())
	for _, t := range tags {
		args = append(args, t)
	}
	// A change is already in the database when Invalidate runs, so a
	// caller that gives up must not cancel it.
	err := r.do(context.WithoutCancel(ctx), func(ctx context.Context) error {
		return invalidateScript.Run(ctx, r.client, nil, args...).Err()
	})
	if err != nil {
		// The script may have run even if the reply was lost, but only a
		// generation bump is certain to drop the entries.
		r.mu.Lock()
		r.missedInvalidate = true
		r.mu.Unlock()
	}
}

// do runs call unless the breaker is open, first bumping the generation
// if an Invalidate was missed, and records the outcome for the breaker.
// An error caused by the caller's own ctx ending does not count against
// Redis.
func (r *Redis) do(ctx context.Context, call func(context.Context) error) error {
	if !r.allow() {
		return errBreakerOpen
	}
	// One deadline for the whole call, whatever go-redis does inside it.
	callCtx, cancel := context.WithTimeout(ctx, r.opts.DialTimeout+r.opts.WriteTimeout+r.opts.ReadTimeout)
	defer cancel()

	r.mu.Lock()
	bump := r.missedInvalidate
	r.mu.Unlock()
	if bump {
		gen, err := bumpScript.Run(callCtx, r.client, nil, r.opts.Prefix, r.opts.HoldDown.Milliseconds()).Int64()
		if err != nil {
			r.finish(ctx, err)
			return err
		}
		r.mu.Lock()
		r.missedInvalidate = false
		r.mu.Unlock()
		r.logLimited(slog.LevelWarn, "redis cache: an invalidation failed earlier, so all entries written before it are now ignored",
			"generation", gen)
	}

	err := call(callCtx)
	r.finish(ctx, err)
	return err
}

// allow reports whether a call may use Redis. After the backoff it lets a
// single call through as a probe.
func (r *Redis) allow() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failures < r.opts.FailureThreshold {
		return true
	}
	if r.now().Before(r.openUntil) || r.probing {
		return false
	}
	r.probing = true
	return true
}

// finish records the outcome of a call for the breaker and the log.
func (r *Redis) finish(ctx context.Context, err error) {
	if err != nil && ctx.Err() != nil {
		// The caller gave up, which is no sign of a Redis failure. A
		// probe ends here too, so the next call can probe again.
		r.mu.Lock()
		r.probing = false
		r.mu.Unlock()
		return
	}
	if err != nil {
		r.failed(err)
		return
	}
	r.succeeded()
}

func (r *Redis) failed(err error) {
	r.mu.Lock()
	r.probing = false
	r.failures++
	if r.failures >= r.opts.FailureThreshold {
		r.openUntil = r.now().Add(r.opts.Backoff)
	}
	failures := r.failures
	r.mu.Unlock()

	if r.logLimited(slog.LevelError, "redis cache: call failed, so requests go to the database; check that Redis is running and reachable",
		"addr", r.client.Options().Addr, "err", err, "consecutive_failures", failures) {
		r.mu.Lock()
		r.errorLogged = true
		r.mu.Unlock()
	}
}

func (r *Redis) succeeded() {
	r.mu.Lock()
	r.probing = false
	r.failures = 0
	// Logging recovery only after a logged error keeps recovery messages
	// as rare as error messages when Redis flaps.
	recovered := r.errorLogged
	r.errorLogged = false
	r.mu.Unlock()
	if recovered {
		r.opts.Logger.Info("redis cache: Redis is reachable again", "addr", r.client.Options().Addr)
	}
}

// logLimited logs at most one message per LogInterval and adds the number
// of messages it dropped since the last one. It reports whether it logged.
func (r *Redis) logLimited(level slog.Level, msg string, args ...any) bool {
	r.mu.Lock()
	now := r.now()
	if !r.lastLog.IsZero() && now.Sub(r.lastLog) < r.opts.LogInterval {
		r.droppedLogs++
		r.mu.Unlock()
		return false
	}
	dropped := r.droppedLogs
	r.lastLog = now
	r.droppedLogs = 0
	r.mu.Unlock()

	r.opts.Logger.Log(context.Background(), level, msg, append(args, "messages_dropped", dropped)...)
	return true
}

// Loader lets concurrent misses for the same key share one load, so a
// cold or just-invalidated key costs one database query per app server.
type Loader struct {
	Cache board.Cache
	group singleflight.Group
}

// GetOrLoad returns the cached value under key or, on a miss, the result
// of load, which it then caches for ttl under tags. A load error is
// returned and not cached. A caller whose ctx ends stops waiting, but the
// load goes on for the other callers.
func (l *Loader) GetOrLoad(ctx context.Context, key string, ttl time.Duration, tags []string, load func() ([]byte, error)) ([]byte, error) {
	if value, ok := l.Cache.Get(ctx, key); ok {
		return value, nil
	}
	result := l.group.DoChan(key, func() (any, error) {
		// The load outlives a caller that gives up, so it must not use
		// that caller's deadline when it stores the value.
		storeCtx := context.WithoutCancel(ctx)
		if value, ok := l.Cache.Get(storeCtx, key); ok {
			return value, nil
		}
		value, err := load()
		if err != nil {
			return nil, err
		}
		l.Cache.Set(storeCtx, key, value, ttl, tags...)
		return value, nil
	})
	select {
	case res := <-result:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.([]byte), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
