module github.com/statelessgo/sessions/example

go 1.25.0

require (
	github.com/gorilla/securecookie v1.1.2
	github.com/redis/go-redis/v9 v9.22.0
	github.com/statelessgo/sessions v0.0.0
	github.com/statelessgo/sessions/redisrevoke v0.0.0
	golang.org/x/crypto v0.55.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	go.uber.org/atomic v1.11.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
)

replace (
	github.com/statelessgo/sessions => ..
	github.com/statelessgo/sessions/redisrevoke => ../redisrevoke
)
