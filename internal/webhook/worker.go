package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/store"
)

// Defaults for Config's zero values.
const (
	// DefaultTimeout is how long a receiver has to answer, as on Stripe.
	DefaultTimeout = 10 * time.Second
	// DefaultDisableAfter is how long an endpoint may fail every attempt
	// before it is disabled. Stripe disables such endpoints after days of
	// failures; its warning email sets the date nine days after the first
	// failure.
	DefaultDisableAfter = 9 * 24 * time.Hour
	// DefaultConcurrency bounds the attempts one worker has in flight.
	DefaultConcurrency = 256
	// DefaultPerEndpoint bounds the attempts in flight to one endpoint,
	// so that a slow endpoint holds a fraction of the slots, never all.
	DefaultPerEndpoint = 32
	// DefaultBatch is how many deliveries of one endpoint one claim takes
	// at most.
	DefaultBatch = 32
	// DefaultPoll is how often an idle worker looks for new deliveries:
	// it bounds the delay from a committed event to its first attempt.
	DefaultPoll = 20 * time.Millisecond
	// UserAgent is what Stripe's webhook requests say they are.
	UserAgent = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
	// excerptBytes is how much of a receiver's answer is kept.
	excerptBytes = 512
	// maxIdleBackoff caps the wait between claims that find due rows but
	// can take none of them (all for busy endpoints, or locked by other
	// nodes), so that such a backlog is not rescanned continuously.
	maxIdleBackoff = 250 * time.Millisecond
)

// Config is the worker's settings, parsed once by main.
type Config struct {
	Store  store.Store
	Logger *slog.Logger
	// Timeout bounds one attempt, connection to last byte of the answer.
	Timeout time.Duration
	// Schedule is the retry policy; nil means DefaultSchedule.
	Schedule Schedule
	// DisableAfter is how long an endpoint may fail before it is disabled.
	DisableAfter time.Duration
	Concurrency  int
	PerEndpoint  int
	Batch        int
	Poll         time.Duration
	// Lease is how long a claimed delivery stays with its worker before
	// any worker may take it again; zero means Timeout plus ten seconds,
	// time enough to record the outcome of an attempt that used its whole
	// timeout.
	Lease time.Duration
	// Client sends the requests; nil builds one from Timeout.
	Client *http.Client
	Now    func() time.Time
}

// Worker drains the delivery queue. Any number of workers may run, in one
// process or on many nodes sharing a PostgreSQL database: a delivery is
// taken with a lease, so two workers never send it at the same time, and a
// worker that dies only delays its deliveries until their leases end.
//
// The database is never left waiting on the network: a claim is its own
// short transaction, the POST happens outside any transaction, and its
// outcome is written in another. Memory stays flat however long the queue
// is, because a worker claims only as many deliveries as it has free
// slots.
type Worker struct {
	cfg    Config
	log    *slog.Logger
	client *http.Client
	now    func() time.Time

	mu       sync.Mutex
	inflight int
	// busy counts attempts in flight per endpoint.
	busy map[string]int
	// turn rotates which due endpoint a claim serves first.
	turn int
	wake chan struct{}
	wg   sync.WaitGroup
	// cursor is where the next scan of due endpoints resumes; only the
	// Run loop touches it.
	cursor string

	// Finished attempts waiting to be recorded (see record).
	recMu     sync.Mutex
	queued    []*outcome
	recording bool
}

// New builds a worker, filling Config's zero values with the defaults.
func New(cfg Config) *Worker {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Schedule == nil {
		cfg.Schedule = DefaultSchedule
	}
	if cfg.DisableAfter <= 0 {
		cfg.DisableAfter = DefaultDisableAfter
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.PerEndpoint <= 0 {
		cfg.PerEndpoint = DefaultPerEndpoint
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Lease <= 0 {
		cfg.Lease = cfg.Timeout + 10*time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	client := cfg.Client
	if client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = cfg.Concurrency
		tr.MaxIdleConnsPerHost = cfg.PerEndpoint
		client = &http.Client{
			Transport: tr,
			Timeout:   cfg.Timeout,
			// Stripe counts a redirect as a failed delivery: the
			// endpoint's URL should be the final one.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &Worker{cfg: cfg, log: cfg.Logger, client: client, now: cfg.Now,
		busy: map[string]int{}, wake: make(chan struct{}, 1)}
}

// Notify tells the worker that deliveries may be due now, sparing it the
// rest of its poll interval.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then waits for the attempts in flight to
// finish and be recorded (each is bounded by Timeout) and returns.
func (w *Worker) Run(ctx context.Context) {
	idle := w.cfg.Poll
	for ctx.Err() == nil {
		n, next, err := w.claim(ctx)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn("webhook deliveries: claim failed; retrying", "err", err)
			}
			w.sleep(ctx, time.Second)
			continue
		}
		if n > 0 {
			idle = w.cfg.Poll
			continue // there may be more
		}
		now := w.now().UnixMilli()
		if next > 0 && next <= now {
			// Due deliveries exist but none could be taken (their
			// endpoints are busy, or other nodes hold them): an attempt
			// finishing wakes the loop; otherwise look less often.
			idle = min(2*idle, maxIdleBackoff)
		} else {
			idle = w.cfg.Poll
		}
		wait := idle
		if until := time.Duration(next-now) * time.Millisecond; next > now && until < wait {
			wait = until
		}
		w.sleep(ctx, wait)
	}
	w.wg.Wait()
}

// chunk is the fewest deliveries worth a claim for one endpoint: claiming
// a few at a time keeps claims (each a write transaction) far fewer than
// deliveries when an endpoint runs at its limit.
func (w *Worker) chunk() int { return max(1, min(w.cfg.PerEndpoint, w.cfg.Batch)/4) }

// maxScan bounds how many due endpoints one claim considers; the scan
// resumes after the last one next time, so none is starved.
const maxScan = 64

func (w *Worker) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-w.wake:
	case <-t.C:
	}
}

// take is one endpoint's share of a claim.
type take struct {
	endpoint string
	n        int
}

// claim takes due deliveries, per endpoint up to the attempts it may
// still have in flight, and starts them. It returns how many it took and
// the earliest next_attempt_at of the queue (0 when empty). It reads
// before it writes, so an idle worker costs the database an indexed read
// per poll and no write transaction.
func (w *Worker) claim(ctx context.Context) (int, int64, error) {
	w.mu.Lock()
	free := w.cfg.Concurrency - w.inflight
	w.mu.Unlock()
	if free < w.chunk() {
		return 0, 0, nil // an attempt finishing wakes the loop
	}
	now := w.now()
	var next int64
	var due []string
	err := w.cfg.Store.View(ctx, func(tx store.Tx) error {
		at, ok, err := tx.NextDeliveryAt(ctx)
		if err != nil || !ok || at > now.UnixMilli() {
			next = at
			return err
		}
		next = at
		if due, err = tx.DueEndpoints(ctx, now.UnixMilli(), w.cursor, maxScan); err != nil || w.cursor == "" || len(due) == maxScan {
			return err
		}
		// Wrap around to the endpoints before the cursor.
		more, err := tx.DueEndpoints(ctx, now.UnixMilli(), "", maxScan-len(due))
		for _, ep := range more {
			if !slices.Contains(due, ep) {
				due = append(due, ep)
			}
		}
		return err
	})
	if err != nil || len(due) == 0 {
		return 0, next, err
	}
	w.cursor = ""
	if len(due) == maxScan {
		w.cursor = due[len(due)-1]
	}
	// Share the free slots among the due endpoints, starting at a
	// different one each time so that none always comes last.
	var plan []take
	w.mu.Lock()
	w.turn++
	for i := range due {
		ep := due[(i+w.turn)%len(due)]
		room := min(w.cfg.PerEndpoint-w.busy[ep], w.cfg.Batch, free)
		if room < w.chunk() {
			continue
		}
		plan = append(plan, take{ep, room})
		if free -= room; free < w.chunk() {
			break
		}
	}
	w.mu.Unlock()
	if len(plan) == 0 {
		return 0, next, nil
	}
	lease := id.Random(16)
	var claimed []store.Delivery
	err = w.cfg.Store.Update(ctx, func(tx store.Tx) error {
		claimed = claimed[:0]
		for _, p := range plan {
			ds, err := tx.ClaimDeliveries(ctx, store.Claim{
				Endpoint: p.endpoint, Now: now.UnixMilli(), LeaseUntil: now.Add(w.cfg.Lease).UnixMilli(),
				Lease: lease, Limit: p.n,
			})
			if err != nil {
				return err
			}
			claimed = append(claimed, ds...)
		}
		return nil
	})
	if err != nil {
		return 0, next, err
	}
	w.mu.Lock()
	w.inflight += len(claimed)
	for _, d := range claimed {
		w.busy[d.Endpoint]++
	}
	w.mu.Unlock()
	w.wg.Add(len(claimed))
	for start := 0; start < len(claimed); {
		// Claimed rows come grouped by endpoint (one claim each).
		end := start + 1
		for end < len(claimed) && claimed[end].Endpoint == claimed[start].Endpoint {
			end++
		}
		go w.deliverAll(claimed[start:end], lease)
		start = end
	}
	return len(claimed), next, nil
}

// release frees a finished attempt's slot. It wakes the loop only when the
// slot makes a claim worthwhile again (see chunk), not on every attempt.
func (w *Worker) release(endpoint string) {
	w.mu.Lock()
	w.inflight--
	w.busy[endpoint]--
	busy := w.busy[endpoint]
	if busy <= 0 {
		delete(w.busy, endpoint)
	}
	wake := busy == w.cfg.PerEndpoint-w.chunk() || w.cfg.Concurrency-w.inflight == w.chunk()
	w.mu.Unlock()
	if wake {
		w.Notify()
	}
	w.wg.Done()
}

// deliverAll loads what one endpoint's claimed deliveries need (the
// endpoint once, the events in one read) and makes their attempts
// concurrently. Its context is not the worker's: an attempt that started
// is finished and recorded even while the worker stops, so that it is not
// sent again for nothing.
func (w *Worker) deliverAll(ds []store.Delivery, lease string) {
	ctx := context.Background()
	var target Target
	var bodies map[string][]byte
	err := w.cfg.Store.View(ctx, func(tx store.Tx) error {
		var err error
		if target, err = LoadTarget(ctx, tx, ds[0].Account, ds[0].Endpoint); err != nil || !target.Live {
			return err
		}
		ids := make([]string, len(ds))
		for i, d := range ds {
			ids[i] = d.Event
		}
		bodies, err = tx.EventData(ctx, ds[0].Account, ids)
		return err
	})
	if err != nil {
		w.log.Warn("webhook delivery: loading it failed; it will be retried when its lease ends", "endpoint", ds[0].Endpoint, "err", err)
		for _, d := range ds {
			w.release(d.Endpoint)
		}
		return
	}
	for _, d := range ds {
		go w.deliver(d, lease, target, bodies[d.Event])
	}
}

// deliver makes one attempt of d and records it; a nil body means the
// event is gone, which only a database edited by hand can cause.
func (w *Worker) deliver(d store.Delivery, lease string, target Target, body []byte) {
	defer w.release(d.Endpoint)
	ctx := context.Background()
	if !target.Live || body == nil {
		w.abandon(ctx, d, lease)
		return
	}
	d.URL = target.URL
	a, ok := w.post(target, body)
	w.record(ctx, d, lease, a, ok)
}

// abandon gives up a delivery whose endpoint was disabled or deleted:
// Stripe makes no further attempts, retries included.
func (w *Worker) abandon(ctx context.Context, d store.Delivery, lease string) {
	err := w.cfg.Store.Update(ctx, func(tx store.Tx) error {
		owned, err := tx.AbandonDelivery(ctx, d.ID, lease)
		if err != nil || !owned {
			return err
		}
		return event.AddPending(ctx, tx, d.Account, d.Event, -1)
	})
	if err != nil {
		w.log.Warn("webhook delivery: giving it up failed", "delivery", d.ID, "err", err)
		return
	}
	w.log.Debug("webhook delivery given up: endpoint disabled or deleted", "delivery", d.ID, "endpoint", d.Endpoint, "event", d.Event)
}

// post sends body to the target, signed, and reports the attempt and
// whether it succeeded (a 2xx within the timeout).
func (w *Worker) post(t Target, body []byte) (store.Attempt, bool) {
	sent := w.now()
	start := time.Now()
	a := store.Attempt{AttemptedAt: sent.UnixMilli()}
	req, err := http.NewRequest(http.MethodPost, t.URL, bytes.NewReader(body))
	if err != nil {
		a.Error = clean(err.Error())
		return a, false
	}
	h := req.Header
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("User-Agent", UserAgent)
	h.Set("Accept", "*/*; q=0.5, application/xml")
	h.Set("Cache-Control", "no-cache")
	h.Set("Stripe-Signature", Sign(t.Secret, sent, body))
	resp, err := w.client.Do(req)
	if err != nil {
		a.LatencyMS = time.Since(start).Milliseconds()
		a.Error = describe(err, w.cfg.Timeout)
		return a, false
	}
	excerpt, err := io.ReadAll(io.LimitReader(resp.Body, excerptBytes))
	// Drain a little more so the connection can carry the next attempt.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	a.LatencyMS = time.Since(start).Milliseconds()
	a.HTTPStatus = resp.StatusCode
	a.ResponseExcerpt = clean(string(excerpt))
	if err != nil {
		// The answer did not arrive whole (usually the timeout): Stripe
		// counts that as a failure whatever the status said.
		a.Error = describe(err, w.cfg.Timeout)
		return a, false
	}
	return a, resp.StatusCode >= 200 && resp.StatusCode < 300
}

// outcome is one finished attempt waiting to be recorded, and what
// recording it found.
type outcome struct {
	d     store.Delivery
	lease string
	a     store.Attempt
	ok    bool
	now   time.Time
	// Set by recording.
	disabled bool
	since    int64
	err      error
	done     chan struct{}
}

// record writes the attempt, moves the delivery along the schedule,
// settles the event's pending_webhooks when the delivery is finished, and
// keeps the endpoint's failing streak, disabling the endpoint when the
// streak has lasted DisableAfter.
//
// Attempts finishing together are written together: the first to arrive
// writes every attempt queued meanwhile in one transaction while the
// others wait for it (group commit), so that a busy worker costs the
// database one commit per batch rather than one per attempt. An attempt
// is recorded before record returns, as before.
func (w *Worker) record(ctx context.Context, d store.Delivery, lease string, a store.Attempt, ok bool) {
	now := w.now()
	d.Attempts++
	switch wait, more := w.cfg.Schedule.Next(d.Attempts); {
	case ok:
		d.Status, d.NextAttemptAt = store.DeliverySucceeded, 0
	case more:
		d.Status, d.NextAttemptAt = store.DeliveryPending, now.Add(wait).UnixMilli()
	default:
		d.Status, d.NextAttemptAt = store.DeliveryFailed, 0
	}
	o := &outcome{d: d, lease: lease, a: a, ok: ok, now: now, done: make(chan struct{})}
	w.recMu.Lock()
	w.queued = append(w.queued, o)
	lead := !w.recording
	w.recording = true
	w.recMu.Unlock()
	if lead {
		for {
			w.recMu.Lock()
			batch := w.queued
			w.queued = nil
			if len(batch) == 0 {
				w.recording = false
				w.recMu.Unlock()
				break
			}
			w.recMu.Unlock()
			w.recordBatch(ctx, batch)
		}
	}
	<-o.done
	w.logOutcome(o)
}

// recordBatch writes a batch of attempts in one transaction. Should that
// fail, each is written on its own, so that one bad attempt does not keep
// the others unrecorded.
func (w *Worker) recordBatch(ctx context.Context, batch []*outcome) {
	err := w.cfg.Store.Update(ctx, func(tx store.Tx) error {
		for _, o := range batch {
			if err := w.recordTx(ctx, tx, o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && len(batch) > 1 {
		for _, o := range batch {
			o.err = w.cfg.Store.Update(ctx, func(tx store.Tx) error { return w.recordTx(ctx, tx, o) })
		}
	} else {
		for _, o := range batch {
			o.err = err
		}
	}
	for _, o := range batch {
		close(o.done)
	}
}

// recordTx records one attempt in tx.
func (w *Worker) recordTx(ctx context.Context, tx store.Tx, o *outcome) error {
	d, now := o.d, o.now
	o.disabled, o.since = false, 0
	owned, err := tx.FinishAttempt(ctx, d, o.lease, o.a)
	if err != nil {
		return err
	}
	if owned && d.Status != store.DeliveryPending {
		if err := event.AddPending(ctx, tx, d.Account, d.Event, -1); err != nil {
			return err
		}
	}
	since, err := tx.EndpointHealth(ctx, d.Account, d.Endpoint, o.ok, now.UnixMilli())
	o.since = since
	if err != nil || o.ok || since == 0 || now.UnixMilli()-since < w.cfg.DisableAfter.Milliseconds() {
		return err
	}
	o.disabled, err = Disable(ctx, tx, d.Account, d.Endpoint)
	return err
}

// logOutcome says what became of a recorded attempt.
func (w *Worker) logOutcome(o *outcome) {
	d := o.d
	if o.err != nil {
		w.log.Warn("webhook delivery: recording the attempt failed; it will be retried when its lease ends",
			"delivery", d.ID, "err", o.err)
		return
	}
	w.log.Debug("webhook attempt", "delivery", d.ID, "event", d.Event, "endpoint", d.Endpoint,
		"url", d.URL, "status", o.a.HTTPStatus, "error", o.a.Error, "latency_ms", o.a.LatencyMS, "outcome", d.Status)
	if d.Status == store.DeliveryFailed {
		w.log.Info("webhook delivery failed for good: no retries left", "delivery", d.ID, "event", d.Event,
			"endpoint", d.Endpoint, "attempts", d.Attempts)
	}
	if o.disabled {
		w.log.Warn("payd disabled a webhook endpoint: every delivery to it has failed for too long; fix the receiver, then re-enable it with disabled=false",
			"endpoint", d.Endpoint, "account", d.Account, "url", d.URL,
			"failing_since", time.UnixMilli(o.since).UTC().Format(time.RFC3339), "disable_after", w.cfg.DisableAfter)
	}
}

// describe turns a transport error into the short text the deliveries API
// shows, without the method and URL the caller already knows.
func describe(err error, timeout time.Duration) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return "timed out after " + timeout.String()
	}
	return clean(err.Error())
}

// clean makes receiver-supplied text storable and renderable: valid UTF-8
// (an excerpt may cut a character in two) and no NUL, which PostgreSQL's
// text type refuses.
func clean(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}
