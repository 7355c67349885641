package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/statelessgo/sessions/cookiesession"
)

// requireToolsVariable, set to 1, makes a missing redis-server fail the
// test instead of skipping it, so that CI cannot pass by skipping.
const requireToolsVariable = "COOKIESESSION_REQUIRE_TOOLS"

// redisReadyTimeout bounds the wait for redis-server to answer, and for
// the servers to reach it again after a restart: a guard against a hang,
// not a measurement.
const redisReadyTimeout = 15 * time.Second

// redisServer is a redis-server process on a loopback port that stays the
// same across restarts.
type redisServer struct {
	t      *testing.T
	path   string
	dir    string
	addr   string
	cmd    *exec.Cmd
	exited chan struct{}
}

// startRedis starts redis-server, without persistence, on a free port, and
// kills it when the test ends. Without redis-server the test is skipped,
// or fails when COOKIESESSION_REQUIRE_TOOLS is 1.
func startRedis(t *testing.T) *redisServer {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(requireToolsVariable) == "1" {
			t.Fatalf("redis-server is not installed, and %s=1 requires it", requireToolsVariable)
		}
		t.Skipf("redis-server is not installed (set %s=1 to make this a failure)",
			requireToolsVariable)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := &redisServer{t: t, path: path, dir: t.TempDir(), addr: addr}
	t.Cleanup(r.stop)
	r.start()
	return r
}

// start runs redis-server and waits until it answers PING.
func (r *redisServer) start() {
	r.t.Helper()
	_, port, _ := net.SplitHostPort(r.addr)
	r.cmd = exec.Command(r.path, "--port", port, "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", r.dir)
	out := newSyncBuffer()
	r.cmd.Stdout, r.cmd.Stderr = out, out
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { cmd.Wait(); close(exited) }(r.cmd, r.exited)

	deadline := time.After(redisReadyTimeout)
	for !pingRedis(r.addr) {
		select {
		case <-r.exited:
			r.t.Fatalf("redis-server exited:\n%s", out)
		case <-deadline:
			r.t.Fatalf("redis-server did not answer within %v:\n%s", redisReadyTimeout, out)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop kills redis-server, as a crash would, if it runs.
func (r *redisServer) stop() {
	if r.cmd == nil {
		return
	}
	r.cmd.Process.Kill()
	<-r.exited
	r.cmd = nil
}

// pingRedis reports whether a Redis server at addr answers PING.
func pingRedis(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := fmt.Fprint(conn, "PING\r\n"); err != nil {
		return false
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return err == nil && line == "+PONG\r\n"
}

// TestRedis runs two instances that share a revocation list on a real
// Redis with -redis: a sign-out or a "sign out everywhere" on one is
// honoured by the other, and while Redis is down sessions are neither
// accepted nor treated as signed out, but answered with 503.
func TestRedis(t *testing.T) {
	t.Parallel() // bcrypt is slow under the race detector
	redis := startRedis(t)
	keys := map[string]string{keysVariable: cookiesession.GenerateKeyString()}
	args := []string{"-addr", "127.0.0.1:0", "-redis", redis.addr}
	a, b := startRun(t, args, keys), startRun(t, args, keys)
	if !strings.Contains(a.log.String(), `revocation="on Redis`) {
		t.Errorf("the log does not say that the list is on Redis: %s", a.log)
	}

	copied := formSignIn(t, a.url, "user", "pass")
	checkAPI(t, b.url, "a cookie from the other instance", copied, http.StatusOK)
	if resp := postCookie(t, a.url+"/logout", copied); resp.status != http.StatusSeeOther {
		t.Fatalf("POST /logout = %d, want 303", resp.status)
	}
	checkAPI(t, b.url, "a copy of a cookie signed out on the other instance", copied,
		http.StatusUnauthorized)

	laptop, phone := formSignIn(t, a.url, "user", "pass"), formSignIn(t, b.url, "user", "pass")
	alice := formSignIn(t, a.url, "alice", "wonderland")
	if resp := postCookie(t, b.url+"/logout-everywhere", phone); resp.status !=
		http.StatusSeeOther {
		t.Fatalf("POST /logout-everywhere = %d, want 303", resp.status)
	}
	checkAPI(t, a.url, "the laptop's cookie after signing out everywhere", laptop,
		http.StatusUnauthorized)
	checkAPI(t, a.url, "the phone's cookie after signing out everywhere", phone,
		http.StatusUnauthorized)
	checkAPI(t, b.url, "another user's cookie", alice, http.StatusOK)

	redis.stop()
	checkAPI(t, b.url, "a cookie while Redis is down", alice, http.StatusServiceUnavailable)
	if page := getCookie(t, b.url+"/", alice); page.status != http.StatusServiceUnavailable {
		t.Errorf("GET / while Redis is down = %d, want 503", page.status)
	}
	redis.start()
	waitForAPI(t, b.url, alice)
}

// formSignIn signs in through the form and returns the session cookie.
func formSignIn(t *testing.T, base, username, password string) string {
	t.Helper()
	resp := postForm(t, base+"/login", url.Values{"username": {username},
		"password": {password}})
	c := resp.setCookie()
	if resp.status != http.StatusSeeOther || c == nil {
		t.Fatalf("POST /login as %s = %d, cookie %v; want 303 and a cookie", username,
			resp.status, c)
	}
	return c.Value
}

// getCookie sends GET url with the session cookie.
func getCookie(t *testing.T, url, cookie string) *response {
	t.Helper()
	return cookieRequest(t, "GET", url, cookie)
}

// postCookie posts an empty form to url with the session cookie.
func postCookie(t *testing.T, url, cookie string) *response {
	t.Helper()
	return cookieRequest(t, "POST", url, cookie)
}

// cookieRequest sends a request without a body with the session cookie.
func cookieRequest(t *testing.T, method, url, cookie string) *response {
	t.Helper()
	r, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Cookie", cookieName+"="+cookie)
	return do(t, r)
}

// checkAPI checks the status of GET /api/data with a cookie.
func checkAPI(t *testing.T, base, what, cookie string, want int) {
	t.Helper()
	if got := getCookie(t, base+"/api/data", cookie).status; got != want {
		t.Errorf("GET /api/data with %s = %d, want %d", what, got, want)
	}
}

// waitForAPI waits until GET /api/data with the cookie is 200 again: the
// client reconnects by itself once Redis is back.
func waitForAPI(t *testing.T, base, cookie string) {
	t.Helper()
	deadline := time.Now().Add(redisReadyTimeout)
	status := 0
	for time.Now().Before(deadline) {
		if status = getCookie(t, base+"/api/data", cookie).status; status == http.StatusOK {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("GET /api/data after Redis restarted = %d, want 200 within %v", status,
		redisReadyTimeout)
}
