package webhook

import (
	"fmt"
	"strings"
	"time"
)

// Schedule is the retry policy as data: entry i is how long to wait after
// the (i+1)th failed attempt before the next one. A delivery is attempted
// at most len(Schedule)+1 times; after the last failure it is failed.
type Schedule []time.Duration

// DefaultSchedule follows Stripe's live mode: exponential backoff for up
// to three days (5 m, 30 m, 2 h, 5 h, 10 h, 20 h, 32 h, 47 h and 71 h after
// the first attempt), ten attempts in all.
var DefaultSchedule = Schedule{
	5 * time.Minute,
	25 * time.Minute,
	90 * time.Minute,
	3 * time.Hour,
	5 * time.Hour,
	10 * time.Hour,
	12 * time.Hour,
	15 * time.Hour,
	24 * time.Hour,
}

// Next returns the wait before the attempt that follows the failed
// attempt number n (1-based), and false when n was the last one allowed.
func (s Schedule) Next(n int) (time.Duration, bool) {
	if n < 1 || n > len(s) {
		return 0, false
	}
	return s[n-1], true
}

// Total is how long after its first attempt a delivery is given up.
func (s Schedule) Total() time.Duration {
	var t time.Duration
	for _, d := range s {
		t += d
	}
	return t
}

// String renders the schedule the way ParseSchedule reads it.
func (s Schedule) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}

// ParseSchedule reads comma-separated durations ("1s,2s,4s"); "none" or an
// empty string means no retries.
func ParseSchedule(v string) (Schedule, error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "none" {
		return Schedule{}, nil
	}
	var s Schedule
	for _, part := range strings.Split(v, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("retry schedule %q: %q is not a duration such as 30s or 5m", v, part)
		}
		if d <= 0 {
			return nil, fmt.Errorf("retry schedule %q: %s must be positive", v, part)
		}
		s = append(s, d)
	}
	return s, nil
}
