// Package xaes implements XAES-256-GCM, as specified at c2sp.org/XAES-256-GCM.
//
// XAES-256-GCM is AES-256-GCM under a key derived, for every message, from
// the 256-bit key and the first 12 bytes of a 24-byte nonce, with the
// NIST SP 800-108r1 counter-mode KDF on AES-256-CMAC. The last 12 bytes of the
// nonce are the GCM nonce. With 192 random bits of nonce, one key can seal
// about 2^80 messages before a nonce collision becomes likely (probability
// 2^-32), where plain AES-GCM with random 96-bit nonces is limited to 2^32.
// That is why a fleet of servers that cannot count its seals can use it.
//
// It is neither key-committing nor nonce-misuse resistant: a repeated nonce
// under one key loses confidentiality and integrity for those messages, as in
// AES-GCM. Nonces must come from crypto/rand.
package xaes

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"errors"
	"sync"
)

const (
	// KeySize is the size of an XAES-256-GCM key, in bytes.
	KeySize = 32
	// NonceSize is the size of an XAES-256-GCM nonce, in bytes.
	NonceSize = 24
	// Overhead is the size of the GCM tag appended to every ciphertext, in bytes.
	Overhead = 16
)

var errOpen = errors.New("xaes: message authentication failed")

// AEAD is XAES-256-GCM under one key. It implements [cipher.AEAD] and is safe
// for concurrent use.
type AEAD struct {
	block cipher.Block // AES-256 under the key, for the key derivation
	k1    [aes.BlockSize]byte
}

// New returns XAES-256-GCM under key, which must be [KeySize] bytes.
//
// The CMAC subkey K1 depends on the key alone, so it is computed here once
// and not for every message.
func New(key []byte) (*AEAD, error) {
	if len(key) != KeySize {
		return nil, errors.New("xaes: key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}

	a := &AEAD{block: block}
	var l [aes.BlockSize]byte
	block.Encrypt(l[:], l[:])
	msb := l[0] >> 7
	for i := 0; i < len(l)-1; i++ {
		a.k1[i] = l[i]<<1 | l[i+1]>>7
	}
	a.k1[len(l)-1] = l[len(l)-1]<<1 ^ msb*0x87
	return a, nil
}

// NonceSize returns [NonceSize].
func (*AEAD) NonceSize() int { return NonceSize }

// Overhead returns [Overhead].
func (*AEAD) Overhead() int { return Overhead }

// Seal encrypts and authenticates plaintext and additionalData under nonce,
// and appends the result to dst, as [cipher.AEAD.Seal] does. It panics if
// nonce is not [NonceSize] bytes.
func (a *AEAD) Seal(dst, nonce, plaintext, additionalData []byte) []byte {
	if len(nonce) != NonceSize {
		panic("xaes: nonce must be 24 bytes")
	}
	return a.derive(nonce).Seal(dst, nonce[12:], plaintext, additionalData)
}

// Open authenticates and decrypts ciphertext and additionalData under nonce,
// and appends the plaintext to dst, as [cipher.AEAD.Open] does. Every failure
// returns the same error. It panics if nonce is not [NonceSize] bytes.
func (a *AEAD) Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error) {
	if len(nonce) != NonceSize {
		panic("xaes: nonce must be 24 bytes")
	}
	out, err := a.derive(nonce).Open(dst, nonce[12:], ciphertext, additionalData)
	if err != nil {
		return nil, errOpen
	}
	return out, nil
}

// scratch holds the blocks of one key derivation. Passed to
// cipher.Block.Encrypt, an interface method, stack arrays would escape to
// the heap on every message; a pool reuses them.
type scratch struct{ m, key [KeySize]byte }

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// derive returns AES-256-GCM under the key for this nonce.
func (a *AEAD) derive(nonce []byte) cipher.AEAD {
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	a.deriveKeyInto(sc, nonce)
	block, err := aes.NewCipher(sc.key[:])
	if err != nil {
		panic("xaes: " + err.Error()) // unreachable: the key is 32 bytes
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		panic("xaes: " + err.Error()) // unreachable: AES has 16-byte blocks
	}
	return gcm
}

// deriveKeyInto writes the message key for a nonce into sc.key:
//
//	Kx = AES(K, M1 xor K1) || AES(K, M2 xor K1)
//	Mi = 0x00 || i || "X" || 0x00 || nonce[:12]
//
// A single-block CMAC of a full block is one AES call on the block xor K1.
func (a *AEAD) deriveKeyInto(sc *scratch, nonce []byte) {
	m := &sc.m
	*m = [KeySize]byte{1: 1, 2: 'X', 17: 2, 18: 'X'}
	copy(m[4:16], nonce[:12])
	copy(m[20:32], nonce[:12])
	subtle.XORBytes(m[:16], m[:16], a.k1[:])
	subtle.XORBytes(m[16:], m[16:], a.k1[:])
	a.block.Encrypt(sc.key[:16], m[:16])
	a.block.Encrypt(sc.key[16:], m[16:])
}
