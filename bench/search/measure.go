package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/corkboard/corkboard/internal/board"
)

// result is the timings of one search case.
type result struct {
	name        string
	times       []time.Duration // sorted ascending
	hitsPerPage float64         // mean, to show that the search found something
}

// measure times iterations calls of each case, rotating over its variants.
// The cases take turns call by call, so a burst of work from another
// process slows all of them alike instead of one case's block of calls.
// One untimed call of every variant first brings the pages it reads into
// the operating system's cache, where a running server would have them.
func measure(ctx context.Context, svc *board.Service, cases []searchCase, iterations int) ([]result, error) {
	for _, c := range cases {
		for _, s := range c.variants {
			if _, err := svc.Search(ctx, s); err != nil {
				return nil, fmt.Errorf("%s: %w", c.name, err)
			}
		}
	}

	results := make([]result, len(cases))
	hits := make([]int, len(cases))
	for j, c := range cases {
		results[j] = result{name: c.name, times: make([]time.Duration, 0, iterations)}
	}
	for i := range iterations {
		for j, c := range cases {
			s := c.variants[i%len(c.variants)]
			start := time.Now()
			page, err := svc.Search(ctx, s)
			elapsed := time.Since(start)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.name, err)
			}
			results[j].times = append(results[j].times, elapsed)
			hits[j] += len(page.Hits)
		}
	}
	for j := range results {
		slices.Sort(results[j].times)
		results[j].hitsPerPage = float64(hits[j]) / float64(iterations)
	}
	return results, nil
}

// percentile returns the nearest-rank percentile of sorted durations: the
// smallest value that at least p percent of them do not exceed.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func printTable(w io.Writer, results []result, target time.Duration) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "search\tcalls\thits/page\tmedian ms\tp99 ms\ttarget ms\tp99/target\tresult\t\n")
	for _, r := range results {
		p99 := percentile(r.times, 99)
		verdict := "PASS"
		if p99 >= target {
			verdict = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.2f\t%.2f\t%.0f\t%.2f\t%s\t\n", r.name, len(r.times), r.hitsPerPage,
			ms(percentile(r.times, 50)), ms(p99), ms(target), float64(p99)/float64(target), verdict)
	}
	tw.Flush()
}

// printOther prints the results of searches that have no target.
func printOther(w io.Writer, results []result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "search (no target)\tcalls\thits/page\tmedian ms\tp99 ms\t\n")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.2f\t%.2f\t\n", r.name, len(r.times), r.hitsPerPage,
			ms(percentile(r.times, 50)), ms(percentile(r.times, 99)))
	}
	tw.Flush()
}
