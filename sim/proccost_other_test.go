//go:build !linux

package sim

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
func resetPeakRSS() bool                { return false }
func peakRSS() (uint64, bool)           { return 0, false }
