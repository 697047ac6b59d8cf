package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/metrics"
)

// scrape returns the metrics text that Prometheus would read.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func TestRequestMethodLabels(t *testing.T) {
	m := metrics.New(nil)
	for _, method := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
		m.ObserveRequest("/", method, http.StatusOK, time.Millisecond)
	}
	invented := []string{"FOO", "get", "PROPFIND", strings.Repeat("X", 16<<10), "TRACE", "CONNECT"}
	for _, method := range invented {
		m.ObserveRequest("/", method, http.StatusNotFound, time.Millisecond)
	}
	body := scrape(t, m)

	for _, method := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
		want := `corkboard_http_requests_total{method="` + method + `",route="/",status="200"} 1`
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	other := `corkboard_http_requests_total{method="OTHER",route="/",status="404"} 6`
	if !strings.Contains(body, other) {
		t.Errorf("metrics lack %s", other)
	}
	for _, method := range invented {
		if strings.Contains(body, `method="`+method+`"`) {
			t.Errorf("method %.20q became a label value, want OTHER", method)
		}
	}
	if len(body) > 64<<10 {
		t.Errorf("got %d bytes of metrics, want under 64 KB", len(body))
	}
}
