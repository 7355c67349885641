package bench

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/sessions"
	"github.com/statelessgo/sessions/cookiesession"
)

// A requestVariant serves a request that carries a session cookie, with
// one library used as its documentation shows, behind a handler that reads
// the user ID and writes the last-seen time. setUp returns the handler
// and the Cookie header of a valid session, made beforehand.
type requestVariant struct {
	name   string
	reads  bool // the handler checks the user ID: not 200 without a session
	writes bool // the response carries Set-Cookie
	setUp  func(tb testing.TB) (h http.Handler, cookie string)
}

// requestVariants returns the variants of BenchmarkRequest for the
// session p; with all, the read-only and untouched ones too.
func requestVariants[T any, P payload[T]](p T, all bool) []requestVariant {
	vs := []requestVariant{
		{name: "bare", setUp: setUpBare},
		{name: "cookiesession", reads: true, writes: true,
			setUp: setUpCookiesession[T, P](p, cookiesession.JSONCodec{}, readWrite)},
		{name: "cookiesession-jsonv2", reads: true, writes: true,
			setUp: setUpCookiesession[T, P](p, JSONv2Codec{}, readWrite)},
	}
	if all {
		vs = append(vs,
			requestVariant{name: "cookiesession-readonly", reads: true,
				setUp: setUpCookiesession[T, P](p, cookiesession.JSONCodec{}, readOnly)},
			requestVariant{name: "cookiesession-untouched",
				setUp: setUpCookiesession[T, P](p, cookiesession.JSONCodec{}, untouched)})
	}
	return append(vs,
		requestVariant{name: "gorilla-sessions", reads: true, writes: true,
			setUp: setUpGorilla[T, P](p)},
		requestVariant{name: "scs", reads: true, writes: true, setUp: setUpSCS[T, P](p)})
}

// sizedRequestVariants are the variants for each session size.
func sizedRequestVariants() map[string][]requestVariant {
	return map[string][]requestVariant{
		"small": requestVariants(SmallPayload(), true),
		"large": requestVariants(LargePayload(), false),
	}
}

// BenchmarkRequest measures a request that carries a valid session cookie.
// The request is made once with httptest.NewRequest and copied for each
// iteration, because gorilla/sessions stores its registry into it; the
// recorder is new for each.
func BenchmarkRequest(b *testing.B) {
	variants := sizedRequestVariants()
	for _, size := range sizeNames {
		for _, v := range variants[size] {
			b.Run(size+"/"+v.name, func(b *testing.B) {
				h, cookie := v.setUp(b)
				req := newRequest(cookie)
				b.ReportAllocs()
				cpu := startCPU()
				for b.Loop() {
					r := new(http.Request)
					*r = *req
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					if err := checkResponse(w, v.writes); err != nil {
						b.Fatal(err)
					}
				}
				cpu.report(b)
			})
		}
	}
}

// TestRequestVariants checks that every variant does the work that it is
// measured for: it reads the right user ID (and fails without a session),
// and writes a cookie exactly where one is expected, which the next
// request accepts.
func TestRequestVariants(t *testing.T) {
	variants := sizedRequestVariants()
	for _, size := range sizeNames {
		for _, v := range variants[size] {
			t.Run(size+"/"+v.name, func(t *testing.T) { testVariant(t, v) })
		}
	}
}

func testVariant(t *testing.T, v requestVariant) {
	h, cookie := v.setUp(t)
	for i := range 3 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, newRequest(cookie))
		if err := checkResponse(w, v.writes); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if v.writes {
			cookie = cookieHeader(w)
		}
	}

	w := httptest.NewRecorder()
	h.ServeHTTP(w, newRequest(""))
	switch ok := w.Code == http.StatusOK; {
	case v.reads && ok:
		t.Errorf("without a cookie: status %d; want an error", w.Code)
	case !v.reads && !ok:
		t.Errorf("without a cookie: status %d; want %d", w.Code, http.StatusOK)
	}
}

// newRequest returns a GET request with cookie as its Cookie header.
func newRequest(cookie string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if cookie != "" {
		r.Header.Set("Cookie", cookie)
	}
	return r
}

// checkResponse checks that a handler answered 200, with a Set-Cookie line
// if and only if writes.
func checkResponse(w *httptest.ResponseRecorder, writes bool) error {
	if w.Code != http.StatusOK {
		return fmt.Errorf("status %d; want %d", w.Code, http.StatusOK)
	}
	if n := len(w.Header()["Set-Cookie"]); writes != (n > 0) {
		return fmt.Errorf("%d Set-Cookie lines; want a cookie: %t", n, writes)
	}
	return nil
}

// cookieHeader returns what a browser sends back for the first cookie that
// w set: name=value.
func cookieHeader(w *httptest.ResponseRecorder) string {
	cookies := w.Result().Cookies()
	if len(cookies) == 0 {
		return ""
	}
	return cookies[0].Name + "=" + cookies[0].Value
}

// respond writes 200 if the session carried the expected user, else 403.
func respond(w http.ResponseWriter, userID int64) {
	if userID != UserID {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// now is the last-seen time that the handlers write.
func now() time.Time { return time.Now().UTC() }

func setUpBare(testing.TB) (http.Handler, string) {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	}), ""
}

// usage is what a cookiesession handler does with the session.
type usage int

const (
	readWrite usage = iota // reads the user ID, writes the last-seen time
	readOnly               // reads the user ID
	untouched              // never asks for the session
)

func setUpCookiesession[T any, P payload[T]](p T, codec cookiesession.Codec,
	use usage) func(testing.TB) (http.Handler, string) {
	return func(tb testing.TB) (http.Handler, string) {
		m := newManager[T](tb, cookiesession.WithCodec(codec))
		cookie, err := cookiesessionCookie(m, p)
		if err != nil {
			tb.Fatal(err)
		}
		return m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if use == untouched {
				w.WriteHeader(http.StatusOK)
				return
			}
			s := m.Get(r)
			v := s.Value()
			if use == readWrite {
				s.Update(func(v *T) { P(v).touch(now()) })
			}
			respond(w, P(&v).userID())
		})), cookie
	}
}

// cookiesessionCookie returns the Cookie header of a session holding p.
func cookiesessionCookie[T any](m *cookiesession.Manager[T], p T) (string, error) {
	s := m.NewSession()
	s.Set(p)
	w := httptest.NewRecorder()
	if err := m.Save(w, s); err != nil {
		return "", err
	}
	return cookieHeader(w), nil
}

func setUpGorilla[T any, P payload[T]](p T) func(testing.TB) (http.Handler, string) {
	return func(tb testing.TB) (http.Handler, string) {
		store := newGorillaStore()
		cookie, err := gorillaCookie(store, p)
		if err != nil {
			tb.Fatal(err)
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := store.Get(r, gorillaName)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			v, _ := s.Values[gorillaKey].(T)
			P(&v).touch(now())
			s.Values[gorillaKey] = v
			if err := s.Save(r, w); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			respond(w, P(&v).userID())
		}), cookie
	}
}

// gorillaKey is the key of the session value in gorilla's and scs's maps.
const gorillaKey = "data"

// newGorillaStore returns a CookieStore with 32-byte hash and block keys.
func newGorillaStore() *sessions.CookieStore {
	return sessions.NewCookieStore(randomBytes(32), randomBytes(32))
}

// gorillaCookie returns the Cookie header of a session holding p.
func gorillaCookie[T any](store *sessions.CookieStore, p T) (string, error) {
	r := newRequest("")
	s, err := store.New(r, gorillaName)
	if err != nil {
		return "", err
	}
	s.Values[gorillaKey] = p
	w := httptest.NewRecorder()
	if err := s.Save(r, w); err != nil {
		return "", err
	}
	return cookieHeader(w), nil
}

func setUpSCS[T any, P payload[T]](p T) func(testing.TB) (http.Handler, string) {
	return func(tb testing.TB) (http.Handler, string) {
		sm := scs.New()
		cookie, err := scsCookie(sm, p)
		if err != nil {
			tb.Fatal(err)
		}
		return sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			v, _ := sm.Get(r.Context(), gorillaKey).(T)
			P(&v).touch(now())
			sm.Put(r.Context(), gorillaKey, v)
			respond(w, P(&v).userID())
		})), cookie
	}
}

// scsCookie stores p in a new session and returns its Cookie header.
func scsCookie[T any](sm *scs.SessionManager, p T) (string, error) {
	var err error
	defer func(f func(http.ResponseWriter, *http.Request, error)) { sm.ErrorFunc = f }(sm.ErrorFunc)
	sm.ErrorFunc = func(_ http.ResponseWriter, _ *http.Request, e error) { err = e }

	w := httptest.NewRecorder()
	sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sm.Put(r.Context(), gorillaKey, p)
	})).ServeHTTP(w, newRequest(""))
	cookie := cookieHeader(w)
	if err == nil && cookie == "" {
		err = errors.New("scs wrote no cookie")
	}
	return cookie, err
}
