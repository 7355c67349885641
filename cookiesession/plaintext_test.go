package cookiesession

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestInflateBound seals compressed values around the decompression bound
// directly, since Save refuses to write one beyond it.
func TestInflateBound(t *testing.T) {
	ring, _ := NewKeyring(GenerateKey())
	m, err := New[string](ring)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		size int
		open bool
	}{{MaxDecompressedSize, true}, {MaxDecompressedSize + 1, false}, {10 << 20, false}} {
		enc := []byte(`"` + strings.Repeat("a", c.size-2) + `"`)
		s := m.NewSession()
		value, err := m.seal(s, deflate(nil, enc), true, m.cfg.name, m.now())
		if err != nil {
			t.Fatal(err)
		}
		opened := m.NewSession()
		_, err = m.open(opened, []string{value}, m.cfg.name, m.now())
		if c.open != (err == nil) || !c.open && !errors.Is(err, ErrInvalid) {
			t.Errorf("%d bytes inflated: open = %v, want open=%t", c.size, err, c.open)
		}
	}
}

func TestParsePlaintext(t *testing.T) {
	id := bytes.Repeat([]byte{7}, idSize)
	good := appendPlaintext(nil, id, []string{"a", "bc"}, []byte(`{"x":1}`), false)
	p, err := parsePlaintext(good)
	if err != nil || strings.Join(p.flashes, ",") != "a,bc" || string(p.value) != `{"x":1}` {
		t.Fatalf("parsePlaintext = %+v, %v", p, err)
	}
	cases := map[string][]byte{
		"empty":          nil,
		"id only":        id,
		"unknown flag":   append(bytes.Clone(id), 0x04),
		"zero flashes":   append(bytes.Clone(id), flagFlashes, 0),
		"no count":       append(bytes.Clone(id), flagFlashes),
		"short length":   append(bytes.Clone(id), flagFlashes, 1, 0),
		"long flash":     append(bytes.Clone(id), flagFlashes, 1, 0, 9, 'a'),
		"missing flash":  append(bytes.Clone(id), flagFlashes, 2, 0, 1, 'a'),
		"all flags high": append(bytes.Clone(id), 0xff),
	}
	for name, pt := range cases {
		if _, err := parsePlaintext(pt); !errors.Is(err, errPlaintext) {
			t.Errorf("parsePlaintext(%s) = %v, want errPlaintext", name, err)
		}
	}
	for n := range len(good) - len(`{"x":1}`) {
		if _, err := parsePlaintext(good[:n]); err == nil {
			t.Errorf("parsePlaintext accepted the first %d bytes", n)
		}
	}
}
