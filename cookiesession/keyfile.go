package cookiesession

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

// ParseKeyFile parses the contents of a key file: one key per line, newest
// first, each as [ParseKey] reads it. Blank lines and lines starting with #
// are ignored. An error names the line of the bad key and never contains
// key material.
func ParseKeyFile(data []byte) (*Keyring, error) {
	var keys []Key
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, problem := parseKey(line)
		if problem != "" {
			return nil, fmt.Errorf("cookiesession: key on line %d %s", i+1, problem)
		}
		keys = append(keys, k)
	}
	return NewKeyring(keys...)
}

// ReadKeyFile reads a key file; see [ParseKeyFile].
func ReadKeyFile(path string) (*Keyring, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cookiesession: reading the key file: %w", err)
	}
	kr, err := ParseKeyFile(data)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return kr, nil
}

// WatchKeyFile reads the key file at path every interval until ctx is
// done, and passes every ring that differs from the last to apply, such as
// a Manager's SetKeys, so that a secret manager rotates keys by rewriting
// the file, with no restart. A file that cannot be read or parsed keeps the
// current ring: the error goes to onError (which may be nil), and the next
// change of the file is tried again. The first read, one interval after
// the call, applies the file whatever it holds, so that a change between
// start-up and the call is not missed. WatchKeyFile returns ctx's error.
//
// Rewrite the file atomically (write a new file and rename it over the old
// one, as Kubernetes does with mounted secrets), or a reader may see half a
// file, refuse it and wait for the next change.
func WatchKeyFile(ctx context.Context, path string, interval time.Duration,
	apply func(*Keyring) error, onError func(error)) error {
	var last []byte
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		data, err := os.ReadFile(path)
		if err == nil && bytes.Equal(data, last) {
			continue
		}
		last = data
		if err == nil {
			err = applyKeyFile(data, path, apply)
		}
		if err != nil && onError != nil {
			onError(fmt.Errorf("cookiesession: key file %s not applied, keeping the current "+
				"keys: %w", path, err))
		}
	}
}

func applyKeyFile(data []byte, path string, apply func(*Keyring) error) error {
	kr, err := ParseKeyFile(data)
	if err != nil {
		return err
	}
	return apply(kr)
}
