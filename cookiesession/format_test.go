package cookiesession_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"golang.org/x/crypto/hkdf"

	"github.com/statelessgo/sessions/cookiesession"
	"github.com/statelessgo/sessions/internal/xaes"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json")

// formatVector is one entry of testdata/vectors.json: every input of a
// seal, the intermediate values another implementation needs to check
// itself against, and the resulting cookie value or token.
type formatVector struct {
	Comment   string   `json:"comment"`
	Secret    string   `json:"secret"` // standard base64
	AEADKey   string   `json:"aead_key"`
	KeyID     string   `json:"key_id"`
	Name      string   `json:"name"` // the cookie name, or token purpose
	SessionID string   `json:"session_id"`
	Created   int64    `json:"created"`
	Sealed    int64    `json:"sealed"`
	Expires   int64    `json:"expires"`
	Nonce     string   `json:"nonce"`
	Flashes   []string `json:"flashes"`
	Codec     string   `json:"codec"` // the encoded session value
	Plaintext string   `json:"plaintext"`
	AAD       string   `json:"aad"`
	Value     string   `json:"value"`
}

// counterReader returns bytes start, start+1, ...: a fixed session ID and
// nonce for the vectors.
type counterReader struct{ next byte }

func (r *counterReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}

type vectorInput struct {
	comment  string
	secret   []byte
	token    bool
	renew    bool // an empty session is written only when renewed
	flashes  []string
	value    user
	lifetime time.Duration
}

func vectorInputs() []vectorInput {
	secret := func(b byte) []byte {
		s := make([]byte, 32)
		for i := range s {
			s[i] = b + byte(i)
		}
		return s
	}
	return []vectorInput{
		{comment: "a cookie", secret: secret(0),
			value: user{Name: "ann", Count: 3, Roles: []string{"admin"}}},
		{comment: "a cookie with two flash messages", secret: secret(0x40),
			flashes: []string{"Signed in", "ünïcode; \"quoted\""}, value: user{Name: "bob"}},
		{comment: "an empty session, renewed", secret: secret(0x80), renew: true},
		{comment: "a bearer token (bound to token:__Host-session)", secret: secret(0),
			token: true, value: user{Name: "api"}},
		{comment: "a remember-me cookie with a 30-day lifetime", secret: bytes.Repeat(secret(0xc0), 2),
			value: user{Name: "carol"}, lifetime: 30 * 24 * time.Hour},
	}
}

// makeVector seals one input with a fixed clock and random source.
func makeVector(t *testing.T, in vectorInput) formatVector {
	key, err := cookiesession.NewKey(in.secret)
	if err != nil {
		t.Fatal(err)
	}
	ring, _ := cookiesession.NewKeyring(key)
	clk := newClock()
	m, err := cookiesession.New[user](ring, cookiesession.WithClock(clk.Now),
		cookiesession.WithRandom(&counterReader{next: in.secret[0]}),
		cookiesession.WithBearerTokens(),
		cookiesession.WithRememberMe(90*24*time.Hour, 7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	s := m.NewSession()
	if in.renew {
		s.Renew()
	}
	s.Set(in.value)
	for _, f := range in.flashes {
		s.AddFlash(f)
	}
	if in.lifetime != 0 {
		if err := s.SetLifetime(in.lifetime); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(90 * time.Second)

	var value string
	if in.token {
		value, err = m.Token(s)
	} else {
		w := httptest.NewRecorder()
		err = m.Save(w, s)
		value, _ = setCookieValue(w.Result().Header, m.Name())
	}
	if err != nil || value == "" {
		t.Fatalf("sealing %q: %q, %v", in.comment, value, err)
	}
	return describe(t, in, m.Name(), value)
}

// describe fills in a vector from its input and sealed value, deriving the
// intermediate values the way FORMAT.md describes, independently of the
// package.
func describe(t *testing.T, in vectorInput, cookieName, value string) formatVector {
	name := cookieName
	if in.token {
		name = "token:" + cookieName
	}
	env, err := base64.RawURLEncoding.Strict().DecodeString(value)
	if err != nil {
		t.Fatal(err)
	}
	header := env[:53]
	codec, _ := json.Marshal(in.value)
	plaintext := append(sessionIDFromNonceStream(in.secret[0]), 0) // flags
	if len(in.flashes) > 0 {
		plaintext[16] |= 0x01
		plaintext = append(plaintext, byte(len(in.flashes)))
	}
	for _, f := range in.flashes {
		plaintext = binary.BigEndian.AppendUint16(plaintext, uint16(len(f)))
		plaintext = append(plaintext, f...)
	}
	plaintext = append(plaintext, codec...)
	aad := append(append(bytes.Clone(header), byte(len(name))), name...)

	return formatVector{
		Comment: in.comment, Secret: base64.StdEncoding.EncodeToString(in.secret),
		AEADKey: hex.EncodeToString(derive(in.secret, "cookiesession v1 XAES-256-GCM key", 32)),
		KeyID:   hex.EncodeToString(derive(in.secret, "cookiesession v1 key ID", 4)),
		Name:    name, SessionID: hex.EncodeToString(plaintext[:16]),
		Created: int64(binary.BigEndian.Uint64(header[5:13])),
		Sealed:  int64(binary.BigEndian.Uint64(header[13:21])),
		Expires: int64(binary.BigEndian.Uint64(header[21:29])),
		Nonce:   hex.EncodeToString(header[29:53]), Flashes: in.flashes,
		Codec: string(codec), Plaintext: hex.EncodeToString(plaintext),
		AAD: hex.EncodeToString(aad), Value: value,
	}
}

// sessionIDFromNonceStream returns the first 16 bytes of the counter
// stream: the session ID is drawn before the nonce.
func sessionIDFromNonceStream(start byte) []byte {
	id := make([]byte, 16)
	(&counterReader{next: start}).Read(id)
	return id
}

func derive(secret []byte, info string, n int) []byte {
	out := make([]byte, n)
	io.ReadFull(hkdf.New(sha256.New, secret, nil, []byte(info)), out)
	return out
}

// TestFormatVectors regenerates testdata/vectors.json and compares it byte
// for byte with the checked-in file (go test -run FormatVectors -update
// rewrites it), then opens every vector by following FORMAT.md with
// nothing but HKDF and XAES-256-GCM.
func TestFormatVectors(t *testing.T) {
	var vectors []formatVector
	for _, in := range vectorInputs() {
		vectors = append(vectors, makeVector(t, in))
	}
	got, err := json.MarshalIndent(vectors, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile("testdata/vectors.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the code no longer reproduces testdata/vectors.json:\n%s", got)
	}

	for _, v := range vectors {
		t.Run(v.Comment, func(t *testing.T) { checkVector(t, v) })
	}
}

// checkVector opens a vector the way another implementation would.
func checkVector(t *testing.T, v formatVector) {
	env, err := base64.RawURLEncoding.Strict().DecodeString(v.Value)
	if err != nil {
		t.Fatal(err)
	}
	aeadKey, _ := hex.DecodeString(v.AEADKey)
	a, err := xaes.New(aeadKey)
	if err != nil {
		t.Fatal(err)
	}
	if env[0] != 1 || hex.EncodeToString(env[1:5]) != v.KeyID {
		t.Errorf("version, key ID = %d, %x; want 1, %s", env[0], env[1:5], v.KeyID)
	}
	aad := append(append(bytes.Clone(env[:53]), byte(len(v.Name))), v.Name...)
	if hex.EncodeToString(aad) != v.AAD {
		t.Errorf("AAD = %x, want %s", aad, v.AAD)
	}
	pt, err := a.Open(nil, env[29:53], env[53:], aad)
	if err != nil {
		t.Fatalf("XAES-256-GCM open: %v", err)
	}
	if hex.EncodeToString(pt) != v.Plaintext {
		t.Errorf("plaintext = %x, want %s", pt, v.Plaintext)
	}
}
