// Package envelope implements the v1 wire format of cookiesession: a clear
// but authenticated header, then the plaintext sealed with XAES-256-GCM.
//
//	envelope = header || ciphertext || tag(16)
//	header   = version(1) = 0x01
//	        || keyID(4)              big-endian
//	        || created(8)            unix seconds, big-endian
//	        || sealed(8)             unix seconds, big-endian
//	        || expires(8)            unix seconds, big-endian
//	        || nonce(24)             from crypto/rand
//	AAD      = header || len(name) as one byte || name
//
// A cookie value is the envelope in unpadded URL-safe base64 (RFC 4648 §5),
// decoded strictly: a value with padding, other characters or non-zero
// trailing bits is refused, so that one envelope has exactly one encoding.
//
// The package knows nothing of keys, clocks or sessions: it lays out bytes
// and calls the AEAD it is given.
package envelope

import (
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
)

const (
	// Version is the format version this package writes and reads.
	Version = 0x01
	// NonceSize is the size of the nonce in the header, in bytes.
	NonceSize = 24
	// HeaderSize is the size of the header, in bytes.
	HeaderSize = 1 + 4 + 8 + 8 + 8 + NonceSize
	// TagSize is the size of the authentication tag, in bytes.
	TagSize = 16
	// Overhead is what an envelope adds to its plaintext, in bytes.
	Overhead = HeaderSize + TagSize
	// MaxNameLen is the longest name that can be bound into the AAD, in bytes.
	MaxNameLen = 255
	// MaxAADSize is the size of the largest AAD, in bytes: the scratch
	// space that Seal and Open need.
	MaxAADSize = HeaderSize + 1 + MaxNameLen
)

// Errors returned for values that cannot be opened. ErrAuth is the only
// outcome of authentication: it does not say what was wrong.
var (
	ErrMalformed = errors.New("envelope: malformed value")
	ErrVersion   = errors.New("envelope: unknown format version")
	ErrAuth      = errors.New("envelope: message authentication failed")
)

// encoding is unpadded URL-safe base64 that refuses non-canonical input.
var encoding = base64.RawURLEncoding.Strict()

// Header is the clear part of an envelope.
type Header struct {
	Version byte
	KeyID   uint32
	Created int64 // unix seconds: the session started
	Sealed  int64 // unix seconds: this envelope was sealed
	Expires int64 // unix seconds: the absolute deadline
	Nonce   [NonceSize]byte
}

// put writes h into b, which is at least HeaderSize bytes.
func (h *Header) put(b []byte) {
	b[0] = h.Version
	binary.BigEndian.PutUint32(b[1:5], h.KeyID)
	binary.BigEndian.PutUint64(b[5:13], uint64(h.Created))
	binary.BigEndian.PutUint64(b[13:21], uint64(h.Sealed))
	binary.BigEndian.PutUint64(b[21:29], uint64(h.Expires))
	copy(b[29:HeaderSize], h.Nonce[:])
}

// ParseHeader reads the header of a decoded envelope. It refuses an envelope
// too short to hold a header and a tag, and an unknown version.
func ParseHeader(env []byte) (Header, error) {
	if len(env) < Overhead {
		return Header{}, ErrMalformed
	}
	return parseHeader(env)
}

// parseHeader reads a header from b, which is at least HeaderSize bytes.
func parseHeader(env []byte) (Header, error) {
	if env[0] != Version {
		return Header{}, ErrVersion
	}
	h := Header{
		Version: env[0],
		KeyID:   binary.BigEndian.Uint32(env[1:5]),
		Created: int64(binary.BigEndian.Uint64(env[5:13])),
		Sealed:  int64(binary.BigEndian.Uint64(env[13:21])),
		Expires: int64(binary.BigEndian.Uint64(env[21:29])),
	}
	copy(h.Nonce[:], env[29:HeaderSize])
	return h, nil
}

// headerChars is the number of base64 characters that hold the header:
// 72 characters are 18 whole groups, 54 bytes.
const headerChars = (HeaderSize + 2) / 3 * 4

// PeekHeader reads the header of an encoded value without decoding the rest
// of it, so that a value under an unknown key or past its deadline can be
// refused for the cost of 72 characters of base64. It does not check the
// characters after the header: [Decode] does.
func PeekHeader(value string) (Header, error) {
	if len(value) < EncodedLen(Overhead) {
		return Header{}, ErrMalformed
	}
	var buf [headerChars / 4 * 3]byte
	n, err := encoding.Decode(buf[:], []byte(value[:headerChars]))
	if err != nil || n != len(buf) {
		return Header{}, ErrMalformed
	}
	return parseHeader(buf[:])
}

// EncodedLen returns the length of the encoded value of an envelope of n
// bytes.
func EncodedLen(n int) int { return base64.RawURLEncoding.EncodedLen(n) }

// DecodedLen returns the largest envelope that a value of n characters can
// hold.
func DecodedLen(n int) int { return base64.RawURLEncoding.DecodedLen(n) }

// Encode appends the encoded value of env to dst.
func Encode(dst, env []byte) []byte { return encoding.AppendEncode(dst, env) }

// Decode appends the envelope encoded in value to dst. It refuses padding,
// characters outside the URL-safe alphabet and non-canonical encodings. It
// also refuses the line breaks that encoding/base64 skips even in strict
// mode: every character of value must carry data, so that an envelope has
// exactly one encoding.
func Decode(dst []byte, value string) ([]byte, error) {
	if strings.IndexByte(value, '\r') >= 0 || strings.IndexByte(value, '\n') >= 0 {
		return nil, ErrMalformed
	}
	out, err := encoding.AppendDecode(dst, []byte(value))
	if err != nil {
		return nil, ErrMalformed
	}
	return out, nil
}

// Seal encrypts in place. b holds HeaderSize bytes of room followed by the
// plaintext; Seal writes h into the room, seals the plaintext under the AAD
// made of the header and name, and returns the envelope, which extends b by
// TagSize bytes (reallocating only if b lacks the capacity). scratch, of
// MaxAADSize bytes, holds the AAD: the caller provides it so that it need
// not be allocated.
//
// Seal panics if name is longer than MaxNameLen or b is shorter than the
// header: both are programming errors.
func Seal(a cipher.AEAD, h *Header, name string, b []byte, scratch *[MaxAADSize]byte) []byte {
	if len(b) < HeaderSize {
		panic("envelope: Seal needs HeaderSize bytes of room")
	}
	h.put(b)
	ad := additionalData(scratch[:0], b[:HeaderSize], name)
	return a.Seal(b[:HeaderSize], b[HeaderSize-NonceSize:HeaderSize], b[HeaderSize:], ad)
}

// Open authenticates a decoded envelope under name and decrypts it in place.
// The plaintext it returns shares env's memory. Every authentication failure
// is ErrAuth; the header is not checked here beyond its length and version
// (the caller has chosen the key from it and checked its times). scratch is
// as for Seal.
func Open(a cipher.AEAD, env []byte, name string, scratch *[MaxAADSize]byte) ([]byte, error) {
	if _, err := ParseHeader(env); err != nil {
		return nil, err
	}
	ad := additionalData(scratch[:0], env[:HeaderSize], name)
	nonce := env[HeaderSize-NonceSize : HeaderSize]
	pt, err := a.Open(env[HeaderSize:HeaderSize], nonce, env[HeaderSize:], ad)
	if err != nil {
		return nil, ErrAuth
	}
	return pt, nil
}

// additionalData appends header || len(name) || name to dst.
func additionalData(dst, header []byte, name string) []byte {
	if len(name) > MaxNameLen {
		panic("envelope: name longer than 255 bytes")
	}
	dst = append(dst, header...)
	dst = append(dst, byte(len(name)))
	return append(dst, name...)
}
