package cookiesession

import (
	"crypto/cipher"
	"io"
	"sync/atomic"

	"github.com/statelessgo/sessions/internal/envelope"
)

// WithRandom replaces crypto/rand, to make sealing deterministic or to
// make it fail.
func WithRandom(r io.Reader) Option { return func(c *config) { c.random = r } }

// AEADCounter counts the AEAD operations of the keys of a CountingKeyring.
type AEADCounter struct{ Seals, Opens atomic.Int64 }

type countingAEAD struct {
	cipher.AEAD
	c *AEADCounter
}

func (a countingAEAD) Seal(dst, nonce, plaintext, ad []byte) []byte {
	a.c.Seals.Add(1)
	return a.AEAD.Seal(dst, nonce, plaintext, ad)
}

func (a countingAEAD) Open(dst, nonce, ciphertext, ad []byte) ([]byte, error) {
	a.c.Opens.Add(1)
	return a.AEAD.Open(dst, nonce, ciphertext, ad)
}

// CountingKeyring returns a ring of keys whose AEAD operations c counts.
func CountingKeyring(c *AEADCounter, keys ...Key) *Keyring {
	counted := make([]Key, len(keys))
	for i, k := range keys {
		counted[i] = Key{id: k.id, aead: countingAEAD{k.aead, c}}
	}
	kr, err := NewKeyring(counted...)
	if err != nil {
		panic(err)
	}
	return kr
}

// Header is the clear header of a value, for tests.
type Header = envelope.Header

// PeekHeader reads the clear header of a value without a key.
func PeekHeader(value string) (Header, error) { return envelope.PeekHeader(value) }
