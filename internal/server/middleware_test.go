package server

import (
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
