package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRedactPath(t *testing.T) {
	token := "WBoyI4CP5ZgbWoSpTKI1vqC6QbPHm0Cndo2tVzYR10E"
	for _, path := range []string{
		"/manage/" + token,
		"/manage/" + token + "/publish",
		"/manage//" + token,
		"//manage/" + token,
		"/MANAGE/" + token,
		"/manage/x/../" + token,
		"/manage/" + token[:5] + "%2F" + token[5:],
		"/dev/outbox/20261204T201424Z-abc.eml",
	} {
		got := redactPath(path)
		if strings.Contains(got, token[10:30]) || strings.Contains(got, ".eml") {
			t.Errorf("redactPath(%q) = %q, which still shows the secret", path, got)
		}
	}
	if got := redactPath("/manage/" + token + "/renew"); got != "/manage/[redacted]/renew" {
		t.Errorf("got %q, want the action kept", got)
	}
	if got := redactPath("/boston/bikes/"); got != "/boston/bikes/" {
		t.Errorf("got %q, want other paths unchanged", got)
	}
}

func TestRedactPathHidesAlertSignatures(t *testing.T) {
	signature := "k3Jd9sLq0PzXc7VbNm2AaQ"
	for _, path := range []string{
		"/alerts/a1b2c3/" + signature,
		"/alerts/a1b2c3/" + signature + "/unsubscribe",
		"/alerts/a1b2c3/" + signature + "/confirm",
		"/alerts/a1b2c3/" + signature + "/manage",
		"/manage/publish/" + signature,
	} {
		if got := redactPath(path); strings.Contains(got, signature) {
			t.Errorf("redactPath(%q) = %q, which still shows the secret", path, got)
		}
	}
	if got, want := redactPath("/alerts/a1b2c3/"+signature+"/unsubscribe"), "/alerts/[redacted]/unsubscribe"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRedactPathKeepsPathsWithoutTokens(t *testing.T) {
	for _, path := range []string{
		"/api/v1/manage",
		"/api/v1/manage/",
		"/api/v1/manage/publish",
		"/api/v1/manage/renew",
		"/alerts",
		"/dev/outbox",
	} {
		if got := redactPath(path); got != path {
			t.Errorf("redactPath(%q) = %q, want it unchanged", path, got)
		}
	}
}

func TestRequestLogPaths(t *testing.T) {
	token := "WBoyI4CP5ZgbWoSpTKI1vqC6QbPHm0Cndo2tVzYR10E"
	var buf bytes.Buffer
	s := &Server{log: slog.New(slog.NewTextHandler(&buf, nil))}
	handler := s.logRequests(http.NotFoundHandler())
	for _, tc := range []struct{ path, want string }{
		{"/api/v1/manage", "path=/api/v1/manage "},
		{"/manage/" + token + "/renew", "path=/manage/[redacted]/renew "},
	} {
		buf.Reset()
		handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", tc.path, nil))
		if got := buf.String(); !strings.Contains(got, tc.want) || strings.Contains(got, token) {
			t.Errorf("GET %s: got log line %q, want %q in it and no token", tc.path, got, tc.want)
		}
	}
}
