//go:build race

package main

// raceEnabled: the test binary runs under the race detector, which makes
// a simulation several times slower.
const raceEnabled = true
