package cookiesession_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/statelessgo/sessions/cookiesession"
)

// load runs Manager.Load on a request carrying the cookie value.
func load[T any](m *cookiesession.Manager[T], value string) (*cookiesession.Session[T], error) {
	r := httptest.NewRequest(http.MethodGet, "https://example.com/", nil)
	r.Header.Set("Cookie", m.Name()+"="+value)
	return m.Load(r)
}

// refused reports whether err is one of the errors of a refused value.
func refused(err error) bool {
	return errors.Is(err, cookiesession.ErrInvalid) || errors.Is(err, cookiesession.ErrExpired)
}

// TestFlipEveryByte flips every bit of every byte of a cookie's envelope:
// version, key ID, the three times, nonce, ciphertext and tag. None opens,
// and a flip in the key ID tries no key.
func TestFlipEveryByte(t *testing.T) {
	f := newFixture(t)
	value := f.login(t, user{Name: "ann", Roles: []string{"admin"}})
	env, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil {
		t.Fatal(err)
	}

	var counter cookiesession.AEADCounter
	m, err := cookiesession.New[user](cookiesession.CountingKeyring(&counter, f.keys[0]),
		cookiesession.WithClock(f.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	for i := range env {
		for bit := range 8 {
			c := append([]byte(nil), env...)
			c[i] ^= 1 << bit
			opens := counter.Opens.Load()
			s, err := load(m, base64.RawURLEncoding.EncodeToString(c))
			if !refused(err) || !s.IsNew() || s.Value().Name != "" {
				t.Fatalf("byte %d bit %d: Load = %+v, %v; want a refusal", i, bit, s.Value(), err)
			}
			if i >= 1 && i < 5 && (!errors.Is(err, cookiesession.ErrUnknownKey) ||
				counter.Opens.Load() != opens) {
				t.Fatalf("key ID byte %d: Load = %v after %d AEAD opens, want ErrUnknownKey after none",
					i, err, counter.Opens.Load()-opens)
			}
		}
	}
	if s, err := load(m, value); err != nil || s.Value().Name != "ann" {
		t.Fatalf("the untouched value does not open: %v", err)
	}
}

func TestTruncateEveryLength(t *testing.T) {
	f := newFixture(t)
	value := f.login(t, user{Name: "ann"})
	for n := range len(value) {
		if s, err := load(f.m, value[:n]); !refused(err) || !s.IsNew() {
			t.Fatalf("Load(first %d of %d characters) = %v, want a refusal", n, len(value), err)
		}
	}
}

// TestNameIsBound moves a value to other cookie names and to the token
// purpose: it opens under none of them.
func TestNameIsBound(t *testing.T) {
	f := newFixture(t, cookiesession.WithBearerTokens())
	value := f.login(t, user{Name: "ann"})
	ring, _ := cookiesession.NewKeyring(f.keys[0])
	for _, name := range []string{"__Host-session2", "__Host-Session", "__Secure-session", "flash"} {
		m, err := cookiesession.New[user](ring, cookiesession.WithCookieName(name),
			cookiesession.WithClock(f.clock.Now))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := load(m, value); !errors.Is(err, cookiesession.ErrInvalid) {
			t.Errorf("value of %s under cookie name %s: Load = %v, want ErrInvalid", f.m.Name(), name, err)
		}
	}

	if _, err := f.m.OpenToken(value); !errors.Is(err, cookiesession.ErrInvalid) {
		t.Errorf("cookie value as a token: OpenToken = %v, want ErrInvalid", err)
	}
	token, err := f.m.Token(f.m.NewSession())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := load(f.m, token); !errors.Is(err, cookiesession.ErrInvalid) {
		t.Errorf("token as a cookie value: Load = %v, want ErrInvalid", err)
	}
}

// TestUnknownKeys refuses values under keys outside the ring, new or
// retired, and expired values, without any AEAD operation.
func TestUnknownKeys(t *testing.T) {
	f := newFixture(t)
	other := cookiesession.GenerateKey()
	otherRing, _ := cookiesession.NewKeyring(other, f.keys[0])
	m2, err := cookiesession.New[user](otherRing, cookiesession.WithClock(f.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	foreign := sealWith(t, m2, user{Name: "eve"})
	current := f.login(t, user{Name: "ann"})

	var counter cookiesession.AEADCounter
	retiredRing := cookiesession.CountingKeyring(&counter, f.keys[1]) // keys[0] retired
	m, err := cookiesession.New[user](retiredRing, cookiesession.WithClock(f.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{"unknown key": foreign, "retired key": current} {
		if _, err := load(m, v); !errors.Is(err, cookiesession.ErrUnknownKey) {
			t.Errorf("%s: Load = %v, want ErrUnknownKey", name, err)
		}
	}

	f.clock.Advance(cookiesession.DefaultIdleTimeout)
	if _, err := load(f.m, current); !errors.Is(err, cookiesession.ErrExpired) {
		t.Errorf("expired: Load = %v, want ErrExpired", err)
	}
	if n := counter.Opens.Load(); n != 0 {
		t.Errorf("%d AEAD opens for values refused by their header, want 0", n)
	}
}

// sealWith returns a cookie value for u sealed by m.
func sealWith(t *testing.T, m *cookiesession.Manager[user], u user) string {
	t.Helper()
	s := m.NewSession()
	s.Set(u)
	w := httptest.NewRecorder()
	if err := m.Save(w, s); err != nil {
		t.Fatal(err)
	}
	v, ok := setCookieValue(w.Result().Header, m.Name())
	if !ok {
		t.Fatal("Save wrote no cookie")
	}
	return v
}

// TestOldKeyIsResealed opens a cookie under the second key of the ring and
// checks that the response seals it again under the first, keeping the
// session's ID, creation time and deadline.
func TestOldKeyIsResealed(t *testing.T) {
	f := newFixture(t)
	old := f.login(t, user{Name: "ann"}) // under keys[0]
	before, _ := cookiesession.PeekHeader(old)
	var oldID string
	f.serve(func(w http.ResponseWriter, r *http.Request) { oldID = f.m.Get(r).ID() }, old)

	f.clock.Advance(5 * time.Second)
	rotated, _ := cookiesession.NewKeyring(f.keys[1], f.keys[0])
	if err := f.m.SetKeys(rotated); err != nil {
		t.Fatal(err)
	}
	var newID string
	w := f.serve(func(w http.ResponseWriter, r *http.Request) {
		s := f.m.Get(r)
		newID = s.ID()
		if s.IsNew() || s.Value().Name != "ann" {
			t.Errorf("session under the old key did not open: %v", s)
		}
	}, old)
	resealed, ok := setCookieValue(w.Result().Header, f.m.Name())
	if !ok {
		t.Fatal("no re-seal under the new primary key")
	}

	after, err := cookiesession.PeekHeader(resealed)
	if err != nil {
		t.Fatal(err)
	}
	if after.KeyID != f.keys[1].ID() || before.KeyID != f.keys[0].ID() {
		t.Errorf("key IDs %08x -> %08x, want %08x -> %08x", before.KeyID, after.KeyID,
			f.keys[0].ID(), f.keys[1].ID())
	}
	if after.Created != before.Created || after.Expires != before.Expires {
		t.Errorf("created, expires = %d, %d -> %d, %d; want them kept",
			before.Created, before.Expires, after.Created, after.Expires)
	}
	if after.Sealed != before.Sealed+5 || newID != oldID {
		t.Errorf("sealed %d -> %d, ID %q -> %q; want sealed now and the same ID",
			before.Sealed, after.Sealed, oldID, newID)
	}
}

// TestIdleTimeoutEdges opens one cookie one second before, at and after
// its idle deadline: no leeway past it.
func TestIdleTimeoutEdges(t *testing.T) {
	idle := 10 * time.Minute
	for _, c := range []struct {
		after time.Duration
		open  bool
	}{{idle - time.Second, true}, {idle, false}, {idle + time.Second, false}} {
		f := newFixture(t, cookiesession.WithIdleTimeout(idle))
		value := f.login(t, user{Name: "ann"})
		f.clock.Advance(c.after)
		_, err := load(f.m, value)
		if c.open != (err == nil) || !c.open && !errors.Is(err, cookiesession.ErrExpired) {
			t.Errorf("%v after the last seal: Load = %v, want open=%t", c.after, err, c.open)
		}
	}
}

// TestLifetimeEdges keeps a session active until its absolute deadline and
// opens it one second before, at and after: activity does not extend it.
func TestLifetimeEdges(t *testing.T) {
	life := 2 * time.Hour
	for _, c := range []struct {
		after time.Duration
		open  bool
	}{{life - time.Second, true}, {life, false}, {life + time.Second, false}} {
		f := newFixture(t, cookiesession.WithLifetime(life), cookiesession.WithIdleTimeout(time.Hour))
		value := f.login(t, user{Name: "ann"})
		// Requests every 30 minutes, the last at 1h50m, re-seal the session,
		// so that only the lifetime can end it.
		for _, step := range []time.Duration{30, 30, 30, 20} {
			f.clock.Advance(step * time.Minute)
			_, ok, w := f.read(value)
			value, _ = setCookieValue(w.Result().Header, f.m.Name())
			if !ok || value == "" {
				t.Fatalf("active session not re-sealed at %v", f.clock.Now())
			}
		}
		f.clock.Advance(c.after - (life - 10*time.Minute))

		_, err := load(f.m, value)
		if c.open != (err == nil) || !c.open && !strings.Contains(err.Error(), "absolute lifetime") {
			t.Errorf("%v after creation: Load = %v, want open=%t", c.after, err, c.open)
		}
	}
}

// TestClockSkew opens values sealed by a server whose clock runs ahead:
// accepted up to the skew, refused beyond it.
func TestClockSkew(t *testing.T) {
	for _, c := range []struct {
		ahead time.Duration
		open  bool
	}{{59 * time.Second, true}, {60 * time.Second, true}, {61 * time.Second, false},
		{10 * time.Minute, false}, {100 * 365 * 24 * time.Hour, false}} {
		f := newFixture(t)
		ahead := &clock{t: f.clock.Now().Add(c.ahead)}
		ring, _ := cookiesession.NewKeyring(f.keys[0])
		fast, err := cookiesession.New[user](ring, cookiesession.WithClock(ahead.Now))
		if err != nil {
			t.Fatal(err)
		}
		_, err = load(f.m, sealWith(t, fast, user{Name: "ann"}))
		if c.open != (err == nil) || !c.open && !errors.Is(err, cookiesession.ErrInvalid) {
			t.Errorf("sealed %v ahead: Load = %v, want open=%t", c.ahead, err, c.open)
		}
	}
}

// TestActiveUserNeverTimesOut makes requests less than half the idle
// timeout apart, for the whole lifetime: the session never times out, and
// is sealed again only once per refresh interval.
func TestActiveUserNeverTimesOut(t *testing.T) {
	for _, idle := range []time.Duration{2 * time.Minute, 30 * time.Minute, 2 * time.Hour} {
		f := newFixture(t, cookiesession.WithIdleTimeout(idle))
		value := f.login(t, user{Name: "ann"})
		step := idle/2 - time.Second
		requests, seals := 0, 0
		for elapsed := step; elapsed < cookiesession.DefaultLifetime; elapsed += step {
			f.clock.Advance(step)
			u, ok, w := f.read(value)
			if !ok || u.Name != "ann" {
				t.Fatalf("idle %v: signed out after %v", idle, elapsed)
			}
			if v, ok := setCookieValue(w.Result().Header, f.m.Name()); ok {
				value = v
				seals++
			}
			requests++
		}
		if seals > requests {
			t.Errorf("idle %v: %d seals for %d requests", idle, seals, requests)
		}
	}

	// Requests 10 seconds apart for 10 minutes, with the default 30-minute
	// idle timeout: sealed again every 3 minutes, not on every request.
	f := newFixture(t)
	value := f.login(t, user{Name: "ann"})
	seals := 0
	for range 60 {
		f.clock.Advance(10 * time.Second)
		_, _, w := f.read(value)
		if v, ok := setCookieValue(w.Result().Header, f.m.Name()); ok {
			value = v
			seals++
		}
	}
	if seals != 3 {
		t.Errorf("%d seals in 10 minutes of requests every 10s, want 3", seals)
	}
}

// TestLifetimeShrinks lowers the lifetime in the configuration: sessions
// already issued end by the new one.
func TestLifetimeShrinks(t *testing.T) {
	f := newFixture(t)
	value := f.login(t, user{Name: "ann"})
	ring, _ := cookiesession.NewKeyring(f.keys[0])
	short, err := cookiesession.New[user](ring, cookiesession.WithClock(f.clock.Now),
		cookiesession.WithLifetime(time.Hour), cookiesession.WithIdleTimeout(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(59 * time.Minute)
	if _, err := load(short, value); err != nil {
		t.Fatalf("at 59m: %v", err)
	}
	f.clock.Advance(time.Minute)
	if _, err := load(short, value); !errors.Is(err, cookiesession.ErrExpired) {
		t.Errorf("at 1h under a 1h lifetime: Load = %v, want ErrExpired", err)
	}
}

func TestRememberMe(t *testing.T) {
	f := newFixture(t, cookiesession.WithRememberMe(30*24*time.Hour, 7*24*time.Hour))
	w := f.serve(func(w http.ResponseWriter, r *http.Request) {
		s := f.m.Get(r)
		s.Renew()
		s.Set(user{Name: "ann"})
		if err := s.SetLifetime(31 * 24 * time.Hour); err == nil {
			t.Error("SetLifetime beyond the cap succeeded")
		}
		if err := s.SetLifetime(30 * 24 * time.Hour); err != nil {
			t.Error(err)
		}
	}, "")
	value, _ := setCookieValue(w.Result().Header, f.m.Name())
	if !strings.Contains(strings.Join(w.Result().Header["Set-Cookie"], ""), "Max-Age=604800;") {
		t.Errorf("Set-Cookie = %q, want Max-Age of the 7-day idle timeout",
			w.Result().Header["Set-Cookie"])
	}

	// Six days idle is within the remember-me idle timeout; then the user
	// comes back every six days until the 30-day cap.
	for day := 6; day < 30; day += 6 {
		f.clock.Advance(6 * 24 * time.Hour)
		u, ok, w := f.read(value)
		if !ok || u.Name != "ann" {
			t.Fatalf("signed out on day %d", day)
		}
		value, _ = setCookieValue(w.Result().Header, f.m.Name())
	}
	f.clock.Advance(6 * 24 * time.Hour) // day 30
	if _, ok, _ := f.read(value); ok {
		t.Error("session outlived its 30-day lifetime")
	}
}

func TestTooLarge(t *testing.T) {
	f := newFixture(t)
	value := f.login(t, user{Name: "ann"})
	fits, tooBig := 0, 0
	for _, n := range []int{2800, 2850, 2900, 2950, 3000, 5000} {
		w := f.serve(func(w http.ResponseWriter, r *http.Request) {
			f.m.Get(r).Set(user{Name: strings.Repeat("x", n)})
			w.WriteHeader(http.StatusOK)
		}, value)
		v, ok := setCookieValue(w.Result().Header, f.m.Name())
		if ok {
			fits++
			if len(f.m.Name())+len(v) > cookiesession.MaxCookieSize {
				t.Errorf("name %d: wrote a cookie of %d bytes", n, len(f.m.Name())+len(v))
			}
			continue
		}
		tooBig++
		errs := f.errs.all()
		err := errs[len(errs)-1]
		if !errors.Is(err, cookiesession.ErrTooLarge) || !strings.Contains(err.Error(), "limit is 4000") {
			t.Errorf("name %d: reported %v, want ErrTooLarge with the sizes", n, err)
		}
	}
	if fits == 0 || tooBig < 2 {
		t.Errorf("%d fit and %d too large: the table misses the edge", fits, tooBig)
	}

	s := f.m.NewSession()
	s.Set(user{Name: strings.Repeat("y", 3000)})
	w := httptest.NewRecorder()
	if err := f.m.Save(w, s); !errors.Is(err, cookiesession.ErrTooLarge) ||
		len(w.Header()["Set-Cookie"]) != 0 {
		t.Errorf("Save = %v with headers %v, want ErrTooLarge and no cookie", err, w.Header())
	}
}

// TestOversizedValueRefusedBeforeDecoding sends values past the cookie
// size bound: refused as too long, whatever their content.
func TestOversizedValueRefusedBeforeDecoding(t *testing.T) {
	f := newFixture(t)
	value := f.login(t, user{Name: "ann"})
	long := value + strings.Repeat("A", cookiesession.MaxCookieSize)
	if _, err := load(f.m, long); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("Load(oversized) = %v, want a too-long refusal", err)
	}
}
