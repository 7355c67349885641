package cookiesession

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Defaults and bounds of the configuration. Durations are whole seconds on
// the wire.
const (
	DefaultIdleTimeout = 30 * time.Minute
	DefaultLifetime    = 12 * time.Hour
	DefaultClockSkew   = 60 * time.Second

	// MaxLifetime bounds [WithLifetime]. Longer sessions are per-session
	// ("remember me"): see [WithRememberMe].
	MaxLifetime = 30 * 24 * time.Hour
	// MaxRememberMe bounds [WithRememberMe]: browsers cap a cookie's
	// lifetime at 400 days.
	MaxRememberMe = 400 * 24 * time.Hour
	// MaxClockSkew bounds [WithClockSkew].
	MaxClockSkew = 5 * time.Minute

	// MaxCookieSize bounds a cookie's name and value together, in bytes.
	// Browsers drop a cookie whose name and value pass 4096 bytes without a
	// word; 4000 leaves room for the smallest limit reported. A larger
	// session is an error at seal time, and a larger value on a request is
	// refused before it is decoded.
	MaxCookieSize = 4000
)

// An Option configures a [Manager]. Options are applied in order by [New],
// which then validates the whole configuration.
type Option func(*config)

type config struct {
	name     string
	path     string
	domain   string
	sameSite http.SameSite
	insecure bool

	idle         time.Duration
	lifetime     time.Duration
	rememberMax  time.Duration
	rememberIdle time.Duration
	skew         time.Duration

	codec       Codec
	compress    bool
	maxChunks   int
	chunkBudget int

	logger  *slog.Logger
	onError func(*http.Request, error)
	now     func() time.Time
	bearer  bool
	random  io.Reader // crypto/rand.Reader; tests set another
	legacy  any       // a GorillaMigration[T], checked by New

	notBefore  time.Time
	validator  any // a func(context.Context, SessionInfo, T) error, checked by New
	revocation RevocationList
	subject    any // a func(T) string, checked by New
	failOpen   bool
}

func defaultConfig() config {
	return config{
		path:     "/",
		sameSite: http.SameSiteLaxMode,
		idle:     DefaultIdleTimeout,
		lifetime: DefaultLifetime,
		skew:     DefaultClockSkew,
		codec:    JSONCodec{},
		now:      time.Now,
		random:   rand.Reader,
	}
}

// WithCookieName sets the cookie's name. The default is "__Host-session",
// or "__Secure-session" with [WithDomain], or "session" with
// [WithInsecureCookie]. A name with the __Host- prefix requires the
// defaults of Secure, Path=/ and no Domain; one with __Secure- requires
// Secure. The name is bound into every value: renaming the cookie ends
// every session.
func WithCookieName(name string) Option { return func(c *config) { c.name = name } }

// WithPath sets the cookie's Path attribute. The default is "/".
func WithPath(path string) Option { return func(c *config) { c.path = path } }

// WithDomain sets the cookie's Domain attribute, which shares the cookie
// with subdomains. The default is none: the cookie goes to this host only.
func WithDomain(domain string) Option { return func(c *config) { c.domain = domain } }

// WithSameSite sets the cookie's SameSite attribute: [http.SameSiteLaxMode]
// (the default), [http.SameSiteStrictMode] or [http.SameSiteNoneMode]. Lax
// keeps the cookie off cross-site subrequests and form posts, which is a
// defence against CSRF but not a complete one: also use
// [http.CrossOriginProtection] or tokens.
func WithSameSite(mode http.SameSite) Option { return func(c *config) { c.sameSite = mode } }

// WithInsecureCookie drops the Secure attribute, for development over plain
// http on a host that browsers do not treat as secure. Chromium and Firefox
// keep Secure cookies from http://localhost and http://127.0.0.1, so this is
// rarely needed. Never use it in production: without Secure, anyone on the
// network path of one plain-http request can steal the session.
func WithInsecureCookie() Option { return func(c *config) { c.insecure = true } }

// WithIdleTimeout sets how long a session lives without a request, from 1
// second to the absolute lifetime. The default is [DefaultIdleTimeout].
// The idle clock is the time of the last seal; the middleware re-seals an
// active session at most once per refresh interval, max(1 minute,
// timeout/10) capped at timeout/2, so a user whose requests come more often
// than half the timeout is never timed out.
func WithIdleTimeout(d time.Duration) Option { return func(c *config) { c.idle = d } }

// WithLifetime sets the absolute lifetime of a session, from its creation,
// whatever its activity: from 1 minute to [MaxLifetime]. The default is
// [DefaultLifetime]. Lowering it shortens sessions already issued.
func WithLifetime(d time.Duration) Option { return func(c *config) { c.lifetime = d } }

// WithRememberMe lets [Session.SetLifetime] give a session a lifetime longer
// than the default, up to max (at most [MaxRememberMe]). Such a session has
// its own idle timeout, idle, which may be as long as max. Lowering max
// shortens sessions already issued.
func WithRememberMe(max, idle time.Duration) Option {
	return func(c *config) { c.rememberMax, c.rememberIdle = max, idle }
}

// WithClockSkew sets how far in the future a value's creation and seal times
// may be, to allow for servers whose clocks run ahead: from 0 to
// [MaxClockSkew]. The default is [DefaultClockSkew]. Skew never extends an
// expiry.
func WithClockSkew(d time.Duration) Option { return func(c *config) { c.skew = d } }

// WithCodec sets the codec that turns the session value into bytes. The
// default is [JSONCodec].
func WithCodec(codec Codec) Option { return func(c *config) { c.codec = codec } }

// WithCompression compresses session values of 200 bytes or more with
// DEFLATE before sealing, when that makes them smaller. Reading accepts
// compressed values whether or not this option is on, up to
// [MaxDecompressedSize] once decompressed, so that it can be turned off
// without ending sessions.
//
// Compression is off by default because the length of a compressed
// session says something about its contents: if an attacker can put
// chosen data into a session beside a secret and watch the length of the
// cookie (on the network, say), the length changes when the chosen data
// matches part of the secret, as in the CRIME attack on TLS. Do not turn
// it on for sessions that mix secrets with data an attacker controls.
func WithCompression() Option { return func(c *config) { c.compress = true } }

// WithLogger sets a logger. Refused values are logged at debug level with
// the reason and key ID; changes that could not be saved at error level.
// Keys, cookie values and session contents are never logged. The default is
// no logging.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithErrorHandler sets a function called for every refused value and every
// change that could not be saved, with the request (nil outside a request)
// and an error that matches one of the package's sentinel errors. It is
// called synchronously, possibly from several goroutines at once; it must
// not write to the response.
func WithErrorHandler(f func(r *http.Request, err error)) Option {
	return func(c *config) { c.onError = f }
}

// WithClock sets the clock, for tests. The default is [time.Now].
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithBearerTokens enables bearer tokens: [Manager.Token] issues them, and
// a request with an "Authorization: Bearer" header gets its session from
// the token instead of the cookie. Tokens are sealed like cookies, bound to
// the purpose "token:" + the cookie name, so that a token is not a cookie
// and a cookie is not a token. They are never written back: see
// [ErrReadOnly].
func WithBearerTokens() Option { return func(c *config) { c.bearer = true } }

// validate fills in the derived defaults and checks the whole
// configuration.
func (c *config) validate() error {
	if c.name == "" {
		c.name = defaultName(c)
	}
	checks := []func() string{c.checkName, c.checkAttributes, c.checkTimes, c.checkChunking,
		c.checkHooks}
	var problems []string
	for _, check := range checks {
		if p := check(); p != "" {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return errors.New("cookiesession: " + strings.Join(problems, "; "))
	}
	return nil
}

func defaultName(c *config) string {
	switch {
	case c.insecure:
		return "session"
	case c.domain != "":
		return "__Secure-session"
	}
	return "__Host-session"
}

func (c *config) checkName() string {
	if !isToken(c.name) {
		return fmt.Sprintf("cookie name %q is not a valid cookie name", c.name)
	}
	if len(tokenName(c.name)) > maxNameLen {
		return fmt.Sprintf("cookie name is %d bytes; at most %d", len(c.name),
			maxNameLen-len(tokenName("")))
	}
	switch {
	case strings.HasPrefix(c.name, "__Host-") && (c.insecure || c.domain != "" || c.path != "/"):
		return "a __Host- cookie needs Secure, Path=/ and no Domain; browsers drop it otherwise"
	case strings.HasPrefix(c.name, "__Secure-") && c.insecure:
		return "a __Secure- cookie needs Secure; browsers drop it otherwise"
	}
	return ""
}

func (c *config) checkAttributes() string {
	switch {
	case !strings.HasPrefix(c.path, "/") || len(c.path) > 1024 || !isAttributeValue(c.path):
		return fmt.Sprintf("path %q must start with / and hold at most 1024 printable "+
			"characters other than ;", c.path)
	case len(c.domain) > 1024 || !isDomain(c.domain):
		return fmt.Sprintf("domain %q is not a host name", c.domain)
	case c.sameSite != http.SameSiteLaxMode && c.sameSite != http.SameSiteStrictMode &&
		c.sameSite != http.SameSiteNoneMode:
		return "SameSite must be Lax, Strict or None"
	case c.sameSite == http.SameSiteNoneMode && c.insecure:
		return "SameSite=None needs Secure; browsers drop it otherwise"
	}
	return ""
}

func (c *config) checkTimes() string {
	switch {
	case c.lifetime < time.Minute || c.lifetime > MaxLifetime:
		return fmt.Sprintf("lifetime %v is outside [1m, %v]; longer sessions need WithRememberMe",
			c.lifetime, MaxLifetime)
	case c.idle < time.Second || c.idle > c.lifetime:
		return fmt.Sprintf("idle timeout %v is outside [1s, lifetime %v]", c.idle, c.lifetime)
	case c.skew < 0 || c.skew > MaxClockSkew:
		return fmt.Sprintf("clock skew %v is outside [0, %v]", c.skew, MaxClockSkew)
	case c.rememberMax == 0 && c.rememberIdle == 0:
		return ""
	case c.rememberMax < c.lifetime || c.rememberMax > MaxRememberMe:
		return fmt.Sprintf("remember-me lifetime %v is outside [lifetime %v, %v]",
			c.rememberMax, c.lifetime, MaxRememberMe)
	case c.rememberIdle < time.Second || c.rememberIdle > c.rememberMax:
		return fmt.Sprintf("remember-me idle timeout %v is outside [1s, %v]",
			c.rememberIdle, c.rememberMax)
	}
	return ""
}

func (c *config) checkHooks() string {
	switch {
	case c.codec == nil:
		return "codec is nil"
	case c.now == nil:
		return "clock is nil"
	case c.random == nil:
		return "random source is nil"
	}
	return ""
}

// isToken reports whether s is a non-empty RFC 9110 token, the grammar of
// cookie names.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// isAttributeValue reports whether s may stand as a cookie attribute value:
// printable ASCII without ';'.
func isAttributeValue(s string) bool {
	for i := range len(s) {
		if c := s[i]; c < ' ' || c >= 0x7f || c == ';' {
			return false
		}
	}
	return true
}

// isDomain reports whether s is empty or a plausible host name: labels of
// letters, digits and hyphens separated by dots, with an optional leading
// dot.
func isDomain(s string) bool {
	if s == "" {
		return true
	}
	s = strings.TrimPrefix(s, ".")
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := range len(label) {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
