package cookiesession_test

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/statelessgo/sessions/cookiesession"
	"github.com/statelessgo/sessions/internal/envelope"
)

// requireSeeds fails unless testdata/fuzz/name holds at least one seed: a
// fuzz target whose corpus went missing would run its f.Add seeds only.
func requireSeeds(tb testing.TB, name string) {
	tb.Helper()
	entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", name))
	if err != nil || len(entries) == 0 {
		tb.Fatalf("no seed corpus in testdata/fuzz/%s (%v)", name, err)
	}
}

// The fuzz targets share fixed keys and a fixed clock, so that the seeds
// checked in under testdata/fuzz stay genuine.
var (
	fuzzSecrets = [...]string{
		"cookiesession fuzz key A: not a secret, seeds only",
		"cookiesession fuzz key B: not a secret, seeds only",
		"cookiesession fuzz key C: not a secret, seeds only",
	}
	fuzzNow = time.Unix(1_800_000_000, 0)
)

func fuzzKey(tb testing.TB, i int) cookiesession.Key {
	k, err := cookiesession.NewKey([]byte(fuzzSecrets[i]))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// fuzzManager returns a Manager at the fixed clock with bearer tokens, the
// given keys (by index) and options.
func fuzzManager(tb testing.TB, keys []int,
	opts ...cookiesession.Option) *cookiesession.Manager[user] {
	tb.Helper()
	ks := make([]cookiesession.Key, len(keys))
	for i, k := range keys {
		ks[i] = fuzzKey(tb, k)
	}
	ring, err := cookiesession.NewKeyring(ks...)
	if err != nil {
		tb.Fatal(err)
	}
	opts = append([]cookiesession.Option{
		cookiesession.WithClock(func() time.Time { return fuzzNow }),
		cookiesession.WithBearerTokens(),
	}, opts...)
	m, err := cookiesession.New[user](ring, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// fuzzGenuine returns genuine cookie values and tokens for the fuzz
// Managers: under the primary and the older key, with flash messages,
// compressed, and sealed a while ago.
func fuzzGenuine(tb testing.TB) (cookies, tokens []string) {
	ago := func(d time.Duration) cookiesession.Option {
		return cookiesession.WithClock(func() time.Time { return fuzzNow.Add(-d) })
	}
	for _, c := range []struct {
		keys []int
		opts []cookiesession.Option
		u    user
	}{
		{[]int{0}, nil, user{Name: "ann"}},
		{[]int{0}, nil, user{Name: "bob", Count: 7, Roles: []string{"admin", "editor"}}},
		{[]int{1}, nil, user{Name: "old key"}},
		{[]int{0}, []cookiesession.Option{ago(20 * time.Minute)}, user{Name: "idle"}},
		{[]int{0}, []cookiesession.Option{cookiesession.WithCompression()},
			user{Name: strings.Repeat("compressible ", 40)}},
	} {
		m := fuzzManager(tb, c.keys, c.opts...)
		s := m.NewSession()
		s.Set(c.u)
		if c.u.Count == 7 {
			s.AddFlash("saved")
			s.AddFlash("line\nbreak \x00")
		}
		cookies = append(cookies, value(tb, m, c.u))
		w := httptest.NewRecorder()
		if err := m.Save(w, s); err != nil {
			tb.Fatal(err)
		}
		v, _ := setCookieValue(w.Header(), m.Name())
		cookies = append(cookies, v)
		tok, err := m.Token(s)
		if err != nil {
			tb.Fatal(err)
		}
		tokens = append(tokens, tok)
	}
	return cookies, tokens
}

// sameSession fails unless b is a equivalent of a: value, ID, creation
// and deadline.
func sameSession(t *testing.T, what string, a, b *cookiesession.Session[user]) {
	t.Helper()
	ea, _ := json.Marshal(a.Value())
	eb, _ := json.Marshal(b.Value())
	if !bytes.Equal(ea, eb) || a.ID() != b.ID() || !a.CreatedAt().Equal(b.CreatedAt()) ||
		!a.ExpiresAt().Equal(b.ExpiresAt()) {
		t.Errorf("%s: %s %s %v %v, want %s %s %v %v", what, eb, b.ID(), b.CreatedAt(),
			b.ExpiresAt(), ea, a.ID(), a.CreatedAt(), a.ExpiresAt())
	}
}

// canonical reports whether v is unpadded URL-safe base64 that encodes its
// bytes in the one way: what a value that opens must be.
func canonical(v string) bool {
	b, err := base64.RawURLEncoding.Strict().DecodeString(v)
	return err == nil && base64.RawURLEncoding.EncodeToString(b) == v
}

// fuzzOpener holds the Managers of FuzzOpen.
type fuzzOpener struct {
	m     *cookiesession.Manager[user] // keys A (primary) and B
	rot   *cookiesession.Manager[user] // keys C (primary), A and B: every value re-seals
	other *cookiesession.Manager[user] // key C only: opens nothing of A or B
}

// check loads value as a cookie and as a token. What opens must be in
// canonical encoding, must not open under another key, and must re-seal
// into an equivalent session.
func (o *fuzzOpener) check(t *testing.T, v string) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header["Cookie"] = []string{o.m.Name() + "=" + v}
	if s, err := o.m.Load(req); err == nil && !s.IsNew() {
		candidate, _, _ := strings.Cut(v, ";")
		candidate = strings.TrimRight(candidate, " \t")
		if !canonical(candidate) {
			t.Fatalf("a non-canonical value opens: %q", v)
		}
		o.resealCookie(t, req, s)
		o.resealToken(t, s)
	}
	if s, err := o.other.Load(req); err == nil && !s.IsNew() {
		t.Fatalf("a value opens under a key that did not seal it: %q", v)
	}

	if s, err := o.m.OpenToken(v); err == nil {
		if !canonical(v) {
			t.Fatalf("a non-canonical token opens: %q", v)
		}
		o.resealToken(t, s)
	}
	if _, err := o.other.OpenToken(v); err == nil {
		t.Fatalf("a token opens under a key that did not seal it: %q", v)
	}
}

// resealCookie saves the session of req again through rot, under whose
// primary key it was not sealed, and opens the new cookie.
func (o *fuzzOpener) resealCookie(t *testing.T, req *http.Request,
	s *cookiesession.Session[user]) {
	s2, err := o.rot.Load(req)
	if err != nil || s2.IsNew() {
		t.Fatalf("opens under m but not under rot: %v", err)
	}
	w := httptest.NewRecorder()
	if err := o.rot.Save(w, s2); err != nil {
		if strings.Contains(err.Error(), "too large") {
			return // a re-encoding may be longer than what was sealed
		}
		t.Fatalf("Save of an opened session: %v", err)
	}
	v, ok := setCookieValue(w.Header(), o.rot.Name())
	if !ok || v == "" {
		t.Fatalf("a session opened under an old key was not sealed again: %q", w.Header())
	}
	req2 := httptest.NewRequest(http.MethodGet, "/", nil)
	req2.Header.Set("Cookie", o.rot.Name()+"="+v)
	s3, err := o.rot.Load(req2)
	if err != nil || s3.IsNew() {
		t.Fatalf("the re-sealed cookie does not open: %v", err)
	}
	sameSession(t, "re-sealed cookie", s, s3)
}

// resealToken issues a token for s and opens it.
func (o *fuzzOpener) resealToken(t *testing.T, s *cookiesession.Session[user]) {
	tok, err := o.m.Token(s)
	if err != nil {
		if strings.Contains(err.Error(), "too large") {
			return // a token's purpose is longer than the cookie's name
		}
		t.Fatalf("Token of an opened session: %v", err)
	}
	s2, err := o.m.OpenToken(tok)
	if err != nil {
		t.Fatalf("the token of an opened session does not open: %v", err)
	}
	sameSession(t, "token", s, s2)
}

// FuzzOpen loads arbitrary values as cookies and tokens, and genuine values
// with bytes of their envelope changed: no panic, nothing opens that was
// not sealed as it is, and what opens re-seals to the same session.
func FuzzOpen(f *testing.F) {
	requireSeeds(f, "FuzzOpen")
	o := &fuzzOpener{
		m:     fuzzManager(f, []int{0, 1}),
		rot:   fuzzManager(f, []int{2, 0, 1}),
		other: fuzzManager(f, []int{2}),
	}
	cookies, tokens := fuzzGenuine(f)
	genuine := append(append([]string(nil), cookies...), tokens...)
	for _, v := range genuine {
		f.Add(v, []byte{})
	}
	f.Add(cookies[0], []byte{0, 60, 1})
	f.Add("", []byte{1, 200, 0x80})

	f.Fuzz(func(t *testing.T, v string, edit []byte) {
		o.check(t, v)
		if len(edit) == 0 {
			return
		}
		// edit = which genuine value, then (offset, xor) pairs; an odd
		// last byte cuts the envelope to that length.
		g := genuine[int(edit[0])%len(genuine)]
		env, err := base64.RawURLEncoding.DecodeString(g)
		if err != nil {
			t.Fatal(err)
		}
		rest := edit[1:]
		for ; len(rest) >= 2; rest = rest[2:] {
			env[int(rest[0])%len(env)] ^= rest[1]
		}
		if len(rest) == 1 {
			env = env[:int(rest[0])%(len(env)+1)]
		}
		mutated := base64.RawURLEncoding.EncodeToString(env)
		if mutated == g {
			return
		}
		for _, m := range []*cookiesession.Manager[user]{o.m, o.rot} {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("Cookie", m.Name()+"="+mutated)
			if s, err := m.Load(req); err == nil && !s.IsNew() {
				t.Fatalf("a changed genuine value opens: %q from %q", mutated, g)
			}
			if _, err := m.OpenToken(mutated); err == nil {
				t.Fatalf("a changed genuine token opens: %q from %q", mutated, g)
			}
		}
	})
}

// fuzzLifetime and fuzzIdle are those of FuzzOpenSealed's Manager, whose
// remember-me sessions live up to fuzzRememberMax with fuzzRememberIdle.
const (
	fuzzLifetime     = int64(12 * 3600)
	fuzzIdle         = int64(30 * 60)
	fuzzRememberMax  = int64(30 * 24 * 3600)
	fuzzRememberIdle = int64(7 * 24 * 3600)
	fuzzSkew         = int64(60)
)

// timesOpen is FORMAT.md's check of the times, written from the page.
func timesOpen(created, sealed, expires, now int64) bool {
	lifetime, idle := fuzzLifetime, fuzzIdle
	if expires-created > fuzzLifetime {
		lifetime, idle = fuzzRememberMax, fuzzRememberIdle
	}
	return 0 < created && created <= sealed && created < expires &&
		created <= now+fuzzSkew && sealed <= now+fuzzSkew &&
		now < min(expires, created+lifetime) && now < sealed+idle
}

// parsedPlaintext is a plaintext as FORMAT.md reads it.
type parsedPlaintext struct {
	id      []byte
	flashes []string
	value   user
}

// readPlaintext parses a plaintext following FORMAT.md, with the default
// codec, or reports that a reader must refuse it.
func readPlaintext(pt []byte) (parsedPlaintext, bool) {
	if len(pt) < 17 || pt[16]&^0x03 != 0 {
		return parsedPlaintext{}, false
	}
	p := parsedPlaintext{id: pt[:16]}
	flags, rest := pt[16], pt[17:]
	if flags&0x01 != 0 {
		if len(rest) < 1 || rest[0] == 0 {
			return parsedPlaintext{}, false
		}
		count := int(rest[0])
		rest = rest[1:]
		for range count {
			if len(rest) < 2 || len(rest)-2 < int(binary.BigEndian.Uint16(rest)) {
				return parsedPlaintext{}, false
			}
			n := int(binary.BigEndian.Uint16(rest))
			p.flashes = append(p.flashes, string(rest[2:2+n]))
			rest = rest[2+n:]
		}
	}
	if flags&0x02 != 0 {
		out, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(rest)),
			cookiesession.MaxDecompressedSize+1))
		if err != nil || len(out) > cookiesession.MaxDecompressedSize {
			return parsedPlaintext{}, false
		}
		rest = out
	}
	if json.Unmarshal(rest, &p.value) != nil {
		return parsedPlaintext{}, false
	}
	return p, true
}

// FuzzOpenSealed seals arbitrary times and plaintexts authentically, as
// only a holder of the key can, and checks the package's verdict against
// FORMAT.md read independently: a value opens exactly when its times and
// its plaintext are valid, with what the plaintext holds, and re-seals to
// the same session.
func FuzzOpenSealed(f *testing.F) {
	requireSeeds(f, "FuzzOpenSealed")
	m := fuzzManager(f, []int{0, 1}, cookiesession.WithRememberMe(30*24*time.Hour, 7*24*time.Hour))
	o := &fuzzOpener{m: m,
		rot: fuzzManager(f, []int{2, 0, 1},
			cookiesession.WithRememberMe(30*24*time.Hour, 7*24*time.Hour)),
		other: fuzzManager(f, []int{2})}
	secret := []byte(fuzzSecrets[0])
	id := bytes.Repeat([]byte{7}, 16)
	pt := func(rest ...byte) []byte { return append(bytes.Clone(id), rest...) }
	f.Add(int64(0), int64(0), int64(3600), pt(append([]byte{0}, `{"name":"a"}`...)...))
	f.Add(int64(-60), int64(-10), int64(40000), pt(1, 1, 0, 2, 'h', 'i', '{', '}'))
	f.Add(int64(-2*86400), int64(-60), int64(28*86400), pt(0, '{', '}'))
	f.Add(int64(-1800), int64(-1800), int64(1), pt(0, 'n', 'u', 'l', 'l'))

	now := fuzzNow.Unix()
	f.Fuzz(func(t *testing.T, dc, ds, de int64, pt []byte) {
		if len(pt) > 2800 {
			return // beyond one cookie: refused as too long before anything
		}
		created, sealed, expires := now+dc, now+ds, now+de // wrapping is fine: any header
		h := envelope.Header{Version: envelope.Version, KeyID: fuzzKey(t, 0).ID(),
			Created: created, Sealed: sealed, Expires: expires}
		v := forge(t, secret, h, m.Name(), pt)
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Cookie", m.Name()+"="+v)
		s, err := m.Load(req)

		p, ptOK := readPlaintext(pt)
		want := timesOpen(created, sealed, expires, now) && ptOK
		if got := err == nil && !s.IsNew(); got != want {
			t.Fatalf("times %d %d %d (now %d), plaintext %q: opened %t (%v), FORMAT.md says %t",
				created, sealed, expires, now, pt, got, err, want)
		}
		if !want {
			return
		}
		enc, _ := json.Marshal(p.value)
		got, _ := json.Marshal(s.Value())
		if !bytes.Equal(enc, got) || s.ID() != base64.RawURLEncoding.EncodeToString(p.id) ||
			s.CreatedAt().Unix() != created || s.SealedAt().Unix() != sealed {
			t.Fatalf("opened %s, ID %s, created %v; the plaintext holds %s, ID %x, created %d",
				got, s.ID(), s.CreatedAt(), enc, p.id, created)
		}
		if fl := s.Flashes(); strings.Join(fl, "\x00") != strings.Join(p.flashes, "\x00") ||
			len(fl) != len(p.flashes) {
			t.Fatalf("flashes %q, the plaintext holds %q", fl, p.flashes)
		}
		s, _ = m.Load(req)
		o.resealCookie(t, req, s)
		o.resealToken(t, s)
	})
}

// keyErrorShapes are the messages of ParseKeyring and ParseKey, numbers
// aside: nothing else may appear in them.
var keyErrorShapes = regexp.MustCompile(`^cookiesession: (` +
	`key( \d+ of \d+)? (is empty|is \d+ bytes; a key needs at least \d+ random bytes|` +
	`has all bytes the same; a key must be random|is not base64 \(standard or URL-safe\))|` +
	`\d+ keys; a keyring holds at most \d+|` +
	`key \d+ of \d+ has the same key ID as key \d+ \(the same secret twice\?\))$`)

// FuzzParseKeyring parses arbitrary key strings: no panic; an accepted
// ring parses again to the same keys, each of which ParseKey reads alike;
// an error is one of the package's messages and never shows the input.
func FuzzParseKeyring(f *testing.F) {
	requireSeeds(f, "FuzzParseKeyring")
	good := base64.StdEncoding.EncodeToString([]byte(fuzzSecrets[0][:32]))
	f.Add(good)
	f.Add(good + "," + base64.RawURLEncoding.EncodeToString([]byte(fuzzSecrets[1])))
	f.Add(" " + good + " ,\t" + good)
	f.Add("kPH+bIxk5D2deZiIxcaaaA==")
	f.Add(strings.Repeat(",", 9))

	f.Fuzz(func(t *testing.T, s string) {
		ring, err := cookiesession.ParseKeyring(s)
		if err != nil {
			checkKeyError(t, s, err)
		} else {
			again, err := cookiesession.ParseKeyring(s)
			parts := strings.Split(s, ",")
			if err != nil || again.String() != ring.String() || len(ring.Keys()) != len(parts) {
				t.Fatalf("ParseKeyring(%q) = %v, then %v, %v", s, ring, again, err)
			}
			for i, p := range parts {
				k, err := cookiesession.ParseKey(p)
				if err != nil || k.ID() != ring.Keys()[i].ID() {
					t.Fatalf("ParseKey(part %d of %q) = %v, %v; the ring has %v", i, s, k, err,
						ring.Keys()[i])
				}
			}
		}
		if k, err := cookiesession.ParseKey(s); err != nil {
			checkKeyError(t, s, err)
		} else if !strings.Contains(s, ",") && (ring == nil || ring.Primary().ID() != k.ID()) {
			t.Fatalf("ParseKey(%q) = %v but ParseKeyring = %v", s, k, ring)
		}
	})
}

// checkKeyError fails if err is not one of the package's key errors, or
// shows the input or one of its comma-separated parts. An input that is
// itself made of the messages' words is not key material.
func checkKeyError(t *testing.T, s string, err error) {
	msg := err.Error()
	if !keyErrorShapes.MatchString(msg) {
		t.Fatalf("error %q for %q is not one of the package's key errors", msg, s)
	}
	for _, part := range append(strings.Split(s, ","), s) {
		part = strings.TrimSpace(part)
		if len(part) > 8 && strings.Contains(msg, part) &&
			!strings.Contains(digitless(keyErrorWords), digitless(part)) {
			t.Fatalf("error %q shows the input %q", msg, part)
		}
	}
}

// digitless drops the digits of s and the spaces they leave.
func digitless(s string) string {
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return -1
		}
		return r
	}, s)), " ")
}

// keyErrorWords is the text of the key errors, numbers aside.
const keyErrorWords = "cookiesession: key of is empty is bytes; a key needs at least random " +
	"bytes has all bytes the same; a key must be random is not base64 (standard or URL-safe) " +
	"keys; a keyring holds at most has the same key ID as key (the same secret twice?)"

// FuzzMiddleware serves arbitrary Cookie and Authorization headers through
// the middleware with one of several handlers: no panic, no 5xx, at most
// one Set-Cookie line per cookie name (one in all without chunking), at
// most 5 AEAD opens, and every cookie written opens.
func FuzzMiddleware(f *testing.F) {
	requireSeeds(f, "FuzzMiddleware")
	var counter cookiesession.AEADCounter
	ring := cookiesession.CountingKeyring(&counter, fuzzKey(f, 0), fuzzKey(f, 1))
	plain, err := cookiesession.New[user](ring, cookiesession.WithBearerTokens(),
		cookiesession.WithClock(func() time.Time { return fuzzNow }))
	if err != nil {
		f.Fatal(err)
	}
	chunked, err := cookiesession.New[user](ring, cookiesession.WithChunking(3, 0),
		cookiesession.WithClock(func() time.Time { return fuzzNow }))
	if err != nil {
		f.Fatal(err)
	}
	cookies, tokens := fuzzGenuine(f)
	name := plain.Name()
	for i, c := range cookies {
		f.Add(name+"="+c, "", byte(i))
		f.Add("a=1; "+name+"="+c+"; "+name+"=x", "", byte(i))
	}
	f.Add("", "Bearer "+tokens[0], byte(1))
	f.Add(name+"="+cookies[0], "bearer "+tokens[1]+"\nBearer x", byte(2))
	f.Add(strings.Repeat("a=;", 3000), "Basic x", byte(3))
	f.Add(strings.Repeat(name+"="+cookies[0]+"; ", 6), "", byte(4))
	f.Add(name+"=2/"+cookies[1][:8]+"; "+name+".1="+cookies[1][8:], "", byte(0x15))

	handlers := []func(s *cookiesession.Session[user], w http.ResponseWriter){
		func(s *cookiesession.Session[user], w http.ResponseWriter) { _ = s.Value() },
		func(s *cookiesession.Session[user], w http.ResponseWriter) {
			s.Update(func(u *user) { u.Count++ })
		},
		func(s *cookiesession.Session[user], w http.ResponseWriter) { s.Destroy() },
		func(s *cookiesession.Session[user], w http.ResponseWriter) { s.Renew() },
		func(s *cookiesession.Session[user], w http.ResponseWriter) {
			io.WriteString(w, "body first")
			s.Update(func(u *user) { u.Count++ })
		},
		func(s *cookiesession.Session[user], w http.ResponseWriter) { s.AddFlash("x") },
		func(s *cookiesession.Session[user], w http.ResponseWriter) { s.Flashes() },
		func(s *cookiesession.Session[user], w http.ResponseWriter) {
			s.Set(user{Name: strings.Repeat("z", 5000)})
		},
	}

	f.Fuzz(func(t *testing.T, cookie, auth string, action byte) {
		m := plain
		if action&0x10 != 0 {
			m = chunked
		}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if cookie != "" {
			req.Header["Cookie"] = strings.Split(cookie, "\n")
		}
		if auth != "" {
			req.Header["Authorization"] = strings.Split(auth, "\n")
		}
		handle := handlers[int(action&0x0f)%len(handlers)]
		before := counter.Opens.Load()
		w := httptest.NewRecorder()
		m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			handle(m.Get(r), w)
		})).ServeHTTP(w, req)

		if n := counter.Opens.Load() - before; n > 5 {
			t.Fatalf("%d AEAD opens for one request", n)
		}
		res := w.Result()
		if res.StatusCode >= 500 {
			t.Fatalf("status %d", res.StatusCode)
		}
		lines := res.Header["Set-Cookie"]
		if m == plain && len(lines) > 1 {
			t.Fatalf("%d Set-Cookie lines: %q", len(lines), lines)
		}
		written := map[string]string{}
		for _, line := range lines {
			c, err := http.ParseSetCookie(line)
			if err != nil {
				t.Fatalf("Set-Cookie %q: %v", line, err)
			}
			if _, dup := written[c.Name]; dup {
				t.Fatalf("two Set-Cookie lines for %s: %q", c.Name, lines)
			}
			written[c.Name] = c.Value
		}
		if v := written[m.Name()]; v != "" {
			header := m.Name() + "=" + v
			for i := 1; i < 3; i++ {
				if c, ok := written[m.Name()+"."+string(rune('0'+i))]; ok && c != "" {
					header += "; " + m.Name() + "." + string(rune('0'+i)) + "=" + c
				}
			}
			r2 := httptest.NewRequest(http.MethodGet, "/", nil)
			r2.Header.Set("Cookie", header)
			if s, err := m.Load(r2); err != nil || s.IsNew() {
				t.Fatalf("the cookie written does not open: %v (%q)", err, lines)
			}
		}
	})
}
