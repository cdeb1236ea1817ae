package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/store"
	"github.com/payd/payd/internal/testutil/paydtest"
	"github.com/payd/payd/internal/webhook"
)

var ctx = context.Background()

// counter is a receiver that counts deliveries per event id.
type counter struct {
	*httptest.Server
	mu     sync.Mutex
	counts map[string]int
	total  atomic.Int64
}

func newCounter(t testing.TB) *counter {
	c := &counter{counts: map[string]int{}}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			ID string `json:"id"`
		}
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &ev)
		c.mu.Lock()
		c.counts[ev.ID]++
		c.mu.Unlock()
		c.total.Add(1)
	}))
	t.Cleanup(c.Close)
	return c
}

// tally returns how many distinct events arrived and how many arrived
// more than once.
func (c *counter) tally() (distinct, duplicates int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.counts {
		distinct++
		if n > 1 {
			duplicates += n - 1
		}
	}
	return distinct, duplicates
}

func run(t testing.TB, cfg webhook.Config) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Poll == 0 {
		cfg.Poll = 5 * time.Millisecond
	}
	w := webhook.New(cfg)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(runCtx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func endpoint(t testing.TB, srv *paydtest.Server, url string) *stripe.WebhookEndpoint {
	we, err := srv.Client(0).V1WebhookEndpoints.Create(ctx, &stripe.WebhookEndpointCreateParams{
		URL: stripe.String(url), EnabledEvents: []*string{stripe.String("*")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return we
}

// recordEvents writes n customer.created events straight into the store,
// in transactions of up to 1,000, the way the API records them.
func recordEvents(t testing.TB, st store.Store, account string, n int) {
	obj := []byte(`{"id":"cus_x","object":"customer"}`)
	for done := 0; done < n; {
		batch := min(1000, n-done)
		err := st.Update(ctx, func(tx store.Tx) error {
			for i := 0; i < batch; i++ {
				if _, err := event.Record(ctx, tx, account, time.Now().Unix(), "customer.created", obj, nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		done += batch
	}
}

// TestWorker_TwoWorkersNeverSendTheSameDelivery runs two workers (on
// PostgreSQL, over two separate connection pools, as two nodes would) and
// checks every event arrives exactly once.
func TestWorker_TwoWorkersNeverSendTheSameDelivery(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		st, url := e.Open(t)
		srv := paydtest.Start(t, st)
		second := st
		if e.Name == "postgres" {
			second = e.Reopen(t, url)
		}
		c := newCounter(t)
		endpoint(t, srv, c.URL+"/count")
		run(t, webhook.Config{Store: st, Batch: 8})
		run(t, webhook.Config{Store: second, Batch: 8})
		const n = 400
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < n/4; i++ {
					if _, err := srv.Client(0).V1Customers.Create(ctx, &stripe.CustomerCreateParams{}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		waitFor(t, "every event", func() bool { d, _ := c.tally(); return d == n })
		time.Sleep(100 * time.Millisecond)
		if d, dup := c.tally(); d != n || dup != 0 {
			t.Fatalf("%d distinct events, %d duplicates; want %d and 0", d, dup, n)
		}
	})
}

// TestWorker_LeaseOfADeadWorkerExpires claims deliveries as a worker that
// then dies would (lease taken, nothing sent, nothing recorded) and checks
// that a live worker sends each of them once the lease ends.
func TestWorker_LeaseOfADeadWorkerExpires(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		c := newCounter(t)
		we := endpoint(t, srv, c.URL+"/count")
		const n = 50
		recordEvents(t, srv.Store, srv.Accounts[0].Account, n)
		now := time.Now()
		var claimed []store.Delivery
		err := srv.Store.Update(ctx, func(tx store.Tx) error {
			var err error
			claimed, err = tx.ClaimDeliveries(ctx, store.Claim{Endpoint: we.ID, Now: now.UnixMilli(), LeaseUntil: now.Add(300 * time.Millisecond).UnixMilli(),
				Lease: "dead-worker", Limit: n})
			return err
		})
		if err != nil || len(claimed) != n {
			t.Fatalf("claimed %d: %v", len(claimed), err)
		}
		run(t, webhook.Config{Store: srv.Store})
		time.Sleep(100 * time.Millisecond)
		if got := c.total.Load(); got != 0 {
			t.Fatalf("%d sent while the lease held", got)
		}
		waitFor(t, "every leased delivery", func() bool { d, _ := c.tally(); return d == n })
		time.Sleep(50 * time.Millisecond)
		if d, dup := c.tally(); d != n || dup != 0 {
			t.Fatalf("%d distinct, %d duplicates", d, dup)
		}
		// The dead worker's late report cannot overwrite the live one's.
		err = srv.Store.Update(ctx, func(tx store.Tx) error {
			d := claimed[0]
			d.Status = store.DeliveryFailed
			owned, err := tx.FinishAttempt(ctx, d, "dead-worker", store.Attempt{AttemptedAt: now.UnixMilli(), Error: "late"})
			if owned {
				t.Error("an expired lease still owned its delivery")
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "all deliveries recorded", func() bool {
			var ds []store.Delivery
			srv.Store.View(ctx, func(tx store.Tx) error {
				var err error
				ds, err = tx.EventDeliveries(ctx, srv.Accounts[0].Account, claimed[0].Event)
				return err
			})
			return len(ds) == 1 && ds[0].Status == store.DeliverySucceeded
		})
	})
}

// TestWorker_MemoryFlatWithLargeBacklog queues 100,000 deliveries and
// checks that the worker's heap does not grow with the queue: it claims a
// batch at a time, never the backlog.
func TestWorker_MemoryFlatWithLargeBacklog(t *testing.T) {
	if testing.Short() {
		t.Skip("queues 100,000 deliveries")
	}
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		const backlog = 100_000
		srv := paydtest.New(t, e)
		c := newCounter(t)
		endpoint(t, srv, c.URL+"/count")
		start := time.Now()
		recordEvents(t, srv.Store, srv.Accounts[0].Account, backlog)
		t.Logf("%s: queued %d deliveries in %s", e.Name, backlog, time.Since(start).Round(time.Millisecond))
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapAlloc
		run(t, webhook.Config{Store: srv.Store})
		var peak uint64
		began := time.Now()
		for time.Since(began) < 3*time.Second {
			time.Sleep(50 * time.Millisecond)
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		sent := c.total.Load()
		t.Logf("%s: %d delivered in 3s (%.0f/s) with %d queued; heap %d MB before, peak %d MB",
			e.Name, sent, float64(sent)/3, backlog, base>>20, peak>>20)
		if sent == 0 {
			t.Fatal("nothing delivered")
		}
		if sent >= backlog {
			t.Fatal("the whole backlog went out: the test measured nothing")
		}
		if growth := int64(peak) - int64(base); growth > 64<<20 {
			t.Fatalf("heap grew by %d MB with a backlog of %d", growth>>20, backlog)
		}
	})
}
