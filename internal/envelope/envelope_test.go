package envelope

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/statelessgo/sessions/internal/xaes"
)

func testAEAD(t testing.TB) *xaes.AEAD {
	t.Helper()
	a, err := xaes.New(bytes.Repeat([]byte{0x42}, xaes.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func testHeader() Header {
	h := Header{Version: Version, KeyID: 0xdeadbeef, Created: 1_700_000_000,
		Sealed: 1_700_000_060, Expires: 1_700_043_200}
	for i := range h.Nonce {
		h.Nonce[i] = byte(i)
	}
	return h
}

func seal(t testing.TB, name, plaintext string) []byte {
	t.Helper()
	h := testHeader()
	b := append(make([]byte, HeaderSize), plaintext...)
	return Seal(testAEAD(t), &h, name, b, scratch())
}

func TestRoundTrip(t *testing.T) {
	for _, pt := range []string{"", "x", strings.Repeat("session data ", 200)} {
		env := seal(t, "__Host-session", pt)
		if len(env) != Overhead+len(pt) {
			t.Fatalf("len(envelope) = %d, want %d", len(env), Overhead+len(pt))
		}
		h, err := ParseHeader(env)
		if err != nil || h != testHeader() {
			t.Fatalf("ParseHeader = %+v, %v, want %+v", h, err, testHeader())
		}

		value := string(Encode(nil, env))
		if len(value) != EncodedLen(len(env)) {
			t.Errorf("len(value) = %d, want %d", len(value), EncodedLen(len(env)))
		}
		peeked, err := PeekHeader(value)
		if err != nil || peeked != h {
			t.Errorf("PeekHeader = %+v, %v, want %+v", peeked, err, h)
		}
		decoded, err := Decode(nil, value)
		if err != nil || !bytes.Equal(decoded, env) {
			t.Fatalf("Decode = %x, %v", decoded, err)
		}

		got, err := Open(testAEAD(t), decoded, "__Host-session", scratch())
		if err != nil || string(got) != pt {
			t.Fatalf("Open = %q, %v, want %q", got, err, pt)
		}
	}
}

// TestFlipEveryByte flips each bit of each byte of an envelope: header,
// nonce, ciphertext and tag. Nothing may open.
func TestFlipEveryByte(t *testing.T) {
	env := seal(t, "s", "a small session value")
	a := testAEAD(t)
	for i := range env {
		for bit := range 8 {
			c := bytes.Clone(env)
			c[i] ^= 1 << bit
			_, err := Open(a, c, "s", scratch())
			want := ErrAuth
			if i == 0 {
				want = ErrVersion
			}
			if !errors.Is(err, want) {
				t.Fatalf("Open(flip byte %d bit %d) = %v, want %v", i, bit, err, want)
			}
		}
	}
}

func TestTruncationAndExtension(t *testing.T) {
	env := seal(t, "s", "a small session value")
	a := testAEAD(t)
	for n := range len(env) {
		if _, err := Open(a, bytes.Clone(env[:n]), "s", scratch()); err == nil {
			t.Fatalf("Open accepted the first %d of %d bytes", n, len(env))
		}
	}
	if _, err := Open(a, append(bytes.Clone(env), 0), "s", scratch()); !errors.Is(err, ErrAuth) {
		t.Errorf("Open(extended) = %v, want ErrAuth", err)
	}
}

func TestNameIsBound(t *testing.T) {
	env := seal(t, "__Host-session", "v")
	for _, name := range []string{"", "__Host-session2", "__host-session", "session", "flash"} {
		if _, err := Open(testAEAD(t), bytes.Clone(env), name, scratch()); !errors.Is(err, ErrAuth) {
			t.Errorf("Open under name %q = %v, want ErrAuth", name, err)
		}
	}
}

func TestVersions(t *testing.T) {
	env := seal(t, "s", "v")
	for _, v := range []byte{0x00, 0x02, 0x7f, 0xff} {
		c := bytes.Clone(env)
		c[0] = v
		if _, err := ParseHeader(c); !errors.Is(err, ErrVersion) {
			t.Errorf("ParseHeader(version %#x) = %v, want ErrVersion", v, err)
		}
		if _, err := PeekHeader(string(Encode(nil, c))); !errors.Is(err, ErrVersion) {
			t.Errorf("PeekHeader(version %#x) = %v, want ErrVersion", v, err)
		}
	}
}

func TestDecodeIsStrict(t *testing.T) {
	value := string(Encode(nil, seal(t, "s", "ab"))) // 71 bytes: 95 characters
	if len(value)%4 == 0 {
		t.Fatalf("test needs a value with a partial last group, got %d characters", len(value))
	}
	last := value[len(value)-1]
	sibling := string(rune(last + 1)) // same 6-bit prefix, other trailing bits
	cases := map[string]string{
		"padding":          value + "=",
		"standard +":       "+" + value[1:],
		"standard /":       "/" + value[1:],
		"space":            value[:10] + " " + value[11:],
		"newline":          value[:10] + "\n" + value[11:],
		"percent":          "%2B" + value[3:],
		"non-canonical":    value[:len(value)-1] + sibling,
		"impossible count": value + "AA",
		"quote":            `"` + value[1:],
	}
	for name, v := range cases {
		if _, err := Decode(nil, v); !errors.Is(err, ErrMalformed) {
			t.Errorf("Decode(%s) = %v, want ErrMalformed", name, err)
		}
	}
}

func TestPeekHeaderShortOrBad(t *testing.T) {
	value := string(Encode(nil, seal(t, "s", "")))
	for n := range len(value) {
		if _, err := PeekHeader(value[:n]); err == nil {
			t.Fatalf("PeekHeader accepted %d of %d characters", n, len(value))
		}
	}
	bad := "!" + value[1:]
	if _, err := PeekHeader(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("PeekHeader(bad character) = %v, want ErrMalformed", err)
	}
}

func TestSealPanicsOnMisuse(t *testing.T) {
	a := testAEAD(t)
	h := testHeader()
	for name, f := range map[string]func(){
		"long name": func() { Seal(a, &h, strings.Repeat("n", 256), make([]byte, HeaderSize), scratch()) },
		"no room":   func() { Seal(a, &h, "s", make([]byte, HeaderSize-1), scratch()) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Seal with %s did not panic", name)
				}
			}()
			f()
		}()
	}
}

// TestDecodeRefusesLineBreaks inserts the characters that encoding/base64
// skips even in strict mode.
func TestDecodeRefusesLineBreaks(t *testing.T) {
	value := string(Encode(nil, seal(t, "s", "a session")))
	for _, brk := range []string{"\r", "\n", "\r\n"} {
		for _, at := range []int{0, 10, 72, len(value) - 1, len(value)} {
			v := value[:at] + brk + value[at:]
			if _, err := Decode(nil, v); !errors.Is(err, ErrMalformed) {
				t.Errorf("Decode(%q at %d) = %v, want ErrMalformed", brk, at, err)
			}
			if at < 72 {
				if _, err := PeekHeader(v); !errors.Is(err, ErrMalformed) {
					t.Errorf("PeekHeader(%q at %d) = %v, want ErrMalformed", brk, at, err)
				}
			}
		}
	}
}

// scratch returns scratch space for the AAD.
func scratch() *[MaxAADSize]byte { return new([MaxAADSize]byte) }
