package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Limits of the HTTP server.
const (
	shutdownTimeout   = 10 * time.Second
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 10 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 64 << 10
)

// serve parses the flags and the keys, then serves until ctx is done.
// It returns the exit code: 2 for a usage error, 1 for a bad
// configuration or a server failure, 0 after a clean shutdown.
func serve(ctx context.Context, args []string, getenv func(string) string,
	stdout, stderr io.Writer) int {
	cfg, code, ok := parseFlags(args, stdout, stderr)
	if !ok {
		return code
	}
	logger := newLogger(stderr, cfg.debug)
	a, ln, closer, err := setUp(cfg, getenv, logger)
	if err != nil {
		fmt.Fprintf(stderr, "example: %v\n", err)
		return 1
	}
	defer closer.Close()
	if cfg.keysFile != "" {
		go watchKeys(ctx, cfg, a, logger)
	}
	if cfg.admin != "" {
		if err := serveAdmin(ctx, cfg.admin, logger); err != nil {
			fmt.Fprintf(stderr, "example: -admin: %v\n", err)
			return 1
		}
	}
	logger.Info("listening on http://" + ln.Addr().String())
	return serveUntilDone(ctx, newHTTPServer(a.routes(), logger), ln, logger)
}

// setUp loads the keys and the legacy keys, opens the revocation list,
// builds the application and opens its listener. The closer closes the
// revocation list's connections.
func setUp(cfg config, getenv func(string) string, logger *slog.Logger) (*app, net.Listener,
	io.Closer, error) {
	d, random, err := loadDeps(cfg, getenv, logger)
	if err != nil {
		return nil, nil, nil, err
	}
	list, closer, err := newRevocationList(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	d.revocation = list
	a, err := newApp(cfg, d)
	var ln net.Listener
	if err == nil {
		ln, err = net.Listen("tcp", cfg.addr)
	}
	if err != nil {
		closer.Close()
		return nil, nil, nil, err
	}
	logStart(cfg, a, d, random)
	return a, ln, closer, nil
}

// loadDeps reads the keys and the legacy keys. random says that the key
// was made at start-up.
func loadDeps(cfg config, getenv func(string) string, logger *slog.Logger) (deps, bool,
	error) {
	keys, random, err := loadKeys(cfg, getenv)
	if err != nil {
		return deps{}, false, err
	}
	d := deps{keys: keys, logger: logger}
	if v := getenv(legacyKeysVariable); v != "" {
		if d.legacy, err = parseLegacyKeys(v); err != nil {
			return deps{}, false, err
		}
	}
	return d, random, nil
}

// logStart logs the configuration the server starts with.
func logStart(cfg config, a *app, d deps, random bool) {
	if random {
		a.logger.Warn(keysVariable + " is not set: using a random key; " +
			"sessions will not survive a restart")
	}
	if d.legacy != nil {
		a.logger.Info("migrating gorilla/sessions cookies", "cookie", legacyCookieName,
			"key_pairs", len(d.legacy)/2)
	}
	a.logger.Info("sessions ready", "key_ids", a.keyIDs(), "idle_timeout", cfg.idleTimeout,
		"max_age", cfg.maxAge, "revocation", a.revocationPlace())
}

// newHTTPServer returns the HTTP server of h, with its limits, logging its
// errors to logger.
func newHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// serveUntilDone serves on ln until ctx is done, then shuts srv down,
// letting requests in flight finish for up to shutdownTimeout.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener,
	logger *slog.Logger) int {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		logger.Error("server failed", "err", err)
		return 1
	case <-ctx.Done():
	}

	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err2 := <-served; !errors.Is(err2, http.ErrServerClosed) {
		err = errors.Join(err, err2)
	}
	if err != nil {
		logger.Error("shutdown failed", "err", err)
		return 1
	}
	logger.Info("stopped")
	return 0
}
