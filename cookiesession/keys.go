package cookiesession

import (
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/hkdf"

	"github.com/statelessgo/sessions/internal/xaes"
)

const (
	// MinKeySize is the smallest secret a [Key] accepts, in bytes. Secrets
	// must come from a CSPRNG: [GenerateKeyString] makes one.
	MinKeySize = 32

	// MaxKeys is the largest number of keys in a [Keyring]. A ring normally
	// holds two or three: the primary, the one before it, and one being
	// rolled out.
	MaxKeys = 8
)

// The HKDF-SHA256 info strings that derive a key's AEAD key and its key ID
// from its secret. Changing either changes every key ID and breaks every
// sealed value, so they are part of the format (see FORMAT.md).
const (
	infoAEADKey = "cookiesession v1 XAES-256-GCM key"
	infoKeyID   = "cookiesession v1 key ID"
)

// Key is one secret, ready to seal and open. Its key ID, derived from the
// secret with HKDF so that it reveals nothing about it, names the key on the
// wire. A Key never prints its secret: every fmt verb, String and GoString
// show the key ID only.
//
// The zero Key is not usable. A Key is safe for concurrent use.
type Key struct {
	id   uint32
	aead cipher.AEAD // XAES-256-GCM; tests substitute a counting one
}

// NewKey returns the key for secret, which must hold at least [MinKeySize]
// bytes from a CSPRNG. It refuses a short secret and one whose bytes are all
// the same (all zero, for one). NewKey does not keep secret.
func NewKey(secret []byte) (Key, error) {
	k, problem := newKey(secret)
	if problem != "" {
		return Key{}, errors.New("cookiesession: key " + problem)
	}
	return k, nil
}

// newKey returns the key for secret, or a phrase that says what is wrong
// with the secret without showing it.
func newKey(secret []byte) (Key, string) {
	if len(secret) < MinKeySize {
		return Key{}, fmt.Sprintf("is %d bytes; a key needs at least %d random bytes",
			len(secret), MinKeySize)
	}
	if allSame(secret) {
		return Key{}, "has all bytes the same; a key must be random"
	}

	var aeadKey [xaes.KeySize]byte
	var id [4]byte
	readHKDF(secret, infoAEADKey, aeadKey[:])
	readHKDF(secret, infoKeyID, id[:])
	aead, err := xaes.New(aeadKey[:])
	if err != nil {
		panic("cookiesession: " + err.Error()) // unreachable: the key is 32 bytes
	}
	return Key{id: binary.BigEndian.Uint32(id[:]), aead: aead}, ""
}

func readHKDF(secret []byte, info string, out []byte) {
	r := hkdf.New(sha256.New, secret, nil, []byte(info))
	if _, err := io.ReadFull(r, out); err != nil {
		panic("cookiesession: hkdf: " + err.Error()) // unreachable: out is short
	}
}

func allSame(b []byte) bool {
	for _, c := range b {
		if c != b[0] {
			return false
		}
	}
	return true
}

// ParseKey returns the key whose secret is encoded in s, in standard or
// URL-safe base64, with or without padding. Spaces around s are ignored.
// Errors say what is wrong and never contain s.
func ParseKey(s string) (Key, error) {
	k, problem := parseKey(s)
	if problem != "" {
		return Key{}, errors.New("cookiesession: key " + problem)
	}
	return k, nil
}

func parseKey(s string) (Key, string) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if s == "" {
		return Key{}, "is empty"
	}
	enc := base64.RawURLEncoding
	if strings.ContainsAny(s, "+/") {
		enc = base64.RawStdEncoding
	}
	secret, err := enc.Strict().DecodeString(s)
	if err != nil {
		return Key{}, "is not base64 (standard or URL-safe)"
	}
	return newKey(secret)
}

// GenerateKey returns a new random key. It suits tests and servers whose
// sessions need not survive a restart; a key that must be shared or kept is
// made with [GenerateKeyString] and read with [ParseKey].
func GenerateKey() Key {
	k, err := ParseKey(GenerateKeyString())
	if err != nil {
		panic("cookiesession: " + err.Error()) // unreachable
	}
	return k
}

// GenerateKeyString returns a new secret of 32 bytes from crypto/rand, in
// unpadded URL-safe base64: a value for COOKIESESSION_KEYS or for
// [ParseKey].
func GenerateKeyString() string {
	secret := make([]byte, 32)
	rand.Read(secret) // never fails: a failure of the system's CSPRNG is fatal
	return base64.RawURLEncoding.EncodeToString(secret)
}

// ID returns the key ID, the 4 bytes that name the key in every value it
// seals.
func (k Key) ID() uint32 { return k.id }

// String returns the key ID in hexadecimal, never the secret.
func (k Key) String() string {
	if k.aead == nil {
		return "cookiesession.Key(zero)"
	}
	return fmt.Sprintf("cookiesession.Key(%08x)", k.id)
}

// GoString is String, so that %#v does not print the key's fields.
func (k Key) GoString() string { return k.String() }

// Format writes String for every verb, so that no fmt verb prints the
// key's fields.
func (k Key) Format(f fmt.State, verb rune) { io.WriteString(f, k.String()) }

// Keyring is an ordered list of keys: the first, the primary key, seals;
// every key opens what it sealed. A Keyring is immutable and safe for
// concurrent use.
type Keyring struct {
	keys []Key
}

// NewKeyring returns a ring of keys, the primary key first. It refuses an
// empty ring, more than [MaxKeys] keys, a zero Key and two keys with the
// same key ID (most likely one secret given twice).
func NewKeyring(keys ...Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("cookiesession: no keys")
	}
	if len(keys) > MaxKeys {
		return nil, fmt.Errorf("cookiesession: %d keys; a keyring holds at most %d",
			len(keys), MaxKeys)
	}
	for i, k := range keys {
		if k.aead == nil {
			return nil, fmt.Errorf("cookiesession: key %d of %d is the zero Key", i+1, len(keys))
		}
		for j := range i {
			if keys[j].id == k.id {
				return nil, fmt.Errorf("cookiesession: key %d of %d has the same key ID "+
					"as key %d (the same secret twice?)", i+1, len(keys), j+1)
			}
		}
	}
	return &Keyring{keys: append([]Key(nil), keys...)}, nil
}

// ParseKeyring parses a comma-separated list of secrets, newest first, each
// as [ParseKey] reads it: the format of the COOKIESESSION_KEYS variable.
// An error names the position of the bad key and what is wrong with it, and
// never contains key material.
func ParseKeyring(s string) (*Keyring, error) {
	parts := strings.Split(s, ",")
	if len(parts) > MaxKeys {
		return nil, fmt.Errorf("cookiesession: %d keys; a keyring holds at most %d",
			len(parts), MaxKeys)
	}
	keys := make([]Key, len(parts))
	for i, p := range parts {
		k, problem := parseKey(p)
		if problem != "" {
			return nil, fmt.Errorf("cookiesession: key %d of %d %s", i+1, len(parts), problem)
		}
		keys[i] = k
	}
	return NewKeyring(keys...)
}

// Primary returns the key that seals.
func (kr *Keyring) Primary() Key { return kr.keys[0] }

// Keys returns the keys of the ring, the primary first.
func (kr *Keyring) Keys() []Key { return append([]Key(nil), kr.keys...) }

// lookup returns the key with key ID id and its position in the ring.
func (kr *Keyring) lookup(id uint32) (Key, int, bool) {
	for i, k := range kr.keys {
		if k.id == id {
			return k, i, true
		}
	}
	return Key{}, 0, false
}

// String lists the key IDs of the ring, the primary first.
func (kr *Keyring) String() string {
	ids := make([]string, len(kr.keys))
	for i, k := range kr.keys {
		ids[i] = fmt.Sprintf("%08x", k.id)
	}
	return "cookiesession.Keyring(" + strings.Join(ids, ",") + ")"
}

// GoString is String.
func (kr *Keyring) GoString() string { return kr.String() }

// Format writes String for every verb.
func (kr *Keyring) Format(f fmt.State, verb rune) { io.WriteString(f, kr.String()) }
