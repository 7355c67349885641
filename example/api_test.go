package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/statelessgo/sessions/cookiesession"
)

// TestAPILogin exchanges credentials, good and bad, for tokens.
func TestAPILogin(t *testing.T) {
	a, ts := newTestServer(t, testConfig())
	tests := []struct {
		name, body string
		wantStatus int
		wantError  string // "" for a token
		wantUser   int64
	}{
		{"john", `{"username": "user", "password": "pass"}`, http.StatusOK, "", 1},
		{"alice", `{"username": "alice", "password": "wonderland"}`, http.StatusOK, "", 2},
		{"wrong password", `{"username": "user", "password": "nope"}`,
			http.StatusUnauthorized, "invalid credentials", 0},
		{"unknown user", `{"username": "root", "password": "pass"}`,
			http.StatusUnauthorized, "invalid credentials", 0},
		{"no password", `{"username": "user"}`,
			http.StatusBadRequest, "username and password are required", 0},
		{"null", `null`, http.StatusBadRequest, "username and password are required", 0},
		{"empty body", ``, http.StatusBadRequest, "the body must be a JSON object", 0},
		{"not JSON", `username=user&password=pass`,
			http.StatusBadRequest, "the body must be a JSON object", 0},
		{"array", `[]`, http.StatusBadRequest, "the body must be a JSON object", 0},
		{"number for a name", `{"username": 1, "password": "pass"}`,
			http.StatusBadRequest, "the body must be a JSON object", 0},
		{"two objects", `{"username": "user", "password": "pass"} {}`,
			http.StatusBadRequest, "the body must hold one JSON object", 0},
		{"too large", `{"username": "` + strings.Repeat("u", 5000) + `", "password": "x"}`,
			http.StatusBadRequest, "the body is too large", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // bcrypt is slow under the race detector
			resp := sendRaw(t, ts, "POST", "/api/login", tt.body, nil)
			if resp.status != tt.wantStatus {
				t.Fatalf("POST /api/login = %d %s, want %d", resp.status, resp.body,
					tt.wantStatus)
			}
			var got struct{ Token, Error string }
			decodeBody(t, resp, &got)
			if !strings.HasPrefix(got.Error, tt.wantError) {
				t.Errorf("POST /api/login error = %q, want %q", got.Error, tt.wantError)
			}
			if tt.wantError != "" {
				return
			}
			s, err := a.sessions.OpenToken(got.Token)
			if err != nil || s.Value().UserID != tt.wantUser {
				t.Errorf("OpenToken(token) = %v, %v; want user %d", s, err, tt.wantUser)
			}
			if c := resp.setCookie(); c != nil {
				t.Errorf("POST /api/login set a cookie: %v", c)
			}
		})
	}
}

// sendRaw sends a request with a JSON body, if any, and more headers.
func sendRaw(t *testing.T, ts *httptest.Server, method, path, body string,
	header map[string]string) *response {
	t.Helper()
	return send(t, ts, request{method: method, path: path, body: body, header: header})
}

// decodeBody checks that resp is JSON and decodes it into v.
func decodeBody(t *testing.T, resp *response, v any) {
	t.Helper()
	if ct := resp.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if err := json.Unmarshal([]byte(resp.body), v); err != nil {
		t.Fatalf("json.Unmarshal(%q) = %v", resp.body, err)
	}
}

// TestAPIData reads the user's details with tokens and cookies of every kind.
func TestAPIData(t *testing.T) {
	a, ts := newTestServer(t, testConfig())
	token := sealToken(t, a.sessions, sessionData{UserID: 1})
	cookie := sealCookie(t, a.sessions, sessionData{UserID: 2})
	const john = `{"data":{"name":"John Doe","email":"john.doe@example.com"}}`
	const alice = `{"data":{"name":"Alice Liddell","email":"alice@example.com"}}`
	const unauthorized = `{"error":"unauthorized"}`
	expired := sealToken(t, newManager(t, a.sessions.Keys(),
		clockAt(time.Now().Add(-cookiesession.DefaultIdleTimeout-time.Minute))),
		sessionData{UserID: 1})

	tests := []struct {
		name   string
		header map[string]string
		status int
		body   string
	}{
		{"token", bearer(token), http.StatusOK, john},
		{"lower-case scheme", map[string]string{"Authorization": "bearer " + token},
			http.StatusOK, john},
		{"cookie", map[string]string{"Cookie": cookieName + "=" + cookie}, http.StatusOK, alice},
		{"nothing", nil, http.StatusUnauthorized, unauthorized},
		{"token of a user that is gone",
			bearer(sealToken(t, a.sessions, sessionData{UserID: 99})),
			http.StatusUnauthorized, unauthorized},
		{"empty token", map[string]string{"Authorization": "Bearer"},
			http.StatusUnauthorized, unauthorized},
		{"blank token", map[string]string{"Authorization": "Bearer    "},
			http.StatusUnauthorized, unauthorized},
		{"garbage", bearer("garbage"), http.StatusUnauthorized, unauthorized},
		{"truncated", bearer(token[:len(token)-1]), http.StatusUnauthorized, unauthorized},
		{"changed", bearer(flipChar(token, 60)), http.StatusUnauthorized, unauthorized},
		{"cookie as token", bearer(cookie), http.StatusUnauthorized, unauthorized},
		{"other key", bearer(sealToken(t, newManager(t, nil), sessionData{UserID: 1})),
			http.StatusUnauthorized, unauthorized},
		{"expired", bearer(expired), http.StatusUnauthorized, unauthorized},
		{"huge", bearer(strings.Repeat("A", 10000)), http.StatusUnauthorized, unauthorized},
		{"token and trailing words", bearer(token + " and more"),
			http.StatusUnauthorized, unauthorized},
		{"basic scheme", map[string]string{"Authorization": "Basic dXNlcjpwYXNz"},
			http.StatusUnauthorized, unauthorized},
		{"bad token beats a good cookie", map[string]string{"Authorization": "Bearer x",
			"Cookie": cookieName + "=" + cookie}, http.StatusUnauthorized, unauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := sendRaw(t, ts, "GET", "/api/data", "", tt.header)
			if resp.status != tt.status || strings.TrimSpace(resp.body) != tt.body {
				t.Errorf("GET /api/data = %d %s, want %d %s", resp.status, resp.body,
					tt.status, tt.body)
			}
			decodeBody(t, resp, new(any))
			challenge := resp.header.Get("WWW-Authenticate")
			if tt.status == http.StatusUnauthorized && challenge != "Bearer" {
				t.Errorf("GET /api/data WWW-Authenticate = %q, want Bearer", challenge)
			}
		})
	}
}

// bearer returns the Authorization header of a bearer token.
func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// Two Authorization headers are refused, even with a valid token.
func TestAPIDataTwoAuthorizations(t *testing.T) {
	a, ts := newTestServer(t, testConfig())
	token := sealToken(t, a.sessions, sessionData{UserID: 1})
	r, err := http.NewRequest("GET", ts.URL+"/api/data", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Add("Authorization", "Bearer "+token)
	r.Header.Add("Authorization", "Bearer "+token)
	if resp := do(t, r); resp.status != http.StatusUnauthorized {
		t.Errorf("GET /api/data with two Authorization headers = %d, want 401", resp.status)
	}
}
