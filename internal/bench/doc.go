// Package bench compares cookiesession with the libraries its users would
// otherwise pick. It is a module of its own, so that the library's users
// never download the peers.
package bench
