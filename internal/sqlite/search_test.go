package sqlite_test

import (
	"testing"

	"github.com/corkboard/corkboard/internal/storetest"
)

func TestSearch(t *testing.T) {
	storetest.RunSearch(t, func(t *testing.T) storetest.Store { return openStore(t) })
}
