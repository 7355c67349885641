package cookiesession_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statelessgo/sessions/cookiesession"
)

func TestNotBefore(t *testing.T) {
	f := newFixture(t)
	early := f.login(t, user{Name: "ann"})
	f.clock.Advance(time.Minute)
	late := f.login(t, user{Name: "bob"})

	f.m.SetNotBefore(f.clock.Now())
	if _, err := load(f.m, early); !errors.Is(err, cookiesession.ErrRevoked) {
		t.Errorf("session created before not-before: Load = %v, want ErrRevoked", err)
	}
	if s, err := load(f.m, late); err != nil || s.Value().Name != "bob" {
		t.Errorf("session created at not-before: Load = %v", err)
	}

	ring, _ := cookiesession.NewKeyring(f.keys[0])
	m, err := cookiesession.New[user](ring, cookiesession.WithClock(f.clock.Now),
		cookiesession.WithNotBefore(f.clock.Now().Add(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := load(m, late); !errors.Is(err, cookiesession.ErrRevoked) {
		t.Errorf("WithNotBefore: Load = %v, want ErrRevoked", err)
	}
}

func TestValidator(t *testing.T) {
	var seen cookiesession.SessionInfo
	validAfter := map[string]time.Time{}
	f := newFixture(t, cookiesession.WithValidator(
		func(ctx context.Context, info cookiesession.SessionInfo, u user) error {
			seen = info
			if info.Created.Before(validAfter[u.Name]) {
				return errors.New("password changed since")
			}
			return nil
		}))
	value := f.login(t, user{Name: "ann"})
	s, err := load(f.m, value)
	if err != nil || seen.ID != s.ID() || !seen.Created.Equal(f.clock.Now()) || seen.Bearer {
		t.Fatalf("validator saw %+v for session %s: %v", seen, s.ID(), err)
	}

	validAfter["ann"] = f.clock.Now().Add(time.Second)
	s, err = load(f.m, value)
	if !errors.Is(err, cookiesession.ErrRevoked) || !strings.Contains(err.Error(), "password changed") ||
		!s.IsNew() || s.Value().Name != "" {
		t.Errorf("refused by the validator: Load = %+v, %v", s.Value(), err)
	}

	ring, _ := cookiesession.NewKeyring(cookiesession.GenerateKey())
	_, err = cookiesession.New[user](ring, cookiesession.WithValidator(
		func(context.Context, cookiesession.SessionInfo, int) error { return nil }))
	if err == nil {
		t.Error("New accepted a validator for another type")
	}
}

// flakyList is a revocation list that can fail.
type flakyList struct {
	cookiesession.MemoryRevocationList
	down atomic.Bool
}

func (l *flakyList) Revoked(ctx context.Context, id, subject string, created time.Time) (bool, error) {
	if l.down.Load() {
		return false, errors.New("store unreachable")
	}
	return l.MemoryRevocationList.Revoked(ctx, id, subject, created)
}

func TestRevocationList(t *testing.T) {
	list := &flakyList{}
	subject := func(u user) string { return u.Name }
	f := newFixture(t, cookiesession.WithRevocation(list, subject), cookiesession.WithBearerTokens())
	ctx := context.Background()

	// Logout revokes the session: a copy of the cookie taken before no
	// longer opens, and neither does a token of the same session.
	copyBefore := f.login(t, user{Name: "ann"})
	s, _ := load(f.m, copyBefore)
	token, _ := f.m.Token(s)
	w := f.serve(func(w http.ResponseWriter, r *http.Request) {
		s := f.m.Get(r)
		if err := f.m.Revoke(r.Context(), s); err != nil {
			t.Error(err)
		}
		s.Destroy()
	}, copyBefore)
	if !strings.Contains(w.Result().Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Error("logout did not delete the cookie")
	}
	if _, err := load(f.m, copyBefore); !errors.Is(err, cookiesession.ErrRevoked) {
		t.Errorf("copy taken before logout: Load = %v, want ErrRevoked", err)
	}
	if _, err := f.m.OpenToken(token); !errors.Is(err, cookiesession.ErrRevoked) {
		t.Errorf("token of a revoked session: OpenToken = %v, want ErrRevoked", err)
	}

	// Sign out everywhere: every session of bob created before now.
	phone, laptop := f.login(t, user{Name: "bob"}), f.login(t, user{Name: "bob"})
	other := f.login(t, user{Name: "carol"})
	f.clock.Advance(time.Second)
	if err := f.m.RevokeSubject(ctx, "bob", f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{"phone": phone, "laptop": laptop} {
		if _, err := load(f.m, v); !errors.Is(err, cookiesession.ErrRevoked) {
			t.Errorf("bob's %s after sign-out everywhere: Load = %v, want ErrRevoked", name, err)
		}
	}
	if _, err := load(f.m, other); err != nil {
		t.Errorf("carol's session: %v", err)
	}
	if _, err := load(f.m, f.login(t, user{Name: "bob"})); err != nil {
		t.Errorf("bob's new login after sign-out everywhere: %v", err)
	}

	// The list fails: sessions are refused (fail closed), the handler can
	// tell why, and a change made on the fresh session is not saved, so
	// that the user's valid cookie survives the outage; a login is.
	list.down.Store(true)
	if _, err := load(f.m, other); !errors.Is(err, cookiesession.ErrRevocationUnavailable) ||
		!strings.Contains(err.Error(), "unreachable") {
		t.Errorf("list down, fail closed: Load = %v, want ErrRevocationUnavailable", err)
	}
	var why error
	w = f.serve(func(w http.ResponseWriter, r *http.Request) {
		s := f.m.Get(r)
		why = s.Err()
		s.AddFlash("hello")
	}, other)
	errs := f.errs.all()
	if !errors.Is(why, cookiesession.ErrRevocationUnavailable) ||
		len(w.Result().Header["Set-Cookie"]) != 0 ||
		!errors.Is(errs[len(errs)-1], cookiesession.ErrRevocationUnavailable) {
		t.Errorf("outage: Err() = %v, Set-Cookie %q, last error %v", why,
			w.Result().Header["Set-Cookie"], errs[len(errs)-1])
	}
	w = f.serve(func(w http.ResponseWriter, r *http.Request) {
		s := f.m.Get(r)
		s.Renew()
		s.Set(user{Name: "carol"})
	}, other)
	if len(w.Result().Header["Set-Cookie"]) != 1 {
		t.Error("a login during the outage wrote no cookie")
	}
	list.down.Store(false)
}

func TestRevocationFailOpen(t *testing.T) {
	list := &flakyList{}
	f := newFixture(t, cookiesession.WithRevocation[user](list, nil),
		cookiesession.WithInsecureRevocationFailOpen())
	value := f.login(t, user{Name: "ann"})
	list.down.Store(true)
	if s, err := load(f.m, value); err != nil || s.Value().Name != "ann" {
		t.Errorf("list down, fail open: Load = %v", err)
	}
	errs := f.errs.all()
	if len(errs) == 0 || !strings.Contains(errs[len(errs)-1].Error(), "unreachable") {
		t.Errorf("fail-open outage not reported: %v", errs)
	}
	if err := f.m.RevokeSubject(context.Background(), "ann", time.Now()); err == nil {
		t.Error("RevokeSubject without a subject function succeeded")
	}
}

func TestMemoryRevocationListPrunes(t *testing.T) {
	var l cookiesession.MemoryRevocationList
	ctx := context.Background()
	past := time.Now().Add(-time.Hour)
	for i := range 200 {
		l.Revoke(ctx, string(rune('a'+i%26))+strings.Repeat("x", i), past)
	}
	l.Revoke(ctx, "live", time.Now().Add(time.Hour))
	if n := l.Len(); n > 64 {
		t.Errorf("%d entries after 200 expired revocations, want them pruned", n)
	}
	if ok, _ := l.Revoked(ctx, "live", "", time.Now()); !ok {
		t.Error("live entry pruned")
	}
}

func TestRevocationWithoutList(t *testing.T) {
	f := newFixture(t)
	if err := f.m.Revoke(context.Background(), f.m.NewSession()); err == nil {
		t.Error("Revoke without WithRevocation succeeded")
	}
	_ = httptest.NewRecorder
}

func TestSessionAccessors(t *testing.T) {
	f := newFixture(t, cookiesession.WithBearerTokens(),
		cookiesession.WithRememberMe(30*24*time.Hour, 7*24*time.Hour))
	s := f.m.NewSession()
	now := f.clock.Now()
	if !s.Deadline().Equal(now.Add(cookiesession.DefaultIdleTimeout)) || s.FromToken() {
		t.Errorf("new session: Deadline %v, FromToken %t", s.Deadline(), s.FromToken())
	}
	s.SetLifetime(30 * 24 * time.Hour)
	if !s.Deadline().Equal(now.Add(7 * 24 * time.Hour)) {
		t.Errorf("remember-me session: Deadline %v, want the 7-day idle timeout", s.Deadline())
	}
	token, _ := f.m.Token(s)
	opened, err := f.m.OpenToken(token)
	if err != nil || !opened.FromToken() {
		t.Errorf("OpenToken: FromToken %t, %v", opened != nil && opened.FromToken(), err)
	}
}
