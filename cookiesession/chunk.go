package cookiesession

import (
	"fmt"
	"strconv"
)

// Chunking spreads a session too large for one cookie over the cookies
// name, name.1, name.2, ... The value of the first is the chunk count, a
// slash and the first piece of the encoded envelope ("3/AaCO..."); the
// others hold the following pieces. Every piece but the last is a multiple
// of 4 characters, so that each decodes on its own. The envelope is bound
// to the name "name/count" instead of the cookie name: a slash cannot
// appear in a cookie name, so a chunked envelope never opens as a plain
// cookie, and a changed count, a missing, extra or reordered chunk fails
// authentication. Stale chunks beyond the count are ignored on reading
// and deleted on the next write.
const (
	// maxChunkCount bounds [WithChunking]: the count is one digit.
	maxChunkCount = 9

	// DefaultChunkBudget is the default budget of [WithChunking], in bytes
	// of the Cookie header: nginx refuses a request whose Cookie header
	// line passes one of its large_client_header_buffers, 8 KiB by default;
	// 6 KiB leaves room for the application's other cookies. Responses need
	// room too: a proxy's buffer for response headers (nginx's
	// proxy_buffer_size, 4 KiB by default) must hold every Set-Cookie line
	// of a chunked session, or the proxy fails the response (nginx: 502,
	// "upstream sent too big header").
	DefaultChunkBudget = 6 << 10

	// MaxChunkBudget bounds the budget of [WithChunking].
	MaxChunkBudget = 48 << 10
)

// WithChunking lets a session larger than one cookie spread over up to
// maxChunks cookies (2 to 9), named name, name.1, name.2 and so on, whose
// part of the Cookie header (names, values and separators) stays within
// budget bytes (0 means [DefaultChunkBudget]; at most [MaxChunkBudget]).
// A session beyond that is an [ErrTooLarge] error, as without chunking.
// Chunking is off by default: one cookie is simpler, and every chunk rides
// on every request to the cookie's Path. Raise the budget only as far as
// every proxy in front of the application accepts the header (nginx:
// large_client_header_buffers).
func WithChunking(maxChunks, budget int) Option {
	return func(c *config) {
		c.maxChunks, c.chunkBudget = maxChunks, budget
		if budget == 0 {
			c.chunkBudget = DefaultChunkBudget
		}
	}
}

func (c *config) checkChunking() string {
	switch {
	case c.maxChunks == 0 && c.chunkBudget == 0:
		return ""
	case c.maxChunks < 2 || c.maxChunks > maxChunkCount:
		return fmt.Sprintf("chunk count %d is outside [2, %d]", c.maxChunks, maxChunkCount)
	case c.chunkBudget < MaxCookieSize || c.chunkBudget > MaxChunkBudget:
		return fmt.Sprintf("chunk budget %d is outside [%d, %d]", c.chunkBudget,
			MaxCookieSize, MaxChunkBudget)
	}
	return ""
}

// chunkNames returns the names of the chunk cookies, indexed by chunk:
// name.1, name.2, ... (index 0 is the cookie's own name), and the names the
// envelope is bound to for each count: name for 1, name/2, name/3, ...
func chunkNames(name string, maxChunks int) (cookies, bound []string) {
	cookies, bound = []string{name}, []string{"", name}
	for i := 1; i < maxChunks; i++ {
		cookies = append(cookies, name+"."+strconv.Itoa(i))
		bound = append(bound, name+"/"+strconv.Itoa(i+1))
	}
	return cookies, bound
}

// chunkPrefix splits the value of a first chunk into its count and its
// piece.
func chunkPrefix(value string) (count int, piece string, ok bool) {
	if len(value) < 2 || value[1] != '/' || value[0] < '2' || value[0] > '9' {
		return 0, "", false
	}
	return int(value[0] - '0'), value[2:], true
}

// pieceCap returns the most characters of the envelope that chunk i holds.
func (m *Manager[T]) pieceCap(i int) int {
	if i == 0 {
		return (MaxCookieSize - len(m.cfg.name) - 2) &^ 3
	}
	return (MaxCookieSize - len(m.chunkNames[i])) &^ 3
}

// chunkCount returns how many cookies an encoded value of n characters
// takes, or ErrTooLarge with the sizes.
func (m *Manager[T]) chunkCount(n int, value []byte) (int, error) {
	if len(m.cfg.name)+n <= MaxCookieSize {
		return 1, nil
	}
	if m.cfg.maxChunks < 2 {
		return 0, tooLarge("the cookie's name and value", len(m.cfg.name)+n, MaxCookieSize, value)
	}
	remaining, header := n, 0
	for k := 1; k <= m.cfg.maxChunks; k++ {
		piece := min(remaining, m.pieceCap(k-1))
		remaining -= piece
		header += len(m.chunkNames[k-1]) + 1 + piece + 2 // name=value and "; " or "N/"
		if remaining == 0 {
			if header > m.cfg.chunkBudget {
				return 0, tooLarge("the session's chunks in the Cookie header", header,
					m.cfg.chunkBudget, value)
			}
			return k, nil
		}
	}
	return 0, tooLarge(fmt.Sprintf("more than %d chunks", m.cfg.maxChunks), n,
		m.cfg.maxChunks*m.pieceCap(1), value)
}

// split cuts an encoded value into the pieces of its chunks.
func (m *Manager[T]) split(sealed string, chunks int) []string {
	pieces := make([]string, chunks)
	for i := range chunks - 1 {
		n := m.pieceCap(i)
		pieces[i], sealed = sealed[:n], sealed[n:]
	}
	pieces[chunks-1] = sealed
	return pieces
}

// chunkCountPrefix returns the prefix of a first chunk: the count and a
// slash.
func chunkCountPrefix(chunks int) string { return strconv.Itoa(chunks) + "/" }
