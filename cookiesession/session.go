package cookiesession

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// idSize is the size of a session ID, in bytes.
const idSize = 16

// Session is one user's session: a value of type T, a random session ID,
// and three times: when the session started, when it was last sealed and
// when it ends. Its methods are safe for concurrent use by the goroutines
// of one request.
//
// The value is saved when its encoding differs from what was opened, so a
// change made through Set or Update is saved, and so is a change made
// through a map or slice shared with a copy that Value returned. Changes
// after the response headers were written cannot be saved: they are
// reported as [ErrCommitted] to the logger and the error handler.
type Session[T any] struct {
	m   *Manager[T]
	req *http.Request // for reports; nil outside a request

	mu      sync.Mutex
	value   T
	id      [idSize]byte // all zero until drawn: see ensureID
	created int64        // unix seconds
	sealed  int64        // unix seconds; 0 for a session not yet sealed
	expires int64        // unix seconds: the absolute deadline as sealed
	flashes []string

	isNew       bool   // no valid value was opened
	bearer      bool   // opened from a bearer token: never written back
	oldKey      bool   // opened under a key other than the primary
	renewed     bool   // Renew was called since the last seal
	destroyed   bool   // Destroy was called since the last seal
	metaDirty   bool   // flashes or lifetime changed since the last seal
	baseline    []byte // the value's encoding as opened or last sealed; nil: the zero T
	committed   bool   // the response headers are out
	chunkMask   uint16 // bit i: the browser has the chunk cookie name.i
	migrated    bool   // converted from a legacy cookie, to be deleted
	legacySaved int64  // unix seconds: the legacy cookie's last save
	loadErr     error  // why the request's value was refused
	held        bool   // refused for want of the revocation list: not saved
}

// Value returns a copy of the session's value. The copy shares maps,
// slices and pointers with the session: change the value through Set or
// Update.
func (s *Session[T]) Value() T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.value
}

// Set replaces the session's value.
func (s *Session[T]) Set(v T) {
	s.mu.Lock()
	s.value = v
	err := s.lateChange(false)
	s.mu.Unlock()
	s.m.lost(s.req, err)
}

// Update calls fn with a pointer to the session's value, under the
// session's lock: fn must not call methods of the session.
func (s *Session[T]) Update(fn func(v *T)) {
	s.mu.Lock()
	fn(&s.value)
	err := s.lateChange(false)
	s.mu.Unlock()
	s.m.lost(s.req, err)
}

// IsNew reports whether the request carried no valid session, so that this
// one started on this request (a session converted from a legacy cookie is
// not new).
func (s *Session[T]) IsNew() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.isNew
}

// Err returns why the request's cookie or token was refused, matching
// [ErrInvalid], [ErrUnknownKey], [ErrExpired], [ErrRevoked] or
// [ErrRevocationUnavailable]; nil when it opened or there was none. The
// session is new then. A handler may answer 503 on
// ErrRevocationUnavailable rather than treat the user as signed out.
func (s *Session[T]) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadErr
}

// Migrated reports whether the session was converted, on this request,
// from a legacy gorilla/sessions cookie (see [WithGorillaMigration]), which
// the response deletes.
func (s *Session[T]) Migrated() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.migrated
}

// FromToken reports whether the session came from a bearer token. Such a
// session is read-only: changes are not written back (see [ErrReadOnly]).
func (s *Session[T]) FromToken() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bearer
}

// ID returns the session ID: 16 random bytes in unpadded URL-safe base64.
// It stays the same for the life of the session; [Session.Renew] and
// [Session.Destroy] draw a new one. An application can key server-side
// records (a revocation list, say) on it. A new session draws its ID on the
// first call; if the session is never saved, that ID is never seen again.
func (s *Session[T]) ID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ensureID() != nil {
		return ""
	}
	return encodeID(s.id)
}

func encodeID(id [idSize]byte) string { return base64.RawURLEncoding.EncodeToString(id[:]) }

// CreatedAt returns when the session started. Re-seals keep it; Renew
// moves it to now.
func (s *Session[T]) CreatedAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Unix(s.created, 0)
}

// SealedAt returns when the session was last sealed, the start of its idle
// clock, or the zero time for a session never sealed.
func (s *Session[T]) SealedAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sealed == 0 {
		return time.Time{}
	}
	return time.Unix(s.sealed, 0)
}

// ExpiresAt returns the session's absolute deadline: the end of its
// lifetime, whatever its activity. The idle timeout may end it earlier.
func (s *Session[T]) ExpiresAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, maxLife := s.m.limits(s.created, s.expires)
	return time.Unix(min(s.expires, s.created+maxLife), 0)
}

// Deadline returns when the session ends if no request comes: the idle
// timeout after its last seal (its creation, for a session never sealed),
// or its absolute deadline, whichever is first. Remember-me sessions have
// their own idle timeout, which Deadline accounts for.
func (s *Session[T]) Deadline() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	idle, maxLife := s.m.limits(s.created, s.expires)
	last := s.sealed
	if last == 0 {
		last = s.created
	}
	return time.Unix(min(s.expires, s.created+maxLife, last+idle), 0)
}

// Renew starts the session again with a new session ID and a new lifetime
// from now, keeping its value and flash messages. Call it after a login and
// after any change of privilege, so that a session ID planted or seen
// before does not carry the new privilege. Call [Session.SetLifetime]
// after Renew, not before.
func (s *Session[T]) Renew() {
	s.mu.Lock()
	s.restart()
	s.renewed, s.destroyed = true, false
	err := s.lateChange(true)
	s.mu.Unlock()
	s.m.lost(s.req, err)
}

// Destroy ends the session: the response deletes the cookie (with the
// same name, Path, Domain and Secure, so that browsers honour it), and the
// value and flash messages are cleared. If the value is set again, or a
// flash message added ("Signed out"), on the same request, a new session
// with a new ID is written instead, which replaces the old cookie.
//
// Destroy cannot revoke a copy of the cookie taken before: that copy opens
// until it expires. See the package documentation.
func (s *Session[T]) Destroy() {
	s.mu.Lock()
	var zero T
	s.value, s.flashes, s.baseline = zero, nil, nil
	s.restart()
	s.destroyed, s.renewed, s.metaDirty = true, false, false
	err := s.lateChange(true)
	s.mu.Unlock()
	s.m.lost(s.req, err)
}

// restart gives the session a new ID and a new default lifetime from now.
// No cookie stands for it yet: it has no seal, and no old key.
func (s *Session[T]) restart() {
	s.id = [idSize]byte{}
	s.created = s.m.now()
	s.expires = s.created + s.m.lifetime
	s.sealed, s.oldKey = 0, false
}

// AddFlash adds a message to show on a later request, which reads it with
// [Session.Flashes].
func (s *Session[T]) AddFlash(msg string) {
	s.mu.Lock()
	s.flashes = append(s.flashes, msg)
	s.metaDirty = true
	err := s.lateChange(true)
	s.mu.Unlock()
	s.m.lost(s.req, err)
}

// Flashes returns the flash messages and removes them from the session.
func (s *Session[T]) Flashes() []string {
	s.mu.Lock()
	f := s.flashes
	var err error
	if len(f) > 0 {
		s.flashes, s.metaDirty = nil, true
		err = s.lateChange(true)
	}
	s.mu.Unlock()
	s.m.lost(s.req, err)
	return f
}

// SetLifetime sets the session's absolute lifetime, counted from its
// creation. Beyond the Manager's lifetime it needs [WithRememberMe], whose
// maximum bounds it; such a session also gets the remember-me idle timeout.
func (s *Session[T]) SetLifetime(d time.Duration) error {
	limit := s.m.cfg.lifetime
	if s.m.cfg.rememberMax > 0 {
		limit = s.m.cfg.rememberMax
	}
	if d < time.Second || d > limit {
		return fmt.Errorf("cookiesession: lifetime %v is outside [1s, %v]", d, limit)
	}

	s.mu.Lock()
	s.expires = s.created + int64(d/time.Second)
	s.metaDirty = true
	err := s.lateChange(true)
	s.mu.Unlock()
	s.m.lost(s.req, err)
	return nil
}

// String describes the session without its value or ID.
func (s *Session[T]) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("cookiesession.Session(new=%t created=%d expires=%d)",
		s.isNew, s.created, s.expires)
}

// Format writes String for every verb, so that printing a session never
// shows its value.
func (s *Session[T]) Format(f fmt.State, verb rune) { io.WriteString(f, s.String()) }

// lateChange returns ErrCommitted, with details, if the session changed
// after the response was committed: always for a change of metadata, and
// for the value when its encoding differs from what was committed.
func (s *Session[T]) lateChange(always bool) error {
	if !s.committed {
		return nil
	}
	if !always {
		if enc, err := s.m.cfg.codec.Marshal(&s.value); err == nil && s.m.equalBaseline(s, enc) {
			return nil
		}
	}
	return fmt.Errorf("%w: the change is lost (make it before the first Write, "+
		"WriteHeader or Flush)", ErrCommitted)
}

// ensureID draws the session ID if it has none.
func (s *Session[T]) ensureID() error {
	if s.id != ([idSize]byte{}) {
		return nil
	}
	if _, err := io.ReadFull(s.m.cfg.random, s.id[:]); err != nil {
		s.id = [idSize]byte{}
		return fmt.Errorf("cookiesession: drawing a session ID: %w", err)
	}
	return nil
}
