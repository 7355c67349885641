package cookiesession_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statelessgo/sessions/cookiesession"
)

// user is the session type of most tests.
type user struct {
	Name  string   `json:"name,omitempty"`
	Count int      `json:"count,omitempty"`
	Roles []string `json:"roles,omitempty"`
}

// clock is a settable clock, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_800_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// errorLog collects what the error handler receives.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) handle(_ *http.Request, err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

func (l *errorLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// fixture is a Manager with a settable clock and an error log.
type fixture struct {
	m     *cookiesession.Manager[user]
	clock *clock
	errs  *errorLog
	keys  []cookiesession.Key
}

func newFixture(t testing.TB, opts ...cookiesession.Option) *fixture {
	t.Helper()
	f := &fixture{clock: newClock(), errs: &errorLog{}}
	f.keys = []cookiesession.Key{cookiesession.GenerateKey(), cookiesession.GenerateKey()}
	ring, err := cookiesession.NewKeyring(f.keys[0])
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]cookiesession.Option{
		cookiesession.WithClock(f.clock.Now),
		cookiesession.WithErrorHandler(f.errs.handle),
	}, opts...)
	f.m, err = cookiesession.New[user](ring, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// serve runs h through the middleware on a GET request carrying cookie
// (none if empty).
func (f *fixture) serve(h http.HandlerFunc, cookie string) *httptest.ResponseRecorder {
	return f.serveRequest(h, f.request(http.MethodGet, cookie))
}

func (f *fixture) request(method, cookie string) *http.Request {
	r := httptest.NewRequest(method, "https://example.com/", nil)
	if cookie != "" {
		r.Header.Set("Cookie", f.m.Name()+"="+cookie)
	}
	return r
}

func (f *fixture) serveRequest(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.m.Handler(h).ServeHTTP(w, r)
	return w
}

// login serves a request that stores u and returns the cookie value.
func (f *fixture) login(t testing.TB, u user) string {
	t.Helper()
	w := f.serve(func(w http.ResponseWriter, r *http.Request) {
		s := f.m.Get(r)
		s.Renew()
		s.Set(u)
	}, "")
	v, ok := setCookieValue(w.Result().Header, f.m.Name())
	if !ok || v == "" {
		t.Fatalf("login wrote no session cookie: %q", w.Result().Header["Set-Cookie"])
	}
	return v
}

// setCookieValue returns the value of the Set-Cookie line for name.
func setCookieValue(h http.Header, name string) (string, bool) {
	n := 0
	var value string
	for _, line := range h["Set-Cookie"] {
		if v, ok := strings.CutPrefix(line, name+"="); ok {
			value, _, _ = strings.Cut(v, ";")
			n++
		}
	}
	if n > 1 {
		panic("more than one Set-Cookie line for " + name)
	}
	return value, n == 1
}

// read serves a request with cookie and returns the session's value, and
// whether the request had a session.
func (f *fixture) read(cookie string) (user, bool, *httptest.ResponseRecorder) {
	var u user
	var isNew bool
	w := f.serve(func(w http.ResponseWriter, r *http.Request) {
		s := f.m.Get(r)
		u, isNew = s.Value(), s.IsNew()
	}, cookie)
	return u, !isNew, w
}
