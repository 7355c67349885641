package xaes

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha3"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
)

// vector is one known-answer vector from testdata/xaes-256-gcm.txt, a copy
// of the vectors published with the specification at c2sp.org/XAES-256-GCM.
type vector struct {
	name   string
	fields map[string][]byte
}

// readVectors parses the vector file: "## name" starts a vector, "F: value"
// sets a field, where a value is hex or a quoted ASCII string, and
// "N iterations: hex" gives an accumulated digest.
func readVectors(t *testing.T) (vectors []vector, accumulated map[int][]byte) {
	t.Helper()
	f, err := os.Open("testdata/xaes-256-gcm.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	accumulated = make(map[int][]byte)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "## Vector"); ok {
			vectors = append(vectors, vector{name: strings.TrimSpace(name), fields: map[string][]byte{}})
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		value = strings.TrimSpace(value)
		if n, ok := strings.CutSuffix(key, " iterations"); ok {
			iterations, err := strconv.Atoi(n)
			if err != nil {
				t.Fatalf("bad line %q", line)
			}
			accumulated[iterations] = decodeValue(t, value)
			continue
		}
		if len(vectors) > 0 {
			vectors[len(vectors)-1].fields[key] = decodeValue(t, value)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return vectors, accumulated
}

func decodeValue(t *testing.T, v string) []byte {
	t.Helper()
	if s, ok := strings.CutPrefix(v, `"`); ok {
		return []byte(strings.TrimSuffix(s, `"`))
	}
	b, err := hex.DecodeString(v)
	if err != nil {
		t.Fatalf("bad hex %q: %v", v, err)
	}
	return b
}

func TestVectors(t *testing.T) {
	vectors, _ := readVectors(t)
	if len(vectors) != 2 {
		t.Fatalf("read %d vectors, want 2", len(vectors))
	}
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			f := v.fields
			a, err := New(f["K"])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.k1[:], f["K1"]) {
				t.Errorf("K1 = %x, want %x", a.k1, f["K1"])
			}
			var sc scratch
			if a.deriveKeyInto(&sc, f["N"]); !bytes.Equal(sc.key[:], f["Kx"]) {
				t.Errorf("Kx = %x, want %x", sc.key, f["Kx"])
			}

			got := a.Seal(nil, f["N"], f["Plaintext"], f["AAD"])
			if !bytes.Equal(got, f["Ciphertext"]) {
				t.Fatalf("Seal = %x, want %x", got, f["Ciphertext"])
			}
			pt, err := a.Open(nil, f["N"], got, f["AAD"])
			if err != nil || !bytes.Equal(pt, f["Plaintext"]) {
				t.Fatalf("Open = %q, %v, want %q", pt, err, f["Plaintext"])
			}
		})
	}
}

// TestAccumulated runs the randomized accumulated test from the
// specification: 10,000 iterations always, 1,000,000 when not -short and
// not under the race detector (where it takes minutes).
func TestAccumulated(t *testing.T) {
	_, accumulated := readVectors(t)
	for _, n := range []int{10_000, 1_000_000} {
		want, ok := accumulated[n]
		if !ok {
			t.Fatalf("no digest for %d iterations in the vector file", n)
		}
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			if n > 10_000 && (testing.Short() || raceEnabled) {
				t.Skip("long accumulated vector skipped under -short and -race")
			}
			if got := accumulate(n); !bytes.Equal(got, want) {
				t.Errorf("digest after %d iterations = %x, want %x", n, got, want)
			}
		})
	}
}

func accumulate(iterations int) []byte {
	source, sink := sha3.NewSHAKE128(), sha3.NewSHAKE128()
	key := make([]byte, KeySize)
	nonce := make([]byte, NonceSize)
	var length [1]byte
	plaintext, aad := make([]byte, 256), make([]byte, 256)
	var out []byte

	for range iterations {
		source.Read(key)
		source.Read(nonce)
		source.Read(length[:])
		pt := plaintext[:length[0]]
		source.Read(pt)
		source.Read(length[:])
		ad := aad[:length[0]]
		source.Read(ad)

		a, err := New(key)
		if err != nil {
			panic(err)
		}
		out = a.Seal(out[:0], nonce, pt, ad)
		sink.Write(out)
	}
	digest := make([]byte, 32)
	sink.Read(digest)
	return digest
}

func TestOpenRefusesTampering(t *testing.T) {
	a, err := New(bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	nonce := bytes.Repeat([]byte{9}, NonceSize)
	sealed := a.Seal(nil, nonce, []byte("hello, world"), []byte("aad"))

	for i := range sealed {
		c := bytes.Clone(sealed)
		c[i] ^= 0x01
		if _, err := a.Open(nil, nonce, c, []byte("aad")); err == nil {
			t.Errorf("Open accepted a flip of byte %d", i)
		}
	}
	for i := range nonce {
		n := bytes.Clone(nonce)
		n[i] ^= 0x80
		if _, err := a.Open(nil, n, sealed, []byte("aad")); err == nil {
			t.Errorf("Open accepted a flip of nonce byte %d", i)
		}
	}
	if _, err := a.Open(nil, nonce, sealed, []byte("aae")); err == nil {
		t.Error("Open accepted other additional data")
	}
	if _, err := a.Open(nil, nonce, sealed[:Overhead-1], nil); err == nil {
		t.Error("Open accepted a ciphertext shorter than the tag")
	}
}

func TestMisuse(t *testing.T) {
	if _, err := New(make([]byte, 16)); err == nil {
		t.Error("New accepted a 16-byte key")
	}
	a, _ := New(make([]byte, KeySize))
	if a.NonceSize() != NonceSize || a.Overhead() != Overhead {
		t.Errorf("NonceSize, Overhead = %d, %d", a.NonceSize(), a.Overhead())
	}
	for name, f := range map[string]func(){
		"Seal": func() { a.Seal(nil, make([]byte, 12), nil, nil) },
		"Open": func() { a.Open(nil, make([]byte, 12), make([]byte, 16), nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s with a 12-byte nonce did not panic", name)
				}
			}()
			f()
		}()
	}
}

// BenchmarkSeal220 seals 220 bytes; BenchmarkOpen220 opens them;
// BenchmarkAESGCMSeal220 is plain AES-256-GCM under a fixed key, for
// comparison: the difference is the per-message key derivation.
func BenchmarkSeal220(b *testing.B) {
	a, _ := New(make([]byte, KeySize))
	nonce := make([]byte, NonceSize)
	pt := make([]byte, 220)
	out := make([]byte, 0, 256)
	b.SetBytes(int64(len(pt)))
	b.ReportAllocs()
	for b.Loop() {
		out = a.Seal(out[:0], nonce, pt, nil)
	}
}

func BenchmarkOpen220(b *testing.B) {
	a, _ := New(make([]byte, KeySize))
	nonce := make([]byte, NonceSize)
	sealed := a.Seal(nil, nonce, make([]byte, 220), nil)
	out := make([]byte, 0, 256)
	b.SetBytes(220)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Open(out[:0], nonce, sealed, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAESGCMSeal220(b *testing.B) {
	block, _ := aes.NewCipher(make([]byte, KeySize))
	gcm, _ := cipher.NewGCM(block)
	nonce := make([]byte, gcm.NonceSize())
	pt := make([]byte, 220)
	out := make([]byte, 0, 256)
	b.SetBytes(int64(len(pt)))
	b.ReportAllocs()
	for b.Loop() {
		out = gcm.Seal(out[:0], nonce, pt, nil)
	}
}
