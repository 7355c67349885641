package cookiesession_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/statelessgo/sessions/cookiesession"
)

// legacyFixture is a fixture that migrates gorilla/sessions cookies named
// "session". Its clock is the wall clock's second, since securecookie
// stamps values with the wall clock.
func legacyFixture(t *testing.T, pairs ...[]byte) *fixture {
	t.Helper()
	convert := func(values map[any]any) (user, error) {
		id, ok := values["user_id"].(int)
		if !ok {
			return user{}, errors.New("no user_id")
		}
		return user{Name: fmt.Sprint("user", id)}, nil
	}
	f := newFixture(t, cookiesession.WithGorillaMigration(cookiesession.GorillaMigration[user]{
		CookieName: "session", KeyPairs: pairs, Convert: convert}))
	f.clock.t = time.Now().Truncate(time.Second)
	return f
}

// legacyCookie encodes values as gorilla/sessions' CookieStore does.
func legacyCookie(t *testing.T, values map[any]any, pairs ...[]byte) string {
	t.Helper()
	v, err := securecookie.EncodeMulti("session", values, securecookie.CodecsFromPairs(pairs...)...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestGorillaMigration(t *testing.T) {
	hash1, block1 := securecookie.GenerateRandomKey(32), securecookie.GenerateRandomKey(32)
	hash2, block2 := securecookie.GenerateRandomKey(64), securecookie.GenerateRandomKey(16)
	f := legacyFixture(t, hash1, block1, hash2, block2)
	flashes := []any{"welcome back"}

	cases := []struct {
		name   string
		cookie string
		want   string
		err    error
	}{
		{"first pair", legacyCookie(t, map[any]any{"user_id": 7}, hash1, block1), "user7", nil},
		{"second pair", legacyCookie(t, map[any]any{"user_id": 8}, hash2, block2), "user8", nil},
		{"with flashes", legacyCookie(t, map[any]any{"user_id": 9, "_flash": flashes}, hash1, block1),
			"user9", nil},
		{"unknown keys", legacyCookie(t, map[any]any{"user_id": 1},
			securecookie.GenerateRandomKey(32), block1), "", cookiesession.ErrInvalid},
		{"tampered", "A" + legacyCookie(t, map[any]any{"user_id": 1}, hash1, block1)[1:], "",
			cookiesession.ErrInvalid},
		{"no user_id", legacyCookie(t, map[any]any{"other": 1}, hash1, block1), "",
			cookiesession.ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Cookie", "session="+c.cookie)
			var got user
			var isNew bool
			w := f.serveRequest(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s := f.m.Get(r)
				got, isNew = s.Value(), s.IsNew()
			}), r)
			lines := strings.Join(w.Result().Header["Set-Cookie"], "\n")
			if c.err != nil {
				errs := f.errs.all()
				if got.Name != "" || lines != "" || !errors.Is(errs[len(errs)-1], c.err) {
					t.Errorf("refused legacy cookie: %+v, Set-Cookie %q, errors %v", got, lines, errs)
				}
				return
			}
			if got.Name != c.want || isNew {
				t.Errorf("migrated session = %+v (new %t), want %s", got, isNew, c.want)
			}
			if !strings.Contains(lines, "__Host-session=") ||
				!strings.Contains(lines, "session=; Path=/; Max-Age=0") {
				t.Errorf("Set-Cookie = %q, want the new cookie and the legacy one deleted", lines)
			}
			v, _ := setCookieValue(w.Result().Header, f.m.Name())
			if u, ok, _ := f.read(v); !ok || u.Name != c.want {
				t.Errorf("the new cookie opens to %+v", u)
			}
		})
	}
}

// TestGorillaMigrationAge checks the legacy MaxAge on the Manager's clock,
// and that a session cookie takes precedence over a legacy one.
func TestGorillaMigrationAge(t *testing.T) {
	hash, block := securecookie.GenerateRandomKey(32), securecookie.GenerateRandomKey(32)
	f := legacyFixture(t, hash, block)
	legacy := legacyCookie(t, map[any]any{"user_id": 3}, hash, block)
	load := func() (*cookiesession.Session[user], error) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Cookie", "session="+legacy)
		return f.m.Load(r)
	}
	f.clock.Advance(30*24*time.Hour - time.Minute)
	if s, err := load(); err != nil || s.Value().Name != "user3" {
		t.Errorf("29 days old: %v", err)
	}
	f.clock.Advance(2 * time.Minute)
	if _, err := load(); !errors.Is(err, cookiesession.ErrExpired) {
		t.Errorf("30 days old: Load = %v, want ErrExpired", err)
	}

	f.clock.t = time.Now().Truncate(time.Second)
	current := f.login(t, user{Name: "new"})
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Cookie", "session="+legacy+"; "+f.m.Name()+"="+current)
	if s, err := f.m.Load(r); err != nil || s.Value().Name != "new" {
		t.Errorf("both cookies: Load = %+v, %v; want the new session", s.Value(), err)
	}
}

func TestGorillaMigrationOptions(t *testing.T) {
	ring, _ := cookiesession.NewKeyring(cookiesession.GenerateKey())
	convert := func(map[any]any) (user, error) { return user{}, nil }
	hash := securecookie.GenerateRandomKey(32)
	cases := map[string]cookiesession.Option{
		"other type": cookiesession.WithGorillaMigration(cookiesession.GorillaMigration[int]{
			CookieName: "session", KeyPairs: [][]byte{hash, nil},
			Convert: func(map[any]any) (int, error) { return 0, nil }}),
		"bad block key": cookiesession.WithGorillaMigration(cookiesession.GorillaMigration[user]{
			CookieName: "session", KeyPairs: [][]byte{hash, make([]byte, 10)}, Convert: convert}),
		"empty hash key": cookiesession.WithGorillaMigration(cookiesession.GorillaMigration[user]{
			CookieName: "session", KeyPairs: [][]byte{nil, nil}, Convert: convert}),
		"no convert": cookiesession.WithGorillaMigration(cookiesession.GorillaMigration[user]{
			CookieName: "session", KeyPairs: [][]byte{hash}}),
		"same name": cookiesession.WithGorillaMigration(cookiesession.GorillaMigration[user]{
			CookieName: "__Host-session", KeyPairs: [][]byte{hash}, Convert: convert}),
	}
	for name, opt := range cases {
		if _, err := cookiesession.New[user](ring, opt); err == nil {
			t.Errorf("New(%s) succeeded", name)
		}
	}
}

// TestGorillaMigrationDestroyAndRevoke signs out on the request that
// migrates (the legacy cookie must go too), and revokes a user's sessions:
// a copy of a legacy cookie saved before is refused, since it counts as
// created at its last save.
func TestGorillaMigrationDestroyAndRevoke(t *testing.T) {
	hash, block := securecookie.GenerateRandomKey(32), securecookie.GenerateRandomKey(32)
	list := &cookiesession.MemoryRevocationList{}
	convert := func(values map[any]any) (user, error) {
		return user{Name: fmt.Sprint(values["user_id"])}, nil
	}
	f := newFixture(t, cookiesession.WithRevocation(list, func(u user) string { return u.Name }),
		cookiesession.WithGorillaMigration(cookiesession.GorillaMigration[user]{
			CookieName: "session", KeyPairs: [][]byte{hash, block}, Convert: convert}))
	f.clock.t = time.Now().Truncate(time.Second)
	legacy := legacyCookie(t, map[any]any{"user_id": 4}, hash, block)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Cookie", "session="+legacy)

	var migrated bool
	w := f.serveRequest(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := f.m.Get(r)
		migrated = s.Migrated()
		s.Destroy()
	}), r)
	lines := strings.Join(w.Result().Header["Set-Cookie"], "\n")
	if !migrated || !strings.Contains(lines, "session=; Path=/; Max-Age=0") ||
		!strings.Contains(lines, "__Host-session=; Max-Age=0") {
		t.Errorf("Destroy on the migrating request: migrated %t, Set-Cookie %q", migrated, lines)
	}

	f.clock.Advance(time.Minute)
	if err := f.m.RevokeSubject(context.Background(), "4", f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Load(r); !errors.Is(err, cookiesession.ErrRevoked) {
		t.Errorf("legacy cookie saved before sign-out everywhere: Load = %v, want ErrRevoked", err)
	}
}
