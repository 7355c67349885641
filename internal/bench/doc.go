// Package bench compares cookiesession with the libraries its users would
// otherwise pick: gorilla/securecookie, gorilla/sessions' CookieStore and
// scs with its memory store. It is a module of its own, so that the
// library's users never download the peers.
//
// Every library carries the same sessions, [Small] (about 220 bytes of
// JSON) and [Large] (with a cart, about 2.6 KB):
//
//   - BenchmarkCodec: one seal and one open, without HTTP, against a floor
//     of json.Marshal, AES-256-GCM and one base64 pass, and back;
//   - BenchmarkCodecNoJSON: the same with bytes in and bytes out, to show
//     the cost of the framing alone;
//   - BenchmarkRequest: a request with a valid session cookie, through each
//     library's middleware or idiomatic use, that reads the user ID and
//     writes the last-seen time;
//   - TestCookieSizes: the cookie on the wire for each library, and the
//     largest session that fits one cookie (run it with -v).
//
// The tests check that every variant does the work it is measured for.
// BENCHMARKS.md, at the root of the repository, has the command, the
// results and what they mean. Besides the wall-clock time, the benchmarks
// report the process's CPU time per operation (cpu-ns/op), which other
// processes on a shared machine disturb less.
//
// The command cmd/gorillaapi serves the example server's GET /api/data on
// gorilla/sessions, for a load test against the example.
package bench
