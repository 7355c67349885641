package cookiesession

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"io"
	"sync"
)

// The plaintext inside an envelope (see FORMAT.md):
//
//	plaintext = sessionID(16) || flags(1) || [flashes] || value
//	flags     = 0x01: the flash section is present
//	          | 0x02: the value is compressed with DEFLATE (RFC 1951)
//	flashes   = count(1) || count * (length(2, big-endian) || message)
const (
	flagFlashes = 1 << 0
	flagDeflate = 1 << 1

	maxFlashes = 255

	// MaxDecompressedSize bounds the value inside a compressed envelope,
	// in bytes. A larger one is refused, so that a value crafted with a
	// leaked key cannot exhaust memory.
	MaxDecompressedSize = 64 << 10

	// compressMin is the size from which [WithCompression] tries to
	// compress a value: below it DEFLATE rarely gains.
	compressMin = 200
)

// plaintextLen returns the size of the plaintext of a session.
func plaintextLen(flashes []string, value []byte) int {
	n := idSize + 1 + len(value)
	if len(flashes) > 0 {
		n++
		for _, f := range flashes {
			n += 2 + len(f)
		}
	}
	return n
}

// appendPlaintext appends the plaintext of a session to b. The caller has
// checked that there are at most maxFlashes flashes, each shorter than
// 64 KiB.
func appendPlaintext(b []byte, id []byte, flashes []string, value []byte, deflated bool) []byte {
	var flags byte
	if len(flashes) > 0 {
		flags |= flagFlashes
	}
	if deflated {
		flags |= flagDeflate
	}
	b = append(append(b, id...), flags)
	if len(flashes) > 0 {
		b = append(b, byte(len(flashes)))
		for _, f := range flashes {
			b = binary.BigEndian.AppendUint16(b, uint16(len(f)))
			b = append(b, f...)
		}
	}
	return append(b, value...)
}

// plaintext is a parsed plaintext. Its slices share the memory of the
// input.
type plaintext struct {
	id       []byte
	flashes  []string
	value    []byte
	deflated bool
}

// parsePlaintext parses a plaintext, refusing unknown flags and lengths
// that run past the end.
func parsePlaintext(pt []byte) (plaintext, error) {
	if len(pt) < idSize+1 || pt[idSize]&^(flagFlashes|flagDeflate) != 0 {
		return plaintext{}, errPlaintext
	}
	p := plaintext{id: pt[:idSize], deflated: pt[idSize]&flagDeflate != 0}
	rest := pt[idSize+1:]
	if pt[idSize]&flagFlashes != 0 {
		if len(rest) < 1 || rest[0] == 0 {
			return plaintext{}, errPlaintext
		}
		count := int(rest[0])
		rest = rest[1:]
		p.flashes = make([]string, 0, count)
		for range count {
			if len(rest) < 2 || len(rest)-2 < int(binary.BigEndian.Uint16(rest)) {
				return plaintext{}, errPlaintext
			}
			n := int(binary.BigEndian.Uint16(rest))
			p.flashes = append(p.flashes, string(rest[2:2+n]))
			rest = rest[2+n:]
		}
	}
	p.value = rest
	return p, nil
}

var deflaters = sync.Pool{New: func() any {
	w, err := flate.NewWriter(nil, flate.DefaultCompression)
	if err != nil {
		panic("cookiesession: " + err.Error()) // unreachable: the level is valid
	}
	return w
}}

// deflate appends value compressed with DEFLATE to dst.
func deflate(dst, value []byte) []byte {
	buf := bytes.NewBuffer(dst)
	w := deflaters.Get().(*flate.Writer)
	defer deflaters.Put(w)
	w.Reset(buf)
	w.Write(value) // a bytes.Buffer does not fail
	w.Close()
	return buf.Bytes()
}

var inflaters sync.Pool

var errInflate = errors.New("cookiesession: compressed value is corrupt or larger than 64 KiB")

// inflate decompresses a DEFLATE stream of at most MaxDecompressedSize
// bytes.
func inflate(compressed []byte) ([]byte, error) {
	src := bytes.NewReader(compressed)
	r, ok := inflaters.Get().(io.ReadCloser)
	if ok {
		r.(flate.Resetter).Reset(src, nil)
	} else {
		r = flate.NewReader(src)
	}
	defer inflaters.Put(r)

	out, err := io.ReadAll(io.LimitReader(r, MaxDecompressedSize+1))
	if err != nil || len(out) > MaxDecompressedSize {
		return nil, errInflate
	}
	return out, nil
}
