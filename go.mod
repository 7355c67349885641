module github.com/statelessgo/sessions

go 1.25.0
