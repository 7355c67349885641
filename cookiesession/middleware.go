package cookiesession

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"sync/atomic"
)

// contextKey finds a Manager's request state in a request's context.
type contextKey[T any] struct{ m *Manager[T] }

// requestState is what the middleware keeps for one request: the session,
// opened on first use, and the response writer that commits it. It is one
// allocation.
type requestState[T any] struct {
	rw      responseWriter[T]
	sess    Session[T]
	opened  bool        // guarded by sess.mu
	settled atomic.Bool // the session has been committed; set under sess.mu
}

// Handler returns middleware that gives each request a session, opened
// from the request's cookie or bearer token on the first call of
// [Manager.Get], and that saves it by itself: the handler never calls
// Save.
//
// The Set-Cookie line is added to the header map at the first
// WriteHeader (1xx informational responses aside), Write, ReadFrom, Flush
// or Hijack, or when the handler returns having written nothing. The body
// is never buffered. A cookie is written only when something changed (see
// [Manager.Save]); a request that never calls Get costs no cryptography and
// writes nothing. If the handler panics, nothing is written for the
// session.
//
// The ResponseWriter that the handler sees implements [http.Flusher],
// [http.Hijacker] and [io.ReaderFrom], and Unwrap, so that
// [http.ResponseController] works through it. On Hijack, a Set-Cookie line
// is left in the header map: code that writes the raw response (a
// WebSocket upgrader) must send it, for instance by being given w.Header()
// as its response header.
//
// Handler is idempotent: wrapping twice with the same Manager opens and
// saves the session once.
func (m *Manager[T]) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := contextKey[T]{m}
		if _, ok := r.Context().Value(key).(*requestState[T]); ok {
			next.ServeHTTP(w, r)
			return
		}
		st := &requestState[T]{}
		st.rw = responseWriter[T]{ResponseWriter: w, st: st}
		r = r.WithContext(context.WithValue(r.Context(), key, st))
		st.sess.m, st.sess.req = m, r

		next.ServeHTTP(&st.rw, r)
		st.commit(http.StatusOK)
	})
}

// Get returns the session of a request served through [Manager.Handler],
// opening it on the first call. Every call for one request returns the same
// session. A request whose cookie or token cannot be opened gets a new,
// empty session; the reason goes to the logger and the error handler.
//
// Get panics with [ErrNoMiddleware] if r did not pass through the
// Manager's Handler: that is a wiring mistake, not a request error.
func (m *Manager[T]) Get(r *http.Request) *Session[T] {
	st, ok := r.Context().Value(contextKey[T]{m}).(*requestState[T])
	if !ok {
		panic(ErrNoMiddleware)
	}
	s := &st.sess
	s.mu.Lock()
	if st.opened {
		s.mu.Unlock()
		return s
	}
	st.opened = true
	m.reset(s)
	keyID, err := m.load(s, s.req)
	s.mu.Unlock()
	m.refused(s.req, keyID, err)
	return s
}

// commit saves the session into the response headers, once. status is the
// status code of the response being written.
func (st *requestState[T]) commit(status int) {
	if st.settled.Load() {
		return
	}
	s := &st.sess
	s.mu.Lock()
	if st.settled.Load() {
		s.mu.Unlock()
		return
	}
	var err error
	if st.opened {
		err = s.m.commit(st.rw.Header(), s, status)
	}
	s.committed = true
	st.settled.Store(true)
	s.mu.Unlock()
	s.m.lost(s.req, err)
}

// responseWriter commits the session before anything reaches the client.
// It passes every call on to the ResponseWriter it wraps.
type responseWriter[T any] struct {
	http.ResponseWriter
	st *requestState[T]
}

// WriteHeader commits, unless code is a 1xx informational status, after
// which the header map can still change.
func (w *responseWriter[T]) WriteHeader(code int) {
	if code < 100 || code > 199 || code == http.StatusSwitchingProtocols {
		w.st.commit(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter[T]) Write(b []byte) (int, error) {
	w.st.commit(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

// ReadFrom commits, then lets the wrapped writer use its own ReadFrom
// (sendfile, for one) when it has one.
func (w *responseWriter[T]) ReadFrom(src io.Reader) (int64, error) {
	w.st.commit(http.StatusOK)
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(src)
	}
	return io.Copy(writerOnly{w.ResponseWriter}, src)
}

// writerOnly hides every method but Write, so that io.Copy does not call
// ReadFrom again.
type writerOnly struct{ io.Writer }

func (w *responseWriter[T]) Flush() { _ = w.FlushError() }

// FlushError commits, then flushes through [http.ResponseController].
func (w *responseWriter[T]) FlushError() error {
	w.st.commit(http.StatusOK)
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack commits into the header map, then hijacks through
// [http.ResponseController].
func (w *responseWriter[T]) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.st.commit(http.StatusSwitchingProtocols)
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap returns the wrapped ResponseWriter, for [http.ResponseController].
func (w *responseWriter[T]) Unwrap() http.ResponseWriter { return w.ResponseWriter }
