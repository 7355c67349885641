//go:build unix

package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/statelessgo/sessions/cookiesession"
)

// requireToolsVariable, set to 1, turns a missing tool from a skip into a
// failure, so that CI cannot pass by skipping.
const requireToolsVariable = "COOKIESESSION_REQUIRE_TOOLS"

// Timeouts of the helpers.
const (
	startTimeout = 15 * time.Second // for a process to be ready
	stopTimeout  = 15 * time.Second // for a process to exit after SIGTERM
	buildTimeout = 3 * time.Minute
)

// cookieName is the example's session cookie: the library's default.
const cookieName = "__Host-session"

// binDir holds the example binary; TestMain makes it and removes it.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cookiesession-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireTool returns the path of the program name. When it is missing,
// the test is skipped, or fails if COOKIESESSION_REQUIRE_TOOLS is 1.
func requireTool(t testing.TB, name string) string {
	t.Helper()
	if path, err := exec.LookPath(name); err == nil {
		return path
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		path := filepath.Join(dir, name)
		if info, err := os.Stat(path); err == nil && info.Mode()&0o111 != 0 {
			return path
		}
	}
	if os.Getenv(requireToolsVariable) == "1" {
		t.Fatalf("%s is not installed, and %s=1 requires it", name, requireToolsVariable)
		return ""
	}
	t.Skipf("%s is not installed (set %s=1 to make this a failure)", name, requireToolsVariable)
	return ""
}

var build struct {
	once sync.Once
	path string
	err  error
}

// exampleBinary builds the example server, once per test binary, and
// returns the path of the executable.
func exampleBinary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		path := filepath.Join(binDir, "example")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", path,
			"github.com/statelessgo/sessions/example")
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build of the example: %v\n%s", err, out)
			return
		}
		build.path = path
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// instance is one process of the example server. It keeps its port when
// it restarts.
type instance struct {
	t      testing.TB
	name   string // its -instance flag: the X-Instance header of its responses
	addr   string // host:port; port 0 until the first start
	url    string // http://host:port
	keys   string // its COOKIESESSION_KEYS
	args   []string
	log    *syncBuffer // the output of every run
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
}

// startInstance starts the example server on a free loopback port, with
// the keys given (none: a random key) and more flags, and waits until it
// listens. Whatever happens, the process is killed when the test ends.
func startInstance(t testing.TB, name, keys string, args ...string) *instance {
	t.Helper()
	in := &instance{t: t, name: name, addr: "127.0.0.1:0", keys: keys, args: args,
		log: newSyncBuffer()}
	t.Cleanup(in.kill)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log of instance %s:\n%s", in.name, tail(in.log.String(), 4000))
		}
	})
	in.start()
	return in
}

var listeningRE = regexp.MustCompile(`listening on (http://[^\s"]+)`)

// start runs the process and waits for its "listening on" line.
func (in *instance) start() {
	in.t.Helper()
	from := in.log.Len()
	if err := in.launch(); err != nil {
		in.t.Fatalf("instance %s: %v:\n%s", in.name, err, in.log.String()[from:])
	}
}

// launch runs the process and waits for its "listening on" line; on
// failure it kills the process and returns why.
func (in *instance) launch() error {
	args := append([]string{"-addr", in.addr, "-instance", in.name}, in.args...)
	cmd := exec.Command(exampleBinary(in.t), args...)
	cmd.Env = append(os.Environ(), "COOKIESESSION_KEYS="+in.keys)
	cmd.Stdout, cmd.Stderr = in.log, in.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	from := in.log.Len()
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	in.cmd, in.exited = cmd, exited

	m, err := in.log.waitFor(listeningRE, from, exited, startTimeout)
	if err != nil {
		in.kill()
		return err
	}
	in.url = m[1]
	in.addr = strings.TrimPrefix(in.url, "http://")
	return nil
}

// stop sends SIGTERM and waits for a clean exit.
func (in *instance) stop() {
	in.t.Helper()
	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		in.t.Fatalf("stopping instance %s: %v", in.name, err)
	}
	select {
	case <-in.exited:
	case <-time.After(stopTimeout):
		in.kill()
		in.t.Fatalf("instance %s did not exit within %v of SIGTERM", in.name, stopTimeout)
	}
	if code := in.cmd.ProcessState.ExitCode(); code != 0 {
		in.t.Errorf("instance %s exited with %d after SIGTERM, want 0", in.name, code)
	}
}

// restart stops the instance gracefully and starts it again on the same
// port with other keys.
func (in *instance) restart(keys string) {
	in.t.Helper()
	in.stop()
	in.keys = keys
	in.start()
}

// kill kills the process group if the process still runs.
func (in *instance) kill() {
	if in.cmd == nil {
		return
	}
	select {
	case <-in.exited:
	default:
		syscall.Kill(-in.cmd.Process.Pid, syscall.SIGKILL)
		<-in.exited
	}
}

// syncBuffer collects a process's output, for a test to read while the
// process writes.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{} // has a value after a write
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{written: make(chan struct{}, 1)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.written <- struct{}{}:
	default:
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

// waitFor waits until re matches the output from offset from, and returns
// the match. It gives up when exited is closed or after timeout.
func (b *syncBuffer) waitFor(re *regexp.Regexp, from int, exited <-chan struct{},
	timeout time.Duration) ([]string, error) {
	deadline := time.After(timeout)
	for {
		if m := re.FindStringSubmatch(b.String()[from:]); m != nil {
			return m, nil
		}
		select {
		case <-b.written:
		case <-exited:
			if m := re.FindStringSubmatch(b.String()[from:]); m != nil {
				return m, nil
			}
			return nil, errors.New("exited before it was ready")
		case <-deadline:
			return nil, fmt.Errorf("not ready within %v", timeout)
		}
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// client is a browser-like client of the example: it keeps the session
// cookie by hand (net/http/cookiejar keeps Secure cookies off plain http)
// and does not follow redirects. Its methods return errors rather than
// failing the test, so that any goroutine can use them, one at a time.
type client struct {
	base   string
	http   *http.Client
	mu     sync.Mutex
	cookie string // the session cookie's value; "" for none
}

// response is what a client reads of a response.
type response struct {
	status int
	header http.Header
	body   string
}

func newClient(base string) *client {
	return &client{base: base, http: &http.Client{
		Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// get sends GET path.
func (c *client) get(ctx context.Context, path string) (*response, error) {
	return c.send(ctx, "GET", path, nil)
}

// post sends form to path.
func (c *client) post(ctx context.Context, path string, form url.Values) (*response, error) {
	return c.send(ctx, "POST", path, form)
}

// send sends a request with the client's cookie, reads the whole body and
// keeps the cookie the response sets.
func (c *client) send(ctx context.Context, method, path string,
	form url.Values) (*response, error) {
	resp, err := c.exchange(ctx, method, path, form)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return resp, nil
}

// exchange sends a request; when the body breaks off it returns what did
// come, the status and the header, with the error. It keeps a cookie from
// the header even then, as a browser does with the Set-Cookie lines it has
// received.
func (c *client) exchange(ctx context.Context, method, path string,
	form url.Values) (*response, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if v := c.sessionCookie(); v != "" {
		r.Header.Set("Cookie", cookieName+"="+v)
	}
	resp, err := c.http.Do(r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	c.keepCookie(resp.Header)
	b, err := io.ReadAll(resp.Body)
	out := &response{status: resp.StatusCode, header: resp.Header, body: string(b)}
	if err != nil {
		return out, fmt.Errorf("reading the body: %w", err)
	}
	return out, nil
}

// keepCookie stores or deletes the session cookie as a browser would.
func (c *client) keepCookie(h http.Header) {
	for _, line := range h.Values("Set-Cookie") {
		ck, err := http.ParseSetCookie(line)
		if err != nil || ck.Name != cookieName {
			continue
		}
		c.mu.Lock()
		c.cookie = ck.Value
		if ck.MaxAge < 0 {
			c.cookie = ""
		}
		c.mu.Unlock()
	}
}

// sessionCookie returns the session cookie's value, or "".
func (c *client) sessionCookie() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cookie
}

// login signs in through the form.
func (c *client) login(ctx context.Context, username, password string) error {
	resp, err := c.post(ctx, "/login", url.Values{"username": {username},
		"password": {password}})
	switch {
	case err != nil:
		return err
	case resp.status != http.StatusSeeOther || c.sessionCookie() == "":
		return fmt.Errorf("POST /login = %d, cookie %q; want 303 and a cookie",
			resp.status, c.sessionCookie())
	}
	return nil
}

// Marks of the signed-in page.
var (
	whoamiRE  = regexp.MustCompile(`id="whoami">([^<]*)<`)
	counterRE = regexp.MustCompile(`id="counter">(\d+)<`)
)

// signedInAs returns the "Signed in as ..." line of a page, or "".
func signedInAs(page string) string {
	if m := whoamiRE.FindStringSubmatch(page); m != nil {
		return m[1]
	}
	return ""
}

// counterOf returns the counter shown on a page, or -1.
func counterOf(page string) int {
	if m := counterRE.FindStringSubmatch(page); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return -1
}

// sealedKeyID returns the key ID in the clear header of a session cookie's
// value: unpadded URL-safe base64 of version(1) || keyID(4) || ...
func sealedKeyID(value string) (uint32, error) {
	if len(value) < 8 {
		return 0, fmt.Errorf("cookie value %q is too short", value)
	}
	b, err := base64.RawURLEncoding.DecodeString(value[:8])
	if err != nil {
		return 0, err
	}
	if b[0] != 1 {
		return 0, fmt.Errorf("cookie value has version %d, want 1", b[0])
	}
	return binary.BigEndian.Uint32(b[1:5]), nil
}

// keyID returns the key ID of a key in the format of COOKIESESSION_KEYS.
func keyID(t testing.TB, key string) uint32 {
	t.Helper()
	k, err := cookiesession.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return k.ID()
}
