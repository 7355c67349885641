package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/statelessgo/sessions/cookiesession"
)

// maxInspectInput bounds what inspect reads from its standard input: a
// whole Cookie header of chunked sessions fits many times over.
const maxInspectInput = 256 << 10

// inspectPrefixLen is how much of a value that is not one an error message
// shows: enough to recognise it, too little to replay it.
const inspectPrefixLen = 12

// inspect is the subcommand "inspect": it prints what the clear header of a
// cookie value or bearer token says, without any key. It returns the exit
// code: 0 when the value has a header, 1 when it has none, 2 for a usage
// error.
func inspect(args []string, stdin io.Reader, stdout, stderr io.Writer, now time.Time) int {
	fs := flag.NewFlagSet("example inspect", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	idle := fs.Duration("idle-timeout", cookiesession.DefaultIdleTimeout,
		"the server's idle timeout, which the value does not carry")
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		inspectUsage(fs, stdout)
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "example inspect: %v\n", err)
		inspectUsage(fs, stderr)
		return 2
	case fs.NArg() != 1:
		fmt.Fprintln(stderr, "example inspect: give one value (or - to read it from stdin)")
		inspectUsage(fs, stderr)
		return 2
	case *idle <= 0:
		fmt.Fprintf(stderr, "example inspect: -idle-timeout %v is not positive\n", *idle)
		return 2
	}

	input, err := inspectInput(fs.Arg(0), stdin)
	if err != nil {
		fmt.Fprintf(stderr, "example inspect: %v\n", err)
		return 1
	}
	name, value := splitCookie(input)
	info, err := cookiesession.Inspect(value)
	if err != nil {
		fmt.Fprintf(stderr, "example inspect: %s is not a cookiesession value: %v\n",
			describeInput(value), err)
		return 1
	}
	printInfo(stdout, name, info, now, *idle)
	return 0
}

// inspectUsage prints the help of the subcommand inspect.
func inspectUsage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, "Usage: example inspect [-idle-timeout d] VALUE|name=VALUE|-\n\n"+
		"Prints the clear header of a session cookie's value or a bearer token,\n"+
		"without any key: format version, key ID, times, size, chunks, expiry.\n"+
		"VALUE may be pasted from a Cookie header as name=value; - reads stdin.\n\n"+
		"Flags:\n")
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// inspectInput returns the argument, or standard input when it is "-",
// without the spaces around it.
func inspectInput(arg string, stdin io.Reader) (string, error) {
	if arg != "-" {
		return strings.TrimSpace(arg), nil
	}
	b, err := io.ReadAll(io.LimitReader(stdin, maxInspectInput+1))
	switch {
	case err != nil:
		return "", fmt.Errorf("reading stdin: %w", err)
	case len(b) > maxInspectInput:
		return "", fmt.Errorf("stdin holds more than %d bytes", maxInspectInput)
	}
	return strings.TrimSpace(string(b)), nil
}

// splitCookie returns the cookie name and the value of input, which is a
// value, a token after "Bearer ", or name=value, possibly among other
// cookies of a Cookie header ("Cookie: a=1; __Host-session=2/Ab..."): then
// the first cookie whose value has a header is taken, chunks (name.1, ...)
// aside. A value alone has no name.
func splitCookie(input string) (name, value string) {
	if token, ok := strings.CutPrefix(input, "Bearer "); ok {
		return "", strings.TrimSpace(token)
	}
	if header, ok := strings.CutPrefix(input, "Cookie:"); ok {
		input = header
	}
	if !strings.Contains(input, "=") {
		return "", input
	}
	first := ""
	for part := range strings.SplitSeq(input, ";") {
		n, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		if first == "" {
			first = part
		}
		if _, err := cookiesession.Inspect(v); err == nil && !isChunkName(n) {
			return n, v
		}
	}
	n, v, _ := strings.Cut(strings.TrimSpace(first), "=")
	return n, v
}

// isChunkName reports whether a cookie name is that of a chunk after the
// first: it ends with a dot and a digit.
func isChunkName(name string) bool {
	n := len(name)
	return n >= 2 && name[n-2] == '.' && name[n-1] >= '1' && name[n-1] <= '9'
}

// describeInput names a value that is not one without showing it: its
// first few characters, quoted, and its length.
func describeInput(s string) string {
	if s == "" {
		return "the empty value"
	}
	prefix := s
	if len(prefix) > inspectPrefixLen {
		prefix = prefix[:inspectPrefixLen]
		for !utf8.ValidString(prefix) { // do not cut a character in two
			prefix = prefix[:len(prefix)-1]
		}
		prefix += "..."
	}
	return fmt.Sprintf("%q (%d bytes)", prefix, len(s))
}

// printInfo prints what a value's header says, with times in UTC and
// relative to now.
func printInfo(w io.Writer, name string, info cookiesession.Info, now time.Time,
	idle time.Duration) {
	line := func(label, format string, args ...any) {
		fmt.Fprintf(w, "%-14s %s\n", label, fmt.Sprintf(format, args...))
	}
	if name != "" {
		line("cookie", "%s", name)
	}
	line("format", "version %d", info.Version)
	line("key ID", "%08x", info.KeyID)
	line("created", "%s", when(info.Created, now))
	line("last sealed", "%s", when(info.Sealed, now))
	line("deadline", "%s: the end of its absolute lifetime", when(info.Expires, now))
	line("idle until", "%s, for an idle timeout of %v", when(info.Sealed.Add(idle), now),
		idle)
	line("size", "%d bytes%s", info.Size, chunkNote(info.Chunks))
	line("chunks", "%d", info.Chunks)
	line("expired", "%s", expiry(info, now, idle))
	fmt.Fprintln(w, "\nThe idle timeout is the server's configuration, not in the header "+
		"(set it here\nwith -idle-timeout). The times are the header's claims: without "+
		"the key,\nnothing here is authenticated.")
}

// chunkNote says that the size is the first cookie's only.
func chunkNote(chunks int) string {
	if chunks == 1 {
		return ""
	}
	return fmt.Sprintf(": the first of %d cookies (the others are not read)", chunks)
}

// expiry says whether the value has expired, and by which clock.
func expiry(info cookiesession.Info, now time.Time, idle time.Duration) string {
	if !info.Expired(now, idle) {
		return "no"
	}
	var why []string
	if !now.Before(info.Expires) {
		why = append(why, "its absolute deadline has passed")
	}
	if now.Sub(info.Sealed) >= idle {
		why = append(why, fmt.Sprintf("idle for %v or more", idle))
	}
	return "yes: " + strings.Join(why, ", and ")
}

// when formats t in UTC and relative to now: "2025-01-02 15:04:05 UTC (3m
// ago)".
func when(t, now time.Time) string {
	return stamp(t) + " (" + relative(t, now) + ")"
}

// relative says how far t is from now, to the minute beyond a minute:
// "3m ago", "in 11h57m", "in 2d4h", "now".
func relative(t, now time.Time) string {
	d := t.Sub(now).Truncate(time.Second)
	switch {
	case d == 0:
		return "now"
	case d < 0:
		return span(-d) + " ago"
	}
	return "in " + span(d)
}

// span formats a positive duration in its two largest units: 45s, 3m,
// 11h57m, 2d4h.
func span(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", d/time.Second)
	case d < time.Hour:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d < day:
		return trimZero(fmt.Sprintf("%dh%dm", d/time.Hour, d%time.Hour/time.Minute))
	}
	return trimZero(fmt.Sprintf("%dd%dh", d/day, d%day/time.Hour))
}

// trimZero drops a zero second unit: "2h0m" is "2h".
func trimZero(s string) string {
	if strings.HasSuffix(s, "h0m") || strings.HasSuffix(s, "d0h") {
		return s[:len(s)-2]
	}
	return s
}
