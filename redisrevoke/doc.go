// Package redisrevoke keeps a cookiesession revocation list on Redis, so
// that every instance of an application sees the sessions revoked on any
// other: a logout on one server refuses the copies of that cookie on all of
// them, and "sign out everywhere" ends a user's sessions on the whole fleet.
//
// Give a [List] to cookiesession.WithRevocation:
//
//	client := redis.NewClient(&redis.Options{Addr: "redis:6379"})
//	list, err := redisrevoke.New(client)
//	if err != nil {
//		log.Fatal(err)
//	}
//	sessions, err := cookiesession.New[Data](keys,
//		cookiesession.WithRevocation(list, func(d Data) string {
//			return strconv.FormatInt(d.UserID, 10)
//		}))
//
// # Cost
//
// A request that opens a session costs one round trip to Redis: the
// session ID's entry and the subject's entry are read in one pipeline.
// Requests that never open their session cost nothing. Revoking costs one
// round trip at logout or at "sign out everywhere".
//
// # Memory
//
// Redis holds one key per revoked session until that session's absolute
// deadline (plus the clock margin, see [WithClockMargin]), and one key per
// subject signed out everywhere until the longest session it refuses would
// have expired. Every key carries its expiry: Redis deletes entries by
// itself once they are useless, and no clean-up job is needed. Sessions
// that were never revoked cost nothing.
//
// # When Redis fails
//
// Each call is bounded by a timeout ([WithTimeout], [DefaultTimeout]), so a
// slow or hung Redis delays a request by that much at most. A failed or
// timed-out check is an error, and the Manager decides: by default it
// refuses the session (fail closed), so during an outage every request is
// served as if logged out; with cookiesession.WithInsecureRevocationFailOpen
// it accepts the session and honours no revocation until Redis is back.
// Either way the failure goes to the Manager's error handler and logger
// (at error level when it fails open, at debug level, as any refused
// cookie, when it fails closed). The client reconnects by itself when
// Redis returns.
//
// # Keys
//
// Entries live under a prefix ([WithPrefix], [DefaultPrefix]), so that
// several applications can share a Redis:
//
//	PREFIX id:SESSION-ID       "1", expiring at the session's deadline
//	PREFIX subject:SUBJECT     "NOT-BEFORE EXPIRY", in unix seconds
//
// Both expiries include the clock margin. SESSION-ID is the session's ID
// as cookiesession writes it (unpadded base64url of 16 bytes); anything
// else is refused before it reaches Redis. SUBJECT is the subject in
// unpadded base64url, so that no subject can reach into another key. The
// two entries of one session may lie in different cluster slots, so they
// are read with a pipeline, which go-redis's cluster client splits by
// node, and not with MGET, which a cluster refuses across slots.
package redisrevoke
