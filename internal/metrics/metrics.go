// Package metrics exposes Corkboard's Prometheus metrics: requests by
// route and status, cache hits and misses, outbox depth and job runs.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/corkboard/corkboard/internal/board"
)

// Metrics holds the collectors of one process.
type Metrics struct {
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	cache     *prometheus.CounterVec
	jobs      *prometheus.CounterVec
}

// New registers the collectors. depth, when not nil, reports the number of
// messages waiting in the mail outbox at scrape time.
func New(depth func(ctx context.Context) (int, error)) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "corkboard_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "corkboard_http_request_duration_seconds", Help: "HTTP request latency by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "corkboard_cache_requests_total", Help: "Cache lookups by result: hit or miss.",
		}, []string{"result"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "corkboard_job_runs_total", Help: "Background job runs by job and result: ok or error.",
		}, []string{"job", "result"}),
	}
	m.registry.MustRegister(m.requests, m.durations, m.cache, m.jobs,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if depth != nil {
		m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "corkboard_mail_outbox_depth", Help: "Messages in the mail outbox not yet sent.",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := depth(ctx)
			if err != nil {
				return -1
			}
			return float64(n)
		}))
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// ObserveRequest records one request. route is the ServeMux pattern that
// matched and method is reduced to a fixed set, so the label set stays
// small whatever paths and methods clients send.
func (m *Metrics) ObserveRequest(route, method string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	method = methodLabel(method)
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.durations.WithLabelValues(route, method).Observe(d.Seconds())
}

// methodLabel returns a standard method as it is and "OTHER" for any
// other. HTTP allows any token as a method, and each distinct label value
// would be a time series kept until the process ends.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return method
	}
	return "OTHER"
}

// ObserveJob records one run of a background job.
func (m *Metrics) ObserveJob(job string, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.jobs.WithLabelValues(job, result).Inc()
}

// Cache wraps a cache so that its lookups are counted.
func (m *Metrics) Cache(c board.Cache) board.Cache {
	return countingCache{Cache: c, counter: m.cache}
}

type countingCache struct {
	board.Cache
	counter *prometheus.CounterVec
}

func (c countingCache) Get(ctx context.Context, key string) ([]byte, bool) {
	v, ok := c.Cache.Get(ctx, key)
	if ok {
		c.counter.WithLabelValues("hit").Inc()
	} else {
		c.counter.WithLabelValues("miss").Inc()
	}
	return v, ok
}

// Replica is the health of one read replica at a moment.
type Replica struct {
	Name    string // the replica's URL without its password
	Healthy bool
	Lag     time.Duration
}

// WatchReplicas reports the health and lag of read replicas at scrape time.
func (m *Metrics) WatchReplicas(status func() []Replica) {
	m.registry.MustRegister(replicaCollector{status: status})
}

var (
	replicaHealthy = prometheus.NewDesc("corkboard_replica_healthy", "1 while a read replica is in rotation, 0 while it is out.", []string{"replica"}, nil)
	replicaLag     = prometheus.NewDesc("corkboard_replica_lag_seconds", "How far a read replica is behind the primary.", []string{"replica"}, nil)
)

type replicaCollector struct{ status func() []Replica }

func (c replicaCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- replicaHealthy
	ch <- replicaLag
}

func (c replicaCollector) Collect(ch chan<- prometheus.Metric) {
	for _, r := range c.status() {
		healthy := 0.0
		if r.Healthy {
			healthy = 1
		}
		ch <- prometheus.MustNewConstMetric(replicaHealthy, prometheus.GaugeValue, healthy, r.Name)
		ch <- prometheus.MustNewConstMetric(replicaLag, prometheus.GaugeValue, r.Lag.Seconds(), r.Name)
	}
}
