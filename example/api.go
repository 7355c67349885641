package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/statelessgo/sessions/cookiesession"
)

// maxJSONBytes bounds the body of an API request.
const maxJSONBytes = 4 << 10

// credentials is the body of POST /api/login.
type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// tokenResponse is the answer to a sign-in through the API.
type tokenResponse struct {
	Token string `json:"token"`
}

// dataResponse is the answer of GET /api/data.
type dataResponse struct {
	Data userData `json:"data"`
}

// userData is what the API tells of a user.
type userData struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// errorResponse is the body of every API error.
type errorResponse struct {
	Error string `json:"error"`
}

// apiLogin exchanges a username and password, as JSON, for a bearer token:
// the session sealed for the Authorization header instead of a cookie. The
// server keeps nothing; the token expires at the idle timeout.
func (a *app) apiLogin(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if msg := decodeJSON(w, r, &c); msg != "" {
		writeJSON(w, http.StatusBadRequest, errorResponse{msg})
		return
	}
	if c.Username == "" || c.Password == "" {
		writeJSON(w, http.StatusBadRequest, errorResponse{"username and password are required"})
		return
	}
	u, ok := authenticate(c.Username, c.Password)
	if !ok {
		a.logger.Info("sign-in refused", "remote", r.RemoteAddr)
		writeJSON(w, http.StatusUnauthorized, errorResponse{"invalid credentials"})
		return
	}

	s := a.sessions.NewSession()
	s.Set(sessionData{UserID: u.ID})
	token, err := a.sessions.Token(s)
	if err != nil {
		a.logger.Error("issuing a token", "err", err)
		writeJSON(w, http.StatusInternalServerError, errorResponse{"internal error"})
		return
	}
	writeJSON(w, http.StatusOK, tokenResponse{token})
}

// apiData returns the signed-in user's details, for a bearer token or a
// session cookie. Anything else, garbage included, is 401; a revoked token
// or cookie too. When the revocation list cannot be consulted, it is 503:
// the client is not signed out, only unchecked.
func (a *app) apiData(w http.ResponseWriter, r *http.Request) {
	s := a.sessions.Get(r)
	if errors.Is(s.Err(), cookiesession.ErrRevocationUnavailable) {
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable,
			errorResponse{"the session cannot be checked right now; try again"})
		return
	}
	u := currentUser(s)
	if u == nil {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeJSON(w, http.StatusUnauthorized, errorResponse{"unauthorized"})
		return
	}
	writeJSON(w, http.StatusOK, dataResponse{userData{Name: u.Name, Email: u.Email}})
}

// decodeJSON decodes a request body of one JSON value into v. It returns
// what is wrong with the body, or "".
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) string {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBytes))
	err := dec.Decode(v)
	if err == nil {
		if _, err2 := dec.Token(); err2 != io.EOF {
			return "the body must hold one JSON object"
		}
		return ""
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return "the body is too large"
	}
	return "the body must be a JSON object with a username and a password"
}

// writeJSON writes v as the JSON response, never cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // an error means the client has gone
}
