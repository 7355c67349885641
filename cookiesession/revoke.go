package cookiesession

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Revocation trades a little statelessness for the power to end a session
// before it expires. There are three ways, from free to one lookup per
// request:
//
//   - a not-before time ([WithNotBefore], [Manager.SetNotBefore]): every
//     session created before it is refused, checked from the clear header
//     before any decryption;
//   - a validation hook ([WithValidator]), called after a session opens,
//     for checks against the application's own data (a per-user "sessions
//     valid after" date, a disabled account);
//   - a revocation list ([WithRevocation]), shared by every instance, that
//     holds revoked session IDs until their sessions expire and per-subject
//     not-before times ("sign out everywhere").

// SessionInfo is what a validation hook learns of a session beside its
// value.
type SessionInfo struct {
	ID      string    // the session ID
	Created time.Time // the session started (a legacy cookie: its last save)
	Sealed  time.Time // the value was last sealed
	Expires time.Time // the absolute deadline
	Bearer  bool      // the session came from a bearer token
}

// A RevocationList records revoked sessions, for every instance that
// shares it. Its methods must be safe for concurrent use. An error from
// Revoked refuses the session unless [WithInsecureRevocationFailOpen] is
// set; errors from Revoke and RevokeSubject go back to the caller.
type RevocationList interface {
	// Revoke revokes the session with this ID. The entry is needed until
	// the session's absolute deadline, until.
	Revoke(ctx context.Context, id string, until time.Time) error

	// RevokeSubject revokes every session of subject created strictly
	// before before (whole seconds). The entry is needed until no such
	// session can be alive, until.
	RevokeSubject(ctx context.Context, subject string, before, until time.Time) error

	// Revoked reports whether the session with this ID, of this subject
	// ("" if the Manager has no subject function), created at created, is
	// revoked.
	Revoked(ctx context.Context, id, subject string, created time.Time) (bool, error)
}

// WithNotBefore refuses every session created before t, so that everyone
// is logged out without a change of keys. [Manager.SetNotBefore] changes it
// on a running server.
func WithNotBefore(t time.Time) Option { return func(c *config) { c.notBefore = t } }

// WithValidator sets a function called with every session that opens,
// before the handler sees it. An error refuses the session: the request
// has no session, and the error, wrapped with [ErrRevoked], goes to the
// logger and the error handler. The function runs under the session's
// lock on the request's goroutine; it must be quick, and it must not keep
// v. [New] refuses a validator for another session type.
func WithValidator[T any](fn func(ctx context.Context, info SessionInfo, v T) error) Option {
	return func(c *config) { c.validator = fn }
}

// WithRevocation checks every session that opens against list, and lets
// [Manager.Revoke] and [Manager.RevokeSubject] add to it. subject returns
// the subject of a session value (a user ID, say) for per-subject
// revocation, or "" for none; it may be nil. A session found on the list
// is refused with [ErrRevoked]; a list that fails refuses the session too
// (fail closed), unless [WithInsecureRevocationFailOpen] is set.
func WithRevocation[T any](list RevocationList, subject func(v T) string) Option {
	return func(c *config) { c.revocation, c.subject = list, subject }
}

// WithInsecureRevocationFailOpen accepts sessions when the revocation list
// fails, so that an outage of its store does not log everyone out, at the
// cost of honouring no revocation during the outage. Failures are logged at
// error level either way.
func WithInsecureRevocationFailOpen() Option { return func(c *config) { c.failOpen = true } }

// revocation is a Manager's revocation configuration, checked by New.
type revocation[T any] struct {
	list      RevocationList
	subject   func(T) string
	validator func(context.Context, SessionInfo, T) error
}

func newRevocation[T any](c *config) (revocation[T], error) {
	var r revocation[T]
	var ok bool
	if c.validator != nil {
		if r.validator, ok = c.validator.(func(context.Context, SessionInfo, T) error); !ok {
			return r, fmt.Errorf("cookiesession: WithValidator for %T, not for this session type",
				c.validator)
		}
	}
	if c.subject != nil {
		if r.subject, ok = c.subject.(func(T) string); !ok {
			return r, fmt.Errorf("cookiesession: WithRevocation subject %T, not for this session type",
				c.subject)
		}
	}
	r.list = c.revocation
	if c.subject != nil && r.list == nil {
		return r, errors.New("cookiesession: WithRevocation needs a list")
	}
	return r, nil
}

// SetNotBefore refuses, from now on, every session created before t. It
// is safe for concurrent use; it changes this Manager only, so a fleet
// needs it on every instance (or a revocation list).
func (m *Manager[T]) SetNotBefore(t time.Time) {
	m.notBefore.Store(max(t.Unix(), 0))
}

// Revoke revokes s on the revocation list, until its absolute deadline:
// no copy of its cookie or token opens again, on any instance sharing the
// list. Call it at logout, with [Session.Destroy]. It needs
// [WithRevocation].
func (m *Manager[T]) Revoke(ctx context.Context, s *Session[T]) error {
	if m.revocation.list == nil {
		return errors.New("cookiesession: Revoke needs WithRevocation")
	}
	id, until := s.ID(), s.ExpiresAt()
	if id == "" {
		return errors.New("cookiesession: Revoke: the session has no ID")
	}
	return m.revocation.list.Revoke(ctx, id, until)
}

// RevokeSubject revokes every session of subject created before before
// ("sign out everywhere", or after a change of privilege). Times are whole
// seconds, and the second of before is excluded, so that a session renewed
// just before the call, to keep the current device signed in, survives;
// so does any other session started in that same second. To leave no
// session of that second, pass before + 1s (and renew after it). A session
// converted from a legacy gorilla/sessions cookie counts as created when
// that cookie was last saved. It needs [WithRevocation] with a subject
// function.
func (m *Manager[T]) RevokeSubject(ctx context.Context, subject string, before time.Time) error {
	if m.revocation.list == nil || m.revocation.subject == nil {
		return errors.New("cookiesession: RevokeSubject needs WithRevocation with a subject")
	}
	if subject == "" {
		return errors.New("cookiesession: RevokeSubject: empty subject")
	}
	bound := before.Truncate(time.Second)
	until := bound.Add(max(m.cfg.lifetime, m.cfg.rememberMax) + m.cfg.skew)
	if m.legacy != nil {
		until = until.Add(time.Duration(m.legacy.maxAge) * time.Second)
	}
	return m.revocation.list.RevokeSubject(ctx, subject, bound, until)
}

// verify runs the validation hook and the revocation list on a session
// that opened, for the request req (nil outside a request). s.mu is held.
func (m *Manager[T]) verify(req *http.Request, s *Session[T]) error {
	r := &m.revocation
	if r.validator == nil && r.list == nil {
		return nil
	}
	if err := s.ensureID(); err != nil {
		return err
	}
	id, ctx := encodeID(s.id), context.Background()
	if req != nil {
		ctx = req.Context()
	}
	// A session converted from a legacy cookie started no later than that
	// cookie's last save: a copy of it taken before a revocation must not
	// come back as a session created now.
	created := s.created
	if s.migrated {
		created = s.legacySaved
	}
	if r.validator != nil {
		info := SessionInfo{ID: id, Created: time.Unix(created, 0),
			Sealed: time.Unix(s.sealed, 0), Expires: time.Unix(s.expires, 0), Bearer: s.bearer}
		if err := r.validator(ctx, info, s.value); err != nil {
			return fmt.Errorf("%w: %w", ErrRevoked, err)
		}
	}
	if r.list == nil {
		return nil
	}
	subject := ""
	if r.subject != nil {
		subject = r.subject(s.value)
	}
	revoked, err := r.list.Revoked(ctx, id, subject, time.Unix(created, 0))
	switch {
	case err != nil && m.cfg.failOpen:
		m.report(req, slog.LevelError, "cookiesession: revocation list failed; session accepted",
			fmt.Errorf("%w; session accepted (fail open): %w", ErrRevocationUnavailable, err))
		return nil
	case err != nil:
		return fmt.Errorf("%w; session refused: %w", ErrRevocationUnavailable, err)
	case revoked:
		return errRevokedListed
	}
	return nil
}

var (
	errRevokedListed    = fmt.Errorf("%w: on the revocation list", ErrRevoked)
	errRevokedNotBefore = fmt.Errorf("%w: created before the not-before time", ErrRevoked)
)

// MemoryRevocationList is a [RevocationList] in this process's memory: it
// suits a single instance, and tests. Entries are dropped once they are no
// longer needed. The zero value is ready to use; it is safe for concurrent
// use.
type MemoryRevocationList struct {
	mu       sync.Mutex
	ids      map[string]time.Time         // ID -> until
	subjects map[string]subjectRevocation // subject -> not-before
	writes   int
}

type subjectRevocation struct{ before, until time.Time }

// Revoke implements [RevocationList].
func (l *MemoryRevocationList) Revoke(_ context.Context, id string, until time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ids == nil {
		l.ids = make(map[string]time.Time)
	}
	l.ids[id] = until
	l.prune()
	return nil
}

// RevokeSubject implements [RevocationList].
func (l *MemoryRevocationList) RevokeSubject(_ context.Context, subject string,
	before, until time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.subjects == nil {
		l.subjects = make(map[string]subjectRevocation)
	}
	old := l.subjects[subject]
	if before.After(old.before) {
		old.before = before
	}
	if until.After(old.until) {
		old.until = until
	}
	l.subjects[subject] = old
	l.prune()
	return nil
}

// Revoked implements [RevocationList].
func (l *MemoryRevocationList) Revoked(_ context.Context, id, subject string,
	created time.Time) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.ids[id]; ok {
		return true, nil
	}
	sub, ok := l.subjects[subject]
	return ok && subject != "" && created.Before(sub.before), nil
}

// Len returns the number of entries held.
func (l *MemoryRevocationList) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ids) + len(l.subjects)
}

// prune drops entries past their until, every 64 writes, so that memory
// follows the number of sessions revoked in the last lifetime.
func (l *MemoryRevocationList) prune() {
	if l.writes++; l.writes%64 != 0 {
		return
	}
	now := time.Now()
	for id, until := range l.ids {
		if now.After(until) {
			delete(l.ids, id)
		}
	}
	for subject, sub := range l.subjects {
		if now.After(sub.until) {
			delete(l.subjects, subject)
		}
	}
}
