package bench

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/securecookie"
	"github.com/statelessgo/sessions/cookiesession"
)

// browserLimit is what browsers keep of one cookie's name and value
// together, in bytes: a longer cookie is dropped without a word.
const browserLimit = 4096

// maxGrowth bounds the search of largestSession, in characters of item
// names: about 64 KB of JSON, the most that cookiesession decompresses.
const maxGrowth = 6000

// A cookieMaker seals a session and returns the Cookie header that a
// browser sends back: name=value.
type cookieMaker[T any] func(p T) (string, error)

// A sizeRow is one library of the size table, with a cookie maker for
// each session type. serverSide tells that the session lives on the
// server, and the cookie holds only a token.
type sizeRow struct {
	name       string
	serverSide bool
	small      func(tb testing.TB) cookieMaker[Small]
	large      func(tb testing.TB) cookieMaker[Large]
}

var sizeRows = []sizeRow{
	{"floor (AES-GCM, one base64)", false, floorCookie[Small], floorCookie[Large]},
	{"cookiesession", false, cookiesessionMaker[Small](), cookiesessionMaker[Large]()},
	{"cookiesession, WithCompression", false,
		cookiesessionMaker[Small](cookiesession.WithCompression()),
		cookiesessionMaker[Large](cookiesession.WithCompression())},
	{"gorilla-sessions", false, gorillaMaker[Small], gorillaMaker[Large]},
	{"securecookie-gob", false, securecookieMaker[Small](securecookie.GobEncoder{}),
		securecookieMaker[Large](securecookie.GobEncoder{})},
	{"securecookie-json", false, securecookieMaker[Small](securecookie.JSONEncoder{}),
		securecookieMaker[Large](securecookie.JSONEncoder{})},
	{"scs (memstore)", true, scsMaker[Small], scsMaker[Large]},
}

// TestCookieSizes reports the cookie on the wire (name=value, as the
// browser sends it back) for each library and session, and the largest
// session, in bytes of JSON, that each fits in one cookie: one that the
// library accepts and whose name and value a browser keeps. Run it with -v
// to see the table.
func TestCookieSizes(t *testing.T) {
	small, _ := json.Marshal(SmallPayload())
	large, _ := json.Marshal(LargePayload())
	var b strings.Builder
	fmt.Fprintf(&b, "\n| library | small (%d B of JSON) | large (%d B of JSON) "+
		"| largest JSON session in one cookie |\n|---|---|---|---|\n", len(small), len(large))
	for _, row := range sizeRows {
		growing := row.large(t)
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", row.name,
			cookieSize(row.small(t), SmallPayload()),
			cookieSize(growing, LargePayload()),
			largestSession(growing, row.serverSide))
	}
	t.Log(b.String())
}

// TestSmallCookieRatio checks the target of the issue: for the small
// session, cookiesession's cookie is at most 60 % of gorilla/sessions'.
func TestSmallCookieRatio(t *testing.T) {
	ours, err := cookiesessionMaker[Small]()(t)(SmallPayload())
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := gorillaMaker[Small](t)(SmallPayload())
	if err != nil {
		t.Fatal(err)
	}
	if 100*len(ours) > 60*len(theirs) {
		t.Errorf("cookie of %d bytes, gorilla/sessions' %d: over 60 %%", len(ours), len(theirs))
	}
}

// cookieSize describes the cookie that makeCookie makes for p.
func cookieSize[T any](makeCookie cookieMaker[T], p T) string {
	cookie, err := makeCookie(p)
	switch {
	case err != nil:
		return "refused: " + err.Error()
	case len(cookie) > browserLimit:
		return fmt.Sprintf("%d (over %d)", len(cookie), browserLimit)
	}
	return fmt.Sprint(len(cookie))
}

// largestSession finds, by bisection, the largest session that
// makeCookie accepts and whose cookie a browser keeps, and returns its
// size in bytes of JSON.
func largestSession(makeCookie cookieMaker[Large], serverSide bool) string {
	if serverSide {
		return "no limit (the session is on the server)"
	}
	fits := func(n int) bool {
		cookie, err := makeCookie(GrownPayload(n))
		return err == nil && len(cookie) <= browserLimit
	}
	n := sort.Search(maxGrowth, func(n int) bool { return !fits(n) }) - 1
	if n < 0 {
		return "none"
	}
	enc, _ := json.Marshal(GrownPayload(n))
	return fmt.Sprint(len(enc))
}

// floorCookie makes the floor's cookie: AES-256-GCM with a 12-byte nonce,
// in one base64 pass, named "session". It has no limit of its own.
func floorCookie[T any](tb testing.TB) cookieMaker[T] {
	f := newFloorCipher(tb)
	return func(p T) (string, error) {
		enc, err := json.Marshal(&p)
		if err != nil {
			return "", err
		}
		f.seal(enc)
		return gorillaName + "=" + string(f.value), nil
	}
}

func cookiesessionMaker[T any](opts ...cookiesession.Option) func(testing.TB) cookieMaker[T] {
	return func(tb testing.TB) cookieMaker[T] {
		m := newManager[T](tb, opts...)
		return func(p T) (string, error) { return cookiesessionCookie(m, p) }
	}
}

func gorillaMaker[T any](testing.TB) cookieMaker[T] {
	store := newGorillaStore()
	return func(p T) (string, error) { return gorillaCookie(store, p) }
}

// securecookieMaker makes gorilla/securecookie's cookie for the session
// itself, not wrapped in a gorilla/sessions map, with its default limit.
func securecookieMaker[T any](ser securecookie.Serializer) func(testing.TB) cookieMaker[T] {
	return func(testing.TB) cookieMaker[T] {
		sc := securecookie.New(randomBytes(32), randomBytes(32)).SetSerializer(ser)
		return func(p T) (string, error) {
			value, err := sc.Encode(gorillaName, &p)
			return gorillaName + "=" + value, err
		}
	}
}

func scsMaker[T any](testing.TB) cookieMaker[T] {
	sm := scs.New()
	return func(p T) (string, error) { return scsCookie(sm, p) }
}
