package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/statelessgo/sessions/cookiesession"
)

// sealedAt is when the values of the inspect tests were sealed.
var sealedAt = time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC)

// TestInspect prints the header of cookies and tokens given in every form.
func TestInspect(t *testing.T) {
	m := newManager(t, nil, clockAt(sealedAt),
		cookiesession.WithChunking(maxChunks, chunkBudget))
	cookie := sealCookie(t, m, sessionData{UserID: 1})
	chunked := sealJar(t, m, sessionData{UserID: 1, Notes: []string{randomText(t, 6000)}})
	token := sealToken(t, m, sessionData{UserID: 1})
	keyID := fmt.Sprintf("%08x", m.Keys().Primary().ID())
	later := sealedAt.Add(3 * time.Minute)

	tests := []struct {
		name  string
		args  []string
		stdin string
		now   time.Time
		want  []string // lines, or parts of lines, of the output
	}{
		{"value", []string{cookie}, "", later, []string{
			"format         version 1\n",
			"key ID         " + keyID + "\n",
			"created        2025-01-02 15:04:05 UTC (3m ago)\n",
			"last sealed    2025-01-02 15:04:05 UTC (3m ago)\n",
			"deadline       2025-01-03 03:04:05 UTC (in 11h57m): the end of its absolute",
			"idle until     2025-01-02 15:34:05 UTC (in 27m), for an idle timeout of 30m0s\n",
			"size           " + strconv.Itoa(len(cookie)) + " bytes\n",
			"chunks         1\n",
			"expired        no\n",
			"idle timeout is the server's configuration, not in the header",
		}},
		{"name=value", []string{cookieName + "=" + cookie}, "", later,
			[]string{"cookie         " + cookieName + "\n", "key ID         " + keyID}},
		{"Cookie header", []string{"Cookie: theme=dark; " + cookieName + "=" + cookie}, "",
			later, []string{"cookie         " + cookieName + "\n", "chunks         1\n"}},
		{"stdin", []string{"-"}, "  " + cookie + "\n", later,
			[]string{"key ID         " + keyID, "expired        no\n"}},
		{"bearer token", []string{"Bearer " + token}, "", later,
			[]string{"key ID         " + keyID, "size           " + strconv.Itoa(len(token))}},
		{"chunked, whole header", []string{"-"}, cookieHeader(chunked), later, []string{
			"cookie         " + cookieName + "\n",
			"size           " + strconv.Itoa(len(chunked[cookieName])) + " bytes: the first of 3",
			"chunks         3\n",
		}},
		{"idle", []string{"-idle-timeout", "2m", cookie}, "", later, []string{
			"idle until     2025-01-02 15:06:05 UTC (1m ago), for an idle timeout of 2m0s\n",
			"expired        yes: idle for 2m0s or more\n",
		}},
		{"past its deadline", []string{cookie}, "", sealedAt.Add(13 * time.Hour), []string{
			"deadline       2025-01-03 03:04:05 UTC (1h ago)",
			"expired        yes: its absolute deadline has passed, and idle for 30m0s or more\n",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := inspect(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr, tt.now)
			if code != 0 || stderr.Len() != 0 {
				t.Fatalf("inspect(%.40q) = %d, %q; want 0 and no error", tt.args, code, stderr)
			}
			for _, want := range tt.want {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("inspect(%.40q) printed\n%s\nwant %q", tt.args, stdout.String(),
						want)
				}
			}
		})
	}
}

// TestInspectRefused checks that what is not a value exits with 1 and a
// message that shows at most a short prefix of it, and that usage errors
// exit with 2.
func TestInspectRefused(t *testing.T) {
	secretish := "Zm9vYmFyYmF6cXV4" + strings.Repeat("x", 100)
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		want     string
	}{
		{"garbage", []string{secretish}, "", 1,
			`"Zm9vYmFyYmF6..." (116 bytes) is not a cookiesession value`},
		{"garbage cookie", []string{"sid=" + secretish}, "", 1, `"Zm9vYmFyYmF6..."`},
		{"empty", []string{""}, "", 1, "the empty value is not a cookiesession value"},
		{"empty stdin", []string{"-"}, "\n", 1, "the empty value"},
		{"version 2", []string{"Ag" + strings.Repeat("A", 120)}, "", 1,
			"unknown format version"},
		{"stdin too large", []string{"-"}, strings.Repeat("A", maxInspectInput+1), 1,
			"stdin holds more than"},
		{"no value", nil, "", 2, "give one value"},
		{"two values", []string{"a", "b"}, "", 2, "give one value"},
		{"bad flag", []string{"-idle", "1m", "x"}, "", 2, "flag provided but not defined"},
		{"zero idle timeout", []string{"-idle-timeout", "0s", "x"}, "", 2, "is not positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := inspect(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr, sealedAt)
			msg := stderr.String()
			if code != tt.wantCode || !strings.Contains(msg, tt.want) {
				t.Errorf("inspect(%.40q) = %d, %q; want %d, %q", tt.args, code, msg,
					tt.wantCode, tt.want)
			}
			if strings.Contains(msg, secretish[:20]) {
				t.Errorf("inspect's error %q shows more than a short prefix", msg)
			}
		})
	}
}

// TestRunInspect runs the subcommand as the command line does.
func TestRunInspect(t *testing.T) {
	value := sealCookie(t, newManager(t, nil), sessionData{UserID: 1})
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string // in stdout, or in stderr for an error
	}{
		{"value", []string{"inspect", value}, 0, "expired        no"},
		{"help", []string{"inspect", "-h"}, 0, "Usage: example inspect"},
		{"garbage", []string{"inspect", "nothing"}, 1, "is not a cookiesession value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, env(nil), strings.NewReader(""),
				&stdout, &stderr)
			out := stdout.String() + stderr.String()
			if code != tt.wantCode || !strings.Contains(out, tt.want) {
				t.Errorf("run(%.40q) = %d, %q; want %d, %q", tt.args, code, out, tt.wantCode,
					tt.want)
			}
		})
	}
}

// TestRelative formats durations before and after now.
func TestRelative(t *testing.T) {
	now := sealedAt
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "now"},
		{400 * time.Millisecond, "now"},
		{-45 * time.Second, "45s ago"},
		{-3*time.Minute - 59*time.Second, "3m ago"},
		{11*time.Hour + 57*time.Minute + 30*time.Second, "in 11h57m"},
		{2 * time.Hour, "in 2h"},
		{-(2*24*time.Hour + 4*time.Hour + 10*time.Minute), "2d4h ago"},
		{30 * 24 * time.Hour, "in 30d"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := relative(now.Add(tt.d), now); got != tt.want {
				t.Errorf("relative(now%+v, now) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}

// randomText returns n characters of random base64, which no compression
// could shrink.
func randomText(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

// cookieHeader returns the cookies of j as one Cookie header's value.
func cookieHeader(j jar) string { return j.header()["Cookie"] }
