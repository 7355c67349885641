//go:build !unix

package bench

// processCPU returns 0 where getrusage is missing: no CPU time is reported.
func processCPU() int64 { return 0 }
