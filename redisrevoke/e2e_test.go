package redisrevoke_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/statelessgo/sessions/cookiesession"
	"github.com/statelessgo/sessions/redisrevoke"
)

// e2eTimeout is the lists' timeout in the end-to-end test: long enough
// that a busy machine does not refuse a session while Redis is up, short
// enough that the requests during the outage, which wait for it with
// go-redis's default retries, keep going.
const e2eTimeout = 500 * time.Millisecond

// account is the session value of the end-to-end test.
type account struct {
	User string `json:"user"`
}

// clock is a settable clock, safe for concurrent use, so that "sign out
// everywhere" can happen a whole second after the logins it ends.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// requestIDHeader carries the ID that ties the errors a Manager reports
// to the test's request that caused them.
const requestIDHeader = "Test-Request-Id"

// errorLog collects what a Manager's error handler receives, by request ID.
type errorLog struct {
	mu   sync.Mutex
	errs map[string][]error
}

func (l *errorLog) add(r *http.Request, err error) {
	id := ""
	if r != nil {
		id = r.Header.Get(requestIDHeader)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.errs == nil {
		l.errs = make(map[string][]error)
	}
	l.errs[id] = append(l.errs[id], err)
}

// of returns the errors reported for the request with this ID.
func (l *errorLog) of(id string) []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs[id]...)
}

// requestIDs numbers the test's requests.
var requestIDs atomic.Int64

// instance is one server of the application: a Manager with its own
// client of the shared Redis, behind an httptest server.
type instance struct {
	m    *cookiesession.Manager[account]
	srv  *httptest.Server
	errs *errorLog
}

func newInstance(t *testing.T, keys *cookiesession.Keyring, addr string, clk *clock,
	opts ...cookiesession.Option) *instance {
	t.Helper()
	list := newList(t, newClient(t, &redis.Options{Addr: addr}),
		redisrevoke.WithTimeout(e2eTimeout))
	in := &instance{errs: &errorLog{}}
	opts = append([]cookiesession.Option{
		cookiesession.WithClock(clk.Now),
		cookiesession.WithErrorHandler(in.errs.add),
		cookiesession.WithRevocation(list, func(a account) string { return a.User }),
	}, opts...)
	m, err := cookiesession.New[account](keys, opts...)
	if err != nil {
		t.Fatal(err)
	}
	in.m = m
	in.srv = httptest.NewServer(m.Handler(in.routes(clk)))
	t.Cleanup(in.srv.Close)
	return in
}

// routes are the application: log in, log out, sign out everywhere (and
// stay signed in here), and say who is logged in.
func (in *instance) routes(clk *clock) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s := in.m.Get(r)
		s.Renew()
		s.Set(account{User: r.FormValue("user")})
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		s := in.m.Get(r)
		if err := in.m.Revoke(r.Context(), s); err != nil {
			http.Error(w, "logout failed, try again", http.StatusServiceUnavailable)
			return
		}
		s.Destroy()
	})
	mux.HandleFunc("POST /sign-out-everywhere", func(w http.ResponseWriter, r *http.Request) {
		s := in.m.Get(r)
		err := in.m.RevokeSubject(r.Context(), s.Value().User, clk.Now())
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		s.Renew() // created now: survives a not-before of this second
	})
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, in.m.Get(r).Value().User)
	})
	return mux
}

// response is what a request got back.
type response struct {
	status int
	body   string
	cookie *http.Cookie // the session cookie set, or nil
	errs   []error      // what the error handler got for the request
}

// do sends a request with the session cookie value (if any) to in.
func (in *instance) do(t *testing.T, method, path, value string) response {
	t.Helper()
	req, err := http.NewRequest(method, in.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if value != "" {
		req.AddCookie(&http.Cookie{Name: in.m.Name(), Value: value})
	}
	id := fmt.Sprint(requestIDs.Add(1))
	req.Header.Set(requestIDHeader, id)
	resp, err := in.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	got := response{status: resp.StatusCode, body: string(body), errs: in.errs.of(id)}
	for _, c := range resp.Cookies() {
		if c.Name == in.m.Name() {
			got.cookie = c
		}
	}
	return got
}

// login logs user in on in and returns the session cookie's value.
func (in *instance) login(t *testing.T, user string) string {
	t.Helper()
	resp := in.do(t, http.MethodPost, "/login?user="+user, "")
	if resp.status != http.StatusOK || resp.cookie == nil {
		t.Fatalf("login of %s: %d, cookie %v", user, resp.status, resp.cookie)
	}
	return resp.cookie.Value
}

// whoami returns the user that value logs in on in, "" for none.
func (in *instance) whoami(t *testing.T, value string) string {
	t.Helper()
	resp := in.do(t, http.MethodGet, "/whoami", value)
	if resp.status != http.StatusOK {
		t.Fatalf("whoami: status %d", resp.status)
	}
	return resp.body
}

// cluster is two instances of one application on one Redis: a, which
// fails closed (the default), and b, which fails open.
type cluster struct {
	redis *redisServer
	clock *clock
	a, b  *instance
}

func newCluster(t *testing.T) *cluster {
	keys, err := cookiesession.NewKeyring(cookiesession.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{redis: startRedis(t), clock: &clock{t: wholeSecond()}}
	c.a = newInstance(t, keys, c.redis.Addr(), c.clock)
	c.b = newInstance(t, keys, c.redis.Addr(), c.clock,
		cookiesession.WithInsecureRevocationFailOpen())
	return c
}

func TestEndToEnd(t *testing.T) {
	c := newCluster(t)
	t.Run("logout on one instance refuses a copy on the other", c.testLogout)
	t.Run("sign out everywhere on one instance ends sessions on the other",
		c.testSignOutEverywhere)
	t.Run("redis outage and recovery", c.testOutage)
}

func (c *cluster) testLogout(t *testing.T) {
	value := c.a.login(t, "ann")
	if got := c.b.whoami(t, value); got != "ann" {
		t.Fatalf("B sees %q before logout, want ann", got)
	}
	copyBefore := value

	resp := c.a.do(t, http.MethodPost, "/logout", value)
	if resp.status != http.StatusOK || resp.cookie == nil || resp.cookie.MaxAge >= 0 {
		t.Fatalf("logout on A: status %d, cookie %v, want the cookie deleted",
			resp.status, resp.cookie)
	}
	if got := c.b.whoami(t, copyBefore); got != "" {
		t.Errorf("B with a copy taken before logout sees %q, want nobody", got)
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(&http.Cookie{Name: c.b.m.Name(), Value: copyBefore})
	if _, err := c.b.m.Load(req); !errors.Is(err, cookiesession.ErrRevoked) {
		t.Errorf("B: Load(copy taken before logout) = %v, want ErrRevoked", err)
	}
}

func (c *cluster) testSignOutEverywhere(t *testing.T) {
	phone, laptop := c.a.login(t, "bob"), c.a.login(t, "bob")
	carol := c.a.login(t, "carol")
	desk := c.b.login(t, "bob")
	c.clock.Advance(time.Second)

	resp := c.b.do(t, http.MethodPost, "/sign-out-everywhere", desk)
	if resp.status != http.StatusOK || resp.cookie == nil {
		t.Fatalf("sign out everywhere on B: status %d, cookie %v", resp.status, resp.cookie)
	}
	want := map[string]struct{ value, user string }{
		"bob's phone":                   {phone, ""},
		"bob's laptop":                  {laptop, ""},
		"bob's desk before":             {desk, ""},
		"bob's desk, renewed on B":      {resp.cookie.Value, "bob"},
		"carol":                         {carol, "carol"},
		"bob's login after signing out": {c.b.login(t, "bob"), "bob"},
	}
	for name, w := range want {
		if got := c.a.whoami(t, w.value); got != w.user {
			t.Errorf("A: %s logs in as %q, want %q", name, got, w.user)
		}
	}
}

func (c *cluster) testOutage(t *testing.T) {
	dave := c.a.login(t, "dave")
	load := c.startLoad(t, dave)

	c.redis.Stop()
	load.waitFor(t, 6)
	for _, in := range []*instance{c.a, c.b} {
		got := in.do(t, http.MethodGet, "/whoami", dave)
		failOpen := in == c.b
		want := map[bool]string{false: "", true: "dave"}[failOpen]
		if got.body != want || got.cookie != nil {
			t.Errorf("Redis down, fail open %v: whoami = %q, cookie %v; want %q, no cookie",
				failOpen, got.body, got.cookie, want)
		}
		if !mentions(got.errs, "redisrevoke: ") {
			t.Errorf("Redis down, fail open %v: error handler got %v, want the list's error",
				failOpen, got.errs)
		}
	}
	resp := c.b.do(t, http.MethodPost, "/logout", dave)
	if resp.status != http.StatusServiceUnavailable {
		t.Errorf("logout with Redis down: status %d, want %d", resp.status,
			http.StatusServiceUnavailable)
	}

	c.redis.Start()
	c.waitForRecovery(t, dave)
	load.waitFor(t, 6)
	if resp := c.b.do(t, http.MethodPost, "/logout", dave); resp.status != http.StatusOK {
		t.Fatalf("logout on B after recovery: status %d", resp.status)
	}
	if got := c.a.whoami(t, dave); got != "" {
		t.Errorf("A after recovery, copy of a session logged out on B: %q, want nobody", got)
	}
	load.stop(t)
}

// waitForRecovery waits until both instances check value against Redis
// again with no error: their clients have reconnected by themselves.
func (c *cluster) waitForRecovery(t *testing.T, value string) {
	for _, in := range []*instance{c.a, c.b} {
		deadline := time.Now().Add(readyTimeout)
		for !in.checks(t, value) {
			if time.Now().After(deadline) {
				t.Fatalf("%v after Redis came back, sessions still fail their check", readyTimeout)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// checks reports whether value opened on in with no error reported.
func (in *instance) checks(t *testing.T, value string) bool {
	resp := in.do(t, http.MethodGet, "/whoami", value)
	return resp.status == http.StatusOK && resp.body != "" && len(resp.errs) == 0
}

// mentions reports whether one of errs contains s.
func mentions(errs []error, s string) bool {
	for _, err := range errs {
		if strings.Contains(err.Error(), s) {
			return true
		}
	}
	return false
}

// loadGenerator keeps requests going to both instances.
type loadGenerator struct {
	done     chan struct{}
	wg       sync.WaitGroup
	requests atomic.Int64
	failures atomic.Int64 // transport errors and statuses other than 200
	lastErr  atomic.Value
}

func (c *cluster) startLoad(t *testing.T, value string) *loadGenerator {
	g := &loadGenerator{done: make(chan struct{})}
	for _, in := range []*instance{c.a, c.b} {
		g.wg.Go(func() { g.run(in, value) })
	}
	return g
}

func (g *loadGenerator) run(in *instance, value string) {
	for {
		select {
		case <-g.done:
			return
		default:
		}
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet,
			in.srv.URL+"/whoami", nil)
		req.AddCookie(&http.Cookie{Name: in.m.Name(), Value: value})
		resp, err := in.srv.Client().Do(req)
		g.requests.Add(1)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
		}
		if err != nil {
			g.failures.Add(1)
			g.lastErr.Store(err)
		}
		time.Sleep(2 * time.Millisecond) // leave the two cores to the test
	}
}

// waitFor waits until n more requests have been sent.
func (g *loadGenerator) waitFor(t *testing.T, n int64) {
	target := g.requests.Load() + n
	deadline := time.Now().Add(readyTimeout)
	for g.requests.Load() < target {
		if time.Now().After(deadline) {
			t.Fatalf("the load generator sent fewer than %d requests in %v", n, readyTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop ends the load and fails the test if a request failed.
func (g *loadGenerator) stop(t *testing.T) {
	close(g.done)
	g.wg.Wait()
	if n := g.failures.Load(); n > 0 {
		t.Errorf("%d of %d requests under load failed; last: %v", n, g.requests.Load(),
			g.lastErr.Load())
	}
	t.Logf("%d requests under load through the outage", g.requests.Load())
}
