// Package cookiesession keeps a web application's sessions in encrypted
// cookies, so that the server keeps nothing: any instance that has the keys
// serves any request, with no session store.
//
// A [Manager] seals a session value of a Go type of your choosing with
// XAES-256-GCM into a cookie, and [Manager.Handler] is the middleware that
// opens it when a handler asks for it with [Manager.Get] and writes it back
// by itself when it changed.
//
// # Quick start
//
//	keys, err := cookiesession.ParseKeyring(os.Getenv("COOKIESESSION_KEYS"))
//	if err != nil {
//		log.Fatal(err) // says which key is wrong and why, never the key
//	}
//	type Data struct {
//		UserID int64 `json:"uid"`
//		Visits int   `json:"visits"`
//	}
//	sessions, err := cookiesession.New[Data](keys)
//	if err != nil {
//		log.Fatal(err)
//	}
//	mux := http.NewServeMux()
//	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
//		s := sessions.Get(r)
//		s.Update(func(d *Data) { d.Visits++ })
//		fmt.Fprintf(w, "visit %d\n", s.Value().Visits)
//	})
//	log.Fatal(http.ListenAndServe(":8080", sessions.Handler(mux)))
//
// Make a key with [GenerateKeyString] (or `openssl rand -base64 32`).
//
// # Sessions
//
// A [Session] holds the value, a random 128-bit session ID, the time the
// session started, the time it was last sealed and its absolute deadline.
// Change the value with [Session.Set] or [Session.Update]. Call
// [Session.Renew] after a login or any change of privilege: it draws a new
// session ID and starts a new lifetime. [Session.Destroy] logs out: the
// response deletes the cookie. [Session.AddFlash] and [Session.Flashes]
// carry messages to the next request.
//
// The value is encoded with encoding/json by default ([JSONCodec]); any
// [Codec] can replace it. There is no gob and no type registration: no
// type names travel on the wire, and the only types that decode are those
// of T. Unknown JSON fields are ignored, so that a field removed from T does
// not end the sessions that carry it.
//
// # The middleware
//
// [Manager.Handler] wraps a handler. The session is opened on the first
// call of [Manager.Get]: a request that never asks for it pays no
// cryptography. The Set-Cookie line is added at the first WriteHeader
// (not a 1xx one), Write, ReadFrom, Flush or Hijack, or when the handler
// returns having written nothing; the body is never buffered, and
// [http.ResponseController] works through the wrapper.
//
// A cookie is written only when it must be: the value's encoding differs
// from what was opened, the session was renewed or destroyed or its flash
// messages or lifetime changed, it was opened under a key other than the
// primary, or its idle clock is due to move (at most once per refresh
// interval, max(1 minute, idle/10) capped at idle/2). Responses that carry
// the cookie get "Vary: Cookie" and a private Cache-Control, so that no
// shared cache hands one user's cookie to another.
//
// A change made after the response headers went out cannot reach the
// client: it is reported as [ErrCommitted] to the logger and to the error
// handler, never dropped in silence. So is a session too large for a
// cookie ([ErrTooLarge]): nothing is written, and the browser keeps the
// cookie it had.
//
// Code that cannot use the middleware calls [Manager.Load] and
// [Manager.Save].
//
// # Bearer tokens
//
// With [WithBearerTokens], [Manager.Token] seals a session into a token for
// API clients, and a request with "Authorization: Bearer TOKEN" gets its
// session from the token. A token is the same envelope as a cookie, bound
// to another purpose, so that neither can stand for the other. Tokens are
// never written back; a token expires at the idle timeout after it was
// issued, or at its session's absolute deadline.
//
// # Expiry
//
// Two clocks end a session, both enforced by the server from the sealed
// header, never from the cookie's own Max-Age: the idle timeout
// ([DefaultIdleTimeout], 30 minutes) since the last seal, and the absolute
// lifetime ([DefaultLifetime], 12 hours) since the session started,
// whatever its activity. [WithRememberMe] allows longer lifetimes per
// session, up to a cap. A value sealed up to [DefaultClockSkew] in the
// future, by a server whose clock runs ahead, is accepted; the skew never
// extends a deadline. Lowering the lifetime in the configuration shortens
// sessions already issued.
//
// # Keys and rotation
//
// A [Keyring] is an ordered list of at most [MaxKeys] keys: the first, the
// primary, seals; every key opens what it sealed. Each value names its key
// by a 4-byte key ID derived from the key with HKDF, so no key is ever
// tried in turn, and a value under an unknown key is refused before any
// decryption. A cookie opened under a key other than the primary is
// sealed again under the primary on the same response, with its creation
// time and deadline unchanged.
//
// To rotate keys on a fleet without logging anyone out:
//
//  1. Deploy "old,new" everywhere: new opens, old still seals.
//  2. Deploy "new,old" everywhere: new seals; cookies under old are sealed
//     again under new as their users come back.
//  3. After one idle timeout (or the remember-me idle timeout, if used),
//     deploy "new". Sessions idle for longer have expired anyway.
//
// While step 2 rolls out, instances disagree on the primary key, and each
// seals cookies again under its own: a cookie may flip between the two
// keys, with a Set-Cookie on every request, until the rollout ends.
// That is harmless; but start step 3 only once step 2 is done everywhere.
// Where every instance switches at once (one process, or a deploy that
// restarts all together), step 1 can be skipped. Step 1 matters in a
// rolling deploy: an instance that does not yet know a key cannot open what
// another instance sealed under it. [Manager.SetKeys] swaps the ring of a
// running server atomically, and [WatchKeyFile] applies a key file that a
// secret manager rewrites, with no restart.
//
// Keys are at least [MinKeySize] random bytes. A short, empty, all-same or
// undecodable key, two copies of one key, or more than [MaxKeys] keys
// fail at start-up with an error that names the position of the bad key
// and never shows key material. Keys print as their key IDs only.
//
// # Size: compression and chunks
//
// A cookie holds at most [MaxCookieSize] bytes of name and value: about
// 2.9 KB of encoded session after the envelope and base64. A larger
// session is an [ErrTooLarge] error at seal time, never a cookie the
// browser drops. Two options raise the limit, both off by default:
// [WithCompression] compresses values with DEFLATE (at the cost of a
// length leak, explained there), and [WithChunking] spreads a session over
// several cookies within a budget for the Cookie header.
//
// # Revocation
//
// A stateless session cannot be ended before it expires without some
// state. Three mechanisms, from free to one lookup per request:
// [WithNotBefore] refuses every session created before a time (log
// everyone out without a change of keys); [WithValidator] checks each
// session against the application's own data (a per-user "sessions valid
// after" date); [WithRevocation] checks a [RevocationList] shared by every
// instance, to which [Manager.Revoke] (at logout) and
// [Manager.RevokeSubject] ("sign out everywhere") add. A refused session is
// [ErrRevoked]. A list that fails refuses sessions unless
// [WithInsecureRevocationFailOpen] says otherwise. [MemoryRevocationList]
// serves one instance; the module redisrevoke shares one on Redis.
//
// # Migrating from gorilla/sessions
//
// [WithGorillaMigration] reads the cookies of a gorilla/sessions
// CookieStore with its keys, converts them to T, and replaces them with
// this package's cookie on the same response. Deploy it, wait for the
// legacy MaxAge (30 days by default), and remove it.
//
// # Inspecting a value
//
// [Inspect] reads a cookie's or token's clear header without any key: its
// format version, key ID, creation, last seal and deadline.
//
// # Security model
//
// What the cookie protects: its contents are confidential and tamper-proof
// (XAES-256-GCM under keys the client never sees); its times, in the clear
// so that tools can read them, are authenticated; a value is bound to its
// cookie name or token purpose, so that it opens nowhere else; every value
// expires on the server's clocks. Failures to open are indistinguishable
// from outside: the request simply has no session.
//
// What it cannot do:
//   - A stolen cookie is a valid session until it expires, on any server.
//     Keep the lifetime and the idle timeout short, serve over TLS only
//     (the cookie is Secure and HttpOnly by default), and use [Session.Renew]
//     at login.
//   - Logging out deletes the cookie in the browser, but a copy taken before
//     stays valid until it expires, unless revocation is configured (see
//     Revocation): without server-side state there is nothing to revoke it
//     against. Rotating all keys ends every session.
//   - Concurrent requests of one user each write their own cookie: the last
//     response wins, and changes made by the others are lost.
//   - A cookie holds at most [MaxCookieSize] bytes of name and value, about
//     2.9 KB of encoded session after the envelope and base64. Keep
//     identifiers in the session, not documents.
//   - The length of a cookie shows the length of its session.
//   - SameSite=Lax is not a complete defence against cross-site request
//     forgery: protect state-changing requests with
//     [http.CrossOriginProtection] or tokens.
//
// # Compatibility
//
// The wire format is documented in FORMAT.md beside this file, with test
// vectors. A change of format gets a new version byte; values of the
// versions this package has written remain readable for at least one
// major version of the module.
package cookiesession
