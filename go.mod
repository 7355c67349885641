module github.com/statelessgo/sessions

go 1.25.0

require golang.org/x/crypto v0.55.0

require github.com/gorilla/securecookie v1.1.2
