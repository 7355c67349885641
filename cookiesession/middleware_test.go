package cookiesession_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statelessgo/sessions/cookiesession"
)

// count increments the session's counter.
func (f *fixture) count(r *http.Request) {
	f.m.Get(r).Update(func(u *user) { u.Count++ })
}

// counter is a handler that increments the session's counter.
func (f *fixture) counter(w http.ResponseWriter, r *http.Request) { f.count(r) }

// TestCommitPoints changes the session and then reaches the client by each
// of the ways a handler can: the cookie must be in the response headers
// every time, exactly once.
func TestCommitPoints(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.count(r)
		rc := http.NewResponseController(w)
		switch r.URL.Path {
		case "/nothing":
		case "/writeheader":
			w.WriteHeader(http.StatusAccepted)
		case "/write":
			w.Write([]byte("hello"))
		case "/empty-write":
			w.Write(nil)
		case "/redirect":
			http.Redirect(w, r, "/", http.StatusFound)
		case "/flush":
			if err := rc.Flush(); err != nil {
				t.Errorf("ResponseController.Flush = %v", err)
			}
			time.Sleep(10 * time.Millisecond) // headers reach the client before the body
			w.Write([]byte("late body"))
		case "/flusher":
			w.(http.Flusher).Flush()
		case "/copy":
			io.Copy(w, strings.NewReader(strings.Repeat("x", 100_000)))
		case "/readfrom":
			w.(io.ReaderFrom).ReadFrom(io.LimitReader(zeros{}, 100_000))
		case "/no-content":
			w.WriteHeader(http.StatusNoContent)
			if _, err := w.Write([]byte("x")); !errors.Is(err, http.ErrBodyNotAllowed) {
				t.Errorf("Write after 204 = %v, want ErrBodyNotAllowed", err)
			}
		}
	})))
	defer srv.Close()

	paths := []string{"/nothing", "/writeheader", "/write", "/empty-write", "/redirect",
		"/flush", "/flusher", "/copy", "/readfrom", "/no-content"}
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		for _, path := range paths {
			t.Run(method+path, func(t *testing.T) {
				req, _ := http.NewRequest(method, srv.URL+path, nil)
				res, err := noRedirect.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if n := len(res.Header["Set-Cookie"]); n != 1 {
					t.Errorf("%d Set-Cookie lines, want 1: %q", n, res.Header["Set-Cookie"])
				}
			})
		}
	}
	if errs := f.errs.all(); len(errs) != 0 {
		t.Errorf("errors reported: %v", errs)
	}
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestEarlyHints sends 103 Early Hints before the final response: the
// cookie rides on the final response only.
func TestEarlyHints(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.count(r)
		w.Header().Set("Link", "</style.css>; rel=preload; as=style")
		w.WriteHeader(http.StatusEarlyHints)
		w.WriteHeader(http.StatusOK)
	})))
	defer srv.Close()

	var hints []textproto.MIMEHeader
	ctx := httptrace.WithClientTrace(t.Context(), &httptrace.ClientTrace{
		Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
			hints = append(hints, h)
			return nil
		},
	})
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if len(hints) != 1 || hints[0].Get("Set-Cookie") != "" {
		t.Errorf("103 responses %v: want one, without Set-Cookie", hints)
	}
	if res.StatusCode != http.StatusOK || len(res.Header["Set-Cookie"]) != 1 {
		t.Errorf("final response %d with Set-Cookie %q, want 200 with one", res.StatusCode,
			res.Header["Set-Cookie"])
	}
}

// TestHijack changes the session and hijacks the connection, as a
// WebSocket upgrader does: the Set-Cookie line is in the header map for the
// code that writes the raw response.
func TestHijack(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.count(r)
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack = %v", err)
			return
		}
		defer conn.Close()
		fmt.Fprintf(brw, "HTTP/1.1 200 OK\r\nSet-Cookie: %s\r\nContent-Length: 0\r\n\r\n",
			w.Header().Get("Set-Cookie"))
		brw.Flush()
	})))
	defer srv.Close()

	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if v, ok := setCookieValue(res.Header, f.m.Name()); !ok || v == "" {
		t.Errorf("hijacked response Set-Cookie = %q, want the session", res.Header["Set-Cookie"])
	}
}

// TestDirectHijack asserts http.Hijacker on the wrapper, as older code
// does.
func TestDirectHijack(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("Hijack = %v", err)
			return
		}
		conn.Close()
	})))
	defer srv.Close()
	if _, err := http.Get(srv.URL); err == nil {
		t.Error("hijacked and closed connection answered")
	}
}

// TestLateChangeIsReported changes the session after the body started:
// the change cannot be saved, and is reported to the error handler and the
// logger, not dropped in silence.
func TestLateChangeIsReported(t *testing.T) {
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFixture(t, cookiesession.WithLogger(logger))
	value := f.login(t, user{Name: "ann"})

	cases := map[string]func(s *cookiesession.Session[user]){
		"Set":         func(s *cookiesession.Session[user]) { s.Set(user{Name: "bob"}) },
		"Update":      func(s *cookiesession.Session[user]) { s.Update(func(u *user) { u.Count = 9 }) },
		"Renew":       func(s *cookiesession.Session[user]) { s.Renew() },
		"Destroy":     func(s *cookiesession.Session[user]) { s.Destroy() },
		"AddFlash":    func(s *cookiesession.Session[user]) { s.AddFlash("hi") },
		"SetLifetime": func(s *cookiesession.Session[user]) { s.SetLifetime(time.Hour) },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			before := len(f.errs.all())
			w := f.serve(func(w http.ResponseWriter, r *http.Request) {
				s := f.m.Get(r)
				w.Write([]byte("body first"))
				change(s)
			}, value)
			if _, ok := setCookieValue(w.Result().Header, f.m.Name()); ok {
				t.Error("a cookie was written after the body")
			}
			errs := f.errs.all()
			if len(errs) != before+1 || !errors.Is(errs[len(errs)-1], cookiesession.ErrCommitted) {
				t.Errorf("reported %v, want one ErrCommitted", errs[before:])
			}
		})
	}
	if !strings.Contains(log.String(), "level=ERROR") || !strings.Contains(log.String(), "lost") {
		t.Errorf("log = %q, want an error line for the lost change", log.String())
	}

	// Setting the same value after the commit loses nothing: not reported.
	before := len(f.errs.all())
	f.serve(func(w http.ResponseWriter, r *http.Request) {
		s := f.m.Get(r)
		w.WriteHeader(http.StatusOK)
		s.Set(s.Value())
	}, value)
	if errs := f.errs.all(); len(errs) != before {
		t.Errorf("unchanged Set after commit reported %v", errs[before:])
	}
}

// TestUntouched serves a request whose handler never asks for the session:
// nothing is opened (no AEAD operation) and nothing is written.
func TestUntouched(t *testing.T) {
	f := newFixture(t)
	value := f.login(t, user{Name: "ann"})
	var counter cookiesession.AEADCounter
	m, err := cookiesession.New[user](cookiesession.CountingKeyring(&counter, f.keys[0]),
		cookiesession.WithClock(f.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(20 * time.Minute) // a refresh would be due if the session were opened
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Cookie", m.Name()+"="+value)
	m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("static"))
	})).ServeHTTP(w, r)
	if len(w.Header()) != 1 || counter.Opens.Load()+counter.Seals.Load() != 0 {
		t.Errorf("headers %v after %d opens and %d seals, want Content-Type only and none",
			w.Header(), counter.Opens.Load(), counter.Seals.Load())
	}
}

// TestReadOnlyWritesNothing reads a session that needs no refresh: no
// Set-Cookie, but Vary: Cookie since the response depends on it.
func TestReadOnlyWritesNothing(t *testing.T) {
	f := newFixture(t)
	value := f.login(t, user{Name: "ann", Roles: []string{"a", "b"}})
	f.clock.Advance(time.Minute)
	u, ok, w := f.read(value)
	if !ok || u.Name != "ann" {
		t.Fatalf("read = %+v, %v", u, ok)
	}
	h := w.Result().Header
	if len(h["Set-Cookie"]) != 0 || h.Get("Vary") != "Cookie" {
		t.Errorf("headers %v, want Vary: Cookie and no Set-Cookie", h)
	}
}

// TestResponseHeaders checks the attributes of the cookie and the cache
// headers of a response that sets it.
func TestResponseHeaders(t *testing.T) {
	cases := []struct {
		name   string
		opts   []cookiesession.Option
		preset http.Header
		want   []string
		cache  string
	}{
		{"defaults", nil, nil,
			[]string{"__Host-session=", "; Max-Age=1800; Path=/; HttpOnly; Secure; SameSite=Lax"},
			"private"},
		{"domain", []cookiesession.Option{cookiesession.WithDomain("example.com"),
			cookiesession.WithSameSite(http.SameSiteStrictMode)}, nil,
			[]string{"__Secure-session=", "; Path=/; Domain=example.com; HttpOnly; Secure; SameSite=Strict"},
			"private"},
		{"insecure", []cookiesession.Option{cookiesession.WithInsecureCookie(),
			cookiesession.WithPath("/app")}, nil,
			[]string{"session=", "; Path=/app; HttpOnly; SameSite=Lax"}, "private"},
		{"public cache", nil, http.Header{"Cache-Control": {"public, max-age=60, s-maxage=600"}},
			[]string{"__Host-session="}, "private, max-age=60"},
		{"no-store kept", nil, http.Header{"Cache-Control": {"no-store"}, "Vary": {"Accept"}},
			[]string{"__Host-session="}, "no-store"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, c.opts...)
			w := f.serve(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range c.preset {
					w.Header()[k] = v
				}
				f.count(r)
			}, "")
			h := w.Result().Header
			line := strings.Join(h["Set-Cookie"], "\n")
			for _, want := range c.want {
				if !strings.Contains(line, want) {
					t.Errorf("Set-Cookie = %q, want it to contain %q", line, want)
				}
			}
			if got := h.Get("Cache-Control"); got != c.cache {
				t.Errorf("Cache-Control = %q, want %q", got, c.cache)
			}
			if vary := strings.Join(h["Vary"], ","); !strings.Contains(vary, "Cookie") {
				t.Errorf("Vary = %q, want Cookie", vary)
			}
		})
	}
}

func TestDestroy(t *testing.T) {
	f := newFixture(t, cookiesession.WithDomain("example.com"))
	value := f.login(t, user{Name: "ann"})
	w := f.serve(func(w http.ResponseWriter, r *http.Request) { f.m.Get(r).Destroy() }, value)
	line := strings.Join(w.Result().Header["Set-Cookie"], "\n")
	want := "__Secure-session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; " +
		"Path=/; Domain=example.com; HttpOnly; Secure; SameSite=Lax"
	if line != want {
		t.Errorf("Set-Cookie = %q\nwant %q", line, want)
	}

	// Destroy, then a new value on the same request: one cookie, for a new
	// session with a new ID.
	var oldID, newID string
	w = f.serve(func(w http.ResponseWriter, r *http.Request) {
		s := f.m.Get(r)
		oldID = s.ID()
		s.Destroy()
		s.Set(user{Name: "bob"})
		newID = s.ID()
	}, value)
	v, ok := setCookieValue(w.Result().Header, f.m.Name())
	if u, ok2, _ := f.read(v); !ok || !ok2 || u.Name != "bob" || oldID == newID {
		t.Errorf("after Destroy and Set: %+v, IDs %q -> %q", u, oldID, newID)
	}
}

func TestRenew(t *testing.T) {
	f := newFixture(t)
	value := f.login(t, user{Name: "ann"})
	before, _ := cookiesession.PeekHeader(value)
	var oldID, newID string
	f.clock.Advance(10 * time.Minute)
	w := f.serve(func(w http.ResponseWriter, r *http.Request) {
		s := f.m.Get(r)
		oldID = s.ID()
		s.Renew()
		newID = s.ID()
	}, value)
	v, _ := setCookieValue(w.Result().Header, f.m.Name())
	after, _ := cookiesession.PeekHeader(v)
	if oldID == newID || after.Created != before.Created+600 ||
		after.Expires != after.Created+int64(cookiesession.DefaultLifetime/time.Second) {
		t.Errorf("Renew: ID %q -> %q, created %d -> %d, expires %d", oldID, newID,
			before.Created, after.Created, after.Expires)
	}
	if u, ok, _ := f.read(v); !ok || u.Name != "ann" {
		t.Errorf("renewed session lost its value: %+v", u)
	}
}

func TestFlashes(t *testing.T) {
	f := newFixture(t)
	value := f.login(t, user{Name: "ann"})
	w := f.serve(func(w http.ResponseWriter, r *http.Request) {
		s := f.m.Get(r)
		s.AddFlash("saved")
		s.AddFlash("line\nbreak; \"quoted\" \x00 ünïcode")
	}, value)
	value, _ = setCookieValue(w.Result().Header, f.m.Name())

	var got []string
	w = f.serve(func(w http.ResponseWriter, r *http.Request) { got = f.m.Get(r).Flashes() }, value)
	want := []string{"saved", "line\nbreak; \"quoted\" \x00 ünïcode"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Flashes = %q, want %q", got, want)
	}
	value, ok := setCookieValue(w.Result().Header, f.m.Name())
	if !ok {
		t.Fatal("reading flashes wrote no cookie; they would show again")
	}
	f.serve(func(w http.ResponseWriter, r *http.Request) { got = f.m.Get(r).Flashes() }, value)
	if len(got) != 0 {
		t.Errorf("Flashes on the next request = %q, want none", got)
	}
}

// TestConcurrentUse uses one request's session from 50 goroutines, with
// the response written halfway: run under -race.
func TestConcurrentUse(t *testing.T) {
	f := newFixture(t)
	value := f.login(t, user{Name: "ann"})
	w := f.serve(func(w http.ResponseWriter, r *http.Request) {
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				s := f.m.Get(r)
				s.Update(func(u *user) { u.Count++ })
				_ = s.Value().Name
				if i%10 == 0 {
					s.AddFlash("x")
					_ = s.ID()
					_ = s.ExpiresAt()
				}
			})
		}
		wg.Wait()
	}, value)
	v, _ := setCookieValue(w.Result().Header, f.m.Name())
	if u, _, _ := f.read(v); u.Count != 50 {
		t.Errorf("count = %d after 50 concurrent increments, want 50", u.Count)
	}

	// The same, with a goroutine writing the response while others change
	// the session: each change is either saved or reported.
	before := len(f.errs.all())
	w = f.serve(func(w http.ResponseWriter, r *http.Request) {
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				if i == 25 {
					w.Write([]byte("now"))
				}
				f.m.Get(r).Update(func(u *user) { u.Count++ })
			})
		}
		wg.Wait()
	}, value)
	saved := 0
	if v, ok := setCookieValue(w.Result().Header, f.m.Name()); ok {
		u, _, _ := f.read(v)
		saved = u.Count
	}
	if reported := len(f.errs.all()) - before; saved+reported != 50 {
		t.Errorf("%d changes saved and %d reported, want 50 in all", saved, reported)
	}
}

// TestPanicWritesNothing panics in the handler after a change: no cookie
// for the partial state, and the panic goes on unchanged.
func TestPanicWritesNothing(t *testing.T) {
	f := newFixture(t)
	w := httptest.NewRecorder()
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", p)
			}
		}()
		f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f.count(r)
			panic(http.ErrAbortHandler)
		})).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	}()
	if len(w.Header()["Set-Cookie"]) != 0 {
		t.Errorf("Set-Cookie %q written by a panicking handler", w.Header()["Set-Cookie"])
	}
}

func TestGetWithoutMiddlewarePanics(t *testing.T) {
	f := newFixture(t)
	defer func() {
		err, _ := recover().(error)
		if !errors.Is(err, cookiesession.ErrNoMiddleware) {
			t.Errorf("recovered %v, want ErrNoMiddleware", err)
		}
	}()
	f.m.Get(httptest.NewRequest(http.MethodGet, "/", nil))
}

// TestMiddlewareTwice wraps a handler twice with one Manager: one session,
// one cookie.
func TestMiddlewareTwice(t *testing.T) {
	f := newFixture(t)
	var outer, inner *cookiesession.Session[user]
	innerH := f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner = f.m.Get(r)
		f.count(r)
	}))
	h := f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		outer = f.m.Get(r)
		innerH.ServeHTTP(w, r)
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if outer != inner || len(w.Header()["Set-Cookie"]) != 1 {
		t.Errorf("sessions %p, %p and Set-Cookie %q: want one of each", outer, inner,
			w.Header()["Set-Cookie"])
	}
}

// TestNotModifiedSkipsRefresh answers 304 when a refresh is due: no cookie,
// since a shared cache would merge it into its stored response.
func TestNotModifiedSkipsRefresh(t *testing.T) {
	f := newFixture(t)
	value := f.login(t, user{Name: "ann"})
	f.clock.Advance(10 * time.Minute)
	w := f.serve(func(w http.ResponseWriter, r *http.Request) {
		f.m.Get(r)
		w.WriteHeader(http.StatusNotModified)
	}, value)
	if len(w.Result().Header["Set-Cookie"]) != 0 {
		t.Errorf("304 carries %q", w.Result().Header["Set-Cookie"])
	}
	_, _, w = f.read(value) // a 200 does refresh
	if len(w.Result().Header["Set-Cookie"]) != 1 {
		t.Error("200 with a refresh due carries no cookie")
	}
}

// TestDuplicateCookies sends several cookies with the session's name, as
// a sibling domain or a narrower path can plant.
func TestDuplicateCookies(t *testing.T) {
	f := newFixture(t)
	ann := f.login(t, user{Name: "ann"})
	eve := f.login(t, user{Name: "eve"})
	name := f.m.Name()
	cases := []struct {
		name, header, want string
	}{
		{"garbage then valid", name + "=garbage; " + name + "=" + ann, "ann"},
		{"valid then garbage", name + "=" + ann + "; " + name + "=", "ann"},
		{"two valid", name + "=" + eve + "; " + name + "=" + ann, ""},
		{"valid twice", name + "=" + ann + "; " + name + "=" + ann, ""},
		{"five", strings.Repeat(name+"=x; ", 4) + name + "=" + ann, ""},
		{"mis-cased names", "__host-session=" + eve + "; __HOST-session=" + eve + "; " +
			name + "=" + ann, "ann"},
		{"two header lines", name + "=" + ann + "\n" + name + "=" + eve, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header["Cookie"] = strings.Split(c.header, "\n")
			s, _ := f.m.Load(r)
			if got := s.Value().Name; got != c.want {
				t.Errorf("Load = %q, want %q", got, c.want)
			}
		})
	}
}

func TestBearerTokens(t *testing.T) {
	f := newFixture(t, cookiesession.WithBearerTokens())
	s := f.m.NewSession()
	s.Set(user{Name: "api"})
	token, err := f.m.Token(s)
	if err != nil {
		t.Fatal(err)
	}
	cookie := f.login(t, user{Name: "browser"})

	cases := []struct {
		name, auth, cookie, want string
		errWant                  error
	}{
		{"token", "Bearer " + token, "", "api", nil},
		{"lower-case scheme", "bearer " + token, "", "api", nil},
		{"token wins over cookie", "Bearer " + token, cookie, "api", nil},
		{"cookie only", "", cookie, "browser", nil},
		{"basic scheme uses the cookie", "Basic dXNlcjpwYXNz", cookie, "browser", nil},
		{"garbage token", "Bearer garbage", cookie, "", cookiesession.ErrInvalid},
		{"empty token", "Bearer ", cookie, "", cookiesession.ErrInvalid},
		{"cookie as token", "Bearer " + cookie, "", "", cookiesession.ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.request(http.MethodGet, c.cookie)
			if c.auth != "" {
				r.Header.Set("Authorization", c.auth)
			}
			s, err := f.m.Load(r)
			if got := s.Value().Name; got != c.want || !errors.Is(err, c.errWant) {
				t.Errorf("Load = %q, %v; want %q, %v", got, err, c.want, c.errWant)
			}
		})
	}

	// A change to a session from a token is not written back: reported.
	r := f.request(http.MethodGet, "")
	r.Header.Set("Authorization", "Bearer "+token)
	w := f.serveRequest(http.HandlerFunc(f.counter), r)
	errs := f.errs.all()
	if len(w.Result().Header["Set-Cookie"]) != 0 || len(errs) == 0 ||
		!errors.Is(errs[len(errs)-1], cookiesession.ErrReadOnly) {
		t.Errorf("changed token session: Set-Cookie %q, errors %v; want none and ErrReadOnly",
			w.Result().Header["Set-Cookie"], errs)
	}

	// Tokens expire at the idle timeout after their issue.
	f.clock.Advance(cookiesession.DefaultIdleTimeout)
	if _, err := f.m.OpenToken(token); !errors.Is(err, cookiesession.ErrExpired) {
		t.Errorf("OpenToken after the idle timeout = %v, want ErrExpired", err)
	}
}

func TestBearerDisabled(t *testing.T) {
	f := newFixture(t)
	if _, err := f.m.Token(f.m.NewSession()); err == nil {
		t.Error("Token without WithBearerTokens succeeded")
	}
	if _, err := f.m.OpenToken("x"); err == nil {
		t.Error("OpenToken without WithBearerTokens succeeded")
	}
	cookie := f.login(t, user{Name: "browser"})
	r := f.request(http.MethodGet, cookie)
	r.Header.Set("Authorization", "Bearer whatever")
	if s, err := f.m.Load(r); err != nil || s.Value().Name != "browser" {
		t.Errorf("Load with bearer disabled = %q, %v; want the cookie's session", s.Value().Name, err)
	}
}

// failingReader fails after n bytes.
type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("entropy source failed")
	}
	k := min(len(p), r.n)
	r.n -= k
	return k, nil
}

// TestRandomFailure makes the random source fail: the seal fails, nothing
// is written, and the failure is reported; a nonce is never partial.
func TestRandomFailure(t *testing.T) {
	for _, n := range []int{0, 8, 16, 20} { // during the session ID, or the nonce
		f := newFixture(t, cookiesession.WithRandom(&failingReader{n}))
		w := f.serve(http.HandlerFunc(f.counter), "")
		errs := f.errs.all()
		if len(w.Result().Header["Set-Cookie"]) != 0 || len(errs) != 1 ||
			!strings.Contains(errs[0].Error(), "entropy source failed") {
			t.Errorf("after %d random bytes: Set-Cookie %q, errors %v", n,
				w.Result().Header["Set-Cookie"], errs)
		}
	}
}

// TestLoadSave uses the API for code without the middleware.
func TestLoadSave(t *testing.T) {
	f := newFixture(t)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	s, err := f.m.Load(r)
	if err != nil || !s.IsNew() {
		t.Fatalf("Load without a cookie = %v, %v", s, err)
	}
	s.Set(user{Name: "ann"})
	w := httptest.NewRecorder()
	if err := f.m.Save(w, s); err != nil {
		t.Fatal(err)
	}
	s.Set(user{Name: "bob"})
	if err := f.m.Save(w, s); err != nil {
		t.Fatal(err)
	}
	v, _ := setCookieValue(w.Header(), f.m.Name()) // panics on two lines
	if u, ok, _ := f.read(v); !ok || u.Name != "bob" {
		t.Errorf("after two Saves: %+v", u)
	}

	_, err = load(f.m, "garbage")
	if !errors.Is(err, cookiesession.ErrInvalid) {
		t.Errorf("Load(garbage) = %v, want ErrInvalid", err)
	}
}

// TestSessionPrintsNoValue prints a session with every verb: its value
// never shows.
func TestSessionPrintsNoValue(t *testing.T) {
	f := newFixture(t)
	s := f.m.NewSession()
	s.Set(user{Name: "secret-name"})
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(verb, s); strings.Contains(out, "secret-name") {
			t.Errorf("Sprintf(%s, session) = %q shows the value", verb, out)
		}
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	kr, _ := cookiesession.NewKeyring(cookiesession.GenerateKey())
	cases := map[string][]cookiesession.Option{
		"name with space":     {cookiesession.WithCookieName("my session")},
		"name with =":         {cookiesession.WithCookieName("a=b")},
		"name non-ASCII":      {cookiesession.WithCookieName("sessión")},
		"long name":           {cookiesession.WithCookieName(strings.Repeat("n", 250))},
		"__Host- with domain": {cookiesession.WithCookieName("__Host-s"), cookiesession.WithDomain("a.com")},
		"__Host- with path":   {cookiesession.WithCookieName("__Host-s"), cookiesession.WithPath("/app")},
		"__Host- insecure":    {cookiesession.WithCookieName("__Host-s"), cookiesession.WithInsecureCookie()},
		"__Secure- insecure":  {cookiesession.WithCookieName("__Secure-s"), cookiesession.WithInsecureCookie()},
		"None insecure":       {cookiesession.WithSameSite(http.SameSiteNoneMode), cookiesession.WithInsecureCookie()},
		"SameSite default":    {cookiesession.WithSameSite(http.SameSiteDefaultMode)},
		"path relative":       {cookiesession.WithPath("app")},
		"path with ;":         {cookiesession.WithPath("/a;b")},
		"path with newline":   {cookiesession.WithPath("/a\nb")},
		"domain with ;":       {cookiesession.WithDomain("a.com; x=y")},
		"domain dot":          {cookiesession.WithDomain(".")},
		"idle zero":           {cookiesession.WithIdleTimeout(0)},
		"idle over lifetime":  {cookiesession.WithIdleTimeout(13 * time.Hour)},
		"lifetime long":       {cookiesession.WithLifetime(31 * 24 * time.Hour)},
		"lifetime short":      {cookiesession.WithLifetime(time.Second)},
		"skew negative":       {cookiesession.WithClockSkew(-time.Second)},
		"skew large":          {cookiesession.WithClockSkew(time.Hour)},
		"remember short":      {cookiesession.WithRememberMe(time.Hour, time.Minute)},
		"remember long":       {cookiesession.WithRememberMe(500*24*time.Hour, time.Hour)},
		"remember idle":       {cookiesession.WithRememberMe(48*time.Hour, 72*time.Hour)},
		"nil codec":           {cookiesession.WithCodec(nil)},
		"nil clock":           {cookiesession.WithClock(nil)},
	}
	for name, opts := range cases {
		if _, err := cookiesession.New[user](kr, opts...); err == nil ||
			!strings.HasPrefix(err.Error(), "cookiesession: ") {
			t.Errorf("New(%s) = %v, want an error", name, err)
		}
	}
	if _, err := cookiesession.New[user](nil); err == nil {
		t.Error("New(nil keyring) succeeded")
	}
	if _, err := cookiesession.New[chan int](kr); err == nil {
		t.Error("New[chan int] succeeded: JSON cannot encode it")
	}
	m, err := cookiesession.New[user](kr, cookiesession.WithIdleTimeout(time.Hour),
		cookiesession.WithLifetime(time.Hour), cookiesession.WithDomain(".example.com"))
	if err != nil || m.SetKeys(nil) == nil {
		t.Errorf("New(valid edge options) = %v; SetKeys(nil) must fail", err)
	}
}

// TestDestroyThenSaveAgain saves a destroyed session twice, the second
// time when its old seal would be due for a refresh: the deletion stands.
func TestDestroyThenSaveAgain(t *testing.T) {
	f := newFixture(t)
	value := f.login(t, user{Name: "ann"})
	f.clock.Advance(10 * time.Minute)
	s, err := load(f.m, value)
	if err != nil {
		t.Fatal(err)
	}
	s.Destroy()
	w := httptest.NewRecorder()
	for range 2 {
		if err := f.m.Save(w, s); err != nil {
			t.Fatal(err)
		}
	}
	if lines := w.Header()["Set-Cookie"]; len(lines) != 1 || !strings.Contains(lines[0], "Max-Age=0") {
		t.Errorf("Set-Cookie after Destroy and two Saves = %q, want the deletion", lines)
	}
}
