package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statelessgo/sessions/cookiesession"
)

// A copy of the cookie taken before sign-out no longer opens: the page
// shows the sign-in form, the API says 401.
func TestLogoutRevokes(t *testing.T) {
	a, ts := newTestServer(t, testConfig())
	cookie := sealCookie(t, a.sessions, sessionData{UserID: 1})
	other := sealCookie(t, a.sessions, sessionData{UserID: 1}) // another device

	resp := send(t, ts, request{method: "POST", path: "/logout", cookie: cookie})
	if c := resp.setCookie(); resp.status != http.StatusSeeOther || c == nil || c.MaxAge >= 0 {
		t.Fatalf("POST /logout = %d, cookie %v; want 303 and the cookie deleted",
			resp.status, c)
	}
	checkSignedOut(t, ts, "the copy", cookie)
	checkSignedIn(t, ts, "the other device's cookie", other)
}

// checkSignedOut checks that a cookie no longer opens.
func checkSignedOut(t *testing.T, ts *httptest.Server, what, cookie string) {
	t.Helper()
	api := send(t, ts, request{method: "GET", path: "/api/data", cookie: cookie})
	if api.status != http.StatusUnauthorized {
		t.Errorf("GET /api/data with %s = %d, want 401", what, api.status)
	}
	page := send(t, ts, request{method: "GET", path: "/", cookie: cookie})
	if page.status != http.StatusOK || !strings.Contains(page.body, loginForm) {
		t.Errorf("GET / with %s = %d, want 200 and the sign-in form", what, page.status)
	}
}

// checkSignedIn checks that a cookie opens.
func checkSignedIn(t *testing.T, ts *httptest.Server, what, cookie string) {
	t.Helper()
	if api := send(t, ts, request{method: "GET", path: "/api/data", cookie: cookie}); api.status !=
		http.StatusOK {
		t.Errorf("GET /api/data with %s = %d, want 200", what, api.status)
	}
}

// clock is a settable clock, safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// "Sign out everywhere" ends every session of the user created up to now,
// on every device and every bearer token, and no one else's; the user can
// sign in again afterwards.
func TestLogoutEverywhere(t *testing.T) {
	clk := &clock{now: time.Now().Truncate(time.Second).Add(500 * time.Millisecond)}
	a, ts := newTestServerWith(t, testConfig(), deps{now: clk.Now})
	laptop := sealCookie(t, a.sessions, sessionData{UserID: 1})
	clk.Advance(10 * time.Minute)
	phone := sealCookie(t, a.sessions, sessionData{UserID: 1})
	token := sealToken(t, a.sessions, sessionData{UserID: 1})
	alice := sealCookie(t, a.sessions, sessionData{UserID: 2})

	resp := send(t, ts, request{method: "POST", path: "/logout-everywhere", cookie: phone})
	c := resp.setCookie()
	if resp.status != http.StatusSeeOther || c == nil || c.Value == "" {
		t.Fatalf("POST /logout-everywhere = %d, cookie %v; want 303 and a new cookie",
			resp.status, c)
	}
	page := send(t, ts, request{method: "GET", path: "/", cookie: c.Value})
	for _, want := range []string{loginForm, `role="status">Signed out on every device.</p>`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("GET / after signing out everywhere lacks %q:\n%s", want, page.body)
		}
	}

	checkSignedOut(t, ts, "the laptop's cookie", laptop)
	checkSignedOut(t, ts, "the phone's cookie", phone)
	if api := sendRaw(t, ts, "GET", "/api/data", "", bearer(token)); api.status !=
		http.StatusUnauthorized {
		t.Errorf("GET /api/data with a token issued before = %d, want 401", api.status)
	}
	checkSignedIn(t, ts, "another user's cookie", alice)

	clk.Advance(time.Second)
	checkSignedIn(t, ts, "a session created after",
		sealCookie(t, a.sessions, sessionData{UserID: 1}))
}

// A token from /api/login is refused after "sign out everywhere" on a
// browser.
func TestLogoutEverywhereRevokesAPILogin(t *testing.T) {
	t.Parallel() // bcrypt is slow under the race detector
	_, ts := newTestServer(t, testConfig())
	var body struct{ Token string }
	decodeBody(t, sendRaw(t, ts, "POST", "/api/login",
		`{"username": "user", "password": "pass"}`, nil), &body)
	if api := sendRaw(t, ts, "GET", "/api/data", "", bearer(body.Token)); api.status !=
		http.StatusOK {
		t.Fatalf("GET /api/data with a new token = %d, want 200", api.status)
	}
	cookie := signIn(t, ts, "user", "pass")

	resp := send(t, ts, request{method: "POST", path: "/logout-everywhere", cookie: cookie})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("POST /logout-everywhere = %d, want 303", resp.status)
	}
	if api := sendRaw(t, ts, "GET", "/api/data", "", bearer(body.Token)); api.status !=
		http.StatusUnauthorized {
		t.Errorf("GET /api/data with the token after signing out everywhere = %d, want 401",
			api.status)
	}
}

// TestLogoutEverywhereSignedOut checks that signing out everywhere needs a
// signed-in user.
func TestLogoutEverywhereSignedOut(t *testing.T) {
	_, ts := newTestServer(t, testConfig())
	resp := send(t, ts, request{method: "POST", path: "/logout-everywhere"})
	if resp.status != http.StatusUnauthorized || resp.setCookie() != nil {
		t.Errorf("POST /logout-everywhere signed out = %d, cookie %v; want 401, none",
			resp.status, resp.setCookie())
	}
}

// flakyList is a revocation list in memory whose store can fail: every
// call, or only the writes.
type flakyList struct {
	cookiesession.MemoryRevocationList
	down       atomic.Bool // every call fails
	writesDown atomic.Bool // Revoke and RevokeSubject fail
}

var errStoreDown = errors.New("the store is down")

// Revoked fails while the store is down.
func (l *flakyList) Revoked(ctx context.Context, id, subject string,
	created time.Time) (bool, error) {
	if l.down.Load() {
		return false, errStoreDown
	}
	return l.MemoryRevocationList.Revoked(ctx, id, subject, created)
}

// Revoke fails while the store or its writes are down.
func (l *flakyList) Revoke(ctx context.Context, id string, until time.Time) error {
	if l.down.Load() || l.writesDown.Load() {
		return errStoreDown
	}
	return l.MemoryRevocationList.Revoke(ctx, id, until)
}

// RevokeSubject fails while the store or its writes are down.
func (l *flakyList) RevokeSubject(ctx context.Context, subject string,
	before, until time.Time) error {
	if l.down.Load() || l.writesDown.Load() {
		return errStoreDown
	}
	return l.MemoryRevocationList.RevokeSubject(ctx, subject, before, until)
}

// While the revocation list is down, a session cannot be checked: every
// request that opens one gets 503, not the signed-out page, and the
// browser's cookie is left alone. Sign-out is refused rather than faked.
func TestRevocationUnavailable(t *testing.T) {
	list := new(flakyList)
	a, ts := newTestServerWith(t, testConfig(), deps{revocation: list})
	cookie := sealCookie(t, a.sessions, sessionData{UserID: 1})
	token := sealToken(t, a.sessions, sessionData{UserID: 1})
	cookieHeader := map[string]string{"Cookie": cookieName + "=" + cookie}
	tests := []struct {
		name, method, path string
		header             map[string]string
		down, writesDown   bool
		want               string // in the body
	}{
		{"page", "GET", "/", cookieHeader, true, false, unavailableMessage},
		{"counter", "POST", "/counter", cookieHeader, true, false, unavailableMessage},
		{"notes", "POST", "/notes", cookieHeader, true, false, unavailableMessage},
		{"logout", "POST", "/logout", cookieHeader, true, false, unavailableMessage},
		{"logout everywhere", "POST", "/logout-everywhere", cookieHeader, true, false,
			unavailableMessage},
		{"API with the cookie", "GET", "/api/data", cookieHeader, true, false,
			"cannot be checked right now"},
		{"API with a token", "GET", "/api/data", bearer(token), true, false,
			"cannot be checked right now"},
		{"logout not recorded", "POST", "/logout", cookieHeader, false, true,
			"The sign-out did not go through"},
		{"logout everywhere not recorded", "POST", "/logout-everywhere", cookieHeader, false,
			true, "The sign-out did not go through"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list.down.Store(tt.down)
			list.writesDown.Store(tt.writesDown)
			resp := send(t, ts, request{method: tt.method, path: tt.path, header: tt.header})
			list.down.Store(false)
			list.writesDown.Store(false)

			if resp.status != http.StatusServiceUnavailable ||
				!strings.Contains(html(resp.body), tt.want) {
				t.Errorf("%s %s = %d %s, want 503 and %q", tt.method, tt.path, resp.status,
					resp.body, tt.want)
			}
			if lines := resp.header.Values("Set-Cookie"); len(lines) != 0 {
				t.Errorf("%s %s during the outage set cookies: %q", tt.method, tt.path, lines)
			}
			if strings.Contains(resp.body, loginForm) {
				t.Errorf("%s %s during the outage shows the sign-in form", tt.method, tt.path)
			}
		})
	}
	checkSignedIn(t, ts, "the cookie, once the list is back", cookie)
}

// html undoes the escaping of the page's template, for the apostrophes of
// the messages.
func html(body string) string { return strings.ReplaceAll(body, "&#39;", "'") }
