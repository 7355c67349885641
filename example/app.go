package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/statelessgo/sessions/cookiesession"
)

// sessionData is the session's value: identifiers and counters, and the
// notes that show how a session grows past one cookie. The user's details
// are looked up by ID on each request, so that the cookie stays small.
type sessionData struct {
	UserID int64    `json:"uid,omitempty"`
	Visits int      `json:"visits,omitempty"` // views of the home page since sign-in
	Count  int      `json:"count,omitempty"`  // presses of the counter button
	Notes  []string `json:"notes,omitempty"`  // the notes box, oldest first
}

// subject returns the subject of a session for the revocation list: the
// user ID, or "" for a session with nobody signed in, which "sign out
// everywhere" cannot reach and need not.
func subject(d sessionData) string {
	if d.UserID == 0 {
		return ""
	}
	return strconv.FormatInt(d.UserID, 10)
}

// session is the session type of this server.
type session = cookiesession.Session[sessionData]

// Chunking: a session may spread over up to maxChunks cookies, whose part
// of the Cookie header stays within chunkBudget bytes. 16 KiB is more than
// nginx accepts by default (large_client_header_buffers 4 8k refuses a
// Cookie header line over 8 KiB): a proxy in front of this server must be
// told, as example/cluster/nginx.conf.tmpl is.
const (
	maxChunks   = 5
	chunkBudget = 16 << 10
)

// app is the demo application: its handlers and what they share.
type app struct {
	sessions *cookiesession.Manager[sessionData]
	cfg      config
	logger   *slog.Logger
	now      func() time.Time
}

// deps is what the application needs besides its configuration: setUp
// makes them from the flags and the environment; tests make their own.
type deps struct {
	keys       *cookiesession.Keyring
	revocation cookiesession.RevocationList // required
	legacy     [][]byte                     // gorilla/sessions key pairs; nil for none
	logger     *slog.Logger
	now        func() time.Time // nil for time.Now
}

// newApp returns the application with sessions sealed under d.keys. Its
// error is the library's, for an idle timeout or lifetime out of bounds.
//
// Compression stays off: it would let a session hold more notes, but the
// length of a compressed cookie says something about its contents, and
// the notes are text the user chooses (see cookiesession.WithCompression).
func newApp(cfg config, d deps) (*app, error) {
	a := &app{cfg: cfg, logger: d.logger, now: d.now}
	if a.now == nil {
		a.now = time.Now
	}
	opts := []cookiesession.Option{
		cookiesession.WithBearerTokens(),
		cookiesession.WithIdleTimeout(cfg.idleTimeout),
		cookiesession.WithLifetime(cfg.maxAge),
		cookiesession.WithLogger(d.logger),
		cookiesession.WithClock(a.now),
		cookiesession.WithChunking(maxChunks, chunkBudget),
		cookiesession.WithRevocation(d.revocation, subject),
	}
	if d.legacy != nil {
		opts = append(opts, cookiesession.WithGorillaMigration(a.gorillaMigration(d.legacy)))
	}
	m, err := cookiesession.New[sessionData](d.keys, opts...)
	if err != nil {
		return nil, err
	}
	a.sessions = m
	return a, nil
}

// routes returns the application's handler. Cross-origin form posts are
// refused before any session is opened; SameSite=Lax alone is not a
// complete defence.
func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", cookieOnly(a.home))
	mux.Handle("POST /login", cookieOnly(a.login))
	mux.Handle("POST /counter", cookieOnly(a.counter))
	mux.Handle("POST /logout", cookieOnly(a.logout))
	mux.Handle("POST /logout-everywhere", cookieOnly(a.logoutEverywhere))
	mux.Handle("POST /notes", cookieOnly(a.addNote))
	mux.Handle("POST /notes/clear", cookieOnly(a.clearNotes))
	mux.HandleFunc("POST /api/login", a.apiLogin)
	mux.HandleFunc("GET /api/data", a.apiData)

	csrf := http.NewCrossOriginProtection()
	return a.commonHeaders(csrf.Handler(a.sessions.Handler(mux)))
}

// contentSecurityPolicy allows the page's inline style and its forms, and
// nothing else.
const contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// commonHeaders sets the headers of every response, X-Instance among them
// when the -instance flag names this instance.
func (a *app) commonHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if a.cfg.instance != "" {
			h.Set("X-Instance", a.cfg.instance)
		}
		next.ServeHTTP(w, r)
	})
}

// cookieOnly refuses a request with a bearer token on the pages, which
// change the session: a session from a token is read-only, and the library
// would only log the change it cannot save.
func cookieOnly(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if strings.EqualFold(scheme, "Bearer") {
			http.Error(w, "this page takes the session cookie, not a bearer token "+
				"(tokens are for /api/)", http.StatusBadRequest)
			return
		}
		h(w, r)
	})
}

// currentUser returns the user signed in to s, or nil.
func currentUser(s *session) *user {
	return userByID(s.Value().UserID)
}

// keyIDs lists the key IDs of the server's keyring, the primary first.
func (a *app) keyIDs() string {
	var ids []string
	for _, k := range a.sessions.Keys().Keys() {
		ids = append(ids, fmt.Sprintf("%08x", k.ID()))
	}
	return strings.Join(ids, ", ")
}
