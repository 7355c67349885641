package bench

import (
	"crypto/rand"
	"encoding/gob"
	"testing"

	"github.com/statelessgo/sessions/cookiesession"
)

// gorillaName is the cookie name given to gorilla/sessions and
// gorilla/securecookie.
const gorillaName = "session"

func init() {
	// gorilla/sessions and scs keep values in a map of interfaces, which
	// gob encodes only for registered types.
	gob.Register(Small{})
	gob.Register(Large{})
}

// randomBytes returns n bytes from crypto/rand: a key.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return b
}

// cpuClock measures the CPU time of a benchmark loop, which a shared
// machine disturbs less than the wall-clock time: other processes delay
// the loop but do not add to its CPU time.
type cpuClock struct{ start int64 }

// startCPU starts a cpuClock, just before the loop.
func startCPU() cpuClock { return cpuClock{processCPU()} }

// report reports the CPU time per iteration, as cpu-ns/op, just after the
// loop. It reports nothing where the CPU time is unknown.
func (c cpuClock) report(b *testing.B) {
	if spent := processCPU() - c.start; c.start != 0 && b.N > 0 {
		b.ReportMetric(float64(spent)/float64(b.N), "cpu-ns/op")
	}
}

// newManager returns a Manager with one new 32-byte key and the library's
// defaults, but for opts.
func newManager[T any](tb testing.TB, opts ...cookiesession.Option) *cookiesession.Manager[T] {
	tb.Helper()
	key, err := cookiesession.NewKey(randomBytes(32))
	if err != nil {
		tb.Fatal(err)
	}
	ring, err := cookiesession.NewKeyring(key)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := cookiesession.New[T](ring, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}
