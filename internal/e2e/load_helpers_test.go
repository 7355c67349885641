//go:build unix

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The kinds of request a visitor makes.
type requestKind int

const (
	kindLogin requestKind = iota
	kindHome
	kindCounter
	kindAPI
	numKinds
)

var kindNames = [numKinds]string{"POST /login", "GET /", "POST /counter", "GET /api/data"}

func (k requestKind) String() string { return kindNames[k] }

// Classes of failure, as a visitor sees them.
const (
	failTransport = "transport error"      // no response at all
	failCutOff    = "response cut off"     // the header came, the body broke off
	failInstance  = "not from an instance" // no X-Instance: nginx's own error page, say
	failStatus    = "unexpected status"    // a status the request never gets
	failSignedOut = "signed out"           // the session was gone
	failPage      = "wrong page"           // not the page or JSON it should be
	failCounter   = "counter out of step"  // visits or counter not what the cookie holds
)

// maxFailuresKept bounds the failures a visitor keeps for the report; the
// counts go on.
const maxFailuresKept = 50

// loadFailure is one failed request.
type loadFailure struct {
	kind       requestKind
	class      string
	detail     string
	instance   string // the X-Instance header of the response; "" if none came
	start, end time.Time
	expected   string // why the faults explain it; "" if nothing does
}

// describe describes the failure, with the time its request was sent
// since origin.
func (f *loadFailure) describe(origin time.Time) string {
	in := f.instance
	if in == "" {
		in = "-"
	}
	return fmt.Sprintf("%v: %s (instance %s): %s: %s", roughly(f.start.Sub(origin)), f.kind, in,
		f.class, f.detail)
}

// visitor is one person using the site through nginx: a session of its own,
// one request at a time. It signs in, then loads the page, presses the
// counter button and calls the API, over and over, checking each answer
// against what its cookie holds: the session lives in the cookie only, so
// the visitor always knows what the next page must show.
type visitor struct {
	c *client

	// What the cookie holds as far as the visitor knows.
	signedIn      bool
	visits, count int

	// lastStart is when the latest request that completed was sent, in
	// Unix nanoseconds: a reader that sees it after some moment knows that
	// the cookie came from a request that started after that moment.
	lastStart atomic.Int64

	sent, received time.Time // of the request last made

	// Figures, read once the visitor has stopped.
	latencies [numKinds][]time.Duration
	requests  [numKinds]int
	failed    map[string]int // by class, every failure
	failures  []*loadFailure // the first maxFailuresKept
	served    map[string]int
}

func newVisitor(base string, rt http.RoundTripper) *visitor {
	c := &client{base: base, http: &http.Client{
		Transport: rt,
		Timeout:   loadRequestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
	return &visitor{c: c, served: map[string]int{}, failed: map[string]int{}}
}

// run signs the visitor in, a few visitors at a time, waits for the load
// to begin, and then makes requests until the load stops or ctx is done.
func (v *visitor) run(ctx context.Context, vs *visitors) {
	select {
	case vs.signingIn <- struct{}{}:
	case <-vs.stop:
		return
	case <-ctx.Done():
		return
	}
	for !v.signedIn && !vs.stopped(ctx) {
		v.login(ctx, vs.stop)
	}
	<-vs.signingIn
	if !v.signedIn {
		return
	}
	vs.ready.Add(1)
	select {
	case <-vs.begin:
	case <-vs.stop:
		return
	case <-ctx.Done():
		return
	}

	steps := []func(context.Context){v.home, v.press, v.callAPI}
	for i := 0; !vs.stopped(ctx); {
		if !v.signedIn {
			v.login(ctx, vs.stop)
			continue
		}
		steps[i%len(steps)](ctx)
		i++
	}
}

// visitors are the test's clients. They sign in, then wait for begin to
// make their requests all together, until halt.
type visitors struct {
	all       []*visitor
	transport *http.Transport
	signingIn chan struct{} // a semaphore: bcrypt costs ~100 ms of CPU a sign-in
	ready     atomic.Int64  // visitors signed in
	begin     chan struct{}
	stop      chan struct{}
	start     time.Time // when the first visitor began to sign in
	once      sync.Once
	wg        sync.WaitGroup
}

// startVisitors starts n visitors, which sign in at most concurrent at a
// time. They share one transport, with room for one idle connection each.
func startVisitors(ctx context.Context, base string, n, concurrent int) *visitors {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = n, n
	vs := &visitors{transport: tr, signingIn: make(chan struct{}, concurrent),
		begin: make(chan struct{}), stop: make(chan struct{}), start: time.Now()}
	for range n {
		v := newVisitor(base, tr)
		vs.all = append(vs.all, v)
		vs.wg.Go(func() { v.run(ctx, vs) })
	}
	return vs
}

// signedIn waits until every visitor has signed in.
func (vs *visitors) signedIn(ctx context.Context, timeout time.Duration) error {
	return waitUntil(ctx, timeout, func() error {
		if n := vs.ready.Load(); n < int64(len(vs.all)) {
			return fmt.Errorf("%d of %d clients signed in", n, len(vs.all))
		}
		return nil
	})
}

// startLoad lets the visitors make their requests.
func (vs *visitors) startLoad() time.Time {
	close(vs.begin)
	return time.Now()
}

func (vs *visitors) stopped(ctx context.Context) bool {
	select {
	case <-vs.stop:
		return true
	case <-ctx.Done():
		return true
	default:
		return false
	}
}

// halt tells the visitors to stop after the request each is making, and
// waits for them.
func (vs *visitors) halt() {
	vs.once.Do(func() { close(vs.stop) })
	vs.wg.Wait()
}

// login signs in as John Doe. After a failure it waits a little before the
// next try, so that a broken cluster is not hammered with bcrypt.
func (v *visitor) login(ctx context.Context, stop <-chan struct{}) {
	resp, f := v.do(ctx, kindLogin, "POST", "/login",
		url.Values{"username": {"user"}, "password": {"pass"}})
	switch {
	case f != nil:
	case resp.status != http.StatusSeeOther || !setsCookie(resp):
		f = v.fail(kindLogin, failStatus, resp, "%d, want 303 with a cookie", resp.status)
	default:
		// Renew and a new value: the page counts from zero again.
		v.signedIn, v.visits, v.count = true, 0, 0
		return
	}
	select {
	case <-time.After(100 * time.Millisecond):
	case <-stop:
	case <-ctx.Done():
	}
}

// home loads the page: one more visit, the counter as it was.
func (v *visitor) home(ctx context.Context) {
	resp, f := v.do(ctx, kindHome, "GET", "/", nil)
	if f != nil {
		if resp != nil && setsCookie(resp) {
			v.visits++ // the cookie kept holds the visit
		}
		return
	}
	visits, count := numberOf(visitsRE, resp.body), counterOf(resp.body)
	switch {
	case resp.status != http.StatusOK:
		v.fail(kindHome, failStatus, resp, "%d, want 200", resp.status)
	case signedInAs(resp.body) == "":
		v.signedIn = false
		v.fail(kindHome, failSignedOut, resp, "the sign-in form, want the signed-in page")
	case signedInAs(resp.body) != "Signed in as John Doe":
		v.fail(kindHome, failPage, resp, "%q, want John Doe", signedInAs(resp.body))
	case visits != v.visits+1 || count != v.count:
		v.fail(kindHome, failCounter, resp, "visits %d and counter %d, want %d and %d",
			visits, count, v.visits+1, v.count)
		v.visits, v.count = visits, count // go on from what the cookie holds
	default:
		v.visits = visits
	}
}

// press presses the counter button: 303 to the page, the counter one up in
// the new cookie.
func (v *visitor) press(ctx context.Context) {
	resp, f := v.do(ctx, kindCounter, "POST", "/counter", url.Values{})
	switch {
	case f != nil:
		if resp != nil && setsCookie(resp) {
			v.count++
		}
	case resp.status == http.StatusUnauthorized:
		v.signedIn = false
		v.fail(kindCounter, failSignedOut, resp, "401")
	case resp.status != http.StatusSeeOther || !setsCookie(resp):
		v.fail(kindCounter, failStatus, resp, "%d, want 303 with a cookie", resp.status)
	default:
		v.count++
	}
}

// apiResponse is the body of GET /api/data.
type apiResponse struct {
	Data struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"data"`
}

// callAPI asks the API for the user's details, with the cookie.
func (v *visitor) callAPI(ctx context.Context) {
	resp, f := v.do(ctx, kindAPI, "GET", "/api/data", nil)
	if f != nil {
		return
	}
	var got apiResponse
	err := json.Unmarshal([]byte(resp.body), &got)
	switch {
	case resp.status == http.StatusUnauthorized:
		v.signedIn = false
		v.fail(kindAPI, failSignedOut, resp, "401")
	case resp.status != http.StatusOK:
		v.fail(kindAPI, failStatus, resp, "%d, want 200", resp.status)
	case err != nil || got.Data.Name != "John Doe":
		v.fail(kindAPI, failPage, resp, "%.100q, want John Doe's details", resp.body)
	}
}

// do sends a request and records it. It returns the response, and a
// failure when there was no complete response from an instance; the
// response is not nil when the header came.
func (v *visitor) do(ctx context.Context, kind requestKind, method, path string,
	form url.Values) (*response, *loadFailure) {
	v.sent = time.Now()
	resp, err := v.c.exchange(ctx, method, path, form)
	v.received = time.Now()
	v.requests[kind]++
	switch {
	case resp == nil:
		return nil, v.fail(kind, failTransport, nil, "%v", err)
	case err != nil:
		return resp, v.fail(kind, failCutOff, resp, "%d, then %v", resp.status, err)
	case instanceOf(resp) == "":
		return resp, v.fail(kind, failInstance, resp, "%d %.100q", resp.status, resp.body)
	}
	v.lastStart.Store(v.sent.UnixNano())
	v.latencies[kind] = append(v.latencies[kind], v.received.Sub(v.sent))
	v.served[instanceOf(resp)]++
	return resp, nil
}

// fail records a failure of a request whose response (nil if none) was
// resp.
func (v *visitor) fail(kind requestKind, class string, resp *response, format string,
	args ...any) *loadFailure {
	f := &loadFailure{kind: kind, class: class, detail: fmt.Sprintf(format, args...),
		start: v.sent, end: v.received}
	if resp != nil {
		f.instance = instanceOf(resp)
	}
	v.failed[class]++
	if len(v.failures) < maxFailuresKept {
		v.failures = append(v.failures, f)
	}
	return f
}

var visitsRE = regexp.MustCompile(`id="visits">(\d+)<`)

// numberOf returns the number that re's first group matches in page, or -1.
func numberOf(re *regexp.Regexp, page string) int {
	if m := re.FindStringSubmatch(page); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return -1
}

// setsCookie reports whether a response sets the session cookie.
func setsCookie(resp *response) bool {
	for _, line := range resp.header.Values("Set-Cookie") {
		if strings.HasPrefix(line, cookieName+"=") {
			return true
		}
	}
	return false
}

// latencySummary is the distribution of a set of durations.
type latencySummary struct {
	p50, p99, max time.Duration
}

func summarize(ds []time.Duration) latencySummary {
	if len(ds) == 0 {
		return latencySummary{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[int(q*float64(len(s)-1))] }
	return latencySummary{p50: at(0.50), p99: at(0.99), max: s[len(s)-1]}
}

func (l latencySummary) String() string {
	return fmt.Sprintf("p50 %v, p99 %v, max %v", roughly(l.p50), roughly(l.p99), roughly(l.max))
}

// roughly rounds d for printing: to 0.1 ms under a second, else to 10 ms.
func roughly(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(10 * time.Millisecond)
}

// keyFile is the key file that every instance reads and watches.
type keyFile struct {
	path string
}

// write replaces the file's contents with keys, newest first, atomically:
// a new file renamed over the old one, so that no instance reads half of
// it.
func (kf *keyFile) write(keys ...string) error {
	tmp := kf.path + ".new"
	if err := os.WriteFile(tmp, []byte(strings.Join(keys, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, kf.path)
}

// loadInstance is an instance of the example with its admin address and
// the figures of the processes it has been.
type loadInstance struct {
	*instance
	admin string // host:port of /debug/vars

	// Updated by the test's goroutine only.
	processes int   // processes started
	peakRSS   int64 // the largest VmHWM of its processes, in kB; -1 unknown
}

// startAgain starts the instance again after its process ended, on the
// same ports. Another socket may hold a port for a while (an outgoing
// connection that the kernel gave it), so it tries a few times before it
// gives up.
func (li *loadInstance) startAgain() error {
	var err error
	for try := 0; try < 5; try++ {
		if err = li.launch(); err == nil {
			li.processes++
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("instance %s did not start again: %w\n%s", li.name, err,
		tail(li.log.String(), 2000))
}

// notePeakRSS reads the process's peak resident set before it ends.
func (li *loadInstance) notePeakRSS() {
	if kb := peakRSS(li.cmd.Process.Pid); kb > li.peakRSS {
		li.peakRSS = kb
	}
}

// peakRSS returns the VmHWM of process pid in kB, or -1 where /proc does
// not say.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(b)) {
		rest, ok := strings.CutPrefix(line, "VmHWM:")
		if fields := strings.Fields(rest); ok && len(fields) > 0 { // "1234 kB"
			if kb, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
				return kb
			}
		}
	}
	return -1
}

var keyIDsRE = regexp.MustCompile(`key_ids=(?:"([^"]*)"|(\S+))`)

// keyIDs returns the key IDs of the instance's ring as it last logged them
// (at start-up or after a change of the key file), the primary first, in
// the example's format.
func (li *loadInstance) keyIDs() string {
	ms := keyIDsRE.FindAllStringSubmatch(li.log.String(), -1)
	if len(ms) == 0 {
		return ""
	}
	m := ms[len(ms)-1]
	return m[1] + m[2]
}

// adminVars is what the figures need of an instance's /debug/vars.
type adminVars struct {
	Goroutines int `json:"goroutines"`
	Memstats   struct {
		HeapInuse uint64
	} `json:"memstats"`
}

var adminClient = &http.Client{Timeout: 5 * time.Second,
	Transport: &http.Transport{DisableKeepAlives: true}}

// vars fetches the instance's /debug/vars.
func (li *loadInstance) vars(ctx context.Context) (adminVars, error) {
	var v adminVars
	r, err := http.NewRequestWithContext(ctx, "GET", "http://"+li.admin+"/debug/vars", nil)
	if err != nil {
		return v, err
	}
	resp, err := adminClient.Do(r)
	if err != nil {
		return v, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return v, fmt.Errorf("GET /debug/vars = %d", resp.StatusCode)
	}
	return v, json.NewDecoder(resp.Body).Decode(&v)
}

// memorySampler polls the instances' /debug/vars and keeps the peaks.
type memorySampler struct {
	mu         sync.Mutex
	heap       map[string]uint64 // the largest HeapInuse seen, in bytes
	goroutines map[string]int    // the most goroutines seen
	stop       chan struct{}
	done       chan struct{}
}

// sampleMemory polls every interval until stop is called. An instance that
// does not answer (it is being restarted) is skipped.
func sampleMemory(ctx context.Context, instances []*loadInstance,
	interval time.Duration) *memorySampler {
	s := &memorySampler{heap: map[string]uint64{}, goroutines: map[string]int{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			for _, li := range instances {
				if v, err := li.vars(ctx); err == nil {
					s.note(li.name, v)
				}
			}
			select {
			case <-tick.C:
			case <-s.stop:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return s
}

func (s *memorySampler) note(name string, v adminVars) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.heap[name] = max(s.heap[name], v.Memstats.HeapInuse)
	s.goroutines[name] = max(s.goroutines[name], v.Goroutines)
}

// halt stops the sampler and waits for it.
func (s *memorySampler) halt() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
}

// waitUntil calls cond every few milliseconds until it returns nil, and
// returns its last error if that takes longer than timeout or ctx ends.
func waitUntil(ctx context.Context, timeout time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still after %v: %w", timeout, err)
		}
		select {
		case <-time.After(25 * time.Millisecond):
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		}
	}
}

// nginxUpstreamErrors counts the kinds of upstream error in nginx's error
// log: each is a request that nginx passed to another instance, or could
// not.
func nginxUpstreamErrors(errorLog string) map[string]int {
	kinds := []string{"connect() failed", "upstream prematurely closed", "recv() failed",
		"writev() failed", "no live upstreams", "upstream timed out"}
	counts := map[string]int{}
	for _, line := range strings.Split(errorLog, "\n") {
		for _, k := range kinds {
			if strings.Contains(line, k) {
				counts[k]++
			}
		}
	}
	return counts
}
