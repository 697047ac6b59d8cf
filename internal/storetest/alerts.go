package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/board"
)

func testAlertLeases(t *testing.T, s board.Store) {
	ctx := context.Background()
	a := &board.Alert{ID: "alert1", Email: "a@example.com", Query: "q=bike", Label: "bike", CreatedAt: t0}
	if err := s.CreateAlert(ctx, a, message("alert1")); err != nil {
		t.Fatal(err)
	}
	if err := s.ConfirmAlert(ctx, "alert1", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.ConfirmAlert(ctx, "alert1", t0); board.ErrorCode(err) != board.Conflict {
		t.Errorf("second confirm: got %v, want a conflict", err)
	}

	got, err := s.ClaimAlerts(ctx, t0, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d alerts, want the confirmed one", len(got))
	}
	if got[0].Status != "active" {
		t.Errorf("got status %q, want active", got[0].Status)
	}
	if !got[0].CheckedAt.Equal(t0) {
		t.Errorf("got checked %v, want the confirmation time %v", got[0].CheckedAt, t0)
	}
	if want := t0.Add(time.Minute); !got[0].LockedUntil.Equal(want) {
		t.Errorf("got lease until %v, want %v", got[0].LockedUntil, want)
	}
	again, err := s.ClaimAlerts(ctx, t0.Add(time.Second), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Errorf("got %d alerts while leased, want 0", len(again))
	}

	digest := message("digest")
	if err := s.FinishAlert(ctx, "alert1", got[0].LockedUntil, t0.Add(time.Second), t0.Add(24*time.Hour), &digest); err != nil {
		t.Fatal(err)
	}
	due, err := s.ClaimAlerts(ctx, t0.Add(time.Hour), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 0 {
		t.Errorf("got %d alerts before the next run, want 0", len(due))
	}

	if err := s.Unsubscribe(ctx, "alert1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Unsubscribe(ctx, "alert1"); err != nil {
		t.Errorf("second unsubscribe: %v", err)
	}
	due, err = s.ClaimAlerts(ctx, t0.Add(48*time.Hour), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 0 {
		t.Errorf("got %d alerts after unsubscribing, want 0", len(due))
	}
	if _, err := s.Alert(ctx, "missing"); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("missing alert: got %v, want ErrNotFound", err)
	}
	if err := s.ConfirmAlert(ctx, "missing", t0); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("confirming a missing alert: got %v, want ErrNotFound", err)
	}
}
