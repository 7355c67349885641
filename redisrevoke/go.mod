module github.com/statelessgo/sessions/redisrevoke

go 1.25.0

replace github.com/statelessgo/sessions => ..

require (
	github.com/redis/go-redis/v9 v9.22.0
	github.com/statelessgo/sessions v0.0.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/gorilla/securecookie v1.1.2 // indirect
	go.uber.org/atomic v1.11.0 // indirect
	golang.org/x/crypto v0.55.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
)
