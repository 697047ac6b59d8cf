package postgres

import (
	"slices"
	"testing"

	"github.com/corkboard/corkboard/internal/board"
)

// TestTSQuery checks the translation of the board's FTS5 expressions
// without a database; the search behaviour itself is in TestSearch.
func TestTSQuery(t *testing.T) {
	const p = `phraseto_tsquery('english', search_text(`
	cases := []struct {
		text string
		want string
		args []any
	}{
		{"bike", `((` + p + `$1))))`, []any{"bike"}},
		{`red "road bike" OR lamp -kids`,
			`(((` + p + `$1)) && ` + p + `$2))) || (` + p + `$3)))) && !!` + p + `$4)))`,
			[]any{"red", "road bike", "lamp", "kids"}},
	}
	for _, tc := range cases {
		match := board.MatchExpression(tc.text)
		var w query
		got, err := tsQuery(&w, match)
		if err != nil {
			t.Errorf("%q (%s): %v", tc.text, match, err)
			continue
		}
		if got != tc.want || !slices.Equal(w.args, tc.args) {
			t.Errorf("%q (%s):\ngot  %s %v\nwant %s %v", tc.text, match, got, w.args, tc.want, tc.args)
		}
	}
	for _, bad := range []string{`"bike"`, `("bike"`, `("bike" XOR "lamp")`, `("bike") NOT`, `("bike`} {
		var w query
		if _, err := tsQuery(&w, bad); err == nil {
			t.Errorf("%s: got no error, want one", bad)
		}
	}
}
