package cookiesession_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/statelessgo/sessions/cookiesession"
)

// The quick start: a Manager, a handler that counts visits, and the
// middleware around it. The second request sends back the cookie of the
// first.
func Example() {
	// In production: cookiesession.ParseKeyring(os.Getenv("COOKIESESSION_KEYS")).
	keys, err := cookiesession.ParseKeyring(cookiesession.GenerateKeyString())
	if err != nil {
		log.Fatal(err)
	}
	type Data struct {
		Visits int `json:"visits"`
	}
	sessions, err := cookiesession.New[Data](keys)
	if err != nil {
		log.Fatal(err)
	}
	handler := sessions.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sessions.Get(r)
		s.Update(func(d *Data) { d.Visits++ })
		fmt.Fprintf(w, "visit %d", s.Value().Visits)
	}))

	cookie := ""
	for range 2 {
		r := httptest.NewRequest(http.MethodGet, "https://example.com/", nil)
		if cookie != "" {
			r.Header.Set("Cookie", cookie)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		cookie, _, _ = strings.Cut(w.Header().Get("Set-Cookie"), ";")
		fmt.Println(w.Body.String())
	}
	// Output:
	// visit 1
	// visit 2
}

// Rotating keys: a cookie sealed under the old key opens under the ring
// "new,old" and comes back sealed under the new key, so that the old key
// can be retired without logging anyone out.
func Example_rotation() {
	oldKey, newKey := cookiesession.GenerateKeyString(), cookiesession.GenerateKeyString()
	before, _ := cookiesession.ParseKeyring(oldKey)
	after, _ := cookiesession.ParseKeyring(newKey + "," + oldKey)

	type Data struct {
		User string `json:"user"`
	}
	sessions, err := cookiesession.New[Data](before)
	if err != nil {
		log.Fatal(err)
	}
	serve := func(cookie string, h func(*cookiesession.Session[Data])) string {
		r := httptest.NewRequest(http.MethodGet, "https://example.com/", nil)
		r.Header.Set("Cookie", cookie)
		w := httptest.NewRecorder()
		sessions.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h(sessions.Get(r))
		})).ServeHTTP(w, r)
		cookie, _, _ = strings.Cut(w.Header().Get("Set-Cookie"), ";")
		return cookie
	}

	cookie := serve("", func(s *cookiesession.Session[Data]) { s.Set(Data{User: "ann"}) })
	if err := sessions.SetKeys(after); err != nil { // or a restart with the new ring
		log.Fatal(err)
	}
	resealed := serve(cookie, func(s *cookiesession.Session[Data]) {
		fmt.Println("still signed in as", s.Value().User)
	})
	fmt.Println("sealed again:", resealed != "")

	retired, _ := cookiesession.ParseKeyring(newKey)
	sessions.SetKeys(retired)
	serve(resealed, func(s *cookiesession.Session[Data]) {
		fmt.Println("after the old key is retired:", s.Value().User)
	})
	// Output:
	// still signed in as ann
	// sealed again: true
	// after the old key is retired: ann
}

// Bearer tokens: the same sealed session, for API clients.
func ExampleManager_Token() {
	keys, _ := cookiesession.ParseKeyring(cookiesession.GenerateKeyString())
	type Data struct {
		UserID int64 `json:"uid"`
	}
	sessions, err := cookiesession.New[Data](keys, cookiesession.WithBearerTokens())
	if err != nil {
		log.Fatal(err)
	}
	s := sessions.NewSession()
	s.Set(Data{UserID: 42})
	token, err := sessions.Token(s)
	if err != nil {
		log.Fatal(err)
	}

	r := httptest.NewRequest(http.MethodGet, "https://example.com/api", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	sessions.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("user", sessions.Get(r).Value().UserID)
	})).ServeHTTP(w, r)
	fmt.Println("Set-Cookie lines:", len(w.Header()["Set-Cookie"]))
	// Output:
	// user 42
	// Set-Cookie lines: 0
}
