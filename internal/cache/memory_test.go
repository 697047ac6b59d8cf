package cache

import (
	"context"
	"testing"
	"time"
)

func TestMemory(t *testing.T) {
	ctx := context.Background()

	t.Run("invalidating a tag drops its entries only", func(t *testing.T) {
		m := NewMemory(10)
		m.Set(ctx, "a", []byte("1"), time.Minute, "region:x")
		m.Set(ctx, "b", []byte("2"), time.Minute, "region:y")
		m.Invalidate(ctx, "region:x")
		if _, ok := m.Get(ctx, "a"); ok {
			t.Error("got entry a after invalidating its tag, want it gone")
		}
		if got, ok := m.Get(ctx, "b"); !ok || string(got) != "2" {
			t.Errorf("got %q, %v for b, want \"2\", true", got, ok)
		}
	})

	t.Run("entries expire after their ttl", func(t *testing.T) {
		m := NewMemory(10)
		now := time.Now()
		m.now = func() time.Time { return now }
		m.Set(ctx, "a", []byte("1"), time.Second)
		now = now.Add(time.Second)
		if _, ok := m.Get(ctx, "a"); ok {
			t.Error("got an entry past its ttl, want none")
		}
	})

	t.Run("size stays bounded", func(t *testing.T) {
		m := NewMemory(8)
		for i := range 100 {
			m.Set(ctx, string(rune('a'+i)), []byte("x"), time.Minute, "t")
		}
		if got := len(m.entries); got > 8 {
			t.Errorf("got %d entries, want at most 8", got)
		}
		if got := len(m.tags["t"]); got != len(m.entries) {
			t.Errorf("got %d keys under the tag, want %d", got, len(m.entries))
		}
	})
}
