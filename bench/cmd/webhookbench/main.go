// Command webhookbench measures payd's webhook delivery from the outside,
// as a user's receiver sees it. It drives bench/webhooks.sh.
//
// It starts a receiver on 127.0.0.1 that answers 200 at once (after
// checking the Stripe-Signature with stripe-go's webhook.ValidatePayload
// unless --verify=false) and records, per delivered event, its arrival
// time and data.object.id; registers a webhook endpoint (url=the receiver,
// enabled_events[]=*) through POST /v1/webhook_endpoints; creates customers
// through POST /v1/customers; and matches every created customer to the
// customer.created event that arrives for it. The endpoint is deleted at
// the end.
//
//	webhookbench throughput --url http://127.0.0.1:4252 --key sk_test_bench --n 20000 --c 32
//	webhookbench latency    --url http://127.0.0.1:4252 --key sk_test_bench --rate 50 --duration 20s
//
// throughput creates N customers with C concurrent clients as fast as payd
// answers (or at --rate creates/s in all) and waits for every delivery. It
// reports the API's create rate, deliveries/s from the first delivery to
// the last, deliveries/s while the creates were running (the API keeping
// serving), the backlog when the creates ended, and how many arrived (all
// must, once each).
//
// latency first waits for an empty queue, then creates one customer at a
// time at --rate per second for --duration, and reports, per customer, the
// time from the create's 200 response to the arrival of its webhook
// (p50/p90/p99/max; also from the moment the request was sent).
//
// Both print a RESULT line (key=value) and a Markdown table row. With --pid
// (payd's process) they also report payd's share of one core, the rest of
// CPU 0 (other processes) and CPU 1's total over the measured window;
// --pg-pid adds PostgreSQL's share (the postmaster and its children).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"
)

func main() {
	if len(os.Args) < 2 || (os.Args[1] != "throughput" && os.Args[1] != "latency") {
		fmt.Fprintln(os.Stderr, "usage: webhookbench throughput|latency --url URL --key SK [flags]  (-h for the flags)")
		os.Exit(2)
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	o := opts{mode: mode}
	fs.StringVar(&o.base, "url", "http://127.0.0.1:4252", "payd base URL (loopback)")
	fs.StringVar(&o.key, "key", "sk_test_bench", "secret key")
	fs.StringVar(&o.label, "label", "", "first column of the Markdown row, e.g. the engine")
	fs.StringVar(&o.events, "events", "*", "enabled_events[] of the endpoint: * or customer.created")
	fs.BoolVar(&o.verify, "verify", true, "check every delivery's Stripe-Signature with stripe-go's webhook.ValidatePayload")
	fs.IntVar(&o.n, "n", 20000, "throughput: customers to create")
	fs.IntVar(&o.conc, "c", 32, "throughput: concurrent API clients")
	fs.Float64Var(&o.rate, "rate", 0, "creates per second in all (0: as fast as payd answers; latency mode default 50)")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "latency: how long to create customers")
	fs.IntVar(&o.warmup, "warmup", 20, "latency: customers created (one at a time) and delivered before measuring")
	fs.DurationVar(&o.drain, "drain-timeout", 5*time.Minute, "give up waiting for deliveries after this long without one arriving")
	fs.IntVar(&o.pid, "pid", 0, "payd's pid, to report its CPU use")
	fs.IntVar(&o.pgPid, "pg-pid", 0, "PostgreSQL postmaster's pid, to report its CPU use (it and its children)")
	fs.IntVar(&o.hz, "hz", 100, "clock ticks per second of /proc (getconf CLK_TCK)")
	fs.StringVar(&o.timeline, "timeline", "", "write creates and deliveries per 100 ms to this CSV file")
	fs.Parse(os.Args[2:])
	if mode == "latency" && o.rate == 0 {
		o.rate = 50
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "webhookbench:", err)
		os.Exit(1)
	}
}

type opts struct {
	mode, base, key, label, events, timeline string
	verify                                   bool
	n, conc, warmup, pid, pgPid, hz          int
	rate                                     float64
	duration, drain                          time.Duration
}

// receiver records what payd delivers.
type receiver struct {
	verify bool
	secret atomic.Value // string, set once the endpoint exists

	mu sync.Mutex
	// at is each delivered object's first arrival; arrivals every
	// arrival, in order.
	at       map[string]time.Time
	arrivals []time.Time
	dupes    int
	badSig   int
	badBody  int
	// want is the ids waitFor is waiting for, missing how many of them
	// have not arrived; done is signalled when the last one arrives.
	want    map[string]bool
	missing int
	done    chan struct{}
}

func newReceiver(verify bool) *receiver {
	r := &receiver{verify: verify, at: map[string]time.Time{}, done: make(chan struct{}, 1)}
	r.secret.Store("")
	return r
}

// delivered is the part of an Event the receiver reads.
type delivered struct {
	Type string `json:"type"`
	Data struct {
		Object struct {
			ID string `json:"id"`
		} `json:"object"`
	} `json:"data"`
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	now := time.Now()
	body, err := io.ReadAll(req.Body)
	var ev delivered
	if err == nil {
		err = json.Unmarshal(body, &ev)
	}
	sigOK := true
	if r.verify {
		sigOK = webhook.ValidatePayload(body, req.Header.Get("Stripe-Signature"), r.secret.Load().(string)) == nil
	}
	// Answer at once; a bad signature is counted, not refused, so that a
	// broken signer shows in the result instead of in retries.
	w.WriteHeader(http.StatusOK)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.arrivals = append(r.arrivals, now)
	if !sigOK {
		r.badSig++
	}
	if err != nil || ev.Data.Object.ID == "" {
		r.badBody++
		return
	}
	if _, seen := r.at[ev.Data.Object.ID]; seen {
		r.dupes++
		return
	}
	r.at[ev.Data.Object.ID] = now
	if r.want[ev.Data.Object.ID] {
		if r.missing--; r.missing == 0 {
			select {
			case r.done <- struct{}{}:
			default:
			}
		}
	}
}

// waitFor blocks until every id in ids has arrived, or until no delivery
// at all has arrived for timeout. It returns how many are still missing.
// The receiver counts the arrivals of ids itself (see ServeHTTP), so
// waiting costs nothing per delivery: the receiver must never be what
// limits the rate it measures.
func (r *receiver) waitFor(ids []string, timeout time.Duration) int {
	r.mu.Lock()
	r.want = make(map[string]bool, len(ids))
	r.missing = 0
	for _, id := range ids {
		if _, ok := r.at[id]; !ok && !r.want[id] {
			r.want[id] = true
			r.missing++
		}
	}
	r.mu.Unlock()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	last, lastN := time.Now(), -1
	for {
		r.mu.Lock()
		missing, n := r.missing, len(r.arrivals)
		if missing == 0 {
			r.want = nil
		}
		r.mu.Unlock()
		if missing == 0 {
			return 0
		}
		if n != lastN {
			last, lastN = time.Now(), n
		} else if time.Since(last) > timeout {
			return missing
		}
		select {
		case <-r.done:
		case <-t.C:
		}
	}
}

type api struct {
	base, key string
	hc        *http.Client
}

func newAPI(base, key string, conns int) *api {
	return &api{base: strings.TrimRight(base, "/"), key: key, hc: &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
			DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		},
	}}
}

// do sends a form request and decodes a 200's JSON into out.
func (a *api) do(method, path string, form url.Values, out any) error {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, a.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.key)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %.300s", method, path, resp.Status, b)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// create makes one customer and returns its id with the moments the
// request was sent and its 200 answer read.
func (a *api) create(i int) (id string, sent, answered time.Time, err error) {
	var c struct {
		ID string `json:"id"`
	}
	sent = time.Now()
	err = a.do(http.MethodPost, "/v1/customers", url.Values{
		"email": {fmt.Sprintf("wh%d@example.com", i)}, "name": {"Webhook Bench"},
	}, &c)
	answered = time.Now()
	if err == nil && c.ID == "" {
		err = errors.New("POST /v1/customers: 200 without an id")
	}
	return c.ID, sent, answered, err
}

func run(o opts) error {
	rec := newReceiver(o.verify)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: rec, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	hookURL := "http://" + ln.Addr().String() + "/webhook"

	conns := 1
	if o.mode == "throughput" {
		conns = o.conc
	}
	a := newAPI(o.base, o.key, conns)
	var ep struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	if err := a.do(http.MethodPost, "/v1/webhook_endpoints", url.Values{
		"url": {hookURL}, "enabled_events[]": {o.events}, "description": {"bench/cmd/webhookbench"},
	}, &ep); err != nil {
		return fmt.Errorf("registering the endpoint: %w", err)
	}
	rec.secret.Store(ep.Secret)
	defer func() {
		if err := a.do(http.MethodDelete, "/v1/webhook_endpoints/"+ep.ID, nil, nil); err != nil {
			fmt.Fprintln(os.Stderr, "webhookbench: deleting the endpoint:", err)
		}
	}()
	fmt.Printf("receiver %s, endpoint %s (enabled_events %s, signatures %s)\n", hookURL, ep.ID, o.events,
		map[bool]string{true: "verified", false: "not verified"}[o.verify])

	if o.mode == "throughput" {
		return throughput(o, a, rec)
	}
	return latency(o, a, rec)
}

// created is one acknowledged create.
type created struct {
	id             string
	sent, answered time.Time
}

func throughput(o opts, a *api, rec *receiver) error {
	var (
		next   atomic.Int64
		failed atomic.Int64
		mu     sync.Mutex
		done   = make([]created, 0, o.n)
		firstE error
		wg     sync.WaitGroup
	)
	cpu0 := sampleCPU(o)
	t0 := time.Now()
	for w := 0; w < o.conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= o.n {
					return
				}
				if o.rate > 0 {
					time.Sleep(time.Until(t0.Add(time.Duration(float64(i) / o.rate * float64(time.Second)))))
				}
				id, sent, answered, err := a.create(i)
				mu.Lock()
				if err != nil {
					failed.Add(1)
					if firstE == nil {
						firstE = err
					}
				} else {
					done = append(done, created{id, sent, answered})
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	tc := time.Now()
	cpuC := sampleCPU(o)
	rec.mu.Lock()
	arrivedByTc := len(rec.arrivals)
	rec.mu.Unlock()
	fmt.Printf("created %d customers in %.2f s (%d failed); %d deliveries so far; waiting for the rest\n",
		len(done), tc.Sub(t0).Seconds(), failed.Load(), arrivedByTc)
	if firstE != nil {
		fmt.Fprintln(os.Stderr, "webhookbench: first create error:", firstE)
	}

	ids := make([]string, len(done))
	for i, c := range done {
		ids[i] = c.id
	}
	missing := rec.waitFor(ids, o.drain)
	cpuE := sampleCPU(o)

	rec.mu.Lock()
	arrivals := append([]time.Time(nil), rec.arrivals...)
	at := make(map[string]time.Time, len(rec.at))
	for k, v := range rec.at {
		at[k] = v
	}
	dupes, badSig, badBody := rec.dupes, rec.badSig, rec.badBody
	rec.mu.Unlock()
	sort.Slice(arrivals, func(i, j int) bool { return arrivals[i].Before(arrivals[j]) })

	createSecs := tc.Sub(t0).Seconds()
	createRate := float64(len(done)) / createSecs
	var apiLat []float64
	var delay []float64 // create answered → delivered, ms
	for _, c := range done {
		apiLat = append(apiLat, ms(c.answered.Sub(c.sent)))
		if t, ok := at[c.id]; ok {
			delay = append(delay, ms(t.Sub(c.answered)))
		}
	}
	delivered := len(done) - missing
	var first, last time.Time
	if len(arrivals) > 0 {
		first, last = arrivals[0], arrivals[len(arrivals)-1]
	}
	// Deliveries/s from the first arrival to the last: n arrivals span
	// n-1 intervals.
	span := last.Sub(first).Seconds()
	rate := 0.0
	if len(arrivals) > 1 && span > 0 {
		rate = float64(len(arrivals)-1) / span
	}
	// While the creates ran: the deliveries that arrived by the end of the
	// create phase, from the first one.
	during := 0.0
	if arrivedByTc > 1 && tc.After(first) {
		during = float64(arrivedByTc-1) / tc.Sub(first).Seconds()
	}
	drainSecs := 0.0
	if last.After(tc) {
		drainSecs = last.Sub(tc).Seconds()
	}
	cCreate := cpuC.since(cpuStart(cpu0), o)
	cDrain := cpuE.since(cpuStart(cpuC), o)
	drainRate := 0.0
	if drainSecs > 0 {
		drainRate = float64(len(arrivals)-arrivedByTc) / drainSecs
	}
	cAll := cpuE.since(cpuStart(cpu0), o)

	if o.timeline != "" {
		if err := writeTimeline(o.timeline, t0, done, arrivals); err != nil {
			fmt.Fprintln(os.Stderr, "webhookbench: timeline:", err)
		}
	}

	sort.Float64s(apiLat)
	sort.Float64s(delay)
	fmt.Printf("RESULT mode=throughput n=%d conc=%d rate_limit=%g created=%d create_failed=%d create_s=%.3f api_creates_per_s=%.0f api_p50_ms=%.2f api_p99_ms=%.2f "+
		"delivered=%d missing=%d duplicates=%d bad_signature=%d bad_body=%d deliveries=%d deliveries_per_s=%.0f deliveries_per_s_during_creates=%.0f "+
		"backlog_at_creates_end=%d drain_after_creates_s=%.3f deliveries_per_s_drain=%.0f payd_cpu_drain=%s delay_p50_ms=%.1f delay_p99_ms=%.1f delay_max_ms=%.1f "+
		"payd_cpu_creates=%s cpu0_other_creates=%s cpu1_busy_creates=%s pg_cpu_creates=%s payd_cpu_all=%s cpu0_other_all=%s cpu1_busy_all=%s pg_cpu_all=%s\n",
		o.n, o.conc, o.rate, len(done), failed.Load(), createSecs, createRate, pct(apiLat, 50), pct(apiLat, 99),
		delivered, missing, dupes, badSig, badBody, len(arrivals), rate, during,
		len(done)-arrivedByTc, drainSecs, drainRate, cDrain.payd, pct(delay, 50), pct(delay, 99), pct(delay, 100),
		cCreate.payd, cCreate.other0, cCreate.busy1, cCreate.pg, cAll.payd, cAll.other0, cAll.busy1, cAll.pg)
	// Unpaced, both rates must reach 2,000/s. Paced (--rate), the offered
	// load is the target: deliveries must keep pace with creates made at
	// 2,000/s or more (a paced run cannot deliver faster than it creates).
	verdict := "met"
	if o.rate > 0 {
		if o.rate < 2000 || createRate < 0.99*o.rate || during < 0.99*createRate {
			verdict = "MISSED"
		} else {
			verdict = fmt.Sprintf("met (kept pace with %.0f creates/s)", o.rate)
		}
	} else if rate < 2000 || during < 2000 {
		verdict = "MISSED"
	}
	if missing > 0 || failed.Load() > 0 || badSig > 0 {
		verdict = "FAILED: not every create delivered"
	}
	fmt.Println("| engine | customers | clients | API creates/s | API p99 ms | deliveries/s first→last | deliveries/s while creating | backlog at end of creates | deliveries/s draining it (API idle) | delivered / dupes / bad sig | payd CPU (creates / all) | CPU 0 other | CPU 1 busy | ≥ 2,000/s |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |")
	fmt.Printf("| %s | %d | %d | %.0f | %.1f | **%.0f** | **%.0f** | %d | %.0f | %d/%d / %d / %d | %s / %s | %s | %s | %s |\n",
		o.label, len(done), o.conc, createRate, pct(apiLat, 99), rate, during, len(done)-arrivedByTc, drainRate,
		delivered, len(done), dupes, badSig, cCreate.payd, cAll.payd, cAll.other0, cAll.withPG(), verdict)
	if missing > 0 || failed.Load() > 0 {
		return fmt.Errorf("%d creates failed, %d acknowledged creates never delivered", failed.Load(), missing)
	}
	return nil
}

func latency(o opts, a *api, rec *receiver) error {
	// Warm up: connections, caches, and proof the queue is drained.
	var warm []string
	for i := 0; i < o.warmup; i++ {
		id, _, _, err := a.create(-1 - i)
		if err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
		warm = append(warm, id)
		time.Sleep(20 * time.Millisecond)
	}
	if m := rec.waitFor(warm, 30*time.Second); m > 0 {
		return fmt.Errorf("warm-up: %d of %d deliveries did not arrive", m, len(warm))
	}
	time.Sleep(500 * time.Millisecond)

	n := int(o.rate * o.duration.Seconds())
	done := make([]created, 0, n)
	failed := 0
	cpu0 := sampleCPU(o)
	t0 := time.Now()
	for i := 0; i < n; i++ {
		time.Sleep(time.Until(t0.Add(time.Duration(float64(i) / o.rate * float64(time.Second)))))
		id, sent, answered, err := a.create(i)
		if err != nil {
			failed++
			fmt.Fprintln(os.Stderr, "webhookbench:", err)
			continue
		}
		done = append(done, created{id, sent, answered})
	}
	ids := make([]string, len(done))
	for i, c := range done {
		ids[i] = c.id
	}
	missing := rec.waitFor(ids, o.drain)
	c := sampleCPU(o).since(cpuStart(cpu0), o)

	rec.mu.Lock()
	var fromAnswer, fromSent, apiLat []float64
	for _, d := range done {
		apiLat = append(apiLat, ms(d.answered.Sub(d.sent)))
		if t, ok := rec.at[d.id]; ok {
			fromAnswer = append(fromAnswer, ms(t.Sub(d.answered)))
			fromSent = append(fromSent, ms(t.Sub(d.sent)))
		}
	}
	dupes, badSig := rec.dupes, rec.badSig
	rec.mu.Unlock()
	for _, s := range [][]float64{fromAnswer, fromSent, apiLat} {
		sort.Float64s(s)
	}
	fmt.Printf("RESULT mode=latency rate=%g duration_s=%g created=%d create_failed=%d delivered=%d missing=%d duplicates=%d bad_signature=%d "+
		"min_ms=%.2f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f mean_ms=%.2f sent_p50_ms=%.2f sent_p99_ms=%.2f sent_max_ms=%.2f api_p50_ms=%.2f api_p99_ms=%.2f "+
		"payd_cpu=%s cpu0_other=%s cpu1_busy=%s pg_cpu=%s\n",
		o.rate, o.duration.Seconds(), len(done), failed, len(fromAnswer), missing, dupes, badSig,
		pct(fromAnswer, 0), pct(fromAnswer, 50), pct(fromAnswer, 90), pct(fromAnswer, 99), pct(fromAnswer, 100), mean(fromAnswer),
		pct(fromSent, 50), pct(fromSent, 99), pct(fromSent, 100), pct(apiLat, 50), pct(apiLat, 99),
		c.payd, c.other0, c.busy1, c.pg)
	verdict := "met"
	if pct(fromAnswer, 99) > 100 {
		verdict = "MISSED"
	}
	if missing > 0 || failed > 0 || badSig > 0 {
		verdict = "FAILED: not every create delivered"
	}
	fmt.Println("| engine | events | rate | p50 ms | p90 ms | p99 ms | max ms | p99 from request sent ms | API create p99 ms | delivered / dupes / bad sig | payd CPU | CPU 0 other | CPU 1 busy | p99 ≤ 100 ms |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |")
	fmt.Printf("| %s | %d | %g/s | %.1f | %.1f | **%.1f** | %.1f | %.1f | %.1f | %d/%d / %d / %d | %s | %s | %s | %s |\n",
		o.label, len(done), o.rate, pct(fromAnswer, 50), pct(fromAnswer, 90), pct(fromAnswer, 99), pct(fromAnswer, 100),
		pct(fromSent, 99), pct(apiLat, 99), len(fromAnswer), len(done), dupes, badSig, c.payd, c.other0, c.withPG(), verdict)
	if missing > 0 || failed > 0 {
		return fmt.Errorf("%d creates failed, %d acknowledged creates never delivered", failed, missing)
	}
	return nil
}

// writeTimeline writes, per 100 ms since the first create, the creates
// answered and the deliveries arrived.
func writeTimeline(path string, t0 time.Time, done []created, arrivals []time.Time) error {
	bucket := func(t time.Time) int { return int(t.Sub(t0) / (100 * time.Millisecond)) }
	var creates, deliveries []int
	add := func(s *[]int, i int) {
		if i < 0 {
			i = 0
		}
		for len(*s) <= i {
			*s = append(*s, 0)
		}
		(*s)[i]++
	}
	for _, c := range done {
		add(&creates, bucket(c.answered))
	}
	for _, t := range arrivals {
		add(&deliveries, bucket(t))
	}
	var b strings.Builder
	b.WriteString("t_s,creates,deliveries\n")
	for i := 0; i < max(len(creates), len(deliveries)); i++ {
		c, d := 0, 0
		if i < len(creates) {
			c = creates[i]
		}
		if i < len(deliveries) {
			d = deliveries[i]
		}
		fmt.Fprintf(&b, "%.1f,%d,%d\n", float64(i)/10, c, d)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// pct is the nearest-rank percentile of sorted s (0: min, 100: max).
func pct(s []float64, p float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func mean(s []float64) float64 {
	t := 0.0
	for _, v := range s {
		t += v
	}
	return t / float64(len(s))
}

// cpuSample is the CPU counters at one moment, in clock ticks.
type cpuSample struct {
	at          time.Time
	payd, pg    int64
	busy0, all0 int64
	busy1, all1 int64
}

type cpuStart cpuSample

// cpuUse is a window's CPU use, rendered as percentages ("-" when unknown).
type cpuUse struct{ payd, other0, busy1, pg string }

func (c cpuUse) withPG() string {
	if c.pg == "-" {
		return c.busy1
	}
	return c.busy1 + " (PostgreSQL " + c.pg + ")"
}

func sampleCPU(o opts) cpuSample {
	s := cpuSample{at: time.Now()}
	if o.pid > 0 {
		s.payd = procTicks(o.pid)
	}
	if o.pgPid > 0 {
		s.pg = procTicks(o.pgPid)
		for _, c := range children(o.pgPid) {
			s.pg += procTicks(c)
		}
	}
	s.busy0, s.all0 = cpuLine("cpu0")
	s.busy1, s.all1 = cpuLine("cpu1")
	return s
}

func (e cpuSample) since(s cpuStart, o opts) cpuUse {
	secs := e.at.Sub(s.at).Seconds()
	perc := func(ticks int64) string {
		return fmt.Sprintf("%.0f%%", 100*float64(ticks)/float64(o.hz)/secs)
	}
	u := cpuUse{payd: "-", other0: "-", busy1: "-", pg: "-"}
	if all := e.all0 - s.all0; all > 0 && o.pid > 0 {
		u.payd = perc(e.payd - s.payd)
		other := 100 * float64((e.busy0-s.busy0)-(e.payd-s.payd)) / float64(all)
		u.other0 = fmt.Sprintf("%.0f%%", math.Max(other, 0))
	}
	if all := e.all1 - s.all1; all > 0 {
		u.busy1 = fmt.Sprintf("%.0f%%", 100*float64(e.busy1-s.busy1)/float64(all))
	}
	if o.pgPid > 0 {
		// Backends that exited during the window lose their ticks; payd
		// keeps its pool open, so none should.
		u.pg = perc(e.pg - s.pg)
	}
	return u
}

// procTicks is a process's utime+stime from /proc/PID/stat.
func procTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces: fields start after its ")".
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

// children lists the pids whose parent is pid.
func children(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, p)
		}
	}
	return out
}

// cpuLine is one CPU's busy and total ticks from /proc/stat (busy: user,
// nice, system, irq, softirq, steal).
func cpuLine(name string) (busy, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || f[0] != name {
			continue
		}
		v := make([]int64, 8)
		for i := range v {
			v[i], _ = strconv.ParseInt(f[i+1], 10, 64)
		}
		busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
		return busy, busy + v[3] + v[4]
	}
	return 0, 0
}
