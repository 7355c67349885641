package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/statelessgo/sessions/cookiesession"
	"github.com/statelessgo/sessions/redisrevoke"
)

// redisPingTimeout bounds the check, at start-up, that -redis answers.
const redisPingTimeout = 5 * time.Second

// newRevocationList returns the revocation list that -redis asks for, and
// what closes it: a list on Redis, or one in memory, which serves this
// process only. A Redis that does not answer at start-up is an error: a
// wrong address is better found now than as a server that answers every
// signed-in request with 503.
func newRevocationList(cfg config) (cookiesession.RevocationList, io.Closer, error) {
	if cfg.redis == "" {
		return new(cookiesession.MemoryRevocationList), io.NopCloser(nil), nil
	}
	// ContextTimeoutEnabled lets the list's timeout (100 ms) stop a call
	// by itself. Without retries, a request during an outage fails in
	// well under that, rather than waiting it out; the client reconnects
	// by itself when Redis is back.
	client := redis.NewClient(&redis.Options{Addr: cfg.redis, ContextTimeoutEnabled: true,
		MaxRetries: -1, DialerRetries: 1})
	ctx, cancel := context.WithTimeout(context.Background(), redisPingTimeout)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, nil, fmt.Errorf("-redis %s: %w", cfg.redis, err)
	}
	list, err := redisrevoke.New(client)
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	return list, client, nil
}

// logout ends the session: it is revoked, so that no copy of its cookie
// opens again (on any instance sharing the list), and the response deletes
// the cookie. If the list cannot record it, the user stays signed in and
// is told so with 503: a sign-out that pretended to work while a copy of
// the cookie still opened would be worse.
func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	s := a.sessions.Get(r)
	if a.refuseUnavailable(w, s) {
		return
	}
	if !s.IsNew() {
		if err := a.sessions.Revoke(r.Context(), s); err != nil {
			a.revocationFailed(w, r, err)
			return
		}
	}
	s.Destroy()
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// logoutEverywhere revokes every session of the signed-in user, on every
// device and every bearer token, then gives this browser a new session
// with nobody signed in, carrying a flash message.
func (a *app) logoutEverywhere(w http.ResponseWriter, r *http.Request) {
	s := a.sessions.Get(r)
	if a.refuseUnavailable(w, s) {
		return
	}
	u := currentUser(s)
	if u == nil {
		v := a.newView(nil)
		v.Error = "Sign in first."
		a.render(w, http.StatusUnauthorized, v)
		return
	}

	// The list compares creation times in whole seconds, and refuses
	// sessions created strictly before the time given: now, rounded up
	// to the next second, takes in every session created up to now, this
	// one included, at the cost of refusing one created in the rest of
	// this second (a sign-in as fast as that can be made again).
	before := a.now().Truncate(time.Second).Add(time.Second)
	if err := a.sessions.RevokeSubject(r.Context(), subject(s.Value()), before); err != nil {
		a.revocationFailed(w, r, err)
		return
	}
	a.logger.Info("signed out everywhere", "user_id", u.ID)
	s.Destroy()
	s.AddFlash("Signed out on every device.")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// unavailableMessage is what a user reads while the revocation list is
// down.
const unavailableMessage = "Your session cannot be checked right now (the revocation " +
	"list is unavailable). Try again in a moment."

// refuseUnavailable answers 503 and returns true when s could not be
// checked against the revocation list. The library then refuses the
// session (fail closed) and keeps the browser's cookie; treating the user
// as signed out would show a sign-in form to someone who is signed in.
func (a *app) refuseUnavailable(w http.ResponseWriter, s *session) bool {
	if !errors.Is(s.Err(), cookiesession.ErrRevocationUnavailable) {
		return false
	}
	v := a.newView(nil)
	v.Unavailable = true
	v.Error = unavailableMessage
	w.Header().Set("Retry-After", "5")
	a.render(w, http.StatusServiceUnavailable, v)
	return true
}

// revocationFailed reports a revocation that the list did not record.
func (a *app) revocationFailed(w http.ResponseWriter, r *http.Request, err error) {
	a.logger.Error("revoking a session", "err", err, "remote", r.RemoteAddr)
	v := a.newView(nil)
	v.Unavailable = true
	v.Error = "The sign-out did not go through (the revocation list is unavailable): " +
		"you are still signed in. Try again in a moment."
	w.Header().Set("Retry-After", "5")
	a.render(w, http.StatusServiceUnavailable, v)
}
