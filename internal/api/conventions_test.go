package api_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/testutil/paydtest"
)

func TestAuth(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		acct := srv.Accounts[0]

		r := srv.Do("GET", "/v1/customers", "", "")
		if r.Status != 401 || !strings.Contains(r.Body, `"type":"invalid_request_error"`) || !strings.Contains(r.Body, "did not provide an API key") {
			t.Fatalf("no key: %d %s", r.Status, r.Body)
		}
		r = srv.Do("GET", "/v1/customers", "sk_test_unknown0000000000000", "")
		if r.Status != 401 || !strings.Contains(r.Body, "Invalid API Key provided: sk_test_") || strings.Contains(r.Body, "unknown000") {
			t.Fatalf("unknown key: %d %s", r.Status, r.Body)
		}
		// Basic auth with the key as user name, as stripe-go and curl -u send it.
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(acct.Secret+":"))
		r = srv.Do("GET", "/v1/customers", "", "", "Authorization", basic)
		if r.Status != 200 {
			t.Fatalf("basic auth: %d %s", r.Status, r.Body)
		}
		// A publishable key may not use the Customers API.
		_, err := srv.ClientKey(acct.Publishable).V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
		stripeErr(t, err, 403, "invalid_request_error", "secret_key_required", "")
		r = srv.Do("GET", "/v1/events", acct.Publishable, "")
		if r.Status != 403 {
			t.Fatalf("publishable events: %d", r.Status)
		}
		// Every response carries a Request-Id, errors and unknown routes too.
		for _, path := range []string{"/v1/customers", "/v1/nope", "/"} {
			r = srv.Do("GET", path, acct.Secret, "")
			if !strings.HasPrefix(r.Header.Get("Request-Id"), "req_") {
				t.Fatalf("%s: no Request-Id", path)
			}
		}
		r = srv.Do("GET", "/v1/nope", acct.Secret, "")
		if r.Status != 404 || !strings.Contains(r.Body, "Unrecognized request URL") {
			t.Fatalf("unknown route: %d %s", r.Status, r.Body)
		}
		r = srv.Do("PUT", "/v1/customers", acct.Secret, "")
		if r.Status != 404 || !strings.Contains(r.Body, `"error"`) {
			t.Fatalf("unknown method: %d %s", r.Status, r.Body)
		}
		// Any Stripe-Version is accepted; responses name the version served.
		for _, v := range []string{"2020-08-27", "2026-03-25.dahlia"} {
			r = srv.Do("GET", "/v1/customers", acct.Secret, "", "Stripe-Version", v)
			if r.Status != 200 || r.Header.Get("Stripe-Version") != "2026-08-26.dahlia" {
				t.Fatalf("Stripe-Version %s: %d %q", v, r.Status, r.Header.Get("Stripe-Version"))
			}
		}
		r = srv.Do("GET", "/v1/customers", acct.Secret, "", "Stripe-Version", "yesterday")
		if r.Status != 400 || !strings.Contains(r.Body, "Invalid Stripe API version") {
			t.Fatalf("bad Stripe-Version: %d %s", r.Status, r.Body)
		}
	})
}

// TestIsolation checks every endpoint: the other account's ids answer
// exactly what an id that never existed answers.
func TestIsolation(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		a, b := srv.Accounts[0].Secret, srv.Accounts[1].Secret
		c, err := srv.Client(0).V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("a@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		evts := srv.Do("GET", "/v1/events?limit=1", a, "")
		var page struct{ Data []struct{ ID string } }
		json.Unmarshal([]byte(evts.Body), &page)
		if len(page.Data) != 1 {
			t.Fatalf("events: %s", evts.Body)
		}
		evt := page.Data[0].ID
		cases := []struct{ method, path, body, foreign, missing string }{
			{"GET", "/v1/customers/%s", "", c.ID, "cus_doesnotexist"},
			{"POST", "/v1/customers/%s", "name=x", c.ID, "cus_doesnotexist"},
			{"DELETE", "/v1/customers/%s", "", c.ID, "cus_doesnotexist"},
			{"GET", "/v1/customers/%s/payment_methods", "", c.ID, "cus_doesnotexist"},
			{"GET", "/v1/customers?starting_after=%s", "", c.ID, "cus_doesnotexist"},
			{"GET", "/v1/customers?ending_before=%s", "", c.ID, "cus_doesnotexist"},
			{"GET", "/v1/events/%s", "", evt, "evt_doesnotexist"},
			{"GET", "/v1/events?starting_after=%s", "", evt, "evt_doesnotexist"},
		}
		for _, tc := range cases {
			foreign := srv.Do(tc.method, fmt.Sprintf(tc.path, tc.foreign), b, tc.body)
			missing := srv.Do(tc.method, fmt.Sprintf(tc.path, tc.missing), b, tc.body)
			// An object the URL names is a 404; one a parameter (a cursor)
			// refers to is a 400, as on Stripe.
			want := 404
			if strings.Contains(tc.path, "?") {
				want = 400
			}
			if foreign.Status != want || missing.Status != want {
				t.Fatalf("%s %s: foreign %d, missing %d", tc.method, tc.path, foreign.Status, missing.Status)
			}
			if strings.ReplaceAll(foreign.Body, tc.foreign, "ID") != strings.ReplaceAll(missing.Body, tc.missing, "ID") {
				t.Fatalf("%s %s: foreign and missing differ:\n%s\n%s", tc.method, tc.path, foreign.Body, missing.Body)
			}
		}
		// Lists of b show nothing of a.
		for _, path := range []string{"/v1/customers", "/v1/events", "/v1/customers?email=a@example.com"} {
			r := srv.Do("GET", path, b, "")
			if r.Status != 200 || !strings.Contains(r.Body, `"data":[]`) {
				t.Fatalf("%s for b: %s", path, r.Body)
			}
		}
		// And a's customer is untouched by b's attempts.
		got, err := srv.Client(0).V1Customers.Retrieve(ctx, c.ID, nil)
		if err != nil || got.Deleted || got.Name != "" {
			t.Fatalf("a's customer changed: %+v %v", got, err)
		}
	})
}

func TestIdempotency(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		st, url := e.Open(t)
		srv := paydtest.Start(t, st)
		sk := srv.Accounts[0].Secret

		first := srv.Do("POST", "/v1/customers", sk, "email=a@example.com&metadata[k]=v", "Idempotency-Key", "key-1")
		again := srv.Do("POST", "/v1/customers", sk, "metadata[k]=v&email=a@example.com", "Idempotency-Key", "key-1")
		if first.Status != 200 || again.Status != 200 || first.Body != again.Body {
			t.Fatalf("replay: %d %d\n%s\n%s", first.Status, again.Status, first.Body, again.Body)
		}
		if again.Header.Get("Idempotent-Replayed") != "true" || first.Header.Get("Idempotent-Replayed") != "" {
			t.Fatal("Idempotent-Replayed header")
		}
		// Same key, other parameters.
		r := srv.Do("POST", "/v1/customers", sk, "email=b@example.com", "Idempotency-Key", "key-1")
		if r.Status != 400 || !strings.Contains(r.Body, `"type":"idempotency_error"`) {
			t.Fatalf("changed params: %d %s", r.Status, r.Body)
		}
		// Same key, other account: independent.
		r = srv.Do("POST", "/v1/customers", srv.Accounts[1].Secret, "email=b@example.com", "Idempotency-Key", "key-1")
		if r.Status != 200 || r.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("other account: %d %s", r.Status, r.Body)
		}
		// A request that fails validation stores nothing: the key is free.
		r = srv.Do("POST", "/v1/customers", sk, "bogus=1", "Idempotency-Key", "key-2")
		if r.Status != 400 {
			t.Fatalf("invalid: %d", r.Status)
		}
		r = srv.Do("POST", "/v1/customers", sk, "metadata[k]="+strings.Repeat("x", 501), "Idempotency-Key", "key-2")
		if r.Status != 400 {
			t.Fatalf("invalid after decoding: %d", r.Status)
		}
		r = srv.Do("POST", "/v1/customers", sk, "email=c@example.com", "Idempotency-Key", "key-2")
		if r.Status != 200 || r.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("after invalid: %d %s", r.Status, r.Body)
		}

		// Many goroutines, one key: exactly one customer; everyone else
		// replays it or is told the key is in flight (409).
		var wg sync.WaitGroup
		var mu sync.Mutex
		bodies := map[string]int{}
		statuses := map[int]int{}
		for i := 0; i < 24; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := srv.Do("POST", "/v1/customers", sk, "email=race@example.com", "Idempotency-Key", "race")
				mu.Lock()
				defer mu.Unlock()
				statuses[r.Status]++
				if r.Status == 200 {
					bodies[r.Body]++
				}
			}()
		}
		wg.Wait()
		if len(bodies) != 1 || statuses[200]+statuses[409] != 24 {
			t.Fatalf("concurrent: statuses %v, %d distinct bodies", statuses, len(bodies))
		}
		n := 0
		for _, err := range srv.Client(0).V1Customers.List(ctx, &stripe.CustomerListParams{Email: stripe.String("race@example.com")}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 1 {
			t.Fatalf("concurrent: %d customers created, want 1", n)
		}

		// Across a restart: the stored response survives.
		srv.Close()
		st.Close()
		srv2 := paydtest.Start(t, e.Reopen(t, url))
		r = srv2.Do("POST", "/v1/customers", sk, "email=a@example.com&metadata[k]=v", "Idempotency-Key", "key-1")
		if r.Status != 200 || r.Body != first.Body || r.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("after restart: %d %s", r.Status, r.Body)
		}
		// The stripe-go SDK's own idempotency keys work the same way.
		p := &stripe.CustomerCreateParams{Email: stripe.String("sdk@example.com")}
		p.SetIdempotencyKey("sdk-key")
		c1, err := srv2.Client(0).V1Customers.Create(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		p2 := &stripe.CustomerCreateParams{Email: stripe.String("sdk@example.com")}
		p2.SetIdempotencyKey("sdk-key")
		c2, err := srv2.Client(0).V1Customers.Create(ctx, p2)
		if err != nil || c1.ID != c2.ID {
			t.Fatalf("sdk replay: %v %v", c1.ID, err)
		}
		if c2.LastResponse.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatal("sdk replay not marked")
		}
	})
}

func TestEvents(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		p := &stripe.CustomerCreateParams{Email: stripe.String("a@example.com"), Metadata: map[string]string{"a": "1", "b": "2"}}
		p.SetIdempotencyKey("evt-key")
		c, err := sc.V1Customers.Create(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		up := &stripe.CustomerUpdateParams{Name: stripe.String("Ann")}
		up.AddMetadata("a", "")
		up.AddMetadata("c", "3")
		if _, err := sc.V1Customers.Update(ctx, c.ID, up); err != nil {
			t.Fatal(err)
		}
		// An update that fails leaves no event behind.
		bad := &stripe.CustomerUpdateParams{Name: stripe.String("Bob")}
		bad.AddMetadata("x", strings.Repeat("y", 501))
		if _, err := sc.V1Customers.Update(ctx, c.ID, bad); err == nil {
			t.Fatal("oversized metadata accepted")
		}
		// An update that changes nothing records no event either.
		if _, err := sc.V1Customers.Update(ctx, c.ID, &stripe.CustomerUpdateParams{Name: stripe.String("Ann")}); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1Customers.Delete(ctx, c.ID, nil); err != nil {
			t.Fatal(err)
		}

		var events []*stripe.Event
		for ev, err := range sc.V1Events.List(ctx, &stripe.EventListParams{}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			events = append(events, ev)
		}
		var types []string
		for _, ev := range events {
			types = append(types, string(ev.Type))
		}
		if strings.Join(types, ",") != "customer.deleted,customer.updated,customer.created" {
			t.Fatalf("events: %v", types)
		}
		created, updated := events[2], events[1]
		if created.Data.Object["id"] != c.ID || created.Request == nil || created.Request.IdempotencyKey != "evt-key" ||
			!strings.HasPrefix(created.Request.ID, "req_") || created.APIVersion != "2026-08-26.dahlia" {
			t.Fatalf("created event: %+v", created)
		}
		prev := updated.Data.PreviousAttributes
		md, _ := prev["metadata"].(map[string]any)
		if _, ok := prev["name"]; !ok || prev["name"] != nil || md["a"] != "1" || md["c"] != nil || len(md) != 2 || updated.Data.Object["name"] != "Ann" {
			t.Fatalf("previous_attributes: %v", prev)
		}
		if _, ok := prev["email"]; ok {
			t.Fatalf("unchanged field in previous_attributes: %v", prev)
		}

		got, err := sc.V1Events.Retrieve(ctx, updated.ID, nil)
		if err != nil || got.ID != updated.ID || got.Type != "customer.updated" {
			t.Fatalf("retrieve: %+v %v", got, err)
		}
		countType := func(lp *stripe.EventListParams) int {
			n := 0
			for _, err := range sc.V1Events.List(ctx, lp).All(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			return n
		}
		if n := countType(&stripe.EventListParams{Type: stripe.String("customer.updated")}); n != 1 {
			t.Fatalf("type filter: %d", n)
		}
		if n := countType(&stripe.EventListParams{Type: stripe.String("customer.*")}); n != 3 {
			t.Fatalf("wildcard: %d", n)
		}
		if n := countType(&stripe.EventListParams{Types: []*string{stripe.String("customer.created"), stripe.String("customer.deleted")}}); n != 2 {
			t.Fatalf("types[]: %d", n)
		}
		if n := countType(&stripe.EventListParams{Type: stripe.String("charge.succeeded")}); n != 0 {
			t.Fatalf("other type: %d", n)
		}
		r := srv.Do("GET", "/v1/events?type=a&types[]=b", srv.Accounts[0].Secret, "")
		if r.Status != 400 {
			t.Fatalf("type and types: %d", r.Status)
		}
	})
}

// TestTwoNodes runs two payd servers over one PostgreSQL database: writes
// through either are visible through both and idempotency holds across them.
func TestTwoNodes(t *testing.T) {
	e := paydtest.Engines[1]
	st1, url := e.Open(t)
	n1 := paydtest.Start(t, st1)
	n2 := paydtest.Start(t, e.Reopen(t, url))
	sk := n1.Accounts[0].Secret
	if n2.Accounts[0].Secret != sk {
		t.Fatal("nodes disagree on accounts")
	}
	for i := 0; i < 10; i++ {
		node := n1
		if i%2 == 1 {
			node = n2
		}
		if r := node.Do("POST", "/v1/customers", sk, fmt.Sprintf("email=n%d@example.com", i)); r.Status != 200 {
			t.Fatalf("create on node %d: %d %s", i%2+1, r.Status, r.Body)
		}
	}
	for _, node := range []*paydtest.Server{n1, n2} {
		r := node.Do("GET", "/v1/customers?limit=100", sk, "")
		if c := strings.Count(r.Body, `"object":"customer"`); c != 10 {
			t.Fatalf("node lists %d customers, want 10", c)
		}
	}
	// One key sent to both nodes at once: one customer.
	var wg sync.WaitGroup
	statuses := make([]int, 16)
	bodies := make([]string, 16)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			node := n1
			if i%2 == 1 {
				node = n2
			}
			r := node.Do("POST", "/v1/customers", sk, "email=both@example.com", "Idempotency-Key", "two-nodes")
			statuses[i], bodies[i] = r.Status, r.Body
		}()
	}
	wg.Wait()
	var ok string
	for i, s := range statuses {
		switch s {
		case http.StatusOK:
			if ok != "" && bodies[i] != ok {
				t.Fatal("two different responses for one key")
			}
			ok = bodies[i]
		case http.StatusConflict:
		default:
			t.Fatalf("status %d: %s", s, bodies[i])
		}
	}
	r := n2.Do("GET", "/v1/customers?email=both@example.com", sk, "")
	if c := strings.Count(r.Body, `"object":"customer"`); c != 1 {
		t.Fatalf("%d customers for one key across nodes", c)
	}
}

// TestLargeResponses_ArriveWhole: a response larger than net/http's buffer
// in front of the connection (here a page of 40 customers of about 4 KB
// each) leaves in several writes held back and sent as one; it must reach
// the client whole, with the length it announces.
func TestLargeResponses_ArriveWhole(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		var ids []string
		for i := range 40 {
			meta := map[string]string{}
			for k := range 10 {
				meta[fmt.Sprintf("k%d", k)] = strings.Repeat(string(rune('a'+(i+k)%26)), 400)
			}
			c, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
				Email:  stripe.String(fmt.Sprintf("big%d@example.com", i)),
				Params: stripe.Params{Metadata: meta},
			})
			if err != nil {
				t.Fatal(err)
			}
			ids = append([]string{c.ID}, ids...) // newest first
		}
		res := srv.Do("GET", "/v1/customers?limit=40", srv.Accounts[0].Secret, "")
		if res.Status != 200 {
			t.Fatalf("status %d: %s", res.Status, res.Body)
		}
		if n := res.Header.Get("Content-Length"); n != strconv.Itoa(len(res.Body)) || len(res.Body) < 40*4000 {
			t.Fatalf("Content-Length %s for a body of %d bytes", n, len(res.Body))
		}
		var page struct {
			Data []struct {
				ID       string            `json:"id"`
				Metadata map[string]string `json:"metadata"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(res.Body), &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Data) != len(ids) {
			t.Fatalf("got %d customers, want %d", len(page.Data), len(ids))
		}
		for i, c := range page.Data {
			if c.ID != ids[i] || len(c.Metadata["k9"]) != 400 {
				t.Fatalf("customer %d: %s with k9 of %d bytes, want %s with 400", i, c.ID, len(c.Metadata["k9"]), ids[i])
			}
		}
		var listed int
		for _, err := range sc.V1Customers.List(ctx, &stripe.CustomerListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(40)}}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			listed++
		}
		if listed != len(ids) {
			t.Fatalf("stripe-go listed %d customers, want %d", listed, len(ids))
		}
	})
}
