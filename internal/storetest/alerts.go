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
	a := &board.Alert{ID: "alert1", Email: "a@example.com", Query: "q=bike", Label: "bike", CreatedAt: T0}
	if err := s.CreateAlert(ctx, a, Message("alert1")); err != nil {
		t.Fatal(err)
	}
	if err := s.ConfirmAlert(ctx, "alert1", T0); err != nil {
		t.Fatal(err)
	}
	if err := s.ConfirmAlert(ctx, "alert1", T0); board.ErrorCode(err) != board.Conflict {
		t.Errorf("second confirm: got %v, want a conflict", err)
	}

	got, err := s.ClaimAlerts(ctx, T0, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d alerts, want the confirmed one", len(got))
	}
	if got[0].Status != "active" {
		t.Errorf("got status %q, want active", got[0].Status)
	}
	if !got[0].CheckedAt.Equal(T0) {
		t.Errorf("got checked %v, want the confirmation time %v", got[0].CheckedAt, T0)
	}
	if want := T0.Add(time.Minute); !got[0].LockedUntil.Equal(want) {
		t.Errorf("got lease until %v, want %v", got[0].LockedUntil, want)
	}
	again, err := s.ClaimAlerts(ctx, T0.Add(time.Second), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Errorf("got %d alerts while leased, want 0", len(again))
	}

	digest := Message("digest")
	if err := s.FinishAlert(ctx, "alert1", got[0].LockedUntil, T0.Add(time.Second), T0.Add(24*time.Hour), &digest); err != nil {
		t.Fatal(err)
	}
	due, err := s.ClaimAlerts(ctx, T0.Add(time.Hour), time.Minute, 10)
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
	due, err = s.ClaimAlerts(ctx, T0.Add(48*time.Hour), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 0 {
		t.Errorf("got %d alerts after unsubscribing, want 0", len(due))
	}
	if _, err := s.Alert(ctx, "missing"); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("missing alert: got %v, want ErrNotFound", err)
	}
	if err := s.ConfirmAlert(ctx, "missing", T0); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("confirming a missing alert: got %v, want ErrNotFound", err)
	}
}

// testExpiredAlertLeaseIsFenced has a first run whose lease runs out, and a
// second run that claims the alert meanwhile. The first run's FinishAlert
// must fail with ErrLeaseLost, queue no digest and leave the alert as the
// second run found it. A run of an alert unsubscribed meanwhile must not
// queue its digest either.
func testExpiredAlertLeaseIsFenced(t *testing.T, s board.Store) {
	ctx := context.Background()
	claimOne := func(now time.Time) board.Alert {
		t.Helper()
		got, err := s.ClaimAlerts(ctx, now, time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("claim at %v: got %d alerts, want 1", now, len(got))
		}
		return got[0]
	}
	a := &board.Alert{ID: "alert1", Email: "a@example.com", Query: "q=bike", Label: "bike", CreatedAt: T0}
	if err := s.CreateAlert(ctx, a, Message("alert1")); err != nil {
		t.Fatal(err)
	}
	if err := s.ConfirmAlert(ctx, a.ID, T0); err != nil {
		t.Fatal(err)
	}
	assertDepth(t, s, "after the confirmation message", 1)

	first := claimOne(T0)
	second := claimOne(T0.Add(2 * time.Minute))
	digest := Message("stale-digest")
	err := s.FinishAlert(ctx, a.ID, first.LockedUntil, T0.Add(time.Second), T0.Add(2*time.Minute), &digest)
	if !errors.Is(err, board.ErrLeaseLost) {
		t.Errorf("first run: got %v, want ErrLeaseLost", err)
	}
	assertDepth(t, s, "after the first run", 1)
	got, err := s.Alert(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.CheckedAt.Equal(T0) {
		t.Errorf("got checked %v after the first run, want %v unchanged", got.CheckedAt, T0)
	}
	if due, err := s.ClaimAlerts(ctx, T0.Add(150*time.Second), time.Minute, 10); err != nil || len(due) != 0 {
		t.Errorf("claim after the first run: got %d alerts, %v; want none while the second lease runs", len(due), err)
	}

	digest = Message("digest")
	checked := T0.Add(2 * time.Minute)
	if err := s.FinishAlert(ctx, a.ID, second.LockedUntil, checked, T0.Add(24*time.Hour), &digest); err != nil {
		t.Fatalf("second run: %v", err)
	}
	assertDepth(t, s, "after the second run", 2)
	got, err = s.Alert(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.CheckedAt.Equal(checked) {
		t.Errorf("got checked %v after the second run, want %v", got.CheckedAt, checked)
	}
	err = s.FinishAlert(ctx, a.ID, second.LockedUntil, checked, T0.Add(time.Hour), nil)
	if !errors.Is(err, board.ErrLeaseLost) {
		t.Errorf("second run finished twice: got %v, want ErrLeaseLost", err)
	}

	third := claimOne(T0.Add(24 * time.Hour))
	if err := s.Unsubscribe(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	digest = Message("unwanted-digest")
	err = s.FinishAlert(ctx, a.ID, third.LockedUntil, T0.Add(24*time.Hour), T0.Add(48*time.Hour), &digest)
	if !errors.Is(err, board.ErrLeaseLost) {
		t.Errorf("run of an alert unsubscribed meanwhile: got %v, want ErrLeaseLost", err)
	}
	assertDepth(t, s, "after the run of the unsubscribed alert", 2)

	if err := s.FinishAlert(ctx, "missing", third.LockedUntil, T0, T0, nil); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("missing alert: got %v, want ErrNotFound", err)
	}
}
