package redisrevoke_test

import (
	"log"
	"net/http"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/statelessgo/sessions/cookiesession"
	"github.com/statelessgo/sessions/redisrevoke"
)

// This example shares a revocation list between the instances of an
// application: a logout on one refuses every copy of the session's cookie
// on all of them, and "sign out everywhere" ends every session of a user.
// It needs a Redis, so it is compiled but not run.
func Example() {
	type Data struct {
		UserID int64 `json:"uid"`
	}
	keys, err := cookiesession.ParseKeyring("...") // COOKIESESSION_KEYS
	if err != nil {
		log.Fatal(err)
	}
	client := redis.NewClient(&redis.Options{Addr: "redis:6379"})
	list, err := redisrevoke.New(client, redisrevoke.WithPrefix("shop:revoked:"))
	if err != nil {
		log.Fatal(err)
	}
	sessions, err := cookiesession.New[Data](keys,
		cookiesession.WithRevocation(list, func(d Data) string {
			return strconv.FormatInt(d.UserID, 10)
		}))
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		s := sessions.Get(r)
		if err := sessions.Revoke(r.Context(), s); err != nil {
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		s.Destroy()
	})
	mux.HandleFunc("POST /sign-out-everywhere", func(w http.ResponseWriter, r *http.Request) {
		s := sessions.Get(r)
		if s.IsNew() {
			http.Error(w, "not logged in", http.StatusUnauthorized)
			return
		}
		user := strconv.FormatInt(s.Value().UserID, 10)
		if err := sessions.RevokeSubject(r.Context(), user, time.Now()); err != nil {
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		s.Renew() // this session starts now, and survives
	})
	log.Fatal(http.ListenAndServe(":8080", sessions.Handler(mux)))
}
