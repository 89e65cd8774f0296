//go:build !linux

package hugepage

import "errors"

// Advise does nothing where transparent huge pages are not wired in
// (every OS but Linux).
func Advise() Report {
	return Report{Err: errors.ErrUnsupported}
}
