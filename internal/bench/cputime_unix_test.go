//go:build unix

package bench

import "syscall"

// processCPU returns the CPU time that the process has used, user and
// system, in nanoseconds: every thread's, the garbage collector's included.
func processCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
