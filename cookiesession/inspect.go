package cookiesession

import (
	"errors"
	"time"

	"github.com/statelessgo/sessions/internal/envelope"
)

// Info is what the clear header of a sealed value says. Anyone can read
// it without a key, and anyone can write one: until the value opens, its
// times are claims, not facts.
type Info struct {
	Version int       // the format version
	KeyID   uint32    // the key that sealed it
	Created time.Time // the session started
	Sealed  time.Time // the value was sealed: the start of the idle clock
	Expires time.Time // the absolute deadline, as sealed
	Size    int       // the value's length, in bytes (of the first cookie, if chunked)
	Chunks  int       // 1, or the number of cookies a chunked value spans
}

// Inspect reads the clear header of a cookie value or token, or of the
// first cookie of a chunked session, without any key. It checks the
// encoding of the header only. The error matches [ErrInvalid].
func Inspect(value string) (Info, error) {
	chunks, first, ok := chunkPrefix(value)
	if !ok {
		chunks, first = 1, value
	}
	h, err := envelope.PeekHeader(first)
	if err != nil {
		if errors.Is(err, envelope.ErrVersion) {
			return Info{}, errVersion
		}
		return Info{}, errMalformed
	}
	return Info{Version: int(h.Version), KeyID: h.KeyID, Created: time.Unix(h.Created, 0),
		Sealed: time.Unix(h.Sealed, 0), Expires: time.Unix(h.Expires, 0), Size: len(value),
		Chunks: chunks}, nil
}

// Expired reports whether, at now, the value has passed its absolute
// deadline or has been idle for idle or longer (the idle timeout is the
// server's configuration, not in the header).
func (i Info) Expired(now time.Time, idle time.Duration) bool {
	return !now.Before(i.Expires) || now.Sub(i.Sealed) >= idle
}
