package redisrevoke_test

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Verbose() {
		// The tests stop Redis on purpose; the client's complaints about it
		// would bury the test's own messages.
		redis.SetLogger(quietLogger{})
	}
	os.Exit(m.Run())
}

// quietLogger drops go-redis's log lines.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// requireToolsVariable, set to 1, makes a missing redis-server fail the
// tests instead of skipping them, so that CI cannot pass by skipping.
const requireToolsVariable = "COOKIESESSION_REQUIRE_TOOLS"

// readyTimeout bounds the wait for a redis-server to answer PING. It is a
// guard against a server that never starts, not a measurement.
const readyTimeout = 10 * time.Second

// redisServer is a redis-server process of one test, on a loopback port
// that stays the same across restarts.
type redisServer struct {
	t    testing.TB
	path string
	dir  string
	port int

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// startRedis starts a redis-server on a free loopback port and stops it
// when the test ends. Without redis-server the test is skipped, or fails
// when COOKIESESSION_REQUIRE_TOOLS is 1.
func startRedis(t testing.TB) *redisServer {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(requireToolsVariable) == "1" {
			t.Fatalf("redis-server is not installed, and %s=1 requires it", requireToolsVariable)
		}
		t.Skipf("redis-server is not installed (set %s=1 to make this a failure)",
			requireToolsVariable)
	}
	s := &redisServer{t: t, path: path, dir: t.TempDir()}
	for attempt := 0; ; attempt++ {
		s.port = freePort(t)
		if err := s.tryStart(); err == nil {
			break
		} else if attempt == 2 {
			t.Fatal(err)
		}
	}
	t.Cleanup(s.Stop)
	return s
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Addr returns the server's address.
func (s *redisServer) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Start starts the server again, on the same port, after Stop.
func (s *redisServer) Start() {
	s.t.Helper()
	if err := s.tryStart(); err != nil {
		s.t.Fatal(err)
	}
}

// tryStart starts redis-server on s.port and waits until it answers PING.
func (s *redisServer) tryStart() error {
	output := &syncBuffer{}
	cmd := exec.Command(s.path, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir)
	cmd.Stdout, cmd.Stderr = output, output
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()

	deadline := time.Now().Add(readyTimeout)
	for !ping(s.Addr()) {
		select {
		case <-exited:
			return fmt.Errorf("redis-server on port %d exited:\n%s", s.port, output)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return fmt.Errorf("redis-server on port %d did not answer PING", s.port)
		}
	}
	return nil
}

// Stop kills the server, as a crash would, and waits for it to exit. It
// does nothing if the server is not running.
func (s *redisServer) Stop() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	<-exited
}

// Client returns a go-redis client of the server, closed when the test
// ends.
func (s *redisServer) Client(t testing.TB) *redis.Client {
	return newClient(t, &redis.Options{Addr: s.Addr()})
}

func newClient(t testing.TB, opt *redis.Options) *redis.Client {
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

// ping reports whether a Redis server at addr answers PING.
func ping(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return err == nil && line == "+PONG\r\n"
}

// syncBuffer collects a process's output; it is safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
