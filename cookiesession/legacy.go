package cookiesession

import (
	"bytes"
	"encoding/base64"
	"encoding/gob"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/securecookie"
)

// GorillaMigration describes the cookies of a gorilla/sessions CookieStore
// that [WithGorillaMigration] reads, so that an application can move to
// this package without logging anyone out.
type GorillaMigration[T any] struct {
	// CookieName is the session name the application gave to the store's
	// Get: the legacy cookie's name.
	CookieName string

	// KeyPairs are the keys given to sessions.NewCookieStore: a hash key,
	// then a block key (or nil), for each pair, newest first.
	KeyPairs [][]byte

	// MaxAge is the store's MaxAge: a legacy cookie whose timestamp (the
	// time of its last Save) is older is refused. The default is 30 days,
	// gorilla's default.
	MaxAge time.Duration

	// Path and Domain are the legacy cookie's, so that it can be deleted.
	// The default Path is "/", gorilla's default.
	Path, Domain string

	// Convert turns the legacy session's values into the new session's
	// value. The values were decoded with encoding/gob: the types the
	// application stored in them must be registered with gob.Register, as
	// they were for gorilla/sessions.
	Convert func(values map[any]any) (T, error)
}

// WithGorillaMigration reads cookies written by a gorilla/sessions
// CookieStore: a request that carries a legacy cookie and no session
// cookie gets a session converted from it, which the response seals in this
// package's format, and the legacy cookie is deleted on the same response.
// The legacy cookie is authenticated by gorilla/securecookie with the
// legacy keys before anything in it is decoded. [New] refuses the option
// for another session type than the Manager's, and legacy keys that
// gorilla/securecookie refuses.
func WithGorillaMigration[T any](g GorillaMigration[T]) Option {
	return func(c *config) { c.legacy = g }
}

// legacyReader opens gorilla/sessions cookies.
type legacyReader[T any] struct {
	name     string
	codecs   []securecookie.Codec
	maxAge   int64 // seconds
	convert  func(map[any]any) (T, error)
	deletion string // the Set-Cookie line that deletes the legacy cookie
}

var (
	errLegacy        = fmt.Errorf("%w: legacy cookie does not authenticate", ErrInvalid)
	errLegacyExpired = fmt.Errorf("%w: legacy cookie older than its MaxAge", ErrExpired)
)

// newLegacyReader validates a migration option for a Manager of T.
func newLegacyReader[T any](option any, cfg *config) (*legacyReader[T], error) {
	g, ok := option.(GorillaMigration[T])
	if !ok {
		return nil, fmt.Errorf("cookiesession: WithGorillaMigration for %T, not %T", option,
			GorillaMigration[T]{})
	}
	switch {
	case !isToken(g.CookieName) || g.CookieName == cfg.name:
		return nil, errors.New("cookiesession: legacy cookie name missing, invalid, or the new one")
	case len(g.KeyPairs) == 0 || g.Convert == nil:
		return nil, errors.New("cookiesession: legacy migration needs key pairs and Convert")
	}
	codecs := securecookie.CodecsFromPairs(g.KeyPairs...)
	for i, c := range codecs {
		c.(*securecookie.SecureCookie).MaxAge(0) // checked here, on the Manager's clock
		if _, err := c.Encode("probe", 0); err != nil {
			return nil, fmt.Errorf("cookiesession: legacy key pair %d: %w", i+1, err)
		}
	}
	// gorilla/sessions keeps flash messages as []interface{}, registered
	// by its init; register it too, under the same name.
	gob.Register([]any{})

	l := &legacyReader[T]{name: g.CookieName, codecs: codecs, maxAge: seconds(g.MaxAge),
		convert: g.Convert}
	if l.maxAge == 0 {
		l.maxAge = 30 * 24 * 3600
	}
	l.deletion = legacyDeletion(g, cfg.insecure)
	return l, nil
}

func legacyDeletion[T any](g GorillaMigration[T], insecure bool) string {
	path := g.Path
	if path == "" {
		path = "/"
	}
	line := g.CookieName + "=; Path=" + path
	if g.Domain != "" {
		line += "; Domain=" + g.Domain
	}
	line += "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly"
	if !insecure {
		line += "; Secure"
	}
	return line
}

// open authenticates a legacy cookie value, checks its age on the
// Manager's clock and converts its values. It returns the time of the
// legacy session's last save too.
func (l *legacyReader[T]) open(value string, now, skew int64) (T, int64, error) {
	var zero T
	values := map[any]any{}
	if len(value) > 4096 || securecookie.DecodeMulti(l.name, value, &values, l.codecs...) != nil {
		return zero, 0, errLegacy
	}
	stamp, ok := legacyTimestamp(value)
	switch {
	case !ok:
		return zero, 0, errLegacy
	case stamp > now+skew:
		return zero, 0, errFuture
	case now-stamp >= l.maxAge:
		return zero, 0, errLegacyExpired
	}
	v, err := l.convert(values)
	if err != nil {
		return zero, 0, fmt.Errorf("%w: converting the legacy session: %w", ErrInvalid, err)
	}
	return v, stamp, nil
}

// legacyTimestamp reads the time of the last Save from a legacy value
// that securecookie has authenticated: the value is base64 of
// "timestamp|value|mac".
func legacyTimestamp(value string) (int64, bool) {
	b, err := base64.URLEncoding.DecodeString(value)
	if err != nil {
		return 0, false
	}
	stamp, _, ok := bytes.Cut(b, []byte("|"))
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(stamp), 10, 64)
	return n, err == nil
}

// loadLegacy opens the legacy cookie of r, if any, into s as a session
// that started now, to be sealed in this format. It returns why a legacy
// cookie was refused.
func (m *Manager[T]) loadLegacy(s *Session[T], h http.Header, now int64) error {
	var found [2]string
	values := cookieValues(h, m.legacy.name, found[:0])
	if len(values) != 1 {
		return nil
	}
	v, saved, err := m.legacy.open(values[0], now, seconds(m.cfg.skew))
	if err != nil {
		return err
	}
	s.value, s.migrated, s.metaDirty, s.isNew = v, true, true, false
	s.legacySaved = min(saved, s.created)
	return nil
}
