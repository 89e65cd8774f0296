package strictyaml

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxFileSize is the largest YAML file ReadFile reads and Decode decodes.
// Policies, scenarios and configs are hand-edited files of a few kilobytes;
// the cap turns a wrong path (`policy: /dev/zero`, a log file) into a clear
// error instead of an out-of-memory crash.
const MaxFileSize = 4 << 20

// MaxListedErrors is how many problems Errors.Error prints; the rest are
// summarised as "… and N more errors", so a broken or hostile file cannot
// flood a terminal with hundreds of thousands of lines. Every problem stays
// in the Errors slice for callers that want them all.
const MaxListedErrors = 50

// ErrTooLarge marks a file over MaxFileSize (errors.Is).
var ErrTooLarge = errors.New("file too large")

// ReadFile reads a YAML file of at most MaxFileSize bytes. It never reads
// more than MaxFileSize+1 bytes, so an endless source (/dev/zero, a FIFO)
// fails fast. A larger file gives an error wrapping ErrTooLarge that names
// the file and the limit.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: %w: %s", path, ErrTooLarge, sizeProblem(fmt.Sprintf("more than %d", MaxFileSize)))
	}
	return data, nil
}

// sizeProblem explains the size cap; size says how big the file is.
func sizeProblem(size string) string {
	return fmt.Sprintf("%s bytes, over the %d MiB limit for a YAML file here: is it the right file?", size, MaxFileSize>>20)
}
