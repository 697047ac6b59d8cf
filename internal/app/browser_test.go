package app_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestPostingInBrowser posts an ad through the HTML form in headless
// Chromium, publishes it from the emailed link and finds it on the board.
// Page scripts stay switched off throughout, so the test also shows that
// posting needs no JavaScript.
func TestPostingInBrowser(t *testing.T) {
	ctx := startChromium(t)
	s := startServer(t)
	photo, portrait := browserTestPhoto(t)

	const title = "Brompton folding bike, M6L"
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/new"),
		chromedp.SendKeys(byLabel("Title"), title),
		chromedp.SendKeys(byLabel("Category"), "Bikes"),
		chromedp.SendKeys(byLabel("Price"), "$250"),
		chromedp.SendKeys(byLabel("ZIP code"), "02134"),
		chromedp.SendKeys(byLabel("Description"), "Folds in 20 seconds. Six gears, dynamo lights."),
		chromedp.SetUploadFiles(byLabel("Photos"), []string{photo}),
		chromedp.SendKeys(byLabel("Your email"), "rider@example.com"),
	)
	if err != nil {
		t.Fatalf("fill the form: %v", err)
	}
	if got, err := chromedp.Run(ctx, chromedp.Value(byLabel("Category"))); err != nil || got != "bikes" {
		t.Fatalf("after typing Bikes into the category: got value %q (%v), want bikes", got, err)
	}

	err = chromedp.Do(ctx,
		chromedp.Click(buttonNamed("Send me the link")),
		chromedp.WaitVisible(headingNamed("Check your email")),
	)
	if err != nil {
		t.Fatalf("submit the form: %v", err)
	}
	if got := pagePath(t, ctx); got != "/posted" {
		t.Errorf("after submitting: got page %s, want /posted", got)
	}

	link := manageLink.FindString(s.waitForMail(1))
	if link == "" {
		t.Fatal("confirmation mail has no manage link")
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.Click(buttonNamed("Publish")),
		chromedp.WaitVisible(chromedp.CSS(`[role="status"]`)),
	)
	if err != nil {
		t.Fatalf("publish from the manage page: %v", err)
	}
	notice, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[role="status"]`)))
	if err != nil || !strings.Contains(notice, "published") {
		t.Errorf("after Publish: got notice %q (%v), want one that says published", notice, err)
	}

	row := fmt.Sprintf(`//li[.//*[contains(@class, "row-title") and normalize-space(.) = %q]]`, title)
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/boston/bikes/")); err != nil {
		t.Fatalf("open /boston/bikes/: %v", err)
	}
	price, err := chromedp.Run(ctx, chromedp.Text(row+`//*[contains(@class, "price")]`, chromedp.AtLeast(0)))
	if err != nil {
		t.Fatalf("/boston/bikes/ does not list %q: %v", title, err)
	}
	if price != "$250" {
		t.Errorf("listed price: got %q, want $250", price)
	}

	err = chromedp.Do(ctx,
		chromedp.Click(row+`//a`),
		chromedp.WaitVisible(headingNamed(title)),
	)
	if err != nil {
		t.Fatalf("open the post page from the list: %v", err)
	}

	t.Run("photo is shown upright", func(t *testing.T) {
		if !portrait {
			t.Skip("../shared/data/images/orientation/portrait_6.jpg is absent; posted a generated photo instead")
		}
		size, err := chromedp.Run(ctx, chromedp.Poll[imageSize](`(() => {
			const img = document.querySelector(".gallery img");
			return img && img.complete && img.naturalWidth > 0 && {width: img.naturalWidth, height: img.naturalHeight};
		})()`, chromedp.WithPollingTimeout(5*time.Second)))
		if err != nil {
			t.Fatalf("photo on the post page did not load: %v", err)
		}
		if size.Height <= size.Width {
			t.Errorf("got a %d×%d photo, want it taller than wide: the EXIF orientation 6 of the upload turns it upright",
				size.Width, size.Height)
		}
	})
}

type imageSize struct{ Width, Height int }

// startChromium starts headless Chromium for one test and stops it at the
// end. It skips the test when no Chromium is installed. A Chromium that
// exists but does not start fails the test, because skipping would hide a
// broken install.
func startChromium(t *testing.T) context.Context {
	t.Helper()
	execPath, named := os.LookupEnv("CORKBOARD_CHROMIUM")
	if !named {
		execPath = "/usr/bin/chromium"
		if _, err := os.Stat(execPath); err != nil {
			t.Skip("Chromium not found: install Debian's chromium package or set CORKBOARD_CHROMIUM")
		}
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(412, 915),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	// A deadline turns a hung browser into a failure instead of a test
	// binary that waits for go test's 10-minute timeout.
	timeoutCtx, cancelTimeout := context.WithTimeout(allocCtx, time.Minute)
	ctx, cancelTab := chromedp.NewContext(timeoutCtx)
	// Cleanups run last-in first-out, so Chromium exits before t.TempDir
	// removes its profile.
	t.Cleanup(func() {
		cancelTab()
		cancelTimeout()
		cancelAlloc()
	})

	if err := chromedp.Do(ctx); err != nil {
		source := "the default path"
		if named {
			source = "CORKBOARD_CHROMIUM"
		}
		t.Fatalf("start Chromium %s, from %s: %v", execPath, source, err)
	}
	_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	if err != nil {
		t.Fatalf("switch off page scripts: %v", err)
	}
	return ctx
}

// browserTestPhoto returns the absolute path of the photo to upload, and
// whether it is the shared portrait whose upright size the test can check.
// Without ../shared it writes a plain JPEG instead.
func browserTestPhoto(t *testing.T) (path string, portrait bool) {
	t.Helper()
	shared := filepath.Join("..", "..", "..", "shared", "data", "images", "orientation", "portrait_6.jpg")
	if abs, err := filepath.Abs(shared); err == nil {
		if _, err := os.Stat(abs); err == nil {
			return abs, true
		} else if !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("read the shared photo: %v", err)
		}
	}
	path = filepath.Join(t.TempDir(), "bike.jpg")
	if err := os.WriteFile(path, makeJPEG(t, 640, 480), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, false
}

// byLabel selects the form control whose label starts with text, the way
// a person finds a field.
func byLabel(text string) string {
	return fmt.Sprintf(`//*[@id = //label[starts-with(normalize-space(.), %q)]/@for]`, text)
}

func buttonNamed(text string) string {
	return fmt.Sprintf(`//button[normalize-space(.) = %q]`, text)
}

func headingNamed(text string) string {
	return fmt.Sprintf(`//h1[normalize-space(.) = %q]`, text)
}

// pagePath returns the path of the page the browser shows.
func pagePath(t *testing.T, ctx context.Context) string {
	t.Helper()
	location, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatalf("read the location: %v", err)
	}
	u, err := url.Parse(location)
	if err != nil {
		t.Fatalf("parse the location %q: %v", location, err)
	}
	return u.Path
}
