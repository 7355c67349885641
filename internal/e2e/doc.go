// Package e2e holds the tests that drive the example server from outside:
// a real browser, a cluster behind nginx, load and faults.
package e2e
