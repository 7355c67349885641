// Command example is the demo server of cookiesession: a page to sign in
// and out with a session kept in encrypted cookies, and a small JSON API
// that accepts the same session as a bearer token. It shows what the
// library does: cookie attributes, key IDs, idle and absolute expiry,
// flash messages, sessions spread over several cookies (the notes box),
// revocation at sign-out and "sign out everywhere", and the migration of
// gorilla/sessions cookies.
//
// Usage:
//
//	go run ./example [-addr host:port] [-idle-timeout d] [-max-age d] [-debug]
//	                 [-instance name] [-keys-file file [-keys-poll d]]
//	                 [-admin host:port] [-redis host:port]
//	go run ./example inspect [-idle-timeout d] VALUE|name=VALUE|-
//
// Keys come from COOKIESESSION_KEYS: a comma-separated list of base64
// secrets of at least 32 bytes, newest first (or from -keys-file, one per
// line, applied again whenever the file changes). Without either the
// server makes a key that dies with the process, so sessions do not
// survive a restart. It stops gracefully on SIGINT and SIGTERM.
//
// Revoked sessions are kept in memory, for this process only, or with
// -redis on a Redis server that every instance shares. The server checks
// at start-up that Redis answers; while it does not, signed-in requests
// get 503 (the library fails closed).
//
// COOKIESESSION_LEGACY_KEYS, if set, holds the key pairs of a
// gorilla/sessions CookieStore: comma-separated, newest first, each
// hashB64:blockB64, or hashB64 alone for a store that only signs, in
// standard or URL-safe base64. A request with that store's cookie named
// "session", whose values hold "user_id" (an int), and no cookie of its
// own is signed in as that user; the response replaces the legacy cookie.
//
// The subcommand inspect prints the clear header of a cookie value or a
// bearer token without any key: format version, key ID, creation, last
// seal and expiry times, size, chunks, and whether it has expired at the
// idle timeout given (the server's configuration, not in the header). The
// value may be given as name=value, as pasted from a Cookie header, or
// read from standard input with "-".
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// main runs the program with the process's arguments, environment and
// standard streams, until SIGINT or SIGTERM.
func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process at once
	}()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole program, with its inputs made explicit so that tests
// can call it: it returns the exit code. The server runs until ctx is
// done, then shuts down gracefully.
//
// Subcommands are dispatched here, on the first argument, before the
// server's flags are parsed; without one, run serves.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader,
	stdout, stderr io.Writer) int {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "inspect":
			return inspect(args[1:], stdin, stdout, stderr, time.Now())
		}
		fmt.Fprintf(stderr, "example: unknown command %q (try -h)\n", args[0])
		return 2
	}
	return serve(ctx, args, getenv, stdout, stderr)
}
