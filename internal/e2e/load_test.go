//go:build unix

package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/statelessgo/sessions/cookiesession"
)

// loadVariable, set to "full", runs the full load test: 500 clients for
// 60 seconds. Without it, TestLoad runs a short version that suits the
// README's go test and CI.
const loadVariable = "COOKIESESSION_LOAD"

// Sizes of the load test.
const (
	shortLoadDuration = 10 * time.Second
	shortLoadClients  = 100
	fullLoadDuration  = 60 * time.Second
	fullLoadClients   = 500
)

var (
	loadDurationFlag = flag.Duration("load-duration", 0,
		"run TestLoad for this long, with 500 clients unless -load-clients says otherwise")
	loadClientsFlag = flag.Int("load-clients", 0, "the number of clients of TestLoad")
)

// Settings and bounds of the load test. None is a limit on latency or
// throughput: the machine may be shared and slow. The timeouts bound waits
// that end as soon as their condition holds, and catch hangs.
const (
	loadKeysPoll       = 200 * time.Millisecond // the instances' -keys-poll
	signInConcurrency  = 8                      // sign-ins in flight at a time
	loadRequestTimeout = 60 * time.Second       // one request: only a hang takes that long
	signInTimeout      = 5 * time.Minute        // for every client to sign in
	loadSlack          = 3 * time.Minute        // beyond the load's duration, for the rest
	keysAppliedTimeout = 15 * time.Second       // for every instance to apply the key file
	resealTimeout      = 30 * time.Second       // for every cookie to be sealed under the new key
	settleTimeout      = 30 * time.Second       // for idle connections to close after the load
	sampleInterval     = 250 * time.Millisecond // of /debug/vars
	leakAllowance      = 5                      // goroutines above the baseline that are no leak
)

// loadNginxTemplate is nginx's configuration for the load test: the
// cluster's, with room for hundreds of clients.
var loadNginxTemplate = filepath.Join("..", "..", "example", "cluster", "nginx-load.conf.tmpl")

// loadSize is how long and how hard TestLoad runs.
type loadSize struct {
	duration time.Duration // of the load, from when every client has signed in
	clients  int
}

func chooseLoadSize() loadSize {
	s := loadSize{duration: shortLoadDuration, clients: shortLoadClients}
	if os.Getenv(loadVariable) == "full" || *loadDurationFlag > 0 {
		s = loadSize{duration: fullLoadDuration, clients: fullLoadClients}
	}
	if *loadDurationFlag > 0 {
		s.duration = *loadDurationFlag
	}
	if *loadClientsFlag > 0 {
		s.clients = *loadClientsFlag
	}
	return s
}

// TestLoad runs three instances of the example behind nginx, sharing one
// key file, and sends them the traffic of hundreds of signed-in users
// while the keys are rotated through the key file and instances are
// killed and started again. Every request must succeed, or fail in a way
// that a fault explains (see classifyFailures); the rotation must sign no
// one out; no instance may leak goroutines. It logs the figures: requests,
// failures, latency, memory, goroutines.
//
// The clients sign in first, a few at a time (bcrypt makes a sign-in cost
// as much CPU as a few hundred other requests), and one instance is killed
// meanwhile. Then the load runs for its duration, every client
// making requests, one at a time each, with no pause.
//
// The short version (100 clients, 10 seconds) runs by default; the full one
// (500 clients, 60 seconds) with COOKIESESSION_LOAD=full or -load-duration:
//
//	COOKIESESSION_LOAD=full go test ./internal/e2e -run TestLoad -v
func TestLoad(t *testing.T) {
	requireTool(t, "nginx")
	size := chooseLoadSize()
	exampleBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(),
		signInTimeout+size.duration+loadSlack)
	t.Cleanup(cancel)

	oldKey, newKey := cookiesession.GenerateKeyString(), cookiesession.GenerateKeyString()
	keys := &keyFile{path: filepath.Join(t.TempDir(), "keys")}
	if err := keys.write(oldKey); err != nil {
		t.Fatal(err)
	}
	fl := startFleet(t, ctx, keys)
	base, nginxDir := startNginx(t, loadNginxTemplate, fl.addrs())
	before, testBefore := fl.goroutines(t), runtime.NumGoroutine()
	t.Logf("%d clients, %v of load; keys %08x, then %08x", size.clients, size.duration,
		keyID(t, oldKey), keyID(t, newKey))

	vs, sampler := fl.runLoad(base, size, oldKey, newKey)
	fig := collectFigures(vs, fl)
	fig.log(t)
	fl.logProcesses(t, sampler, before)
	upstreamErrors := nginxUpstreamErrors((&cluster{nginxDir: nginxDir}).nginxErrors(t))
	t.Logf("nginx's upstream errors, each a request it passed to another instance "+
		"(or could not): %v", upstreamErrors)

	checkFailures(t, fig)
	if sumCounts(upstreamErrors) == 0 {
		t.Errorf("no request met a killed instance: nginx's retries went untested")
	}
	checkFinalKeys(t, fl, vs, keyID(t, newKey))
	fl.checkGoroutines(t, ctx, before)
	vs.transport.CloseIdleConnections()
	checkTestGoroutines(t, ctx, testBefore)
}

// runLoad signs the clients in, runs the load with its faults, and stops
// the clients. It returns them, with the memory figures of the instances.
func (fl *fleet) runLoad(base string, size loadSize, oldKey, newKey string) (*visitors,
	*memorySampler) {
	// On failure, the requests in flight are cancelled and the clients
	// stopped before the processes are killed.
	ctx, cancel := context.WithCancel(fl.ctx)
	vs := startVisitors(ctx, base, size.clients, signInConcurrency)
	fl.t.Cleanup(func() { cancel(); vs.halt() })
	sampler := sampleMemory(fl.ctx, fl.instances, sampleInterval)
	fl.t.Cleanup(sampler.halt)

	fl.start = vs.start
	fl.signIn(vs)
	fl.loadStart, fl.duration = vs.startLoad(), size.duration
	fl.runFaults(vs, oldKey, newKey)
	fl.at(1)
	vs.halt()
	fl.loadEnd = time.Now()

	sampler.halt()
	for _, li := range fl.instances {
		li.notePeakRSS()
	}
	return vs, sampler
}

// fleet is the three instances of the test and what happens to them.
type fleet struct {
	t         *testing.T
	ctx       context.Context
	instances []*loadInstance
	keys      *keyFile

	start     time.Time // of the traffic: the first sign-in
	loadStart time.Time // of the load, once every client has signed in
	loadEnd   time.Time // when the last client stopped
	duration  time.Duration
	faults    []fault
}

// fault is an instance stopped during the load.
type fault struct {
	instance       string
	signal         syscall.Signal
	sent, finished time.Time // when the signal went, and when the process had ended
}

// startFleet starts three instances named a, b, c that read their keys from
// keys, each with an admin address for its figures.
func startFleet(t *testing.T, ctx context.Context, keys *keyFile) *fleet {
	t.Helper()
	fl := &fleet{t: t, ctx: ctx, keys: keys}
	for _, name := range []string{"a", "b", "c"} {
		admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		in := startInstance(t, name, "", "-keys-file", keys.path,
			"-keys-poll", loadKeysPoll.String(), "-admin", admin, "-debug")
		fl.instances = append(fl.instances, &loadInstance{instance: in, admin: admin,
			processes: 1, peakRSS: -1})
	}
	return fl
}

func (fl *fleet) addrs() []string {
	var addrs []string
	for _, li := range fl.instances {
		addrs = append(addrs, li.addr)
	}
	return addrs
}

func (fl *fleet) instance(name string) *loadInstance {
	for _, li := range fl.instances {
		if li.name == name {
			return li
		}
	}
	panic("no instance " + name)
}

// signIn waits for the clients to sign in, and kills an instance when half
// of them have: sign-ins in flight on it go to another instance.
func (fl *fleet) signIn(vs *visitors) {
	fl.t.Helper()
	half := func() error {
		if n := vs.ready.Load(); n < int64(len(vs.all)/2) {
			return fmt.Errorf("%d of %d clients signed in", n, len(vs.all))
		}
		return nil
	}
	if err := waitUntil(fl.ctx, signInTimeout, half); err != nil {
		fl.t.Fatal(err)
	}
	fl.kill("b", syscall.SIGKILL)
	if err := vs.signedIn(fl.ctx, signInTimeout); err != nil {
		fl.t.Fatal(err)
	}
	fl.t.Logf("%v: every client signed in; the load begins", fl.offset(time.Now()))
}

// runFaults rotates the keys and kills instances, at set points of the
// load. Instances a and b are killed and started again, several times;
// c lives through the whole load, so that one process serves it all and
// applies every change of the key file while it runs.
//
// The rotation is the three phases of the package documentation, made by
// rewriting the key file only. Each phase waits until every instance has
// applied the one before, so that no instance is ever two phases behind
// another; an instance started again reads the file as it is.
func (fl *fleet) runFaults(vs *visitors, oldKey, newKey string) {
	fl.at(0.15)
	fl.kill("a", syscall.SIGKILL)
	fl.at(0.25)
	fl.rotate("new opens", oldKey, newKey)
	fl.at(0.32)
	fl.kill("b", syscall.SIGKILL)
	fl.at(0.40)
	sealing := fl.rotate("new seals", newKey, oldKey)
	fl.at(0.47)
	fl.kill("a", syscall.SIGTERM) // a graceful stop, for contrast
	fl.at(0.55)
	fl.awaitResealed(vs, sealing, keyID(fl.t, newKey))
	fl.rotate("old retired", newKey)
	fl.at(0.65)
	fl.kill("b", syscall.SIGKILL)
	fl.at(0.75)
	fl.kill("a", syscall.SIGKILL)
	fl.at(0.85)
	fl.kill("b", syscall.SIGKILL)
}

// at waits until the fraction f of the load's duration has passed. When the
// fleet is late (a slow machine), it does not wait.
func (fl *fleet) at(f float64) {
	when := fl.loadStart.Add(time.Duration(f * float64(fl.duration)))
	select {
	case <-time.After(time.Until(when)):
	case <-fl.ctx.Done():
		fl.t.Fatalf("the load test ran out of time: %v", fl.ctx.Err())
	}
}

// rotate writes keys to the key file and waits until every instance has
// applied them. It returns when the last one did.
func (fl *fleet) rotate(phase string, keys ...string) time.Time {
	fl.t.Helper()
	var ids []string
	for _, k := range keys {
		ids = append(ids, fmt.Sprintf("%08x", keyID(fl.t, k)))
	}
	want := strings.Join(ids, ", ")
	written := time.Now()
	if err := fl.keys.write(keys...); err != nil {
		fl.t.Fatal(err)
	}
	err := waitUntil(fl.ctx, keysAppliedTimeout, func() error {
		for _, li := range fl.instances {
			if got := li.keyIDs(); got != want {
				return fmt.Errorf("instance %s has keys %s, want %s", li.name, got, want)
			}
		}
		return nil
	})
	if err != nil {
		fl.t.Fatalf("phase %q: %v", phase, err)
	}
	applied := time.Now()
	fl.t.Logf("%v: phase %q (keys %s) applied by every instance in %v", fl.offset(written),
		phase, want, roughly(applied.Sub(written)))
	return applied
}

// awaitResealed waits until every client holds a cookie sealed under the
// key newID, from a request that it sent after since. Since every instance
// sealed under newID from then on, a request still in flight cannot bring
// back a cookie under the old key: the old key can be retired.
func (fl *fleet) awaitResealed(vs *visitors, since time.Time, newID uint32) {
	fl.t.Helper()
	from := time.Now()
	err := waitUntil(fl.ctx, resealTimeout, func() error {
		waiting := 0
		for _, v := range vs.all {
			id, err := sealedKeyID(v.c.sessionCookie())
			if v.lastStart.Load() <= since.UnixNano() || err != nil || id != newID {
				waiting++
			}
		}
		if waiting > 0 {
			return fmt.Errorf("%d of %d clients hold no cookie under %08x yet", waiting,
				len(vs.all), newID)
		}
		return nil
	})
	if err != nil {
		fl.t.Fatalf("before retiring the old key: %v", err)
	}
	fl.t.Logf("%v: every cookie sealed under %08x (waited %v)", fl.offset(time.Now()), newID,
		roughly(time.Since(from)))
}

// kill stops an instance with sig, SIGKILL or SIGTERM, and starts it again
// on the same port with the same key file. SIGKILL leaves its requests
// in flight without an answer; SIGTERM lets them finish.
func (fl *fleet) kill(name string, sig syscall.Signal) {
	fl.t.Helper()
	li := fl.instance(name)
	li.notePeakRSS()
	k := fault{instance: name, signal: sig, sent: time.Now()}
	if sig == syscall.SIGKILL {
		li.instance.kill()
	} else {
		li.stop()
	}
	k.finished = time.Now()
	fl.faults = append(fl.faults, k)
	if err := li.startAgain(); err != nil {
		fl.t.Fatal(err)
	}
	fl.t.Logf("%v: instance %s stopped with %s, started again in %v", fl.offset(k.sent),
		name, signalName(sig), roughly(time.Since(k.finished)))
}

func signalName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGKILL:
		return "SIGKILL"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

func (fl *fleet) offset(t time.Time) time.Duration { return roughly(t.Sub(fl.start)) }

// goroutines returns the number of goroutines of each instance.
func (fl *fleet) goroutines(t *testing.T) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, li := range fl.instances {
		v, err := li.vars(fl.ctx)
		if err != nil {
			t.Fatalf("instance %s: %v", li.name, err)
		}
		n[li.name] = v.Goroutines
	}
	return n
}

// checkGoroutines checks that the instances go back to the goroutines
// they had before the load, once nginx has closed its idle connections.
func (fl *fleet) checkGoroutines(t *testing.T, ctx context.Context, before map[string]int) {
	t.Helper()
	after := awaitGoroutines(t, ctx, "an instance", before, func() map[string]int {
		return fl.goroutines(t)
	})
	t.Logf("goroutines per instance: before the load %v, after it %v", before, after)
}

// checkTestGoroutines does the same for the test process: the clients and
// their connections must be gone.
func checkTestGoroutines(t *testing.T, ctx context.Context, before int) {
	t.Helper()
	count := func() map[string]int { return map[string]int{"test": runtime.NumGoroutine()} }
	after := awaitGoroutines(t, ctx, "the test process", map[string]int{"test": before}, count)
	t.Logf("goroutines of the test process: before the load %d, after it %d", before,
		after["test"])
}

// awaitGoroutines polls count until no count is more than leakAllowance
// above its value in before, and fails the test on a leak if that does not
// happen within settleTimeout. Then it gives the last goroutines a moment
// to end, for the figures, and returns the counts.
func awaitGoroutines(t *testing.T, ctx context.Context, what string, before map[string]int,
	count func() map[string]int) map[string]int {
	t.Helper()
	var now map[string]int
	above := func(allowance int) func() error {
		return func() error {
			now = count()
			for name, n := range now {
				if n > before[name]+allowance {
					return fmt.Errorf("%s: %d goroutines, %d before the load", name, n,
						before[name])
				}
			}
			return nil
		}
	}
	if err := waitUntil(ctx, settleTimeout, above(leakAllowance)); err != nil {
		t.Errorf("%s leaks goroutines: %v", what, err)
		return now
	}
	waitUntil(ctx, time.Second, above(0))
	return now
}

// logProcesses logs the memory figures of each instance.
func (fl *fleet) logProcesses(t *testing.T, s *memorySampler, before map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, li := range fl.instances {
		t.Logf("instance %s: %d processes, peak RSS %s, peak heap in use %.1f MiB, "+
			"at most %d goroutines (%d before the load)", li.name, li.processes,
			kibibytes(li.peakRSS), float64(s.heap[li.name])/(1<<20), s.goroutines[li.name],
			before[li.name])
	}
}

func kibibytes(kb int64) string {
	if kb < 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f MiB", float64(kb)/1024)
}

// figures are the results of a load test.
type figures struct {
	origin     time.Time     // of the traffic, for the times of failures
	signIn     time.Duration // from the first sign-in to the last
	elapsed    time.Duration // of the load
	clients    int
	requests   [numKinds]int
	latencies  [numKinds]latencySummary
	all        latencySummary // every kind but sign-in
	served     map[string]int
	failed     map[string]int // by class, every failure
	failures   []*loadFailure
	expected   map[string]int // by reason
	unexpected int
}

// collectFigures adds up the figures of the visitors, and classifies their
// failures against the faults of the fleet.
func collectFigures(vs *visitors, fl *fleet) *figures {
	fig := &figures{origin: fl.start, signIn: fl.loadStart.Sub(fl.start),
		elapsed: fl.loadEnd.Sub(fl.loadStart), clients: len(vs.all),
		served: map[string]int{}, failed: map[string]int{}, expected: map[string]int{}}
	var lat [numKinds][]time.Duration
	for _, v := range vs.all {
		for k := range numKinds {
			fig.requests[k] += v.requests[k]
			lat[k] = append(lat[k], v.latencies[k]...)
		}
		addCounts(fig.served, v.served)
		addCounts(fig.failed, v.failed)
		fig.failures = append(fig.failures, v.failures...)
	}
	for k := range numKinds {
		fig.latencies[k] = summarize(lat[k])
	}
	fig.all = summarize(slices.Concat(lat[kindLogin+1:]...))

	classifyFailures(fig.failures, fl.faults)
	for _, f := range fig.failures {
		if f.expected != "" {
			fig.expected[f.expected]++
		}
	}
	// A failure that was not kept counts as unexpected.
	fig.unexpected = sumCounts(fig.failed) - sumCounts(fig.expected)
	return fig
}

func addCounts(to, from map[string]int) {
	for k, n := range from {
		to[k] += n
	}
}

// classifyFailures marks the failures that are expected by design, with
// the reason. There is one such class.
//
// A response cut off by a SIGKILL. nginx passes a request to another
// instance when the one it chose fails before its response header has
// come (the connection refused, reset or closed: proxy_next_upstream
// error, POST included), so a process killed while it has requests in
// flight costs no failure, only a retry. But once the header has been
// passed on to the client, nginx can no longer retry: if the instance dies
// while its body is still on the way, the client gets a response that
// breaks off. No proxy can do better without buffering whole responses.
// Such a failure is expected only if the response came from the instance
// killed, and the SIGKILL fell while the request was in flight.
//
// Not expected, among others, since nothing in the design explains them:
// a transport error without a response (nginx is never killed), any
// status the request should not get (502 included: instances are killed
// one at a time and c never, so nginx always has one to retry on), a
// cut-off response of an instance
// that was not being killed or that was stopped with SIGTERM (a graceful
// stop lets requests finish), a signed-out session (the rotation never
// leaves a cookie under a key that an instance lacks), and a counter out
// of step. A POST that nginx retries on another instance does not move
// the counter twice: the counter lives in the cookie, the retry carries
// the same cookie, and so it computes the same new session.
func classifyFailures(failures []*loadFailure, faults []fault) {
	for _, f := range failures {
		if f.class != failCutOff {
			continue
		}
		for _, x := range faults {
			if x.signal == syscall.SIGKILL && x.instance == f.instance &&
				x.sent.Before(f.end) && x.finished.After(f.start) {
				f.expected = "response cut off by a SIGKILL of its instance"
				break
			}
		}
	}
}

func sumCounts(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// loadRequests returns the number of requests made during the load, the
// sign-ins aside.
func (fig *figures) loadRequests() int {
	n := 0
	for k := kindLogin + 1; k < numKinds; k++ {
		n += fig.requests[k]
	}
	return n
}

func (fig *figures) log(t *testing.T) {
	t.Helper()
	t.Logf("%d clients signed in in %v (%d sign-ins, again after a failure included), "+
		"latency %v", fig.clients, roughly(fig.signIn), fig.requests[kindLogin],
		fig.latencies[kindLogin])
	n := fig.loadRequests()
	t.Logf("then %d requests in %v: %.0f per second, latency %v", n, roughly(fig.elapsed),
		float64(n)/fig.elapsed.Seconds(), fig.all)
	for k := kindLogin + 1; k < numKinds; k++ {
		t.Logf("  %-15s %7d requests, latency %v", k, fig.requests[k], fig.latencies[k])
	}
	t.Logf("served per instance: %v", fig.served)
	t.Logf("failures: %d unexpected, %d expected by design %v", fig.unexpected,
		sumCounts(fig.expected), fig.expected)
	for _, f := range fig.failures {
		if f.expected != "" {
			t.Logf("  expected: %s", f.describe(fig.origin))
		}
	}
}

// checkFailures fails the test on every failure that no fault explains.
func checkFailures(t *testing.T, fig *figures) {
	t.Helper()
	if fig.unexpected == 0 {
		return
	}
	t.Errorf("%d failures that no fault explains; all failures by class: %v",
		fig.unexpected, fig.failed)
	shown := 0
	for _, f := range fig.failures {
		if f.expected == "" && shown < 30 {
			t.Errorf("  %s", f.describe(fig.origin))
			shown++
		}
	}
}

// checkFinalKeys checks that the rotation ended where it should: every
// instance with the new key alone, every client signed in under it.
func checkFinalKeys(t *testing.T, fl *fleet, vs *visitors, newID uint32) {
	t.Helper()
	want := fmt.Sprintf("%08x", newID)
	for _, li := range fl.instances {
		if got := li.keyIDs(); got != want {
			t.Errorf("instance %s ends with keys %s, want %s", li.name, got, want)
		}
	}
	byKey := map[string]int{}
	for _, v := range vs.all {
		id, err := sealedKeyID(v.c.sessionCookie())
		switch {
		case err != nil:
			byKey[err.Error()]++
		default:
			byKey[fmt.Sprintf("%08x", id)]++
		}
	}
	if byKey[want] != len(vs.all) {
		t.Errorf("clients' cookies at the end, by key: %v; want all %d under %s",
			byKey, len(vs.all), want)
	}
}

func TestClassifyFailures(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	faults := []fault{
		{instance: "a", signal: syscall.SIGKILL, sent: at(100), finished: at(110)},
		{instance: "b", signal: syscall.SIGTERM, sent: at(300), finished: at(400)},
	}
	tests := []struct {
		name       string
		class      string
		instance   string
		start, end int // ms
		expected   bool
	}{
		{"cut off while its instance is killed", failCutOff, "a", 90, 105, true},
		{"cut off, sent as the kill ends", failCutOff, "a", 109, 120, true},
		{"cut off, sent after the kill", failCutOff, "a", 111, 120, false},
		{"cut off, done before the kill", failCutOff, "a", 50, 99, false},
		{"cut off by another instance", failCutOff, "c", 90, 105, false},
		{"cut off by a graceful stop", failCutOff, "b", 290, 350, false},
		{"transport error during a kill", failTransport, "", 90, 105, false},
		{"status during a kill", failStatus, "a", 90, 105, false},
		{"signed out during a kill", failSignedOut, "a", 90, 105, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &loadFailure{class: tt.class, instance: tt.instance, start: at(tt.start),
				end: at(tt.end)}
			classifyFailures([]*loadFailure{f}, faults)
			if got := f.expected != ""; got != tt.expected {
				t.Errorf("classifyFailures(%s) expected = %q, want expected %v",
					f.describe(t0), f.expected, tt.expected)
			}
		})
	}
}
