package envelope

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// requireSeeds fails unless testdata/fuzz/name holds at least one seed.
func requireSeeds(tb testing.TB, name string) {
	tb.Helper()
	entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", name))
	if err != nil || len(entries) == 0 {
		tb.Fatalf("no seed corpus in testdata/fuzz/%s (%v)", name, err)
	}
}

// FuzzDecode feeds arbitrary values to PeekHeader, Decode and Open: no
// panic; a value decodes only from its one canonical encoding; PeekHeader
// agrees with ParseHeader on what Decode returns; and an envelope that
// opens seals again, with its own header and plaintext, to itself.
func FuzzDecode(f *testing.F) {
	requireSeeds(f, "FuzzDecode")
	for _, pt := range []string{"", "x", "a session value of some length"} {
		env := seal(f, "__Host-session", pt)
		f.Add(string(Encode(nil, env)), "__Host-session")
		f.Add(string(Encode(nil, env[:len(env)-1])), "__Host-session")
		f.Add(string(Encode(nil, env)), "token:__Host-session")
	}
	f.Add(strings.Repeat("A", 92), "s")
	f.Add("AQ", "")

	a := testAEAD(f)
	f.Fuzz(func(t *testing.T, value, name string) {
		peeked, perr := PeekHeader(value)
		env, err := Decode(nil, value)
		if err != nil {
			return
		}
		if got := string(Encode(nil, env)); got != value {
			t.Fatalf("Decode(%q) = %x, which encodes as %q: not the one encoding", value, env, got)
		}
		h, herr := ParseHeader(env)
		if len(env) >= Overhead && (peeked != h || !errors.Is(perr, herr) && perr != herr) {
			t.Fatalf("PeekHeader = %+v, %v; ParseHeader(Decode) = %+v, %v", peeked, perr, h, herr)
		}
		if len(env) < Overhead && (perr == nil || herr == nil) {
			t.Fatalf("a value of %d bytes passes: %v, %v", len(env), perr, herr)
		}
		if herr != nil || len(name) > MaxNameLen {
			return
		}
		pt, err := Open(a, bytes.Clone(env), name, scratch())
		if err != nil {
			return
		}
		b := append(make([]byte, HeaderSize), pt...)
		if again := Seal(a, &h, name, b, scratch()); !bytes.Equal(again, env) {
			t.Fatalf("an envelope that opens seals again to %x, not %x", again, env)
		}
	})
}
