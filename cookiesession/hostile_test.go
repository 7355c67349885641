package cookiesession_test

// The hostile-input table: the cases of the threat catalog (sections A to I),
// each run against the public API or the middleware. Where the catalog
// expects something other than what the package documents as a deliberate
// choice, the row tests the documented behaviour and says how it differs.

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/hkdf"

	"github.com/statelessgo/sessions/cookiesession"
	"github.com/statelessgo/sessions/internal/envelope"
	"github.com/statelessgo/sessions/internal/xaes"
)

// hostileCase is one row of the table.
type hostileCase struct {
	id   int    // the case's number in the threat catalog
	name string // the section and number, then the input: "A3/padding"
	run  func(t *testing.T)
}

// catalogSection returns the letter of the catalog section that holds case
// id: A cookie header and encoding, B envelope and AEAD, C time, D keys,
// E payload and codec, F cookie attributes, G middleware mechanics,
// H concurrency and denial of service, I logging and configuration.
func catalogSection(id int) string {
	for _, s := range []struct {
		last    int
		section string
	}{
		{12, "A"}, {26, "B"}, {38, "C"}, {47, "D"}, {53, "E"}, {66, "F"}, {82, "G"}, {87, "H"},
		{90, "I"},
	} {
		if id >= 1 && id <= s.last {
			return s.section
		}
	}
	return "?"
}

func hostileCases() []hostileCase {
	var all []hostileCase
	for _, part := range [][]hostileCase{
		hostileEncoding(), hostileEnvelope(), hostileTimes(), hostileKeys(), hostilePayload(),
		hostileAttributes(), hostileMiddleware(), hostileConcurrency(), hostileLogging(),
	} {
		all = append(all, part...)
	}
	return all
}

func TestHostile(t *testing.T) {
	for _, c := range hostileCases() {
		t.Run(c.name, c.run)
	}
}

// TestHostileTable checks the table itself: names carry their catalog
// number, no name repeats, and every section of the catalog has rows.
func TestHostileTable(t *testing.T) {
	cases := hostileCases()
	seen := map[string]bool{}
	perSection := map[string]int{}
	for _, c := range cases {
		prefix := fmt.Sprintf("%s%d/", catalogSection(c.id), c.id)
		if !strings.HasPrefix(c.name, prefix) || len(c.name) == len(prefix) || seen[c.name] {
			t.Errorf("row %q (catalog %d): want a unique name starting with %q", c.name, c.id,
				prefix)
		}
		seen[c.name] = true
		perSection[catalogSection(c.id)]++
	}
	for _, s := range strings.Split("ABCDEFGHI", "") {
		if perSection[s] == 0 {
			t.Errorf("no row for section %s of the catalog", s)
		}
	}
	if len(cases) < 60 {
		t.Errorf("%d rows, want at least 60", len(cases))
	}
}

// hostileRig is a Manager under a key whose secret the test knows, so that
// it can forge envelopes with any header, with a settable clock, an error
// log, a debug-level text logger and a count of AEAD operations.
type hostileRig struct {
	secret []byte
	key    cookiesession.Key
	m      *cookiesession.Manager[user]
	clock  *clock
	errs   *errorLog
	log    *lockedBuffer
	aead   *cookiesession.AEADCounter
	opts   []cookiesession.Option
}

func newRig(t testing.TB, opts ...cookiesession.Option) *hostileRig {
	t.Helper()
	r := &hostileRig{secret: randomBytes(32), clock: newClock(), errs: &errorLog{},
		log: &lockedBuffer{}, aead: &cookiesession.AEADCounter{}}
	var err error
	if r.key, err = cookiesession.NewKey(r.secret); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r.opts = append([]cookiesession.Option{
		cookiesession.WithClock(r.clock.Now),
		cookiesession.WithErrorHandler(r.errs.handle),
		cookiesession.WithLogger(logger),
		cookiesession.WithBearerTokens(),
	}, opts...)
	r.m, err = cookiesession.New[user](cookiesession.CountingKeyring(r.aead, r.key), r.opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// twin returns a Manager with the rig's clock and options, more opts, and
// the given keys (the rig's key if none): its operations are not counted.
func (r *hostileRig) twin(t testing.TB, keys []cookiesession.Key,
	opts ...cookiesession.Option) *cookiesession.Manager[user] {
	t.Helper()
	if len(keys) == 0 {
		keys = []cookiesession.Key{r.key}
	}
	ring, err := cookiesession.NewKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	m, err := cookiesession.New[user](ring, append(append([]cookiesession.Option{}, r.opts...),
		opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *lockedBuffer) Reset() {
	b.mu.Lock()
	b.buf.Reset()
	b.mu.Unlock()
}

func (r *hostileRig) now() int64 { return r.clock.Now().Unix() }

// cookie returns a Cookie header pair for the session cookie.
func (r *hostileRig) cookie(value string) string { return r.m.Name() + "=" + value }

// request returns a GET request whose Cookie header lines are header split
// at newlines (none if header is empty).
func (r *hostileRig) request(header string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "https://example.com/", nil)
	if header != "" {
		req.Header["Cookie"] = strings.Split(header, "\n")
	}
	return req
}

// value returns a genuine cookie value for u, sealed now by m.
func value(t testing.TB, m *cookiesession.Manager[user], u user) string {
	t.Helper()
	s := m.NewSession()
	s.Set(u)
	w := httptest.NewRecorder()
	if err := m.Save(w, s); err != nil {
		t.Fatal(err)
	}
	v, ok := setCookieValue(w.Header(), m.Name())
	if !ok || v == "" {
		t.Fatalf("Save wrote no cookie: %q", w.Header()["Set-Cookie"])
	}
	return v
}

func (r *hostileRig) value(t testing.TB, u user) string { return value(t, r.m, u) }

// token returns a genuine bearer token for u.
func (r *hostileRig) token(t testing.TB, u user) string {
	t.Helper()
	s := r.m.NewSession()
	s.Set(u)
	tok, err := r.m.Token(s)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// serve runs h through the middleware on a request with the Cookie header.
func (r *hostileRig) serve(h http.HandlerFunc, header string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	r.m.Handler(h).ServeHTTP(w, r.request(header))
	return w
}

// reader is a handler that opens the session and changes nothing.
func (r *hostileRig) reader(_ http.ResponseWriter, req *http.Request) { r.m.Get(req) }

// foreignValue returns a genuine value for u under a key the rig does not
// hold.
func (r *hostileRig) foreignValue(t testing.TB, u user) string {
	return value(t, r.twin(t, []cookiesession.Key{cookiesession.GenerateKey()}), u)
}

// header returns a v1 header under the rig's key with a random nonce.
func (r *hostileRig) header(created, sealed, expires int64) envelope.Header {
	h := envelope.Header{Version: envelope.Version, KeyID: r.key.ID(),
		Created: created, Sealed: sealed, Expires: expires}
	copy(h.Nonce[:], randomBytes(envelope.NonceSize))
	return h
}

// plaintext lays out a plaintext as FORMAT.md says: a random session ID,
// the flags, the flash messages if any, and the encoded value.
func plaintext(flashes []string, enc []byte) []byte {
	pt := randomBytes(16)
	if len(flashes) == 0 {
		return append(append(pt, 0), enc...)
	}
	pt = append(pt, 0x01, byte(len(flashes)))
	for _, f := range flashes {
		pt = append(pt, byte(len(f)>>8), byte(len(f)))
		pt = append(pt, f...)
	}
	return append(pt, enc...)
}

// forge seals pt under secret with header h, bound to name, following
// FORMAT.md with nothing of the package but the envelope layout: it makes
// authentic values with any header and any plaintext.
func forge(t testing.TB, secret []byte, h envelope.Header, name string, pt []byte) string {
	t.Helper()
	key := make([]byte, xaes.KeySize)
	kdf := hkdf.New(sha256.New, secret, nil, []byte("cookiesession v1 XAES-256-GCM key"))
	if _, err := io.ReadFull(kdf, key); err != nil {
		t.Fatal(err)
	}
	a, err := xaes.New(key)
	if err != nil {
		t.Fatal(err)
	}
	b := append(make([]byte, envelope.HeaderSize), pt...)
	return string(envelope.Encode(nil, envelope.Seal(a, &h, name, b, new([envelope.MaxAADSize]byte))))
}

// forgeAt forges a cookie value with these times and the value
// {"name":"forged"}.
func (r *hostileRig) forgeAt(t testing.TB, created, sealed, expires int64) string {
	t.Helper()
	return forge(t, r.secret, r.header(created, sealed, expires), r.m.Name(),
		plaintext(nil, []byte(`{"name":"forged"}`)))
}

// refusal is what a request with a hostile value gets: no session, an
// error matching err whose text is the sentinel's followed by the reason,
// a log line at level with that reason, and at most opens AEAD opens.
type refusal struct {
	err    error
	reason string // "" for the sentinel's own text
	opens  int64
	level  string // DEBUG unless set
	prefix bool   // the error's text starts with the expected text
}

func (w refusal) text() string {
	if w.reason == "" {
		return w.err.Error()
	}
	return w.err.Error() + ": " + w.reason
}

var (
	refusedMalformed  = refusal{err: cookiesession.ErrInvalid, reason: "malformed"}
	refusedVersion    = refusal{err: cookiesession.ErrInvalid, reason: "unknown format version"}
	refusedUnknownKey = refusal{err: cookiesession.ErrUnknownKey}
	refusedAuth       = refusal{err: cookiesession.ErrInvalid, reason: "authentication failed",
		opens: 1}
	refusedTooLong = refusal{err: cookiesession.ErrInvalid, reason: "value too long"}
	refusedFuture  = refusal{err: cookiesession.ErrInvalid,
		reason: "sealed further in the future than the clock skew allows"}
	refusedTimes     = refusal{err: cookiesession.ErrInvalid, reason: "inconsistent times"}
	refusedIdle      = refusal{err: cookiesession.ErrExpired, reason: "idle timeout"}
	refusedLifetime  = refusal{err: cookiesession.ErrExpired, reason: "absolute lifetime"}
	refusedAmbiguous = refusal{err: cookiesession.ErrInvalid,
		reason: "more than one valid cookie with the session's name"}
	refusedPlaintext = refusal{err: cookiesession.ErrInvalid, reason: "malformed plaintext",
		opens: 1}
	refusedListed = refusal{err: cookiesession.ErrRevoked, reason: "on the revocation list",
		opens: 1}
	refusedDecode = refusal{err: cookiesession.ErrInvalid,
		reason: "authenticated value does not decode", opens: 1, level: "ERROR", prefix: true}
)

// match reports whether err is the refusal w.
func (w refusal) match(err error) bool {
	if err == nil || !errors.Is(err, w.err) {
		return false
	}
	if w.prefix {
		return strings.HasPrefix(err.Error(), w.text())
	}
	return err.Error() == w.text()
}

// refuse sends the Cookie header to Load and through the middleware: both
// must refuse it as want says, with nothing written to the response (a
// refused cookie is not deleted, by design: one misconfigured instance must
// not log users out everywhere), status 200 and no cookie value in the
// logs or errors.
func (r *hostileRig) refuse(t *testing.T, header string, want refusal) {
	t.Helper()
	r.log.Reset()
	errsBefore := len(r.errs.all())
	opens := r.aead.Opens.Load()

	s, err := r.m.Load(r.request(header))
	if !want.match(err) {
		t.Errorf("Load(%s) = %v, want %q", abbreviate(header), err, want.text())
	}
	if !s.IsNew() || !reflect.DeepEqual(s.Value(), user{}) {
		t.Errorf("Load(%s) = a session with %+v, want a new, empty one", abbreviate(header),
			s.Value())
	}
	if n := r.aead.Opens.Load() - opens; n > want.opens {
		t.Errorf("Load(%s) made %d AEAD opens, want at most %d", abbreviate(header), n, want.opens)
	}
	level := want.level
	if level == "" {
		level = "DEBUG"
	}
	line := "level=" + level + ` msg="cookiesession: session refused"`
	reason := "reason=" + strconv.Quote(want.text())
	if want.prefix {
		reason = strings.TrimSuffix(reason, `"`)
	}
	if logged := r.log.String(); !strings.Contains(logged, line) ||
		!strings.Contains(logged, reason) {
		t.Errorf("log = %q, want a line with %q and %s", logged, line, reason)
	}

	var isNew bool
	w := r.serve(func(w http.ResponseWriter, req *http.Request) {
		isNew = r.m.Get(req).IsNew()
		io.WriteString(w, "page")
	}, header)
	res := w.Result()
	if res.StatusCode != http.StatusOK || !isNew || len(res.Header["Set-Cookie"]) != 0 ||
		res.Header.Get("Vary") != "Cookie" {
		t.Errorf("middleware(%s): status %d, new session %t, headers %v; want 200, a new "+
			"session, Vary: Cookie and no Set-Cookie", abbreviate(header), res.StatusCode, isNew,
			res.Header)
	}

	errs := r.errs.all()[errsBefore:]
	if len(errs) != 2 || !want.match(errs[0]) || !want.match(errs[1]) {
		t.Errorf("error handler got %v, want two errors %q", errs, want.text())
	}
	r.noLeak(t, cookieValuesOf(header, r.m.Name())...)
}

// noLeak fails if the log or an error reported contains one of secrets,
// or, for a long one, its first or last 16 characters.
func (r *hostileRig) noLeak(t *testing.T, secrets ...string) {
	t.Helper()
	var texts []string
	texts = append(texts, r.log.String())
	for _, err := range r.errs.all() {
		texts = append(texts, err.Error())
	}
	for _, s := range secrets {
		pieces := []string{s}
		if len(s) >= 32 {
			pieces = []string{s[:16], s[len(s)-16:]}
		} else if len(s) < 8 {
			continue
		}
		for _, text := range texts {
			for _, p := range pieces {
				if strings.Contains(text, p) {
					t.Errorf("%q shows %q", abbreviate(text), p)
				}
			}
		}
	}
}

// cookieValuesOf returns the values of the cookies named name in a Cookie
// header, as this test file writes them.
func cookieValuesOf(header, name string) []string {
	var values []string
	for _, line := range strings.Split(header, "\n") {
		for _, part := range strings.Split(line, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(part), name+"="); ok {
				values = append(values, v)
			}
		}
	}
	return values
}

// abbreviate shortens s for a test message.
func abbreviate(s string) string {
	if len(s) > 100 {
		return fmt.Sprintf("%q...(%d bytes)", s[:60], len(s))
	}
	return strconv.Quote(s)
}

// open loads a header that must open, and returns the session.
func (r *hostileRig) open(t *testing.T, header string) *cookiesession.Session[user] {
	t.Helper()
	s, err := r.m.Load(r.request(header))
	if err != nil || s.IsNew() {
		t.Fatalf("Load(%s) = %v, %v; want the session", abbreviate(header), s, err)
	}
	return s
}

// decode returns the envelope of a value.
func decode(t testing.TB, v string) []byte {
	t.Helper()
	env, err := base64.RawURLEncoding.Strict().DecodeString(v)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func encode(env []byte) string { return base64.RawURLEncoding.EncodeToString(env) }

// valueWhere seals values for u until one satisfies ok: each seal draws a
// new nonce, so the encoding changes.
func (r *hostileRig) valueWhere(t testing.TB, u user, ok func(string) bool) string {
	t.Helper()
	for range 500 {
		if v := r.value(t, u); ok(v) {
			return v
		}
	}
	t.Fatal("no value with the property in 500 seals")
	return ""
}

// ---------------------------------------------------------------------------
// A. The cookie header and its encoding.

func hostileEncoding() []hostileCase {
	return []hostileCase{
		{1, "A1/no-session-cookie", func(t *testing.T) {
			r := newRig(t)
			headers := []string{"", "theme=dark; lang=en", "__Host-sessions=x; session=y"}
			for _, header := range headers {
				s, err := r.m.Load(r.request(header))
				if err != nil || !s.IsNew() {
					t.Errorf("Load(%q) = %v, %v; want a new session and no error", header, s, err)
				}
				w := r.serve(r.reader, header)
				if w.Code != http.StatusOK || len(w.Header()["Set-Cookie"]) != 0 {
					t.Errorf("middleware(%q): %d %v, want 200 without Set-Cookie", header, w.Code,
						w.Header())
				}
			}
			if r.log.String() != "" || len(r.errs.all()) != 0 || r.aead.Opens.Load() != 0 {
				t.Errorf("log %q, errors %v, %d AEAD opens: want nothing", r.log.String(),
					r.errs.all(), r.aead.Opens.Load())
			}
		}},
		// The catalog expects "no session" without an error; the package
		// refuses an empty value like any malformed one (ErrInvalid, at debug
		// level), which is the same for the user and decodes nothing.
		{2, "A2/empty-value", func(t *testing.T) {
			r := newRig(t)
			r.refuse(t, r.cookie(""), refusedMalformed)
			r.refuse(t, r.cookie("  "), refusedMalformed)
		}},
		{3, "A3/standard-base64-alphabet", func(t *testing.T) {
			r := newRig(t)
			v := r.valueWhere(t, user{Name: "ann"}, func(v string) bool {
				return strings.ContainsAny(v, "-_")
			})
			std := strings.NewReplacer("-", "+", "_", "/").Replace(v)
			r.refuse(t, r.cookie(std), refusedMalformed)
		}},
		{3, "A3/padding", func(t *testing.T) {
			r := newRig(t)
			v := r.valueWhere(t, user{Name: "ann"}, func(v string) bool { return len(v)%4 != 0 })
			padded := base64.URLEncoding.EncodeToString(decode(t, v))
			for _, p := range []string{padded, v + "=", v + "==", v + "===", v + "%3D"} {
				r.refuse(t, r.cookie(p), refusedMalformed)
			}
		}},
		{3, "A3/percent-encoded", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "ann"})
			for _, i := range []int{3, 100} {
				escaped := v[:i] + fmt.Sprintf("%%%02X", v[i]) + v[i+1:]
				r.refuse(t, r.cookie(escaped), refusedMalformed)
			}
			r.refuse(t, r.cookie(url.QueryEscape(v+"+")), refusedMalformed)
		}},
		{3, "A3/embedded-space-or-tab", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "ann"})
			for _, i := range []int{10, 95} {
				r.refuse(t, r.cookie(v[:i]+" "+v[i:]), refusedMalformed)
				r.refuse(t, r.cookie(v[:i]+"\t"+v[i:]), refusedMalformed)
			}
		}},
		// The catalog's non-canonical base64: the last character's unused
		// low bits set, which a lenient decoder maps to the same bytes.
		{4, "A4/non-canonical-trailing-bits", func(t *testing.T) {
			r := newRig(t)
			v := r.valueWhere(t, user{Name: "ann"}, func(v string) bool { return len(v)%4 != 0 })
			const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
			last := strings.IndexByte(alphabet, v[len(v)-1])
			lenient := base64.RawURLEncoding
			for bit := range 4 {
				if len(v)%4 == 3 && bit >= 2 { // two unused bits only
					break
				}
				other := v[:len(v)-1] + string(alphabet[last^(1<<bit)])
				if b, err := lenient.DecodeString(other); err != nil ||
					!bytes.Equal(b, decode(t, v)) {
					t.Fatalf("test bug: %q is not a second encoding of the value", other)
				}
				r.refuse(t, r.cookie(other), refusedMalformed)
			}
		}},
		// Go's base64 decoders skip CR and LF even in Strict mode: a value
		// with line breaks after its 72-character header is a second
		// encoding of the same envelope (through OpenToken, or a request
		// built in process; net/http itself refuses such header lines).
		{4, "A4/embedded-line-breaks", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "ann"})
			for _, br := range []string{"\n", "\r", "\r\n"} {
				r.refuse(t, r.cookie(v[:90]+br+v[90:]), refusedMalformed)
				tok := r.token(t, user{Name: "ann"})
				_, err := r.m.OpenToken(tok[:90] + br + tok[90:])
				if !refusedMalformed.match(err) {
					t.Errorf("OpenToken(token with %q) = %v, want %q", br, err,
						refusedMalformed.text())
				}
			}
		}},
		// The package never writes quotes; a quoted value is taken as sent,
		// quotes included, and is not base64.
		{5, "A5/quoted-value", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "ann"})
			r.refuse(t, r.cookie(`"`+v+`"`), refusedMalformed)
			r.refuse(t, r.cookie(`"`+v), refusedMalformed)
		}},
		// The catalog expects net/http to drop such a cookie, so that the
		// package sees none; the package reads the header itself and refuses
		// the value as malformed (ErrInvalid), with no decryption.
		{6, "A6/bytes-outside-cookie-octet", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "ann"})
			for _, b := range []byte{0x00, 0x01, 0x1f, 0x7f, 0x80, 0xff, '"', '\\', ',', '='} {
				for _, i := range []int{10, 100} {
					r.refuse(t, r.cookie(v[:i]+string(b)+v[i:]), refusedMalformed)
				}
			}
			r.refuse(t, r.cookie(v[:50]+";"+v[50:]), refusedMalformed)
			r.refuse(t, r.cookie(v[:50]+"é"+v[50:]), refusedMalformed)
		}},
		// The catalog calls this ErrTooLarge; the package keeps ErrTooLarge
		// for sessions too large to write, and refuses a value too long to be
		// one of its own as ErrInvalid ("too long"), before decoding it.
		{7, "A7/oversized-value", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "ann"})
			limit := cookiesession.MaxCookieSize - len(r.m.Name())
			r.refuse(t, r.cookie(strings.Repeat("A", limit+1)), refusedTooLong)
			r.refuse(t, r.cookie(v+strings.Repeat("A", limit)), refusedTooLong)
			r.refuse(t, r.cookie(strings.Repeat("A", 1<<20)), refusedTooLong)
			// At the limit, the value is decoded and refused for what it is.
			r.refuse(t, r.cookie(strings.Repeat("A", limit)), refusedVersion)
		}},
		// The catalog's ErrAmbiguous does not exist: two valid cookies with
		// the session's name are ErrInvalid with a message, at debug level
		// (the catalog asks for warn).
		{8, "A8/two-valid-cookies", func(t *testing.T) {
			r := newRig(t)
			ann, eve := r.value(t, user{Name: "ann"}), r.value(t, user{Name: "eve"})
			ambiguous := refusedAmbiguous
			ambiguous.opens = 2
			r.refuse(t, r.cookie(ann)+"; "+r.cookie(eve), ambiguous)
			r.refuse(t, r.cookie(eve)+"\n"+r.cookie(ann), ambiguous)
			r.refuse(t, r.cookie(ann)+"; "+r.cookie(ann), ambiguous)
		}},
		{8, "A8/more-than-four-candidates", func(t *testing.T) {
			r := newRig(t)
			ann := r.value(t, user{Name: "ann"})
			r.refuse(t, strings.Repeat(r.cookie("x")+"; ", 4)+r.cookie(ann), refusedAmbiguous)
			r.refuse(t, strings.Repeat(r.cookie(ann)+"; ", 5), refusedAmbiguous)
		}},
		{8, "A8/garbage-beside-one-valid", func(t *testing.T) {
			r := newRig(t)
			ann := r.value(t, user{Name: "ann"})
			header := r.cookie("garbage") + "; " + r.cookie(ann) + "; " + r.cookie("")
			if s := r.open(t, header); s.Value().Name != "ann" {
				t.Errorf("Load = %+v, want ann's session", s.Value())
			}
			if n := r.aead.Opens.Load(); n != 1 {
				t.Errorf("%d AEAD opens, want 1: garbage is refused before the AEAD", n)
			}
		}},
		{9, "A9/one-MiB-of-other-cookies", func(t *testing.T) {
			r := newRig(t)
			ann := r.value(t, user{Name: "ann"})
			flood := strings.Repeat("a=;", 1<<20/3)
			if s := r.open(t, flood+" "+r.cookie(ann)); s.Value().Name != "ann" {
				t.Errorf("Load = %+v, want ann's session", s.Value())
			}
			s, err := r.m.Load(r.request(flood))
			if err != nil || !s.IsNew() || r.aead.Opens.Load() != 1 {
				t.Errorf("Load(1 MiB of other cookies) = %v after %d AEAD opens, want no "+
					"session, no error and no open", err, r.aead.Opens.Load()-1)
			}
		}},
		{9, "A9/ten-thousand-cookies-named-like-the-session", func(t *testing.T) {
			r := newRig(t)
			ann := r.value(t, user{Name: "ann"})
			r.refuse(t, strings.Repeat(r.cookie(ann)+"; ", 10_000), refusedAmbiguous)
			r.refuse(t, strings.Repeat(r.cookie("x")+"\n", 10_000)+r.cookie(ann), refusedAmbiguous)
			if n := r.aead.Opens.Load(); n != 0 {
				t.Errorf("%d AEAD opens for 10,000 candidates, want 0", n)
			}
		}},
		{10, "A10/mis-cased-prefix-names", func(t *testing.T) {
			r := newRig(t)
			eve := value(t, r.twin(t, nil, cookiesession.WithCookieName("__HOST-session")),
				user{Name: "eve"})
			ann := r.value(t, user{Name: "ann"})
			header := "__HOST-session=" + eve + "; __host-session=" + eve + "; __Host-Session=" +
				eve + "; __host-session=" + eve + "; " + r.cookie(ann)
			if s := r.open(t, header); s.Value().Name != "ann" || r.aead.Opens.Load() != 1 {
				t.Errorf("Load = %+v after %d AEAD opens, want ann's session after 1",
					s.Value(), r.aead.Opens.Load())
			}
		}},
		// A nameless cookie whose value looks like "name=value" cannot be told
		// from the real one by a server: the AEAD stops forgeries, and Renew
		// at login (F65) stops a planted session of the attacker's own. Pairs
		// without a name, or without '=', are not the session cookie.
		{11, "A11/nameless-cookies", func(t *testing.T) {
			r := newRig(t)
			ann := r.value(t, user{Name: "ann"})
			eve := r.value(t, user{Name: "eve"})
			header := eve + "; =" + eve + "; " + r.cookie(ann)
			if s := r.open(t, header); s.Value().Name != "ann" || r.aead.Opens.Load() != 1 {
				t.Errorf("Load = %+v after %d AEAD opens, want ann's session after 1",
					s.Value(), r.aead.Opens.Load())
			}
		}},
		{12, "A12/value-in-other-places-ignored", func(t *testing.T) {
			r := newRig(t)
			ann := r.value(t, user{Name: "ann"})
			q := url.Values{r.m.Name(): {ann}, "session": {ann}}.Encode()
			req := httptest.NewRequest(http.MethodPost, "https://example.com/?"+q,
				strings.NewReader(q))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Session", ann)
			req.Header.Set("Authorization", "Basic "+ann)
			s, err := r.m.Load(req)
			if err != nil || !s.IsNew() || r.aead.Opens.Load() != 0 || r.log.String() != "" {
				t.Errorf("Load = %v, %v after %d AEAD opens, log %q: want no session, no "+
					"open, nothing logged", s, err, r.aead.Opens.Load(), r.log.String())
			}
		}},
	}
}

// ---------------------------------------------------------------------------
// B. The envelope and the AEAD.

// flipEach flips every bit of the bytes [lo, hi) of value's envelope and
// loads each result; check judges the error and the AEAD opens it took.
func (r *hostileRig) flipEach(t *testing.T, value string, lo, hi int,
	check func(where string, err error, opens int64)) {
	t.Helper()
	env := decode(t, value)
	if hi < 0 {
		hi += len(env)
	}
	if lo < 0 {
		lo += len(env)
	}
	for i := lo; i < hi; i++ {
		for bit := range 8 {
			c := bytes.Clone(env)
			c[i] ^= 1 << bit
			before := r.aead.Opens.Load()
			s, err := r.m.Load(r.request(r.cookie(encode(c))))
			where := fmt.Sprintf("byte %d bit %d", i, bit)
			if err == nil || !s.IsNew() || !reflect.DeepEqual(s.Value(), user{}) {
				t.Fatalf("%s: Load = %+v, %v; want a refusal and no plaintext", where,
					s.Value(), err)
			}
			check(where, err, r.aead.Opens.Load()-before)
		}
	}
}

// flipRow is a row that flips every bit of one field of the envelope and
// wants each flip refused as want, or, for the times, refused either by
// the checks of the clear header or by the AEAD.
func flipRow(name string, lo, hi int, want *refusal) hostileCase {
	return hostileCase{14, "B14/flip-" + name, func(t *testing.T) {
		r := newRig(t)
		v := r.value(t, user{Name: "ann", Roles: []string{"admin"}})
		reachedAEAD := 0
		r.flipEach(t, v, lo, hi, func(where string, err error, opens int64) {
			switch {
			case want != nil && (!want.match(err) || opens != want.opens):
				t.Errorf("%s: Load = %v after %d AEAD opens, want %q after %d", where, err,
					opens, want.text(), want.opens)
			case want == nil && opens > 1:
				t.Errorf("%s: %d AEAD opens, want at most 1", where, opens)
			case want == nil && opens == 1 && !refusedAuth.match(err):
				t.Errorf("%s: Load = %v after the AEAD, want %q", where, err, refusedAuth.text())
			case want == nil && opens == 0 && !errors.Is(err, cookiesession.ErrInvalid) &&
				!errors.Is(err, cookiesession.ErrExpired):
				t.Errorf("%s: Load = %v, want ErrInvalid or ErrExpired", where, err)
			}
			if opens == 1 {
				reachedAEAD++
			}
		})
		// A time moved a little passes the checks of the clear header: the
		// AEAD must be what refuses it, which shows the times are
		// authenticated.
		if want == nil && reachedAEAD == 0 {
			t.Errorf("no flip of the %s reached the AEAD", name)
		}
	}}
}

// envelopeVersion returns an authentic envelope of any version byte.
func (r *hostileRig) envelopeVersion(t *testing.T, version byte) string {
	h := r.header(r.now(), r.now(), r.now()+3600)
	h.Version = version
	return forge(t, r.secret, h, r.m.Name(), plaintext(nil, []byte(`{"name":"v"}`)))
}

func hostileEnvelope() []hostileCase {
	return []hostileCase{
		{13, "B13/truncated-envelope", func(t *testing.T) {
			r := newRig(t)
			env := decode(t, r.value(t, user{Name: "ann"}))
			for _, n := range []int{0, 1, 4, 5, 28, 52, 53, 54, 68} {
				r.refuse(t, r.cookie(encode(env[:n])), refusedMalformed)
			}
			for _, n := range []int{69, 70, len(env) - 16, len(env) - 1} {
				r.refuse(t, r.cookie(encode(env[:n])), refusedAuth)
			}
			// Cut inside the base64 rather than the bytes.
			v := encode(env)
			for _, n := range []int{1, 71, 72, 91} {
				r.refuse(t, r.cookie(v[:n]), refusedMalformed)
			}
		}},
		flipRow("version", 0, 1, &refusedVersion),
		flipRow("key-id", 1, 5, &refusedUnknownKey),
		flipRow("created", 5, 13, nil),
		flipRow("sealed", 13, 21, nil),
		flipRow("expires", 21, 29, nil),
		flipRow("nonce", 29, 53, &refusedAuth),
		flipRow("ciphertext", 53, -16, &refusedAuth),
		flipRow("tag", -16, 0, &refusedAuth),
		{15, "B15/unknown-version-byte", func(t *testing.T) {
			r := newRig(t)
			env := decode(t, r.value(t, user{Name: "ann"}))
			for _, version := range []byte{0x00, 0x02, 0x80, 0xff} {
				env[0] = version
				r.refuse(t, r.cookie(encode(env)), refusedVersion)
			}
		}},
		// Authentic envelopes of another version under the same key: the
		// version byte is in the AAD, and a version the package does not know
		// is refused before any decryption, so that one key never serves two
		// formats.
		{16, "B16/authentic-envelope-of-another-version", func(t *testing.T) {
			r := newRig(t)
			if s := r.open(t, r.cookie(r.envelopeVersion(t, 1))); s.Value().Name != "v" {
				t.Fatalf("the forged version 1 control does not open: %+v", s.Value())
			}
			for _, version := range []byte{0x00, 0x02, 0xff} {
				r.refuse(t, r.cookie(r.envelopeVersion(t, version)), refusedVersion)
			}
		}},
		{17, "B17/value-moved-to-another-cookie-name", func(t *testing.T) {
			r := newRig(t)
			for _, name := range []string{"flash", "__Host-flash", "__Secure-session", "session"} {
				other := r.twin(t, nil, cookiesession.WithCookieName(name))
				r.refuse(t, r.cookie(value(t, other, user{Name: "eve"})), refusedAuth)
			}
		}},
		{17, "B17/cookie-as-bearer-token", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "ann"})
			if s, err := r.m.OpenToken(v); s != nil || !refusedAuth.match(err) {
				t.Errorf("OpenToken(cookie value) = %v, %v; want nil, %q", s, err,
					refusedAuth.text())
			}
			req := r.request("")
			req.Header.Set("Authorization", "Bearer "+v)
			if s, err := r.m.Load(req); !s.IsNew() || !refusedAuth.match(err) {
				t.Errorf("Load(Bearer cookie value) = %v, %v; want a new session, %q", s, err,
					refusedAuth.text())
			}
		}},
		{17, "B17/token-as-cookie", func(t *testing.T) {
			r := newRig(t)
			r.refuse(t, r.cookie(r.token(t, user{Name: "api"})), refusedAuth)
		}},
		// Another application under its own key is refused by key ID, with no
		// decryption; one sharing the key is refused by the cookie name bound
		// into the AAD. Two applications that share a key and a cookie name
		// share their sessions: the name is the only binding (documented).
		{18, "B18/value-of-another-application", func(t *testing.T) {
			r := newRig(t)
			otherKey := r.twin(t, []cookiesession.Key{cookiesession.GenerateKey()})
			r.refuse(t, r.cookie(value(t, otherKey, user{Name: "eve"})), refusedUnknownKey)
			sharedKey := r.twin(t, nil, cookiesession.WithCookieName("__Host-other-app"))
			r.refuse(t, r.cookie(value(t, sharedKey, user{Name: "eve"})), refusedAuth)
		}},
		{19, "B19/truncated-tag", func(t *testing.T) {
			r := newRig(t)
			env := decode(t, r.value(t, user{Name: "ann"}))
			for _, cut := range []int{4, 8, 12, 15} {
				r.refuse(t, r.cookie(encode(env[:len(env)-cut])), refusedAuth)
			}
		}},
		// Refusals look the same from outside, whatever failed: status,
		// headers and body are those of a request with no cookie at all.
		{20, "B20/refusals-indistinguishable-from-outside", func(t *testing.T) {
			r := newRig(t)
			ann := r.value(t, user{Name: "ann"})
			env := decode(t, ann)
			env[len(env)-1] ^= 1
			now := r.now()
			undecodable := forge(t, r.secret, r.header(now, now, now+3600), r.m.Name(),
				plaintext(nil, []byte(`{"name":["x"]}`)))
			expired := r.forgeAt(t, now-3600, now-3600, now+3600)
			inputs := map[string]string{
				"garbage":     r.cookie("%%%garbage"),
				"unknown key": r.cookie(r.foreignValue(t, user{Name: "eve"})),
				"bad tag":     r.cookie(encode(env)),
				"undecodable": r.cookie(undecodable),
				"expired":     r.cookie(expired),
				"future":      r.cookie(r.forgeAt(t, now+3600, now+3600, now+7200)),
				"too long":    r.cookie(strings.Repeat("A", 5000)),
				"ambiguous":   r.cookie(ann) + "; " + r.cookie(ann),
			}
			page := func(w http.ResponseWriter, req *http.Request) {
				s := r.m.Get(req)
				fmt.Fprintf(w, "new=%t name=%q", s.IsNew(), s.Value().Name)
			}
			base := r.serve(page, "")
			for name, header := range inputs {
				w := r.serve(page, header)
				if w.Code != base.Code || !reflect.DeepEqual(w.Header(), base.Header()) ||
					w.Body.String() != base.Body.String() {
					t.Errorf("%s: %d %v %q, want what no cookie gets: %d %v %q", name, w.Code,
						w.Header(), w.Body, base.Code, base.Header(), base.Body)
				}
			}
			if n := len(r.errs.all()); n != len(inputs) {
				t.Errorf("%d errors reported for %d refusals", n, len(inputs))
			}
		}},
		{21, "B21/authentic-value-that-does-not-decode", func(t *testing.T) {
			r := newRig(t)
			now := r.now()
			for _, enc := range []string{`{"name":["x"]}`, `{"count":"1"}`, `not json`, ``, `{`} {
				v := forge(t, r.secret, r.header(now, now, now+3600), r.m.Name(),
					plaintext(nil, []byte(enc)))
				r.refuse(t, r.cookie(v), refusedDecode)
			}
		}},
		// The catalog wants an error-level line for every authentic value
		// that does not parse; the package logs the codec's failures at error
		// level but a malformed plaintext layout (the package's own bytes) at
		// debug level.
		{21, "B21/authentic-value-with-malformed-plaintext", func(t *testing.T) {
			r := newRig(t)
			now := r.now()
			id := randomBytes(16)
			for name, pt := range map[string][]byte{
				"empty":                 nil,
				"short ID":              id[:15],
				"no flags":              id,
				"unknown flag":          append(bytes.Clone(id), 0x04),
				"flashes without count": append(bytes.Clone(id), 0x01),
				"zero flashes":          append(bytes.Clone(id), 0x01, 0),
				"missing flash":         append(bytes.Clone(id), 0x01, 2, 0, 1, 'x'),
				"flash past end":        append(bytes.Clone(id), 0x01, 1, 0xff, 0xff, 'x'),
				"half flash length":     append(bytes.Clone(id), 0x01, 1, 0),
			} {
				t.Run(name, func(t *testing.T) {
					v := forge(t, r.secret, r.header(now, now, now+3600), r.m.Name(), pt)
					r.refuse(t, r.cookie(v), refusedPlaintext)
				})
			}
		}},
		{22, "B22/nonces-never-repeat", func(t *testing.T) {
			r := newRig(t)
			s := r.m.NewSession()
			s.Set(user{Name: "ann"})
			const workers, each = 8, 250
			nonces := make([][]string, workers)
			var wg sync.WaitGroup
			for i := range workers {
				wg.Go(func() {
					for range each {
						tok, err := r.m.Token(s)
						h, err2 := cookiesession.PeekHeader(tok)
						if err != nil || err2 != nil {
							t.Error(err, err2)
							return
						}
						nonces[i] = append(nonces[i], string(h.Nonce[:]))
					}
				})
			}
			wg.Wait()
			seen := map[string]bool{}
			for _, list := range nonces {
				for _, n := range list {
					if seen[n] || n == string(make([]byte, envelope.NonceSize)) {
						t.Fatalf("nonce %x repeated or zero", n)
					}
					seen[n] = true
				}
			}
			if len(seen) != workers*each {
				t.Errorf("%d nonces, want %d", len(seen), workers*each)
			}
		}},
		{23, "B23/failing-random-source", func(t *testing.T) {
			for name, random := range map[string]func() io.Reader{
				"fails at once":      func() io.Reader { return &brokenRandom{} },
				"fails in the nonce": func() io.Reader { return &brokenRandom{left: 20} },
				"short then EOF": func() io.Reader {
					return io.MultiReader(bytes.NewReader(make([]byte, 30)))
				},
			} {
				t.Run(name, func(t *testing.T) {
					r := newRig(t, cookiesession.WithRandom(random()))
					s := r.m.NewSession()
					s.Set(user{Name: "ann"})
					w := httptest.NewRecorder()
					if err := r.m.Save(w, s); err == nil || len(w.Header()["Set-Cookie"]) != 0 {
						t.Errorf("Save = %v with %v, want an error and no cookie", err, w.Header())
					}
					r2 := newRig(t, cookiesession.WithRandom(random()))
					s = r2.m.NewSession()
					s.Set(user{Name: "ann"})
					if tok, err := r2.m.Token(s); err == nil || tok != "" {
						t.Errorf("Token = %q, %v; want an error", tok, err)
					}
					r3 := newRig(t, cookiesession.WithRandom(random()))
					w = r3.serve(func(w http.ResponseWriter, req *http.Request) {
						r3.m.Get(req).Set(user{Name: "ann"})
					}, "")
					errs := r3.errs.all()
					if len(w.Header()["Set-Cookie"]) != 0 || len(errs) != 1 ||
						!strings.Contains(r3.log.String(), "level=ERROR") {
						t.Errorf("middleware: Set-Cookie %q, errors %v, log %q; want no "+
							"cookie and one error logged", w.Header()["Set-Cookie"], errs,
							r3.log.String())
					}
				})
			}
		}},
		{24, "B24/same-session-sealed-twice", func(t *testing.T) {
			r := newRig(t)
			const marker = "plaintext-marker-42"
			s := r.m.NewSession()
			s.Set(user{Name: marker, Roles: []string{marker}})
			a, err := r.m.Token(s)
			b, err2 := r.m.Token(s)
			if err != nil || err2 != nil || a == b {
				t.Fatalf("two seals: %q, %q (%v, %v); want two different values", a, b, err, err2)
			}
			for _, v := range []string{a, b} {
				env := decode(t, v)
				if bytes.Contains(env, []byte(marker)) || bytes.Contains(env, []byte("name")) {
					t.Errorf("the envelope shows the plaintext: %q", env)
				}
				for shift := range 3 {
					b64 := base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat("x", shift) +
						marker))
					if strings.Contains(v, b64[(shift*4+2)/3+1:len(b64)-2]) {
						t.Errorf("the value shows the plaintext in base64")
					}
				}
			}
		}},
		// Documented: "The length of a cookie shows the length of its
		// session". No padding, and no compression (CRIME): the value grows
		// with the session, byte for byte.
		{26, "B26/length-follows-session-length", func(t *testing.T) {
			r := newRig(t)
			short := r.value(t, user{Roles: []string{"user"}})
			long := r.value(t, user{Roles: []string{"administrator"}})
			want := len("administrator") - len("user")
			if d := len(decode(t, long)) - len(decode(t, short)); d != want {
				t.Errorf("envelopes differ by %d bytes, want %d", d, want)
			}
			repeated := r.value(t, user{Name: strings.Repeat("a", 1000)})
			if n := len(decode(t, repeated)); n < 1000+envelope.Overhead {
				t.Errorf("a session of 1000 repeated bytes seals to %d bytes: compressed", n)
			}
		}},
	}
}

// brokenRandom returns left bytes, then fails.
type brokenRandom struct{ left int }

func (b *brokenRandom) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errors.New("random source failed")
	}
	n := min(len(p), b.left)
	b.left -= n
	return n, nil
}

// ---------------------------------------------------------------------------
// C. Time, expiry and revocation. The times are in the clear header, which
// the AEAD authenticates: forge makes authentic values with hostile times,
// so that each row reaches the time checks themselves.

const (
	hour = int64(time.Hour / time.Second)
	day  = 24 * hour
)

func hostileTimes() []hostileCase {
	return []hostileCase{
		{27, "C27/past-absolute-deadline", func(t *testing.T) {
			r := newRig(t)
			now := r.now()
			r.refuse(t, r.cookie(r.forgeAt(t, now-13*hour, now-60, now-hour)), refusedLifetime)
			// The lifetime ends at created + lifetime even if the sealed
			// deadline is later.
			r.refuse(t, r.cookie(r.forgeAt(t, now-12*hour, now-60, now+hour)), refusedLifetime)
			v := r.forgeAt(t, now-12*hour+1, now-60, now+hour)
			if s := r.open(t, r.cookie(v)); s.Value().Name != "forged" {
				t.Errorf("one second before the deadline: %+v", s.Value())
			}
		}},
		{28, "C28/idle-timeout-passed", func(t *testing.T) {
			r := newRig(t)
			now := r.now()
			r.refuse(t, r.cookie(r.forgeAt(t, now-hour, now-31*60, now+11*hour)), refusedIdle)
			r.refuse(t, r.cookie(r.forgeAt(t, now-hour, now-30*60, now+11*hour)), refusedIdle)
			r.open(t, r.cookie(r.forgeAt(t, now-hour, now-30*60+1, now+11*hour)))
		}},
		// "Not yet valid" is ErrInvalid: sealed further ahead than the skew.
		{29, "C29/sealed-in-the-future", func(t *testing.T) {
			r := newRig(t)
			now := r.now()
			r.refuse(t, r.cookie(r.forgeAt(t, now+600, now+600, now+hour)), refusedFuture)
			r.refuse(t, r.cookie(r.forgeAt(t, now, now+61, now+hour)), refusedFuture)
			r.open(t, r.cookie(r.forgeAt(t, now+30, now+30, now+hour)))
			r.open(t, r.cookie(r.forgeAt(t, now+60, now+60, now+hour)))
		}},
		// A session created by a server whose clock runs ahead, within the
		// skew, opens; when a server on time then changes it, the re-seal
		// stamps sealed = now, before created, and no server opens the new
		// cookie: the user is logged out by a skew the package allows.
		{29, "C29/re-seal-of-a-value-sealed-ahead", func(t *testing.T) {
			r := newRig(t)
			ahead := &clock{t: r.clock.Now().Add(50 * time.Second)}
			fast := r.twin(t, nil, cookiesession.WithClock(ahead.Now))
			v := value(t, fast, user{Name: "ann"})
			w := r.serve(func(w http.ResponseWriter, req *http.Request) {
				r.m.Get(req).Update(func(u *user) { u.Count++ })
			}, r.cookie(v))
			v2, ok := setCookieValue(w.Header(), r.m.Name())
			if !ok {
				t.Fatal("no cookie written for the change")
			}
			if s := r.open(t, r.cookie(v2)); s.Value().Count != 1 {
				t.Errorf("re-sealed session holds %+v", s.Value())
			}
			tok, err := r.m.Token(r.open(t, r.cookie(v)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.m.OpenToken(tok); err != nil {
				t.Errorf("OpenToken(token of a session created ahead) = %v", err)
			}
		}},
		{30, "C30/lowered-lifetime-shortens-issued-sessions", func(t *testing.T) {
			// Sealed as a 30-day remember-me session two days ago.
			r := newRig(t, cookiesession.WithRememberMe(30*24*time.Hour, 7*24*time.Hour))
			now := r.now()
			v := r.forgeAt(t, now-2*day, now-60, now+28*day)
			r.open(t, r.cookie(v))
			for name, opt := range map[string]cookiesession.Option{
				"remember-me cap 1 day": cookiesession.WithRememberMe(24*time.Hour, 24*time.Hour),
				"no remember-me":        cookiesession.WithRememberMe(0, 0),
			} {
				_, err := r.twin(t, nil, opt).Load(r.request(r.cookie(v)))
				if !refusedLifetime.match(err) {
					t.Errorf("%s: Load = %v, want %q", name, err, refusedLifetime.text())
				}
			}
		}},
		// The browser sends no attributes back: a cookie's Max-Age or Expires
		// edited in the browser changes nothing, and attribute-like pairs in
		// the Cookie header are other cookies.
		{31, "C31/edited-max-age-ignored", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "ann"})
			r.clock.Advance(31 * time.Minute)
			r.refuse(t, r.cookie(v)+"; Max-Age=999999999; Expires=Fri, 31 Dec 9999 23:59:59 GMT",
				refusedIdle)
		}},
		{32, "C32/re-seal-keeps-creation-and-deadline", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "ann"})
			before, _ := cookiesession.PeekHeader(v)
			id := r.open(t, r.cookie(v)).ID()
			r.clock.Advance(5 * time.Minute) // a refresh is due
			w := r.serve(r.reader, r.cookie(v))
			v2, ok := setCookieValue(w.Header(), r.m.Name())
			if !ok {
				t.Fatal("no refresh after 5 minutes")
			}
			after, _ := cookiesession.PeekHeader(v2)
			if after.Created != before.Created || after.Expires != before.Expires ||
				after.Sealed != before.Sealed+300 || r.open(t, r.cookie(v2)).ID() != id {
				t.Errorf("refresh: header %+v -> %+v; want only sealed moved, and the same ID",
					before, after)
			}
		}},
		{33, "C33/creation-time-zero-or-negative", func(t *testing.T) {
			r := newRig(t)
			now := r.now()
			for _, created := range []int64{0, -1, math.MinInt64} {
				r.refuse(t, r.cookie(r.forgeAt(t, created, now, now+hour)), refusedTimes)
			}
		}},
		{33, "C33/times-out-of-order", func(t *testing.T) {
			r := newRig(t)
			now := r.now()
			for _, c := range [][3]int64{
				{now, now, now},                // expires == created
				{now, now, now - 1},            // expires before created
				{now, now - 1, now + hour},     // sealed before created
				{now, now, math.MinInt64},      // expires at the bottom
				{now, math.MinInt64, now + 60}, // sealed at the bottom
			} {
				r.refuse(t, r.cookie(r.forgeAt(t, c[0], c[1], c[2])), refusedTimes)
			}
		}},
		{33, "C33/times-at-the-int64-limit", func(t *testing.T) {
			r := newRig(t)
			now := r.now()
			const top = math.MaxInt64
			r.refuse(t, r.cookie(r.forgeAt(t, top, top, top)), refusedTimes)
			r.refuse(t, r.cookie(r.forgeAt(t, top-1, top-1, top)), refusedFuture)
			r.refuse(t, r.cookie(r.forgeAt(t, now, top, top)), refusedFuture)
			r.refuse(t, r.cookie(r.forgeAt(t, 1, 1, top)), refusedLifetime)
		}},
		// A deadline sealed at the top of int64 is capped by the lifetime of
		// the configuration: nothing overflows, on opening or on re-sealing.
		{33, "C33/deadline-at-the-int64-limit-is-capped", func(t *testing.T) {
			for name, opts := range map[string][]cookiesession.Option{
				"default":     nil,
				"remember-me": {cookiesession.WithRememberMe(30*24*time.Hour, 7*24*time.Hour)},
			} {
				t.Run(name, func(t *testing.T) {
					r := newRig(t, opts...)
					now := r.now()
					life := 12 * hour
					if name == "remember-me" {
						life = 30 * day
					}
					v := r.forgeAt(t, now-60, now, math.MaxInt64)
					s := r.open(t, r.cookie(v))
					if got := s.ExpiresAt().Unix(); got != now-60+life {
						t.Errorf("ExpiresAt = %d, want created + %d = %d", got, life, now-60+life)
					}
					s.Set(user{Name: "changed"})
					w := httptest.NewRecorder()
					if err := r.m.Save(w, s); err != nil {
						t.Fatal(err)
					}
					c, err := http.ParseSetCookie(w.Header().Get("Set-Cookie"))
					if err != nil || c.MaxAge <= 0 || int64(c.MaxAge) > life {
						t.Errorf("re-sealed cookie %v (%v), want 0 < Max-Age <= %d", c, err, life)
					}
					r.clock.Advance(time.Duration(life-60) * time.Second)
					r.refuse(t, r.cookie(v), refusedLifetime)
				})
			}
		}},
		// A server clock that steps back makes values look sealed in the
		// future: beyond the skew they are refused (fail closed).
		{34, "C34/server-clock-steps-back", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "ann"})
			r.clock.Advance(-time.Hour)
			r.refuse(t, r.cookie(v), refusedFuture)
			r.clock.Advance(time.Hour - 30*time.Second)
			r.open(t, r.cookie(v))
		}},
		// Without revocation configured, a copy of the cookie taken before
		// logout opens until it expires (documented). With a revocation list
		// (issue 7), Revoke at logout refuses every copy.
		{35, "C35/copy-replayed-after-logout", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "ann"})
			id := r.open(t, r.cookie(v)).ID()
			w := r.serve(func(w http.ResponseWriter, req *http.Request) { r.m.Get(req).Destroy() },
				r.cookie(v))
			if deleted, ok := setCookieValue(w.Header(), r.m.Name()); !ok || deleted != "" {
				t.Fatalf("logout wrote %q, want the deletion cookie", w.Header()["Set-Cookie"])
			}
			if s := r.open(t, r.cookie(v)); s.Value().Name != "ann" || s.ID() != id {
				t.Errorf("copy after logout = %+v, ID %q; without revocation it opens as it "+
					"was", s.Value(), s.ID())
			}

			list := &cookiesession.MemoryRevocationList{}
			rv := newRig(t, cookiesession.WithRevocation[user](list, nil))
			v = rv.value(t, user{Name: "ann"})
			other := rv.value(t, user{Name: "bob"})
			rv.serve(func(w http.ResponseWriter, req *http.Request) {
				s := rv.m.Get(req)
				if err := rv.m.Revoke(req.Context(), s); err != nil {
					t.Error(err)
				}
				s.Destroy()
			}, rv.cookie(v))
			rv.refuse(t, rv.cookie(v), refusedListed)
			rv.open(t, rv.cookie(other))
		}},
		// A copy taken before a change of privilege keeps the old privilege
		// unless the application revokes it: by subject on the list, with a
		// validator of its own, or for everyone with a not-before time.
		{36, "C36/copy-replayed-after-privilege-change", func(t *testing.T) {
			list := &cookiesession.MemoryRevocationList{}
			byName := func(u user) string { return u.Name }
			r := newRig(t, cookiesession.WithRevocation(list, byName))
			admin := r.value(t, user{Name: "ann", Roles: []string{"admin"}})
			r.clock.Advance(time.Second)
			w := r.serve(func(w http.ResponseWriter, req *http.Request) {
				s := r.m.Get(req)
				s.Renew()
				s.Set(user{Name: "ann"}) // admin role revoked
			}, r.cookie(admin))
			demoted, _ := setCookieValue(w.Header(), r.m.Name())
			if roles := r.open(t, r.cookie(admin)).Value().Roles; len(roles) != 1 {
				t.Fatalf("before RevokeSubject the copy has roles %v", roles)
			}
			err := r.m.RevokeSubject(t.Context(), "ann", r.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			r.refuse(t, r.cookie(admin), refusedListed)
			if roles := r.open(t, r.cookie(demoted)).Value().Roles; len(roles) != 0 {
				t.Errorf("demoted session has roles %v", roles)
			}

			changed := errors.New("password changed")
			validated := newRig(t, cookiesession.WithValidator(
				func(_ context.Context, info cookiesession.SessionInfo, u user) error {
					if u.Name == "ann" && info.Created.Before(time.Unix(1_800_000_001, 0)) {
						return changed
					}
					return nil
				}))
			old := validated.value(t, user{Name: "ann"})
			validated.refuse(t, validated.cookie(old),
				refusal{err: cookiesession.ErrRevoked, reason: "password changed", opens: 1})

			r.m.SetNotBefore(r.clock.Now().Add(time.Second))
			r.refuse(t, r.cookie(demoted), refusal{err: cookiesession.ErrRevoked,
				reason: "created before the not-before time"})
		}},
		// A list that fails refuses the session (fail closed) and is
		// reported; WithInsecureRevocationFailOpen accepts it, at error level.
		{37, "C37/failing-revocation-list", func(t *testing.T) {
			r := newRig(t, cookiesession.WithRevocation[user](failingList{}, nil))
			v := r.value(t, user{Name: "ann"})
			s, err := r.m.Load(r.request(r.cookie(v)))
			if err == nil || !s.IsNew() || !errors.Is(err, errListDown) {
				t.Errorf("Load with a failing list = %v, %v; want no session and the list's "+
					"error", s, err)
			}
			open := newRig(t, cookiesession.WithRevocation[user](failingList{}, nil),
				cookiesession.WithInsecureRevocationFailOpen())
			v = open.value(t, user{Name: "ann"})
			open.open(t, open.cookie(v))
			if !strings.Contains(open.log.String(), "level=ERROR") {
				t.Errorf("fail-open log %q, want an error-level line", open.log.String())
			}
		}},
		{37, "C37/failing-revocation-list-reported-at-error-level", func(t *testing.T) {
			r := newRig(t, cookiesession.WithRevocation[user](failingList{}, nil))
			v := r.value(t, user{Name: "ann"})
			_, err := r.m.Load(r.request(r.cookie(v)))
			if !errors.Is(err, cookiesession.ErrRevocationUnavailable) {
				t.Errorf("Load with a failing list = %v, want ErrRevocationUnavailable", err)
			}
			if !strings.Contains(r.log.String(), "level=ERROR") {
				t.Errorf("log %q, want the failure at error level (\"Failures are logged at "+
					"error level either way\")", r.log.String())
			}
		}},
		// The list is keyed on the session ID, which re-seals keep (refresh,
		// key rotation, flash messages): a revoked session's re-sealed copies
		// are refused too, and other encodings of a copy do not open at all.
		{38, "C38/revoked-copy-re-sealed-or-re-encoded", func(t *testing.T) {
			list := &cookiesession.MemoryRevocationList{}
			r := newRig(t, cookiesession.WithRevocation[user](list, nil))
			v := r.valueWhere(t, user{Name: "ann"}, func(v string) bool {
				return len(v)%4 != 0 && strings.ContainsAny(v, "-_")
			})
			s := r.open(t, r.cookie(v))
			newKey := cookiesession.GenerateKey()
			err := r.m.SetKeys(cookiesession.CountingKeyring(r.aead, newKey, r.key))
			if err != nil {
				t.Fatal(err)
			}
			r.clock.Advance(5 * time.Minute)
			w := r.serve(func(w http.ResponseWriter, req *http.Request) {
				r.m.Get(req).AddFlash("hello")
			}, r.cookie(v))
			v2, _ := setCookieValue(w.Header(), r.m.Name())
			if h, _ := cookiesession.PeekHeader(v2); h.KeyID != newKey.ID() {
				t.Fatalf("not re-sealed under the new key: %+v", h)
			}
			if got := r.open(t, r.cookie(v2)).ID(); got != s.ID() {
				t.Fatalf("ID after re-seal = %q, want %q", got, s.ID())
			}
			if err := r.m.Revoke(t.Context(), s); err != nil {
				t.Fatal(err)
			}
			r.refuse(t, r.cookie(v), refusedListed)
			r.refuse(t, r.cookie(v2), refusedListed)
			padded := base64.URLEncoding.EncodeToString(decode(t, v))
			r.refuse(t, r.cookie(padded), refusedMalformed)
			r.refuse(t, r.cookie(strings.NewReplacer("-", "+", "_", "/").Replace(v)),
				refusedMalformed)
			r.refuse(t, r.cookie(`"`+v+`"`), refusedMalformed)
		}},
	}
}

// failingList is a RevocationList whose store is down.
type failingList struct{}

var errListDown = errors.New("revocation store unreachable")

func (failingList) Revoke(context.Context, string, time.Time) error { return errListDown }

func (failingList) RevokeSubject(context.Context, string, time.Time, time.Time) error {
	return errListDown
}

func (failingList) Revoked(context.Context, string, string, time.Time) (bool, error) {
	return false, errListDown
}

// ---------------------------------------------------------------------------
// D. Keys and rotation.

// keyErrorShows fails if err is nil or shows one of the inputs.
func keyErrorShows(t *testing.T, call string, err error, inputs ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s succeeded, want an error", call)
		return
	}
	if !strings.HasPrefix(err.Error(), "cookiesession: ") {
		t.Errorf("%s = %q, want the cookiesession: prefix", call, err)
	}
	for _, in := range inputs {
		if in = strings.TrimSpace(in); len(in) > 8 && strings.Contains(err.Error(), in[:8]) {
			t.Errorf("%s = %q shows the key", call, err)
		}
	}
}

func hostileKeys() []hostileCase {
	std := base64.StdEncoding.EncodeToString
	return []hostileCase{
		{39, "D39/empty-short-and-uniform-keys", func(t *testing.T) {
			for name, s := range map[string]string{
				"empty":           "",
				"spaces":          "  \t ",
				"16 bytes":        std(randomBytes(16)),
				"31 bytes":        std(randomBytes(31)),
				"Shiro's default": "kPH+bIxk5D2deZiIxcaaaA==", // CVE-2016-4437
				"all zero":        std(make([]byte, 32)),
				"all 0xff, 64":    std(bytes.Repeat([]byte{0xff}, 64)),
				"empty second":    cookiesession.GenerateKeyString() + ",",
			} {
				_, err := cookiesession.ParseKeyring(s)
				keyErrorShows(t, "ParseKeyring("+name+")", err, strings.Split(s, ",")...)
				_, err = cookiesession.ParseKey(s)
				keyErrorShows(t, "ParseKey("+name+")", err, s)
			}
			for name, secret := range map[string][]byte{
				"nil": nil, "31 bytes": randomBytes(31), "uniform": bytes.Repeat([]byte{7}, 48),
			} {
				_, err := cookiesession.NewKey(secret)
				keyErrorShows(t, "NewKey("+name+")", err)
			}
			if _, err := cookiesession.NewKeyring(); err == nil {
				t.Error("NewKeyring() succeeded")
			}
			_, err := cookiesession.NewKeyring(cookiesession.GenerateKey(), cookiesession.Key{})
			if err == nil {
				t.Error("NewKeyring(key, zero Key) succeeded")
			}
			if _, err := cookiesession.New[user](nil); err == nil {
				t.Error("New(nil keyring) succeeded")
			}
		}},
		// A passphrase with spaces or punctuation is not base64 and is
		// refused without being shown. One that happens to be base64 of 32
		// bytes or more cannot be told from a key and is accepted: the
		// package asks for secrets from a CSPRNG and cannot check it (the
		// catalog asks for a slow-KDF constructor instead).
		{40, "D40/passphrase-as-key", func(t *testing.T) {
			for _, s := range []string{
				"correct horse battery staple, and more words",
				"P@ssw0rd!P@ssw0rd!P@ssw0rd!P@ssw0rd!P@ssw0rd!",
			} {
				_, err := cookiesession.ParseKeyring(s)
				keyErrorShows(t, "ParseKeyring(passphrase)", err, s)
			}
			if _, err := cookiesession.ParseKey(strings.Repeat("letmein", 6) + "ab"); err != nil {
				t.Errorf("ParseKey(base64-shaped passphrase) = %v; the documented limitation "+
					"is that it is accepted", err)
			}
		}},
		{41, "D41/unknown-key-id", func(t *testing.T) {
			r := newRig(t)
			now := r.now()
			for _, id := range []uint32{0, 1, r.key.ID() ^ 1, math.MaxUint32} {
				h := r.header(now, now, now+hour)
				h.KeyID = id
				v := forge(t, r.secret, h, r.m.Name(), plaintext(nil, []byte(`{}`)))
				r.refuse(t, r.cookie(v), refusedUnknownKey)
				if id != 0 && !strings.Contains(r.log.String(), fmt.Sprintf("key_id=%08x", id)) {
					t.Errorf("log %q, want key_id=%08x", r.log.String(), id)
				}
			}
		}},
		{42, "D42/previous-key-opens-and-re-seals", func(t *testing.T) {
			r := newRig(t)
			old := r.value(t, user{Name: "ann"})
			before, _ := cookiesession.PeekHeader(old)
			primary := cookiesession.GenerateKey()
			r.m.SetKeys(cookiesession.CountingKeyring(r.aead, primary, r.key))
			r.clock.Advance(10 * time.Second)
			w := r.serve(r.reader, r.cookie(old))
			v, ok := setCookieValue(w.Header(), r.m.Name())
			after, _ := cookiesession.PeekHeader(v)
			if !ok || after.KeyID != primary.ID() || after.Created != before.Created ||
				after.Expires != before.Expires || r.aead.Opens.Load() != 1 {
				t.Errorf("re-seal %+v -> %+v after %d opens; want the primary key, the same "+
					"times, one open", before, after, r.aead.Opens.Load())
			}
		}},
		{43, "D43/removed-key", func(t *testing.T) {
			r := newRig(t)
			old := r.value(t, user{Name: "ann"})
			r.m.SetKeys(cookiesession.CountingKeyring(r.aead, cookiesession.GenerateKey()))
			r.refuse(t, r.cookie(old), refusedUnknownKey)
		}},
		{44, "D44/one-secret-twice", func(t *testing.T) {
			secret := randomBytes(32)
			for name, s := range map[string]string{
				"same text": std(secret) + "," + std(secret),
				"two encodings": std(secret) + "," +
					base64.RawURLEncoding.EncodeToString(secret),
				"spaces and padding": std(secret) + ", " +
					strings.TrimRight(std(secret), "=") + " ",
			} {
				_, err := cookiesession.ParseKeyring(s)
				keyErrorShows(t, "ParseKeyring("+name+")", err, std(secret))
				if err != nil && !strings.Contains(err.Error(), "same key ID") {
					t.Errorf("ParseKeyring(%s) = %v, want the same key ID named", name, err)
				}
			}
			k := cookiesession.GenerateKey()
			if _, err := cookiesession.NewKeyring(k, cookiesession.GenerateKey(), k); err == nil {
				t.Error("NewKeyring(k, other, k) succeeded")
			}
		}},
		{45, "D45/too-many-keys", func(t *testing.T) {
			keys := make([]string, 9)
			for i := range keys {
				keys[i] = cookiesession.GenerateKeyString()
			}
			if _, err := cookiesession.ParseKeyring(strings.Join(keys[:8], ",")); err != nil {
				t.Errorf("ParseKeyring(8 keys) = %v", err)
			}
			_, err := cookiesession.ParseKeyring(strings.Join(keys, ","))
			keyErrorShows(t, "ParseKeyring(9 keys)", err, keys...)
			_, err = cookiesession.ParseKeyring(strings.Repeat(",", 1_000_000))
			if err == nil || !strings.Contains(err.Error(), "1000001 keys") {
				t.Errorf("ParseKeyring(a million commas) = %v, want the count", err)
			}
		}},
		{46, "D46/keyring-swapped-under-load", func(t *testing.T) {
			r := newRig(t)
			other := cookiesession.GenerateKey()
			rings := []*cookiesession.Keyring{
				cookiesession.CountingKeyring(r.aead, r.key, other),
				cookiesession.CountingKeyring(r.aead, other, r.key),
			}
			r.m.SetKeys(rings[0])
			v := r.value(t, user{Name: "ann"})
			var wg sync.WaitGroup
			stop := make(chan struct{})
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
						r.m.SetKeys(rings[i%2])
					}
				}
			})
			var workers sync.WaitGroup
			for range 32 {
				workers.Go(func() {
					for range 10 {
						s, err := r.m.Load(r.request(r.cookie(v)))
						if err != nil || s.Value().Name != "ann" {
							t.Errorf("Load during key swaps = %v", err)
							return
						}
						s.Set(user{Name: "ann", Count: 1})
						if err := r.m.Save(httptest.NewRecorder(), s); err != nil {
							t.Error(err)
						}
					}
				})
			}
			workers.Wait()
			close(stop)
			wg.Wait()
		}},
		{47, "D47/renamed-cookie", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "ann"})
			renamed := newRig(t, cookiesession.WithCookieName("__Host-sid"))
			renamed.m = renamed.twin(t, []cookiesession.Key{r.key},
				cookiesession.WithCookieName("__Host-sid"))
			_, err := renamed.m.Load(renamed.request("__Host-sid=" + v))
			if !refusedAuth.match(err) {
				t.Errorf("Load(value under the old name) = %v, want %q", err, refusedAuth.text())
			}
		}},
	}
}

// ---------------------------------------------------------------------------
// E. The payload and its codec.

// anyManager returns a Manager of map[string]any under the rig's key, for
// payloads of any shape.
func (r *hostileRig) anyManager(t testing.TB,
	opts ...cookiesession.Option) *cookiesession.Manager[map[string]any] {
	t.Helper()
	ring, _ := cookiesession.NewKeyring(r.key)
	m, err := cookiesession.New[map[string]any](ring,
		append(append([]cookiesession.Option{}, r.opts...), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// nested returns a map nested depth deep.
func nested(depth int) map[string]any {
	v := map[string]any{"leaf": true}
	for range depth - 1 {
		v = map[string]any{"a": v}
	}
	return v
}

// deflateBomb returns a raw DEFLATE stream of n bytes of JSON: a name of
// n-11 'a's.
func deflateBomb(t testing.TB, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	io.WriteString(w, `{"name":"`+strings.Repeat("a", n-11)+`"}`)
	w.Close()
	return b.Bytes()
}

func hostilePayload() []hostileCase {
	return []hostileCase{
		// There is no type-directed decoder: fields that T does not have
		// are ignored (documented, so that removing a field does not end
		// sessions), and type tags are plain data.
		{48, "E48/unknown-fields-and-type-tags-ignored", func(t *testing.T) {
			r := newRig(t)
			now := r.now()
			enc := `{"name":"ann","admin":true,"@type":"java.lang.Runtime",` +
				`"$type":"System.Object",` +
				`"__proto__":{"admin":true}}`
			v := forge(t, r.secret, r.header(now, now, now+hour), r.m.Name(),
				plaintext(nil, []byte(enc)))
			if u := r.open(t, r.cookie(v)).Value(); !reflect.DeepEqual(u, user{Name: "ann"}) {
				t.Errorf("Load = %+v, want only the name", u)
			}
			type tagged struct{ V any }
			ring, _ := cookiesession.NewKeyring(r.key)
			m, err := cookiesession.New[tagged](ring, cookiesession.WithClock(r.clock.Now))
			if err != nil {
				t.Fatal(err)
			}
			v = forge(t, r.secret, r.header(now, now, now+hour), m.Name(),
				plaintext(nil, []byte(`{"V":{"@type":"net/http.Server","Addr":":1"}}`)))
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("Cookie", m.Name()+"="+v)
			s, err := m.Load(req)
			if _, isMap := s.Value().V.(map[string]any); err != nil || !isMap {
				t.Errorf("Load = %T, %v; want a plain map", s.Value().V, err)
			}
		}},
		{48, "E48/wrong-types-refused", func(t *testing.T) {
			r := newRig(t)
			now := r.now()
			for _, enc := range []string{`{"roles":{"$gt":""}}`, `{"count":1e999}`,
				`{"count":1.5}`, `{"name":null,"roles":"admin"}`, `[]`} {
				v := forge(t, r.secret, r.header(now, now, now+hour), r.m.Name(),
					plaintext(nil, []byte(enc)))
				r.refuse(t, r.cookie(v), refusedDecode)
			}
		}},
		{49, "E49/hostile-strings-round-trip", func(t *testing.T) {
			r := newRig(t)
			for _, s := range []string{"a\x00b", "x\r\nSet-Cookie: evil=1", "\u2028\u2029",
				"; Path=/; Domain=evil.example", `"quoted"`, `a|b=c&d`, "</script><!--",
				"\\u0000"} {
				u := user{Name: s, Roles: []string{s, "=" + s}}
				v := r.value(t, u)
				if got := r.open(t, r.cookie(v)).Value(); !reflect.DeepEqual(got, u) {
					t.Errorf("round trip of %q = %+v", s, got)
				}
				if strings.ContainsFunc(v, func(c rune) bool {
					return !strings.ContainsRune(base64URLAlphabet, c)
				}) {
					t.Errorf("value %q leaves the base64url alphabet", v)
				}
			}
		}},
		// The catalog wants invalid UTF-8 refused at Set; the package
		// documents that its JSON codec replaces it with U+FFFD.
		{49, "E49/invalid-utf8-becomes-replacement-character", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "a\xffb"})
			if got := r.open(t, r.cookie(v)).Value().Name; got != "a\uFFFDb" {
				t.Errorf("round trip of invalid UTF-8 = %q, want %q", got, "a\uFFFDb")
			}
		}},
		// The session's metadata lives outside the value: fields named like
		// it change nothing.
		{50, "E50/fields-named-like-metadata", func(t *testing.T) {
			r := newRig(t)
			m := r.anyManager(t)
			s := m.NewSession()
			s.Set(map[string]any{"created": 1, "expires": math.MaxInt64, "exp": 9e18, "iat": 0,
				"_iat": -1, "sealed": 0, "sid": "attacker", "id": "attacker",
				"flashes": []string{"x"}, "uver": 0})
			id := s.ID()
			w := httptest.NewRecorder()
			if err := m.Save(w, s); err != nil {
				t.Fatal(err)
			}
			v, _ := setCookieValue(w.Header(), m.Name())
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("Cookie", m.Name()+"="+v)
			got, err := m.Load(req)
			now := r.clock.Now()
			if err != nil || got.ID() != id || !got.CreatedAt().Equal(now) ||
				!got.ExpiresAt().Equal(now.Add(cookiesession.DefaultLifetime)) ||
				len(got.Flashes()) != 0 || got.Value()["sid"] != "attacker" {
				t.Errorf("Load = %v (%v): ID %q, created %v, expires %v; want the envelope's own",
					got, err, got.ID(), got.CreatedAt(), got.ExpiresAt())
			}
		}},
		{51, "E51/deeply-nested-value", func(t *testing.T) {
			r := newRig(t)
			m := r.anyManager(t)
			s := m.NewSession()
			s.Set(nested(10_000))
			w := httptest.NewRecorder()
			if err := m.Save(w, s); !errors.Is(err, cookiesession.ErrTooLarge) ||
				len(w.Header()["Set-Cookie"]) != 0 {
				t.Errorf("Save(10,000 levels) = %v with %v, want ErrTooLarge and no cookie", err,
					w.Header()["Set-Cookie"])
			}
			// As deep as a cookie can hold, authentic: opens, or is refused,
			// without a crash.
			now := r.now()
			deep := `{"a":` + strings.Repeat("[", 1400) + "1" + strings.Repeat("]", 1400) + "}"
			v := forge(t, r.secret, r.header(now, now, now+hour), m.Name(),
				plaintext(nil, []byte(deep)))
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("Cookie", m.Name()+"="+v)
			if got, err := m.Load(req); err != nil || got.IsNew() {
				t.Errorf("Load(1,400 levels) = %v, %v; want it open", got, err)
			}
		}},
		{52, "E52/too-large-keeps-the-previous-cookie", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "ann"})
			w := r.serve(func(w http.ResponseWriter, req *http.Request) {
				r.m.Get(req).Set(user{Name: strings.Repeat("x", 4000)})
			}, r.cookie(v))
			errs := r.errs.all()
			if len(w.Header()["Set-Cookie"]) != 0 || len(errs) != 1 ||
				!errors.Is(errs[0], cookiesession.ErrTooLarge) ||
				!strings.Contains(errs[0].Error(), "the limit is 4000") ||
				!strings.Contains(r.log.String(), "level=ERROR") {
				t.Errorf("Set-Cookie %q, errors %v, log %q; want no cookie and one ErrTooLarge "+
					"with the sizes, logged at error level", w.Header()["Set-Cookie"], errs,
					r.log.String())
			}
			if r.open(t, r.cookie(v)).Value().Name != "ann" {
				t.Error("the previous cookie no longer opens")
			}
		}},
		// Chunking is opt-in (issue 6): a chunked session opens only with all
		// its chunks, in order, as sealed.
		{52, "E52/tampered-chunks-refused", func(t *testing.T) {
			r := newRig(t, cookiesession.WithChunking(3, 0))
			w := r.serve(func(w http.ResponseWriter, req *http.Request) {
				r.m.Get(req).Set(user{Name: strings.Repeat("y", 4000)})
			}, "")
			chunks := map[string]string{}
			for _, line := range w.Header()["Set-Cookie"] {
				c, err := http.ParseSetCookie(line)
				if err != nil {
					t.Fatal(err)
				}
				chunks[c.Name] = c.Value
			}
			name := r.m.Name()
			first, second := chunks[name], chunks[name+".1"]
			if len(chunks) != 2 || !strings.HasPrefix(first, "2/") {
				t.Fatalf("chunks %q, want two", chunks)
			}
			whole := name + "=" + first + "; " + name + ".1=" + second
			if r.open(t, whole).Value().Name != strings.Repeat("y", 4000) {
				t.Fatal("the chunked session does not open")
			}
			rest := first[2:]
			// A middle piece must be a multiple of 4 characters.
			recount := refusedAuth
			if len(second)%4 != 0 {
				recount = refusedMalformed
			}
			for header, want := range map[string]refusal{
				name + "=" + first: {err: cookiesession.ErrInvalid,
					reason: "a chunk is missing or repeated"},
				whole + "; " + name + ".1=" + second: {err: cookiesession.ErrInvalid,
					reason: "a chunk is missing or repeated"},
				name + "=3/" + rest + "; " + name + ".1=" + second + "; " + name +
					".2=AAAA": recount,
				name + "=" + rest + second:                             refusedTooLong,
				name + "=2/" + rest + "; " + name + ".1=" + second[4:]: refusedAuth,
				name + "=9/" + rest:                                    refusedMalformed,
			} {
				r.refuse(t, header, want)
			}
		}},
		// Compression is opt-in (issue 6), and a reader inflates any
		// compressed value to at most 64 KiB, whatever its options: a bomb
		// sealed with a leaked key is refused, and the limit itself opens.
		{53, "E53/compression-bomb", func(t *testing.T) {
			r := newRig(t)
			now := r.now()
			bomb := func(n int) string {
				pt := append(randomBytes(16), 0x02)
				return forge(t, r.secret, r.header(now, now, now+hour), r.m.Name(),
					append(pt, deflateBomb(t, n)...))
			}
			s := r.open(t, r.cookie(bomb(cookiesession.MaxDecompressedSize)))
			if n := len(s.Value().Name); n != cookiesession.MaxDecompressedSize-11 {
				t.Errorf("a value of exactly 64 KiB opens with a name of %d bytes", n)
			}
			r.refuse(t, r.cookie(bomb(cookiesession.MaxDecompressedSize+1)), refusedDecode)
			r.refuse(t, r.cookie(bomb(2<<20)), refusedDecode)
			corrupt := forge(t, r.secret, r.header(now, now, now+hour), r.m.Name(),
				append(append(randomBytes(16), 0x02), "not deflate"...))
			r.refuse(t, r.cookie(corrupt), refusedDecode)
		}},
	}
}

const base64URLAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// ---------------------------------------------------------------------------
// F. Cookie attributes and the Set-Cookie line.

// setCookies returns the parsed Set-Cookie lines of a response for name.
func setCookies(t *testing.T, h http.Header, name string) []*http.Cookie {
	t.Helper()
	var cookies []*http.Cookie
	for _, line := range h["Set-Cookie"] {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("Set-Cookie %q: %v", line, err)
		}
		if c.Name == name {
			cookies = append(cookies, c)
		}
	}
	return cookies
}

func hostileAttributes() []hostileCase {
	return []hostileCase{
		{54, "F54/default-attributes", func(t *testing.T) {
			r := newRig(t)
			w := r.serve(func(w http.ResponseWriter, req *http.Request) {
				r.m.Get(req).Set(user{Name: "ann"})
			}, "")
			cs := setCookies(t, w.Header(), "__Host-session")
			if len(cs) != 1 {
				t.Fatalf("Set-Cookie %q, want one __Host-session", w.Header()["Set-Cookie"])
			}
			c := cs[0]
			if c.Path != "/" || c.Domain != "" || !c.Secure || !c.HttpOnly ||
				c.SameSite != http.SameSiteLaxMode || c.MaxAge <= 0 || c.MaxAge > 1800 ||
				c.Quoted {
				t.Errorf("cookie %+v, want Path=/, no Domain, Secure, HttpOnly, Lax, "+
					"0 < Max-Age <= 1800", c)
			}
		}},
		{55, "F55/host-prefix-misuse", func(t *testing.T) {
			ring, _ := cookiesession.NewKeyring(cookiesession.GenerateKey())
			host := cookiesession.WithCookieName("__Host-s")
			for name, opts := range map[string][]cookiesession.Option{
				"domain":             {host, cookiesession.WithDomain("a.example")},
				"path":               {host, cookiesession.WithPath("/app")},
				"insecure":           {host, cookiesession.WithInsecureCookie()},
				"default name, path": {cookiesession.WithPath("/app")},
				"__Secure- insecure": {cookiesession.WithCookieName("__Secure-s"),
					cookiesession.WithInsecureCookie()},
			} {
				if _, err := cookiesession.New[user](ring, opts...); err == nil {
					t.Errorf("New(%s) succeeded", name)
				}
			}
			m, err := cookiesession.New[user](ring, cookiesession.WithDomain("a.example"))
			if err != nil || m.Name() != "__Secure-session" {
				t.Errorf("New(domain) = %v, name %q; want __Secure-session", err, m.Name())
			}
		}},
		{56, "F56/samesite-none", func(t *testing.T) {
			ring, _ := cookiesession.NewKeyring(cookiesession.GenerateKey())
			_, err := cookiesession.New[user](ring,
				cookiesession.WithSameSite(http.SameSiteNoneMode),
				cookiesession.WithInsecureCookie())
			if err == nil {
				t.Error("New(SameSite=None without Secure) succeeded")
			}
			r := newRig(t, cookiesession.WithSameSite(http.SameSiteNoneMode))
			w := r.serve(func(w http.ResponseWriter, req *http.Request) {
				r.m.Get(req).Set(user{Name: "ann"})
			}, "")
			cs := setCookies(t, w.Header(), r.m.Name())
			if len(cs) != 1 || cs[0].SameSite != http.SameSiteNoneMode || !cs[0].Secure {
				t.Errorf("Set-Cookie %q, want SameSite=None with Secure", w.Header()["Set-Cookie"])
			}
		}},
		{57, "F57/invalid-names-and-attributes", func(t *testing.T) {
			ring, _ := cookiesession.NewKeyring(cookiesession.GenerateKey())
			cases := map[string]cookiesession.Option{
				"path 1025 bytes":   cookiesession.WithPath("/" + strings.Repeat("p", 1024)),
				"path with ;":       cookiesession.WithPath("/a;Domain=evil"),
				"path with NUL":     cookiesession.WithPath("/a\x00"),
				"path with CR LF":   cookiesession.WithPath("/a\r\nX: y"),
				"domain with ;":     cookiesession.WithDomain("a.example;x"),
				"domain with NUL":   cookiesession.WithDomain("a\x00.example"),
				"domain 1025 bytes": cookiesession.WithDomain(strings.Repeat("a.", 512) + "x"),
				"domain non-ASCII":  cookiesession.WithDomain("exämple.com"),
			}
			for _, name := range []string{"a;b", "a=b", "a b", "a\tb", "a\x01b", "a\x7fb",
				"sessión", "a,b", `a"b`, "a:b", "token:__Host-session", "a/b", "a\r\nb",
				strings.Repeat("n", 250)} {
				cases["name "+strconv.Quote(name)] = cookiesession.WithCookieName(name)
			}
			for name, opt := range cases {
				_, err := cookiesession.New[user](ring, opt, cookiesession.WithInsecureCookie())
				if err == nil || !strings.HasPrefix(err.Error(), "cookiesession: ") {
					t.Errorf("New(%s) = %v, want an error", name, err)
				}
			}
		}},
		{58, "F58/written-values-are-cookie-octets", func(t *testing.T) {
			r := newRig(t)
			for i := range 50 {
				u := user{Name: strings.Repeat("\x00\"; \\é", i), Count: i + 1}
				v := r.value(t, u)
				if strings.ContainsFunc(v, func(c rune) bool {
					return !strings.ContainsRune(base64URLAlphabet, c)
				}) {
					t.Fatalf("value %q leaves the base64url alphabet", v)
				}
				c := &http.Cookie{Name: r.m.Name(), Value: v}
				if got, _, _ := strings.Cut(c.String(), ";"); got != r.m.Name()+"="+v {
					t.Fatalf("net/http would rewrite the value: %q", got)
				}
			}
		}},
		{59, "F59/one-set-cookie-per-response", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "ann"})
			var newID string
			w := r.serve(func(w http.ResponseWriter, req *http.Request) {
				http.SetCookie(w, &http.Cookie{Name: "theme", Value: "dark"})
				s := r.m.Get(req)
				for i := range 3 {
					s.Set(user{Name: "ann", Count: i})
					if err := r.m.Save(w, s); err != nil {
						t.Error(err)
					}
				}
				s.Renew()
				newID = s.ID()
				r.m.Save(w, s)
			}, r.cookie(v))
			cs := setCookies(t, w.Header(), r.m.Name())
			if len(cs) != 1 || len(setCookies(t, w.Header(), "theme")) != 1 {
				t.Fatalf("Set-Cookie %q, want one for the session and the application's own",
					w.Header()["Set-Cookie"])
			}
			if s := r.open(t, r.cookie(cs[0].Value)); s.ID() != newID || s.Value().Count != 2 {
				t.Errorf("the cookie holds %+v, ID %q; want the last state", s.Value(), s.ID())
			}
			w = r.serve(func(w http.ResponseWriter, req *http.Request) {
				s := r.m.Get(req)
				s.Set(user{Name: "bob"})
				r.m.Save(w, s)
				s.Renew()
				r.m.Save(w, s)
				s.Destroy()
			}, r.cookie(v))
			if cs := setCookies(t, w.Header(), r.m.Name()); len(cs) != 1 || cs[0].Value != "" {
				t.Errorf("Set-Cookie %q, want one line, the deletion", w.Header()["Set-Cookie"])
			}
		}},
		{60, "F60/deletion-cookie-attributes", func(t *testing.T) {
			for name, opts := range map[string][]cookiesession.Option{
				"default": nil,
				"domain": {
					cookiesession.WithDomain("example.com"), cookiesession.WithPath("/app"),
				},
			} {
				r := newRig(t, opts...)
				v := r.value(t, user{Name: "ann"})
				w := r.serve(func(w http.ResponseWriter, req *http.Request) {
					r.m.Get(req).Destroy()
				}, r.cookie(v))
				cs := setCookies(t, w.Header(), r.m.Name())
				if len(cs) != 1 {
					t.Fatalf("%s: Set-Cookie %q", name, w.Header()["Set-Cookie"])
				}
				c, wantPath, wantDomain := cs[0], "/", ""
				if name == "domain" {
					wantPath, wantDomain = "/app", "example.com"
				}
				if c.Value != "" || c.MaxAge >= 0 || c.Expires.Unix() != 0 || c.Path != wantPath ||
					c.Domain != wantDomain || !c.Secure || !c.HttpOnly ||
					c.SameSite != http.SameSiteLaxMode {
					t.Errorf("%s: deletion %q, want the cookie's attributes with Max-Age=0",
						name, w.Header()["Set-Cookie"])
				}
			}
		}},
		{61, "F61/plain-http-keeps-secure", func(t *testing.T) {
			r := newRig(t)
			req := httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
			req.Header.Set("X-Forwarded-Proto", "http")
			req.Header.Set("Forwarded", "proto=http")
			w := httptest.NewRecorder()
			r.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				r.m.Get(req).Set(user{Name: "ann"})
			})).ServeHTTP(w, req)
			if cs := setCookies(t, w.Header(), r.m.Name()); len(cs) != 1 || !cs[0].Secure {
				t.Errorf("Set-Cookie %q over plain http, want Secure", w.Header()["Set-Cookie"])
			}
		}},
		{62, "F62/cache-headers", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "ann"})
			r.clock.Advance(5 * time.Minute) // a refresh-only re-seal is due
			w := r.serve(func(w http.ResponseWriter, req *http.Request) {
				w.Header().Set("Cache-Control", "public, max-age=600, s-maxage=600")
				w.Header().Set("Vary", "Accept-Encoding")
				r.m.Get(req)
			}, r.cookie(v))
			h := w.Header()
			if len(h["Set-Cookie"]) != 1 || h.Get("Cache-Control") != "private, max-age=600" ||
				strings.Join(h["Vary"], ",") != "Accept-Encoding,Cookie" {
				t.Errorf("refresh response headers %v, want one cookie, private and Vary: "+
					"Cookie", h)
			}
			w = r.serve(func(w http.ResponseWriter, req *http.Request) {
				w.Header().Set("Cache-Control", "public, max-age=600")
				r.m.Get(req)
			}, r.cookie(v))
			if h := w.Header(); len(h["Set-Cookie"]) != 1 || h.Get("Vary") != "Cookie" {
				t.Errorf("read response headers %v, want Vary: Cookie", h)
			}
		}},
		{63, "F63/not-modified-response", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "ann"})
			r.clock.Advance(5 * time.Minute)
			serve304 := func(change bool) http.Header {
				req := r.request(r.cookie(v))
				req.Header.Set("If-None-Match", `"v1"`)
				w := httptest.NewRecorder()
				r.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
					s := r.m.Get(req)
					if change {
						s.Set(user{Name: "bob"})
					}
					w.Header().Set("ETag", `"v1"`)
					w.Header().Set("Cache-Control", "public, max-age=60")
					http.ServeContent(w, req, "a.txt", time.Time{}, strings.NewReader("body"))
				})).ServeHTTP(w, req)
				if w.Code != http.StatusNotModified {
					t.Fatalf("status %d, want 304", w.Code)
				}
				return w.Header()
			}
			if h := serve304(false); len(h["Set-Cookie"]) != 0 {
				t.Errorf("304 with only a refresh due carries %q", h["Set-Cookie"])
			}
			h := serve304(true)
			if len(h["Set-Cookie"]) != 1 || h.Get("Cache-Control") != "private, max-age=60" {
				t.Errorf("304 after a change: %v, want the cookie and a private Cache-Control", h)
			}
		}},
		// Renew draws a new ID and a new lifetime. It does not revoke the
		// old ID: the copy from before the login opens still, unless the
		// application revokes it (Manager.Revoke, with WithRevocation).
		{64, "F64/renew-at-login", func(t *testing.T) {
			r := newRig(t)
			before := r.value(t, user{Name: "anonymous"})
			oldID := r.open(t, r.cookie(before)).ID()
			r.clock.Advance(time.Minute)
			w := r.serve(func(w http.ResponseWriter, req *http.Request) {
				s := r.m.Get(req)
				s.Renew()
				s.Set(user{Name: "ann"})
			}, r.cookie(before))
			v, _ := setCookieValue(w.Header(), r.m.Name())
			s := r.open(t, r.cookie(v))
			if s.ID() == oldID || !s.CreatedAt().Equal(r.clock.Now()) {
				t.Errorf("after Renew: ID %q (was %q), created %v; want a new ID, created now",
					s.ID(), oldID, s.CreatedAt())
			}
			if r.open(t, r.cookie(before)).ID() != oldID {
				t.Error("the copy from before the login no longer opens without revocation")
			}
		}},
		// A session planted from a sibling domain is the attacker's own and
		// genuine. Renew gives a new ID but keeps the value (documented), so
		// a login handler must Set the whole value after it.
		{65, "F65/planted-session-at-login", func(t *testing.T) {
			r := newRig(t)
			planted := r.value(t, user{Name: "eve", Roles: []string{"eve-owned"}})
			plantedID := r.open(t, r.cookie(planted)).ID()
			w := r.serve(func(w http.ResponseWriter, req *http.Request) {
				s := r.m.Get(req)
				s.Renew()
				if s.Value().Name != "eve" {
					t.Error("Renew dropped the value; the documentation says it keeps it")
				}
				s.Set(user{Name: "ann"})
			}, r.cookie(planted))
			v, _ := setCookieValue(w.Header(), r.m.Name())
			s := r.open(t, r.cookie(v))
			if s.ID() == plantedID || !reflect.DeepEqual(s.Value(), user{Name: "ann"}) {
				t.Errorf("after login: ID %q (planted %q), value %+v; want a new ID and ann only",
					s.ID(), plantedID, s.Value())
			}
		}},
	}
}

// ---------------------------------------------------------------------------
// G. The middleware in net/http.

// changeThen is a handler that changes the session, then answers with
// respond.
func (r *hostileRig) changeThen(respond http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		r.m.Get(req).Update(func(u *user) { u.Count++ })
		respond(w, req)
	}
}

// oneCookie fails unless h has exactly one Set-Cookie line, for the
// session, whose value opens with Count == count.
func (r *hostileRig) oneCookie(t *testing.T, h http.Header, count int) {
	t.Helper()
	cs := setCookies(t, h, r.m.Name())
	if len(h["Set-Cookie"]) != 1 || len(cs) != 1 {
		t.Fatalf("Set-Cookie %q, want one line for the session", h["Set-Cookie"])
	}
	if got := r.open(t, r.cookie(cs[0].Value)).Value().Count; got != count {
		t.Errorf("the cookie holds count %d, want %d", got, count)
	}
}

// server runs h through the middleware on an httptest server.
func (r *hostileRig) server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(r.m.Handler(h))
	t.Cleanup(srv.Close)
	return srv
}

// bufferingWriter holds the body and the status until flush, as a
// compressing or buffering middleware does.
type bufferingWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (b *bufferingWriter) WriteHeader(code int)        { b.status = code }
func (b *bufferingWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferingWriter) flush() {
	if b.status != 0 {
		b.ResponseWriter.WriteHeader(b.status)
	}
	b.ResponseWriter.Write(b.body.Bytes())
}

func hostileMiddleware() []hostileCase {
	return []hostileCase{
		{67, "G67/write-without-writeheader", func(t *testing.T) {
			bodies := map[string][]byte{"body": []byte("hello"), "empty write": nil}
			for name, body := range bodies {
				t.Run(name, func(t *testing.T) {
					r := newRig(t)
					w := r.serve(r.changeThen(func(w http.ResponseWriter, _ *http.Request) {
						w.Write(body)
					}), "")
					r.oneCookie(t, w.Result().Header, 1)
				})
			}
		}},
		{68, "G68/redirect", func(t *testing.T) {
			r := newRig(t)
			w := r.serve(r.changeThen(func(w http.ResponseWriter, req *http.Request) {
				http.Redirect(w, req, "/home", http.StatusFound)
			}), "")
			if w.Code != http.StatusFound {
				t.Fatalf("status %d", w.Code)
			}
			r.oneCookie(t, w.Result().Header, 1)
		}},
		{69, "G69/change-after-the-body", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "ann"})
			w := r.serve(func(w http.ResponseWriter, req *http.Request) {
				s := r.m.Get(req)
				io.WriteString(w, "body first")
				s.Set(user{Name: "bob"})
			}, r.cookie(v))
			errs := r.errs.all()
			if len(w.Result().Header["Set-Cookie"]) != 0 || len(errs) != 1 ||
				!errors.Is(errs[0], cookiesession.ErrCommitted) {
				t.Errorf("Set-Cookie %q, errors %v; want none and one ErrCommitted",
					w.Result().Header["Set-Cookie"], errs)
			}
			line := `level=ERROR msg="cookiesession: session change not saved"`
			logged := r.log.String()
			if !strings.Contains(logged, line) || !strings.Contains(logged, "reason=") {
				t.Errorf("log %q, want %q with the reason", r.log.String(), line)
			}
		}},
		{70, "G70/flush-before-the-body", func(t *testing.T) {
			for name, flush := range map[string]func(w http.ResponseWriter){
				"ResponseController": func(w http.ResponseWriter) {
					http.NewResponseController(w).Flush()
				},
				"http.Flusher": func(w http.ResponseWriter) { w.(http.Flusher).Flush() },
			} {
				t.Run(name, func(t *testing.T) {
					r := newRig(t)
					w := r.serve(r.changeThen(func(w http.ResponseWriter, _ *http.Request) {
						flush(w)
						w.Header().Set("X-Late", "lost")
					}), "")
					// The recorder keeps the header map as it was at the flush.
					if w.Result().Header.Get("X-Late") != "" || !w.Flushed {
						t.Fatal("the recorder did not snapshot the headers at the flush")
					}
					r.oneCookie(t, w.Result().Header, 1)
				})
			}
		}},
		{71, "G71/streaming-flushes", func(t *testing.T) {
			r := newRig(t)
			w := r.serve(r.changeThen(func(w http.ResponseWriter, _ *http.Request) {
				f, ok := w.(http.Flusher)
				if !ok {
					t.Fatal("the middleware's writer is not an http.Flusher")
				}
				for i := range 3 {
					fmt.Fprintf(w, "data: %d\n\n", i)
					f.Flush()
				}
			}), "")
			if !strings.Contains(w.Body.String(), "data: 2") {
				t.Errorf("body %q", w.Body)
			}
			r.oneCookie(t, w.Result().Header, 1)
		}},
		{72, "G72/io-copy-and-readfrom", func(t *testing.T) {
			r := newRig(t)
			srv := r.server(t, r.changeThen(func(w http.ResponseWriter, _ *http.Request) {
				if _, ok := w.(io.ReaderFrom); !ok {
					t.Error("the middleware's writer is not an io.ReaderFrom")
				}
				io.Copy(w, strings.NewReader(strings.Repeat("x", 64<<10)))
			}))
			res, err := http.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if n != 64<<10 {
				t.Errorf("body of %d bytes", n)
			}
			r.oneCookie(t, res.Header, 1)
		}},
		{73, "G73/hijack", func(t *testing.T) {
			r := newRig(t)
			srv := r.server(t, r.changeThen(func(w http.ResponseWriter, _ *http.Request) {
				conn, brw, err := http.NewResponseController(w).Hijack()
				if err != nil {
					t.Errorf("Hijack through the middleware: %v", err)
					return
				}
				defer conn.Close()
				// The upgrader sends the Set-Cookie line left in the header map.
				fmt.Fprintf(brw, "HTTP/1.1 200 OK\r\nSet-Cookie: %s\r\nContent-Length: 0\r\n\r\n",
					w.Header().Get("Set-Cookie"))
				brw.Flush()
			}))
			res, err := http.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			r.oneCookie(t, res.Header, 1)
		}},
		{74, "G74/early-hints-then-final-response", func(t *testing.T) {
			r := newRig(t)
			srv := r.server(t, r.changeThen(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Link", "</a.css>; rel=preload; as=style")
				w.WriteHeader(http.StatusEarlyHints)
				w.WriteHeader(http.StatusOK)
			}))
			var hints []textproto.MIMEHeader
			var mu sync.Mutex
			ctx := httptrace.WithClientTrace(t.Context(), &httptrace.ClientTrace{
				Got1xxResponse: func(_ int, h textproto.MIMEHeader) error {
					mu.Lock()
					hints = append(hints, h)
					mu.Unlock()
					return nil
				},
			})
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			if len(hints) != 1 || len(hints[0]["Set-Cookie"]) != 0 {
				t.Errorf("103 responses %v, want one without Set-Cookie", hints)
			}
			r.oneCookie(t, res.Header, 1)
		}},
		{75, "G75/head-request", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "ann", Count: 1})
			r.clock.Advance(5 * time.Minute) // a refresh is due, as for a GET
			var writeErr error
			srv := r.server(t, func(w http.ResponseWriter, req *http.Request) {
				r.m.Get(req)
				_, writeErr = io.WriteString(w, "a body that HEAD does not send")
			})
			req, _ := http.NewRequest(http.MethodHead, srv.URL, nil)
			req.Header.Set("Cookie", r.cookie(v))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if writeErr != nil {
				t.Errorf("Write on HEAD = %v", writeErr)
			}
			r.oneCookie(t, res.Header, 1)
		}},
		{76, "G76/body-not-allowed", func(t *testing.T) {
			for _, code := range []int{http.StatusNoContent, http.StatusNotModified} {
				r := newRig(t)
				srv := r.server(t, r.changeThen(func(w http.ResponseWriter, _ *http.Request) {
					w.WriteHeader(code)
					if _, err := w.Write([]byte("x")); !errors.Is(err, http.ErrBodyNotAllowed) {
						t.Errorf("Write after %d = %v, want ErrBodyNotAllowed", code, err)
					}
				}))
				res, err := http.Get(srv.URL)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != code || len(r.errs.all()) != 0 {
					t.Errorf("status %d, errors %v; want %d and none", res.StatusCode,
						r.errs.all(), code)
				}
				r.oneCookie(t, res.Header, 1)
			}
		}},
		{77, "G77/panic-after-a-change", func(t *testing.T) {
			type custom struct{ msg string }
			for _, value := range []any{http.ErrAbortHandler, custom{"boom"}, errors.New("x")} {
				r := newRig(t)
				w := httptest.NewRecorder()
				func() {
					defer func() {
						if p := recover(); p != value {
							t.Errorf("recovered %v, want %v unchanged", p, value)
						}
					}()
					r.m.Handler(r.changeThen(func(http.ResponseWriter, *http.Request) {
						panic(value)
					})).ServeHTTP(w, r.request(""))
				}()
				if len(w.Header()["Set-Cookie"]) != 0 {
					t.Errorf("panic %v: Set-Cookie %q written", value, w.Header()["Set-Cookie"])
				}
			}
		}},
		{78, "G78/panic-after-the-commit", func(t *testing.T) {
			r := newRig(t)
			w := httptest.NewRecorder()
			func() {
				defer func() {
					if p := recover(); p != http.ErrAbortHandler {
						t.Errorf("recovered %v, want http.ErrAbortHandler", p)
					}
				}()
				r.m.Handler(r.changeThen(func(w http.ResponseWriter, _ *http.Request) {
					io.WriteString(w, "partial")
					panic(http.ErrAbortHandler)
				})).ServeHTTP(w, r.request(""))
			}()
			r.oneCookie(t, w.Result().Header, 1)
		}},
		// http.TimeoutHandler outside the middleware: the late handler runs
		// on after the 503 went out, and nothing of it reaches the client.
		{79, "G79/timeout-handler-outside", func(t *testing.T) {
			r := newRig(t)
			release, done := make(chan struct{}), make(chan struct{})
			inner := r.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				defer close(done)
				<-release
				r.m.Get(req).Set(user{Name: "late"})
				io.WriteString(w, "late body")
			}))
			w := httptest.NewRecorder()
			http.TimeoutHandler(inner, time.Millisecond, "timed out").ServeHTTP(w, r.request(""))
			close(release)
			<-done
			if w.Code != http.StatusServiceUnavailable || len(w.Header()["Set-Cookie"]) != 0 ||
				strings.Contains(w.Body.String(), "late") {
				t.Errorf("response %d %v %q, want the bare 503", w.Code, w.Header(), w.Body)
			}
		}},
		// http.TimeoutHandler inside the middleware: the 503 commits what the
		// session held then; the late handler's change is reported lost.
		{79, "G79/timeout-handler-inside", func(t *testing.T) {
			r := newRig(t)
			release, done := make(chan struct{}), make(chan struct{})
			slow := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				defer close(done)
				s := r.m.Get(req)
				s.Set(user{Name: "early", Count: 1})
				<-release
				s.Set(user{Name: "late", Count: 2})
				io.WriteString(w, "late body")
			})
			w := httptest.NewRecorder()
			r.m.Handler(http.TimeoutHandler(slow, time.Millisecond, "timed out")).
				ServeHTTP(w, r.request(""))
			close(release)
			<-done
			if w.Code != http.StatusServiceUnavailable {
				t.Fatalf("status %d, want 503", w.Code)
			}
			if cs := setCookies(t, w.Result().Header, r.m.Name()); len(cs) == 1 {
				if got := r.open(t, r.cookie(cs[0].Value)).Value(); got.Name == "late" {
					t.Errorf("the 503 carries the late change %+v", got)
				}
			}
			errs := r.errs.all()
			if len(errs) == 0 || !errors.Is(errs[len(errs)-1], cookiesession.ErrCommitted) {
				t.Errorf("errors %v, want the late change reported as ErrCommitted", errs)
			}
		}},
		{80, "G80/middleware-twice", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "ann"})
			inner := r.m.Handler(r.changeThen(func(http.ResponseWriter, *http.Request) {}))
			w := httptest.NewRecorder()
			r.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				r.m.Get(req)
				inner.ServeHTTP(w, req)
			})).ServeHTTP(w, r.request(r.cookie(v)))
			if n := r.aead.Opens.Load(); n != 1 {
				t.Errorf("%d AEAD opens, want 1", n)
			}
			r.oneCookie(t, w.Result().Header, 1)
		}},
		{80, "G80/buffering-wrapper-between", func(t *testing.T) {
			r := newRig(t)
			h := r.changeThen(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusCreated)
				io.WriteString(w, "buffered")
			})
			buffering := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				b := &bufferingWriter{ResponseWriter: w}
				h(b, req)
				b.flush()
			})
			w := r.serve(buffering, "")
			if w.Code != http.StatusCreated || w.Body.String() != "buffered" {
				t.Errorf("response %d %q", w.Code, w.Body)
			}
			r.oneCookie(t, w.Result().Header, 1)
		}},
		{81, "G81/no-middleware", func(t *testing.T) {
			r := newRig(t)
			other := r.twin(t, nil)
			wantPanic(t, "bare request", func() { r.m.Get(r.request("")) })
			other.Handler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				wantPanic(t, "another Manager's middleware", func() { r.m.Get(req) })
			})).ServeHTTP(httptest.NewRecorder(), r.request(""))
		}},
		{82, "G82/no-state-kept-across-requests", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "ann"})
			h := r.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				r.m.Get(req).Update(func(u *user) { u.Count++ })
			}))
			req := r.request(r.cookie(v))
			serve := func(n int) {
				for range n {
					h.ServeHTTP(httptest.NewRecorder(), req)
				}
			}
			heap := func() uint64 {
				runtime.GC()
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				return ms.HeapAlloc
			}
			serve(200)
			r.errs = &errorLog{}
			before := heap()
			serve(5000)
			if grown := int64(heap()) - int64(before); grown > 256<<10 {
				t.Errorf("the heap grew by %d bytes over 5,000 requests", grown)
			}
		}},
	}
}

// wantPanic fails unless f panics with ErrNoMiddleware.
func wantPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		err, _ := recover().(error)
		if !errors.Is(err, cookiesession.ErrNoMiddleware) {
			t.Errorf("%s: Get panicked with %v, want ErrNoMiddleware", name, err)
		}
	}()
	f()
}

// ---------------------------------------------------------------------------
// H. Concurrency and denial of service.

func hostileConcurrency() []hostileCase {
	return []hostileCase{
		{83, "H83/goroutines-of-one-request", func(t *testing.T) {
			r := newRig(t)
			w := r.serve(func(w http.ResponseWriter, req *http.Request) {
				var wg sync.WaitGroup
				for i := range 32 {
					wg.Go(func() {
						if i == 16 {
							io.WriteString(w, "committed halfway")
						}
						s := r.m.Get(req)
						s.Update(func(u *user) { u.Count++ })
						_, _, _ = s.Value(), s.ID(), s.ExpiresAt()
					})
				}
				wg.Wait()
			}, "")
			saved := 0
			if v, ok := setCookieValue(w.Result().Header, r.m.Name()); ok {
				saved = r.open(t, r.cookie(v)).Value().Count
			}
			lost := 0
			for _, err := range r.errs.all() {
				if errors.Is(err, cookiesession.ErrCommitted) {
					lost++
				}
			}
			if saved+lost != 32 {
				t.Errorf("%d changes saved and %d reported lost, want 32 in all", saved, lost)
			}
		}},
		// Last writer wins, with no bleed: each response carries its own
		// request's change on top of the shared cookie, and nothing else.
		{84, "H84/thousand-concurrent-requests", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "base", Roles: []string{"r"}})
			h := r.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				i, _ := strconv.Atoi(req.URL.Query().Get("i"))
				r.m.Get(req).Update(func(u *user) {
					u.Count, u.Name = i+1, "n"+strconv.Itoa(i)
				})
			}))
			values := make([]string, 1000)
			var wg sync.WaitGroup
			for i := range values {
				wg.Go(func() {
					req := httptest.NewRequest(http.MethodGet, "/?i="+strconv.Itoa(i), nil)
					req.Header.Set("Cookie", r.cookie(v))
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					values[i], _ = setCookieValue(w.Result().Header, r.m.Name())
				})
			}
			wg.Wait()
			for i, got := range values {
				u := r.open(t, r.cookie(got)).Value()
				if u.Count != i+1 || u.Name != "n"+strconv.Itoa(i) || len(u.Roles) != 1 {
					t.Fatalf("response %d carries %+v", i, u)
				}
			}
		}},
		// A request begun before a logout does not bring the session back
		// unless it changes it or its refresh is due; then the last writer
		// wins, and only a revocation list (C35) refuses the cookie.
		{85, "H85/request-racing-a-logout", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "ann"})
			r.clock.Advance(time.Minute) // no refresh due yet
			w := r.serve(func(w http.ResponseWriter, req *http.Request) {
				_ = r.m.Get(req).Value().Name
			}, r.cookie(v))
			if len(w.Result().Header["Set-Cookie"]) != 0 {
				t.Errorf("a read-only request re-issued the cookie: %q",
					w.Result().Header["Set-Cookie"])
			}
		}},
		{86, "H86/flood-of-invalid-cookies", func(t *testing.T) {
			r := newRig(t)
			now := r.now()
			tampered := decode(t, r.value(t, user{Name: "ann"}))
			tampered[len(tampered)-1] ^= 1
			inputs := []string{
				r.cookie("#" + strings.Repeat("A", 3900)),
				r.cookie(value(t, r.twin(t, []cookiesession.Key{cookiesession.GenerateKey()}),
					user{Name: "eve"})),
				r.cookie(r.forgeAt(t, now-hour, now-hour, now+hour)),
				r.cookie(encode(tampered)),
			}
			for i := range 400 {
				s, err := r.m.Load(r.request(inputs[i%len(inputs)]))
				if err == nil || !s.IsNew() {
					t.Fatalf("request %d opened", i)
				}
			}
			if n := r.aead.Opens.Load(); n != 100 {
				t.Errorf("%d AEAD opens for 400 invalid cookies, 100 of them with a good header; "+
					"want 100", n)
			}
		}},
		{87, "H87/cookie-bomb", func(t *testing.T) {
			r := newRig(t)
			v := r.value(t, user{Name: "x"})
			tooLarge := false
			for range 40 {
				w := r.serve(func(w http.ResponseWriter, req *http.Request) {
					r.m.Get(req).Update(func(u *user) { u.Name += strings.Repeat("x", 100) })
				}, r.cookie(v))
				h := w.Result().Header
				if len(h["Set-Cookie"]) > 1 {
					t.Fatalf("%d Set-Cookie lines", len(h["Set-Cookie"]))
				}
				next, ok := setCookieValue(h, r.m.Name())
				if !ok {
					tooLarge = true
					break
				}
				if len(r.m.Name())+len(next) > cookiesession.MaxCookieSize {
					t.Fatalf("cookie of %d bytes", len(r.m.Name())+len(next))
				}
				v = next
			}
			errs := r.errs.all()
			if !tooLarge || len(errs) != 1 || !errors.Is(errs[0], cookiesession.ErrTooLarge) {
				t.Errorf("growing session: too large %t, errors %v; want one ErrTooLarge",
					tooLarge, errs)
			}
			r.open(t, r.cookie(v))
		}},
	}
}

// ---------------------------------------------------------------------------
// I. Logging, errors and configuration.

// everyRefusal returns Cookie headers that reach each refusal of the
// package, with the refusal, for a rig.
func (r *hostileRig) everyRefusal(t *testing.T) map[string]struct {
	header string
	want   refusal
} {
	now := r.now()
	ann := r.value(t, user{Name: "ann-secret-content", Roles: []string{"role-secret-content"}})
	tampered := decode(t, ann)
	tampered[len(tampered)-1] ^= 1
	version := decode(t, ann)
	version[0] = 2
	forged := func(pt []byte) string {
		return r.cookie(forge(t, r.secret, r.header(now, now, now+hour), r.m.Name(), pt))
	}
	type row = struct {
		header string
		want   refusal
	}
	ambiguous := refusedAmbiguous
	ambiguous.opens = 2
	return map[string]row{
		"malformed": {r.cookie("!" + ann), refusedMalformed},
		"version":   {r.cookie(encode(version)), refusedVersion},
		"unknown key": {r.cookie(r.foreignValue(t, user{Name: "eve-secret-content"})),
			refusedUnknownKey},
		"auth":      {r.cookie(encode(tampered)), refusedAuth},
		"too long":  {r.cookie(ann + strings.Repeat("A", 4000)), refusedTooLong},
		"future":    {r.cookie(r.forgeAt(t, now+hour, now+hour, now+2*hour)), refusedFuture},
		"times":     {r.cookie(r.forgeAt(t, now, now, now-1)), refusedTimes},
		"idle":      {r.cookie(r.forgeAt(t, now-hour, now-hour, now+hour)), refusedIdle},
		"lifetime":  {r.cookie(r.forgeAt(t, now-13*hour, now-60, now+hour)), refusedLifetime},
		"ambiguous": {r.cookie(ann) + "; " + r.cookie(ann), ambiguous},
		"plaintext": {forged(randomBytes(16)), refusedPlaintext},
		"decode": {forged(plaintext(nil, []byte(`{"name":["string-secret-content"]}`))),
			refusedDecode},
	}
}

func hostileLogging() []hostileCase {
	return []hostileCase{
		// Every refusal is logged with its reason (and the key ID once the
		// header is read), at debug level, or error level for an authentic
		// value that does not decode. The catalog's reason codes, info/warn
		// levels and salted hash are not the package's choices: it logs the
		// error's text, at debug level but for decoding.
		{88, "I88/every-refusal-logged-with-its-reason", func(t *testing.T) {
			r := newRig(t)
			for name, c := range r.everyRefusal(t) {
				t.Run(name, func(t *testing.T) {
					r.refuse(t, c.header, c.want)
					headerRead := name != "malformed" && name != "version" && name != "too long"
					if strings.Contains(r.log.String(), " key_id=") != headerRead {
						t.Errorf("log %q: want key_id=%t", r.log.String(), headerRead)
					}
				})
			}
		}},
		{88, "I88/no-secrets-in-logs-or-errors", func(t *testing.T) {
			r := newRig(t)
			secretKey := cookiesession.GenerateKeyString()
			if _, err := cookiesession.ParseKeyring(secretKey + "," + secretKey); err != nil {
				r.errs.handle(nil, err)
			}
			var secrets []string
			for _, c := range r.everyRefusal(t) {
				r.m.Load(r.request(c.header))
				secrets = append(secrets, cookieValuesOf(c.header, r.m.Name())...)
			}
			v := r.value(t, user{Name: "ann-secret-content"})
			s := r.open(t, r.cookie(v))
			r.serve(func(w http.ResponseWriter, req *http.Request) {
				s := r.m.Get(req)
				io.WriteString(w, "x")
				s.Set(user{Name: "late-secret-content"}) // ErrCommitted
			}, r.cookie(v))
			r.serve(func(w http.ResponseWriter, req *http.Request) {
				// ErrTooLarge
				r.m.Get(req).Set(user{Name: strings.Repeat("big-secret-content", 300)})
			}, "")
			secrets = append(secrets, v, s.ID(), secretKey,
				base64.StdEncoding.EncodeToString(r.secret),
				base64.RawURLEncoding.EncodeToString(r.secret))
			r.noLeak(t, secrets...)
			for _, text := range append([]string{r.log.String()}, errTexts(r.errs.all())...) {
				if strings.Contains(text, "secret-content") {
					t.Errorf("%q shows session contents", abbreviate(text))
				}
			}
		}},
		// The codec's error is part of the logged reason, and encoding/json
		// quotes numbers it cannot store: a session value leaks into the
		// log and the error handler when a field's type changes.
		{88, "I88/codec-error-shows-no-session-content", func(t *testing.T) {
			r := newRig(t)
			now := r.now()
			v := forge(t, r.secret, r.header(now, now, now+hour), r.m.Name(),
				plaintext(nil, []byte(`{"count":123456789012345678901234567890}`)))
			r.refuse(t, r.cookie(v), refusedDecode)
			for _, text := range append([]string{r.log.String()}, errTexts(r.errs.all())...) {
				if strings.Contains(text, "123456789012345678901234567890") {
					t.Errorf("%q shows the session's number", text)
				}
			}
		}},
		// Each refusal matches its sentinel and no other, and the middleware
		// never turns one into a 4xx or 5xx.
		{89, "I89/sentinels-and-status", func(t *testing.T) {
			r := newRig(t)
			sentinels := []error{cookiesession.ErrInvalid, cookiesession.ErrUnknownKey,
				cookiesession.ErrExpired, cookiesession.ErrTooLarge, cookiesession.ErrCommitted,
				cookiesession.ErrReadOnly, cookiesession.ErrNoMiddleware}
			for name, c := range r.everyRefusal(t) {
				_, err := r.m.Load(r.request(c.header))
				for _, s := range sentinels {
					want := s == c.want.err || s == cookiesession.ErrInvalid &&
						c.want.err == cookiesession.ErrUnknownKey
					if errors.Is(err, s) != want {
						t.Errorf("%s: errors.Is(%v, %v) = %t, want %t", name, err, s, !want, want)
					}
				}
				w := r.serve(func(http.ResponseWriter, *http.Request) {}, c.header)
				if w.Code != http.StatusOK {
					t.Errorf("%s: status %d, want 200", name, w.Code)
				}
			}
		}},
		{90, "I90/printing-keys-and-sessions", func(t *testing.T) {
			r := newRig(t)
			ring, _ := cookiesession.NewKeyring(r.key)
			s := r.m.NewSession()
			s.Set(user{Name: "ann-secret-content"})
			id := s.ID()
			secret64 := base64.RawURLEncoding.EncodeToString(r.secret)
			values := map[string]any{
				"Key": r.key, "*Key": &r.key, "*Keyring": ring, "[]Key": ring.Keys(),
				"map": map[string]cookiesession.Key{"k": r.key}, "*Session": s,
				"struct": struct {
					K cookiesession.Key
					S *cookiesession.Session[user]
				}{r.key, s},
			}
			verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T", "%p"}
			for _, verb := range verbs {
				for name, v := range values {
					out := fmt.Sprintf(verb, v)
					for _, secret := range []string{secret64[:12], fmt.Sprintf("%x", r.secret[:6]),
						string(r.secret[:6]), "secret-content", id} {
						if strings.Contains(out, secret) {
							t.Errorf("Sprintf(%s, %s) = %q shows %q", verb, name, out, secret)
						}
					}
				}
			}
		}},
	}
}

func errTexts(errs []error) []string {
	texts := make([]string, len(errs))
	for i, err := range errs {
		texts[i] = err.Error()
	}
	return texts
}
