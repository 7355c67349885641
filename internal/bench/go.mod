module github.com/statelessgo/sessions/internal/bench

go 1.25.0

require github.com/statelessgo/sessions v0.0.0

require (
	github.com/alexedwards/scs/v2 v2.8.0 // indirect
	github.com/gorilla/securecookie v1.1.2 // indirect
	github.com/gorilla/sessions v1.4.0 // indirect
)

replace github.com/statelessgo/sessions => ../..
