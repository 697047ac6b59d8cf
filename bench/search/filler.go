package main

import (
	"context"
	"math/rand/v2"
	"strings"

	"github.com/corkboard/corkboard/internal/board"
	"github.com/corkboard/corkboard/internal/seed"
)

// filler appends made-up words to each body before the posts reach the
// store. The generator's titles and bodies use about 450 distinct words in
// all, while real ads use tens of thousands, so generated posts make a far
// smaller full-text index and shorter rows than a real board's. The
// made-up words are three or four consonant-vowel syllables long, which no
// benchmark query word is, so they grow the index without changing which
// posts a query matches.
type filler struct {
	next  seed.Inserter
	words []string
	rng   *rand.Rand
	zipf  *rand.Zipf
	count int
}

// fillerVocabulary is the number of distinct made-up words. Their
// frequencies follow Zipf's law, as the words of natural text do.
const fillerVocabulary = 50_000

func newFiller(next seed.Inserter, count int, seed int64) *filler {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x66696c6c))
	const consonants, vowels = "bdfgklmnprstvz", "aeiou"
	seen := map[string]bool{}
	words := make([]string, 0, fillerVocabulary)
	for len(words) < fillerVocabulary {
		var b strings.Builder
		for range 3 + rng.IntN(2) {
			b.WriteByte(consonants[rng.IntN(len(consonants))])
			b.WriteByte(vowels[rng.IntN(len(vowels))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	return &filler{next: next, words: words, rng: rng, count: count,
		zipf: rand.NewZipf(rng, 1.1, 1, fillerVocabulary-1)}
}

func (f *filler) InsertPosts(ctx context.Context, posts []*board.Post) error {
	for _, p := range posts {
		var b strings.Builder
		b.WriteString(p.Body)
		b.WriteString("\n\n")
		for i := range f.count {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(f.words[f.zipf.Uint64()])
		}
		p.Body = b.String()
	}
	return f.next.InsertPosts(ctx, posts)
}
