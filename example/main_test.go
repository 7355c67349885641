package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statelessgo/sessions/cookiesession"
)

// env returns a getenv for run with only the variables in vars.
func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// TestRunBadKeys checks that bad keys stop the server with an error that
// names the key and shows none.
func TestRunBadKeys(t *testing.T) {
	good := cookiesession.GenerateKeyString()
	short := base64.StdEncoding.EncodeToString([]byte("sixteen bytes!!!"))
	zeros := base64.StdEncoding.EncodeToString(make([]byte, 32))
	tests := []struct{ name, keys, want string }{
		{"short second key", good + "," + short, "key 2 of 2 is 16 bytes"},
		{"not base64", "not*base64", "key 1 of 1 is not base64"},
		{"empty second key", good + ",", "key 2 of 2 is empty"},
		{"all zero", zeros, "key 1 of 1 has all bytes the same"},
		{"twice the same", good + "," + good, "key 2 of 2 has the same key ID as key 1"},
		{"too many", strings.Repeat(good+",", 8) + good, "9 keys; a keyring holds at most 8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"-addr", "127.0.0.1:0"},
				env(map[string]string{keysVariable: tt.keys}), nil, &stdout, &stderr)
			if code != 1 {
				t.Errorf("run with %s = %d, want 1", keysVariable, code)
			}
			msg := stderr.String()
			if !strings.Contains(msg, keysVariable) || !strings.Contains(msg, tt.want) {
				t.Errorf("run's error = %q, want %s and %q", msg, keysVariable, tt.want)
			}
			for _, k := range []string{good, short, zeros, "not*base64"} {
				if strings.Contains(msg, k) {
					t.Errorf("run's error %q shows key material", msg)
				}
			}
			if strings.Contains(msg, "listening") {
				t.Errorf("run with bad keys started listening: %q", msg)
			}
		})
	}
}

// TestRunBadArguments checks the exit codes and messages of bad flags.
func TestRunBadArguments(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string // in stderr
	}{
		{"idle timeout above max age", []string{"-idle-timeout", "1h", "-max-age", "30m"}, 1,
			"idle timeout 1h0m0s is outside [1s, lifetime 30m0s]"},
		{"max age too short", []string{"-max-age", "10s", "-idle-timeout", "5s"}, 1,
			"lifetime 10s is outside [1m"},
		{"zero idle timeout", []string{"-idle-timeout", "0"}, 1, "idle timeout 0s is outside"},
		{"not a duration", []string{"-max-age", "a day"}, 2, `invalid value "a day"`},
		{"unknown flag", []string{"-port", "80"}, 2, "flag provided but not defined: -port"},
		{"extra argument", []string{"-debug", "now"}, 2, `unexpected argument "now"`},
		{"unknown command", []string{"serve"}, 2, `unknown command "serve"`},
		{"bad address", []string{"-addr", "127.0.0.1:99999"}, 1, "invalid port"},
		{"no Redis", []string{"-redis", "127.0.0.1:1"}, 1, "-redis 127.0.0.1:1: "},
	}
	keys := env(map[string]string{keysVariable: cookiesession.GenerateKeyString()})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, keys, nil, &stdout, &stderr)
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("run(%q) = %d, %q; want %d, %q", tt.args, code, stderr.String(),
					tt.wantCode, tt.want)
			}
		})
	}
}

// TestRunHelp checks that -h names every flag, variable and subcommand.
func TestRunHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-h"}, env(nil), nil, &stdout, &stderr)
	if code != 0 || stderr.Len() != 0 {
		t.Errorf("run(-h) = %d, stderr %q; want 0 and nothing", code, stderr.String())
	}
	for _, flag := range []string{"-addr", "-idle-timeout", "-max-age", "-debug", "-instance",
		"-keys-file", "-admin", "-redis", keysVariable, legacyKeysVariable, "example inspect"} {
		if !strings.Contains(stdout.String(), flag) {
			t.Errorf("run(-h) printed %q, without %s", stdout.String(), flag)
		}
	}
}

// server is an instance of run serving in a goroutine.
type server struct {
	url    string
	cancel context.CancelFunc
	done   chan int // run's exit code
	log    *syncBuffer
}

var listeningRE = regexp.MustCompile(`listening on (http://[^\s"]+)`)

// startRun runs the server with args and vars until the test ends, and
// returns once it has logged the address it listens on.
func startRun(t *testing.T, args []string, vars map[string]string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{cancel: cancel, done: make(chan int, 1), log: newSyncBuffer()}
	go func() {
		s.done <- run(ctx, args, env(vars), nil, new(bytes.Buffer), s.log)
	}()
	t.Cleanup(func() { s.stop(t) })

	timeout := time.After(10 * time.Second)
	for {
		if m := listeningRE.FindStringSubmatch(s.log.String()); m != nil {
			s.url = m[1]
			return s
		}
		select {
		case <-s.log.written:
		case code := <-s.done:
			s.done <- code
			t.Fatalf("run exited with %d before listening: %s", code, s.log)
		case <-timeout:
			t.Fatalf("run did not listen within 10s: %s", s.log)
		}
	}
}

// stop cancels run's context, as SIGTERM does, and returns its exit code.
func (s *server) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code
		return code
	case <-time.After(shutdownTimeout + 5*time.Second):
		t.Fatalf("run did not return after its context was cancelled")
		return -1
	}
}

// syncBuffer is a log that a test can read while the server writes to it.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{} // has a value after a write
}

// newSyncBuffer returns an empty log.
func newSyncBuffer() *syncBuffer { return &syncBuffer{written: make(chan struct{}, 1)} }

// Write appends p and signals the write.
func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.written <- struct{}{}:
	default:
	}
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRunEphemeralKey serves with a random key, warns, and stops cleanly.
func TestRunEphemeralKey(t *testing.T) {
	s := startRun(t, []string{"-addr", "127.0.0.1:0"}, nil)
	if strings.HasSuffix(s.url, ":0") || !strings.HasPrefix(s.url, "http://127.0.0.1:") {
		t.Errorf("run listens on %s, want the port it was given", s.url)
	}
	if !strings.Contains(s.log.String(),
		"level=WARN msg=\"COOKIESESSION_KEYS is not set: using a random key; "+
			"sessions will not survive a restart\"") {
		t.Errorf("run without keys did not warn: %s", s.log)
	}
	resp := get(t, s.url+"/", "")
	if resp.status != http.StatusOK {
		t.Errorf("GET / = %d, want 200", resp.status)
	}

	if code := s.stop(t); code != 0 {
		t.Errorf("run after its context was cancelled = %d, want 0", code)
	}
	for _, want := range []string{"shutting down", "stopped"} {
		if !strings.Contains(s.log.String(), want) {
			t.Errorf("run's log lacks %q: %s", want, s.log)
		}
	}
}

// Sessions survive a restart with the same keys, and only then.
func TestRunKeysSurviveRestart(t *testing.T) {
	t.Parallel() // bcrypt is slow under the race detector
	keys := map[string]string{keysVariable: cookiesession.GenerateKeyString()}
	first := startRun(t, []string{"-addr", "127.0.0.1:0"}, keys)
	if strings.Contains(first.log.String(), "WARN") {
		t.Errorf("run with keys warned: %s", first.log)
	}
	resp := post(t, first.url+"/api/login", `{"username": "user", "password": "pass"}`)
	var body struct{ Token string }
	decodeBody(t, resp, &body)
	first.stop(t)

	tests := []struct {
		name string
		vars map[string]string
		want int
	}{
		{"same keys", keys, http.StatusOK},
		{"random key", nil, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startRun(t, []string{"-addr", "127.0.0.1:0"}, tt.vars)
			if got := get(t, s.url+"/api/data", body.Token); got.status != tt.want {
				t.Errorf("GET /api/data after a restart = %d, want %d", got.status, tt.want)
			}
		})
	}
}

// TestRunFlags checks that the flags reach the server.
func TestRunFlags(t *testing.T) {
	t.Parallel() // bcrypt is slow under the race detector
	s := startRun(t, []string{"-addr", "127.0.0.1:0", "-idle-timeout", "10m",
		"-max-age", "1h", "-instance", "east-1", "-debug"}, nil)
	resp := postForm(t, s.url+"/login", url.Values{"username": {"user"},
		"password": {"pass"}})
	checkSessionCookie(t, resp.setCookie(), 600)
	if got := resp.header.Get("X-Instance"); got != "east-1" {
		t.Errorf("X-Instance = %q, want east-1", got)
	}

	get(t, s.url+"/api/data", "garbage")
	if log := s.log.String(); !strings.Contains(log, "level=DEBUG") {
		t.Errorf("run -debug did not log a refused token at debug level: %s", log)
	}
}

// get sends a GET request, with a bearer token if one is given.
func get(t *testing.T, url, token string) *response {
	t.Helper()
	r, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return do(t, r)
}

// post sends a JSON body to url.
func post(t *testing.T, url, body string) *response {
	t.Helper()
	r, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	return do(t, r)
}

// postForm sends a form to url.
func postForm(t *testing.T, url string, form url.Values) *response {
	t.Helper()
	r, err := http.NewRequest("POST", url, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, r)
}

// TestKeysFileAndAdmin starts the server with -keys-file and -admin,
// rewrites the key file and waits for the reload, and reads /debug/vars.
func TestKeysFileAndAdmin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	first, second := cookiesession.GenerateKeyString(), cookiesession.GenerateKeyString()
	if err := os.WriteFile(path, []byte(first+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startRun(t, []string{"-addr", "127.0.0.1:0", "-keys-file", path, "-keys-poll", "10ms",
		"-admin", "127.0.0.1:0"}, nil)
	admin := regexp.MustCompile(`admin on (http://\S+)"`).FindStringSubmatch(s.log.String())
	if admin == nil {
		t.Fatalf("no admin address in the log: %s", s.log)
	}
	if err := os.WriteFile(path+".new", []byte(second+"\n"+first+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for !strings.Contains(s.log.String(), "keys reloaded\" key_ids=\""+keyID(t, second)) {
		select {
		case <-s.log.written:
		case <-deadline:
			t.Fatalf("key file not reloaded: %s", s.log)
		}
	}

	res, err := http.Get(admin[1])
	if err != nil {
		t.Fatal(err)
	}
	var vars struct {
		Goroutines int
		Memstats   struct{ HeapAlloc uint64 }
	}
	err = json.NewDecoder(res.Body).Decode(&vars)
	res.Body.Close()
	if err != nil || vars.Goroutines == 0 || vars.Memstats.HeapAlloc == 0 {
		t.Errorf("/debug/vars = %+v, %v", vars, err)
	}
}

// keyID returns the key ID of an encoded key, as the logs print it.
func keyID(t *testing.T, key string) string {
	t.Helper()
	k, err := cookiesession.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%08x", k.ID())
}
