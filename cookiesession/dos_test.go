package cookiesession_test

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/statelessgo/sessions/cookiesession"
)

// dosRig holds a Manager as an application runs it (no logger, no error
// handler) and a cookie value of each kind, each as large as a cookie
// gets: the name and value hold 4000 bytes, or as near as a seal comes.
type dosRig struct {
	m      *cookiesession.Manager[user]
	values map[string]string // by benchmark name
}

var dosCases = []struct {
	name  string
	opens bool
}{
	{"garbage-max", false}, {"unknown-key", false}, {"expired", false}, {"tampered-tag", false},
	{"valid", true},
}

func newDosRig(tb testing.TB) *dosRig {
	tb.Helper()
	c := newClock()
	key := cookiesession.GenerateKey()
	manager := func(k cookiesession.Key, now func() time.Time) *cookiesession.Manager[user] {
		ring, _ := cookiesession.NewKeyring(k)
		m, err := cookiesession.New[user](ring, cookiesession.WithClock(now))
		if err != nil {
			tb.Fatal(err)
		}
		return m
	}
	d := &dosRig{m: manager(key, c.Now), values: map[string]string{}}
	earlier := func() time.Time { return c.Now().Add(-31 * time.Minute) }
	d.values["valid"] = largestValue(tb, d.m)
	d.values["unknown-key"] = largestValue(tb, manager(cookiesession.GenerateKey(), c.Now))
	d.values["expired"] = largestValue(tb, manager(key, earlier))
	env := decode(tb, d.values["valid"])
	env[len(env)-1] ^= 1
	d.values["tampered-tag"] = encode(env)
	d.values["garbage-max"] = garbage(cookiesession.MaxCookieSize - len(d.m.Name()))
	return d
}

// largestValue returns the largest cookie value that m seals for a user.
func largestValue(tb testing.TB, m *cookiesession.Manager[user]) string {
	tb.Helper()
	for n := 3000; n > 0; n-- {
		s := m.NewSession()
		s.Set(user{Name: strings.Repeat("x", n)})
		w := httptest.NewRecorder()
		if m.Save(w, s) == nil {
			v, _ := setCookieValue(w.Header(), m.Name())
			return v
		}
	}
	tb.Fatal("nothing fits")
	return ""
}

// garbage returns n characters of the base64url alphabet, the same for
// every n-prefix.
func garbage(n int) string {
	rng := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = base64URLAlphabet[rng.IntN(len(base64URLAlphabet))]
	}
	return string(b)
}

func (d *dosRig) request(header string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://example.com/", nil)
	r.Header.Set("Cookie", header)
	return r
}

// BenchmarkRefuse measures Manager.Load refusing the largest cookies of
// each kind, next to opening a valid one of the same size.
func BenchmarkRefuse(b *testing.B) {
	d := newDosRig(b)
	for _, c := range dosCases {
		b.Run(c.name, func(b *testing.B) {
			r := d.request(d.m.Name() + "=" + d.values[c.name])
			b.ReportAllocs()
			for b.Loop() {
				s, err := d.m.Load(r)
				if (err == nil && !s.IsNew()) != c.opens {
					b.Fatalf("Load = %v", err)
				}
			}
		})
	}
}

// loadCost returns the allocations and bytes allocated per Load of r,
// averaged over n runs.
func loadCost(m *cookiesession.Manager[user], r *http.Request, n int) (allocs, bytes float64) {
	load := func() { m.Load(r) }
	load() // fill the buffer pool
	allocs = testing.AllocsPerRun(n, load)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		load()
	}
	runtime.ReadMemStats(&after)
	return allocs, float64(after.TotalAlloc-before.TotalAlloc) / float64(n)
}

// TestRefusalCostIsBounded checks that what Load allocates to refuse a
// value does not grow with the attacker's input: a 100-byte and a
// 4000-byte value, a value at the limit and a 1 MiB one, a lone cookie and
// one behind 1 MiB of other cookies. The bytes may differ by a small
// constant, not in proportion to the input.
func TestRefusalCostIsBounded(t *testing.T) {
	d := newDosRig(t)
	name := d.m.Name() + "="
	limit := cookiesession.MaxCookieSize - len(d.m.Name())
	tampered := func(n int) string { // a valid header and a bad tag, n characters
		v := d.values["tampered-tag"]
		env := decode(t, v[:n&^3])
		env[len(env)-1] ^= 2
		return encode(env)
	}
	flood := strings.Repeat("a=; ", 1<<20/4)
	cases := []struct {
		name         string
		small, large string
		runs         int
	}{
		{"garbage 100 vs 4000 bytes", name + garbage(100), name + garbage(limit), 1000},
		{"too long 4001 bytes vs 1 MiB", name + garbage(limit+1), name + garbage(1<<20), 200},
		{"other cookies 0 vs 1 MiB", name + garbage(limit), flood + name + garbage(limit), 20},
		{"tampered tag 100 vs 4000 bytes", name + tampered(100), name + tampered(limit), 500},
		{"unknown key, behind 1 MiB", name + d.values["unknown-key"],
			flood + name + d.values["unknown-key"], 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sa, sb := loadCost(d.m, d.request(c.small), c.runs)
			la, lb := loadCost(d.m, d.request(c.large), c.runs)
			t.Logf("%.1f allocs, %.0f B per Load for the small input; %.1f allocs, %.0f B "+
				"for the large", sa, sb, la, lb)
			if la-sa > 0.5 || lb-sb > 1024 {
				t.Errorf("Load allocates %.1f more times and %.0f more bytes for the large "+
					"input: in proportion to it", la-sa, lb-sb)
			}
			if s, err := d.m.Load(d.request(c.large)); err == nil || !s.IsNew() {
				t.Errorf("Load(large) = %v, want a refusal", err)
			}
		})
	}
}
