package sim

import "time"

// refocusStream separates the refocus draw's generator from any other use
// of an arrival's refocus seed.
const refocusStream = 0x7265666f637573 // "refocus"

// interruptCost books what an accepted delivery costs the expert, the same
// in every arm whatever routed it: the refocus time of the presence they
// showed when it alerted (taken after the conversation and after-call
// work), and, when they were in a calendar meeting, the part of the
// meeting the conversation and its after-call work overlap.
func (w *world) interruptCost(x *expertState, e *escState, now time.Duration) {
	if d := w.pt.info[e.alertPres].Refocus; d.Kind != "" {
		// The generator is seeded per escalation from the shared
		// schedule: the same draw in every arm for the same presence.
		w.refocusSrc.Seed(e.a.refocus, refocusStream)
		x.refocusDue = d.Sample(w.refocusRand)
		if e.counted {
			w.refocusTotal += x.refocusDue
		}
	}
	if x.blk >= 0 && e.counted {
		if b := w.sch.blocks[x.i][x.blk]; b.calendar {
			w.meetingLost += max(0, min(b.end, now+e.a.handle+e.a.acw)-now)
		}
	}
}

// minutesPerExpert is d in minutes per expert of the world.
func (w *world) minutesPerExpert(d time.Duration) float64 {
	return d.Minutes() / float64(max(1, w.expertDays()))
}
