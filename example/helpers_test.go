package main

import (
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/statelessgo/sessions/cookiesession"
)

// cookieName is the session cookie's name: the library's default.
const cookieName = "__Host-session"

// testConfig is the configuration of a test server: the defaults.
func testConfig() config {
	return config{idleTimeout: cookiesession.DefaultIdleTimeout,
		maxAge: cookiesession.DefaultLifetime}
}

// newTestServer starts the application on a loopback port and returns it
// with the server. Its log goes to the test's log.
func newTestServer(t *testing.T, cfg config) (*app, *httptest.Server) {
	t.Helper()
	return newTestServerWith(t, cfg, deps{})
}

// newTestServerWith starts the application with d, completed with what it
// lacks: a new key, a revocation list in memory, a logger to the test's
// log.
func newTestServerWith(t *testing.T, cfg config, d deps) (*app, *httptest.Server) {
	t.Helper()
	if d.keys == nil {
		keys, err := cookiesession.NewKeyring(cookiesession.GenerateKey())
		if err != nil {
			t.Fatal(err)
		}
		d.keys = keys
	}
	if d.revocation == nil {
		d.revocation = new(cookiesession.MemoryRevocationList)
	}
	if d.logger == nil {
		d.logger = testLogger(t, nil)
	}
	a, err := newApp(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(a.routes())
	t.Cleanup(ts.Close)
	return a, ts
}

// testLogger returns a logger, at debug level, to the test's log and to
// also, if not nil.
func testLogger(t *testing.T, also io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t, also},
		&slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testWriter writes to the test's log, and to also if not nil.
type testWriter struct {
	t    *testing.T
	also io.Writer
}

// Write logs p as one line of the test's log.
func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	if w.also != nil {
		return w.also.Write(p)
	}
	return len(p), nil
}

// response is what a test reads of a response.
type response struct {
	status int
	header http.Header
	body   string
}

// setCookie returns the response's session cookie, or nil.
func (r *response) setCookie() *http.Cookie {
	for _, line := range r.header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err == nil && c.Name == cookieName {
			return c
		}
	}
	return nil
}

// request describes a request to a test server. The client sends cookies
// by hand: net/http/cookiejar keeps Secure cookies off plain http.
type request struct {
	method string
	path   string
	form   url.Values        // sent as a form body when not nil
	body   string            // sent as a JSON body when not empty
	cookie string            // the session cookie's value
	header map[string]string // more request headers
}

// send sends req to ts without following redirects.
func send(t *testing.T, ts *httptest.Server, req request) *response {
	t.Helper()
	var body io.Reader
	switch {
	case req.form != nil:
		body = strings.NewReader(req.form.Encode())
	case req.body != "":
		body = strings.NewReader(req.body)
	}
	r, err := http.NewRequest(req.method, ts.URL+req.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if req.form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else if req.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if req.cookie != "" {
		r.Header.Set("Cookie", cookieName+"="+req.cookie)
	}
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	return do(t, r)
}

// client is the tests' HTTP client: it does not follow redirects.
var client = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       30 * time.Second,
}

// do sends r and reads the response.
func do(t *testing.T, r *http.Request) *response {
	t.Helper()
	resp, err := client.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", r.Method, r.URL.Path, err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// signIn posts the sign-in form and returns the session cookie's value.
func signIn(t *testing.T, ts *httptest.Server, username, password string) string {
	t.Helper()
	resp := send(t, ts, request{method: "POST", path: "/login",
		form: url.Values{"username": {username}, "password": {password}}})
	c := resp.setCookie()
	if resp.status != http.StatusSeeOther || c == nil {
		t.Fatalf("POST /login as %s = %d, cookie %v; want 303 and a cookie",
			username, resp.status, c)
	}
	return c.Value
}

// saved returns the response header of a Save of a new session with value
// d and flashes, sealed by m.
func saved(t *testing.T, m *cookiesession.Manager[sessionData], d sessionData,
	flashes ...string) http.Header {
	t.Helper()
	s := m.NewSession()
	s.Set(d)
	for _, f := range flashes {
		s.AddFlash(f)
	}
	rec := httptest.NewRecorder()
	if err := m.Save(rec, s); err != nil {
		t.Fatal(err)
	}
	return rec.Header()
}

// sealCookie returns a session cookie's value sealed by m with value d and
// flashes, as a browser would hold it.
func sealCookie(t *testing.T, m *cookiesession.Manager[sessionData], d sessionData,
	flashes ...string) string {
	t.Helper()
	h := saved(t, m, d, flashes...)
	c := (&response{header: h}).setCookie()
	if c == nil {
		t.Fatalf("Save wrote no session cookie: %q", h)
	}
	return c.Value
}

// sealToken returns a bearer token sealed by m with value d.
func sealToken(t *testing.T, m *cookiesession.Manager[sessionData], d sessionData) string {
	t.Helper()
	s := m.NewSession()
	s.Set(d)
	token, err := m.Token(s)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// openCookie opens a session cookie's value with m.
func openCookie(t *testing.T, m *cookiesession.Manager[sessionData],
	value string) *cookiesession.Session[sessionData] {
	t.Helper()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", cookieName+"="+value)
	s, err := m.Load(r)
	if err != nil || s.IsNew() {
		t.Fatalf("Load(cookie) = new %v, %v; want an open session", s.IsNew(), err)
	}
	return s
}

// newManager returns a Manager with the application's options, sealing
// under keys, or under a key of its own when keys is nil.
func newManager(t *testing.T, keys *cookiesession.Keyring,
	opts ...cookiesession.Option) *cookiesession.Manager[sessionData] {
	t.Helper()
	if keys == nil {
		var err error
		if keys, err = cookiesession.NewKeyring(cookiesession.GenerateKey()); err != nil {
			t.Fatal(err)
		}
	}
	m, err := cookiesession.New[sessionData](keys,
		append([]cookiesession.Option{cookiesession.WithBearerTokens()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// clockAt returns the option of a clock stopped at now.
func clockAt(now time.Time) cookiesession.Option {
	return cookiesession.WithClock(func() time.Time { return now })
}

// jar keeps cookies by name from Set-Cookie lines, as a browser would for
// one site, so that tests can follow a session over several cookies.
type jar map[string]string

// keep stores or deletes the cookies that resp sets.
func (j jar) keep(resp *response) {
	for _, line := range resp.header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			continue
		}
		delete(j, c.Name)
		if c.MaxAge >= 0 && c.Value != "" {
			j[c.Name] = c.Value
		}
	}
}

// header returns the Cookie header of the jar, in the order of names.
func (j jar) header() map[string]string {
	names := slices.Sorted(maps.Keys(j))
	var pairs []string
	for _, name := range names {
		pairs = append(pairs, name+"="+j[name])
	}
	return map[string]string{"Cookie": strings.Join(pairs, "; ")}
}

// sealJar returns the cookies, chunks included, of a session sealed by m
// with value d and flashes.
func sealJar(t *testing.T, m *cookiesession.Manager[sessionData], d sessionData,
	flashes ...string) jar {
	t.Helper()
	j := jar{}
	j.keep(&response{header: saved(t, m, d, flashes...)})
	return j
}
