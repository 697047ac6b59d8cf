// Package cache provides the in-process cache of the embedded default.
package cache

import (
	"context"
	"sync"
	"time"
)

// Memory is an in-process cache with tag invalidation, bounded by the
// total size of its values. When full, it drops expired entries, then a
// quarter of the rest in no particular order.
type Memory struct {
	mu       sync.Mutex
	entries  map[string]entry
	tags     map[string]map[string]struct{} // tag -> keys
	size     int                            // bytes of values held
	maxBytes int
	now      func() time.Time
}

type entry struct {
	value   []byte
	expires time.Time
	tags    []string
}

// NewMemory returns a cache that holds at most maxBytes of values.
func NewMemory(maxBytes int) *Memory {
	return &Memory{entries: map[string]entry{}, tags: map[string]map[string]struct{}{}, maxBytes: maxBytes, now: time.Now}
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
	if len(value) > m.maxBytes/8 {
		return // one huge value would push out everything else
	}
	m.remove(key)
	if m.size+len(value) > m.maxBytes {
		m.evict(len(value))
	}
	m.entries[key] = entry{value: value, expires: m.now().Add(ttl), tags: tags}
	m.size += len(value)
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
	m.size -= len(e.value)
	for _, t := range e.tags {
		delete(m.tags[t], key)
		if len(m.tags[t]) == 0 {
			delete(m.tags, t)
		}
	}
}

// evict removes expired entries and, if need bytes still do not fit,
// a quarter of the others at a time. Called with the lock held.
func (m *Memory) evict(need int) {
	now := m.now()
	for key, e := range m.entries {
		if !now.Before(e.expires) {
			m.remove(key)
		}
	}
	for m.size+need > m.maxBytes && len(m.entries) > 0 {
		drop := max(1, len(m.entries)/4)
		for key := range m.entries {
			if drop == 0 {
				break
			}
			m.remove(key)
			drop--
		}
	}
}
