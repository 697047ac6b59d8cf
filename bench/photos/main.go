// Command photos times photos.Process on one file, for compare.sh.
//
// Usage:
//
//	go run ./bench/photos [-n runs] FILE
//
// It processes the file once to compile the WebAssembly codecs, as a
// server does at its first upload, then n more times. It prints the median
// wall time of those n calls, the time of the first and the process's peak
// resident set size, as "median_ms=… first_ms=… peak_rss_mb=…".
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/corkboard/corkboard/internal/photos"
)

func main() {
	runs := flag.Int("n", 10, "number of timed runs after the first")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s [-n runs] FILE\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || *runs < 1 {
		flag.Usage()
		os.Exit(2)
	}
	data, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	first, err := timeProcess(data)
	if err != nil {
		fmt.Fprintf(os.Stderr, "process %s: %v\n", flag.Arg(0), err)
		os.Exit(1)
	}
	times := make([]time.Duration, *runs)
	for i := range times {
		if times[i], err = timeProcess(data); err != nil {
			fmt.Fprintf(os.Stderr, "process %s: %v\n", flag.Arg(0), err)
			os.Exit(1)
		}
	}
	slices.Sort(times)

	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		fmt.Fprintf(os.Stderr, "getrusage: %v\n", err)
		os.Exit(1)
	}
	// Linux reports ru_maxrss in kilobytes.
	fmt.Printf("median_ms=%.0f first_ms=%.0f peak_rss_mb=%.0f\n",
		ms(median(times)), ms(first), float64(usage.Maxrss)/1024)
}

func timeProcess(data []byte) (time.Duration, error) {
	start := time.Now()
	_, err := photos.Process(data, photos.DefaultLimits())
	return time.Since(start), err
}

// median returns the middle of sorted durations, or the mean of the two
// middle ones for an even count.
func median(sorted []time.Duration) time.Duration {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
