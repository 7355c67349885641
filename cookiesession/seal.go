package cookiesession

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/statelessgo/sessions/internal/envelope"
)

// The plaintext inside an envelope (see FORMAT.md):
//
//	plaintext = sessionID(16) || flashes || codec(T)
//	flashes   = count(1) || count * (length(2, big-endian) || message)
const maxFlashes = 255

// maxEnvelope is the largest envelope that fits a cookie value.
const maxEnvelope = MaxCookieSize * 3 / 4

// buffers holds the scratch space of one seal or open, pooled so that
// neither allocates in proportion to its input.
type buffers struct {
	env  [maxEnvelope + 16]byte
	text [MaxCookieSize]byte
}

var bufferPool = sync.Pool{New: func() any { return new(buffers) }}

// open authenticates value, bound to name, and loads it into s, which is
// left unchanged on failure. It returns the key ID of the value's header
// when it could be read, for the logs.
//
// The checks run cheapest first: the length, before any decoding; the
// header, from its first 72 characters; the key ID and the times, before
// any decryption; then the AEAD; then the plaintext and the codec.
func (m *Manager[T]) open(s *Session[T], value, name string, now int64) (uint32, error) {
	if len(name)+len(value) > MaxCookieSize {
		return 0, errTooLong
	}
	h, err := envelope.PeekHeader(value)
	if err != nil {
		if errors.Is(err, envelope.ErrVersion) {
			return 0, errVersion
		}
		return 0, errMalformed
	}
	key, index, ok := m.keys.Load().lookup(h.KeyID)
	if !ok {
		return h.KeyID, ErrUnknownKey
	}
	if err := m.checkTimes(&h, now); err != nil {
		return h.KeyID, err
	}

	buf := bufferPool.Get().(*buffers)
	defer bufferPool.Put(buf)
	env, err := envelope.Decode(buf.env[:0], value)
	if err != nil {
		return h.KeyID, errMalformed
	}
	pt, err := envelope.Open(key.aead, env, name)
	if err != nil {
		return h.KeyID, errAuth
	}
	if err := m.loadPlaintext(s, pt); err != nil {
		return h.KeyID, err
	}
	s.created, s.sealed, s.expires = h.Created, h.Sealed, h.Expires
	s.isNew, s.oldKey = false, index > 0
	return h.KeyID, nil
}

// checkTimes enforces the lifetime, the idle timeout and the clock skew on
// a header. The skew only forgives times in the future; no deadline is
// extended by it. Every sum is of bounded terms: the times are checked
// against now before anything is added to them.
func (m *Manager[T]) checkTimes(h *envelope.Header, now int64) error {
	skew := seconds(m.cfg.skew)
	switch {
	case h.Created <= 0 || h.Sealed < h.Created || h.Expires <= h.Created:
		return errBadTimes
	case h.Created > now+skew || h.Sealed > now+skew:
		return errFuture
	}
	idle, maxLife := m.limits(h.Created, h.Expires)
	switch {
	case now >= min(h.Expires, h.Created+maxLife):
		return errLifetimeEnded
	case now >= h.Sealed+idle:
		return errIdleTimeout
	}
	return nil
}

// loadPlaintext parses a plaintext into s, or leaves s unchanged.
func (m *Manager[T]) loadPlaintext(s *Session[T], pt []byte) error {
	if len(pt) < idSize+1 {
		return errPlaintext
	}
	id, count, rest := pt[:idSize], int(pt[idSize]), pt[idSize+1:]
	var flashes []string
	for range count {
		if len(rest) < 2 || len(rest)-2 < int(binary.BigEndian.Uint16(rest)) {
			return errPlaintext
		}
		n := int(binary.BigEndian.Uint16(rest))
		flashes = append(flashes, string(rest[2:2+n]))
		rest = rest[2+n:]
	}

	var v T
	if err := m.cfg.codec.Unmarshal(rest, &v); err != nil {
		return fmt.Errorf("%w: %w", errDecode, err)
	}
	s.value, s.flashes = v, flashes
	s.baseline = bytes.Clone(rest)
	copy(s.id[:], id)
	return nil
}

// seal returns s sealed under the primary key, bound to name, stamped as
// sealed at now, and encoded: a cookie value or a token. enc is the
// encoding of s's value. s is not changed, but for a session ID drawn if
// it had none.
func (m *Manager[T]) seal(s *Session[T], enc []byte, name string, now int64) (string, error) {
	size := envelope.Overhead + idSize + 1 + len(enc)
	for _, f := range s.flashes {
		size += 2 + len(f)
	}
	if n := len(name) + envelope.EncodedLen(size); n > MaxCookieSize {
		return "", fmt.Errorf("%w: %d bytes of name and value, the limit is %d "+
			"(the encoded session is %d bytes; the envelope adds %d, and base64 a third)",
			ErrTooLarge, n, MaxCookieSize, len(enc), size-len(enc))
	}
	if len(s.flashes) > maxFlashes {
		return "", fmt.Errorf("%w: %d flash messages, at most %d", ErrTooLarge,
			len(s.flashes), maxFlashes)
	}
	if err := s.ensureID(); err != nil {
		return "", err
	}

	key := m.keys.Load().Primary()
	h := envelope.Header{Version: envelope.Version, KeyID: key.id,
		Created: s.created, Sealed: now, Expires: s.expires}
	if _, err := io.ReadFull(m.cfg.random, h.Nonce[:]); err != nil {
		return "", fmt.Errorf("cookiesession: drawing a nonce: %w", err)
	}

	buf := bufferPool.Get().(*buffers)
	defer bufferPool.Put(buf)
	b := append(buf.env[:envelope.HeaderSize], s.id[:]...)
	b = append(b, byte(len(s.flashes)))
	for _, f := range s.flashes {
		b = binary.BigEndian.AppendUint16(b, uint16(len(f)))
		b = append(b, f...)
	}
	b = append(b, enc...)
	env := envelope.Seal(key.aead, &h, name, b)
	return string(envelope.Encode(buf.text[:0], env)), nil
}

// load opens the value that r carries into s: a bearer token when enabled
// and present, else the session cookie. It returns the key ID for the logs
// and why a value was refused.
func (m *Manager[T]) load(s *Session[T], r *http.Request) (uint32, error) {
	now := m.now()
	if m.cfg.bearer {
		if token, ok, err := bearerToken(r.Header); ok {
			s.bearer = true
			if err != nil {
				return 0, err
			}
			return m.open(s, token, m.tokenName, now)
		}
	}

	var candidates [maxCandidates + 1]string
	values := cookieValues(r.Header, m.cfg.name, candidates[:0])
	if len(values) > maxCandidates {
		return 0, errAmbiguous
	}
	var keyID uint32
	var err error
	for i, v := range values {
		if keyID, err = m.open(s, v, m.cfg.name, now); err == nil {
			return keyID, m.checkUnique(s, values[i+1:], now)
		}
	}
	return keyID, err
}

// checkUnique refuses a session when a second cookie with its name opens
// too: two valid sessions in one request mean a cookie was planted (from a
// sibling domain, say), and neither can be trusted to be the user's.
func (m *Manager[T]) checkUnique(s *Session[T], others []string, now int64) error {
	for _, v := range others {
		scratch := &Session[T]{m: m}
		if _, err := m.open(scratch, v, m.cfg.name, now); err == nil {
			m.reset(s)
			return errAmbiguous
		}
	}
	return nil
}

// commit adds to h what the response needs for s, with status the status
// code of the response (0 when unknown); see [Manager.Save]. s.mu is held.
func (m *Manager[T]) commit(h http.Header, s *Session[T], status int) error {
	enc, err := m.cfg.codec.Marshal(&s.value)
	if err != nil {
		return fmt.Errorf("cookiesession: encoding the session: %w", err)
	}
	changed := s.renewed || s.metaDirty || !m.equalBaseline(s, enc)
	if s.bearer {
		if changed || s.destroyed {
			return ErrReadOnly
		}
		return nil
	}
	addVary(h)

	now := m.now()
	switch {
	case s.destroyed && !changed:
		m.setCookie(h, "", 0)
		s.destroyed = false
		return nil
	case !changed && !m.due(s, now, status):
		return nil
	}

	value, err := m.seal(s, enc, m.cfg.name, now)
	if err != nil {
		return err
	}
	idle, maxLife := m.limits(s.created, s.expires)
	deadline := min(s.expires, s.created+maxLife, now+idle)
	if deadline <= now {
		value = ""
	}
	m.setCookie(h, value, deadline-now)
	s.sealed, s.baseline = now, enc
	s.oldKey, s.renewed, s.destroyed, s.metaDirty = false, false, false, false
	return nil
}

// due reports whether an unchanged session must be sealed again: it was
// opened under an old key, or its idle clock is due to be pushed forward.
// Neither is done on a 304 response, whose headers a shared cache would
// merge into the response it stored.
func (m *Manager[T]) due(s *Session[T], now int64, status int) bool {
	if s.isNew || status == http.StatusNotModified {
		return false
	}
	idle, _ := m.limits(s.created, s.expires)
	return s.oldKey || now-s.sealed >= refreshInterval(idle)
}

// refreshInterval returns how long after its last seal an active session
// is sealed again, in seconds: max(1 minute, idle/10), capped at idle/2 so
// that a user whose requests are less than idle/2 apart never times out.
func refreshInterval(idle int64) int64 {
	return min(max(60, idle/10), idle/2)
}

// equalBaseline reports whether enc is the encoding s had when it was
// opened or last sealed.
func (m *Manager[T]) equalBaseline(s *Session[T], enc []byte) bool {
	if s.baseline == nil {
		return bytes.Equal(enc, m.zero)
	}
	return bytes.Equal(enc, s.baseline)
}
