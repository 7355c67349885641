package redisrevoke_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/statelessgo/sessions/redisrevoke"
)

// testTimeout is the timeout of the lists of the tests, unless a test
// sets its own: far above what a loopback call takes, so that a busy
// machine cannot fail a test that is not about timeouts.
const testTimeout = 5 * time.Second

// newList returns a list on client, failing the test on an error.
func newList(t testing.TB, client redis.UniversalClient,
	opts ...redisrevoke.Option) *redisrevoke.List {
	t.Helper()
	opts = append([]redisrevoke.Option{redisrevoke.WithTimeout(testTimeout)}, opts...)
	l, err := redisrevoke.New(client, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// newID returns a random session ID, as cookiesession makes them.
func newID() string {
	var id [16]byte
	rand.Read(id[:])
	return base64.RawURLEncoding.EncodeToString(id[:])
}

// subjectKey returns the key of subject's entry under the default prefix.
func subjectKey(subject string) string {
	return redisrevoke.DefaultPrefix + "subject:" +
		base64.RawURLEncoding.EncodeToString([]byte(subject))
}

// wholeSecond returns the current time truncated to the second, as
// cookiesession's times are.
func wholeSecond() time.Time { return time.Now().Truncate(time.Second) }

// checkTTL fails the test unless key expires at at, within the second
// Redis rounds to and the time this test takes to run.
func checkTTL(t *testing.T, c *redis.Client, key string, at time.Time) {
	t.Helper()
	high := time.Until(at) + time.Second
	got, err := c.PTTL(context.Background(), key).Result()
	if err != nil || got <= 0 || got > high || got < high-time.Minute {
		t.Errorf("PTTL %s = %v, %v, want about %v", key, got, err, high-time.Second)
	}
}

func TestNew(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer client.Close()
	tests := []struct {
		name   string
		client redis.UniversalClient
		opts   []redisrevoke.Option
		want   string // in the error; "" for none
	}{
		{"defaults", client, nil, ""},
		{"all options", client, []redisrevoke.Option{redisrevoke.WithPrefix("app:"),
			redisrevoke.WithTimeout(time.Second), redisrevoke.WithClockMargin(0)}, ""},
		{"nil client", nil, nil, "nil client"},
		{"zero timeout", client, []redisrevoke.Option{redisrevoke.WithTimeout(0)}, "timeout"},
		{"negative margin", client, []redisrevoke.Option{redisrevoke.WithClockMargin(-1)},
			"clock margin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := redisrevoke.New(tt.client, tt.opts...)
			switch {
			case tt.want == "" && (err != nil || l == nil):
				t.Errorf("New = %v, %v, want a list", l, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) ||
				!strings.HasPrefix(err.Error(), "redisrevoke: ")):
				t.Errorf("New = %v, want an error about %q", err, tt.want)
			}
		})
	}
}

func TestRevoke(t *testing.T) {
	srv := startRedis(t)
	c := srv.Client(t)
	l := newList(t, c)
	ctx := context.Background()
	id, expired, other := newID(), newID(), newID()
	until := wholeSecond().Add(time.Hour)
	if err := l.Revoke(ctx, id, until); err != nil {
		t.Fatal(err)
	}
	if err := l.Revoke(ctx, expired, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		id   string
		want bool
	}{
		{"revoked", id, true},
		{"expired before it was revoked", expired, false},
		{"another session", other, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := l.Revoked(ctx, tt.id, "", time.Now())
			if err != nil || got != tt.want {
				t.Errorf("Revoked(%s) = %v, %v, want %v", tt.id, got, err, tt.want)
			}
		})
	}
	checkTTL(t, c, redisrevoke.DefaultPrefix+"id:"+id, until.Add(redisrevoke.DefaultClockMargin))
	if n := c.Exists(ctx, redisrevoke.DefaultPrefix+"id:"+expired).Val(); n != 0 {
		t.Errorf("an entry for a session already expired is kept")
	}
}

func TestMalformedID(t *testing.T) {
	srv := startRedis(t)
	c := srv.Client(t)
	l := newList(t, c)
	ctx := context.Background()
	good := newID()
	tests := []struct{ name, id string }{
		{"empty", ""},
		{"short", good[:21]},
		{"long", good + "A"},
		{"padded", good[:20] + "=="},
		{"standard base64", "+" + good[1:]},
		{"key separator", good[:10] + ":" + good[11:]},
		{"wildcard", "*" + good[1:]},
		{"more than 16 bytes", good[:21] + "B"},
		{"control byte", "\n" + good[1:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := l.Revoke(ctx, tt.id, time.Now().Add(time.Hour))
			if err == nil || !strings.HasPrefix(err.Error(), "redisrevoke: ") {
				t.Errorf("Revoke(%q) = %v, want an error", tt.id, err)
			}
			if _, err := l.Revoked(ctx, tt.id, "ann", time.Now()); err == nil {
				t.Errorf("Revoked(%q) succeeded", tt.id)
			}
		})
	}
	if n := c.DBSize(ctx).Val(); n != 0 {
		t.Errorf("%d keys written for malformed IDs", n)
	}
}

func TestRevokeSubject(t *testing.T) {
	srv := startRedis(t)
	c := srv.Client(t)
	l := newList(t, c)
	ctx := context.Background()
	before := wholeSecond()
	until := before.Add(12 * time.Hour)
	if err := l.RevokeSubject(ctx, "ann", before, until); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		subject string
		created time.Time
		want    bool
	}{
		{"created the second before", "ann", before.Add(-time.Second), true},
		{"created long before", "ann", before.Add(-time.Hour), true},
		{"created in the same second", "ann", before, false},
		{"created later in the same second", "ann", before.Add(999 * time.Millisecond), false},
		{"created after", "ann", before.Add(time.Second), false},
		{"another subject", "bob", before.Add(-time.Hour), false},
		{"no subject", "", before.Add(-time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := l.Revoked(ctx, newID(), tt.subject, tt.created)
			if err != nil || got != tt.want {
				t.Errorf("Revoked(%q, created %v) = %v, %v, want %v",
					tt.subject, tt.created.Sub(before), got, err, tt.want)
			}
		})
	}
	key := subjectKey("ann")
	checkTTL(t, c, key, until.Add(redisrevoke.DefaultClockMargin))
	if err := l.RevokeSubject(ctx, "", before, until); err == nil {
		t.Error("RevokeSubject with an empty subject succeeded")
	}
}

// notBefore finds the subject's not-before time on l, between low and
// high, from what Revoked says.
func notBefore(t *testing.T, l *redisrevoke.List, subject string, low, high time.Time) time.Time {
	t.Helper()
	for at := low; !at.After(high); at = at.Add(time.Second) {
		revoked, err := l.Revoked(context.Background(), newID(), subject, at)
		if err != nil {
			t.Fatal(err)
		}
		if !revoked {
			return at
		}
	}
	return high.Add(time.Second)
}

// TestRevokeSubjectAfter2038 checks that times past 32 bits survive the
// script's arithmetic and formatting.
func TestRevokeSubjectAfter2038(t *testing.T) {
	srv := startRedis(t)
	l := newList(t, srv.Client(t))
	ctx := context.Background()
	before := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := l.RevokeSubject(ctx, "ann", before, before.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got := notBefore(t, l, "ann", before.Add(-3*time.Second), before.Add(3*time.Second))
	if !got.Equal(before) {
		t.Errorf("not-before = %v, want %v", got, before)
	}
	until := before.Add(time.Hour + redisrevoke.DefaultClockMargin)
	checkTTL(t, srv.Client(t), subjectKey("ann"), until)
}

func TestRevokeSubjectOnlyMovesForward(t *testing.T) {
	srv := startRedis(t)
	c := srv.Client(t)
	l := newList(t, c, redisrevoke.WithClockMargin(0))
	ctx := context.Background()
	t0 := wholeSecond()
	u0 := t0.Add(time.Hour)
	key := subjectKey("ann")

	steps := []struct {
		name                    string
		before, until           time.Time
		wantBefore, wantExpires time.Time
	}{
		{"first", t0, u0, t0, u0},
		{"earlier not-before, later expiry", t0.Add(-5 * time.Second), u0.Add(time.Hour),
			t0, u0.Add(time.Hour)},
		{"later not-before, earlier expiry", t0.Add(3 * time.Second), u0,
			t0.Add(3 * time.Second), u0.Add(time.Hour)},
		{"the same again", t0.Add(3 * time.Second), u0.Add(time.Hour),
			t0.Add(3 * time.Second), u0.Add(time.Hour)},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if err := l.RevokeSubject(ctx, "ann", step.before, step.until); err != nil {
				t.Fatal(err)
			}
			got := notBefore(t, l, "ann", t0.Add(-10*time.Second), t0.Add(10*time.Second))
			if !got.Equal(step.wantBefore) {
				t.Errorf("not-before = %v, want %v", got.Sub(t0), step.wantBefore.Sub(t0))
			}
			checkTTL(t, c, key, step.wantExpires)
		})
	}
}

func TestRevokeSubjectConcurrent(t *testing.T) {
	srv := startRedis(t)
	lists := []*redisrevoke.List{newList(t, srv.Client(t)), newList(t, srv.Client(t))}
	t0 := wholeSecond()
	const writers = 16
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			// Writers start in any order; the latest not-before and
			// expiry must win whichever writes last.
			at := t0.Add(time.Duration(i) * time.Second)
			errs <- lists[i%2].RevokeSubject(context.Background(), "ann", at, at.Add(time.Hour))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	last := t0.Add((writers - 1) * time.Second)
	if got := notBefore(t, lists[0], "ann", t0, last.Add(time.Second)); !got.Equal(last) {
		t.Errorf("not-before after concurrent writes = %v, want %v", got.Sub(t0), last.Sub(t0))
	}
	key := subjectKey("ann")
	checkTTL(t, srv.Client(t), key, last.Add(time.Hour+redisrevoke.DefaultClockMargin))
}

func TestPrefixIsolation(t *testing.T) {
	srv := startRedis(t)
	c := srv.Client(t)
	ctx := context.Background()
	prefixes := []string{redisrevoke.DefaultPrefix, "other-app:revoked:"}
	lists := []*redisrevoke.List{newList(t, c), newList(t, c, redisrevoke.WithPrefix(prefixes[1]))}
	now := wholeSecond()
	ids := []string{newID(), newID()}
	for i, l := range lists {
		if err := l.Revoke(ctx, ids[i], now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		subject := "user-" + string(rune('a'+i))
		if err := l.RevokeSubject(ctx, subject, now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}

	for i, l := range lists {
		for j := range lists {
			subject := "user-" + string(rune('a'+j))
			byID, err1 := l.Revoked(ctx, ids[j], "", now)
			bySubject, err2 := l.Revoked(ctx, newID(), subject, now.Add(-time.Second))
			if want := i == j; byID != want || bySubject != want || err1 != nil || err2 != nil {
				t.Errorf("list %d sees list %d's entries: by ID %v, by subject %v, "+
					"want %v (%v, %v)", i, j, byID, bySubject, want, err1, err2)
			}
		}
	}
	for _, key := range c.Keys(ctx, "*").Val() {
		if !strings.HasPrefix(key, prefixes[0]) && !strings.HasPrefix(key, prefixes[1]) {
			t.Errorf("key %q outside both prefixes", key)
		}
	}
}

func TestSubjectKeys(t *testing.T) {
	srv := startRedis(t)
	l := newList(t, srv.Client(t))
	ctx := context.Background()
	subjects := []string{"ann", "ann ", "Ann", "a:b", "id:x", "{slot}", "*", "\r\nDEL x",
		"日本", strings.Repeat("x", 10_000)}
	now := wholeSecond()

	for i, subject := range subjects {
		t.Run(strings.ToValidUTF8(subject[:min(len(subject), 10)], "?"), func(t *testing.T) {
			if err := l.RevokeSubject(ctx, subject, now.Add(time.Duration(i+1)*time.Hour),
				now.Add(2*time.Hour)); err != nil {
				t.Fatal(err)
			}
			for j, other := range subjects {
				created := now.Add(time.Duration(i) * time.Hour)
				got, err := l.Revoked(ctx, newID(), other, created)
				if want := i == j; err != nil || got != want {
					t.Errorf("after revoking %.20q, Revoked(%.20q) = %v, %v, want %v",
						subject, other, got, err, want)
				}
			}
		})
	}
}

func TestRevokedErrors(t *testing.T) {
	srv := startRedis(t)
	// No retries: with Redis down, go-redis's default retries would make
	// each call wait for the list's timeout.
	c := newClient(t, &redis.Options{Addr: srv.Addr(), MaxRetries: -1, DialerRetries: 1})
	l := newList(t, c)
	ctx := context.Background()
	key := subjectKey("ann")
	if err := c.Set(ctx, key, "not a time", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Revoked(ctx, newID(), "ann", time.Now()); err == nil ||
		!strings.HasPrefix(err.Error(), "redisrevoke: ") {
		t.Errorf("Revoked with a malformed subject entry = %v, want an error", err)
	}

	srv.Stop()
	calls := map[string]func() error{
		"Revoke": func() error { return l.Revoke(ctx, newID(), time.Now().Add(time.Hour)) },
		"RevokeSubject": func() error {
			return l.RevokeSubject(ctx, "ann", time.Now(), time.Now().Add(time.Hour))
		},
		"Revoked": func() error {
			_, err := l.Revoked(ctx, newID(), "ann", time.Now())
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			if err == nil || !strings.HasPrefix(err.Error(), "redisrevoke: ") ||
				errors.Is(err, redis.Nil) {
				t.Errorf("%s with Redis down = %v, want a redisrevoke error", name, err)
			}
		})
	}
}
