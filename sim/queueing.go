package sim

import "math"

// Queueing-theory references the baseline ACD is validated against.

// ErlangC returns, for an M/M/c queue with arrival rate lambda and service
// rate mu per server (same time unit), the probability that an arrival
// waits, the mean wait over all arrivals (in that time unit), and the
// service level P(wait ≤ t). It returns NaNs when the queue is unstable.
func ErlangC(c int, lambda, mu, t float64) (pWait, meanWait, serviceLevel float64) {
	a := lambda / mu
	if a >= float64(c) {
		return math.NaN(), math.NaN(), math.NaN()
	}
	// Erlang B by the stable recurrence, then C from B.
	b := 1.0
	for k := 1; k <= c; k++ {
		b = a * b / (float64(k) + a*b)
	}
	rho := a / float64(c)
	pWait = b / (1 - rho*(1-b))
	rate := float64(c)*mu - lambda
	return pWait, pWait / rate, 1 - pWait*math.Exp(-rate*t)
}

// ErlangA solves the M/M/c+M queue (exponential patience with rate theta)
// as a birth–death chain truncated where its probabilities vanish. It
// returns the probability that an arrival waits, the probability that it
// abandons, the mean wait over all arrivals (to service or abandonment),
// and server utilization.
func ErlangA(c int, lambda, mu, theta float64) (pWait, pAbandon, meanWait, utilization float64) {
	// Unnormalised stationary probabilities p[n] of n in system.
	p := []float64{1}
	sum := 1.0
	for n := 1; n < 100000; n++ {
		death := float64(min(n, c))*mu + float64(max(0, n-c))*theta
		next := p[n-1] * lambda / death
		p = append(p, next)
		sum += next
		if n > c && next < 1e-16*sum {
			break
		}
	}
	var wait, queue, busy float64
	for n, q := range p {
		q /= sum
		if n >= c {
			wait += q
			queue += float64(n-c) * q
		}
		busy += float64(min(n, c)) * q
	}
	pAbandon = theta * queue / lambda
	meanWait = queue / lambda // Little's law on the queue
	return wait, pAbandon, meanWait, busy / float64(c)
}
