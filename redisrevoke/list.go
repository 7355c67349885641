package redisrevoke

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/statelessgo/sessions/cookiesession"
)

// Defaults of the options.
const (
	// DefaultPrefix starts every key of a List without [WithPrefix].
	DefaultPrefix = "cookiesession:revoked:"

	// DefaultTimeout bounds each call to Redis without [WithTimeout].
	DefaultTimeout = 100 * time.Millisecond

	// DefaultClockMargin is how long entries outlive their need without
	// [WithClockMargin]: as long as the clock skew cookiesession allows by
	// default.
	DefaultClockMargin = cookiesession.DefaultClockSkew
)

// List is a [cookiesession.RevocationList] on Redis, shared by every
// instance of an application that uses the same Redis and prefix.
//
// Each method costs one round trip, bounded by the list's timeout: the
// check of every request that opens a session, [List.Revoked], reads the
// session's entry and its subject's in one pipeline. When Redis is down or
// too slow, the methods return an error; the Manager then refuses the
// session, or accepts it with cookiesession.WithInsecureRevocationFailOpen.
// Redis holds one key per revoked session and one per subject signed out
// everywhere, each expiring by itself once no session it refuses can be
// alive. A List is safe for concurrent use. Build one with [New].
type List struct {
	client  redis.UniversalClient
	prefix  string
	timeout time.Duration
	margin  time.Duration
	direct  bool // the client ends commands at their context's deadline
}

// An Option configures a [List].
type Option func(*List)

// WithPrefix sets the string that starts every key of the list, so that
// applications sharing a Redis keep apart: lists with different prefixes
// see nothing of each other. The default is [DefaultPrefix].
func WithPrefix(prefix string) Option { return func(l *List) { l.prefix = prefix } }

// WithTimeout bounds each call to Redis, on top of the caller's context:
// a call that takes longer returns an error matching
// context.DeadlineExceeded, so that a slow or hung Redis cannot stall a
// request for longer. It must be positive; the default is
// [DefaultTimeout].
func WithTimeout(d time.Duration) Option { return func(l *List) { l.timeout = d } }

// WithClockMargin keeps every entry this much longer than the session it
// revokes could live, so that an application server whose clock runs
// behind Redis's does not accept a revoked session in its last moments.
// It may be zero; the default is [DefaultClockMargin].
func WithClockMargin(d time.Duration) Option { return func(l *List) { l.margin = d } }

// New returns a list on client, which may be any go-redis client: a single
// server, a Sentinel failover client or a cluster. The list does not own
// the client and never closes it. New refuses a nil client, a timeout that
// is not positive and a negative clock margin.
//
// Build a single-server or Sentinel client with ContextTimeoutEnabled set:
// go-redis then ends a call at the list's timeout by itself, and the list
// calls it directly. Otherwise go-redis would wait for its own read
// timeout (5 seconds by default), so the list runs each call on a
// goroutine of its own and gives up on it at the timeout, which costs a
// few allocations and, on a busy machine, a second wake-up per call.
func New(client redis.UniversalClient, opts ...Option) (*List, error) {
	l := &List{client: client, prefix: DefaultPrefix, timeout: DefaultTimeout,
		margin: DefaultClockMargin}
	for _, opt := range opts {
		opt(l)
	}

	var errs []error
	if client == nil {
		errs = append(errs, errors.New("redisrevoke: nil client"))
	}
	if l.timeout <= 0 {
		errs = append(errs, fmt.Errorf("redisrevoke: timeout %v, want more than 0", l.timeout))
	}
	if l.margin < 0 {
		errs = append(errs, fmt.Errorf("redisrevoke: clock margin %v, want 0 or more", l.margin))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	l.direct = honoursDeadlines(client)
	return l, nil
}

// honoursDeadlines reports whether client ends a command at its context's
// deadline, on the network too: a single-server or Sentinel client built
// with ContextTimeoutEnabled. Cluster and ring clients are not trusted
// with it: they have more paths (slot discovery, shard health) to hang on.
func honoursDeadlines(client redis.UniversalClient) bool {
	c, ok := client.(*redis.Client)
	return ok && c.Options().ContextTimeoutEnabled
}

// Revoke records the session ID id as revoked until until, the session's
// absolute deadline, plus the clock margin; Redis then deletes the entry.
// It implements [cookiesession.RevocationList].
func (l *List) Revoke(ctx context.Context, id string, until time.Time) error {
	if !validID(id) {
		return errMalformedID
	}
	key, at := l.idKey(id), l.expireAt(until)
	err := l.call(ctx, func(ctx context.Context) error {
		return l.client.SetArgs(ctx, key, "1", redis.SetArgs{ExpireAt: at}).Err()
	})
	return wrap("revoke", err)
}

// subjectScript raises a subject's not-before time and expiry to at least
// the given ones, atomically, so that instances revoking the same subject
// at once cannot move either back. The value is "NOT-BEFORE EXPIRY", both
// in unix seconds. KEYS[1] is the subject's key; ARGV[1] the not-before
// time, ARGV[2] the expiry.
var subjectScript = redis.NewScript(`
local before, at = tonumber(ARGV[1]), tonumber(ARGV[2])
local old = redis.call('GET', KEYS[1])
if old then
	local b, a = string.match(old, '^(%d+) (%d+)$')
	if b then
		before = math.max(before, tonumber(b))
		at = math.max(at, tonumber(a))
	end
end
redis.call('SET', KEYS[1], string.format('%.0f %.0f', before, at), 'EXAT', at)
return before
`)

// RevokeSubject refuses every session of subject created before before
// (in whole seconds), until until plus the clock margin. The not-before
// time only moves forward and the expiry is never shortened, whatever the
// order in which instances call it. It implements
// [cookiesession.RevocationList].
func (l *List) RevokeSubject(ctx context.Context, subject string, before, until time.Time) error {
	if subject == "" {
		return errors.New("redisrevoke: revoke subject: empty subject")
	}
	key := l.subjectKey(subject)
	args := []any{max(before.Unix(), 0), l.expireAt(until).Unix()}
	err := l.call(ctx, func(ctx context.Context) error {
		return subjectScript.Run(ctx, l.client, []string{key}, args...).Err()
	})
	return wrap("revoke subject", err)
}

// Revoked reports whether the session id, of subject, created at created,
// was revoked: its ID is on the list, or subject ("" for none) was signed
// out everywhere after created, in whole seconds. Both entries are read in
// one round trip. An absent entry is not an error; a failure of Redis or
// the timeout is. It implements [cookiesession.RevocationList].
func (l *List) Revoked(ctx context.Context, id, subject string, created time.Time) (bool, error) {
	if !validID(id) {
		return false, errMalformedID
	}
	keys := []string{l.idKey(id)}
	if subject != "" {
		keys = append(keys, l.subjectKey(subject))
	}
	var cmds []*redis.StringCmd
	err := l.call(ctx, func(ctx context.Context) error {
		var err error
		cmds, err = l.get(ctx, keys)
		return err
	})
	if err != nil {
		return false, wrap("revoked", err)
	}
	return decide(cmds, created)
}

// get reads keys in one pipeline. An absent key is not an error.
func (l *List) get(ctx context.Context, keys []string) ([]*redis.StringCmd, error) {
	pipe := l.client.Pipeline()
	cmds := make([]*redis.StringCmd, len(keys))
	for i, key := range keys {
		cmds[i] = pipe.Get(ctx, key)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	for _, cmd := range cmds {
		if err := cmd.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return nil, err
		}
	}
	return cmds, nil
}

// decide reads the entries of a session ID and, if asked for, of its
// subject.
func decide(cmds []*redis.StringCmd, created time.Time) (bool, error) {
	if cmds[0].Err() == nil {
		return true, nil
	}
	if len(cmds) < 2 || cmds[1].Err() != nil {
		return false, nil
	}
	field, _, _ := strings.Cut(cmds[1].Val(), " ")
	before, err := strconv.ParseInt(field, 10, 64)
	if err != nil {
		return false, errors.New("redisrevoke: revoked: malformed subject entry")
	}
	return created.Unix() < before, nil
}

// call runs fn with the list's timeout on top of ctx, and returns when fn
// does or when the time is up, whichever comes first. go-redis ignores a
// context's deadline on the network unless the client was built with
// ContextTimeoutEnabled; for other clients fn runs on its own goroutine,
// and a hung connection keeps that goroutine, and the connection it holds,
// until the client's own read timeout, never the request.
func (l *List) call(ctx context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	if l.direct {
		return deadlineError(ctx, fn(ctx))
	}
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()

	select {
	case err := <-done:
		return deadlineError(ctx, err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// deadlineError makes err, the failure of a call under ctx, match ctx's
// error once ctx is done or past its deadline: a client that honours
// contexts sets the deadline on its connection, and may time out on it
// an instant before ctx itself expires.
func deadlineError(ctx context.Context, err error) error {
	cause := ctx.Err()
	if deadline, ok := ctx.Deadline(); cause == nil && ok && !time.Now().Before(deadline) {
		cause = context.DeadlineExceeded
	}
	if err == nil || cause == nil || errors.Is(err, cause) {
		return err
	}
	return fmt.Errorf("%w: %w", cause, err)
}

// wrap prefixes a failure of the operation op.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("redisrevoke: %s: %w", op, err)
}

// expireAt returns when an entry needed until until may go: the next
// whole second at or after it, plus the clock margin. Redis refuses an
// expiry before 1970; one in the past deletes the entry at once.
func (l *List) expireAt(until time.Time) time.Time {
	at := until.Add(l.margin)
	if at.Nanosecond() != 0 {
		at = at.Truncate(time.Second).Add(time.Second)
	}
	return time.Unix(max(at.Unix(), 1), 0)
}

func (l *List) idKey(id string) string { return l.prefix + "id:" + id }

func (l *List) subjectKey(subject string) string {
	return l.prefix + "subject:" + base64.RawURLEncoding.EncodeToString([]byte(subject))
}

// idLen is the length of a session ID: 16 bytes in unpadded base64url.
const idLen = 22

var errMalformedID = errors.New("redisrevoke: malformed session ID")

// validID reports whether id is a session ID as cookiesession writes it,
// so that no other string reaches a key. The last character of 16 bytes
// in base64url holds 2 bits: it is one of A, Q, g and w.
func validID(id string) bool {
	if len(id) != idLen || !strings.ContainsRune("AQgw", rune(id[idLen-1])) {
		return false
	}
	for i := range len(id) {
		c := id[i]
		ok := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}
