package worker

import (
	"testing"

	"github.com/corkboard/corkboard/internal/mail"
)

// TestMailSendReserveExceedsSMTPTimeout keeps the reserve above the SMTP
// timeout, so a send started with the reserve left ends within its lease.
func TestMailSendReserveExceedsSMTPTimeout(t *testing.T) {
	if mailSendReserve <= mail.DefaultSMTPTimeout {
		t.Errorf("mailSendReserve %s, want more than mail.DefaultSMTPTimeout %s", mailSendReserve, mail.DefaultSMTPTimeout)
	}
}
