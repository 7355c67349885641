package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// noteRE finds the notes on the signed-in page.
var noteRE = regexp.MustCompile(`<li class="note">([^<]*)</li>`)

// pageNumber returns the number in the element with this ID on a page, or
// -1.
func pageNumber(page, id string) int {
	m := regexp.MustCompile(`id="` + id + `">(\d+)<`).FindStringSubmatch(page)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestNotesGrowAndShrink adds notes until the session no longer fits its
// cookies: it spreads over more cookies as it grows, every note comes
// back, the note that does not fit is refused with the session unchanged,
// and clearing the notes deletes the extra cookies.
func TestNotesGrowAndShrink(t *testing.T) {
	log := newSyncBuffer()
	a, ts := newTestServerWith(t, testConfig(), deps{logger: testLogger(t, log)})
	cookies := sealJar(t, a.sessions, sessionData{UserID: 1}, "Hello")
	var notes []string
	for len(notes) < 10 {
		note := randomText(t, 3000)
		resp := send(t, ts, request{method: "POST", path: "/notes", header: cookies.header(),
			form: url.Values{"note": {note}}})
		if resp.status == http.StatusRequestEntityTooLarge {
			checkTooLargeRefused(t, resp, cookies, notes)
			break
		}
		if resp.status != http.StatusSeeOther {
			t.Fatalf("POST /notes #%d = %d, want 303", len(notes)+1, resp.status)
		}
		cookies.keep(resp)
		notes = append(notes, note)
		checkChunks(t, cookies, a.sessions.Name())
	}
	if len(notes) < 3 || len(cookies) < 4 {
		t.Fatalf("%d notes fit in %d cookies, want at least 3 notes in 4 cookies",
			len(notes), len(cookies))
	}
	if strings.Contains(log.String(), "not saved") {
		t.Errorf("a note was accepted that the library did not save: %s", log)
	}

	page := send(t, ts, request{method: "GET", path: "/", header: cookies.header()})
	checkNotes(t, page.body, notes)
	if n := pageNumber(page.body, "cookie-count"); n != len(cookies) {
		t.Errorf("the page counts %d cookies, want %d", n, len(cookies))
	}
	cookies.keep(page)

	resp := send(t, ts, request{method: "POST", path: "/notes/clear", header: cookies.header()})
	cookies.keep(resp)
	if resp.status != http.StatusSeeOther || len(cookies) != 1 {
		t.Fatalf("POST /notes/clear = %d, cookies %q; want 303 and one cookie", resp.status,
			cookies)
	}
	page = send(t, ts, request{method: "GET", path: "/", header: cookies.header()})
	if !strings.Contains(page.body, "Signed in as John Doe") || len(noteRE.FindAllString(
		page.body, -1)) != 0 || pageNumber(page.body, "cookie-count") != 1 {
		t.Errorf("GET / after clearing the notes is not signed in with one cookie, no notes")
	}
}

// checkTooLargeRefused checks the refusal of a note that does not fit:
// the page says so, lists the notes so far and the flash message pending
// since before the first note, and the cookies it sets, with the flash
// message taken out, keep the notes.
func checkTooLargeRefused(t *testing.T, resp *response, cookies jar, notes []string) {
	t.Helper()
	for _, want := range []string{`id="error" role="alert">` + noteDoesNotFit,
		`role="status">Hello</p>`} {
		if !strings.Contains(resp.body, want) {
			t.Errorf("the refused note's page lacks %q", want)
		}
	}
	checkNotes(t, resp.body, notes)
	cookies.keep(resp)
	checkChunks(t, cookies, cookieName)
}

// checkChunks checks that the cookies are a session spread over chunks
// the way the first one says: "N/..." and name.1 to name.N-1.
func checkChunks(t *testing.T, cookies jar, name string) {
	t.Helper()
	first, ok := cookies[name]
	if !ok {
		t.Fatalf("no %s cookie among %d", name, len(cookies))
	}
	count := 1
	if len(first) > 2 && first[1] == '/' {
		count = int(first[0] - '0')
	}
	if count != len(cookies) {
		t.Errorf("%s says %d chunks, the browser holds %d cookies", name, count, len(cookies))
	}
	for i := 1; i < count; i++ {
		if _, ok := cookies[name+"."+strconv.Itoa(i)]; !ok {
			t.Errorf("chunk %s.%d missing", name, i)
		}
	}
}

// checkNotes checks that a page lists these notes, in order.
func checkNotes(t *testing.T, page string, notes []string) {
	t.Helper()
	var got []string
	for _, m := range noteRE.FindAllStringSubmatch(page, -1) {
		got = append(got, m[1])
	}
	if strings.Join(got, "\n") != strings.Join(notes, "\n") {
		t.Errorf("the page lists %d notes, want the %d added", len(got), len(notes))
	}
}

// checkNoteRefused checks the page of a refused note.
func checkNoteRefused(t *testing.T, resp *response, msg string) {
	t.Helper()
	if !strings.Contains(resp.body, `id="error" role="alert">`+msg) {
		t.Errorf("the refused note's page lacks %q:\n%s", msg, resp.body)
	}
	if lines := resp.header.Values("Set-Cookie"); len(lines) != 0 {
		t.Errorf("the refused note set %d cookies, want none", len(lines))
	}
}

// TestNoteRefused checks every note refused, each leaving the cookies alone.
func TestNoteRefused(t *testing.T) {
	a, ts := newTestServer(t, testConfig())
	signedIn := sealJar(t, a.sessions, sessionData{UserID: 1})
	full := sealJar(t, a.sessions, sessionData{UserID: 1, Notes: []string{
		randomText(t, 4000), randomText(t, 4000), randomText(t, 3500)}})
	tests := []struct {
		name    string
		cookies jar
		body    string // the form
		status  int
		msg     string
	}{
		{"empty", signedIn, "note=+%0A", http.StatusBadRequest, "Write something"},
		{"too long", signedIn, "note=" + strings.Repeat("a", maxNoteBytes+1),
			http.StatusRequestEntityTooLarge, noteTooLong},
		{"too long, encoded", signedIn, "note=" + strings.Repeat("%E2%82%AC", 1366),
			http.StatusRequestEntityTooLarge, noteTooLong},
		{"body too large", signedIn, "note=" + strings.Repeat("%41", maxNoteBytes+30),
			http.StatusRequestEntityTooLarge, noteTooLong},
		{"not UTF-8", signedIn, "note=%FF%FE", http.StatusBadRequest, "A note must be UTF-8"},
		{"does not fit", full, "note=" + randomText(t, 2000),
			http.StatusRequestEntityTooLarge, noteDoesNotFit},
		{"signed out", jar{}, "note=hello", http.StatusUnauthorized, "Sign in to keep notes."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := sendForm(t, ts, "/notes", tt.body, tt.cookies.header())
			if resp.status != tt.status {
				t.Fatalf("POST /notes = %d, want %d", resp.status, tt.status)
			}
			checkNoteRefused(t, resp, tt.msg)
		})
	}
}

// sendForm posts a form body as it is, encoded by hand, with these
// headers.
func sendForm(t *testing.T, ts *httptest.Server, path, body string,
	header map[string]string) *response {
	t.Helper()
	r, err := http.NewRequest("POST", ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		r.Header.Set(k, v)
	}
	return do(t, r)
}
