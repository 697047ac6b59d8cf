// Command corkboard runs the Corkboard classifieds site.
//
//	corkboard serve            start the web site, JSON API and background jobs
//	corkboard seed --posts N   fill the board with N generated sample posts
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/corkboard/corkboard/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := app.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, app.ErrUsage):
		// Main has printed the problem and the usage.
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "corkboard:", err)
		os.Exit(1)
	}
}
