package cookiesession

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/statelessgo/sessions/internal/envelope"
)

// maxNameLen is the longest cookie name or token purpose bound into a
// value.
const maxNameLen = envelope.MaxNameLen

// Manager seals sessions of type T into cookies and bearer tokens and opens
// them again. It keeps no state per session: any server with the same keys
// and options serves any request. Build one with [New]; a Manager is safe
// for concurrent use.
type Manager[T any] struct {
	cfg       config
	keys      atomic.Pointer[Keyring]
	zero      []byte // the encoding of the zero T
	tokenName string // what tokens are bound to instead of a cookie name
	attrs     string // the cookie's attributes after Max-Age
	lifetime  int64  // cfg.lifetime in seconds

	chunkNames   []string // the cookie names of the chunks, by index
	chunkedNames []string // the names envelopes are bound to, by chunk count

	legacy     *legacyReader[T] // nil without WithGorillaMigration
	notBefore  atomic.Int64     // unix seconds; 0 for none
	revocation revocation[T]
}

// New returns a Manager that seals with the primary key of keys and opens
// with any of them. It validates every option and returns an error that
// lists every problem. It also checks that the codec can encode and decode
// the zero value of T.
func New[T any](keys *Keyring, opts ...Option) (*Manager[T], error) {
	if keys == nil {
		return nil, errors.New("cookiesession: no keyring")
	}
	cfg := defaultConfig()
	for _, opt := range opts {
		opt(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}

	var zero T
	enc, err := cfg.codec.Marshal(&zero)
	if err == nil {
		err = cfg.codec.Unmarshal(enc, new(T))
	}
	if err != nil {
		return nil, fmt.Errorf("cookiesession: the codec cannot round-trip the zero %T: %w",
			zero, err)
	}

	m := &Manager[T]{cfg: cfg, zero: enc, tokenName: tokenName(cfg.name),
		lifetime: seconds(cfg.lifetime)}
	m.attrs = cookieAttributes(&cfg)
	m.chunkNames, m.chunkedNames = chunkNames(cfg.name, max(cfg.maxChunks, 1))
	if m.revocation, err = newRevocation[T](&cfg); err != nil {
		return nil, err
	}
	m.SetNotBefore(cfg.notBefore)
	if cfg.legacy != nil {
		if m.legacy, err = newLegacyReader[T](cfg.legacy, &cfg); err != nil {
			return nil, err
		}
	}
	m.keys.Store(keys)
	return m, nil
}

// tokenName returns the purpose that bearer tokens are bound to. A colon
// cannot appear in a cookie name, so no cookie is ever bound to it.
func tokenName(cookieName string) string { return "token:" + cookieName }

func seconds(d time.Duration) int64 { return int64(d / time.Second) }

// Name returns the cookie's name.
func (m *Manager[T]) Name() string { return m.cfg.name }

// Keys returns the current keyring.
func (m *Manager[T]) Keys() *Keyring { return m.keys.Load() }

// SetKeys replaces the keyring, atomically: a request sees either the old
// ring or the new one. Use it to rotate keys without a restart.
func (m *Manager[T]) SetKeys(keys *Keyring) error {
	if keys == nil {
		return errors.New("cookiesession: no keyring")
	}
	m.keys.Store(keys)
	return nil
}

// NewSession returns a new, empty session outside any request, to fill and
// turn into a token with [Manager.Token], or to save with [Manager.Save].
func (m *Manager[T]) NewSession() *Session[T] {
	s := &Session[T]{m: m}
	m.reset(s)
	return s
}

// reset makes s a new, empty session.
func (m *Manager[T]) reset(s *Session[T]) {
	var zero T
	s.value, s.flashes, s.baseline = zero, nil, nil
	s.restart()
	s.isNew, s.oldKey, s.renewed, s.destroyed, s.metaDirty = true, false, false, false, false
	s.migrated, s.loadErr, s.held = false, nil, false
}

// Load returns the session that r carries, for code that does not use
// [Manager.Handler]: from an "Authorization: Bearer" token when bearer
// tokens are enabled and r has one, else from the session cookie.
//
// The session is never nil. When r carries a value that cannot be opened,
// the session is new and the error says why, matching [ErrInvalid],
// [ErrUnknownKey], [ErrExpired], [ErrRevoked] or
// [ErrRevocationUnavailable] (see also [Session.Err]); it has also gone to
// the logger and the error handler. No value at all is not an error.
func (m *Manager[T]) Load(r *http.Request) (*Session[T], error) {
	s := &Session[T]{m: m, req: r}
	s.mu.Lock()
	m.reset(s)
	keyID, err := m.load(s, r)
	s.mu.Unlock()
	m.refused(r, keyID, err)
	return s, err
}

// Save adds to w's header map what the response needs for s: a Set-Cookie
// line when the value changed, the session was renewed or destroyed, it
// was opened under an old key, or its idle clock is due to be pushed
// forward; and Vary: Cookie, with Cache-Control kept private when a cookie
// is set. Save must be called before the response headers are written.
// It replaces a Set-Cookie line for the same cookie written by an earlier
// Save, so that a response never carries two.
//
// Save returns an error matching [ErrTooLarge] for a session that does not
// fit a cookie, and [ErrReadOnly] for a changed session that came from a
// bearer token; nothing is written then.
func (m *Manager[T]) Save(w http.ResponseWriter, s *Session[T]) error {
	s.mu.Lock()
	err := m.commit(w.Header(), s, 0)
	s.mu.Unlock()
	return err
}

// CheckSize reports whether s can be saved as it is: nil, or an error
// matching [ErrTooLarge] with the sizes (or the codec's error). A handler
// can check before it redirects, since the middleware's own error, at
// commit, only reaches the logger and the error handler. It is safe for
// concurrent use.
func (m *Manager[T]) CheckSize(s *Session[T]) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	enc, err := m.cfg.codec.Marshal(&s.value)
	if err != nil {
		return encodeError(err)
	}
	value, _, err := m.compress(enc)
	if err != nil {
		return err
	}
	if len(s.flashes) > maxFlashes {
		return fmt.Errorf("%w: %d flash messages, at most %d", ErrTooLarge, len(s.flashes),
			maxFlashes)
	}
	_, err = m.chunkCount(sealedLen(s.flashes, value), value)
	return err
}

// Token seals s as a bearer token, which [Manager.Handler] and
// [Manager.Load] accept from an "Authorization: Bearer" header and
// [Manager.OpenToken] opens. The token carries the session's ID, times and
// value; it expires like a cookie would, at the idle timeout after this
// call or at the session's absolute deadline, whichever is first. Token
// needs [WithBearerTokens].
func (m *Manager[T]) Token(s *Session[T]) (string, error) {
	if !m.cfg.bearer {
		return "", errors.New("cookiesession: bearer tokens are not enabled (WithBearerTokens)")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	enc, err := m.cfg.codec.Marshal(&s.value)
	if err != nil {
		return "", encodeError(err)
	}
	value, deflated, err := m.compress(enc)
	if err != nil {
		return "", err
	}
	if n := len(m.tokenName) + sealedLen(s.flashes, value); n > MaxCookieSize {
		return "", tooLarge("the token and its purpose", n, MaxCookieSize, value)
	}
	return m.seal(s, value, deflated, m.tokenName, m.now())
}

// OpenToken opens a bearer token issued by [Manager.Token]. On failure it
// returns a nil session and an error matching one of the errors of
// [Manager.Load], which has also gone to the logger and the error handler.
// The session is read-only: see [ErrReadOnly].
func (m *Manager[T]) OpenToken(token string) (*Session[T], error) {
	if !m.cfg.bearer {
		return nil, errors.New("cookiesession: bearer tokens are not enabled (WithBearerTokens)")
	}
	s := &Session[T]{m: m, bearer: true}
	s.mu.Lock()
	m.reset(s)
	keyID, err := m.openToken(s, token, m.now())
	if err == nil {
		err = m.verify(nil, s)
	}
	s.mu.Unlock()
	if err != nil {
		m.refused(nil, keyID, err)
		return nil, err
	}
	return s, nil
}

// now returns the time in unix seconds.
func (m *Manager[T]) now() int64 { return m.cfg.now().Unix() }

// limits returns the idle timeout and the longest lifetime, in seconds, of
// a session with these creation and expiry times: a session sealed with a
// lifetime longer than the default is a remember-me session.
func (m *Manager[T]) limits(created, expires int64) (idle, maxLife int64) {
	if expires-created > m.lifetime && m.cfg.rememberMax > 0 {
		return seconds(m.cfg.rememberIdle), seconds(m.cfg.rememberMax)
	}
	return seconds(m.cfg.idle), m.lifetime
}

// refused reports a value that could not be opened: at debug level, or at
// error level when it was authenticated but did not decode, which only a
// changed session type, a codec bug or a leaked key explain.
// The key ID is logged when the value's header could be read.
func (m *Manager[T]) refused(r *http.Request, keyID uint32, err error) {
	if err == nil || m.cfg.logger == nil && m.cfg.onError == nil {
		return
	}
	level := slog.LevelDebug
	if errors.Is(err, errDecode) || errors.Is(err, ErrRevocationUnavailable) {
		level = slog.LevelError
	}
	var attrs []slog.Attr
	if keyID != 0 {
		attrs = append(attrs, slog.String("key_id", fmt.Sprintf("%08x", keyID)))
	}
	m.report(r, level, "cookiesession: session refused", err, attrs...)
}

// lost reports a change that could not be saved, at error level.
func (m *Manager[T]) lost(r *http.Request, err error) {
	if err != nil {
		m.report(r, slog.LevelError, "cookiesession: session change not saved", err)
	}
}

func (m *Manager[T]) report(r *http.Request, level slog.Level, msg string, err error,
	attrs ...slog.Attr) {
	if l := m.cfg.logger; l != nil {
		ctx := context.Background()
		if r != nil {
			ctx = r.Context()
		}
		attrs = append(attrs, slog.String("cookie", m.cfg.name), slog.String("reason", err.Error()))
		l.LogAttrs(ctx, level, msg, attrs...)
	}
	if m.cfg.onError != nil {
		m.cfg.onError(r, err)
	}
}
