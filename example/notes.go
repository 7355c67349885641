package main

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/statelessgo/sessions/cookiesession"
)

// Bounds of the notes box.
const (
	// maxNoteBytes bounds one note, in bytes of UTF-8.
	maxNoteBytes = 4 << 10

	// maxNoteFormBytes bounds the body of POST /notes: a form encodes a
	// byte in up to three characters (%XX).
	maxNoteFormBytes = 3*maxNoteBytes + 64
)

// addNote appends the form field note to the signed-in user's notes, kept
// in the session, so that the session can grow past one cookie: the
// library then spreads it over several (see WithChunking in newApp).
func (a *app) addNote(w http.ResponseWriter, r *http.Request) {
	s := a.signedIn(w, r, "Sign in to keep notes.")
	if s == nil {
		return
	}
	note, status, msg := readNote(w, r)
	if msg != "" {
		a.noteRefused(w, r, s, status, msg)
		return
	}

	a.appendNote(w, r, s, note)
}

// appendNote appends note to the notes of s if the session still fits its
// cookies, and redirects to the page; otherwise it shows the page with an
// error, the session unchanged.
//
// The middleware finds out that a session is too large only when it
// writes the cookies, after the redirect: it reports ErrTooLarge to the
// logger and writes nothing, and the note would vanish without a word.
// Manager.CheckSize asks the same question now, with the pending flash
// messages counted, so the change is undone before anything is written.
func (a *app) appendNote(w http.ResponseWriter, r *http.Request, s *session, note string) {
	old := s.Value()
	d := old
	d.Notes = append(d.Notes[:len(d.Notes):len(d.Notes)], note) // not into old's array
	s.Set(d)
	switch err := a.sessions.CheckSize(s); {
	case isTooLarge(err):
		s.Set(old)
		a.logger.Info("note refused", "err", err)
		a.noteRefused(w, r, s, http.StatusRequestEntityTooLarge, noteDoesNotFit)
		return
	case err != nil:
		s.Set(old)
		a.logger.Error("checking the session's size", "err", err)
		a.noteRefused(w, r, s, http.StatusInternalServerError, "Internal error.")
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// readNote reads the field note of the form, bounded by maxNoteBytes. It
// returns the note, or a status and what is wrong.
func readNote(w http.ResponseWriter, r *http.Request) (string, int, string) {
	r.Body = http.MaxBytesReader(w, r.Body, maxNoteFormBytes)
	err := r.ParseForm()
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return "", http.StatusRequestEntityTooLarge, noteTooLong
	case err != nil:
		return "", http.StatusBadRequest, "Malformed form."
	}
	note := strings.TrimSpace(r.PostForm.Get("note"))
	switch {
	case note == "":
		return "", http.StatusBadRequest, "Write something in the note first."
	case len(note) > maxNoteBytes:
		return "", http.StatusRequestEntityTooLarge, noteTooLong
	case !utf8.ValidString(note):
		return "", http.StatusBadRequest, "A note must be UTF-8 text."
	}
	return note, 0, ""
}

// Messages of a refused note.
var (
	noteTooLong = fmt.Sprintf("This note is too long: a note holds at most %d bytes.",
		maxNoteBytes)
	noteDoesNotFit = fmt.Sprintf("This note does not fit in your session: its cookies "+
		"would pass their budget of %d KiB. Clear the notes, or write a shorter one.",
		chunkBudget>>10)
)

// noteRefused shows the page again with status and msg, leaving the
// session's value alone.
func (a *app) noteRefused(w http.ResponseWriter, r *http.Request, s *session, status int,
	msg string) {
	v := a.newView(currentUser(s))
	v.Error = msg
	a.fill(v, r, s)
	a.render(w, status, v)
}

// clearNotes removes every note: the session shrinks back to one cookie,
// and the response deletes the chunk cookies the browser has.
func (a *app) clearNotes(w http.ResponseWriter, r *http.Request) {
	s := a.signedIn(w, r, "Sign in to keep notes.")
	if s == nil {
		return
	}
	s.Update(func(d *sessionData) { d.Notes = nil })
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// isTooLarge reports whether err is the library's verdict that a session
// does not fit its cookies.
func isTooLarge(err error) bool { return errors.Is(err, cookiesession.ErrTooLarge) }
