//go:build !race

package xaes

const raceEnabled = false
