package main

import (
	"context"
	"expvar"
	"log/slog"
	"net"
	"net/http"
	"runtime"

	"github.com/statelessgo/sessions/cookiesession"
)

// init publishes the number of goroutines beside expvar's memory statistics.
func init() {
	expvar.Publish("goroutines", expvar.Func(func() any { return runtime.NumGoroutine() }))
}

// serveAdmin serves expvar's /debug/vars (memory statistics, goroutines)
// on addr until ctx is done, for load tests to watch the server. It is a
// separate listener so that it never shares the application's address.
func serveAdmin(ctx context.Context, addr string, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /debug/vars", expvar.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: readHeaderTimeout}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	logger.Info("admin on http://" + ln.Addr().String() + "/debug/vars")
	return nil
}

// watchKeys applies the key file whenever it changes, until ctx is done.
// A file that does not parse keeps the current keys and is logged.
func watchKeys(ctx context.Context, cfg config, a *app, logger *slog.Logger) {
	apply := func(keys *cookiesession.Keyring) error {
		err := a.sessions.SetKeys(keys)
		if err == nil {
			logger.Info("keys reloaded", "key_ids", a.keyIDs())
		}
		return err
	}
	cookiesession.WatchKeyFile(ctx, cfg.keysFile, cfg.keysPoll, apply, func(err error) {
		logger.Error("key file", "err", err)
	})
}
