package cookiesession_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statelessgo/sessions/cookiesession"
)

func TestParseKeyFile(t *testing.T) {
	a, b := cookiesession.GenerateKeyString(), cookiesession.GenerateKeyString()
	kr, err := cookiesession.ParseKeyFile([]byte("# rotated 2026-12-03\n\n" + a + "\n  " + b + "  \n"))
	if err != nil || len(kr.Keys()) != 2 {
		t.Fatalf("ParseKeyFile = %v, %v", kr, err)
	}
	want, _ := cookiesession.ParseKey(a)
	if kr.Primary().ID() != want.ID() {
		t.Error("the first key is not the primary")
	}
	for name, data := range map[string]string{
		"empty":      "",
		"comments":   "# nothing\n",
		"short key":  a + "\nc2hvcnQ=\n",
		"duplicates": a + "\n" + a + "\n",
	} {
		_, err := cookiesession.ParseKeyFile([]byte(data))
		if err == nil || strings.Contains(err.Error(), a[:10]) {
			t.Errorf("ParseKeyFile(%s) = %v, want an error without key material", name, err)
		}
	}
	_, err = cookiesession.ParseKeyFile([]byte(a + "\n\nnot base64!\n"))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("ParseKeyFile(bad line 3) = %v, want it named", err)
	}
	if _, err := cookiesession.ReadKeyFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("ReadKeyFile(missing) succeeded")
	}
}

// writeAtomically replaces path's contents the way a secret manager does.
func writeAtomically(t *testing.T, path string, lines ...string) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestKeyFileRotationUnderLoad rotates keys only by rewriting the key file
// while clients keep making requests: add a new key, promote it, wait until
// every client's cookie is under it, retire the old one. No request fails
// and no session is lost: every client's counter goes up by one on every
// request. A bad file in between keeps the current keys.
func TestKeyFileRotationUnderLoad(t *testing.T) {
	old, next := cookiesession.GenerateKeyString(), cookiesession.GenerateKeyString()
	oldKey, _ := cookiesession.ParseKey(old)
	nextKey, _ := cookiesession.ParseKey(next)
	path := filepath.Join(t.TempDir(), "keys")
	writeAtomically(t, path, old)
	ring, err := cookiesession.ReadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := cookiesession.New[user](ring)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var watchErrs atomic.Int64
	go cookiesession.WatchKeyFile(ctx, path, 5*time.Millisecond, m.SetKeys,
		func(error) { watchErrs.Add(1) })

	srv := httptest.NewServer(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.Get(r)
		s.Update(func(u *user) { u.Count++ })
		fmt.Fprint(w, s.Value().Count)
	})))
	defer srv.Close()

	const clients = 8
	cookies := make([]atomic.Value, clients)
	var failures, requests atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := range clients {
		wg.Go(func() { keepRequesting(t, srv.URL, m.Name(), &cookies[i], &failures, &requests, stop) })
	}

	waitFor := func(what string, done func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !done() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	ringIs := func(ids ...uint32) func() bool {
		return func() bool {
			keys := m.Keys().Keys()
			if len(keys) != len(ids) {
				return false
			}
			for i, k := range keys {
				if k.ID() != ids[i] {
					return false
				}
			}
			return true
		}
	}
	allUnder := func(id uint32) func() bool {
		return func() bool {
			for i := range cookies {
				v, _ := cookies[i].Load().(string)
				info, err := cookiesession.Inspect(v)
				if err != nil || info.KeyID != id {
					return false
				}
			}
			return true
		}
	}

	waitFor("every client signed in under the old key", allUnder(oldKey.ID()))
	writeAtomically(t, path, old, next)
	waitFor("the new key added", ringIs(oldKey.ID(), nextKey.ID()))
	writeAtomically(t, path, "garbage")
	waitFor("the bad file refused", func() bool { return watchErrs.Load() == 1 })
	writeAtomically(t, path, next, old)
	waitFor("the new key promoted", ringIs(nextKey.ID(), oldKey.ID()))
	waitFor("every cookie sealed again under the new key", allUnder(nextKey.ID()))
	writeAtomically(t, path, next)
	waitFor("the old key retired", ringIs(nextKey.ID()))
	time.Sleep(50 * time.Millisecond) // some requests under the final ring
	close(stop)
	wg.Wait()

	if n := failures.Load(); n != 0 {
		t.Errorf("%d of %d requests failed or lost their session during the rotation", n,
			requests.Load())
	}
	t.Logf("%d requests from %d clients through the rotation", requests.Load(), clients)
}

// keepRequesting makes requests with its own cookie until stop, counting
// as a failure any error, any status but 200, and any count that is not
// one more than the last.
func keepRequesting(t *testing.T, url, name string, cookie *atomic.Value,
	failures, requests *atomic.Int64, stop chan struct{}) {
	count := 0
	for {
		select {
		case <-stop:
			return
		default:
		}
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if v, ok := cookie.Load().(string); ok {
			req.Header.Set("Cookie", name+"="+v)
		}
		got, err := countFrom(req, name, cookie)
		requests.Add(1)
		if err != nil || got != count+1 {
			t.Logf("request failed: count %d after %d, %v", got, count, err)
			failures.Add(1)
		}
		count = got
	}
}

func countFrom(req *http.Request, name string, cookie *atomic.Value) (int, error) {
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		return 0, errors.Join(err, errors.New(res.Status))
	}
	if v, ok := setCookieValue(res.Header, name); ok {
		cookie.Store(v)
	}
	var n int
	_, err = fmt.Sscan(string(body), &n)
	return n, err
}
