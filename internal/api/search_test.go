package api_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/testutil/paydtest"
)

// searchCustomers runs query through the SDK's search iterator, every page
// of it, and returns the ids found in order.
func searchCustomers(t *testing.T, sc *stripe.Client, query string) []string {
	t.Helper()
	var ids []string
	for c, err := range sc.V1Customers.Search(ctx, &stripe.CustomerSearchParams{SearchParams: stripe.SearchParams{Query: query}}).All(ctx) {
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		ids = append(ids, c.ID)
	}
	return ids
}

func searchPaymentIntents(t *testing.T, sc *stripe.Client, query string) []string {
	t.Helper()
	var ids []string
	for pi, err := range sc.V1PaymentIntents.Search(ctx, &stripe.PaymentIntentSearchParams{SearchParams: stripe.SearchParams{Query: query}}).All(ctx) {
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		ids = append(ids, pi.ID)
	}
	return ids
}

func searchCharges(t *testing.T, sc *stripe.Client, query string) []string {
	t.Helper()
	var ids []string
	for ch, err := range sc.V1Charges.Search(ctx, &stripe.ChargeSearchParams{SearchParams: stripe.SearchParams{Query: query}}).All(ctx) {
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		ids = append(ids, ch.ID)
	}
	return ids
}

// sameIDs fails unless got is want, in order (newest first).
func sameIDs(t *testing.T, query string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %v\nwant %v", query, got, want)
	}
}

func TestSearch_Customers(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc, other := srv.Client(0), srv.Client(1)
		create := func(sc *stripe.Client, p *stripe.CustomerCreateParams) string {
			t.Helper()
			c, err := sc.V1Customers.Create(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			return c.ID
		}
		jenny := create(sc, &stripe.CustomerCreateParams{Email: stripe.String("jenny.rosen@example.com"), Name: stripe.String("Jenny Rosen"),
			Phone: stripe.String("+15555550100"), Metadata: map[string]string{"tier": "gold", "order": "6735"}})
		amy := create(sc, &stripe.CustomerCreateParams{Email: stripe.String("amy@rocketrides.io"), Name: stripe.String("Amy Tan"),
			Metadata: map[string]string{"tier": "silver"}})
		ops := create(sc, &stripe.CustomerCreateParams{Email: stripe.String("Ops@Example.com")})
		gone := create(sc, &stripe.CustomerCreateParams{Email: stripe.String("jenny.rosen@example.com"), Name: stripe.String("Jenny Rosen"),
			Metadata: map[string]string{"tier": "gold"}})
		if _, err := sc.V1Customers.Delete(ctx, gone, nil); err != nil {
			t.Fatal(err)
		}
		theirs := create(other, &stripe.CustomerCreateParams{Email: stripe.String("jenny.rosen@example.com"), Name: stripe.String("Jenny Rosen"),
			Metadata: map[string]string{"tier": "gold"}})
		created, err := sc.V1Customers.Retrieve(ctx, jenny, nil)
		if err != nil {
			t.Fatal(err)
		}
		since := created.Created

		for _, tc := range []struct {
			query string
			want  []string
		}{
			// Exact matches ignore case; the deleted customer and the other
			// account's never appear.
			{`email:"jenny.rosen@example.com"`, []string{jenny}},
			{`email:"JENNY.ROSEN@example.com"`, []string{jenny}},
			{`email:'ops@example.com'`, []string{ops}},
			{`email:"rosen@example.com"`, nil},
			{`email~"example.com"`, []string{ops, jenny}},
			{`email~"EXAMPLE"`, []string{ops, jenny}},
			{`name~"tan"`, []string{amy}},
			{`name:"amy tan"`, []string{amy}},
			{`phone:"+15555550100"`, []string{jenny}},
			{`phone~"5555"`, []string{jenny}},
			{`name:null`, []string{ops}},
			{`-name:null`, []string{amy, jenny}},
			{`-email:"amy@rocketrides.io"`, []string{ops, jenny}},
			{`metadata["tier"]:"gold"`, []string{jenny}},
			{`metadata['tier']:'silver'`, []string{amy}},
			{`metadata["order"]:6735`, []string{jenny}},
			{`-metadata["tier"]:"gold"`, []string{ops, amy}},
			{`metadata["tier"]:null`, []string{ops}},
			{`metadata["tier"]:"gold" AND name~"jen"`, []string{jenny}},
			{`metadata["tier"]:"gold" name~"amy"`, nil},
			{`metadata["tier"]:"gold" OR metadata["tier"]:"silver"`, []string{amy, jenny}},
			{`email~"rocketrides" or name:null`, []string{ops, amy}},
			{fmt.Sprintf(`created>=%d`, since), []string{ops, amy, jenny}},
			{fmt.Sprintf(`created<%d`, since), nil},
			{fmt.Sprintf(`created>=%d AND created<=%d AND email~"rocket"`, since, since+3600), []string{amy}},
		} {
			sameIDs(t, tc.query, searchCustomers(t, sc, tc.query), tc.want...)
		}
		sameIDs(t, "other account", searchCustomers(t, other, `email:"jenny.rosen@example.com"`), theirs)
		sameIDs(t, "other account", searchCustomers(t, other, `metadata["tier"]:"silver"`))
	})
}

func TestSearch_PaymentIntents(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc, other := srv.Client(0), srv.Client(1)
		a, b := newCustomer(t, sc), newCustomer(t, sc)
		pi := func(sc *stripe.Client, p *stripe.PaymentIntentCreateParams) string {
			t.Helper()
			p.PaymentMethodTypes = []*string{stripe.String("card")}
			got, err := createPI(t, sc, p)
			if err != nil {
				t.Fatal(err)
			}
			return got.ID
		}
		open := pi(sc, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(1000), Customer: stripe.String(a),
			Metadata: map[string]string{"order": "1"}})
		paid := pi(sc, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(2500), Customer: stripe.String(a),
			PaymentMethod: stripe.String("pm_card_visa"), Confirm: stripe.Bool(true), Metadata: map[string]string{"order": "2"}})
		euro := pi(sc, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(5000), Currency: stripe.String("eur"), Customer: stripe.String(b),
			PaymentMethod: stripe.String("pm_card_visa"), Confirm: stripe.Bool(true)})
		held := pi(sc, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(700), Currency: stripe.String("gbp"),
			PaymentMethod: stripe.String("pm_card_visa"), Confirm: stripe.Bool(true), CaptureMethod: stripe.String("manual")})
		theirs := pi(other, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(2500)})

		for _, tc := range []struct {
			query string
			want  []string
		}{
			{`amount>1000`, []string{euro, paid}},
			{`amount>=1000`, []string{euro, paid, open}},
			{`amount<1000`, []string{held}},
			{`amount<=2500 AND amount>700`, []string{paid, open}},
			{`amount:5000`, []string{euro}},
			{`amount:"2500"`, []string{paid}},
			{`-amount>1000`, []string{held, open}},
			{`currency:"EUR"`, []string{euro}},
			{`-currency:"usd"`, []string{held, euro}},
			{`status:"succeeded"`, []string{euro, paid}},
			{`status:"requires_capture"`, []string{held}},
			{`status:"requires_payment_method"`, []string{open}},
			// An exact customer in a query of ANDs reads the customer
			// index; the answers are the same as a scan's.
			{`customer:"` + a + `"`, []string{paid, open}},
			{`customer:"` + a + `" AND status:"succeeded"`, []string{paid}},
			{`customer:"` + a + `" customer:"` + b + `"`, nil},
			{`customer:"` + a + `" OR customer:"` + b + `"`, []string{euro, paid, open}},
			{`-customer:"` + a + `"`, []string{held, euro}},
			{`customer:null`, []string{held}},
			{`metadata["order"]:"2"`, []string{paid}},
			{`metadata["order"]:"2" OR metadata["order"]:"1"`, []string{paid, open}},
			{`currency:"gbp" OR amount:5000`, []string{held, euro}},
		} {
			sameIDs(t, tc.query, searchPaymentIntents(t, sc, tc.query), tc.want...)
		}
		sameIDs(t, "other account", searchPaymentIntents(t, other, `amount:2500`), theirs)
		sameIDs(t, "other account", searchPaymentIntents(t, other, `customer:"`+a+`"`))

		// expand[] reaches into data, as on lists.
		l := sc.V1PaymentIntents.Search(ctx, &stripe.PaymentIntentSearchParams{
			SearchParams: stripe.SearchParams{Query: `customer:"` + b + `"`}, Expand: []*string{stripe.String("data.customer")}})
		if err := l.Err(); err != nil {
			t.Fatal(err)
		}
		if d := l.Data(); len(d) != 1 || d[0].Customer == nil || d[0].Customer.ID != b || d[0].Customer.Email != "jenny.rosen@example.com" {
			t.Fatalf("expanded: %+v", d)
		}
	})
}

func TestSearch_Charges(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc, other := srv.Client(0), srv.Client(1)
		cus := newCustomer(t, sc)
		cardOnly := []*string{stripe.String("card")}

		_, visa := paidIntent(t, sc, 2000, &stripe.PaymentIntentCreateParams{Customer: stripe.String(cus),
			Metadata: map[string]string{"order_id": "6735"}})
		if _, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(visa)}); err != nil {
			t.Fatal(err)
		}
		if _, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(3000), Currency: stripe.String("eur"),
			PaymentMethod: stripe.String("pm_card_mastercard"), Confirm: stripe.Bool(true), PaymentMethodTypes: cardOnly}); err != nil {
			t.Fatal(err)
		}
		_, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(1500),
			PaymentMethod: stripe.String("pm_card_chargeDeclined"), Confirm: stripe.Bool(true), PaymentMethodTypes: cardOnly})
		stripeErr(t, err, 402, "card_error", "card_declined", "")
		p := cardParams("4000056655665556", "")
		p.Card.ExpMonth, p.Card.ExpYear = stripe.Int64(11), stripe.Int64(pmExpYear+1)
		p.BillingDetails = &stripe.PaymentMethodCreateBillingDetailsParams{
			Address: &stripe.AddressParams{PostalCode: stripe.String("10115"), Country: stripe.String("DE")}}
		pm, err := sc.V1PaymentMethods.Create(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(4200),
			PaymentMethod: stripe.String(pm.ID), Confirm: stripe.Bool(true), PaymentMethodTypes: cardOnly}); err != nil {
			t.Fatal(err)
		}
		paidIntent(t, other, 2000, nil)

		// What each query should find is read off the charges themselves.
		var all []*stripe.Charge
		for ch, err := range sc.V1Charges.List(ctx, &stripe.ChargeListParams{}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, ch)
		}
		if len(all) != 4 {
			t.Fatalf("%d charges", len(all))
		}
		var visaCharge *stripe.Charge
		for _, ch := range all {
			if ch.ID == visa {
				visaCharge = ch
			}
		}
		card := visaCharge.PaymentMethodDetails.Card
		isCard := func(ch *stripe.Charge) bool {
			return ch.PaymentMethodDetails != nil && ch.PaymentMethodDetails.Card != nil
		}
		for _, tc := range []struct {
			query string
			match func(*stripe.Charge) bool
			n     int
		}{
			{`payment_method_details.card.last4:"4242"`, func(ch *stripe.Charge) bool { return ch.ID == visa }, 1},
			{`payment_method_details.card.last4:4444`, func(ch *stripe.Charge) bool { return ch.Currency == "eur" }, 1},
			{`payment_method_details.card.brand:"mastercard"`, func(ch *stripe.Charge) bool { return ch.Currency == "eur" }, 1},
			{`payment_method_details.card.brand:"Visa"`, func(ch *stripe.Charge) bool { return isCard(ch) && ch.PaymentMethodDetails.Card.Brand == "visa" }, 3},
			{`payment_method_details.card.fingerprint:"` + card.Fingerprint + `"`, func(ch *stripe.Charge) bool {
				return isCard(ch) && ch.PaymentMethodDetails.Card.Fingerprint == card.Fingerprint
			}, 1},
			{fmt.Sprintf(`payment_method_details.card.exp_month:11 AND payment_method_details.card.exp_year:%d`, pmExpYear+1),
				func(ch *stripe.Charge) bool { return ch.Amount == 4200 }, 1},
			{`billing_details.address.postal_code:"10115"`, func(ch *stripe.Charge) bool { return ch.Amount == 4200 }, 1},
			{`refunded:"true"`, func(ch *stripe.Charge) bool { return ch.Refunded }, 1},
			{`refunded:"false"`, func(ch *stripe.Charge) bool { return !ch.Refunded }, 3},
			{`disputed:"false"`, func(ch *stripe.Charge) bool { return true }, 4},
			{`disputed:"true"`, func(ch *stripe.Charge) bool { return false }, 0},
			{`status:"failed"`, func(ch *stripe.Charge) bool { return ch.Status == "failed" }, 1},
			{`-status:"failed"`, func(ch *stripe.Charge) bool { return ch.Status != "failed" }, 3},
			{`customer:"` + cus + `"`, func(ch *stripe.Charge) bool { return ch.ID == visa }, 1},
			{`customer:null`, func(ch *stripe.Charge) bool { return ch.ID != visa }, 3},
			{`metadata["order_id"]:"6735"`, func(ch *stripe.Charge) bool { return ch.ID == visa }, 1},
			{`amount>2000`, func(ch *stripe.Charge) bool { return ch.Amount > 2000 }, 2},
			{`amount>=1500 AND amount<=3000 AND currency:"usd"`, func(ch *stripe.Charge) bool {
				return ch.Amount >= 1500 && ch.Amount <= 3000 && ch.Currency == "usd"
			}, 2},
			{`currency:"eur" OR status:"failed"`, func(ch *stripe.Charge) bool { return ch.Currency == "eur" || ch.Status == "failed" }, 2},
		} {
			var want []string
			for _, ch := range all {
				if tc.match(ch) {
					want = append(want, ch.ID)
				}
			}
			if len(want) != tc.n {
				t.Fatalf("%s: the charges hold %d matches, the test expects %d", tc.query, len(want), tc.n)
			}
			sameIDs(t, tc.query, searchCharges(t, sc, tc.query), want...)
		}
		if got := searchCharges(t, other, `amount:2000`); len(got) != 1 || got[0] == visa {
			t.Fatalf("other account: %v", got)
		}
	})
}

// TestSearch_Pages pages through more matches than a page holds, with
// non-matching rows between them, across the store's scan pages.
func TestSearch_Pages(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc, other := srv.Client(0), srv.Client(1)
		var want []string // newest first
		for i := range 130 {
			batch := "b"
			if i%3 == 0 {
				batch = "a"
			}
			c, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Metadata: map[string]string{"batch": batch}})
			if err != nil {
				t.Fatal(err)
			}
			if batch == "a" {
				want = append([]string{c.ID}, want...)
			}
		}
		theirs, err := other.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Metadata: map[string]string{"batch": "a"}})
		if err != nil {
			t.Fatal(err)
		}
		const query = `metadata["batch"]:"a"`
		if len(want) != 44 {
			t.Fatalf("%d matches made", len(want))
		}

		// The SDK's iterator follows next_page to the end.
		params := func(limit int64, page *string) *stripe.CustomerSearchParams {
			return &stripe.CustomerSearchParams{SearchParams: stripe.SearchParams{Query: query, Limit: stripe.Int64(limit), Single: true}, Page: page}
		}
		var got []string
		for c, err := range sc.V1Customers.Search(ctx, &stripe.CustomerSearchParams{
			SearchParams: stripe.SearchParams{Query: query, Limit: stripe.Int64(5)}}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, c.ID)
		}
		sameIDs(t, "iterator", got, want...)

		// Page by page: has_more and next_page until the last.
		got = nil
		var page *string
		pages := 0
		for {
			l := sc.V1Customers.Search(ctx, params(5, page))
			if err := l.Err(); err != nil {
				t.Fatal(err)
			}
			pages++
			for _, c := range l.Data() {
				got = append(got, c.ID)
			}
			m := l.Meta()
			if m.URL != "/v1/customers/search" || m.TotalCount != nil {
				t.Fatalf("page %d meta: %+v", pages, m)
			}
			if !m.HasMore {
				if m.NextPage != nil || len(l.Data()) != 4 {
					t.Fatalf("last page: next_page %v, %d results", m.NextPage, len(l.Data()))
				}
				break
			}
			if m.NextPage == nil || len(l.Data()) != 5 {
				t.Fatalf("page %d: has_more without next_page, or %d results", pages, len(l.Data()))
			}
			page = m.NextPage
		}
		sameIDs(t, "pages", got, want...)
		if pages != 9 {
			t.Fatalf("%d pages, want 9", pages)
		}

		// has_more is exact: it says whether another match follows.
		for limit, more := range map[int64]bool{43: true, 44: false, 100: false} {
			l := sc.V1Customers.Search(ctx, params(limit, nil))
			if err := l.Err(); err != nil {
				t.Fatal(err)
			}
			if m := l.Meta(); m.HasMore != more || (m.NextPage != nil) != more || int64(len(l.Data())) != min(limit, 44) {
				t.Fatalf("limit %d: has_more %v, next_page %v, %d results", limit, m.HasMore, m.NextPage, len(l.Data()))
			}
		}
		l := sc.V1Customers.Search(ctx, params(10, nil))
		if l.Err() != nil || l.Meta().NextPage == nil {
			t.Fatalf("first page: %v %+v", l.Err(), l.Meta())
		}
		// A page token is the account's own: another account's search
		// cannot continue it into this account's rows.
		var lastErr error
		for _, lastErr = range other.V1Customers.Search(ctx, params(10, l.Meta().NextPage)).All(ctx) {
		}
		stripeErr(t, lastErr, 400, "invalid_request_error", "", "page")
		sameIDs(t, "other account", searchCustomers(t, other, query), theirs.ID)

		// total_count is there when expand[] asks for it.
		tl := sc.V1Customers.Search(ctx, &stripe.CustomerSearchParams{SearchParams: stripe.SearchParams{Query: query, Limit: stripe.Int64(3), Single: true},
			Expand: []*string{stripe.String("total_count")}})
		if err := tl.Err(); err != nil {
			t.Fatal(err)
		}
		if m := tl.Meta(); m.TotalCount == nil || *m.TotalCount != 44 || len(tl.Data()) != 3 || !m.HasMore {
			t.Fatalf("total_count: %+v, %d results", m, len(tl.Data()))
		}
		r := srv.Do("GET", "/v1/customers/search?"+url.Values{"query": {query}, "limit": {"2"}}.Encode(), srv.Accounts[0].Secret, "")
		var body map[string]json.RawMessage
		if err := json.Unmarshal([]byte(r.Body), &body); err != nil || r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if string(body["object"]) != `"search_result"` || body["total_count"] != nil {
			t.Fatalf("body: %s", r.Body)
		}
	})
}

func TestSearch_Errors(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		newCustomer(t, sc)
		searchErr := func(query string) *stripe.Error {
			t.Helper()
			var err error
			for _, err = range sc.V1Customers.Search(ctx, &stripe.CustomerSearchParams{SearchParams: stripe.SearchParams{Query: query}}).All(ctx) {
				if err != nil {
					break
				}
			}
			return stripeErr(t, err, 400, "invalid_request_error", "", "query")
		}
		for query, msg := range map[string]string{
			`email:"jenny`: `Unterminated string "\"jenny": close it with ".`,
			`email:jenny`:  `String values must be quoted: write email:"jenny" instead of email:jenny.`,
			`email "x"`:    `Expected an operator (:, ~, >, <, >= or <=) after email, found " \"x\"".`,
			`status:"active"`: "Field `status` is an unsupported search field for resource `customers`. " +
				"See https://docs.stripe.com/search#query-fields-for-customers for a list of supported fields.",
			`email:"a" AND name:"b" OR phone:"c"`: "A search query cannot combine AND and OR: use one of them throughout " +
				"(clauses separated only by a space are joined with AND).",
			`name~"je"`:                      `Substring matching (~) needs at least 3 characters; name~"je" has 2.`,
			`email>3`:                        "Field `email` does not support the `>` operator; only numeric fields (created) can be compared.",
			strings.Repeat(`created>1 `, 11): `A search query may combine at most 10 clauses; this one has 11.`,
		} {
			if se := searchErr(query); se.Msg != msg {
				t.Errorf("%s:\n got %s\nwant %s", query, se.Msg, msg)
			}
		}
		// Each resource knows its own fields.
		var err error
		for _, err = range sc.V1Charges.Search(ctx, &stripe.ChargeSearchParams{SearchParams: stripe.SearchParams{Query: `email:"x"`}}).All(ctx) {
		}
		se := stripeErr(t, err, 400, "invalid_request_error", "", "query")
		if !strings.Contains(se.Msg, "Field `email` is an unsupported search field for resource `charges`") {
			t.Fatalf("charges: %s", se.Msg)
		}
		for _, err = range sc.V1PaymentIntents.Search(ctx, &stripe.PaymentIntentSearchParams{SearchParams: stripe.SearchParams{Query: `currency~"usd"`}}).All(ctx) {
		}
		se = stripeErr(t, err, 400, "invalid_request_error", "", "query")
		if !strings.Contains(se.Msg, "does not support substring matching") {
			t.Fatalf("payment intents: %s", se.Msg)
		}

		key := srv.Accounts[0].Secret
		for path, want := range map[string][3]string{
			"/v1/customers/search":                                   {"parameter_missing", "query", "Missing required param: query."},
			"/v1/payment_intents/search?limit=5":                     {"parameter_missing", "query", "Missing required param: query."},
			"/v1/charges/search?query=amount%3E1&limit=0":            {"parameter_invalid_integer", "limit", "Invalid limit: must be between 1 and 100 (it currently is 0)."},
			"/v1/customers/search?query=created%3E1&limit=101":       {"parameter_invalid_integer", "limit", "Invalid limit: must be between 1 and 100 (it currently is 101)."},
			"/v1/customers/search?query=created%3E1&page=not-a-page": {"", "page", `Invalid page: "not-a-page" is not a next_page value of a customers search of this account.`},
			"/v1/customers/search?query=created%3E1&page=" + base64.RawURLEncoding.EncodeToString([]byte("pi_123")):           {"", "page", ""},
			"/v1/customers/search?query=created%3E1&page=" + base64.RawURLEncoding.EncodeToString([]byte("cus_doesnotexist")): {"", "page", ""},
			"/v1/customers/search?query=created%3E1&expand[]=data.nope":                                                       {"", "expand", "This property cannot be expanded (data.nope)."},
		} {
			r := srv.Do("GET", path, key, "")
			e := apiError(t, r)
			if r.Status != 400 || e.Type != "invalid_request_error" || e.Code != want[0] || e.Param != want[1] ||
				(want[2] != "" && e.Message != want[2]) {
				t.Errorf("%s: %d %s", path, r.Status, r.Body)
			}
		}
		// Search is for secret keys.
		r := srv.Do("GET", "/v1/customers/search?query=created%3E1", srv.Accounts[0].Publishable, "")
		if r.Status != 403 {
			t.Fatalf("publishable key: %d %s", r.Status, r.Body)
		}
	})
}

// TestSearch_PricesAndProducts: the catalog's search, paged one result at
// a time so that a product id of the caller's own carries a page token.
func TestSearch_PricesAndProducts(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		products := func(query string) []string {
			t.Helper()
			var ids []string
			p := &stripe.ProductSearchParams{SearchParams: stripe.SearchParams{Query: query, Limit: stripe.Int64(1)}}
			for pr, err := range sc.V1Products.Search(ctx, p).All(ctx) {
				if err != nil {
					t.Fatalf("%s: %v", query, err)
				}
				ids = append(ids, pr.ID)
			}
			return ids
		}
		prices := func(query string) []string {
			t.Helper()
			var ids []string
			p := &stripe.PriceSearchParams{SearchParams: stripe.SearchParams{Query: query, Limit: stripe.Int64(1)}}
			for pr, err := range sc.V1Prices.Search(ctx, p).All(ctx) {
				if err != nil {
					t.Fatalf("%s: %v", query, err)
				}
				ids = append(ids, pr.ID)
			}
			return ids
		}
		gold, err := sc.V1Products.Create(ctx, &stripe.ProductCreateParams{ID: stripe.String("gold-plan"), Name: stripe.String("Gold Plan"),
			Description: stripe.String("The best we have"), Metadata: map[string]string{"tier": "gold"}})
		if err != nil {
			t.Fatal(err)
		}
		silver, err := sc.V1Products.Create(ctx, &stripe.ProductCreateParams{Name: stripe.String("Silver plan"), Shippable: stripe.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		gone, err := sc.V1Products.Create(ctx, &stripe.ProductCreateParams{Name: stripe.String("Old plan")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1Products.Delete(ctx, gone.ID, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Client(1).V1Products.Create(ctx, &stripe.ProductCreateParams{Name: stripe.String("Gold Plan elsewhere")}); err != nil {
			t.Fatal(err)
		}
		sameIDs(t, `name~"plan"`, products(`name~"plan"`), silver.ID, gold.ID)
		sameIDs(t, `metadata["tier"]:"gold"`, products(`metadata["tier"]:"gold"`), gold.ID)
		sameIDs(t, `shippable:"true"`, products(`shippable:"true"`), silver.ID)
		sameIDs(t, `-name:"Gold Plan" AND active:"true"`, products(`-name:"Gold Plan" AND active:"true"`), silver.ID)
		sameIDs(t, `description~"best"`, products(`description~"best"`), gold.ID)

		monthly, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Product: stripe.String(gold.ID), Currency: stripe.String("usd"),
			UnitAmount: stripe.Int64(1500), LookupKey: stripe.String("gold_monthly"),
			Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")}})
		if err != nil {
			t.Fatal(err)
		}
		once, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Product: stripe.String(gold.ID), Currency: stripe.String("eur"),
			UnitAmount: stripe.Int64(9900), Metadata: map[string]string{"promo": "launch"}})
		if err != nil {
			t.Fatal(err)
		}
		other, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Product: stripe.String(silver.ID), Currency: stripe.String("usd"),
			UnitAmount: stripe.Int64(500)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1Prices.Update(ctx, other.ID, &stripe.PriceUpdateParams{Active: stripe.Bool(false)}); err != nil {
			t.Fatal(err)
		}
		sameIDs(t, "product", prices(`product:"`+gold.ID+`"`), once.ID, monthly.ID)
		sameIDs(t, "currency", prices(`currency:"usd"`), other.ID, monthly.ID)
		sameIDs(t, "type", prices(`type:"recurring"`), monthly.ID)
		sameIDs(t, "lookup_key", prices(`lookup_key:"gold_monthly"`), monthly.ID)
		sameIDs(t, "active", prices(`active:"false"`), other.ID)
		sameIDs(t, "metadata", prices(`metadata["promo"]:"launch" OR product:"`+silver.ID+`"`), other.ID, once.ID)

		res := srv.Do("GET", "/v1/products/search?query="+url.QueryEscape("amount>1"), srv.Accounts[0].Secret, "")
		if e := apiError(t, res); res.Status != 400 || e.Param != "query" || !strings.Contains(e.Message, "products") {
			t.Fatalf("unknown field: %d %s", res.Status, res.Body)
		}
	})
}
