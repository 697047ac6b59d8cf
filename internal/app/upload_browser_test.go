package app_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestPhotoPickerInBrowser chooses two photos in two rounds on the post
// form with upload.js running, puts the second first and posts. It checks
// that the server stored them in that order, and that the browser shrank
// the big one before upload.
func TestPhotoPickerInBrowser(t *testing.T) {
	ctx := startScriptedChromium(t)
	s := startServer(t)

	dir := t.TempDir()
	big := filepath.Join(dir, "big.jpg")
	bigData := makeJPEG(t, 4000, 3000)
	if err := os.WriteFile(big, bigData, 0o644); err != nil {
		t.Fatal(err)
	}
	photo, portrait := browserTestPhoto(t)
	photoInfo, err := os.Stat(photo)
	if err != nil {
		t.Fatal(err)
	}

	err = chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/new"),
		chromedp.WaitReady(chromedp.CSS(`.photo-list`)),
		chromedp.SetUploadFiles(byLabel("Photos"), []string{big}),
		chromedp.SetUploadFiles(byLabel("Photos"), []string{photo}),
	)
	if err != nil {
		t.Fatalf("choose photos: %v", err)
	}
	waitForPhotos(t, ctx)

	names := chosenNames(t, ctx)
	if want := []string{"big.jpg", filepath.Base(photo)}; !slices.Equal(names, want) {
		t.Fatalf("after choosing in two rounds: got photos %q, want %q", names, want)
	}
	previews, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".photo-item .photo-thumb img").length`))
	if err != nil || previews != 2 {
		t.Errorf("previews shown: got %d (%v), want 2", previews, err)
	}

	if err := chromedp.Do(ctx, chromedp.Click(`//button[@aria-label = "Move photo 2 earlier"]`)); err != nil {
		t.Fatalf("click Move photo 2 earlier: %v", err)
	}
	names = chosenNames(t, ctx)
	if want := []string{filepath.Base(photo), "big.jpg"}; !slices.Equal(names, want) {
		t.Fatalf("after Move photo 2 earlier: got photos %q, want %q", names, want)
	}

	var files []struct {
		Name   string
		Type   string
		Size   int64
		Width  int
		Height int
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`Promise.all(Array.from(document.querySelector("#images").files, async (file) => {
		const bitmap = await createImageBitmap(file, {imageOrientation: "from-image"});
		return {name: file.name, type: file.type, size: file.size, width: bitmap.width, height: bitmap.height};
	}))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("read the input's files: %v", err)
	}
	if err := json.Unmarshal(raw, &files); err != nil || len(files) != 2 {
		t.Fatalf("input's files: got %s (%v), want two", raw, err)
	}
	if files[0].Size != photoInfo.Size() {
		t.Errorf("first file in the input: got %d bytes, want the %d of the original: small photos go up untouched", files[0].Size, photoInfo.Size())
	}
	if files[1].Size >= int64(len(bigData)) {
		t.Errorf("second file in the input: got %d bytes, want fewer than the %d of the 4000×3000 original", files[1].Size, len(bigData))
	}
	if files[1].Type != "image/jpeg" || files[1].Width != 2400 || files[1].Height != 1800 {
		t.Errorf("second file in the input: got %s %d×%d, want image/jpeg 2400×1800", files[1].Type, files[1].Width, files[1].Height)
	}

	err = chromedp.Do(ctx,
		chromedp.SendKeys(byLabel("Title"), "Two photos, reordered"),
		chromedp.SendKeys(byLabel("Category"), "Bikes"),
		chromedp.SendKeys(byLabel("ZIP code"), "02134"),
		chromedp.SendKeys(byLabel("Description"), "The portrait goes first."),
		chromedp.SendKeys(byLabel("Your email"), "picker@example.com"),
		chromedp.Click(buttonNamed("Send me the link")),
		chromedp.WaitVisible(headingNamed("Check your email")),
	)
	if err != nil {
		t.Fatalf("fill and submit the form: %v", err)
	}

	token := tokenOf(t, s.waitForMail(1))
	res := s.do("POST", "/api/v1/manage/publish", nil, map[string]string{"Authorization": "Bearer " + token})
	if res.Status != http.StatusOK {
		t.Fatalf("publish: got status %d: %s", res.Status, res.Body)
	}
	var published struct{ ID string }
	if err := json.Unmarshal([]byte(res.Body), &published); err != nil || published.ID == "" {
		t.Fatalf("publish: no post id in %s (%v)", res.Body, err)
	}
	res = s.get("/api/v1/posts/" + published.ID)
	var post struct {
		Images []struct{ Width, Height int }
	}
	if err := json.Unmarshal([]byte(res.Body), &post); err != nil || len(post.Images) != 2 {
		t.Fatalf("GET /api/v1/posts/%s: got %s (%v), want two images", published.ID, res.Body, err)
	}

	first, second := post.Images[0], post.Images[1]
	if second.Width != 1600 || second.Height != 1200 {
		t.Errorf("second stored photo: got %d×%d, want the big one at its large size 1600×1200", second.Width, second.Height)
	}
	if !portrait && (first.Width != 640 || first.Height != 480) {
		t.Errorf("first stored photo: got %d×%d, want the 640×480 one chosen second", first.Width, first.Height)
	}
	t.Run("portrait is first and upright", func(t *testing.T) {
		if !portrait {
			t.Skip("../shared/data/images/orientation/portrait_6.jpg is absent; posted a generated landscape photo instead")
		}
		if files[0].Height <= files[0].Width {
			t.Errorf("first file decoded with imageOrientation from-image: got %d×%d, want taller than wide (EXIF orientation 6)", files[0].Width, files[0].Height)
		}
		if first.Height <= first.Width {
			t.Errorf("first stored photo: got %d×%d, want the portrait, taller than wide", first.Width, first.Height)
		}
	})
}

// TestUploadShrinksUpright checks that a big photo with EXIF orientation 6
// (turn 90° clockwise to view) comes out of the browser upright. The shrunk
// JPEG carries no EXIF, so the server could not turn it any more.
func TestUploadShrinksUpright(t *testing.T) {
	ctx := startScriptedChromium(t)
	s := startServer(t)

	path := filepath.Join(t.TempDir(), "sideways.jpg")
	data := withOrientation(t, makeJPEG(t, 4000, 3000), 6)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}

	err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/new"),
		chromedp.WaitReady(chromedp.CSS(`.photo-list`)),
		chromedp.SetUploadFiles(byLabel("Photos"), []string{path}),
	)
	if err != nil {
		t.Fatalf("choose the photo: %v", err)
	}
	waitForPhotos(t, ctx)

	var file struct {
		Size          int64
		Width, Height int
		HasExif       bool
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`(async () => {
		const file = document.querySelector("#images").files[0];
		const bitmap = await createImageBitmap(file);
		const bytes = new Uint8Array(await file.arrayBuffer());
		return {size: file.size, width: bitmap.width, height: bitmap.height,
			hasExif: new TextDecoder("latin1").decode(bytes.subarray(0, 4096)).includes("Exif")};
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("read the input's file: %v", err)
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatalf("input's file: got %s: %v", raw, err)
	}
	if file.Size >= int64(len(data)) {
		t.Errorf("file in the input: got %d bytes, want fewer than the %d of the original", file.Size, len(data))
	}
	if file.Width != 1800 || file.Height != 2400 {
		t.Errorf("file in the input: got %d×%d, want 1800×2400, turned upright as EXIF orientation 6 requires", file.Width, file.Height)
	}
	if file.HasExif {
		t.Error("file in the input still has an EXIF block")
	}
}

// TestUploadDragReorders drags the second photo onto the first, the
// mouse's way to do what the Move buttons do.
func TestUploadDragReorders(t *testing.T) {
	ctx := startScriptedChromium(t)
	s := startServer(t)

	dir := t.TempDir()
	var paths []string
	for _, name := range []string{"first.jpg", "second.jpg"} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, makeJPEG(t, 64, 48), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}

	err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/new"),
		chromedp.WaitReady(chromedp.CSS(`.photo-list`)),
		chromedp.SetUploadFiles(byLabel("Photos"), paths),
	)
	if err != nil {
		t.Fatalf("choose photos: %v", err)
	}
	waitForPhotos(t, ctx)

	err = chromedp.Do(ctx, chromedp.DragAndDrop(
		chromedp.CSS(`.photo-item:nth-child(2) .photo-info`),
		chromedp.CSS(`.photo-item:nth-child(1) .photo-info`)))
	if err != nil {
		t.Fatalf("drag photo 2 onto photo 1: %v", err)
	}
	if got, want := chosenNames(t, ctx), []string{"second.jpg", "first.jpg"}; !slices.Equal(got, want) {
		t.Errorf("after the drag: got photos %q, want %q", got, want)
	}
}

// TestUploadKeepsUndecodable chooses a file that the browser cannot decode,
// as HEIC is in most browsers, and checks that it still goes up as chosen
// and does not hold up the form.
func TestUploadKeepsUndecodable(t *testing.T) {
	ctx := startScriptedChromium(t)
	s := startServer(t)

	data := []byte("not a photo, but the server decides that")
	path := filepath.Join(t.TempDir(), "IMG_0001.HEIC")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/new"),
		chromedp.WaitReady(chromedp.CSS(`.photo-list`)),
		chromedp.SetUploadFiles(byLabel("Photos"), []string{path}),
	)
	if err != nil {
		t.Fatalf("choose the file: %v", err)
	}
	waitForPhotos(t, ctx)

	var got struct {
		Names   []string
		Size    int
		Preview string
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`({
		names: Array.from(document.querySelector("#images").files, (file) => file.name),
		size: document.querySelector("#images").files[0]?.size ?? -1,
		preview: document.querySelector(".photo-thumb").textContent,
	})`))
	if err != nil {
		t.Fatalf("read the input: %v", err)
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("input: got %s: %v", raw, err)
	}
	if !slices.Equal(got.Names, []string{"IMG_0001.HEIC"}) || got.Size != len(data) {
		t.Errorf("input: got %q of %d bytes, want IMG_0001.HEIC of %d bytes, untouched", got.Names, got.Size, len(data))
	}
	if got.Preview != "No preview" {
		t.Errorf("preview: got %q, want the placeholder text No preview", got.Preview)
	}
}

// startScriptedChromium starts Chromium like startChromium, but with page
// scripts switched back on, because these tests are about a script.
func startScriptedChromium(t *testing.T) context.Context {
	t.Helper()
	ctx := startChromium(t)
	_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false})
	if err != nil {
		t.Fatalf("switch on page scripts: %v", err)
	}
	return ctx
}

// waitForPhotos waits until upload.js has prepared every chosen photo and
// enabled the submit button again.
func waitForPhotos(t *testing.T, ctx context.Context) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => {
		const items = document.querySelectorAll(".photo-item");
		const button = document.querySelector(".post-form button[type=submit]");
		return items.length > 0 && !button.disabled &&
			!document.querySelector(".post-form").classList.contains("photos-busy");
	})()`, chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		t.Fatalf("photos were not prepared within 10 s: %v", err)
	}
}

// chosenNames returns the file names in the input, which is what the form
// submits, after checking that the preview list shows the same order.
func chosenNames(t *testing.T, ctx context.Context) []string {
	t.Helper()
	var got struct{ Input, List []string }
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`({
		input: Array.from(document.querySelector("#images").files, (file) => file.name),
		list: Array.from(document.querySelectorAll(".photo-item .photo-name"), (name) => name.textContent),
	})`))
	if err != nil {
		t.Fatalf("read the chosen photos: %v", err)
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("chosen photos: got %s: %v", raw, err)
	}
	if !slices.Equal(got.Input, got.List) {
		t.Errorf("input contains %q, but the list shows %q", got.Input, got.List)
	}
	return got.Input
}

// withOrientation inserts an EXIF block with the given orientation tag
// right after the JPEG's start-of-image marker.
func withOrientation(t *testing.T, data []byte, orientation uint16) []byte {
	t.Helper()
	if _, err := jpeg.DecodeConfig(bytes.NewReader(data)); err != nil || !bytes.HasPrefix(data, []byte{0xFF, 0xD8}) {
		t.Fatalf("withOrientation needs a JPEG: %v", err)
	}
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2A")                        // big-endian TIFF header
	binary.Write(&tiff, binary.BigEndian, uint32(8))      // offset of the first IFD
	binary.Write(&tiff, binary.BigEndian, uint16(1))      // one entry
	binary.Write(&tiff, binary.BigEndian, uint16(0x0112)) // tag Orientation
	binary.Write(&tiff, binary.BigEndian, uint16(3))      // type SHORT
	binary.Write(&tiff, binary.BigEndian, uint32(1))      // one value
	binary.Write(&tiff, binary.BigEndian, orientation)    // the value, left-aligned
	binary.Write(&tiff, binary.BigEndian, uint16(0))      // padding of the value field
	binary.Write(&tiff, binary.BigEndian, uint32(0))      // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)

	var out bytes.Buffer
	out.Write(data[:2])
	out.Write([]byte{0xFF, 0xE1})
	binary.Write(&out, binary.BigEndian, uint16(len(payload)+2))
	out.Write(payload)
	out.Write(data[2:])
	return out.Bytes()
}
