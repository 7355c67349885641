module github.com/statelessgo/sessions/internal/bench

go 1.25.0

require (
	github.com/alexedwards/scs/v2 v2.8.0
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875
	github.com/gorilla/securecookie v1.1.2
	github.com/gorilla/sessions v1.4.0
	github.com/statelessgo/sessions v0.0.0
)

require golang.org/x/crypto v0.55.0 // indirect

replace github.com/statelessgo/sessions => ../..
