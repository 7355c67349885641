//go:build unix

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/statelessgo/sessions/cookiesession"
)

// Timeouts of the browser test.
const (
	browserStartTimeout = 30 * time.Second
	stepTimeout         = 15 * time.Second
	browserTestTimeout  = 3 * time.Minute
)

// TestBrowser drives Chromium through the example: sign in with the form,
// count visits across reloads, survive a restart with a new primary key
// (and see the cookie sealed again under it), sign out.
func TestBrowser(t *testing.T) {
	chromium := requireTool(t, "chromium")
	oldKey, newKey := cookiesession.GenerateKeyString(), cookiesession.GenerateKeyString()
	app := startInstance(t, "solo", oldKey)
	ctx := newBrowser(t, chromium)
	b := &browser{t: t, ctx: ctx, url: app.url}

	b.do("open the home page", chromedp.Navigate(app.url+"/"),
		chromedp.WaitVisible(chromedp.ID("username")))
	b.do("fill in the form", chromedp.SendKeys(chromedp.ID("username"), "user"),
		chromedp.SendKeys(chromedp.ID("password"), "pass"))
	b.submit("sign in", "signin")
	b.expectText("whoami", "Signed in as John Doe")
	b.expectText("visits", "1")
	flash := read(b, "read the flash", chromedp.Text(chromedp.CSS(".flash")))
	if flash != "Signed in" {
		t.Errorf("flash after sign-in = %q, want %q", flash, "Signed in")
	}

	visible := read(b, "read document.cookie", chromedp.Evaluate[string]("document.cookie"))
	if visible != "" {
		t.Errorf("document.cookie = %q, want nothing: the session cookie is HttpOnly", visible)
	}
	c := b.sessionCookie()
	if c == nil || !c.HTTPOnly || !c.Secure || c.SameSite != network.CookieSameSiteLax ||
		c.Path != "/" {
		t.Fatalf("session cookie in the browser = %+v, want HttpOnly, Secure, Lax, Path=/", c)
	}
	b.expectKeyID("after sign-in", keyID(t, oldKey))

	for visits := 2; visits <= 3; visits++ {
		b.do("reload", chromedp.Reload())
		b.expectText("visits", strconv.Itoa(visits))
	}
	b.submit("press the counter button", "add")
	b.expectText("counter", "1")
	b.expectText("visits", "4")
	b.screenshot()

	created := read(b, "read the creation time", chromedp.Text(chromedp.ID("created")))
	app.restart(newKey + "," + oldKey)
	b.do("reload after the restart", chromedp.Reload())
	b.expectText("whoami", "Signed in as John Doe")
	b.expectText("visits", "5")
	b.expectText("created", created)
	b.expectKeyID("after the restart with a new primary key", keyID(t, newKey))

	b.submit("sign out", "logout")
	b.do("wait for the form", chromedp.WaitVisible(chromedp.ID("username")))
	if c := b.sessionCookie(); c != nil {
		t.Errorf("session cookie after sign-out = %+v, want none", c)
	}
}

// TestBrowserLargeSession drives Chromium through the notes box until the
// session holds about 10 KB of JSON, which the example spreads over
// several cookies, and back: the browser holds __Host-session ("N/...")
// and its chunks __Host-session.1 to .N-1, every note survives a reload,
// and clearing the notes leaves one cookie, the stale chunks deleted.
func TestBrowserLargeSession(t *testing.T) {
	chromium := requireTool(t, "chromium")
	app := startInstance(t, "solo", cookiesession.GenerateKeyString())
	b := &browser{t: t, ctx: newBrowser(t, chromium), url: app.url}
	b.signIn("user", "pass")

	var notes []string
	for b.number("value-bytes") < largeSessionBytes {
		if len(notes) == maxLargeSessionNotes {
			t.Fatalf("%d notes make %d bytes of JSON, want %d", len(notes),
				b.number("value-bytes"), largeSessionBytes)
		}
		note := randomNote(t)
		b.do("write a note", chromedp.SetValue(chromedp.ID("note"), note))
		b.submit("add the note", "add-note")
		notes = append(notes, note)
	}
	chunks, size := b.expectChunks(), b.number("value-bytes")
	if chunks < 3 {
		t.Errorf("a session of %d bytes of JSON takes %d cookies, want 3 or more", size,
			chunks)
	}
	t.Logf("%d notes: %d bytes of JSON in %d cookies, %d bytes of Cookie header",
		len(notes), size, chunks, b.number("cookie-bytes"))

	b.do("reload", chromedp.Reload())
	b.expectText("whoami", "Signed in as John Doe")
	b.expectNotes(notes)
	b.expectText("cookie-count", strconv.Itoa(chunks))

	b.submit("clear the notes", "clear-notes")
	if n := b.expectChunks(); n != 1 {
		t.Errorf("after clearing the notes the session takes %d cookies, want 1", n)
	}
	b.do("reload after clearing", chromedp.Reload())
	b.expectText("whoami", "Signed in as John Doe")
	b.expectNotes(nil)
	b.expectText("cookie-count", "1")
}

// Sizes of TestBrowserLargeSession.
const (
	largeSessionBytes    = 10000 // JSON in the session: about 10 KB
	largeSessionNote     = 2000  // characters in a note
	maxLargeSessionNotes = 8
)

// randomNote returns a note of random base64 characters, which no
// compression could shrink.
func randomNote(t *testing.T) string {
	b := make([]byte, largeSessionNote)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)[:largeSessionNote]
}

// signIn signs in through the form.
func (b *browser) signIn(username, password string) {
	b.t.Helper()
	b.do("open the home page", chromedp.Navigate(b.url+"/"),
		chromedp.WaitVisible(chromedp.ID("username")))
	b.do("fill in the form", chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), password))
	b.submit("sign in", "signin")
}

// number returns the number in the element with this ID.
func (b *browser) number(id string) int {
	b.t.Helper()
	text := read(b, "read #"+id, chromedp.Text(chromedp.ID(id)))
	n, err := strconv.Atoi(text)
	if err != nil {
		b.t.Fatalf("#%s = %q, not a number", id, text)
	}
	return n
}

// expectNotes checks the notes that the page lists, in order.
func (b *browser) expectNotes(want []string) {
	b.t.Helper()
	got := read(b, "read the notes", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("li.note"), li => li.textContent)`))
	if !slices.Equal(got, want) {
		b.t.Errorf("the page lists %d notes, want the %d added", len(got), len(want))
	}
}

// expectChunks checks the session's cookies in the browser, read through
// the DevTools protocol: the first says how many there are, "N/..." when
// more than one, and the browser holds exactly those, each HttpOnly,
// Secure and Path=/. It returns their number.
func (b *browser) expectChunks() int {
	b.t.Helper()
	held := map[string]*network.Cookie{}
	for _, c := range b.cookies() {
		if c.Name == cookieName || strings.HasPrefix(c.Name, cookieName+".") {
			held[c.Name] = c
		}
	}
	first, ok := held[cookieName]
	if !ok {
		b.t.Fatalf("no %s cookie in the browser: %v", cookieName, slices.Sorted(maps.Keys(held)))
	}
	count := 1
	if v := first.Value; len(v) > 2 && v[1] == '/' {
		count = int(v[0] - '0')
	}
	for i := range count {
		name := chunkName(i)
		if c := held[name]; c == nil || !c.HTTPOnly || !c.Secure || c.Path != "/" {
			b.t.Errorf("chunk %s in the browser = %+v, want HttpOnly, Secure, Path=/", name, c)
		}
	}
	if len(held) != count {
		b.t.Errorf("the browser holds %v, want the %d cookies that %s names",
			slices.Sorted(maps.Keys(held)), count, cookieName)
	}
	return count
}

// chunkName returns the name of the session's cookie number i: the first
// is the session cookie, then name.1, name.2, ...
func chunkName(i int) string {
	if i == 0 {
		return cookieName
	}
	return cookieName + "." + strconv.Itoa(i)
}

// cookies returns the cookies that the browser holds for the server.
func (b *browser) cookies() []*network.Cookie {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies,
		network.GetCookiesParams{URLs: []string{b.url + "/"}})
	if err != nil {
		b.t.Fatalf("reading the cookies: %v", err)
	}
	return res.Cookies
}

// newBrowser starts Chromium, headless, with a profile of its own, and
// returns its context. The browser is closed when the test ends.
func newBrowser(t *testing.T, execPath string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 900),
	}
	life, cancelLife := context.WithTimeout(context.Background(), browserTestTimeout)
	t.Cleanup(cancelLife)
	alloc, cancelAlloc := chromedp.NewExecAllocator(life, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(cancelCtx)

	// The first call starts the browser, which lives as long as the
	// context of that call: it cannot take a timeout of its own.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("starting %s: %v", execPath, err)
		}
	case <-time.After(browserStartTimeout):
		cancelCtx()
		t.Fatalf("%s did not start within %v", execPath, browserStartTimeout)
	}
	return ctx
}

// browser runs the steps of a test in one tab, each with a timeout.
type browser struct {
	t   *testing.T
	ctx context.Context
	url string
}

// do runs steps, failing the test with what they were meant to do.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// read runs an action that returns a value.
func read[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// submit clicks the submit button with this ID and waits for the page
// that the form's response leads to, which must be a 200.
func (b *browser) submit(what, buttonID string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID(buttonID)))
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	if resp.Status != http.StatusOK {
		b.t.Fatalf("%s: the page after the form is %d %s, want 200", what, resp.Status,
			resp.URL)
	}
}

// expectText checks the text of the element with this ID.
func (b *browser) expectText(id, want string) {
	b.t.Helper()
	if got := read(b, "read #"+id, chromedp.Text(chromedp.ID(id))); got != want {
		b.t.Errorf("#%s = %q, want %q", id, got, want)
	}
}

// sessionCookie returns the session cookie that the browser holds for the
// server, read through the DevTools protocol, or nil.
func (b *browser) sessionCookie() *network.Cookie {
	b.t.Helper()
	for _, c := range b.cookies() {
		if c.Name == cookieName {
			return c
		}
	}
	return nil
}

// expectKeyID checks the key ID in the clear header of the session cookie.
func (b *browser) expectKeyID(when string, want uint32) {
	b.t.Helper()
	c := b.sessionCookie()
	if c == nil {
		b.t.Fatalf("%s: no session cookie in the browser", when)
	}
	got, err := sealedKeyID(c.Value)
	if err != nil || got != want {
		b.t.Errorf("%s: cookie's key ID = %08x, %v; want %08x", when, got, err, want)
	}
}

// pngMagic starts every PNG file.
var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// screenshot saves a screenshot of the page and checks that it is a PNG.
func (b *browser) screenshot() {
	b.t.Helper()
	img := read(b, "take a screenshot", chromedp.CaptureScreenshot())
	path := filepath.Join(b.t.TempDir(), "signed-in.png")
	if err := os.WriteFile(path, img, 0o644); err != nil {
		b.t.Fatal(err)
	}
	saved, err := os.ReadFile(path)
	if err != nil {
		b.t.Fatal(err)
	}
	if len(saved) <= len(pngMagic) || !bytes.HasPrefix(saved, pngMagic) {
		b.t.Errorf("screenshot %s is %d bytes, not a PNG", path, len(saved))
	}
}
