// Package prefetch asks the CPU to start loading memory into its caches
// without waiting for it: a caller that knows which records a coming
// event will read (the simulator knows its next event) issues the loads
// early, so that at org scale, where the records miss the L2 cache, they
// overlap other work instead of stalling the event. It reads nothing the
// program sees and changes nothing.
package prefetch
