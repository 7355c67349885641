package bench

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/gorilla/securecookie"
	"github.com/statelessgo/sessions/cookiesession"
)

// A codecVariant seals one session into a cookie value and opens it again,
// with one library. make returns the round trip, which gives back the
// user ID that it read from the opened value.
type codecVariant struct {
	name string
	make func(tb testing.TB) func() (int64, error)
}

// codecVariants returns the variants of BenchmarkCodec for the session p,
// in the order of the report.
func codecVariants[T any, P payload[T]](p T) []codecVariant {
	return []codecVariant{
		{"floor", floorJSON[T, P](p)},
		{"cookiesession", cookiesessionCodec[T, P](p, cookiesession.JSONCodec{})},
		{"cookiesession-jsonv2", cookiesessionCodec[T, P](p, JSONv2Codec{})},
		{"securecookie-gob", securecookieCodec[T, P](p, securecookie.GobEncoder{})},
		{"securecookie-json", securecookieCodec[T, P](p, securecookie.JSONEncoder{})},
	}
}

// sizedCodecVariants are the variants for each session size.
func sizedCodecVariants() map[string][]codecVariant {
	return map[string][]codecVariant{
		"small": codecVariants(SmallPayload()),
		"large": codecVariants(LargePayload()),
	}
}

// sizeNames orders the session sizes.
var sizeNames = []string{"small", "large"}

// BenchmarkCodec measures one seal and one open of a session, with no HTTP
// around them.
func BenchmarkCodec(b *testing.B) {
	variants := sizedCodecVariants()
	for _, size := range sizeNames {
		for _, v := range variants[size] {
			b.Run(size+"/"+v.name, func(b *testing.B) {
				roundTrip := v.make(b)
				b.ReportAllocs()
				cpu := startCPU()
				for b.Loop() {
					if id, err := roundTrip(); err != nil || id != UserID {
						b.Fatalf("round trip = %d, %v; want %d", id, err, UserID)
					}
				}
				cpu.report(b)
			})
		}
	}
}

// TestCodecRoundTrip checks that every codec variant gives back the user ID
// that it sealed.
func TestCodecRoundTrip(t *testing.T) {
	variants := sizedCodecVariants()
	for _, size := range sizeNames {
		for _, v := range variants[size] {
			t.Run(size+"/"+v.name, func(t *testing.T) {
				roundTrip := v.make(t)
				for range 3 { // buffers are reused: more than once
					if id, err := roundTrip(); err != nil || id != UserID {
						t.Fatalf("round trip = %d, %v; want %d, nil", id, err, UserID)
					}
				}
			})
		}
	}
}

// TestJSONv2Output checks that JSONv2Codec writes what encoding/json
// writes for the benchmark sessions, so that both seal the same bytes.
func TestJSONv2Output(t *testing.T) {
	for name, p := range map[string]any{"small": SmallPayload(), "large": LargePayload()} {
		v1, _ := json.Marshal(p)
		v2, err := JSONv2Codec{}.Marshal(p)
		if err != nil || string(v1) != string(v2) {
			t.Errorf("%s: JSONv2Codec.Marshal = %s, %v; want %s", name, v2, err, v1)
		}
	}
}

// floorCipher is the least that any sealed-JSON cookie must do:
// AES-256-GCM under a fixed key with a random 96-bit nonce, and one base64
// pass, with the cipher and the buffers made once.
type floorCipher struct {
	aead  cipher.AEAD
	env   []byte // nonce || ciphertext || tag
	value []byte // the base64 of env
	open  []byte // env again, decoded from value
}

func newFloorCipher(tb testing.TB) *floorCipher {
	block, err := aes.NewCipher(randomBytes(32))
	if err != nil {
		tb.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		tb.Fatal(err)
	}
	return &floorCipher{aead: aead, env: make([]byte, 0, 8192),
		value: make([]byte, 0, 8192), open: make([]byte, 0, 8192)}
}

// seal encrypts plaintext into f.value.
func (f *floorCipher) seal(plaintext []byte) {
	nonce := f.env[:f.aead.NonceSize()]
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails
	f.env = f.aead.Seal(nonce, nonce, plaintext, nil)
	f.value = base64.RawURLEncoding.AppendEncode(f.value[:0], f.env)
}

// unseal decodes and decrypts f.value. The plaintext shares f.open.
func (f *floorCipher) unseal() ([]byte, error) {
	env, err := base64.RawURLEncoding.AppendDecode(f.open[:0], f.value)
	if err != nil {
		return nil, err
	}
	f.open = env
	n := f.aead.NonceSize()
	if len(env) < n {
		return nil, fmt.Errorf("floor: envelope of %d bytes", len(env))
	}
	return f.aead.Open(env[n:n], env[:n], env[n:], nil)
}

// floorJSON is the floor of BenchmarkCodec: json.Marshal, seal, base64;
// then base64 decode, open, json.Unmarshal into a new value.
func floorJSON[T any, P payload[T]](p T) func(testing.TB) func() (int64, error) {
	return func(tb testing.TB) func() (int64, error) {
		f := newFloorCipher(tb)
		return func() (int64, error) {
			enc, err := json.Marshal(&p)
			if err != nil {
				return 0, err
			}
			f.seal(enc)
			pt, err := f.unseal()
			if err != nil {
				return 0, err
			}
			var out T
			err = json.Unmarshal(pt, &out)
			return P(&out).userID(), err
		}
	}
}

// cookiesessionCodec seals with Manager.Token and opens with
// Manager.OpenToken: the cookie's envelope, bound to the token purpose.
func cookiesessionCodec[T any, P payload[T]](p T, codec cookiesession.Codec) func(
	testing.TB) func() (int64, error) {
	return func(tb testing.TB) func() (int64, error) {
		m := newManager[T](tb, cookiesession.WithBearerTokens(),
			cookiesession.WithCodec(codec))
		s := m.NewSession()
		s.Set(p)
		return func() (int64, error) {
			token, err := m.Token(s)
			if err != nil {
				return 0, err
			}
			opened, err := m.OpenToken(token)
			if err != nil {
				return 0, err
			}
			v := opened.Value()
			return P(&v).userID(), nil
		}
	}
}

// securecookieCodec encodes and decodes with gorilla/securecookie, with
// 32-byte hash and block keys, as gorilla/sessions uses it. Its length
// limit is lifted: the large session in JSON makes a value of 4.7 KB, over
// the default 4096 bytes, whose cost is measured all the same (the size
// test reports that it does not fit).
func securecookieCodec[T any, P payload[T]](p T, ser securecookie.Serializer) func(
	testing.TB) func() (int64, error) {
	return func(testing.TB) func() (int64, error) {
		sc := securecookie.New(randomBytes(32), randomBytes(32)).
			SetSerializer(ser).MaxLength(0)
		return func() (int64, error) {
			value, err := sc.Encode(gorillaName, &p)
			if err != nil {
				return 0, err
			}
			var out T
			err = sc.Decode(gorillaName, value, &out)
			return P(&out).userID(), err
		}
	}
}

// A rawVariant seals bytes and opens them again; its round trip returns
// how many bytes it read back.
type rawVariant struct {
	name string
	make func(tb testing.TB) func(in []byte) (int, error)
}

var rawVariants = []rawVariant{
	{"floor", floorRaw},
	{"cookiesession", cookiesessionRaw},
}

// BenchmarkCodecNoJSON measures the framing alone: a seal and an open of
// the small session's JSON, as bytes that a pass-through codec hands on.
func BenchmarkCodecNoJSON(b *testing.B) {
	in, _ := json.Marshal(SmallPayload())
	for _, v := range rawVariants {
		b.Run("small/"+v.name, func(b *testing.B) {
			roundTrip := v.make(b)
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				if n, err := roundTrip(in); err != nil || n != len(in) {
					b.Fatalf("round trip = %d bytes, %v; want %d", n, err, len(in))
				}
			}
			cpu.report(b)
		})
	}
}

func TestCodecNoJSONRoundTrip(t *testing.T) {
	in, _ := json.Marshal(SmallPayload())
	for _, v := range rawVariants {
		t.Run(v.name, func(t *testing.T) {
			roundTrip := v.make(t)
			for range 3 {
				if n, err := roundTrip(in); err != nil || n != len(in) {
					t.Fatalf("round trip = %d bytes, %v; want %d", n, err, len(in))
				}
			}
		})
	}
}

func floorRaw(tb testing.TB) func([]byte) (int, error) {
	f := newFloorCipher(tb)
	return func(in []byte) (int, error) {
		f.seal(in)
		pt, err := f.unseal()
		return len(pt), err
	}
}

func cookiesessionRaw(tb testing.TB) func([]byte) (int, error) {
	m := newManager[[]byte](tb, cookiesession.WithBearerTokens(),
		cookiesession.WithCodec(RawCodec{}))
	s := m.NewSession()
	return func(in []byte) (int, error) {
		s.Set(in)
		token, err := m.Token(s)
		if err != nil {
			return 0, err
		}
		opened, err := m.OpenToken(token)
		if err != nil {
			return 0, err
		}
		return len(opened.Value()), nil
	}
}
