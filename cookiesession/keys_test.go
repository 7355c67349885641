package cookiesession_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/statelessgo/sessions/cookiesession"
)

func b64(enc *base64.Encoding, b []byte) string { return enc.EncodeToString(b) }

func TestParseKeyringAccepts(t *testing.T) {
	secret := bytes.Repeat([]byte{0xfb, 0xff, 0x3e, 0x01}, 8) // has + and / in standard base64
	want, err := cookiesession.NewKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	other := cookiesession.GenerateKeyString()
	for name, s := range map[string]string{
		"standard padded":  b64(base64.StdEncoding, secret),
		"standard raw":     b64(base64.RawStdEncoding, secret),
		"url padded":       b64(base64.URLEncoding, secret),
		"url raw":          b64(base64.RawURLEncoding, secret),
		"spaces":           "  " + b64(base64.StdEncoding, secret) + "\n",
		"two keys":         b64(base64.StdEncoding, secret) + "," + other,
		"two keys, spaces": b64(base64.StdEncoding, secret) + " , " + other,
		"64-byte key":      b64(base64.StdEncoding, append(bytes.Clone(secret), secret[1:]...)),
	} {
		t.Run(name, func(t *testing.T) {
			kr, err := cookiesession.ParseKeyring(s)
			if err != nil {
				t.Fatalf("ParseKeyring = %v", err)
			}
			if name != "64-byte key" && kr.Primary().ID() != want.ID() {
				t.Errorf("primary key ID = %08x, want %08x", kr.Primary().ID(), want.ID())
			}
		})
	}
}

func TestParseKeyringRefuses(t *testing.T) {
	good := cookiesession.GenerateKeyString()
	short := b64(base64.StdEncoding, bytes.Repeat([]byte{1, 2}, 8))
	zero := b64(base64.StdEncoding, make([]byte, 32))
	same := b64(base64.StdEncoding, bytes.Repeat([]byte{0x5a}, 40))
	nine := strings.TrimSuffix(strings.Repeat(good+",", 9), ",")
	cases := []struct {
		name, keys, want string
		secrets          []string // must not appear in the error
	}{
		{"empty string", "", "key 1 of 1 is empty", nil},
		{"only spaces", "   ", "key 1 of 1 is empty", nil},
		{"empty second", good + ",", "key 2 of 2 is empty", []string{good}},
		{"empty middle", good + ",," + good, "key 2 of 3 is empty", []string{good}},
		{"short", short, "key 1 of 1 is 16 bytes; a key needs at least 32", []string{short}},
		{"short second", good + "," + short, "key 2 of 2 is 16 bytes", []string{good, short}},
		{"all zero", zero, "key 1 of 1 has all bytes the same", []string{zero}},
		{"one byte repeated", same, "has all bytes the same", []string{same}},
		{"not base64", "this is not base64 at all, is it?!", "key 1 of 2 is not base64", nil},
		{"mixed alphabets", good[:10] + "+-" + good[12:], "is not base64", nil},
		{"hex", strings.Repeat("0f", 32) + "zz", "is not base64", nil},
		{"inner padding", good[:20] + "=" + good[21:], "is not base64", nil},
		{"non-canonical", good[:42] + "B", "is not base64", nil},
		{"duplicate", good + "," + good, "key 2 of 2 has the same key ID as key 1", []string{good}},
		{"nine keys", nine, "9 keys; a keyring holds at most 8", []string{good}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kr, err := cookiesession.ParseKeyring(c.keys)
			if err == nil {
				t.Fatalf("ParseKeyring(%q) = %v, want an error", c.keys, kr)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "cookiesession: ") || !strings.Contains(msg, c.want) {
				t.Errorf("ParseKeyring error = %q, want it to contain %q", msg, c.want)
			}
			for _, s := range c.secrets {
				if strings.Contains(msg, s) || strings.Contains(msg, s[:8]) {
					t.Errorf("error %q shows key material", msg)
				}
			}
		})
	}
}

func TestNewKeyringRefuses(t *testing.T) {
	k := cookiesession.GenerateKey()
	many := make([]cookiesession.Key, 9)
	for i := range many {
		many[i] = cookiesession.GenerateKey()
	}
	for name, keys := range map[string][]cookiesession.Key{
		"none":      nil,
		"zero Key":  {k, {}},
		"duplicate": {k, k},
		"nine":      many,
	} {
		if _, err := cookiesession.NewKeyring(keys...); err == nil {
			t.Errorf("NewKeyring(%s) succeeded", name)
		}
	}
	if _, err := cookiesession.NewKeyring(many[:8]...); err != nil {
		t.Errorf("NewKeyring(8 keys) = %v", err)
	}
}

// TestKeyID pins the HKDF derivation of key IDs (see FORMAT.md): a change
// would end every session sealed so far. The value was computed
// independently (Python hmac, RFC 5869 with a zero salt).
func TestKeyID(t *testing.T) {
	secret := make([]byte, 32)
	for i := range secret {
		secret[i] = byte(i)
	}
	k, err := cookiesession.NewKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprintf("%08x", k.ID()), "a08e0ad2"; got != want {
		t.Errorf("key ID = %s, want %s", got, want)
	}
}

func TestKeysRedact(t *testing.T) {
	secret := bytes.Repeat([]byte("0123456789abcdef"), 2)
	k, err := cookiesession.NewKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := cookiesession.NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("%08x", k.ID())
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		for name, v := range map[string]any{"Key": k, "*Keyring": kr,
			"struct": struct{ K cookiesession.Key }{k}} {
			out := fmt.Sprintf(verb, v)
			if strings.Contains(out, "0123456789") || strings.Contains(out, "30313233") {
				t.Errorf("Sprintf(%s, %s) = %q shows the secret", verb, name, out)
			}
			if !strings.Contains(out, id) {
				t.Errorf("Sprintf(%s, %s) = %q, want the key ID %s", verb, name, out, id)
			}
		}
	}
	if got := fmt.Sprint(cookiesession.Key{}); got != "cookiesession.Key(zero)" {
		t.Errorf("Sprint(Key{}) = %q", got)
	}
	if got := kr.String(); got != "cookiesession.Keyring("+id+")" {
		t.Errorf("Keyring.String() = %q", got)
	}
}

func TestGenerate(t *testing.T) {
	a, b := cookiesession.GenerateKeyString(), cookiesession.GenerateKeyString()
	if a == b || len(a) != 43 {
		t.Fatalf("GenerateKeyString = %q, %q", a, b)
	}
	if _, err := cookiesession.ParseKey(a); err != nil {
		t.Errorf("ParseKey(GenerateKeyString()) = %v", err)
	}
	if cookiesession.GenerateKey().ID() == cookiesession.GenerateKey().ID() {
		t.Error("two generated keys have one key ID")
	}
}
