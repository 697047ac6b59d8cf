package storetest

import (
	"context"
	"sync"
	"testing"

	"github.com/corkboard/corkboard/internal/board"
)

// testSecretIsShared requests a new secret from several goroutines at
// once, as app servers starting together do, and expects every caller to
// get the same value.
func testSecretIsShared(t *testing.T, s board.Store) {
	values := make([][]byte, 8)
	errs := make([]error, len(values))
	var wg sync.WaitGroup
	for i := range values {
		wg.Go(func() {
			values[i], errs[i] = s.Secret(context.Background(), "csrf", func() []byte { return []byte{byte(i)} })
		})
	}
	wg.Wait()
	for i := range values {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if string(values[i]) != string(values[0]) {
			t.Errorf("got secrets %v and %v, want one value", values[0], values[i])
		}
	}
}
