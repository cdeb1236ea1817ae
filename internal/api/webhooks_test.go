package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/payd/payd/internal/testutil/paydtest"
	"github.com/payd/payd/internal/testutil/specvalidate"
	paydwebhook "github.com/payd/payd/internal/webhook"
)

// receiver is a local webhook endpoint that keeps every request it gets.
// answer decides the status of the nth request (1-based) to a path.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(path string, n int) int
	hits   map[string]int
	// arrived is signalled (without blocking) on every request.
	arrived chan struct{}
}

type received struct {
	path   string
	header http.Header
	body   []byte
	status int
}

func newReceiver(t *testing.T, answer func(path string, n int) int) *receiver {
	rc := &receiver{answer: answer, hits: map[string]int{}, arrived: make(chan struct{}, 1)}
	if rc.answer == nil {
		rc.answer = func(string, int) int { return 200 }
	}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.hits[r.URL.Path]++
		status := rc.answer(r.URL.Path, rc.hits[r.URL.Path])
		rc.got = append(rc.got, received{path: r.URL.Path, header: r.Header.Clone(), body: body, status: status})
		rc.mu.Unlock()
		select {
		case rc.arrived <- struct{}{}:
		default:
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"received":%d}`, status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// requests returns what arrived at path ("" for every path).
func (rc *receiver) requests(path string) []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []received
	for _, r := range rc.got {
		if path == "" || r.path == path {
			out = append(out, r)
		}
	}
	return out
}

// waitFor polls cond until it holds or fails the test after a generous
// bound (a safety net, not a speed assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fastSchedule retries quickly so tests see several attempts.
var fastSchedule = paydwebhook.Schedule{20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond,
	20 * time.Millisecond, 20 * time.Millisecond}

// startWorker runs a delivery worker over the server's store until the
// test ends.
func startWorker(t *testing.T, srv *paydtest.Server, cfg paydwebhook.Config) *paydwebhook.Worker {
	cfg.Store = srv.Store
	if cfg.Schedule == nil {
		cfg.Schedule = fastSchedule
	}
	if cfg.Poll == 0 {
		cfg.Poll = 5 * time.Millisecond
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	w := paydwebhook.New(cfg)
	done := make(chan struct{})
	runCtx, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(done)
		w.Run(runCtx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return w
}

// createEndpoint registers url for events and returns the endpoint with
// its secret.
func createEndpoint(t *testing.T, sc *stripe.Client, url string, events ...string) *stripe.WebhookEndpoint {
	t.Helper()
	p := &stripe.WebhookEndpointCreateParams{URL: stripe.String(url)}
	for _, e := range events {
		p.EnabledEvents = append(p.EnabledEvents, stripe.String(e))
	}
	we, err := sc.V1WebhookEndpoints.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return we
}

// deliveryList is the /_payd/events/{id}/deliveries answer.
type deliveryList struct {
	Object  string `json:"object"`
	URL     string `json:"url"`
	HasMore bool   `json:"has_more"`
	Data    []struct {
		ID       string `json:"id"`
		Object   string `json:"object"`
		Event    string `json:"event"`
		Endpoint string `json:"endpoint"`
		URL      string `json:"url"`
		Status   string `json:"status"`
		Attempts []struct {
			AttemptedAt     int64   `json:"attempted_at"`
			HTTPStatus      *int    `json:"http_status"`
			LatencyMS       *int64  `json:"latency_ms"`
			ResponseExcerpt *string `json:"response_excerpt"`
			Error           *string `json:"error"`
		} `json:"attempts"`
		NextAttemptAt *int64 `json:"next_attempt_at"`
		Created       int64  `json:"created"`
	} `json:"data"`
}

func deliveries(t *testing.T, srv *paydtest.Server, key, evt string) deliveryList {
	t.Helper()
	r := srv.Do("GET", "/_payd/events/"+evt+"/deliveries", key, "")
	if r.Status != 200 {
		t.Fatalf("deliveries of %s: %d %s", evt, r.Status, r.Body)
	}
	var l deliveryList
	if err := json.Unmarshal([]byte(r.Body), &l); err != nil {
		t.Fatal(err)
	}
	if l.Object != "list" || l.URL != "/_payd/events/"+evt+"/deliveries" || l.HasMore {
		t.Fatalf("list envelope: %s", r.Body)
	}
	for _, d := range l.Data {
		if d.Object != "webhook_delivery" || !strings.HasPrefix(d.ID, "whdel_") || d.Event != evt || d.Created == 0 || d.Attempts == nil {
			t.Fatalf("delivery shape: %s", r.Body)
		}
		for _, a := range d.Attempts {
			if a.AttemptedAt == 0 || a.LatencyMS == nil || a.ResponseExcerpt == nil {
				t.Fatalf("attempt shape: %s", r.Body)
			}
		}
	}
	return l
}

// lastEvent returns the newest event of account i.
func lastEvent(t *testing.T, srv *paydtest.Server, i int) *stripe.Event {
	t.Helper()
	for ev, err := range srv.Client(i).V1Events.List(ctx, &stripe.EventListParams{}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	t.Fatal("no events")
	return nil
}

func pendingWebhooks(t *testing.T, srv *paydtest.Server, evt string) int64 {
	t.Helper()
	ev, err := srv.Client(0).V1Events.Retrieve(ctx, evt, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ev.PendingWebhooks
}

func TestWebhookEndpoints_CRUDAndSecretOnlyOnCreate(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		key := srv.Accounts[0].Secret
		we, err := sc.V1WebhookEndpoints.Create(ctx, &stripe.WebhookEndpointCreateParams{
			URL:           stripe.String("https://example.com/hooks"),
			EnabledEvents: []*string{stripe.String("customer.created"), stripe.String("payment_intent.succeeded")},
			Description:   stripe.String("orders"),
			Metadata:      map[string]string{"team": "payments"},
			APIVersion:    stripe.String("2026-08-26.dahlia"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(we.ID, "we_") || !strings.HasPrefix(we.Secret, "whsec_") || we.Status != "enabled" ||
			we.URL != "https://example.com/hooks" || len(we.EnabledEvents) != 2 || we.Description != "orders" ||
			we.Metadata["team"] != "payments" || we.APIVersion != "2026-08-26.dahlia" || we.Created == 0 || we.Livemode {
			t.Fatalf("created: %+v", we)
		}
		// The secret is shown once.
		r := srv.Do("GET", "/v1/webhook_endpoints/"+we.ID, key, "")
		if r.Status != 200 || strings.Contains(r.Body, "secret") || strings.Contains(r.Body, we.Secret) {
			t.Fatalf("retrieve shows the secret: %s", r.Body)
		}
		up, err := sc.V1WebhookEndpoints.Update(ctx, we.ID, &stripe.WebhookEndpointUpdateParams{
			URL:           stripe.String("http://localhost:3000/webhook"),
			EnabledEvents: []*string{stripe.String("*")},
			Disabled:      stripe.Bool(true),
			Description:   stripe.String(""),
		})
		if err != nil {
			t.Fatal(err)
		}
		if up.URL != "http://localhost:3000/webhook" || up.Status != "disabled" || len(up.EnabledEvents) != 1 ||
			up.EnabledEvents[0] != "*" || up.Description != "" || up.Secret != "" {
			t.Fatalf("updated: %+v", up)
		}
		if r := srv.Do("GET", "/v1/webhook_endpoints/"+we.ID, key, ""); !strings.Contains(r.Body, `"description":null`) {
			t.Fatalf("unset description must be null: %s", r.Body)
		}
		up, err = sc.V1WebhookEndpoints.Update(ctx, we.ID, &stripe.WebhookEndpointUpdateParams{Disabled: stripe.Bool(false)})
		if err != nil || up.Status != "enabled" {
			t.Fatalf("re-enable: %+v %v", up, err)
		}
		second := createEndpoint(t, sc, "http://127.0.0.1:9/hook", "customer.deleted")
		var ids []string
		for ep, err := range sc.V1WebhookEndpoints.List(ctx, &stripe.WebhookEndpointListParams{}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if ep.Secret != "" {
				t.Fatalf("list shows a secret: %+v", ep)
			}
			ids = append(ids, ep.ID)
		}
		if strings.Join(ids, ",") != second.ID+","+we.ID {
			t.Fatalf("list: %v", ids)
		}
		d, err := sc.V1WebhookEndpoints.Delete(ctx, we.ID, nil)
		if err != nil || !d.Deleted || d.ID != we.ID {
			t.Fatalf("delete: %+v %v", d, err)
		}
		_, err = sc.V1WebhookEndpoints.Retrieve(ctx, we.ID, nil)
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "id")
		_, err = sc.V1WebhookEndpoints.Update(ctx, we.ID, &stripe.WebhookEndpointUpdateParams{Disabled: stripe.Bool(true)})
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "id")
		// The other account sees none of it.
		_, err = srv.Client(1).V1WebhookEndpoints.Retrieve(ctx, second.ID, nil)
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "id")
		if r := srv.Do("GET", "/v1/webhook_endpoints", srv.Accounts[1].Secret, ""); !strings.Contains(r.Body, `"data":[]`) {
			t.Fatalf("other account lists: %s", r.Body)
		}
	})
}

func TestWebhookEndpoints_Validation(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		create := func(url string, events ...string) error {
			p := &stripe.WebhookEndpointCreateParams{URL: stripe.String(url)}
			for _, e := range events {
				p.EnabledEvents = append(p.EnabledEvents, stripe.String(e))
			}
			_, err := sc.V1WebhookEndpoints.Create(ctx, p)
			return err
		}
		for _, ok := range []string{"https://example.com/x", "http://localhost:3000/webhook", "http://127.0.0.1:4000/w",
			"http://[::1]:3000/w", "https://shop.example:8443/stripe?x=1"} {
			if err := create(ok, "*"); err != nil {
				t.Fatalf("%s refused: %v", ok, err)
			}
		}
		for _, bad := range []string{"http://example.com/webhook", "ftp://localhost/x", "localhost:3000/x", "/webhook",
			"http://10.0.0.1/x", "javascript:alert(1)", "https://user:pw@example.com/x"} {
			se := stripeErr(t, create(bad, "*"), 400, "invalid_request_error", "url_invalid", "url")
			if !strings.Contains(se.Msg, "https") {
				t.Fatalf("%s: message does not say what is allowed: %s", bad, se.Msg)
			}
		}
		stripeErr(t, create("https://example.com/x"), 400, "invalid_request_error", "parameter_missing", "enabled_events")
		err := create("https://example.com/x", "customer.created", "not.an.event")
		if se := stripeErr(t, err, 400, "invalid_request_error", "", "enabled_events[1]"); se == nil {
			t.Fatal("unknown event type accepted")
		}
		r := srv.Do("POST", "/v1/webhook_endpoints", srv.Accounts[0].Secret, "enabled_events[]=*")
		if r.Status != 400 || !strings.Contains(r.Body, `"param":"url"`) {
			t.Fatalf("missing url: %d %s", r.Status, r.Body)
		}
		r = srv.Do("POST", "/v1/webhook_endpoints", srv.Accounts[0].Secret, "url=https://example.com/x&enabled_events[]=*&connect=true")
		if r.Status != 400 || !strings.Contains(r.Body, `"param":"connect"`) {
			t.Fatalf("connect: %d %s", r.Status, r.Body)
		}
		// Stripe's limit of endpoints per account (5 made above).
		for i := 5; i < paydwebhook.MaxEndpoints; i++ {
			if err := create(fmt.Sprintf("https://example.com/%d", i), "*"); err != nil {
				t.Fatal(err)
			}
		}
		if err := create("https://example.com/one-too-many", "*"); err == nil {
			t.Fatal("17th endpoint accepted")
		}
		// Publishable keys may not manage endpoints.
		if r := srv.Do("GET", "/v1/webhook_endpoints", srv.Accounts[0].Publishable, ""); r.Status != 403 {
			t.Fatalf("publishable key: %d", r.Status)
		}
	})
}

// TestWebhook_DeliveredSignedAndVerifiedByStripeGo delivers customer.created
// to a local receiver and checks it with stripe-go's own verifier, which
// must also refuse the payload or the timestamp tampered with.
func TestWebhook_DeliveredSignedAndVerifiedByStripeGo(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		rc := newReceiver(t, nil)
		sc := srv.Client(0)
		we := createEndpoint(t, sc, rc.URL+"/webhook", "*")
		startWorker(t, srv, paydwebhook.Config{})
		c, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("jenny@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the delivery", func() bool { return len(rc.requests("/webhook")) == 1 })
		got := rc.requests("/webhook")[0]
		if ct := got.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Fatalf("Content-Type %q", ct)
		}
		if ua := got.header.Get("User-Agent"); ua != "Stripe/1.0 (+https://stripe.com/docs/webhooks)" {
			t.Fatalf("User-Agent %q", ua)
		}
		sig := got.header.Get("Stripe-Signature")
		ev, err := webhook.ConstructEvent(got.body, sig, we.Secret)
		if err != nil {
			t.Fatalf("stripe-go refuses payd's webhook: %v\nheader %s\nbody %s", err, sig, got.body)
		}
		if ev.Type != "customer.created" || ev.Data.Object["id"] != c.ID || ev.Data.Object["email"] != "jenny@example.com" ||
			ev.APIVersion != "2026-08-26.dahlia" || !strings.HasPrefix(ev.ID, "evt_") {
			t.Fatalf("event: %+v", ev)
		}
		specvalidate.ValidateJSON(t, "event", got.body)
		// Exactly the event the API serves.
		stored := srv.Do("GET", "/v1/events/"+ev.ID, srv.Accounts[0].Secret, "")
		var a, b map[string]any
		json.Unmarshal(got.body, &a)
		json.Unmarshal([]byte(stored.Body), &b)
		delete(a, "pending_webhooks")
		delete(b, "pending_webhooks")
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("payload differs from the event:\n%s\n%s", got.body, stored.Body)
		}

		tampered := bytes.Replace(got.body, []byte("jenny@example.com"), []byte("mallory@example.com"), 1)
		if _, err := webhook.ConstructEvent(tampered, sig, we.Secret); err == nil {
			t.Fatal("tampered payload accepted")
		}
		ts, v1, _ := strings.Cut(sig, ",")
		n, _ := strconv.ParseInt(strings.TrimPrefix(ts, "t="), 10, 64)
		moved := "t=" + strconv.FormatInt(n+1, 10) + "," + v1
		if _, err := webhook.ConstructEvent(got.body, moved, we.Secret); err == nil {
			t.Fatal("tampered timestamp accepted")
		}
		if _, err := webhook.ConstructEvent(got.body, sig, "whsec_wrong"); err == nil {
			t.Fatal("wrong secret accepted")
		}
		// payd's signer is Stripe's scheme: an old but genuine signature is
		// refused for its age alone.
		old := time.Now().Add(-10 * time.Minute)
		if _, err := webhook.ConstructEvent(got.body, paydwebhook.Sign(we.Secret, old, got.body), we.Secret); err != webhook.ErrTooOld {
			t.Fatalf("old signature: %v", err)
		}

		l := deliveries(t, srv, srv.Accounts[0].Secret, ev.ID)
		waitFor(t, "the success to be recorded", func() bool {
			l = deliveries(t, srv, srv.Accounts[0].Secret, ev.ID)
			return l.Data[0].Status == "succeeded"
		})
		d := l.Data[0]
		if len(l.Data) != 1 || d.Endpoint != we.ID || d.URL != rc.URL+"/webhook" || len(d.Attempts) != 1 ||
			*d.Attempts[0].HTTPStatus != 200 || d.Attempts[0].Error != nil || *d.Attempts[0].ResponseExcerpt != `{"received":200}` ||
			d.NextAttemptAt != nil {
			t.Fatalf("deliveries: %+v", l)
		}
		if n := pendingWebhooks(t, srv, ev.ID); n != 0 {
			t.Fatalf("pending_webhooks after delivery: %d", n)
		}
	})
}

func TestWebhook_EnabledEventsFilterAndPendingCount(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		rc := newReceiver(t, nil)
		sc := srv.Client(0)
		all := createEndpoint(t, sc, rc.URL+"/all", "*")
		updates := createEndpoint(t, sc, rc.URL+"/updates", "customer.updated", "customer.deleted")
		createEndpoint(t, sc, rc.URL+"/payments", "payment_intent.succeeded")
		off := createEndpoint(t, sc, rc.URL+"/off", "*")
		if _, err := sc.V1WebhookEndpoints.Update(ctx, off.ID, &stripe.WebhookEndpointUpdateParams{Disabled: stripe.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		// The other account's endpoint must never see this account's events.
		createEndpoint(t, srv.Client(1), rc.URL+"/other-account", "*")

		c, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("a@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		created := lastEvent(t, srv, 0)
		if _, err := sc.V1Customers.Update(ctx, c.ID, &stripe.CustomerUpdateParams{Name: stripe.String("Ann")}); err != nil {
			t.Fatal(err)
		}
		updated := lastEvent(t, srv, 0)
		// Before any worker runs, the counts are the matching endpoints.
		if n := pendingWebhooks(t, srv, created.ID); n != 1 {
			t.Fatalf("customer.created pending_webhooks %d, want 1", n)
		}
		if n := pendingWebhooks(t, srv, updated.ID); n != 2 {
			t.Fatalf("customer.updated pending_webhooks %d, want 2", n)
		}
		if l := deliveries(t, srv, srv.Accounts[0].Secret, updated.ID); len(l.Data) != 2 || l.Data[0].Status != "pending" ||
			l.Data[0].NextAttemptAt == nil || len(l.Data[0].Attempts) != 0 {
			t.Fatalf("pending deliveries: %+v", l)
		}

		startWorker(t, srv, paydwebhook.Config{})
		waitFor(t, "both events delivered", func() bool {
			return pendingWebhooks(t, srv, created.ID) == 0 && pendingWebhooks(t, srv, updated.ID) == 0
		})
		time.Sleep(50 * time.Millisecond) // nothing more may arrive
		var allTypes []string
		for _, r := range rc.requests("/all") {
			ev, err := webhook.ConstructEvent(r.body, r.header.Get("Stripe-Signature"), all.Secret)
			if err != nil {
				t.Fatal(err)
			}
			allTypes = append(allTypes, string(ev.Type))
			specvalidate.ValidateJSON(t, "event", r.body)
		}
		if len(allTypes) != 2 {
			t.Fatalf("* endpoint got %v", allTypes)
		}
		up := rc.requests("/updates")
		if len(up) != 1 {
			t.Fatalf("filtered endpoint got %d requests", len(up))
		}
		ev, err := webhook.ConstructEvent(up[0].body, up[0].header.Get("Stripe-Signature"), updates.Secret)
		if err != nil || ev.Type != "customer.updated" || ev.Data.PreviousAttributes["name"] != nil {
			t.Fatalf("filtered endpoint: %+v %v", ev, err)
		}
		for _, p := range []string{"/payments", "/off", "/other-account"} {
			if n := len(rc.requests(p)); n != 0 {
				t.Fatalf("%s got %d requests", p, n)
			}
		}
	})
}

// TestWebhook_RetriesUntilSuccess: a receiver answering 500 three times
// then 200 gets four attempts, all recorded, and then no more.
func TestWebhook_RetriesUntilSuccess(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		const failures = 3
		srv := paydtest.New(t, e)
		rc := newReceiver(t, func(_ string, n int) int {
			if n <= failures {
				return 500
			}
			return 200
		})
		sc := srv.Client(0)
		we := createEndpoint(t, sc, rc.URL+"/flaky", "customer.created")
		startWorker(t, srv, paydwebhook.Config{})
		if _, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{}); err != nil {
			t.Fatal(err)
		}
		evt := lastEvent(t, srv, 0).ID
		var l deliveryList
		waitFor(t, "the delivery to succeed", func() bool {
			l = deliveries(t, srv, srv.Accounts[0].Secret, evt)
			return l.Data[0].Status == "succeeded"
		})
		time.Sleep(200 * time.Millisecond) // ten retry intervals: nothing more may come
		if n := len(rc.requests("/flaky")); n != failures+1 {
			t.Fatalf("%d requests, want %d", n, failures+1)
		}
		l = deliveries(t, srv, srv.Accounts[0].Secret, evt)
		d := l.Data[0]
		if len(l.Data) != 1 || len(d.Attempts) != failures+1 || d.NextAttemptAt != nil {
			t.Fatalf("deliveries: %+v", l)
		}
		for i, a := range d.Attempts {
			want := 500
			if i == failures {
				want = 200
			}
			if a.HTTPStatus == nil || *a.HTTPStatus != want || *a.ResponseExcerpt != fmt.Sprintf(`{"received":%d}`, want) || a.Error != nil {
				t.Fatalf("attempt %d: %+v", i, a)
			}
		}
		// Every attempt was signed afresh and verifies.
		for _, r := range rc.requests("/flaky") {
			if _, err := webhook.ConstructEvent(r.body, r.header.Get("Stripe-Signature"), we.Secret); err != nil {
				t.Fatal(err)
			}
		}
		if n := pendingWebhooks(t, srv, evt); n != 0 {
			t.Fatalf("pending_webhooks %d", n)
		}
	})
}

// TestWebhook_GivesUpAfterSchedule: with no 2xx ever, a delivery is tried
// once plus once per schedule entry, then failed, and stops counting as
// pending; transport errors and timeouts are recorded as such.
func TestWebhook_GivesUpAfterSchedule(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		rc := newReceiver(t, func(string, int) int { return 503 })
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(500 * time.Millisecond):
			case <-r.Context().Done():
			}
		}))
		defer slow.Close()
		dead := httptest.NewServer(http.NotFoundHandler())
		deadURL := dead.URL + "/gone"
		dead.Close()
		sc := srv.Client(0)
		createEndpoint(t, sc, rc.URL+"/down", "*")
		createEndpoint(t, sc, deadURL, "*")
		createEndpoint(t, sc, slow.URL+"/slow", "*")
		schedule := paydwebhook.Schedule{10 * time.Millisecond, 10 * time.Millisecond}
		startWorker(t, srv, paydwebhook.Config{Schedule: schedule, Timeout: 100 * time.Millisecond})
		if _, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{}); err != nil {
			t.Fatal(err)
		}
		evt := lastEvent(t, srv, 0).ID
		var l deliveryList
		waitFor(t, "all three deliveries to fail", func() bool {
			l = deliveries(t, srv, srv.Accounts[0].Secret, evt)
			for _, d := range l.Data {
				if d.Status != "failed" {
					return false
				}
			}
			return true
		})
		byURL := map[string]int{}
		for i, d := range l.Data {
			byURL[d.URL] = i
			if len(d.Attempts) != len(schedule)+1 || d.NextAttemptAt != nil {
				t.Fatalf("%s: %d attempts: %+v", d.URL, len(d.Attempts), d)
			}
		}
		down := l.Data[byURL[rc.URL+"/down"]].Attempts[0]
		if *down.HTTPStatus != 503 || down.Error != nil {
			t.Fatalf("503 attempt: %+v", down)
		}
		gone := l.Data[byURL[deadURL]].Attempts[0]
		if gone.HTTPStatus != nil || gone.Error == nil || !strings.Contains(*gone.Error, "refused") {
			t.Fatalf("refused attempt: %+v", gone)
		}
		timeout := l.Data[byURL[slow.URL+"/slow"]].Attempts[0]
		if timeout.HTTPStatus != nil || timeout.Error == nil || *timeout.Error != "timed out after 100ms" {
			t.Fatalf("timed-out attempt: %+v %v", timeout, *timeout.Error)
		}
		if n := pendingWebhooks(t, srv, evt); n != 0 {
			t.Fatalf("pending_webhooks %d after giving up", n)
		}
		if n := len(rc.requests("/down")); n != len(schedule)+1 {
			t.Fatalf("receiver got %d attempts", n)
		}
	})
}

// TestWebhook_SlowEndpointDoesNotHoldUpOthers blocks one receiver entirely
// and checks that another endpoint gets every event meanwhile.
func TestWebhook_SlowEndpointDoesNotHoldUpOthers(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		release := make(chan struct{})
		stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer stuck.Close()
		defer close(release)
		rc := newReceiver(t, nil)
		sc := srv.Client(0)
		createEndpoint(t, sc, stuck.URL+"/stuck", "*")
		createEndpoint(t, sc, rc.URL+"/fast", "*")
		startWorker(t, srv, paydwebhook.Config{Concurrency: 8, PerEndpoint: 2, Batch: 2, Timeout: time.Minute})
		const n = 20
		for i := 0; i < n; i++ {
			if _, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{}); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, "every event at the healthy endpoint while the other hangs", func() bool {
			return len(rc.requests("/fast")) == n
		})
	})
}

func TestWebhook_ResendAndIsolation(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		rc := newReceiver(t, nil)
		sc := srv.Client(0)
		key, other := srv.Accounts[0].Secret, srv.Accounts[1].Secret
		main := createEndpoint(t, sc, rc.URL+"/main", "customer.created")
		side := createEndpoint(t, sc, rc.URL+"/side", "customer.deleted")
		startWorker(t, srv, paydwebhook.Config{})
		if _, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{}); err != nil {
			t.Fatal(err)
		}
		evt := lastEvent(t, srv, 0).ID
		waitFor(t, "first delivery", func() bool { return pendingWebhooks(t, srv, evt) == 0 })

		// Resend to every subscribed endpoint.
		r := srv.Do("POST", "/_payd/events/"+evt+"/resend", key, "")
		var l deliveryList
		if r.Status != 200 || json.Unmarshal([]byte(r.Body), &l) != nil || len(l.Data) != 1 ||
			l.Data[0].Endpoint != main.ID || l.Data[0].Status != "pending" || l.URL != "/_payd/events/"+evt+"/deliveries" {
			t.Fatalf("resend: %d %s", r.Status, r.Body)
		}
		// And to a named endpoint, subscribed or not.
		r = srv.Do("POST", "/_payd/events/"+evt+"/resend", key, "endpoint="+side.ID, "Idempotency-Key", "resend-1")
		if r.Status != 200 || !strings.Contains(r.Body, side.ID) {
			t.Fatalf("resend to endpoint: %d %s", r.Status, r.Body)
		}
		waitFor(t, "resent deliveries", func() bool {
			return len(rc.requests("/main")) == 2 && len(rc.requests("/side")) == 1 && pendingWebhooks(t, srv, evt) == 0
		})
		for _, got := range rc.requests("/side") {
			if _, err := webhook.ConstructEvent(got.body, got.header.Get("Stripe-Signature"), side.Secret); err != nil {
				t.Fatal(err)
			}
		}
		if l := deliveries(t, srv, key, evt); len(l.Data) != 3 {
			t.Fatalf("deliveries after resends: %d", len(l.Data))
		}
		// The idempotent replay does not send again.
		if r := srv.Do("POST", "/_payd/events/"+evt+"/resend", key, "endpoint="+side.ID, "Idempotency-Key", "resend-1"); r.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay: %d %s", r.Status, r.Body)
		}

		// Errors come in Stripe's envelope.
		cases := []struct {
			method, path, key, body string
			status                  int
			param                   string
		}{
			{"GET", "/_payd/events/" + evt + "/deliveries", other, "", 404, "id"},
			{"GET", "/_payd/events/evt_missing/deliveries", key, "", 404, "id"},
			{"POST", "/_payd/events/" + evt + "/resend", other, "", 404, "id"},
			{"POST", "/_payd/events/" + evt + "/resend", key, "endpoint=we_missing", 400, "endpoint"},
			{"POST", "/_payd/events/" + evt + "/resend", key, "bogus=1", 400, "bogus"},
			{"GET", "/_payd/events/" + evt + "/deliveries", srv.Accounts[0].Publishable, "", 403, ""},
			{"GET", "/_payd/events/" + evt + "/deliveries", "", "", 401, ""},
		}
		for _, tc := range cases {
			r := srv.Do(tc.method, tc.path, tc.key, tc.body)
			var env struct {
				Error struct {
					Type, Message, Param string
				}
			}
			if r.Status != tc.status || json.Unmarshal([]byte(r.Body), &env) != nil || env.Error.Message == "" ||
				env.Error.Param != tc.param || r.Header.Get("Request-Id") == "" {
				t.Fatalf("%s %s (%q): %d %s", tc.method, tc.path, tc.body, r.Status, r.Body)
			}
		}
		// The other account's endpoint of the same id space is not found.
		otherEP := createEndpoint(t, srv.Client(1), rc.URL+"/other", "*")
		if r := srv.Do("POST", "/_payd/events/"+evt+"/resend", key, "endpoint="+otherEP.ID); r.Status != 400 {
			t.Fatalf("resend to another account's endpoint: %d %s", r.Status, r.Body)
		}
		// A disabled endpoint is refused with the fix in the message.
		if _, err := sc.V1WebhookEndpoints.Update(ctx, side.ID, &stripe.WebhookEndpointUpdateParams{Disabled: stripe.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		if r := srv.Do("POST", "/_payd/events/"+evt+"/resend", key, "endpoint="+side.ID); r.Status != 400 || !strings.Contains(r.Body, "disabled=false") {
			t.Fatalf("resend to a disabled endpoint: %d %s", r.Status, r.Body)
		}
		if n := len(rc.requests("/other")); n != 0 {
			t.Fatalf("other account's endpoint got %d requests", n)
		}
	})
}

// TestWebhook_DisabledOrDeletedEndpointStopsRetries: deliveries still
// pending for an endpoint that is disabled or deleted are given up, as
// Stripe stops retrying, and stop counting as pending.
func TestWebhook_DisabledOrDeletedEndpointStopsRetries(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		rc := newReceiver(t, nil)
		sc := srv.Client(0)
		a := createEndpoint(t, sc, rc.URL+"/a", "*")
		b := createEndpoint(t, sc, rc.URL+"/b", "*")
		if _, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{}); err != nil {
			t.Fatal(err)
		}
		evt := lastEvent(t, srv, 0).ID
		if _, err := sc.V1WebhookEndpoints.Update(ctx, a.ID, &stripe.WebhookEndpointUpdateParams{Disabled: stripe.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1WebhookEndpoints.Delete(ctx, b.ID, nil); err != nil {
			t.Fatal(err)
		}
		if n := pendingWebhooks(t, srv, evt); n != 2 {
			t.Fatalf("pending_webhooks %d", n)
		}
		startWorker(t, srv, paydwebhook.Config{})
		waitFor(t, "both deliveries given up", func() bool { return pendingWebhooks(t, srv, evt) == 0 })
		l := deliveries(t, srv, srv.Accounts[0].Secret, evt)
		for _, d := range l.Data {
			if d.Status != "failed" || len(d.Attempts) != 0 {
				t.Fatalf("delivery: %+v", d)
			}
		}
		if n := len(rc.requests("")); n != 0 {
			t.Fatalf("%d requests to disabled or deleted endpoints", n)
		}
		// Events while an endpoint is disabled are never sent to it.
		if _, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{}); err != nil {
			t.Fatal(err)
		}
		if l := deliveries(t, srv, srv.Accounts[0].Secret, lastEvent(t, srv, 0).ID); len(l.Data) != 0 {
			t.Fatalf("deliveries for a disabled endpoint: %+v", l)
		}
	})
}

// TestWebhook_EndpointFailingTooLongIsDisabled compresses "days" to a
// fraction of a second.
func TestWebhook_EndpointFailingTooLongIsDisabled(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		rc := newReceiver(t, func(string, int) int { return 500 })
		sc := srv.Client(0)
		we := createEndpoint(t, sc, rc.URL+"/broken", "*")
		var logs syncBuffer
		startWorker(t, srv, paydwebhook.Config{
			DisableAfter: 150 * time.Millisecond,
			Schedule:     paydwebhook.Schedule{30 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond},
			Logger:       slog.New(slog.NewTextHandler(&logs, nil)),
		})
		if _, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{}); err != nil {
			t.Fatal(err)
		}
		evt := lastEvent(t, srv, 0).ID
		waitFor(t, "the endpoint to be disabled", func() bool {
			got, err := sc.V1WebhookEndpoints.Retrieve(ctx, we.ID, nil)
			return err == nil && got.Status == "disabled"
		})
		waitFor(t, "the log line", func() bool { return strings.Contains(logs.String(), "payd disabled a webhook endpoint") })
		if !strings.Contains(logs.String(), we.ID) {
			t.Fatalf("log line does not name the endpoint: %s", logs.String())
		}
		waitFor(t, "the delivery to be given up", func() bool { return pendingWebhooks(t, srv, evt) == 0 })
		n := len(rc.requests("/broken"))
		time.Sleep(100 * time.Millisecond)
		if m := len(rc.requests("/broken")); m != n {
			t.Fatalf("attempts continued after disabling: %d then %d", n, m)
		}
		// Re-enabled, it starts with a clean slate and receives again.
		if _, err := sc.V1WebhookEndpoints.Update(ctx, we.ID, &stripe.WebhookEndpointUpdateParams{Disabled: stripe.Bool(false)}); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "attempts after re-enabling", func() bool { return len(rc.requests("/broken")) > n })
	})
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
