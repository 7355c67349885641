//go:build unix

package redisrevoke_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/statelessgo/sessions/redisrevoke"
)

// hangGuard is how long a call may take before the test calls it hung.
// It is far above the list's timeout: it catches a call that waits for
// the client's own timeouts (disabled here) instead of the list's.
const hangGuard = 10 * time.Second

// silentListener accepts connections and never answers, as a Redis that
// hangs from the start. It is closed, with its connections, when the test
// ends.
func silentListener(t *testing.T) (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, conn := range conns {
			conn.Close()
		}
	})
	return ln.Addr().String(), nil
}

// frozenRedis returns the address of a redis-server and a function that
// stops it with SIGSTOP, as a Redis that hangs after it has answered: the
// client's pooled connections stay open, and nothing answers on them.
func frozenRedis(t *testing.T) (string, func()) {
	srv := startRedis(t)
	freeze := func() {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		if err := syscall.Kill(srv.cmd.Process.Pid, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
	}
	return srv.Addr(), freeze
}

func TestTimeoutWhenRedisHangs(t *testing.T) {
	servers := map[string]func(*testing.T) (addr string, hang func()){
		"silent listener": silentListener,
		"stopped server":  frozenRedis,
	}
	clients := map[string]bool{"default client": false, "context timeouts enabled": true}
	for serverName, server := range servers {
		for clientName, contextTimeouts := range clients {
			t.Run(serverName+"/"+clientName, func(t *testing.T) {
				addr, hang := server(t)
				// No read or write timeout of the client's own: only the
				// list's timeout can end a call.
				c := newClient(t, &redis.Options{Addr: addr, ReadTimeout: -1, WriteTimeout: -1,
					ContextTimeoutEnabled: contextTimeouts, MaxRetries: -1})
				l := newList(t, c, redisrevoke.WithTimeout(50*time.Millisecond))
				if hang != nil {
					if _, err := l.Revoked(context.Background(), newID(), "ann",
						time.Now()); err != nil {
						t.Fatal(err)
					}
					hang()
				}
				checkBounded(t, l)
			})
		}
	}
}

// checkBounded fails the test unless every method of l returns an error
// that matches context.DeadlineExceeded, well before hangGuard.
func checkBounded(t *testing.T, l *redisrevoke.List) {
	ctx := context.Background()
	now := time.Now()
	calls := []struct {
		name string
		call func() error
	}{
		{"Revoked", func() error { _, err := l.Revoked(ctx, newID(), "ann", now); return err }},
		{"Revoke", func() error { return l.Revoke(ctx, newID(), now.Add(time.Hour)) }},
		{"RevokeSubject", func() error {
			return l.RevokeSubject(ctx, "ann", now, now.Add(time.Hour))
		}},
	}
	for _, c := range calls {
		done := make(chan error, 1)
		go func() { done <- c.call() }()
		select {
		case err := <-done:
			if !errors.Is(err, context.DeadlineExceeded) ||
				!strings.HasPrefix(err.Error(), "redisrevoke: ") {
				t.Errorf("%s on a hung Redis = %v, want a deadline error", c.name, err)
			}
		case <-time.After(hangGuard):
			t.Fatalf("%s on a hung Redis did not return within %v", c.name, hangGuard)
		}
	}
}
