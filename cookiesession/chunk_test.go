package cookiesession_test

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/statelessgo/sessions/cookiesession"
)

// jar keeps cookies the way a browser does, for one host and path:
// Set-Cookie lines replace or delete them.
type jar map[string]string

func (j jar) update(t *testing.T, h http.Header) {
	t.Helper()
	seen := map[string]bool{}
	for _, line := range h["Set-Cookie"] {
		pair, attrs, _ := strings.Cut(line, ";")
		name, value, _ := strings.Cut(pair, "=")
		if seen[name] {
			t.Fatalf("two Set-Cookie lines for %s", name)
		}
		seen[name] = true
		if strings.Contains(attrs, "Max-Age=0") {
			delete(j, name)
		} else {
			j[name] = value
		}
	}
}

func (j jar) header() string {
	var parts []string
	for name, value := range j {
		parts = append(parts, name+"="+value)
	}
	return strings.Join(parts, "; ")
}

// randomText returns n characters that do not compress.
func randomText(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}

// serveJar runs h on a request carrying the jar's cookies and updates the
// jar from the response.
func (f *fixture) serveJar(t *testing.T, j jar, h http.HandlerFunc) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "https://example.com/", nil)
	if len(j) > 0 {
		r.Header.Set("Cookie", j.header())
	}
	w := f.serveRequest(h, r)
	j.update(t, w.Result().Header)
	return w
}

func TestChunking(t *testing.T) {
	f := newFixture(t, cookiesession.WithChunking(5, 16<<10))
	j := jar{}
	big := randomText(10_000)
	f.serveJar(t, j, func(w http.ResponseWriter, r *http.Request) {
		f.m.Get(r).Set(user{Name: big})
	})
	if len(j) != 4 || !strings.HasPrefix(j["__Host-session"], "4/") || j["__Host-session.3"] == "" {
		t.Fatalf("a 10 KB session gave cookies %v, want 4 chunks", keys(j))
	}
	for name, v := range j {
		if len(name)+len(v) > cookiesession.MaxCookieSize {
			t.Errorf("chunk %s is %d bytes", name, len(name)+len(v))
		}
	}

	var got user
	f.serveJar(t, j, func(w http.ResponseWriter, r *http.Request) { got = f.m.Get(r).Value() })
	if got.Name != big {
		t.Fatalf("10 KB session did not survive the round trip (%d bytes back)", len(got.Name))
	}

	// Shrink: one cookie, the chunks deleted.
	f.serveJar(t, j, func(w http.ResponseWriter, r *http.Request) {
		f.m.Get(r).Set(user{Name: "small"})
	})
	if len(j) != 1 || strings.Contains(j["__Host-session"], "/") {
		t.Fatalf("after shrinking: cookies %v, want one", keys(j))
	}
	f.serveJar(t, j, func(w http.ResponseWriter, r *http.Request) { got = f.m.Get(r).Value() })
	if got.Name != "small" {
		t.Fatalf("shrunk session = %q", got.Name)
	}

	// Grow again, then destroy: every chunk deleted.
	f.serveJar(t, j, func(w http.ResponseWriter, r *http.Request) {
		f.m.Get(r).Set(user{Name: big[:4000]})
	})
	if len(j) != 2 {
		t.Fatalf("4 KB session: cookies %v, want 2", keys(j))
	}
	f.serveJar(t, j, func(w http.ResponseWriter, r *http.Request) { f.m.Get(r).Destroy() })
	if len(j) != 0 {
		t.Errorf("after Destroy: cookies %v, want none", keys(j))
	}
}

func keys(j jar) []string {
	var names []string
	for name := range j {
		names = append(names, name)
	}
	return names
}

// TestChunksTampered moves, drops, repeats and relabels chunks: nothing
// opens, and stale chunks beyond the count are ignored.
func TestChunksTampered(t *testing.T) {
	f := newFixture(t, cookiesession.WithChunking(5, 16<<10))
	j := jar{}
	f.serveJar(t, j, func(w http.ResponseWriter, r *http.Request) {
		f.m.Get(r).Set(user{Name: randomText(7000)})
	})
	if len(j) != 3 {
		t.Fatalf("cookies %v, want 3", keys(j))
	}
	first, c1, c2 := j["__Host-session"], j["__Host-session.1"], j["__Host-session.2"]
	cases := []struct {
		name, header string
		opens        bool
	}{
		{"intact", "__Host-session=" + first + "; __Host-session.1=" + c1 + "; __Host-session.2=" + c2, true},
		{"stale chunk 3", "__Host-session=" + first + "; __Host-session.1=" + c1 +
			"; __Host-session.2=" + c2 + "; __Host-session.3=" + c1, true},
		{"missing chunk", "__Host-session=" + first + "; __Host-session.2=" + c2, false},
		{"swapped chunks", "__Host-session=" + first + "; __Host-session.1=" + c2 + "; __Host-session.2=" + c1, false},
		{"repeated chunk", "__Host-session=" + first + "; __Host-session.1=" + c1 +
			"; __Host-session.1=" + c1 + "; __Host-session.2=" + c2, false},
		{"count 2", "__Host-session=2" + first[1:] + "; __Host-session.1=" + c1, false},
		{"count 4", "__Host-session=4" + first[1:] + "; __Host-session.1=" + c1 +
			"; __Host-session.2=" + c2 + "; __Host-session.3=" + c2, false},
		{"count 9", "__Host-session=9" + first[1:], false},
		{"no count", "__Host-session=" + first[2:] + "; __Host-session.1=" + c1, false},
		{"cut chunk", "__Host-session=" + first + "; __Host-session.1=" + c1[:len(c1)-1] +
			"; __Host-session.2=" + c2, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Cookie", c.header)
			s, err := f.m.Load(r)
			if c.opens != (err == nil) || c.opens == s.IsNew() {
				t.Errorf("Load = %v, want opens=%t", err, c.opens)
			}
		})
	}

	// A chunked session sent to a Manager without chunking does not open.
	ring, _ := cookiesession.NewKeyring(f.keys[0])
	plain, _ := cookiesession.New[user](ring, cookiesession.WithClock(f.clock.Now))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Cookie", cases[0].header)
	if _, err := plain.Load(r); !errors.Is(err, cookiesession.ErrInvalid) {
		t.Errorf("chunked value without chunking: Load = %v, want ErrInvalid", err)
	}
}

func TestChunkBudget(t *testing.T) {
	f := newFixture(t, cookiesession.WithChunking(9, 0)) // default budget: 6 KiB
	s := f.m.NewSession()
	s.Set(user{Name: randomText(4000)})
	w := httptest.NewRecorder()
	if err := f.m.Save(w, s); err != nil {
		t.Fatalf("4 KB session within the default budget: %v", err)
	}
	s.Set(user{Name: randomText(5000)})
	err := f.m.Save(httptest.NewRecorder(), s)
	if !errors.Is(err, cookiesession.ErrTooLarge) || !strings.Contains(err.Error(), "Cookie header") {
		t.Errorf("5 KB session beyond the budget: Save = %v, want ErrTooLarge naming the budget", err)
	}

	f = newFixture(t, cookiesession.WithChunking(2, cookiesession.MaxChunkBudget))
	s = f.m.NewSession()
	s.Set(user{Name: randomText(7000)})
	if err := f.m.Save(httptest.NewRecorder(), s); !errors.Is(err, cookiesession.ErrTooLarge) {
		t.Errorf("7 KB session in 2 chunks: Save = %v, want ErrTooLarge", err)
	}
	for _, opt := range []cookiesession.Option{cookiesession.WithChunking(1, 0),
		cookiesession.WithChunking(10, 0), cookiesession.WithChunking(3, 100)} {
		ring, _ := cookiesession.NewKeyring(cookiesession.GenerateKey())
		if _, err := cookiesession.New[user](ring, opt); err == nil {
			t.Error("New accepted an impossible chunking option")
		}
	}
}

func TestCompression(t *testing.T) {
	roles := make([]string, 300)
	for i := range roles {
		roles[i] = "role-" + strings.Repeat("x", i%7)
	}
	u := user{Name: "ann", Roles: roles}

	plain := newFixture(t)
	if err := plain.m.Save(httptest.NewRecorder(), withValue(plain.m, u)); !errors.Is(err, cookiesession.ErrTooLarge) {
		t.Fatalf("uncompressed: Save = %v, want ErrTooLarge", err)
	}

	f := newFixture(t, cookiesession.WithCompression())
	w := httptest.NewRecorder()
	if err := f.m.Save(w, withValue(f.m, u)); err != nil {
		t.Fatalf("compressed: Save = %v", err)
	}
	value, _ := setCookieValue(w.Result().Header, f.m.Name())
	got, ok, _ := f.read(value)
	if !ok || len(got.Roles) != 300 || got.Roles[299] != roles[299] {
		t.Fatalf("compressed session did not round-trip: %d roles", len(got.Roles))
	}

	// Turning compression off does not end compressed sessions.
	ring, _ := cookiesession.NewKeyring(f.keys[0])
	off, _ := cookiesession.New[user](ring, cookiesession.WithClock(f.clock.Now))
	if s, err := load(off, value); err != nil || len(s.Value().Roles) != 300 {
		t.Errorf("compressed value under a Manager without compression: %v", err)
	}

	// Incompressible values are sealed as they are.
	w = httptest.NewRecorder()
	f.m.Save(w, withValue(f.m, user{Name: randomText(1000)}))
	value, _ = setCookieValue(w.Result().Header, f.m.Name())
	if len(value) < 1000 {
		t.Errorf("random 1000-character session sealed in %d characters", len(value))
	}

	// A value that would inflate past the bound is refused at seal time.
	huge := user{Name: strings.Repeat("a", cookiesession.MaxDecompressedSize)}
	if err := f.m.Save(httptest.NewRecorder(), withValue(f.m, huge)); !errors.Is(err, cookiesession.ErrTooLarge) {
		t.Errorf("64 KiB session: Save = %v, want ErrTooLarge", err)
	}
}

func withValue(m *cookiesession.Manager[user], u user) *cookiesession.Session[user] {
	s := m.NewSession()
	s.Set(u)
	return s
}

func TestInspect(t *testing.T) {
	f := newFixture(t, cookiesession.WithChunking(3, 0))
	value := f.login(t, user{Name: "ann"})
	info, err := cookiesession.Inspect(value)
	if err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now()
	want := cookiesession.Info{Version: 1, KeyID: f.keys[0].ID(), Created: now, Sealed: now,
		Expires: now.Add(cookiesession.DefaultLifetime), Size: len(value), Chunks: 1}
	if info != want {
		t.Errorf("Inspect = %+v\nwant %+v", info, want)
	}
	if info.Expired(now, time.Minute) || !info.Expired(now.Add(time.Minute), time.Minute) ||
		!info.Expired(now.Add(cookiesession.DefaultLifetime), 24*time.Hour) {
		t.Error("Expired disagrees with the idle timeout or the deadline")
	}

	j := jar{}
	f.serveJar(t, j, func(w http.ResponseWriter, r *http.Request) {
		f.m.Get(r).Set(user{Name: randomText(3500)})
	})
	if info, err := cookiesession.Inspect(j["__Host-session"]); err != nil || info.Chunks != 2 {
		t.Errorf("Inspect(first chunk) = %+v, %v; want 2 chunks", info, err)
	}
	for _, bad := range []string{"", "garbage", "Ag" + value[2:], value[:80]} {
		if _, err := cookiesession.Inspect(bad); !errors.Is(err, cookiesession.ErrInvalid) {
			t.Errorf("Inspect(%.10q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestCheckSize(t *testing.T) {
	f := newFixture(t, cookiesession.WithChunking(3, 0))
	s := f.m.NewSession()
	s.Set(user{Name: randomText(3000)})
	if err := f.m.CheckSize(s); err != nil {
		t.Errorf("3 KB session in up to 3 chunks: CheckSize = %v", err)
	}
	s.Set(user{Name: randomText(6000)})
	err := f.m.CheckSize(s)
	if !errors.Is(err, cookiesession.ErrTooLarge) {
		t.Errorf("6 KB session: CheckSize = %v, want ErrTooLarge", err)
	}
	if saveErr := f.m.Save(httptest.NewRecorder(), s); saveErr == nil || saveErr.Error() != err.Error() {
		t.Errorf("CheckSize = %v but Save = %v", err, saveErr)
	}
}
