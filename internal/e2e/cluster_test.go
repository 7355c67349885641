//go:build unix

package e2e

import (
	"context"
	"errors"
	"fmt"
	"maps"
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

// nginxTemplate is the cluster's nginx configuration, shared with the
// README that shows how to run the cluster by hand.
var nginxTemplate = filepath.Join("..", "..", "example", "cluster", "nginx.conf.tmpl")

// Bounds of the cluster test.
const (
	clusterTestTimeout = 90 * time.Second
	instanceWarmup     = 3 // requests a restarted instance serves before the next restart
	warmupTimeout      = 10 * time.Second
)

// TestCluster runs three instances of the example with the same keys behind
// nginx, which sends each request to the next instance in turn: a session
// made on one instance is opened by the others, and keys can be rotated
// across the fleet, one instance at a time, without signing anyone out.
func TestCluster(t *testing.T) {
	requireTool(t, "nginx")
	exampleBinary(t)

	t.Run("spread over three instances", testClusterSpread)
	t.Run("rolling key rotation", testClusterRotation)
	t.Run("skipping phase one signs users out", testClusterSkippedPhase)
}

// testClusterSpread checks that requests go to every instance and that
// each sees the session as the previous one left it.
func testClusterSpread(t *testing.T) {
	key := cookiesession.GenerateKeyString()
	cl := startCluster(t, key, key, key)
	tr := signedInTraffic(t, cl)

	const rounds = 150 // each a POST and a GET
	const requests = 2 * rounds
	for i := range rounds {
		if err := tr.step(tr.ctx); err != nil {
			t.Fatalf("round %d: %v", i+1, err)
		}
	}
	served := tr.servedBy()
	for _, in := range cl.instances {
		if n := served[in.name]; n < requests/6 { // less than half its share
			t.Errorf("instance %s served %d of %d requests, want about a third: %v",
				in.name, n, requests, served)
		}
	}
	t.Logf("requests served per instance: %v", served)
}

// testClusterRotation rotates the keys from old to new, instance by
// instance, in the three phases of the package documentation, while a
// client keeps making requests. None may fail, and the user stays signed
// in with the counter going up by one each time.
func testClusterRotation(t *testing.T) {
	oldKey, newKey := cookiesession.GenerateKeyString(), cookiesession.GenerateKeyString()
	cl := startCluster(t, oldKey, oldKey, oldKey)
	tr := signedInTraffic(t, cl)
	stop := tr.runInBackground()
	t.Cleanup(func() { stop() }) // before the processes are killed

	phases := []struct{ name, keys string }{
		{"new opens", oldKey + "," + newKey},
		{"new seals", newKey + "," + oldKey},
		{"old retired", newKey},
	}
	for _, ph := range phases {
		for _, in := range cl.instances {
			before := tr.servedBy()[in.name]
			in.restart(ph.keys)
			if err := tr.waitServed(in.name, before+instanceWarmup, warmupTimeout); err != nil {
				stop()
				t.Fatalf("phase %q, instance %s: %v", ph.name, in.name, err)
			}
		}
		t.Logf("phase %q done after %d requests", ph.name, tr.requestCount())
	}

	if err := stop(); err != nil {
		t.Fatalf("traffic during the rotation: %v", err)
	}
	if err := tr.step(tr.ctx); err != nil {
		t.Fatalf("after the rotation: %v", err)
	}
	got, err := sealedKeyID(tr.c.sessionCookie())
	if want := keyID(t, newKey); err != nil || got != want {
		t.Errorf("cookie's key ID after the rotation = %08x, %v; want %08x", got, err, want)
	}
	t.Logf("%d requests without a failure; per instance: %v", tr.requestCount(),
		tr.servedBy())

	// The restarts must have been seen: requests that met a closed port
	// and that nginx passed to another instance.
	retried := strings.Count(cl.nginxErrors(t), "connect() failed")
	if retried == 0 {
		t.Errorf("no request met a restarting instance: nginx's retries went untested")
	}
	t.Logf("%d connections refused by restarting instances, retried by nginx", retried)
}

// testClusterSkippedPhase shows why the rotation needs its first phase:
// an instance sealing under a key that another does not know yet signs
// the user out as soon as the next request reaches the other.
func testClusterSkippedPhase(t *testing.T) {
	oldKey, newKey := cookiesession.GenerateKeyString(), cookiesession.GenerateKeyString()
	cl := startCluster(t, oldKey, oldKey, oldKey)
	tr := signedInTraffic(t, cl)
	for range 3 {
		if err := tr.step(tr.ctx); err != nil {
			t.Fatalf("before the rotation: %v", err)
		}
	}

	cl.instances[0].restart(newKey + "," + oldKey) // the others know only old
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		err = tr.step(tr.ctx)
	}
	var out *signedOutError
	if !errors.As(err, &out) {
		t.Fatalf("after skipping phase one, requests went on with %v; want the user "+
			"signed out", err)
	}
	t.Log(err)
	if out.instance == cl.instances[0].name {
		t.Errorf("instance %s, which has both keys, signed the user out", out.instance)
	}
	for _, in := range cl.instances {
		if in.name != out.instance {
			continue
		}
		if _, err := in.log.waitFor(unknownKeyRE, 0, in.exited, startTimeout); err != nil {
			t.Errorf("instance %s, which knows only the old key, did not log why: %v",
				in.name, err)
		}
	}
}

// unknownKeyRE matches the library's debug line for a cookie sealed under
// a key that the instance does not have.
var unknownKeyRE = regexp.MustCompile(`session refused.*unknown key ID`)

// cluster is three instances of the example behind nginx.
type cluster struct {
	instances []*instance
	url       string // nginx's
	nginxDir  string // nginx's prefix: its configuration and logs
}

// nginxErrors returns nginx's error log.
func (cl *cluster) nginxErrors(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(cl.nginxDir, "error.log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// startCluster starts one instance per keys value, named a, b, c, with
// debug logs, and nginx in front of them.
func startCluster(t *testing.T, keys ...string) *cluster {
	t.Helper()
	cl := &cluster{}
	var addrs []string
	for i, k := range keys {
		in := startInstance(t, string(rune('a'+i)), k, "-debug")
		cl.instances = append(cl.instances, in)
		addrs = append(addrs, in.addr)
	}
	cl.url, cl.nginxDir = startNginx(t, nginxTemplate, addrs)
	return cl
}

var placeholderRE = regexp.MustCompile(`@[A-Z0-9]+@`)

// startNginx runs nginx on a free loopback port, in the foreground, with
// its files in a temporary directory, as a round-robin load balancer in
// front of three upstreams. It returns nginx's URL once it accepts
// connections, with the directory of its files, and stops it when the test
// ends.
func startNginx(t *testing.T, template string, upstreams []string) (base, dir string) {
	t.Helper()
	bin := requireTool(t, "nginx")
	tmpl, err := os.ReadFile(template)
	if err != nil {
		t.Fatal(err)
	}
	listen := net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t)))
	conf := strings.NewReplacer("@LISTEN@", listen, "@APP1@", upstreams[0],
		"@APP2@", upstreams[1], "@APP3@", upstreams[2]).Replace(string(tmpl))
	if p := placeholderRE.FindString(conf); p != "" {
		t.Fatalf("%s has a placeholder the test does not fill: %s", template, p)
	}
	dir = t.TempDir()
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}

	global := "daemon off;"
	if os.Geteuid() == 0 {
		// Workers would run as nobody, who cannot enter the test's
		// temporary directory.
		global += " user root;"
	}
	log := newSyncBuffer()
	cmd := exec.Command(bin, "-p", dir, "-c", confPath, "-e", "stderr", "-g", global)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting nginx: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { stopNginx(t, cmd, exited, dir, log) })

	if err := waitListening(listen, exited, startTimeout); err != nil {
		t.Fatalf("nginx: %v\n%s", err, log)
	}
	return "http://" + listen, dir
}

// stopNginx stops nginx quickly (SIGTERM), then kills its process group
// if it lingers. On failure it logs nginx's output and error log.
func stopNginx(t *testing.T, cmd *exec.Cmd, exited chan struct{}, dir string,
	log *syncBuffer) {
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(stopTimeout):
		t.Errorf("nginx did not exit within %v of SIGTERM", stopTimeout)
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // workers too, if any are left
	if t.Failed() {
		errorLog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		t.Logf("nginx output:\n%s\nnginx error.log:\n%s", log, tail(string(errorLog), 4000))
	}
}

// waitListening waits until addr accepts a TCP connection.
func waitListening(addr string, exited <-chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening on %s within %v: %v", addr, timeout, err)
		}
		select {
		case <-exited:
			return errors.New("exited before it listened")
		case <-tick.C:
		}
	}
}

// signedOutError is the failure of a step that finds the user signed out.
type signedOutError struct {
	request  string // what was sent
	instance string // who answered
}

func (e *signedOutError) Error() string {
	return fmt.Sprintf("%s on instance %s: the user was signed out", e.request, e.instance)
}

// traffic is one signed-in user making requests through the cluster: each
// step presses the counter button and reloads the page, and must find the
// user signed in and the counter one higher. It counts the requests that
// each instance served, from the X-Instance header.
type traffic struct {
	ctx     context.Context
	c       *client
	counter int // the counter the page showed last

	mu       sync.Mutex
	served   map[string]int
	requests int
	changed  chan struct{} // has a value after a request
}

// signedInTraffic signs John Doe in through the cluster.
func signedInTraffic(t *testing.T, cl *cluster) *traffic {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clusterTestTimeout)
	t.Cleanup(cancel)
	tr := &traffic{ctx: ctx, c: newClient(cl.url), served: map[string]int{},
		changed: make(chan struct{}, 1)}
	if err := tr.c.login(ctx, "user", "pass"); err != nil {
		t.Fatalf("signing in through nginx: %v", err)
	}
	return tr
}

// step presses the counter button and checks the page that follows.
func (tr *traffic) step(ctx context.Context) error {
	resp, err := tr.c.post(ctx, "/counter", url.Values{})
	if err != nil {
		return fmt.Errorf("POST /counter: %w", err)
	}
	tr.count(resp)
	switch resp.status {
	case http.StatusSeeOther:
	case http.StatusUnauthorized:
		return &signedOutError{"POST /counter", instanceOf(resp)}
	default:
		return fmt.Errorf("POST /counter on instance %s = %d, want 303", instanceOf(resp),
			resp.status)
	}

	page, err := tr.c.get(ctx, "/")
	if err != nil {
		return fmt.Errorf("GET /: %w", err)
	}
	tr.count(page)
	switch got := counterOf(page.body); {
	case page.status != http.StatusOK:
		return fmt.Errorf("GET / on instance %s = %d, want 200", instanceOf(page), page.status)
	case signedInAs(page.body) != "Signed in as John Doe":
		return &signedOutError{"GET /", instanceOf(page)}
	case got != tr.counter+1:
		return fmt.Errorf("GET / on instance %s shows counter %d, want %d", instanceOf(page),
			got, tr.counter+1)
	default:
		tr.counter = got
	}
	return nil
}

func instanceOf(resp *response) string { return resp.header.Get("X-Instance") }

func (tr *traffic) count(resp *response) {
	tr.mu.Lock()
	tr.served[instanceOf(resp)]++
	tr.requests++
	tr.mu.Unlock()
	select {
	case tr.changed <- struct{}{}:
	default:
	}
}

// servedBy returns how many requests each instance served.
func (tr *traffic) servedBy() map[string]int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return maps.Clone(tr.served)
}

func (tr *traffic) requestCount() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.requests
}

// runInBackground makes steps in a goroutine until the returned function
// is called or a step fails. The function lets the step in progress
// finish, so that the client's cookie and counter stay in step, and
// returns the failure, if any.
func (tr *traffic) runInBackground() (stop func() error) {
	quit := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for {
			select {
			case <-quit:
				done <- nil
				return
			default:
			}
			if err := tr.step(tr.ctx); err != nil {
				done <- err
				return
			}
		}
	}()
	var once sync.Once
	var err error
	return func() error {
		once.Do(func() {
			close(quit)
			err = <-done
		})
		return err
	}
}

// waitServed waits until the instance name has served n requests in all.
func (tr *traffic) waitServed(name string, n int, timeout time.Duration) error {
	deadline := time.After(timeout)
	for tr.servedBy()[name] < n {
		select {
		case <-tr.changed:
		case <-deadline:
			return fmt.Errorf("served %d requests in all, not %d, within %v",
				tr.servedBy()[name], n, timeout)
		}
	}
	return nil
}
