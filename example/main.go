// Command example is the demo server of cookiesession: a page to sign in
// and out with a session kept in an encrypted cookie, and a small JSON API
// that accepts the same session as a bearer token.
//
// Usage:
//
//	go run ./example [-addr host:port] [-idle-timeout d] [-max-age d] [-debug]
//	                 [-instance name]
//
// Keys come from COOKIESESSION_KEYS: a comma-separated list of base64
// secrets of at least 32 bytes, newest first. Without it the server makes a
// key that dies with the process, so sessions do not survive a restart.
// It stops gracefully on SIGINT and SIGTERM.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process at once
	}()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is the whole program, with its inputs made explicit so that tests
// can call it: it returns the exit code. The server runs until ctx is
// done, then shuts down gracefully.
//
// Subcommands are dispatched here, on the first argument, before the
// server's flags are parsed; without one, run serves.
func run(ctx context.Context, args []string, getenv func(string) string,
	stdout, stderr io.Writer) int {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(stderr, "example: unknown command %q (try -h)\n", args[0])
		return 2
	}
	return serve(ctx, args, getenv, stdout, stderr)
}
