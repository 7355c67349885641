package bench

import (
	"encoding/gob"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"github.com/statelessgo/sessions/cookiesession"
)

// legacyProfile is a custom type stored in a gorilla session, registered
// with gob as gorilla/sessions requires.
type legacyProfile struct {
	Name  string
	Admin bool
}

func init() { gob.Register(legacyProfile{}) }

// migrated is the new session type of the migration tests.
type migrated struct {
	UserID int    `json:"uid"`
	Name   string `json:"name,omitempty"`
	Admin  bool   `json:"admin,omitempty"`
}

func convertLegacy(values map[any]any) (migrated, error) {
	id, ok := values["user_id"].(int)
	if !ok {
		return migrated{}, errors.New("no user_id")
	}
	m := migrated{UserID: id}
	if p, ok := values["profile"].(legacyProfile); ok {
		m.Name, m.Admin = p.Name, p.Admin
	}
	return m, nil
}

// legacyGorillaCookie returns the Set-Cookie value that a gorilla/sessions
// CookieStore with these keys writes for values, with a flash message.
func legacyGorillaCookie(t *testing.T, values map[any]any, pairs ...[]byte) string {
	t.Helper()
	store := sessions.NewCookieStore(pairs...)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	s, err := store.Get(r, "session")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range values {
		s.Values[k] = v
	}
	s.AddFlash("from gorilla")
	w := httptest.NewRecorder()
	if err := s.Save(r, w); err != nil {
		t.Fatal(err)
	}
	line := w.Header().Get("Set-Cookie")
	value, _, _ := strings.Cut(strings.TrimPrefix(line, "session="), ";")
	return value
}

// TestGorillaMigration opens cookies written by gorilla/sessions itself:
// with one and two key pairs, gob values of a registered custom type,
// expired and tampered.
func TestGorillaMigration(t *testing.T) {
	hashA, blockA := securecookie.GenerateRandomKey(32), securecookie.GenerateRandomKey(32)
	hashB, blockB := securecookie.GenerateRandomKey(32), securecookie.GenerateRandomKey(32)
	now := time.Now()
	clock := func() time.Time { return now }
	keys, _ := cookiesession.NewKeyring(cookiesession.GenerateKey())
	m, err := cookiesession.New[migrated](keys, cookiesession.WithClock(clock),
		cookiesession.WithGorillaMigration(cookiesession.GorillaMigration[migrated]{
			CookieName: "session", KeyPairs: [][]byte{hashA, blockA, hashB, blockB},
			Convert: convertLegacy}))
	if err != nil {
		t.Fatal(err)
	}
	profile := legacyProfile{Name: "Ann", Admin: true}
	fresh := legacyGorillaCookie(t, map[any]any{"user_id": 7, "profile": profile}, hashA, blockA)
	cases := []struct {
		name   string
		cookie string
		later  time.Duration
		want   migrated
		err    error
	}{
		{"one pair", fresh, 0, migrated{UserID: 7, Name: "Ann", Admin: true}, nil},
		{"older pair", legacyGorillaCookie(t, map[any]any{"user_id": 8}, hashB, blockB), 0,
			migrated{UserID: 8}, nil},
		{"hash only store", legacyGorillaCookie(t, map[any]any{"user_id": 9}, hashA), 0,
			migrated{}, cookiesession.ErrInvalid},
		{"29 days old", fresh, 29 * 24 * time.Hour, migrated{UserID: 7, Name: "Ann", Admin: true}, nil},
		{"31 days old", fresh, 31 * 24 * time.Hour, migrated{}, cookiesession.ErrExpired},
		{"tampered", fresh[:20] + "x" + fresh[21:], 0, migrated{}, cookiesession.ErrInvalid},
		{"unknown keys", legacyGorillaCookie(t, map[any]any{"user_id": 1},
			securecookie.GenerateRandomKey(32), securecookie.GenerateRandomKey(32)), 0,
			migrated{}, cookiesession.ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now = time.Now().Add(c.later)
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Cookie", "session="+c.cookie)
			s, err := m.Load(r)
			if !errors.Is(err, c.err) || s.Value() != c.want {
				t.Fatalf("Load = %+v, %v; want %+v, %v", s.Value(), err, c.want, c.err)
			}
			w := httptest.NewRecorder()
			if err := m.Save(w, s); err != nil {
				t.Fatal(err)
			}
			lines := strings.Join(w.Header()["Set-Cookie"], "\n")
			deleted := strings.Contains(lines, "session=; Path=/; Max-Age=0")
			if sealed := strings.Contains(lines, "__Host-session="); sealed != (c.err == nil) ||
				deleted != (c.err == nil) {
				t.Errorf("Set-Cookie = %q: want the new cookie and the legacy one deleted "+
					"exactly when migrated", lines)
			}
		})
	}
}

// TestGorillaMigrationSignOnly migrates from the store of gorilla's own
// example, NewCookieStore with a hash key only: signed, not encrypted.
func TestGorillaMigrationSignOnly(t *testing.T) {
	hash := securecookie.GenerateRandomKey(32)
	keys, _ := cookiesession.NewKeyring(cookiesession.GenerateKey())
	m, err := cookiesession.New[migrated](keys,
		cookiesession.WithGorillaMigration(cookiesession.GorillaMigration[migrated]{
			CookieName: "session", KeyPairs: [][]byte{hash}, Convert: convertLegacy}))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Cookie", "session="+legacyGorillaCookie(t, map[any]any{"user_id": 5}, hash))
	if s, err := m.Load(r); err != nil || s.Value().UserID != 5 {
		t.Errorf("sign-only legacy cookie: Load = %+v, %v", s.Value(), err)
	}
}
