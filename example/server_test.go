package main

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/statelessgo/sessions/cookiesession"
)

// The texts that tell the pages apart.
const (
	loginForm   = `<form class="login" method="post" action="/login">`
	loginFailed = "Wrong username or password."
)

// TestHomeSignedOut checks the sign-in page and its headers.
func TestHomeSignedOut(t *testing.T) {
	_, ts := newTestServer(t, testConfig())
	resp := send(t, ts, request{method: "GET", path: "/"})

	if resp.status != http.StatusOK {
		t.Fatalf("GET / = %d, want 200", resp.status)
	}
	if !strings.Contains(resp.body, loginForm) {
		t.Errorf("GET / has no sign-in form:\n%s", resp.body)
	}
	for name, want := range map[string]string{
		"Content-Type":           "text/html; charset=utf-8",
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
		"Set-Cookie":             "",
		"X-Instance":             "",
	} {
		if got := resp.header.Get(name); got != want {
			t.Errorf("GET / header %s = %q, want %q", name, got, want)
		}
	}
	csp := resp.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("GET / Content-Security-Policy = %q, want default-src 'none'", csp)
	}
}

// TestLogin signs in through the form, with good and bad credentials.
func TestLogin(t *testing.T) {
	a, ts := newTestServer(t, testConfig())
	tests := []struct {
		name, username, password string
		wantStatus               int
		wantUser                 string // "" when the sign-in fails
	}{
		{"john", "user", "pass", http.StatusSeeOther, "John Doe"},
		{"alice", "alice", "wonderland", http.StatusSeeOther, "Alice Liddell"},
		{"wrong password", "user", "wonderland", http.StatusUnauthorized, ""},
		{"unknown user", "bob", "pass", http.StatusUnauthorized, ""},
		{"empty form", "", "", http.StatusUnauthorized, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // bcrypt is slow under the race detector
			resp := send(t, ts, request{method: "POST", path: "/login",
				form: url.Values{"username": {tt.username}, "password": {tt.password}}})
			if resp.status != tt.wantStatus {
				t.Fatalf("POST /login = %d, want %d", resp.status, tt.wantStatus)
			}
			if tt.wantUser == "" {
				checkLoginRefused(t, resp)
				return
			}
			if got := resp.header.Get("Location"); got != "/" {
				t.Errorf("POST /login Location = %q, want /", got)
			}
			c := resp.setCookie()
			checkSessionCookie(t, c, 1800)
			want := userByName(tt.username).ID
			if got := openCookie(t, a.sessions, c.Value).Value().UserID; got != want {
				t.Errorf("cookie's user ID = %d, want %d", got, want)
			}

			page := send(t, ts, request{method: "GET", path: "/", cookie: c.Value})
			for _, want := range []string{"Signed in as " + tt.wantUser,
				`<p class="flash" role="status">Signed in</p>`, `id="visits">1<`} {
				if !strings.Contains(page.body, want) {
					t.Errorf("GET / after sign-in lacks %q:\n%s", want, page.body)
				}
			}
		})
	}
}

// checkLoginRefused checks the page of a refused sign-in.
func checkLoginRefused(t *testing.T, resp *response) {
	t.Helper()
	if c := resp.setCookie(); c != nil {
		t.Errorf("refused sign-in set a cookie: %v", c)
	}
	if !strings.Contains(resp.body, loginFailed) || !strings.Contains(resp.body, loginForm) {
		t.Errorf("refused sign-in page lacks the message or the form:\n%s", resp.body)
	}
	if ct := resp.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("refused sign-in Content-Type = %q, want text/html", ct)
	}
}

// checkSessionCookie checks the attributes that the library's defaults
// give the session cookie.
func checkSessionCookie(t *testing.T, c *http.Cookie, maxAge int) {
	t.Helper()
	if c == nil {
		t.Fatal("no session cookie set")
	}
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" ||
		c.Domain != "" || c.MaxAge != maxAge {
		t.Errorf("session cookie = %q, want HttpOnly, Secure, SameSite=Lax, Path=/, "+
			"no Domain, Max-Age=%d", c.String(), maxAge)
	}
}

// A sign-in starts a new session, with a new ID: a session ID planted or
// seen before the sign-in must not become signed in.
func TestLoginRenewsSession(t *testing.T) {
	t.Parallel() // bcrypt is slow under the race detector
	a, ts := newTestServer(t, testConfig())
	before := sealCookie(t, a.sessions, sessionData{Visits: 7})
	resp := send(t, ts, request{method: "POST", path: "/login", cookie: before,
		form: url.Values{"username": {"user"}, "password": {"pass"}}})
	c := resp.setCookie()
	if resp.status != http.StatusSeeOther || c == nil {
		t.Fatalf("POST /login = %d, cookie %v; want 303 and a cookie", resp.status, c)
	}

	old, renewed := openCookie(t, a.sessions, before), openCookie(t, a.sessions, c.Value)
	if old.ID() == renewed.ID() {
		t.Errorf("session ID after sign-in = %s, the ID before; want a new one", renewed.ID())
	}
	if got := renewed.Value(); !reflect.DeepEqual(got, sessionData{UserID: 1}) {
		t.Errorf("session after sign-in = %+v, want only the user ID", got)
	}
}

// TestHomeSignedIn checks the signed-in page, its counters and flash message.
func TestHomeSignedIn(t *testing.T) {
	a, ts := newTestServer(t, testConfig())
	cookie := sealCookie(t, a.sessions, sessionData{UserID: 2, Count: 5}, "Hello")

	first := send(t, ts, request{method: "GET", path: "/", cookie: cookie})
	for _, want := range []string{"Signed in as Alice Liddell", "alice@example.com",
		`id="visits">1<`, `id="counter">5<`, `role="status">Hello</p>`,
		`id="session-id">` + openCookie(t, a.sessions, cookie).ID() + "<"} {
		if !strings.Contains(first.body, want) {
			t.Errorf("first GET / lacks %q:\n%s", want, first.body)
		}
	}
	c := first.setCookie()
	checkSessionCookie(t, c, 1800)

	second := send(t, ts, request{method: "GET", path: "/", cookie: c.Value})
	if !strings.Contains(second.body, `id="visits">2<`) {
		t.Errorf("second GET / does not show 2 visits:\n%s", second.body)
	}
	if strings.Contains(second.body, "Hello") {
		t.Errorf("second GET / shows the flash message again")
	}
}

// counterRE finds the counter on the signed-in page.
var counterRE = regexp.MustCompile(`id="counter">(\d+)<`)

// TestCounter presses the counter button, signed in and signed out.
func TestCounter(t *testing.T) {
	a, ts := newTestServer(t, testConfig())
	cookie := sealCookie(t, a.sessions, sessionData{UserID: 1})
	for i := 1; i <= 3; i++ {
		resp := send(t, ts, request{method: "POST", path: "/counter", cookie: cookie})
		if resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/" {
			t.Fatalf("POST /counter #%d = %d to %q, want 303 to /", i, resp.status,
				resp.header.Get("Location"))
		}
		cookie = resp.setCookie().Value
		page := send(t, ts, request{method: "GET", path: "/", cookie: cookie})
		if m := counterRE.FindStringSubmatch(page.body); m == nil || m[1] != strconv.Itoa(i) {
			t.Fatalf("counter after %d presses = %v, want %d", i, m, i)
		}
	}

	t.Run("signed out", func(t *testing.T) {
		resp := send(t, ts, request{method: "POST", path: "/counter"})
		if resp.status != http.StatusUnauthorized || resp.setCookie() != nil {
			t.Errorf("POST /counter signed out = %d, cookie %v; want 401, none",
				resp.status, resp.setCookie())
		}
		if !strings.Contains(resp.body, "Sign in to use the counter.") {
			t.Errorf("POST /counter signed out lacks the message:\n%s", resp.body)
		}
	})
}

// TestLogout checks that signing out deletes the cookie.
func TestLogout(t *testing.T) {
	a, ts := newTestServer(t, testConfig())
	cookie := sealCookie(t, a.sessions, sessionData{UserID: 1})
	resp := send(t, ts, request{method: "POST", path: "/logout", cookie: cookie})
	if resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/" {
		t.Fatalf("POST /logout = %d to %q, want 303 to /", resp.status,
			resp.header.Get("Location"))
	}
	c := resp.setCookie()
	if c == nil || c.Value != "" || c.MaxAge >= 0 || !c.Secure || c.Path != "/" {
		t.Fatalf("POST /logout Set-Cookie = %v, want an empty Secure cookie, Path=/, Max-Age=0",
			c)
	}
	if line := resp.header.Get("Set-Cookie"); !strings.Contains(line, "Max-Age=0") {
		t.Errorf("POST /logout Set-Cookie = %q, want Max-Age=0", line)
	}
}

// Cross-origin form posts are refused before they reach a handler; safe
// methods and same-origin posts pass.
func TestCrossOrigin(t *testing.T) {
	a, ts := newTestServer(t, testConfig())
	cookie := sealCookie(t, a.sessions, sessionData{UserID: 1})
	tests := []struct {
		name, method, path string
		header             map[string]string
		want               int
	}{
		{"cross-site counter", "POST", "/counter",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same-site logout", "POST", "/logout",
			map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"cross-site notes", "POST", "/notes",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"cross-site sign-out everywhere", "POST", "/logout-everywhere",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"cross-site login", "POST", "/login",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"cross-site API login", "POST", "/api/login",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"foreign Origin", "POST", "/logout",
			map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"same-origin counter", "POST", "/counter",
			map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusSeeOther},
		{"own Origin", "POST", "/counter",
			map[string]string{"Origin": ts.URL}, http.StatusSeeOther},
		{"cross-site GET", "GET", "/",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := send(t, ts, request{method: tt.method, path: tt.path, cookie: cookie,
				header: tt.header, form: url.Values{}})
			if resp.status != tt.want {
				t.Fatalf("%s %s = %d, want %d", tt.method, tt.path, resp.status, tt.want)
			}
			if tt.want == http.StatusForbidden && resp.setCookie() != nil {
				t.Errorf("refused %s %s set a cookie: %v", tt.method, tt.path, resp.setCookie())
			}
		})
	}
}

// A bearer token is for the API: the pages, which change the session,
// refuse it.
func TestPagesRefuseBearerTokens(t *testing.T) {
	a, ts := newTestServer(t, testConfig())
	token := sealToken(t, a.sessions, sessionData{UserID: 1})
	for _, path := range []string{"GET /", "POST /counter", "POST /logout",
		"POST /logout-everywhere", "POST /notes", "POST /notes/clear"} {
		method, path, _ := strings.Cut(path, " ")
		resp := send(t, ts, request{method: method, path: path,
			header: map[string]string{"Authorization": "Bearer " + token}})
		if resp.status != http.StatusBadRequest {
			t.Errorf("%s %s with a bearer token = %d, want 400", method, path, resp.status)
		}
	}
}

// Whatever comes as a session cookie, the worst outcome is no session:
// the page is signed out, the API says 401, nothing fails with 5xx.
func TestGarbageCookies(t *testing.T) {
	a, ts := newTestServer(t, testConfig())
	valid := sealCookie(t, a.sessions, sessionData{UserID: 1})
	past := time.Now().Add(-cookiesession.DefaultIdleTimeout - time.Minute)
	tests := []struct{ name, cookie string }{
		{"empty", ""},
		{"not base64", "!!!not*base64!!!"},
		{"quoted", `"` + valid + `"`},
		{"random", strings.Repeat("QUJD", 40)},
		{"truncated", valid[:len(valid)-10]},
		{"one character changed", flipChar(valid, len(valid)-20)},
		{"header changed", flipChar(valid, 10)},
		{"version 2", "Ag" + valid[2:]},
		{"other key", sealCookie(t, newManager(t, nil), sessionData{UserID: 1})},
		{"expired", sealCookie(t, newManager(t, a.sessions.Keys(), clockAt(past)),
			sessionData{UserID: 1})},
		{"bearer token", sealToken(t, a.sessions, sessionData{UserID: 1})},
		{"too long", strings.Repeat("A", 5000)},
		{"five cookies", strings.Repeat(valid+"; "+cookieName+"=", 4) + valid},
		{"odd characters", `a b"c,d\e`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{"Cookie": cookieName + "=" + tt.cookie}
			page := send(t, ts, request{method: "GET", path: "/", header: h})
			if page.status != http.StatusOK || !strings.Contains(page.body, loginForm) {
				t.Errorf("GET / = %d, want 200 and the sign-in form", page.status)
			}
			api := send(t, ts, request{method: "GET", path: "/api/data", header: h})
			if api.status != http.StatusUnauthorized {
				t.Errorf("GET /api/data = %d, want 401", api.status)
			}
			counter := send(t, ts, request{method: "POST", path: "/counter", header: h})
			if counter.status != http.StatusUnauthorized {
				t.Errorf("POST /counter = %d, want 401", counter.status)
			}
		})
	}
}

// flipChar returns s with its i-th character replaced by another base64
// character.
func flipChar(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

// TestNotFound checks the answers to unknown paths and methods.
func TestNotFound(t *testing.T) {
	_, ts := newTestServer(t, testConfig())
	tests := []struct {
		method, path string
		want         int
	}{
		{"GET", "/nothing", http.StatusNotFound},
		{"GET", "/login", http.StatusMethodNotAllowed},
		{"GET", "/api/login", http.StatusMethodNotAllowed},
		{"POST", "/", http.StatusMethodNotAllowed},
		{"GET", "/notes", http.StatusMethodNotAllowed},
		{"GET", "/logout-everywhere", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.method, " ", tt.path), func(t *testing.T) {
			resp := send(t, ts, request{method: tt.method, path: tt.path})
			if resp.status != tt.want {
				t.Errorf("%s %s = %d, want %d", tt.method, tt.path, resp.status, tt.want)
			}
		})
	}
}

// TestInstanceHeader checks that -instance names the instance.
func TestInstanceHeader(t *testing.T) {
	cfg := testConfig()
	cfg.instance = "b"
	_, ts := newTestServer(t, cfg)
	resp := send(t, ts, request{method: "GET", path: "/nothing"})
	if got := resp.header.Get("X-Instance"); got != "b" {
		t.Errorf("X-Instance = %q, want b", got)
	}
	if !strings.Contains(send(t, ts, request{method: "GET", path: "/"}).body,
		`id="instance">b<`) {
		t.Errorf("GET / does not name the instance")
	}
}

// The signed-in page lists what the demo shows and offers every action.
func TestHomeShowsTheDemo(t *testing.T) {
	a, ts := newTestServer(t, testConfig())
	cookie := sealCookie(t, a.sessions, sessionData{UserID: 1})
	page := send(t, ts, request{method: "GET", path: "/", cookie: cookie})
	for _, want := range []string{
		"What this demo shows", "HttpOnly; Secure; SameSite=Lax; Path=/",
		`id="logout-everywhere"`, `action="/logout-everywhere"`,
		`<textarea id="note" name="note"`, `action="/notes"`, `action="/notes/clear"`,
		`id="no-notes"`, `id="cookie-count">1<`,
		`id="cookie-bytes">` + strconv.Itoa(len(cookieName)+1+len(cookie)) + "<",
		`id="value-bytes">` + strconv.Itoa(len(`{"uid":1,"visits":1}`)) + "<",
		`id="revocation">in this server&#39;s memory`,
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("GET / signed in lacks %q", want)
		}
	}
}
