package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

const eventsUsage = `Usage: payd events COMMAND [flags]

Commands:
  tail                        print new events as payd records them
  resend EVENT_ID             deliver an event to its webhook endpoints again
  deliveries EVENT_ID         show an event's webhook deliveries and their attempts

Run "payd events COMMAND --help" for a command's flags.
`

func eventsCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, eventsUsage)
		return 2
	}
	switch args[0] {
	case "tail":
		return eventsTail(args[1:], stdout, stderr)
	case "resend":
		return eventsResend(args[1:], stdout, stderr)
	case "deliveries":
		return eventsDeliveries(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, eventsUsage)
		return 0
	}
	fmt.Fprintf(stderr, "payd events: unknown command %q\n\n%s", args[0], eventsUsage)
	return 2
}

const tailSynopsis = `Usage: payd events tail [--types TYPES] [--api-key KEY]

Prints each new event payd records, one line each: when it was created,
its type, its id and the id of the object it is about. ^C to quit.
`

const tailExamples = `Examples:
  payd events tail
  payd events tail --types payment_intent.succeeded,charge.*
`

// tailInterval is how often tail asks payd for new events.
const tailInterval = time.Second

// tailOverlap is how far back, in seconds of event time, each poll looks
// again. On PostgreSQL an event's position in the list is fixed when it is
// inserted, not when its transaction commits, so a slow transaction can
// make an event appear just behind one tail has already shown; reading the
// last seconds again (and skipping what was printed) catches it.
const tailOverlap = 2

func eventsTail(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("events tail", tailSynopsis, tailExamples, stderr)
	var api apiFlags
	api.register(fs)
	types := fs.String("types", "", "comma-separated event `TYPES` to show (at most 20); * matches, as in customer.*")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "payd events tail: unexpected argument %q (filter with --types %s)\n", pos[0], pos[0])
		return 2
	}
	c, err := api.client()
	if err != nil {
		fmt.Fprintf(stderr, "payd events tail: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	t := &tailer{c: c, out: stdout, types: splitList(*types), seen: map[string]int64{}}
	if err := t.start(ctx); err != nil {
		if ctx.Err() != nil {
			return 0
		}
		fmt.Fprintf(stderr, "payd events tail: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Ready! Tailing new events from %s (^C to quit)\n", c.base)
	var lastErr string
	for {
		select {
		case <-ctx.Done():
			return 0
		case <-time.After(tailInterval):
		}
		err := t.poll(ctx)
		switch {
		case err == nil:
			lastErr = ""
		case ctx.Err() != nil:
			return 0
		case errors.Is(err, errKeyRefused):
			fmt.Fprintf(stderr, "payd events tail: %v\n", err)
			return 1
		default:
			// payd restarting is no reason to stop tailing: say so once
			// and keep asking.
			if err.Error() != lastErr {
				fmt.Fprintf(stderr, "payd events tail: %v (retrying)\n", err)
				lastErr = err.Error()
			}
		}
	}
}

// tailer remembers where the last poll ended.
type tailer struct {
	c     *client
	out   io.Writer
	types []string
	// cursor is the event the next poll reads after (ending_before); ""
	// means none existed when tail started, so every event is new.
	cursor        string
	cursorCreated int64
	// seen holds the events printed at or after the cursor's time, so the
	// overlap is never printed twice.
	seen map[string]int64
}

func (t *tailer) query() url.Values {
	q := url.Values{"limit": {"100"}}
	if len(t.types) > 0 {
		q["types[]"] = t.types
	}
	return q
}

// start places the cursor at the newest existing event: tail shows only
// what happens from now on.
func (t *tailer) start(ctx context.Context) error {
	q := t.query()
	q.Set("limit", "1")
	var page listPage[eventSummary]
	if err := t.c.do(ctx, http.MethodGet, "/v1/events", q, &page); err != nil {
		return err
	}
	if len(page.Data) > 0 {
		e := page.Data[0]
		t.cursor, t.cursorCreated = e.ID, e.Created
		t.seen[e.ID] = e.Created
	}
	return nil
}

// poll prints the events after the cursor that were not printed yet, oldest
// first, then moves the cursor to the newest event at least tailOverlap
// seconds older than the newest one seen.
func (t *tailer) poll(ctx context.Context) error {
	var fresh []eventSummary // oldest first
	if t.cursor == "" {
		all, err := listAll[eventSummary](ctx, t.c, "/v1/events", t.query())
		if err != nil {
			return err
		}
		slices.Reverse(all)
		fresh = all
	} else {
		q := t.query()
		before := t.cursor
		for {
			q.Set("ending_before", before)
			var page listPage[eventSummary]
			err := t.c.do(ctx, http.MethodGet, "/v1/events", q, &page)
			var apiErr *apiError
			if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound && apiErr.Param == "ending_before" {
				// The cursor's event is gone (payd's database was reset):
				// start over from what exists now.
				t.cursor, t.seen = "", map[string]int64{}
				return t.start(ctx)
			}
			if err != nil {
				return err
			}
			slices.Reverse(page.Data)
			fresh = append(fresh, page.Data...)
			if !page.HasMore || len(page.Data) == 0 {
				break
			}
			before = page.Data[len(page.Data)-1].ID
		}
	}
	newest := t.cursorCreated
	for _, e := range fresh {
		if _, ok := t.seen[e.ID]; !ok {
			fmt.Fprintf(t.out, "%s   %s [%s] %s\n", clock(time.Unix(e.Created, 0)), e.Type, e.ID, e.Data.Object.ID)
			t.seen[e.ID] = e.Created
		}
		newest = max(newest, e.Created)
	}
	for _, e := range fresh {
		if e.Created <= newest-tailOverlap {
			t.cursor, t.cursorCreated = e.ID, e.Created
		}
	}
	for id, created := range t.seen {
		if created < t.cursorCreated {
			delete(t.seen, id)
		}
	}
	return nil
}

const resendSynopsis = `Usage: payd events resend EVENT_ID [--endpoint WE_ID] [--wait 10s] [--api-key KEY]

Delivers an event again: to one webhook endpoint with --endpoint, otherwise
to every enabled endpoint that subscribes to its type. Prints the new
deliveries and, unless --wait is 0, the outcome of their first attempt.
`

const resendExamples = `Examples:
  payd events resend evt_1Nk…
  payd events resend evt_1Nk… --endpoint we_1Nk…
`

func eventsResend(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("events resend", resendSynopsis, resendExamples, stderr)
	var api apiFlags
	api.register(fs)
	endpoint := fs.String("endpoint", "", "deliver only to this webhook endpoint `WE_ID` (we_…)")
	wait := fs.Duration("wait", 10*time.Second, "how long to wait for the first attempts' outcome; 0 to not wait")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagExit(err)
	}
	evt, code := oneEventID("payd events resend", pos, stderr)
	if code != 0 {
		return code
	}
	if *endpoint != "" && !strings.HasPrefix(*endpoint, "we_") {
		fmt.Fprintf(stderr, "payd events resend: --endpoint %q is not a webhook endpoint id (we_…); payd's webhook endpoints are listed at GET /v1/webhook_endpoints\n", *endpoint)
		return 2
	}
	c, err := api.client()
	if err != nil {
		fmt.Fprintf(stderr, "payd events resend: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	params := url.Values{}
	if *endpoint != "" {
		params.Set("endpoint", *endpoint)
	}
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodPost, "/_payd/events/"+url.PathEscape(evt)+"/resend", params, &raw); err != nil {
		fmt.Fprintf(stderr, "payd events resend: %v\n", err)
		return 1
	}
	created, err := decodeDeliveries(raw)
	if err != nil {
		fmt.Fprintf(stderr, "payd events resend: %v\n", err)
		return 1
	}
	if len(created) == 0 {
		fmt.Fprintf(stdout, "No delivery: no enabled webhook endpoint subscribes to %s's type.\n", evt)
		return 0
	}
	for _, d := range created {
		fmt.Fprintf(stdout, "Resending %s to %s %s as %s\n", evt, d.Endpoint, d.URL, d.ID)
	}
	if *wait <= 0 {
		return 0
	}
	// Wait for the worker's first attempt at each new delivery.
	ids := map[string]bool{}
	for _, d := range created {
		ids[d.ID] = true
	}
	deadline := time.Now().Add(*wait)
	for {
		all, err := fetchDeliveries(ctx, c, evt)
		if err != nil {
			fmt.Fprintf(stderr, "payd events resend: %v\n", err)
			return 1
		}
		var mine []delivery
		done := true
		for _, d := range all {
			if ids[d.ID] {
				mine = append(mine, d)
				done = done && len(d.Attempts) > 0
			}
		}
		if done || time.Now().After(deadline) {
			for _, d := range mine {
				printDelivery(stdout, d)
			}
			if !done {
				fmt.Fprintf(stdout, "(no attempt after %s yet: payd events deliveries %s shows them later)\n", *wait, evt)
			}
			return 0
		}
		select {
		case <-ctx.Done():
			return 0
		case <-time.After(200 * time.Millisecond):
		}
	}
}

const deliveriesSynopsis = `Usage: payd events deliveries EVENT_ID [--api-key KEY]

Shows every webhook delivery of an event: the endpoint and URL, the status,
each attempt (time, HTTP status, latency, the start of the answer or the
error) and when payd tries next.
`

func eventsDeliveries(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("events deliveries", deliveriesSynopsis, "", stderr)
	var api apiFlags
	api.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagExit(err)
	}
	evt, code := oneEventID("payd events deliveries", pos, stderr)
	if code != 0 {
		return code
	}
	c, err := api.client()
	if err != nil {
		fmt.Fprintf(stderr, "payd events deliveries: %v\n", err)
		return 2
	}
	all, err := fetchDeliveries(context.Background(), c, evt)
	if err != nil {
		fmt.Fprintf(stderr, "payd events deliveries: %v\n", err)
		return 1
	}
	if len(all) == 0 {
		fmt.Fprintf(stdout, "No deliveries: no webhook endpoint subscribed to %s when it happened.\n", evt)
	}
	for _, d := range all {
		printDelivery(stdout, d)
	}
	return 0
}

func oneEventID(cmd string, pos []string, stderr io.Writer) (string, int) {
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "%s: name one event id, e.g. %s evt_1Nk… (payd events tail shows them)\n", cmd, cmd)
		return "", 2
	}
	if !strings.HasPrefix(pos[0], "evt_") {
		fmt.Fprintf(stderr, "%s: %q is not an event id (evt_…); payd events tail shows them\n", cmd, pos[0])
		return "", 2
	}
	return pos[0], 0
}

// delivery is payd's webhook_delivery object (GET /_payd/events/{id}/deliveries).
type delivery struct {
	ID            string    `json:"id"`
	Event         string    `json:"event"`
	Endpoint      string    `json:"endpoint"`
	URL           string    `json:"url"`
	Status        string    `json:"status"`
	Attempts      []attempt `json:"attempts"`
	NextAttemptAt *int64    `json:"next_attempt_at"`
	Created       int64     `json:"created"`
}

type attempt struct {
	AttemptedAt     int64   `json:"attempted_at"`
	HTTPStatus      *int    `json:"http_status"`
	LatencyMS       float64 `json:"latency_ms"`
	ResponseExcerpt string  `json:"response_excerpt"`
	Error           string  `json:"error"`
}

func fetchDeliveries(ctx context.Context, c *client, evt string) ([]delivery, error) {
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, "/_payd/events/"+url.PathEscape(evt)+"/deliveries", nil, &raw); err != nil {
		return nil, err
	}
	return decodeDeliveries(raw)
}

// decodeDeliveries accepts a list object, a bare array or one delivery, so
// that resend's answer reads the same whichever payd returns.
func decodeDeliveries(raw json.RawMessage) ([]delivery, error) {
	raw = bytes.TrimSpace(raw)
	var out []delivery
	var err error
	switch {
	case len(raw) > 0 && raw[0] == '[':
		err = json.Unmarshal(raw, &out)
	default:
		var probe struct {
			Object string     `json:"object"`
			Data   []delivery `json:"data"`
		}
		if err = json.Unmarshal(raw, &probe); err == nil {
			if probe.Object == "list" {
				out = probe.Data
			} else {
				var d delivery
				err = json.Unmarshal(raw, &d)
				out = []delivery{d}
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("unexpected deliveries from payd: %w", err)
	}
	return out, nil
}

func printDelivery(w io.Writer, d delivery) {
	fmt.Fprintf(w, "%s  %s %s  %s\n", d.ID, d.Endpoint, d.URL, d.Status)
	for _, a := range d.Attempts {
		outcome := "[ERROR] " + a.Error
		if a.HTTPStatus != nil && *a.HTTPStatus != 0 {
			outcome = fmt.Sprintf("[%d]", *a.HTTPStatus)
			if a.Error != "" {
				outcome += " " + a.Error
			}
		}
		line := fmt.Sprintf("  %s  %s  %.0f ms", clock(time.Unix(a.AttemptedAt, 0)), outcome, a.LatencyMS)
		if ex := strings.TrimSpace(a.ResponseExcerpt); ex != "" {
			line += "  " + fmt.Sprintf("%q", truncate(ex, 80))
		}
		fmt.Fprintln(w, line)
	}
	if d.NextAttemptAt != nil && *d.NextAttemptAt > 0 {
		fmt.Fprintf(w, "  next attempt %s\n", clock(time.Unix(*d.NextAttemptAt, 0)))
	}
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
