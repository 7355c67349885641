package cookiesession

import (
	"bytes"
	"fmt"
	"net/http"
)

// errHeld reports a change not saved because the request's session could
// not be checked against the revocation list.
var errHeld = fmt.Errorf("%w: the change was not saved, so as not to replace the "+
	"user's cookie (Renew or Destroy would be)", ErrRevocationUnavailable)

// commit adds to h what the response needs for s, with status the status
// code of the response (0 when unknown); see [Manager.Save]. s.mu is held.
func (m *Manager[T]) commit(h http.Header, s *Session[T], status int) error {
	enc, err := m.cfg.codec.Marshal(&s.value)
	if err != nil {
		return encodeError(err)
	}
	changed := s.renewed || s.metaDirty || !m.equalBaseline(s, enc)
	if s.held && changed && !s.renewed && !s.destroyed {
		return errHeld
	}
	if s.bearer {
		if changed || s.destroyed {
			return ErrReadOnly
		}
		return nil
	}
	addVary(h)

	now := m.now()
	switch {
	case s.destroyed && !changed:
		m.deleteCookies(h, s)
		s.destroyed = false
		return nil
	case !changed && !m.due(s, now, status):
		return nil
	}

	value, deflated, err := m.compress(enc)
	if err != nil {
		return err
	}
	chunks, err := m.chunkCount(sealedLen(s.flashes, value), value)
	if err != nil {
		return err
	}
	sealed, err := m.seal(s, value, deflated, m.chunkedNames[chunks], now)
	if err != nil {
		return err
	}
	idle, maxLife := m.limits(s.created, s.expires)
	if deadline := min(s.expires, s.created+maxLife, now+idle); deadline > now {
		m.writeCookies(h, s, sealed, chunks, deadline-now)
	} else {
		m.deleteCookies(h, s)
	}
	m.deleteLegacy(h, s)
	s.sealed, s.baseline = max(now, s.created), enc
	s.oldKey, s.renewed, s.destroyed, s.metaDirty = false, false, false, false
	return nil
}

// due reports whether an unchanged session must be sealed again: it was
// opened under an old key, or its idle clock is due to be pushed forward.
// Neither is done on a 304 response, whose headers a shared cache would
// merge into the response it stored.
func (m *Manager[T]) due(s *Session[T], now int64, status int) bool {
	if s.isNew || s.sealed == 0 || status == http.StatusNotModified {
		return false
	}
	idle, _ := m.limits(s.created, s.expires)
	return s.oldKey || now-s.sealed >= refreshInterval(idle)
}

// refreshInterval returns how long after its last seal an active session
// is sealed again, in seconds: max(1 minute, idle/10), capped at idle/2 so
// that a user whose requests are less than idle/2 apart never times out.
func refreshInterval(idle int64) int64 {
	return min(max(60, idle/10), idle/2)
}

// equalBaseline reports whether enc is the encoding s had when it was
// opened or last sealed.
func (m *Manager[T]) equalBaseline(s *Session[T], enc []byte) bool {
	if s.baseline == nil {
		return bytes.Equal(enc, m.zero)
	}
	return bytes.Equal(enc, s.baseline)
}

// writeCookies sets the session cookie, or its chunks, in h, and deletes
// the chunk cookies the browser has beyond the new count.
func (m *Manager[T]) writeCookies(h http.Header, s *Session[T], sealed string, chunks int,
	maxAge int64) {
	if chunks == 1 {
		m.setCookie(h, m.cfg.name, sealed, maxAge)
	} else {
		pieces := m.split(sealed, chunks)
		m.setCookie(h, m.cfg.name, chunkCountPrefix(chunks)+pieces[0], maxAge)
		for i := 1; i < chunks; i++ {
			m.setCookie(h, m.chunkNames[i], pieces[i], maxAge)
		}
	}
	for i := chunks; i < len(m.chunkNames); i++ {
		if s.chunkMask&(1<<i) != 0 {
			m.setCookie(h, m.chunkNames[i], "", 0)
		}
	}
	s.chunkMask = uint16(1)<<chunks - 2 // bits 1 to chunks-1
}

// deleteLegacy deletes the legacy cookie that s was converted from, if
// any: once the session is sealed in this format, or destroyed.
func (m *Manager[T]) deleteLegacy(h http.Header, s *Session[T]) {
	if s.migrated {
		setCookieLine(h, m.legacy.name, m.legacy.deletion)
		s.migrated = false
	}
}

// deleteCookies deletes the session cookie, every chunk the browser has,
// and the legacy cookie the session came from.
func (m *Manager[T]) deleteCookies(h http.Header, s *Session[T]) {
	m.deleteLegacy(h, s)
	m.setCookie(h, m.cfg.name, "", 0)
	for i := 1; i < len(m.chunkNames); i++ {
		if s.chunkMask&(1<<i) != 0 {
			m.setCookie(h, m.chunkNames[i], "", 0)
		}
	}
	s.chunkMask = 0
}
