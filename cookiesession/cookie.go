package cookiesession

import (
	"net/http"
	"strconv"
	"strings"
)

// maxCandidates is how many cookies with the session's name a request may
// carry. More is refused outright: browsers send more than one only when
// cookies with other Paths or Domains were set, which a sibling domain can
// do to plant one.
const maxCandidates = 4

// cookieValues appends to dst the values of the cookies named name in h's
// Cookie lines, in order, stopping one past maxCandidates. It scans the
// header in place: a hostile header of any size costs one pass and no
// allocation. Names match exactly, case included. A value is taken as sent
// (quotes, if any, included): anything that is not canonical base64 fails
// to open later.
func cookieValues(h http.Header, name string, dst []string) []string {
	for _, line := range h["Cookie"] {
		for len(line) > 0 {
			var part string
			part, line, _ = strings.Cut(line, ";")
			n, v, ok := strings.Cut(strings.TrimLeft(part, " \t"), "=")
			if !ok || n != name {
				continue
			}
			dst = append(dst, strings.TrimRight(v, " \t"))
			if len(dst) > maxCandidates {
				return dst
			}
		}
	}
	return dst
}

// bearerToken returns the token of an "Authorization: Bearer" header. ok
// is false when there is no such header (another scheme is not ours); err
// is set for a Bearer header without a token and for more than one
// Authorization header.
func bearerToken(h http.Header) (token string, ok bool, err error) {
	lines := h["Authorization"]
	if len(lines) == 0 {
		return "", false, nil
	}
	scheme, token, _ := strings.Cut(lines[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false, nil
	}
	token = strings.TrimSpace(token)
	if token == "" || len(lines) > 1 {
		return "", true, errBearerHeader
	}
	return token, true, nil
}

// cookieAttributes returns the attributes that follow Max-Age in every
// Set-Cookie line.
func cookieAttributes(c *config) string {
	var b strings.Builder
	b.WriteString("; Path=" + c.path)
	if c.domain != "" {
		b.WriteString("; Domain=" + c.domain)
	}
	b.WriteString("; HttpOnly")
	if !c.insecure {
		b.WriteString("; Secure")
	}
	switch c.sameSite {
	case http.SameSiteStrictMode:
		b.WriteString("; SameSite=Strict")
	case http.SameSiteNoneMode:
		b.WriteString("; SameSite=None")
	default:
		b.WriteString("; SameSite=Lax")
	}
	return b.String()
}

// setCookie sets the cookie name in h, replacing an earlier line for the
// same name, and keeps the response out of shared caches. An empty value
// deletes the cookie, with the same attributes so that browsers match it.
func (m *Manager[T]) setCookie(h http.Header, name, value string, maxAge int64) {
	var b strings.Builder
	b.Grow(len(name) + len(value) + len(m.attrs) + 64)
	b.WriteString(name)
	b.WriteByte('=')
	b.WriteString(value)
	if value == "" {
		b.WriteString("; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
	} else {
		var digits [20]byte
		b.WriteString("; Max-Age=")
		b.Write(strconv.AppendInt(digits[:0], maxAge, 10))
	}
	b.WriteString(m.attrs)
	setCookieLine(h, name, b.String())
}

// setCookieLine sets a Set-Cookie line for name in h, replacing an earlier
// line for the same name, so that a response never carries two, and keeps
// the response out of shared caches.
func setCookieLine(h http.Header, name, line string) {
	lines := h["Set-Cookie"]
	for i, l := range lines {
		if len(l) > len(name) && l[len(name)] == '=' && l[:len(name)] == name {
			lines[i] = line
			keepPrivate(h)
			return
		}
	}
	h["Set-Cookie"] = append(lines, line)
	keepPrivate(h)
}

// addVary adds "Vary: Cookie" to h unless it is there already.
func addVary(h http.Header) {
	for _, line := range h["Vary"] {
		for v := range strings.SplitSeq(line, ",") {
			v = strings.TrimSpace(v)
			if v == "*" || strings.EqualFold(v, "Cookie") {
				return
			}
		}
	}
	h["Vary"] = append(h["Vary"], "Cookie")
}

// keepPrivate keeps a response that sets a cookie out of shared caches,
// which would hand the cookie to other users. It leaves a Cache-Control
// with private or no-store alone; otherwise it adds private and drops
// public and s-maxage, keeping the other directives.
func keepPrivate(h http.Header) {
	kept := []string{"private"}
	for _, line := range h["Cache-Control"] {
		for d := range strings.SplitSeq(line, ",") {
			d = strings.TrimSpace(d)
			name, _, _ := strings.Cut(d, "=")
			switch strings.ToLower(name) {
			case "private", "no-store":
				return
			case "public", "s-maxage", "":
				continue
			}
			kept = append(kept, d)
		}
	}
	h["Cache-Control"] = []string{strings.Join(kept, ", ")}
}
