package cookiesession

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/statelessgo/sessions/internal/envelope"
)

// maxEnvelope is the largest envelope that fits a cookie value.
const maxEnvelope = MaxCookieSize * 3 / 4

// buffers holds the scratch space of one seal or open, pooled so that
// neither allocates in proportion to its input. Chunked values larger than
// one cookie use buffers of their own.
type buffers struct {
	env   [maxEnvelope + 16]byte
	text  [MaxCookieSize]byte
	aad   [envelope.MaxAADSize]byte
	nonce [envelope.NonceSize]byte
}

var bufferPool = sync.Pool{New: func() any { return new(buffers) }}

// open authenticates a value bound to name and loads it into s, a new
// session, which stays new on failure. The value comes in one piece, or in the
// pieces of its chunks, each but the last a multiple of 4 characters; the
// caller has checked their lengths. open returns the key ID of the value's
// header when it could be read, for the logs.
//
// The checks run cheapest first: the header, from the first 72
// characters; the key ID and the times, before any decryption; then the
// AEAD; then the plaintext and the codec.
func (m *Manager[T]) open(s *Session[T], pieces []string, name string, now int64) (uint32, error) {
	h, err := envelope.PeekHeader(pieces[0])
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
	env, err := decodePieces(buf.env[:0], pieces)
	if err != nil {
		return h.KeyID, err
	}
	pt, err := envelope.Open(key.aead, env, name, &buf.aad)
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

// decodePieces appends the envelope encoded in pieces to dst, which it
// outgrows only for chunked values.
func decodePieces(dst []byte, pieces []string) ([]byte, error) {
	total := 0
	for i, p := range pieces {
		if i < len(pieces)-1 && len(p)%4 != 0 {
			return nil, errMalformed
		}
		total += len(p)
	}
	if n := envelope.DecodedLen(total); n > cap(dst) {
		dst = make([]byte, 0, n)
	}
	var err error
	for _, p := range pieces {
		if dst, err = envelope.Decode(dst, p); err != nil {
			return nil, errMalformed
		}
	}
	return dst, nil
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
	case h.Created < m.notBefore.Load():
		return errRevokedNotBefore
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

// loadPlaintext parses a plaintext into s, a new session, or leaves it
// new.
func (m *Manager[T]) loadPlaintext(s *Session[T], pt []byte) error {
	p, err := parsePlaintext(pt)
	if err != nil {
		return err
	}
	value := p.value
	if p.deflated {
		if value, err = inflate(value); err != nil {
			return fmt.Errorf("%w: %w", errDecode, err) // errInflate quotes nothing
		}
	} else {
		value = bytes.Clone(value) // pt is in a pooled buffer
	}

	// s is a new session, whose value is zero: decoding into it saves an
	// allocation, and a failure leaves it zero again.
	if err := m.cfg.codec.Unmarshal(value, &s.value); err != nil {
		var zero T
		s.value = zero
		return fmt.Errorf("%w: %w", errDecode, codecError{err})
	}
	s.flashes, s.baseline = p.flashes, value
	copy(s.id[:], p.id)
	return nil
}

// compress returns the value to seal for the encoding enc: compressed when
// compression is on and it gains. A value that would decompress to more
// than MaxDecompressedSize is refused, since no reader would open it.
func (m *Manager[T]) compress(enc []byte) ([]byte, bool, error) {
	if !m.cfg.compress || len(enc) < compressMin {
		return enc, false, nil
	}
	if len(enc) > MaxDecompressedSize {
		return nil, false, tooLarge("the encoded session", len(enc), MaxDecompressedSize, enc)
	}
	if z := deflate(nil, enc); len(z) < len(enc) {
		return z, true, nil
	}
	return enc, false, nil
}

// sealedLen returns the length of the encoded value that seal returns.
func sealedLen(flashes []string, value []byte) int {
	return envelope.EncodedLen(envelope.Overhead + plaintextLen(flashes, value))
}

// seal returns s sealed under the primary key, bound to name, stamped as
// sealed at now, and encoded, with value (the codec's encoding, compressed
// if deflated) as its value. The caller has checked the size. s is not
// changed, but for a session ID drawn if it had none.
func (m *Manager[T]) seal(s *Session[T], value []byte, deflated bool, name string,
	now int64) (string, error) {
	if len(s.flashes) > maxFlashes {
		return "", fmt.Errorf("%w: %d flash messages, at most %d", ErrTooLarge,
			len(s.flashes), maxFlashes)
	}
	if err := s.ensureID(); err != nil {
		return "", err
	}
	buf := bufferPool.Get().(*buffers)
	defer bufferPool.Put(buf)
	if _, err := io.ReadFull(m.cfg.random, buf.nonce[:]); err != nil {
		return "", fmt.Errorf("cookiesession: drawing a nonce: %w", err)
	}
	key := m.keys.Load().Primary()
	// A session created up to the clock skew ahead of this server's clock
	// is sealed no earlier than its creation, which readers require.
	h := envelope.Header{Version: envelope.Version, KeyID: key.id, Created: s.created,
		Sealed: max(now, s.created), Expires: s.expires, Nonce: buf.nonce}

	b, text := buf.env[:envelope.HeaderSize], buf.text[:0]
	if n := envelope.Overhead + plaintextLen(s.flashes, value); n > cap(b) {
		b = make([]byte, envelope.HeaderSize, n)
		text = make([]byte, 0, envelope.EncodedLen(n))
	}
	b = appendPlaintext(b, s.id[:], s.flashes, value, deflated)
	env := envelope.Seal(key.aead, &h, name, b, &buf.aad)
	return string(envelope.Encode(text, env)), nil
}

// tooLarge describes a value that does not fit.
func tooLarge(what string, size, limit int, value []byte) error {
	return fmt.Errorf("%w: %s would be %d bytes, the limit is %d (the encoded session "+
		"is %d bytes; the envelope adds %d, then base64 a third)", ErrTooLarge, what, size,
		limit, len(value), envelope.Overhead+idSize+1)
}
