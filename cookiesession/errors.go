package cookiesession

import (
	"errors"
	"fmt"
)

// Errors that callers act on, matched with [errors.Is]. A value that cannot
// be opened always means "no session": the request gets a new, empty one,
// and the reason goes to the logger and the error handler, never to the
// client.
var (
	// ErrInvalid means a value was refused before or by authentication:
	// malformed, an unknown format version, tampered with, sealed for
	// another cookie name or token purpose, sealed under a key that is not in
	// the ring, or stamped further in the future than the clock skew allows.
	// Which check failed is in the error message, for logs only.
	ErrInvalid = errors.New("cookiesession: invalid session value")

	// ErrUnknownKey means a value names a key ID that is not in the ring: a
	// retired key, another application's key, or a forgery. It matches
	// ErrInvalid too. No key is tried: key IDs select keys.
	ErrUnknownKey = fmt.Errorf("%w: unknown key ID", ErrInvalid)

	// ErrExpired means a value's session is over: the idle timeout or the
	// absolute lifetime has passed. The times are checked from the clear
	// header before authentication, so that an expired value costs no
	// decryption: a forged header with past times gets ErrExpired too.
	ErrExpired = errors.New("cookiesession: session expired")

	// ErrTooLarge means a session does not fit a cookie. The error says how
	// large the cookie would have been and what the limit is. Nothing is
	// written: the browser keeps the cookie it has.
	ErrTooLarge = errors.New("cookiesession: session too large")

	// ErrCommitted means a session was changed after the response headers
	// were written, so the change could not be saved.
	ErrCommitted = errors.New("cookiesession: session changed after the response was committed")

	// ErrRevoked means a genuine session was refused because it was
	// revoked: created before the not-before time, refused by the
	// validation hook, or on the revocation list.
	ErrRevoked = errors.New("cookiesession: session revoked")

	// ErrRevocationUnavailable means the revocation list could not be
	// consulted. The session is refused (fail closed) unless
	// [WithInsecureRevocationFailOpen] is set; either way the error is
	// reported at error level. A session refused so is not saved unless the
	// handler renews or destroys it, so that a change made during an outage
	// does not replace the user's valid cookie.
	ErrRevocationUnavailable = errors.New("cookiesession: revocation list unavailable")

	// ErrReadOnly means a session that came from a bearer token was changed.
	// Tokens are never written back: issue a new one with [Manager.Token].
	ErrReadOnly = errors.New("cookiesession: session from a bearer token changed; issue a new token")

	// ErrNoMiddleware is the value of the panic of [Manager.Get] on a request
	// that did not pass through [Manager.Handler].
	ErrNoMiddleware = errors.New("cookiesession: Get called on a request that did not pass " +
		"through Manager.Handler (wrap the handler, or use Load and Save)")
)

// Refusal reasons, made once so that refusing a flood of bad values
// allocates nothing.
var (
	errTooLong       = fmt.Errorf("%w: value too long", ErrInvalid)
	errMalformed     = fmt.Errorf("%w: malformed", ErrInvalid)
	errVersion       = fmt.Errorf("%w: unknown format version", ErrInvalid)
	errAuth          = fmt.Errorf("%w: authentication failed", ErrInvalid)
	errFuture        = fmt.Errorf("%w: sealed further in the future than the clock skew allows", ErrInvalid)
	errBadTimes      = fmt.Errorf("%w: inconsistent times", ErrInvalid)
	errPlaintext     = fmt.Errorf("%w: malformed plaintext", ErrInvalid)
	errDecode        = fmt.Errorf("%w: authenticated value does not decode", ErrInvalid)
	errAmbiguous     = fmt.Errorf("%w: more than one valid cookie with the session's name", ErrInvalid)
	errBearerHeader  = fmt.Errorf("%w: malformed Authorization header", ErrInvalid)
	errChunks        = fmt.Errorf("%w: a chunk is missing or repeated", ErrInvalid)
	errIdleTimeout   = fmt.Errorf("%w: idle timeout", ErrExpired)
	errLifetimeEnded = fmt.Errorf("%w: absolute lifetime", ErrExpired)
)

// codecError is a codec's error with its message withheld: the messages
// of encoding/json quote the data they fail on, which is session content,
// and must not reach logs. Its text is the error's type; errors.As still
// reaches the error itself.
type codecError struct{ err error }

func (e codecError) Error() string { return fmt.Sprintf("codec error %T", e.err) }

func (e codecError) Unwrap() error { return e.err }

// encodeError reports a codec that failed to encode a session.
func encodeError(err error) error {
	return fmt.Errorf("cookiesession: encoding the session: %w", codecError{err})
}
