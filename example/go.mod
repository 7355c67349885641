module github.com/statelessgo/sessions/example

go 1.25.0

require (
	github.com/statelessgo/sessions v0.0.0
	golang.org/x/crypto v0.55.0
)

require github.com/gorilla/securecookie v1.1.2 // indirect

replace github.com/statelessgo/sessions => ..
