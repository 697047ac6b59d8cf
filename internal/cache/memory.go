// Package cache provides the in-process cache of the embedded default.
package cache

import (
	"context"
	"sync"
	"time"
)

// Memory is a bounded in-process cache with tag invalidation. When full, it
// drops expired entries, then a quarter of the rest in no particular order.
type Memory struct {
	mu      sync.Mutex
	entries map[string]entry
	tags    map[string]map[string]struct{} // tag -> keys
	max     int
	now     func() time.Time
}

type entry struct {
	value   []byte
	expires time.Time
	tags    []string
}

// NewMemory returns a cache that holds at most maxEntries values.
func NewMemory(maxEntries int) *Memory {
	return &Memory{entries: map[string]entry{}, tags: map[string]map[string]struct{}{}, max: maxEntries, now: time.Now}
}

// Get returns the value under key if it has not expired.
func (m *Memory) Get(_ context.Context, key string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok || !m.now().Before(e.expires) {
		return nil, false
	}
	return e.value, true
}

// Set stores value under key for ttl, grouped under tags.
func (m *Memory) Set(_ context.Context, key string, value []byte, ttl time.Duration, tags ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.entries[key]; !ok && len(m.entries) >= m.max {
		m.evict()
	}
	m.remove(key)
	m.entries[key] = entry{value: value, expires: m.now().Add(ttl), tags: tags}
	for _, t := range tags {
		if m.tags[t] == nil {
			m.tags[t] = map[string]struct{}{}
		}
		m.tags[t][key] = struct{}{}
	}
}

// Invalidate drops every entry stored under any of tags.
func (m *Memory) Invalidate(_ context.Context, tags ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range tags {
		for key := range m.tags[t] {
			m.remove(key)
		}
		delete(m.tags, t)
	}
}

func (m *Memory) remove(key string) {
	e, ok := m.entries[key]
	if !ok {
		return
	}
	delete(m.entries, key)
	for _, t := range e.tags {
		delete(m.tags[t], key)
		if len(m.tags[t]) == 0 {
			delete(m.tags, t)
		}
	}
}

// evict removes expired entries and, if the cache is still full, a
// quarter of the others. Called with the lock held.
func (m *Memory) evict() {
	now := m.now()
	for key, e := range m.entries {
		if !now.Before(e.expires) {
			m.remove(key)
		}
	}
	if len(m.entries) < m.max {
		return
	}
	drop := max(1, m.max/4)
	for key := range m.entries {
		if drop == 0 {
			break
		}
		m.remove(key)
		drop--
	}
}
