package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/statelessgo/sessions/cookiesession"
)

// The environment variables the server reads.
const (
	// keysVariable holds the session keys.
	keysVariable = "COOKIESESSION_KEYS"

	// legacyKeysVariable holds the key pairs of gorilla/sessions cookies
	// to migrate: see parseLegacyKeys.
	legacyKeysVariable = "COOKIESESSION_LEGACY_KEYS"
)

// config is the server's configuration, from its flags.
type config struct {
	addr        string
	idleTimeout time.Duration
	maxAge      time.Duration
	debug       bool
	instance    string // the X-Instance header's value; empty for none
	keysFile    string // read keys from this file, and watch it; empty: the variable
	keysPoll    time.Duration
	admin       string // serve /debug/vars on this address; empty for none
	redis       string // the revocation list on this Redis; empty: in memory
}

// parseFlags parses the server's flags. When it returns false the program
// must exit with code: 0 after -h, 2 after a usage error.
func parseFlags(args []string, stdout, stderr io.Writer) (cfg config, code int, ok bool) {
	fs := flag.NewFlagSet("example", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080",
		"listen on `host:port` (port 0 picks a free one)")
	fs.DurationVar(&cfg.idleTimeout, "idle-timeout", cookiesession.DefaultIdleTimeout,
		"end a session after this long without a request")
	fs.DurationVar(&cfg.maxAge, "max-age", cookiesession.DefaultLifetime,
		"end a session this long after sign-in, whatever its activity")
	fs.BoolVar(&cfg.debug, "debug", false, "log at debug level: every refused cookie or token")
	fs.StringVar(&cfg.instance, "instance", "",
		"add the header X-Instance: `name` to every response (to tell instances apart)")
	fs.StringVar(&cfg.keysFile, "keys-file", "",
		"read the keys from this `file` (one per line, newest first) instead of "+keysVariable+
			", and apply it again whenever it changes")
	fs.DurationVar(&cfg.keysPoll, "keys-poll", 2*time.Second, "how often to read -keys-file")
	fs.StringVar(&cfg.admin, "admin", "",
		"serve /debug/vars (goroutines, memory) on `host:port`; keep it on loopback")
	fs.StringVar(&cfg.redis, "redis", "",
		"keep the revocation list on the Redis at `host:port`, shared by every instance "+
			"(default: in this process's memory)")

	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage(fs, stdout)
		return cfg, 0, false
	case err != nil:
		fmt.Fprintf(stderr, "example: %v\n", err)
		usage(fs, stderr)
		return cfg, 2, false
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "example: unexpected argument %q\n", fs.Arg(0))
		return cfg, 2, false
	}
	return cfg, 0, true
}

// usage prints the server's help: what it reads from the environment,
// the subcommand, and the flags.
func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintf(w, "Usage: example [flags]\n"+
		"       example inspect [-idle-timeout d] VALUE|name=VALUE|-\n\n"+
		"Serves the cookiesession demo. Session keys come from %s: base64\n"+
		"secrets of 32 bytes or more, comma-separated, newest first. Without it,\n"+
		"a key is made at start-up and sessions end with the process.\n\n"+
		"%s, if set, lists the key pairs of a gorilla/sessions\n"+
		"CookieStore, hashB64:blockB64 (or hashB64 alone), comma-separated, newest\n"+
		"first: its cookies named \"session\" are read and replaced.\n\n"+
		"inspect prints the clear header of a cookie value or token, without a key.\n\n"+
		"Flags:\n", keysVariable, legacyKeysVariable)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// loadKeys returns the keyring of COOKIESESSION_KEYS or, when the variable
// is not set, a new random key, and says which. Its errors name the bad key
// by position and never show key material.
func loadKeys(cfg config, getenv func(string) string) (keys *cookiesession.Keyring,
	random bool, err error) {
	if cfg.keysFile != "" {
		keys, err = cookiesession.ReadKeyFile(cfg.keysFile)
		return keys, false, err
	}
	value := getenv(keysVariable)
	if value == "" {
		keys, err = cookiesession.NewKeyring(cookiesession.GenerateKey())
		return keys, true, err
	}
	keys, err = cookiesession.ParseKeyring(value)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", keysVariable, err)
	}
	return keys, false, nil
}

// newLogger returns the text logger of the server and of the library.
func newLogger(w io.Writer, debug bool) *slog.Logger {
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
