package cookiesession_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/statelessgo/sessions/cookiesession"
)

// benchUser is a session of about 250 bytes of JSON.
type benchUser struct {
	UserID   int64     `json:"user_id"`
	Username string    `json:"username"`
	Email    string    `json:"email"`
	Roles    []string  `json:"roles"`
	CSRF     string    `json:"csrf"`
	LastSeen time.Time `json:"last_seen"`
	Theme    string    `json:"theme"`
}

func newBenchUser() benchUser {
	return benchUser{UserID: 1234567, Username: "john.doe.123", Email: "john.doe@example.com",
		Roles: []string{"admin", "editor", "viewer"},
		CSRF:  "q2Zk1nQeJx6bN0m3cVt8yW4uR7sP5oL9iH2gF1dE0aB", LastSeen: time.Unix(1_800_000_000, 0).UTC(),
		Theme: strings.Repeat("dark", 10)}
}

func benchManager(b *testing.B) *cookiesession.Manager[benchUser] {
	keys, err := cookiesession.NewKeyring(cookiesession.GenerateKey())
	if err != nil {
		b.Fatal(err)
	}
	m, err := cookiesession.New[benchUser](keys, cookiesession.WithBearerTokens())
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkSeal seals a 250-byte JSON session (as a token: the same
// envelope as a cookie).
func BenchmarkSeal(b *testing.B) {
	m := benchManager(b)
	s := m.NewSession()
	s.Set(newBenchUser())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Token(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen opens it.
func BenchmarkOpen(b *testing.B) {
	m := benchManager(b)
	s := m.NewSession()
	s.Set(newBenchUser())
	token, err := m.Token(s)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.OpenToken(token); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMiddleware is a round trip through the middleware with the
// session cookie present: read-write changes the value (a new cookie on
// every request), read-only reads it, untouched never asks for it.
func BenchmarkMiddleware(b *testing.B) {
	m := benchManager(b)
	s := m.NewSession()
	s.Set(newBenchUser())
	w := httptest.NewRecorder()
	if err := m.Save(w, s); err != nil {
		b.Fatal(err)
	}
	cookie, _, _ := strings.Cut(w.Header().Get("Set-Cookie"), ";")

	handlers := map[string]http.HandlerFunc{
		"read-write": func(w http.ResponseWriter, r *http.Request) {
			m.Get(r).Update(func(u *benchUser) { u.LastSeen = u.LastSeen.Add(time.Second) })
		},
		"read-only": func(w http.ResponseWriter, r *http.Request) { _ = m.Get(r).Value().UserID },
		"untouched": func(w http.ResponseWriter, r *http.Request) {},
	}
	for _, name := range []string{"read-write", "read-only", "untouched"} {
		b.Run(name, func(b *testing.B) {
			h := m.Handler(handlers[name])
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Cookie", cookie)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if (name == "read-write") != (len(w.Header()["Set-Cookie"]) == 1) {
					b.Fatalf("%s: Set-Cookie %q", name, w.Header()["Set-Cookie"])
				}
			}
		})
	}
}
