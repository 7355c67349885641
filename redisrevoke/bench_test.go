package redisrevoke_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/statelessgo/sessions/cookiesession"
	"github.com/statelessgo/sessions/redisrevoke"
)

// BenchmarkRevoked measures one check of a session that is not revoked,
// by ID and subject: what every request that opens a session pays. With a
// default client, the call runs on a goroutine of its own to bound it;
// with ContextTimeoutEnabled, go-redis bounds it and the call is direct.
func BenchmarkRevoked(b *testing.B) {
	clients := []struct {
		name            string
		contextTimeouts bool
	}{{"default-client", false}, {"context-timeouts", true}}
	srv := startRedis(b)
	for _, tt := range clients {
		b.Run(tt.name, func(b *testing.B) {
			c := newClient(b, &redis.Options{Addr: srv.Addr(),
				ContextTimeoutEnabled: tt.contextTimeouts})
			benchmarkRevoked(b, newList(b, c))
		})
	}
}

func benchmarkRevoked(b *testing.B, l *redisrevoke.List) {
	ctx, id, created := context.Background(), newID(), time.Now()
	err := l.RevokeSubject(ctx, "ann", created.Add(-time.Hour), created.Add(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if revoked, err := l.Revoked(ctx, id, "ann", created); err != nil || revoked {
			b.Fatalf("Revoked = %v, %v", revoked, err)
		}
	}
}

// BenchmarkPipelineBaseline measures the same two reads as
// BenchmarkRevoked with go-redis alone, without the list's key building,
// timeout and goroutine: the list's own share is the difference.
func BenchmarkPipelineBaseline(b *testing.B) {
	srv := startRedis(b)
	c := srv.Client(b)
	ctx := context.Background()
	keys := []string{"cookiesession:revoked:id:" + newID(), "cookiesession:revoked:subject:YW5u"}
	b.ReportAllocs()
	for b.Loop() {
		pipe := c.Pipeline()
		for _, key := range keys {
			pipe.Get(ctx, key)
		}
		if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMiddleware measures a request through the middleware that opens
// its session, with no revocation list, the in-memory list and the Redis
// list (with a default client, and with one that has
// ContextTimeoutEnabled): the difference is the cost of revocation per
// request.
func BenchmarkMiddleware(b *testing.B) {
	lists := []struct {
		name string
		list func(b *testing.B) cookiesession.RevocationList
	}{
		{"none", func(*testing.B) cookiesession.RevocationList { return nil }},
		{"memory", func(*testing.B) cookiesession.RevocationList {
			return &cookiesession.MemoryRevocationList{}
		}},
		{"redis", func(b *testing.B) cookiesession.RevocationList {
			return newList(b, startRedis(b).Client(b))
		}},
		{"redis-context-timeouts", func(b *testing.B) cookiesession.RevocationList {
			opt := &redis.Options{Addr: startRedis(b).Addr(), ContextTimeoutEnabled: true}
			return newList(b, newClient(b, opt))
		}},
	}
	for _, tt := range lists {
		b.Run(tt.name, func(b *testing.B) {
			benchmarkMiddleware(b, tt.list(b))
		})
	}
}

func benchmarkMiddleware(b *testing.B, list cookiesession.RevocationList) {
	keys, err := cookiesession.NewKeyring(cookiesession.GenerateKey())
	if err != nil {
		b.Fatal(err)
	}
	var opts []cookiesession.Option
	if list != nil {
		subject := func(a account) string { return a.User }
		opts = append(opts, cookiesession.WithRevocation(list, subject))
	}
	m, err := cookiesession.New[account](keys, opts...)
	if err != nil {
		b.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.Get(r).Value().User != "ann" {
			b.Fatal("session refused")
		}
	}))
	cookie := sessionCookie(b, m, account{User: "ann"})

	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Cookie", cookie)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

// sessionCookie returns a Cookie header carrying a session of value.
func sessionCookie(b *testing.B, m *cookiesession.Manager[account], value account) string {
	s := m.NewSession()
	s.Set(value)
	w := httptest.NewRecorder()
	if err := m.Save(w, s); err != nil {
		b.Fatal(err)
	}
	c := w.Result().Cookies()[0]
	return c.Name + "=" + c.Value
}
