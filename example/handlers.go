package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/statelessgo/sessions/cookiesession"
)

// maxFormBytes bounds the body of a form post.
const maxFormBytes = 4 << 10

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// pageView is what the page shows.
type pageView struct {
	User        *user
	Visits      int
	Count       int
	Notes       []string
	Flashes     []string
	Error       string
	Unavailable bool         // the revocation list is down: show the error alone
	Session     *sessionView // nil when the handler did not open the session
	CookieName  string
	Instance    string
	MaxNote     int    // bytes
	ChunkBudget int    // bytes
	Revocation  string // where the revocation list is kept
}

// sessionView is the session's metadata, as the page shows it.
type sessionView struct {
	New         bool
	ID          string
	Created     string
	Sealed      string
	IdleEnds    string
	Expires     string
	KeyID       string // the key the request's cookie was sealed under
	Keys        string // this server's keys, primary first
	IdleTimeout time.Duration
	MaxAge      time.Duration
	Cookies     int // how many cookies the request's session came in
	CookieBytes int // their part of the Cookie header
	ValueBytes  int // the session's value, encoded as JSON
}

// home shows the sign-in form, or the signed-in user, their counters,
// notes and flash messages. Each view while signed in counts as a visit.
func (a *app) home(w http.ResponseWriter, r *http.Request) {
	s := a.sessions.Get(r)
	if a.refuseUnavailable(w, s) {
		return
	}
	u := currentUser(s)
	if u != nil {
		s.Update(func(d *sessionData) { d.Visits++ })
	}
	v := a.newView(u)
	a.fill(v, r, s)
	a.render(w, http.StatusOK, v)
}

// fill completes v with what the page shows of the session s of request r.
// It takes the flash messages out of the session.
func (a *app) fill(v *pageView, r *http.Request, s *session) {
	v.Session = a.describe(r, s)
	d := s.Value()
	v.Visits, v.Count, v.Notes = d.Visits, d.Count, d.Notes
	v.Flashes = s.Flashes()
}

// login signs a user in from the form fields username and password. On
// success it renews the session (a new session ID and lifetime), so that a
// session planted or seen before does not become signed in. A failure
// shows the form again with 401 and leaves the session alone.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	u, ok := authenticate(r.PostForm.Get("username"), r.PostForm.Get("password"))
	if !ok {
		a.logger.Info("sign-in refused", "remote", r.RemoteAddr)
		v := a.newView(nil)
		v.Error = "Wrong username or password."
		a.render(w, http.StatusUnauthorized, v)
		return
	}

	s := a.sessions.Get(r)
	s.Renew()
	s.Set(sessionData{UserID: u.ID})
	s.AddFlash("Signed in")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// signedIn returns the request's session when a user is signed in to it.
// Otherwise it answers, 503 while the revocation list is unavailable or
// 401 with msg, and returns nil.
func (a *app) signedIn(w http.ResponseWriter, r *http.Request, msg string) *session {
	s := a.sessions.Get(r)
	if a.refuseUnavailable(w, s) {
		return nil
	}
	if currentUser(s) == nil {
		a.notSignedIn(w, msg)
		return nil
	}
	return s
}

// counter adds one to the signed-in user's counter.
func (a *app) counter(w http.ResponseWriter, r *http.Request) {
	s := a.signedIn(w, r, "Sign in to use the counter.")
	if s == nil {
		return
	}
	s.Update(func(d *sessionData) { d.Count++ })
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// notSignedIn answers 401 with the sign-in form and msg.
func (a *app) notSignedIn(w http.ResponseWriter, msg string) {
	v := a.newView(nil)
	v.Error = msg
	a.render(w, http.StatusUnauthorized, v)
}

// newView returns the page for user u (nil: signed out), with nothing of
// the session yet.
func (a *app) newView(u *user) *pageView {
	return &pageView{User: u, CookieName: a.sessions.Name(), Instance: a.cfg.instance,
		MaxNote: maxNoteBytes, ChunkBudget: chunkBudget, Revocation: a.revocationPlace()}
}

// revocationPlace says where the revocation list is kept, for the page.
func (a *app) revocationPlace() string {
	if a.cfg.redis != "" {
		return "on Redis, shared by every instance that uses it"
	}
	return "in this server's memory, for this instance only"
}

// describe returns the metadata of s for the page.
func (a *app) describe(r *http.Request, s *session) *sessionView {
	v := &sessionView{New: s.IsNew(), Keys: a.keyIDs(), IdleTimeout: a.cfg.idleTimeout,
		MaxAge: a.cfg.maxAge}
	if v.New {
		return v
	}
	v.ID = s.ID()
	v.Created = stamp(s.CreatedAt())
	v.Sealed = stamp(s.SealedAt())
	v.IdleEnds = stamp(s.SealedAt().Add(a.cfg.idleTimeout))
	if s.SealedAt().IsZero() { // converted from a legacy cookie on this request
		v.Sealed = "never: converted from a gorilla/sessions cookie, sealed by this response"
		v.IdleEnds = stamp(s.CreatedAt().Add(a.cfg.idleTimeout))
	}
	v.Expires = stamp(s.ExpiresAt())
	if c, err := r.Cookie(a.sessions.Name()); err == nil {
		if info, err := cookiesession.Inspect(c.Value); err == nil {
			v.KeyID = fmt.Sprintf("%08x", info.KeyID)
			v.Cookies, v.CookieBytes = info.Chunks, a.cookieBytes(r, info.Chunks)
		}
	}
	if b, err := json.Marshal(s.Value()); err == nil {
		v.ValueBytes = len(b)
	}
	return v
}

// cookieBytes returns the length of the part of r's Cookie header that the
// session's cookies take, chunks and separators included: what WithChunking
// holds within its budget.
func (a *app) cookieBytes(r *http.Request, chunks int) int {
	n := 2 * (chunks - 1) // "; " between cookies
	for i := range chunks {
		name := a.sessions.Name()
		if i > 0 {
			name += "." + strconv.Itoa(i)
		}
		if c, err := r.Cookie(name); err == nil {
			n += len(name) + 1 + len(c.Value)
		}
	}
	return n
}

// stamp formats t in UTC, to the second.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// render writes the page with status. The page is rendered into a buffer
// first, so that a template error cannot leave half a page, and all
// session changes are made before the first byte is written.
func (a *app) render(w http.ResponseWriter, status int, v *pageView) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, v); err != nil {
		a.logger.Error("rendering the page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
