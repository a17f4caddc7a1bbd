//go:build !unix

package sqlite_test

import "time"

// processCPU is not measured here: the benchmarks report 0 CPU per operation.
func processCPU() time.Duration { return 0 }
