package sim

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
)

// processCPU is the user+system CPU time of the whole process, every
// thread (GC workers included): what /usr/bin/time reports for a command.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

// resetPeakRSS sets the process's peak resident set (VmHWM) back to its
// current one (Linux: "5" into /proc/self/clear_refs), so that peakRSS
// measures what follows and not what an earlier benchmark used.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS is the process's peak resident set in bytes since it started or
// since the last resetPeakRSS (VmHWM of /proc/self/status).
func peakRSS() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			kb, err := strconv.ParseUint(string(bytes.TrimSuffix(bytes.TrimSpace(v), []byte(" kB"))), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
