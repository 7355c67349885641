package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/gorilla/securecookie"
)

// Legacy keys of the tests, as a gorilla/sessions application would have
// made them: a hash key of 64 bytes and a block key of 32.
var (
	legacyHash  = bytes.Repeat([]byte("h0123456"), 8)
	legacyBlock = bytes.Repeat([]byte("b0123456"), 4)
	oldHash     = bytes.Repeat([]byte("o0123456"), 8)
)

// TestParseLegacyKeys parses the encodings a user may paste.
func TestParseLegacyKeys(t *testing.T) {
	std, url := base64.StdEncoding, base64.RawURLEncoding
	block24 := bytes.Repeat([]byte{0xfb}, 24) // "+" and "/" in standard base64
	tests := []struct {
		name, value string
		want        [][]byte
	}{
		{"encrypted", std.EncodeToString(legacyHash) + ":" + std.EncodeToString(legacyBlock),
			[][]byte{legacyHash, legacyBlock}},
		{"sign only", std.EncodeToString(legacyHash), [][]byte{legacyHash, nil}},
		{"URL-safe, unpadded", url.EncodeToString(legacyHash) + ":" +
			url.EncodeToString(block24), [][]byte{legacyHash, block24}},
		{"standard with + and /", std.EncodeToString(block24) + ":" +
			std.EncodeToString(block24), [][]byte{block24, block24}},
		{"two pairs, spaces", " " + std.EncodeToString(legacyHash) + " , " +
			url.EncodeToString(oldHash), [][]byte{legacyHash, nil, oldHash, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseLegacyKeys(tt.value)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseLegacyKeys(...) = %d keys, %v; want %d keys", len(got), err,
					len(tt.want))
			}
		})
	}
}

// legacyKeyErrors are bad values of COOKIESESSION_LEGACY_KEYS and what
// their errors must say.
var legacyKeyErrors = []struct{ name, value, want string }{
	{"empty pair", legacyPair(legacyHash, legacyBlock) + ",,x", "pair 2 of 3 is empty"},
	{"no hash key", ":" + enc(legacyBlock), "pair 1 of 1 has no hash key"},
	{"hash not base64", "not*base64:" + enc(legacyBlock),
		"pair 1 of 1 has a hash key that is not base64"},
	{"block not base64", legacyPair(oldHash, nil) + "," + enc(legacyHash) + ":%%%%",
		"pair 2 of 2 has a block key that is not base64"},
	{"empty block key", enc(legacyHash) + ":", "pair 1 of 1 has an empty block key"},
	{"short block key", enc(legacyHash) + ":" + enc(legacyBlock[:10]),
		"pair 1 of 1 has a block key of 10 bytes; AES needs 16, 24 or 32"},
	{"two colons", legacyPair(legacyHash, legacyBlock) + ":" + enc(legacyBlock),
		"pair 1 of 1 has more than one colon"},
}

// TestRunBadLegacyKeys checks that a bad variable stops the server with an
// error that names the pair and shows no key.
func TestRunBadLegacyKeys(t *testing.T) {
	for _, tt := range legacyKeyErrors {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"-addr", "127.0.0.1:0"},
				env(map[string]string{legacyKeysVariable: tt.value}), nil, &stdout, &stderr)
			msg := stderr.String()
			if code != 1 || !strings.Contains(msg, legacyKeysVariable+": "+tt.want) {
				t.Errorf("run with %s = %d, %q; want 1, %q", legacyKeysVariable, code, msg,
					tt.want)
			}
			for _, key := range [][]byte{legacyHash, legacyBlock, oldHash, legacyBlock[:10]} {
				if strings.Contains(msg, enc(key)) || strings.Contains(msg, enc(key)[:8]) {
					t.Errorf("run's error %q shows key material", msg)
				}
			}
		})
	}
}

// enc encodes a key as COOKIESESSION_LEGACY_KEYS takes it.
func enc(key []byte) string { return base64.StdEncoding.EncodeToString(key) }

// legacyPair returns one pair of COOKIESESSION_LEGACY_KEYS.
func legacyPair(hash, block []byte) string {
	if block == nil {
		return enc(hash)
	}
	return enc(hash) + ":" + enc(block)
}

// legacyCookie returns the value of a gorilla/sessions cookie named
// "session" holding values, as CookieStore.Save writes it.
func legacyCookie(t *testing.T, values map[any]any, hash, block []byte) string {
	t.Helper()
	v, err := securecookie.EncodeMulti(legacyCookieName, values,
		securecookie.CodecsFromPairs(hash, block)...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestLegacyMigration sends gorilla/sessions cookies to a server that
// migrates them with two key pairs, the newest encrypting.
func TestLegacyMigration(t *testing.T) {
	pairs, err := parseLegacyKeys(legacyPair(legacyHash, legacyBlock) + "," +
		legacyPair(oldHash, nil))
	if err != nil {
		t.Fatal(err)
	}
	log := newSyncBuffer()
	a, ts := newTestServerWith(t, testConfig(), deps{legacy: pairs,
		logger: testLogger(t, log)})
	john := map[any]any{"user_id": 1}
	tests := []struct {
		name, legacy string
		wantUser     string // "" for signed out
	}{
		{"encrypted", legacyCookie(t, john, legacyHash, legacyBlock), "John Doe"},
		{"older pair, signed only", legacyCookie(t, john, oldHash, nil), "John Doe"},
		{"alice", legacyCookie(t, map[any]any{"user_id": 2}, legacyHash, legacyBlock),
			"Alice Liddell"},
		{"unknown user", legacyCookie(t, map[any]any{"user_id": 99}, legacyHash, legacyBlock),
			""},
		{"user ID as a string", legacyCookie(t, map[any]any{"user_id": "1"}, legacyHash,
			legacyBlock), ""},
		{"other keys", legacyCookie(t, john, oldHash, legacyBlock), ""},
		{"not gorilla's", "MTcwMDAwMDAwMHxnYXJiYWdlfA==", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := strings.Count(log.String(), legacyMigrated)
			resp := send(t, ts, request{method: "GET", path: "/",
				header: map[string]string{"Cookie": legacyCookieName + "=" + tt.legacy}})
			if tt.wantUser == "" {
				checkLegacyRefused(t, resp)
				return
			}
			checkMigrated(t, resp, tt.wantUser)
			if n := strings.Count(log.String(), legacyMigrated); n != before+1 {
				t.Errorf("%q logged %d times, want once", legacyMigrated, n-before)
			}
			next := send(t, ts, request{method: "GET", path: "/",
				cookie: resp.setCookie().Value})
			if !strings.Contains(next.body, "Signed in as "+tt.wantUser) {
				t.Errorf("GET / with the new cookie is not signed in as %s", tt.wantUser)
			}
		})
	}

	t.Run("new cookie wins", func(t *testing.T) {
		resp := send(t, ts, request{method: "GET", path: "/", header: map[string]string{
			"Cookie": legacyCookieName + "=" + tests[0].legacy + "; " + cookieName + "=" +
				sealCookie(t, a.sessions, sessionData{UserID: 2})}})
		if !strings.Contains(resp.body, "Signed in as Alice Liddell") {
			t.Errorf("GET / with both cookies is not signed in as the new cookie's user")
		}
	})
}

// legacyMigrated is the log line of a migration.
const legacyMigrated = "session migrated from a gorilla/sessions cookie"

// checkMigrated checks a response to a request with only a legacy cookie:
// signed in, the new cookie set, the legacy cookie deleted.
func checkMigrated(t *testing.T, resp *response, user string) {
	t.Helper()
	if resp.status != http.StatusOK || !strings.Contains(resp.body, "Signed in as "+user) {
		t.Fatalf("GET / with a legacy cookie = %d, not signed in as %s", resp.status, user)
	}
	checkSessionCookie(t, resp.setCookie(), 1800)
	deleted := false
	for _, line := range resp.header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		deleted = deleted || err == nil && c.Name == legacyCookieName && c.MaxAge < 0 &&
			c.Value == "" && c.Path == "/"
	}
	if !deleted {
		t.Errorf("GET / with a legacy cookie did not delete it: %q",
			resp.header.Values("Set-Cookie"))
	}
}

// checkLegacyRefused checks a response to a request with a legacy cookie
// that must not sign anyone in.
func checkLegacyRefused(t *testing.T, resp *response) {
	t.Helper()
	if resp.status != http.StatusOK || !strings.Contains(resp.body, loginForm) {
		t.Errorf("GET / with a bad legacy cookie = %d, want 200 and the sign-in form",
			resp.status)
	}
	if lines := resp.header.Values("Set-Cookie"); len(lines) != 0 {
		t.Errorf("GET / with a bad legacy cookie set cookies: %q", lines)
	}
}

// Signing out on the request that converts a legacy cookie deletes the
// legacy cookie too, or the next request would convert it again.
func TestLegacySignOut(t *testing.T) {
	pairs, err := parseLegacyKeys(legacyPair(legacyHash, legacyBlock))
	if err != nil {
		t.Fatal(err)
	}
	_, ts := newTestServerWith(t, testConfig(), deps{legacy: pairs})
	legacy := map[string]string{"Cookie": legacyCookieName + "=" +
		legacyCookie(t, map[any]any{"user_id": 1}, legacyHash, legacyBlock)}
	for _, path := range []string{"/logout", "/logout-everywhere"} {
		t.Run(path, func(t *testing.T) {
			resp := send(t, ts, request{method: "POST", path: path, header: legacy})
			if resp.status != http.StatusSeeOther {
				t.Fatalf("POST %s with a legacy cookie = %d, want 303", path, resp.status)
			}
			cookies := jar{legacyCookieName: "x", cookieName: "x"}
			cookies.keep(resp)
			if _, ok := cookies[legacyCookieName]; ok {
				t.Errorf("POST %s did not delete the legacy cookie: %q", path,
					resp.header.Values("Set-Cookie"))
			}
		})
	}
}
