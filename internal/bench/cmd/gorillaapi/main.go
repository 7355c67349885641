// Command gorillaapi serves the example server's GET /api/data on
// gorilla/sessions instead of cookiesession, for the load comparison in
// BENCHMARKS.md: the same routes, headers and JSON, with the session in a
// gorilla/sessions CookieStore (gob, securecookie, 32-byte hash and block
// keys made at start-up).
//
// Usage:
//
//	go run ./cmd/gorillaapi [-addr host:port]
//
// POST /login with the form fields username=user and password=pass sets
// the session cookie; GET /api/data answers with the signed-in user's
// details, or 401. It is a load-test peer, not a demo: the password is
// compared in the clear, and sessions end with the process.
package main

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"flag"
	"log"
	"net/http"

	"github.com/gorilla/sessions"
)

// sessionName is the cookie's name.
const sessionName = "session"

// user is a demo account, as the example server has them.
type user struct {
	ID    int64
	Name  string
	Email string
}

var demoUser = user{ID: 1, Name: "John Doe", Email: "john.doe@example.com"}

type userData struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

type dataResponse struct {
	Data userData `json:"data"`
}

type errorResponse struct {
	Error string `json:"error"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen on `host:port`")
	flag.Parse()
	a := &api{store: sessions.NewCookieStore(randomKey(), randomKey())}
	log.Printf("listening on http://%s", *addr)
	log.Fatal(http.ListenAndServe(*addr, a.routes()))
}

// randomKey returns a 32-byte key from crypto/rand.
func randomKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k) // crypto/rand.Read never fails
	return k
}

type api struct {
	store *sessions.CookieStore
}

// routes returns the handler: the example's middleware stack, with
// gorilla/sessions opened by the handlers themselves.
func (a *api) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("GET /api/data", a.data)
	return commonHeaders(http.NewCrossOriginProtection().Handler(mux))
}

// commonHeaders sets the headers that the example sets on every response.
func commonHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// login signs the demo user in from the form fields username and password.
func (a *api) login(w http.ResponseWriter, r *http.Request) {
	if !equal(r.PostFormValue("username"), "user") || !equal(r.PostFormValue("password"), "pass") {
		writeJSON(w, http.StatusUnauthorized, errorResponse{"invalid credentials"})
		return
	}
	s, _ := a.store.Get(r, sessionName) // a bad cookie gives a new session
	s.Values["uid"] = demoUser.ID
	if err := s.Save(r, w); err != nil {
		writeJSON(w, http.StatusInternalServerError, errorResponse{"internal error"})
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// data returns the signed-in user's details, or 401.
func (a *api) data(w http.ResponseWriter, r *http.Request) {
	s, err := a.store.Get(r, sessionName)
	uid, _ := s.Values["uid"].(int64)
	u := userByID(uid)
	if err != nil || u == nil {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeJSON(w, http.StatusUnauthorized, errorResponse{"unauthorized"})
		return
	}
	writeJSON(w, http.StatusOK, dataResponse{userData{Name: u.Name, Email: u.Email}})
}

// userByID returns the user with this ID, or nil.
func userByID(id int64) *user {
	if id == demoUser.ID {
		return &demoUser
	}
	return nil
}

// writeJSON writes v as the JSON response, never cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // an error means the client has gone
}
