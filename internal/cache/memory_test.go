package cache

import (
	"context"
	"testing"
	"time"
)

func TestMemory(t *testing.T) {
	ctx := context.Background()

	t.Run("invalidating a tag drops its entries only", func(t *testing.T) {
		m := NewMemory(1000)
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
		m := NewMemory(1000)
		now := time.Now()
		m.now = func() time.Time { return now }
		m.Set(ctx, "a", []byte("1"), time.Second)
		now = now.Add(time.Second)
		if _, ok := m.Get(ctx, "a"); ok {
			t.Error("got an entry past its ttl, want none")
		}
	})

	t.Run("size stays bounded", func(t *testing.T) {
		m := NewMemory(800)
		for i := range 100 {
			m.Set(ctx, string(rune('a'+i)), make([]byte, 90), time.Minute, "t")
		}
		if m.size > 800 {
			t.Errorf("got %d bytes, want at most 800", m.size)
		}
		total := 0
		for _, e := range m.entries {
			total += len(e.value)
		}
		if total != m.size {
			t.Errorf("got %d bytes in entries, want the counted %d", total, m.size)
		}
		if got := len(m.tags["t"]); got != len(m.entries) {
			t.Errorf("got %d keys under the tag, want %d", got, len(m.entries))
		}
	})
}
