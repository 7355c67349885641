package cookiesession

import (
	"errors"
	"net/http"
)

// load opens the value that r carries into s: a bearer token when enabled
// and present, else the session cookie. It returns the key ID for the logs
// and why a value was refused.
func (m *Manager[T]) load(s *Session[T], r *http.Request) (uint32, error) {
	keyID, err := m.loadValue(s, r)
	if err == nil && !s.isNew {
		if err = m.verify(r, s); err != nil {
			mask := s.chunkMask
			m.reset(s)
			s.chunkMask = mask
		}
	}
	s.loadErr, s.held = err, errors.Is(err, ErrRevocationUnavailable)
	return keyID, err
}

// loadValue opens the value that r carries into s, unverified.
func (m *Manager[T]) loadValue(s *Session[T], r *http.Request) (uint32, error) {
	now := m.now()
	if m.cfg.bearer {
		if token, ok, err := bearerToken(r.Header); ok {
			s.bearer = true
			if err != nil {
				return 0, err
			}
			return m.openToken(s, token, now)
		}
	}

	s.chunkMask = m.presentChunks(r.Header)
	var candidates [maxCandidates + 1]string
	values := cookieValues(r.Header, m.cfg.name, candidates[:0])
	if len(values) > maxCandidates {
		return 0, errAmbiguous
	}
	if len(values) == 0 && m.legacy != nil {
		return 0, m.loadLegacy(s, r.Header, now)
	}
	var keyID uint32
	var err error
	for i, v := range values {
		if keyID, err = m.openCookie(s, v, r.Header, now); err == nil {
			return keyID, m.checkUnique(s, values[i+1:], r.Header, now)
		}
	}
	return keyID, err
}

// openToken opens a bearer token into s.
func (m *Manager[T]) openToken(s *Session[T], token string, now int64) (uint32, error) {
	if len(m.tokenName)+len(token) > MaxCookieSize {
		return 0, errTooLong
	}
	return m.open(s, []string{token}, m.tokenName, now)
}

// openCookie opens the value of the session cookie into s. A value that
// starts with a chunk count and a slash ("3/") is the first of that many
// chunks, which the cookies name.1, name.2, ... carry on.
func (m *Manager[T]) openCookie(s *Session[T], value string, h http.Header, now int64) (uint32, error) {
	count, first, chunked := chunkPrefix(value)
	if !chunked {
		if len(m.cfg.name)+len(value) > MaxCookieSize {
			return 0, errTooLong
		}
		return m.open(s, []string{value}, m.cfg.name, now)
	}
	if count > m.cfg.maxChunks {
		return 0, errMalformed
	}

	var pieces [maxChunkCount]string
	var found [2]string
	pieces[0] = first
	total := len(m.cfg.name) + 1 + len(value)
	for i := 1; i < count; i++ {
		vals := cookieValues(h, m.chunkNames[i], found[:0])
		if len(vals) != 1 {
			return 0, errChunks
		}
		pieces[i] = vals[0]
		total += 2 + len(m.chunkNames[i]) + 1 + len(vals[0])
		if len(m.chunkNames[i])+len(vals[0]) > MaxCookieSize || total > m.cfg.chunkBudget {
			return 0, errTooLong
		}
	}
	return m.open(s, pieces[:count], m.chunkedNames[count], now)
}

// presentChunks returns a bit mask of the chunk cookies name.1, name.2, ...
// that h carries, so that stale ones can be deleted.
func (m *Manager[T]) presentChunks(h http.Header) uint16 {
	var mask uint16
	var found [1]string
	for i := 1; i < len(m.chunkNames); i++ {
		if len(cookieValues(h, m.chunkNames[i], found[:0])) > 0 {
			mask |= 1 << i
		}
	}
	return mask
}

// checkUnique refuses a session when a second cookie with its name opens
// too: two valid sessions in one request mean a cookie was planted (from a
// sibling domain, say), and neither can be trusted to be the user's.
func (m *Manager[T]) checkUnique(s *Session[T], others []string, h http.Header, now int64) error {
	for _, v := range others {
		scratch := &Session[T]{m: m}
		if _, err := m.openCookie(scratch, v, h, now); err == nil {
			mask := s.chunkMask
			m.reset(s)
			s.chunkMask = mask
			return errAmbiguous
		}
	}
	return nil
}
