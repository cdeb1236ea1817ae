package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/testutil/browser"
	"github.com/payd/payd/internal/testutil/paydtest"
)

// The hosted Checkout page in a real browser: seeds 000 and 002 (and the
// page's other promises in PRODUCT.md, "Hosted pages") done the way a
// customer does them. Fields, choices and buttons are found by the
// accessible names PRODUCT.md lists; each flow must end at the merchant's
// success_url (or cancel_url) and leave the session, its intent and its
// events as Stripe would.

// storefront is the merchant's site a session sends the customer back to:
// /success and /cancel record the query strings they were opened with.
type storefront struct {
	*httptest.Server
	mu     sync.Mutex
	visits map[string][]url.Values // by path
}

func newStorefront(t *testing.T) *storefront {
	sf := &storefront{visits: map[string][]url.Values{}}
	sf.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var text string
		switch r.URL.Path {
		case "/success":
			text = "Order confirmed"
		case "/cancel":
			text = "Order canceled"
		default: // e.g. /favicon.ico
			http.NotFound(w, r)
			return
		}
		sf.mu.Lock()
		sf.visits[r.URL.Path] = append(sf.visits[r.URL.Path], r.URL.Query())
		sf.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte(text))
	}))
	t.Cleanup(sf.Close)
	return sf
}

// visited is every query string path was opened with so far.
func (sf *storefront) visited(path string) []url.Values {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	return slices.Clone(sf.visits[path])
}

// successURL and cancelURL are the session's, as a merchant following
// seed 002 writes them.
func (sf *storefront) successURL() string {
	return sf.URL + "/success?session_id={CHECKOUT_SESSION_ID}"
}

func (sf *storefront) cancelURL() string { return sf.URL + "/cancel?order=7" }

// landedOnSuccess waits for the browser to arrive at the storefront's
// success page for the session, and checks it was opened exactly once, with
// {CHECKOUT_SESSION_ID} replaced by the session's id.
func landedOnSuccess(t *testing.T, tab context.Context, sf *storefront, sessionID string) {
	t.Helper()
	got := browser.WaitURLPrefix(tab, t, sf.URL+"/success?")
	if want := sf.URL + "/success?session_id=" + sessionID; got != want {
		t.Errorf("the browser ended at %s, want %s", got, want)
	}
	if text := browser.Text(tab, t); text != "Order confirmed" {
		t.Errorf("the success page reads %q", text)
	}
	if v := sf.visited("/success"); len(v) != 1 || v[0].Get("session_id") != sessionID {
		t.Errorf("the success page was opened with %v, want once with session_id=%s", v, sessionID)
	}
}

// openSession creates a payment-mode session for one "Concert ticket" at
// $20.00 that returns to sf; p may preset other parameters.
func openSession(t *testing.T, sc *stripe.Client, sf *storefront, p *stripe.CheckoutSessionCreateParams) *stripe.CheckoutSession {
	t.Helper()
	if p == nil {
		p = &stripe.CheckoutSessionCreateParams{}
	}
	if p.Mode == nil {
		p.Mode = stripe.String("payment")
	}
	if *p.Mode == "payment" && len(p.LineItems) == 0 {
		price := usdPrice(t, sc, "Concert ticket", 2000)
		p.LineItems = []*stripe.CheckoutSessionCreateLineItemParams{{Price: stripe.String(price.ID), Quantity: stripe.Int64(1)}}
	}
	if p.SuccessURL == nil {
		p.SuccessURL = stripe.String(sf.successURL())
	}
	if p.CancelURL == nil {
		p.CancelURL = stripe.String(sf.cancelURL())
	}
	cs, err := sc.V1CheckoutSessions.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if cs.URL == "" {
		t.Fatalf("session %s has no url", cs.ID)
	}
	return cs
}

// openPage opens a session's page and checks that it is the payment form.
func openPage(t *testing.T, tab context.Context, cs *stripe.CheckoutSession) {
	t.Helper()
	if status := browser.Navigate(tab, t, cs.URL); status != http.StatusOK {
		t.Fatalf("the checkout page answered %d:\n%s", status, browser.Text(tab, t))
	}
}

// fillCard fills the contact, card and billing fields as Jenny Rosen in
// San Francisco with card number.
func fillCard(t *testing.T, tab context.Context, number string) {
	t.Helper()
	browser.Fill(tab, t, "Email", "jenny@example.com")
	browser.Check(tab, t, "Card")
	browser.Fill(tab, t, "Card number", number)
	browser.Fill(tab, t, "Expiration", "12 / 34")
	browser.Fill(tab, t, "CVC", "123")
	browser.Fill(tab, t, "Cardholder name", "Jenny Rosen")
	browser.Select(tab, t, "Country or region", "US")
	browser.Fill(tab, t, "Postal code", "94107")
}

// retrieveSession reads a session with its intents expanded.
func retrieveSession(t *testing.T, sc *stripe.Client, id string) *stripe.CheckoutSession {
	t.Helper()
	cs, err := sc.V1CheckoutSessions.Retrieve(ctx, id, &stripe.CheckoutSessionRetrieveParams{
		Params: stripe.Params{Expand: []*string{stripe.String("payment_intent"), stripe.String("setup_intent")}}})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// event is one event as the account's list shows it.
type event struct{ typ, object string }

// accountEvents lists the account's events, oldest first, with the id of
// the object each is about.
func accountEvents(t *testing.T, sc *stripe.Client) []event {
	t.Helper()
	var out []event
	for ev, err := range sc.V1Events.List(ctx, &stripe.EventListParams{}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		id, _ := ev.Data.Object["id"].(string)
		out = append(out, event{string(ev.Type), id})
	}
	slices.Reverse(out)
	return out
}

// eventIndex is where the event typ about object is in evs, failing the
// test unless there is exactly one.
func eventIndex(t *testing.T, evs []event, typ, object string) int {
	t.Helper()
	i, n := -1, 0
	for j, ev := range evs {
		if ev == (event{typ, object}) {
			i, n = j, n+1
		}
	}
	if n != 1 {
		t.Errorf("%d %s events about %s, want 1; events: %v", n, typ, object, evs)
	}
	return i
}

// countEvents counts the events of type typ.
func countEvents(evs []event, typ string) int {
	n := 0
	for _, ev := range evs {
		if ev.typ == typ {
			n++
		}
	}
	return n
}

// paymentIntents lists the account's PaymentIntents.
func paymentIntents(t *testing.T, sc *stripe.Client) []*stripe.PaymentIntent {
	t.Helper()
	var out []*stripe.PaymentIntent
	for pi, err := range sc.V1PaymentIntents.List(ctx, &stripe.PaymentIntentListParams{}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pi)
	}
	return out
}

// piSummary names a PaymentIntent's id, status, amount received and
// method, for failure messages (the whole object is pages long).
func piSummary(pi *stripe.PaymentIntent) string {
	if pi == nil {
		return "none"
	}
	pm := "no payment_method"
	if pi.PaymentMethod != nil {
		pm = pi.PaymentMethod.ID
	}
	return fmt.Sprintf("%s (%s, amount_received %d, %s)", pi.ID, pi.Status, pi.AmountReceived, pm)
}

// saveScreenshot keeps a picture of the page where it outlives the test
// (t.TempDir is removed at its end), and logs the path.
func saveScreenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "payd-checkout-screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := browser.Screenshot(tab, path); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	t.Logf("screenshot of the checkout page: %s", path)
}

// Seed 002's happy path without a saved card: a card typed into the page
// pays the session, and the customer lands on success_url with the
// session's id.
func TestCheckoutBrowser_PayWithCard(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		sf := newStorefront(t)
		cs := openSession(t, sc, sf, nil)

		tab := b.Tab(t)
		openPage(t, tab, cs)
		text := browser.Text(tab, t)
		for _, want := range []string{"Concert ticket", "$20.00", "TEST MODE"} {
			if !strings.Contains(text, want) {
				t.Errorf("the page does not show %q:\n%s", want, text)
			}
		}
		if got, want := browser.Buttons(tab, t), []string{"Pay $20.00"}; !slices.Equal(got, want) {
			t.Errorf("the page's buttons are %q, want %q", got, want)
		}
		// The account's default methods for usd, Card first and chosen.
		if radios := browser.Radios(tab, t); len(radios) == 0 || radios[0] != "Card" {
			t.Errorf("payment methods %q, want Card first", radios)
		}
		if !browser.Checked(tab, t, "Card") {
			t.Error("Card is not chosen when the page opens")
		}
		fillCard(t, tab, "4242 4242 4242 4242")
		if e.Name == "sqlite" {
			saveScreenshot(t, tab, "checkout-filled.png")
		}
		browser.Click(tab, t, "Pay $20.00")
		landedOnSuccess(t, tab, sf, cs.ID)

		done := retrieveSession(t, sc, cs.ID)
		pi := done.PaymentIntent
		if done.Status != stripe.CheckoutSessionStatusComplete || done.PaymentStatus != stripe.CheckoutSessionPaymentStatusPaid {
			t.Errorf("session: status %s, payment_status %s; want complete, paid", done.Status, done.PaymentStatus)
		}
		if pi == nil || pi.Status != stripe.PaymentIntentStatusSucceeded || pi.Amount != 2000 || pi.AmountReceived != 2000 || pi.Currency != "usd" {
			t.Fatalf("session's payment_intent: %s", piSummary(pi))
		}
		d := done.CustomerDetails
		if d == nil || d.Email != "jenny@example.com" || d.Name != "Jenny Rosen" || d.Address == nil ||
			d.Address.Country != "US" || d.Address.PostalCode != "94107" {
			t.Errorf("customer_details: %+v", d)
		}
		pm, err := sc.V1PaymentMethods.Retrieve(ctx, pi.PaymentMethod.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if pm.Card == nil || pm.Card.Last4 != "4242" || pm.Card.ExpMonth != 12 || pm.Card.ExpYear != 2034 ||
			pm.BillingDetails == nil || pm.BillingDetails.Name != "Jenny Rosen" || pm.BillingDetails.Email != "jenny@example.com" {
			t.Errorf("the payment method is not the card typed: %+v", pm)
		}
		evs := accountEvents(t, sc)
		if iPI, iDone := eventIndex(t, evs, "payment_intent.succeeded", pi.ID), eventIndex(t, evs, "checkout.session.completed", cs.ID); iDone < iPI {
			t.Errorf("checkout.session.completed came before payment_intent.succeeded: %v", evs)
		}
		if n := len(paymentIntents(t, sc)); n != 1 {
			t.Errorf("%d PaymentIntents, want 1", n)
		}
	})
}

// savedCard is a customer's card as seed 002 prepares it: created with
// billing details and allow_redisplay, then attached.
type savedCard struct {
	number, redisplay      string
	email, name            string
	country, postal, line1 string
	city, state            string
	expMonth, expYear      int64
}

// jennysCard is a card whose billing details satisfy
// billing_address_collection=auto, in Great Britain (so a prefilled
// country is told apart from the page's default, US).
func jennysCard() savedCard {
	return savedCard{number: "4242424242424242", redisplay: "always", email: "jenny.saved@example.com", name: "Jenny Saved",
		country: "GB", postal: "EC1A 1BB", expMonth: 12, expYear: 2034}
}

func (c savedCard) attach(t *testing.T, sc *stripe.Client, customer string) *stripe.PaymentMethod {
	t.Helper()
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return stripe.String(s)
	}
	pm, err := sc.V1PaymentMethods.Create(ctx, &stripe.PaymentMethodCreateParams{Type: stripe.String("card"),
		Card:           &stripe.PaymentMethodCreateCardParams{Number: stripe.String(c.number), ExpMonth: stripe.Int64(c.expMonth), ExpYear: stripe.Int64(c.expYear), CVC: stripe.String("123")},
		AllowRedisplay: opt(c.redisplay),
		BillingDetails: &stripe.PaymentMethodCreateBillingDetailsParams{Email: opt(c.email), Name: opt(c.name),
			Address: &stripe.AddressParams{Country: opt(c.country), PostalCode: opt(c.postal), Line1: opt(c.line1), City: opt(c.city), State: opt(c.state)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	pm, err = sc.V1PaymentMethods.Attach(ctx, pm.ID, &stripe.PaymentMethodAttachParams{Customer: stripe.String(customer)})
	if err != nil {
		t.Fatal(err)
	}
	return pm
}

// newShopper creates a customer without an email of its own, so that an
// Email field filled in on the page can only come from a saved card.
func newShopper(t *testing.T, sc *stripe.Client) *stripe.Customer {
	t.Helper()
	c, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Name: stripe.String("Jenny Rosen")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// savedLabel is the accessible name of the saved card's choice.
const savedLabel = "Visa •••• 4242 Expires 12/34"

// Seed 002: a customer's saved card, shown and prefilled, pays without the
// card number being typed.
func TestCheckoutBrowser_PrefillPaysWithSavedCard(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		sf := newStorefront(t)
		cus := newShopper(t, sc)
		pm := jennysCard().attach(t, sc, cus.ID)
		cs := openSession(t, sc, sf, &stripe.CheckoutSessionCreateParams{Customer: stripe.String(cus.ID)})

		tab := b.Tab(t)
		openPage(t, tab, cs)
		radios := browser.Radios(tab, t)
		if !slices.Contains(radios, savedLabel) || !slices.Contains(radios, "Use a different card") {
			t.Fatalf("the page does not offer the saved card: radios %q", radios)
		}
		if !browser.Checked(tab, t, savedLabel) {
			t.Error("the saved card is not chosen when the page opens")
		}
		for label, want := range map[string]string{"Email": "jenny.saved@example.com", "Country or region": "GB", "Postal code": "EC1A 1BB"} {
			if got := browser.FieldValue(tab, t, label); got != want {
				t.Errorf("%s is prefilled with %q, want %q", label, got, want)
			}
		}
		// The saved card hides the card fields; a different card shows
		// them, with the cardholder's name prefilled; and back.
		if fields := browser.Fields(tab, t); slices.Contains(fields, "Card number") {
			t.Errorf("with the saved card chosen the page still asks for a card number: fields %q", fields)
		}
		browser.Check(tab, t, "Use a different card")
		if got := browser.FieldValue(tab, t, "Cardholder name"); got != "Jenny Saved" {
			t.Errorf("Cardholder name is prefilled with %q, want Jenny Saved", got)
		}
		if got := browser.FieldValue(tab, t, "Card number"); got != "" {
			t.Errorf("the card number is prefilled with %q: a page never shows it", got)
		}
		browser.Check(tab, t, savedLabel)
		browser.Click(tab, t, "Pay $20.00")
		landedOnSuccess(t, tab, sf, cs.ID)

		done := retrieveSession(t, sc, cs.ID)
		pi := done.PaymentIntent
		if done.Status != stripe.CheckoutSessionStatusComplete || done.PaymentStatus != stripe.CheckoutSessionPaymentStatusPaid ||
			pi == nil || pi.Status != stripe.PaymentIntentStatusSucceeded || pi.AmountReceived != 2000 {
			t.Fatalf("session: status %s, payment_status %s, payment_intent %s", done.Status, done.PaymentStatus, piSummary(pi))
		}
		if pi.PaymentMethod == nil || pi.PaymentMethod.ID != pm.ID {
			t.Errorf("the payment used %v, want the saved card %s", pi.PaymentMethod, pm.ID)
		}
		if pi.Customer == nil || pi.Customer.ID != cus.ID || done.Customer == nil || done.Customer.ID != cus.ID {
			t.Errorf("the payment's customer is %v, the session's %v; want %s", pi.Customer, done.Customer, cus.ID)
		}
		if d := done.CustomerDetails; d == nil || d.Email != "jenny.saved@example.com" {
			t.Errorf("customer_details: %+v", d)
		}
	})
}

// Seed 002's rules: the saved card is shown only when all of them hold.
// Each case changes one thing from a card that is shown, and checks the
// page shows no saved card (or, for the control cases, that it does).
func TestCheckoutBrowser_PrefillRules(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		sf := newStorefront(t)
		full := jennysCard()
		full.country, full.postal, full.line1, full.city, full.state = "US", "94107", "510 Townsend St", "San Francisco", "CA"
		for _, tc := range []struct {
			name   string
			card   func(c *savedCard)
			params func(p *stripe.CheckoutSessionCreateParams)
			shown  bool
		}{
			{name: "shown with auto collection", shown: true},
			{name: "allow_redisplay limited", card: func(c *savedCard) { c.redisplay = "limited" }},
			{name: "allow_redisplay unspecified", card: func(c *savedCard) { c.redisplay = "" }},
			{name: "limited, when the session's filters include it", card: func(c *savedCard) { c.redisplay = "limited" },
				params: func(p *stripe.CheckoutSessionCreateParams) {
					p.SavedPaymentMethodOptions = &stripe.CheckoutSessionCreateSavedPaymentMethodOptionsParams{
						AllowRedisplayFilters: []*string{stripe.String("always"), stripe.String("limited")}}
				}, shown: true},
			{name: "setup mode", params: func(p *stripe.CheckoutSessionCreateParams) {
				p.Mode, p.Currency = stripe.String("setup"), stripe.String("usd")
				p.PaymentMethodTypes = []*string{stripe.String("card")}
			}},
			{name: "no email", card: func(c *savedCard) { c.email = "" }},
			{name: "no name", card: func(c *savedCard) { c.name = "" }},
			{name: "US without postal code", card: func(c *savedCard) { c.country, c.postal = "US", "" }},
			{name: "Germany without postal code", card: func(c *savedCard) { c.country, c.postal = "DE", "" }, shown: true},
			{name: "required collection, incomplete address",
				params: func(p *stripe.CheckoutSessionCreateParams) { p.BillingAddressCollection = stripe.String("required") }},
			{name: "required collection, full address", card: func(c *savedCard) { *c = full },
				params: func(p *stripe.CheckoutSessionCreateParams) { p.BillingAddressCollection = stripe.String("required") }, shown: true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				card := jennysCard()
				if tc.card != nil {
					tc.card(&card)
				}
				cus := newShopper(t, sc)
				card.attach(t, sc, cus.ID)
				p := &stripe.CheckoutSessionCreateParams{Customer: stripe.String(cus.ID)}
				if tc.params != nil {
					tc.params(p)
				}
				cs := openSession(t, sc, sf, p)
				tab := b.Tab(t)
				openPage(t, tab, cs)
				radios := browser.Radios(tab, t)
				email := browser.FieldValue(tab, t, "Email")
				if tc.shown {
					if !slices.Contains(radios, savedLabel) || email != card.email {
						t.Errorf("the saved card is not shown: radios %q, Email %q", radios, email)
					}
					if card.line1 != "" {
						for label, want := range map[string]string{"Address line 1": card.line1, "City": card.city, "State or region": card.state} {
							if got := browser.FieldValue(tab, t, label); got != want {
								t.Errorf("%s is prefilled with %q, want %q", label, got, want)
							}
						}
					}
					return
				}
				if slices.ContainsFunc(radios, func(r string) bool { return strings.Contains(r, "4242") }) ||
					slices.Contains(radios, "Use a different card") {
					t.Errorf("the page offers the saved card: radios %q", radios)
				}
				if email != "" {
					t.Errorf("Email is prefilled with %q", email)
				}
				if text := browser.Text(tab, t); strings.Contains(text, "4242") || strings.Contains(text, "Jenny Saved") {
					t.Errorf("the page shows the saved card's details:\n%s", text)
				}
			})
		}
	})
}

// Seed 002: with several saved cards, payment mode shows the newest one
// that qualifies.
func TestCheckoutBrowser_PrefillNewestCard(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		sf := newStorefront(t)
		cus := newShopper(t, sc)
		older := jennysCard()
		older.number, older.email = "5555555555554444", "older@example.com"
		older.attach(t, sc, cus.ID)
		newest := jennysCard()
		newest.expMonth, newest.email = 11, "newest@example.com"
		pm := newest.attach(t, sc, cus.ID)
		unqualified := jennysCard() // newer still, but never redisplayed
		unqualified.number, unqualified.redisplay = "4000056655665556", "limited"
		unqualified.attach(t, sc, cus.ID)

		cs := openSession(t, sc, sf, &stripe.CheckoutSessionCreateParams{Customer: stripe.String(cus.ID)})
		tab := b.Tab(t)
		openPage(t, tab, cs)
		radios := browser.Radios(tab, t)
		if want := "Visa •••• 4242 Expires 11/34"; !slices.Contains(radios, want) {
			t.Errorf("radios %q, want the newest qualifying card %q", radios, want)
		}
		if slices.ContainsFunc(radios, func(r string) bool { return strings.Contains(r, "4444") || strings.Contains(r, "5556") }) {
			t.Errorf("the page offers another card: radios %q", radios)
		}
		if got := browser.FieldValue(tab, t, "Email"); got != "newest@example.com" {
			t.Errorf("Email is prefilled with %q, want the newest card's", got)
		}
		browser.Click(tab, t, "Pay $20.00")
		landedOnSuccess(t, tab, sf, cs.ID)
		if pi := retrieveSession(t, sc, cs.ID).PaymentIntent; pi == nil || pi.PaymentMethod == nil || pi.PaymentMethod.ID != pm.ID {
			t.Errorf("the payment is %s, want one with %s", piSummary(pi), pm.ID)
		}
	})
}

// Seed 002: the prefill is shown for 30 minutes after the session is
// created, then never again (a page left open and reloaded).
func TestCheckoutBrowser_PrefillEndsAfter30Minutes(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		clock := &paydtest.Clock{}
		srv := paydtest.NewWithClock(t, e, clock)
		sc := srv.Client(0)
		sf := newStorefront(t)
		cus := newShopper(t, sc)
		jennysCard().attach(t, sc, cus.ID)
		cs := openSession(t, sc, sf, &stripe.CheckoutSessionCreateParams{Customer: stripe.String(cus.ID)})

		tab := b.Tab(t)
		clock.Advance(29 * time.Minute)
		openPage(t, tab, cs)
		if radios := browser.Radios(tab, t); !slices.Contains(radios, savedLabel) {
			t.Fatalf("29 minutes in, the saved card is not shown: radios %q", radios)
		}
		clock.Advance(2 * time.Minute)
		openPage(t, tab, cs) // the customer reloads
		if radios := browser.Radios(tab, t); slices.ContainsFunc(radios, func(r string) bool { return strings.Contains(r, "4242") }) {
			t.Errorf("31 minutes in, the page still offers the saved card: radios %q", radios)
		}
		if got := browser.FieldValue(tab, t, "Email"); got != "" {
			t.Errorf("31 minutes in, Email is still prefilled with %q", got)
		}
		// A page still showing the saved card cannot pay with it any more:
		// the form says so instead of charging it.
		fields := url.Values{"email": {"jenny@example.com"}, "method": {"card"}, "saved_method": {"pm_anything"}}
		if status := postPage(t, cs.URL, fields); status != http.StatusBadRequest {
			t.Errorf("paying with a saved card after the window answered %d, want 400", status)
		}
		// Typing the card still works.
		fillCard(t, tab, "4242424242424242")
		browser.Click(tab, t, "Pay $20.00")
		landedOnSuccess(t, tab, sf, cs.ID)
	})
}

// postPage submits a checkout page over plain HTTP (no redirects
// followed) and returns the status.
func postPage(t *testing.T, pageURL string, fields url.Values) int {
	t.Helper()
	status, _ := payPage(t, pageURL, fields)
	return status
}

// Seed 000: save Amazon Pay for later through a setup-mode session, then
// charge it off-session.
func TestCheckoutBrowser_SetupAmazonPay(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		sf := newStorefront(t)
		cus, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("jenny.rosen@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		cs := openSession(t, sc, sf, &stripe.CheckoutSessionCreateParams{Mode: stripe.String("setup"), Currency: stripe.String("usd"),
			Customer: stripe.String(cus.ID), PaymentMethodTypes: []*string{stripe.String("card"), stripe.String("amazon_pay")}})

		tab := b.Tab(t)
		openPage(t, tab, cs)
		if got, want := browser.Radios(tab, t), []string{"Card", "Amazon Pay"}; !slices.Equal(got, want) {
			t.Errorf("payment methods %q, want %q", got, want)
		}
		if got := browser.FieldValue(tab, t, "Email"); got != "jenny.rosen@example.com" {
			t.Errorf("Email reads %q, want the customer's", got)
		}
		browser.Check(tab, t, "Amazon Pay")
		browser.Click(tab, t, "Save payment details")
		browser.WaitURLPrefix(tab, t, srv.URL+"/_payd/authorize/")
		if got, want := browser.Buttons(tab, t), []string{"Authorize Test Payment", "Fail Test Payment"}; !slices.Equal(got, want) {
			t.Fatalf("the authorization page's buttons are %q, want %q", got, want)
		}
		browser.Click(tab, t, "Authorize Test Payment")
		landedOnSuccess(t, tab, sf, cs.ID)

		done := retrieveSession(t, sc, cs.ID)
		si := done.SetupIntent
		if done.Status != stripe.CheckoutSessionStatusComplete || done.PaymentStatus != stripe.CheckoutSessionPaymentStatusNoPaymentRequired {
			t.Errorf("session: status %s, payment_status %s", done.Status, done.PaymentStatus)
		}
		if si == nil || si.Status != stripe.SetupIntentStatusSucceeded || si.Mandate == nil || si.PaymentMethod == nil ||
			si.Customer == nil || si.Customer.ID != cus.ID {
			t.Fatalf("setup_intent: %+v", si)
		}
		mandate, err := sc.V1Mandates.Retrieve(ctx, si.Mandate.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if mandate.Status != stripe.MandateStatusActive || mandate.Type != stripe.MandateTypeMultiUse ||
			mandate.PaymentMethod == nil || mandate.PaymentMethod.ID != si.PaymentMethod.ID ||
			mandate.CustomerAcceptance == nil || mandate.CustomerAcceptance.Online == nil || mandate.CustomerAcceptance.Online.UserAgent == "" {
			t.Errorf("mandate: %+v", mandate)
		}
		pm, err := sc.V1PaymentMethods.Retrieve(ctx, si.PaymentMethod.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if pm.Type != stripe.PaymentMethodTypeAmazonPay || pm.Customer == nil || pm.Customer.ID != cus.ID {
			t.Fatalf("the saved method: type %s, customer %v", pm.Type, pm.Customer)
		}
		evs := accountEvents(t, sc)
		if iSI, iDone := eventIndex(t, evs, "setup_intent.succeeded", si.ID), eventIndex(t, evs, "checkout.session.completed", cs.ID); iDone < iSI {
			t.Errorf("checkout.session.completed came before setup_intent.succeeded: %v", evs)
		}

		// Later, the merchant charges it without the customer.
		pi, err := sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(1500), Currency: stripe.String("usd"),
			Customer: stripe.String(cus.ID), PaymentMethod: stripe.String(pm.ID), PaymentMethodTypes: []*string{stripe.String("amazon_pay")},
			OffSession: stripe.Bool(true), Confirm: stripe.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		if pi.Status != stripe.PaymentIntentStatusSucceeded || pi.AmountReceived != 1500 || pi.NextAction != nil {
			t.Fatalf("off-session payment: status %s, amount_received %d, next_action %+v", pi.Status, pi.AmountReceived, pi.NextAction)
		}
	})
}

// Seed 000, declined: Fail on the authorization page brings the customer
// back to the page, which says so and stays open.
func TestCheckoutBrowser_SetupAmazonPayFail(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		sf := newStorefront(t)
		cus := newShopper(t, sc)
		cs := openSession(t, sc, sf, &stripe.CheckoutSessionCreateParams{Mode: stripe.String("setup"), Currency: stripe.String("usd"),
			Customer: stripe.String(cus.ID), PaymentMethodTypes: []*string{stripe.String("card"), stripe.String("amazon_pay")}})
		tab := b.Tab(t)
		openPage(t, tab, cs)
		browser.Fill(tab, t, "Email", "jenny@example.com")
		browser.Check(tab, t, "Amazon Pay")
		browser.Click(tab, t, "Save payment details")
		browser.WaitURLPrefix(tab, t, srv.URL+"/_payd/authorize/seti_")
		browser.Click(tab, t, "Fail Test Payment")
		browser.WaitURLPrefix(tab, t, cs.URL)
		browser.WaitText(tab, t, "The payment method was not authorized.")
		if got := browser.FieldValue(tab, t, "Email"); got != "jenny@example.com" {
			t.Errorf("back from the authorization page, Email reads %q: what the customer typed is lost", got)
		}
		if !browser.Checked(tab, t, "Amazon Pay") {
			t.Error("back from the authorization page, the method the customer tried is no longer chosen")
		}
		if got := browser.Buttons(tab, t); !slices.Equal(got, []string{"Save payment details"}) {
			t.Errorf("after Fail the page's buttons are %q", got)
		}
		got := retrieveSession(t, sc, cs.ID)
		if got.Status != stripe.CheckoutSessionStatusOpen || got.SetupIntent == nil ||
			got.SetupIntent.Status != stripe.SetupIntentStatusRequiresPaymentMethod || len(sf.visited("/success")) != 0 {
			t.Fatalf("after Fail: status %s, setup_intent %+v", got.Status, got.SetupIntent)
		}
		// Trying again, and authorizing, saves it on the same SetupIntent.
		siID := got.SetupIntent.ID
		browser.Check(tab, t, "Amazon Pay")
		browser.Click(tab, t, "Save payment details")
		browser.WaitURLPrefix(tab, t, srv.URL+"/_payd/authorize/"+siID)
		browser.Click(tab, t, "Authorize Test Payment")
		landedOnSuccess(t, tab, sf, cs.ID)
		if done := retrieveSession(t, sc, cs.ID); done.SetupIntent == nil || done.SetupIntent.ID != siID ||
			done.SetupIntent.Status != stripe.SetupIntentStatusSucceeded {
			t.Errorf("after trying again: setup_intent %+v, want %s succeeded", done.SetupIntent, siID)
		}
	})
}

// Seed 002: shipping fields prefill from customer.shipping when the
// session ships to its country.
func TestCheckoutBrowser_PrefillShipping(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		sf := newStorefront(t)
		cus, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Shipping: &stripe.CustomerCreateShippingParams{
			Name: stripe.String("Jenny Shipping"), Address: &stripe.AddressParams{Line1: stripe.String("510 Townsend St"),
				City: stripe.String("San Francisco"), State: stripe.String("CA"), PostalCode: stripe.String("94107"), Country: stripe.String("US")}}})
		if err != nil {
			t.Fatal(err)
		}
		shipTo := func(countries ...string) *stripe.CheckoutSession {
			var allowed []*string
			for _, c := range countries {
				allowed = append(allowed, stripe.String(c))
			}
			return openSession(t, sc, sf, &stripe.CheckoutSessionCreateParams{Customer: stripe.String(cus.ID),
				ShippingAddressCollection: &stripe.CheckoutSessionCreateShippingAddressCollectionParams{AllowedCountries: allowed}})
		}
		shipping := []string{"Full name", "Shipping country", "Shipping address line 1", "Shipping city", "Shipping postal code", "Shipping state or region"}

		tab := b.Tab(t)
		cs := shipTo("CA", "US")
		openPage(t, tab, cs)
		want := []string{"Jenny Shipping", "US", "510 Townsend St", "San Francisco", "94107", "CA"}
		for i, label := range shipping {
			if got := browser.FieldValue(tab, t, label); got != want[i] {
				t.Errorf("%s is prefilled with %q, want %q", label, got, want[i])
			}
		}
		fillCard(t, tab, "4242424242424242")
		browser.Click(tab, t, "Pay $20.00")
		landedOnSuccess(t, tab, sf, cs.ID)
		done := retrieveSession(t, sc, cs.ID)
		if ci := done.CollectedInformation; ci == nil || ci.ShippingDetails == nil || ci.ShippingDetails.Name != "Jenny Shipping" ||
			ci.ShippingDetails.Address == nil || ci.ShippingDetails.Address.Line1 != "510 Townsend St" || ci.ShippingDetails.Address.Country != "US" {
			t.Errorf("collected_information: %+v", ci)
		}

		// A session that does not ship to the customer's country leaves
		// the fields for the customer.
		other := shipTo("CA")
		openPage(t, tab, other)
		for _, label := range shipping {
			got := browser.FieldValue(tab, t, label)
			if label == "Shipping country" {
				if got != "CA" {
					t.Errorf("Shipping country reads %q, want CA, the only one offered", got)
				}
				continue
			}
			if got != "" {
				t.Errorf("%s is prefilled with %q for a session that does not ship to the US", label, got)
			}
		}
	})
}

// Seed 002's async events: a US bank debit completes the session unpaid
// at once, and its settlement pays it (or fails it) later.
func TestCheckoutBrowser_DelayedBankDebit(t *testing.T) {
	for _, tc := range []struct {
		name, account, event string
		paid                 bool
	}{
		{"settles", "000123456789", "checkout.session.async_payment_succeeded", true},
		{"fails", "000111111113", "checkout.session.async_payment_failed", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
				b := browser.New(t)
				srv := paydtest.New(t, e)
				sc := srv.Client(0)
				sf := newStorefront(t)
				cs := openSession(t, sc, sf, &stripe.CheckoutSessionCreateParams{
					PaymentMethodTypes: []*string{stripe.String("card"), stripe.String("us_bank_account")}})

				tab := b.Tab(t)
				openPage(t, tab, cs)
				browser.Fill(tab, t, "Email", "jenny@example.com")
				browser.Check(tab, t, "US bank account")
				browser.Fill(tab, t, "Account holder name", "Jenny Rosen")
				browser.Fill(tab, t, "Routing number", "110000000")
				browser.Fill(tab, t, "Account number", tc.account)
				browser.Click(tab, t, "Pay $20.00")
				landedOnSuccess(t, tab, sf, cs.ID)

				done := retrieveSession(t, sc, cs.ID)
				if done.Status != stripe.CheckoutSessionStatusComplete || done.PaymentStatus != stripe.CheckoutSessionPaymentStatusUnpaid ||
					done.PaymentIntent == nil || done.PaymentIntent.Status != stripe.PaymentIntentStatusProcessing {
					t.Fatalf("right after the debit: status %s, payment_status %s, payment_intent %s", done.Status, done.PaymentStatus, piSummary(done.PaymentIntent))
				}
				piID := done.PaymentIntent.ID
				if n := countEvents(accountEvents(t, sc), tc.event); n != 0 {
					t.Fatalf("%s before settlement", tc.event)
				}
				if _, err := srv.API.SettleDue(ctx); err != nil {
					t.Fatal(err)
				}
				settled := retrieveSession(t, sc, cs.ID)
				pi := settled.PaymentIntent
				wantStatus, wantPI := stripe.CheckoutSessionPaymentStatusUnpaid, stripe.PaymentIntentStatusRequiresPaymentMethod
				if tc.paid {
					wantStatus, wantPI = stripe.CheckoutSessionPaymentStatusPaid, stripe.PaymentIntentStatusSucceeded
				}
				if settled.Status != stripe.CheckoutSessionStatusComplete || settled.PaymentStatus != wantStatus || pi == nil || pi.Status != wantPI {
					t.Fatalf("after settlement: status %s, payment_status %s (want %s), payment_intent %s (want %s)",
						settled.Status, settled.PaymentStatus, wantStatus, piSummary(pi), wantPI)
				}
				evs := accountEvents(t, sc)
				iDone, iAsync := eventIndex(t, evs, "checkout.session.completed", cs.ID), eventIndex(t, evs, tc.event, cs.ID)
				if iAsync < iDone {
					t.Errorf("%s came before checkout.session.completed: %v", tc.event, evs)
				}
				other := "checkout.session.async_payment_failed"
				if !tc.paid {
					other = "checkout.session.async_payment_succeeded"
				}
				if n := countEvents(evs, other); n != 0 {
					t.Errorf("%d %s events", n, other)
				}
				// A second sweep announces nothing more.
				if _, err := srv.API.SettleDue(ctx); err != nil {
					t.Fatal(err)
				}
				if n := countEvents(accountEvents(t, sc), tc.event); n != 1 {
					t.Errorf("%d %s events after a second sweep, want 1", n, tc.event)
				}
				if piID != pi.ID {
					t.Errorf("the session's payment_intent changed from %s to %s", piID, pi.ID)
				}
			})
		})
	}
}

// A declined card leaves the customer on the page with the decline
// message and what they typed; another card then pays the same
// PaymentIntent. Done without JavaScript, as the page must work for
// customers who block scripts.
func TestCheckoutBrowser_DeclineThenPay(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		sf := newStorefront(t)
		cs := openSession(t, sc, sf, nil)

		tab := b.Tab(t)
		browser.DisableJavaScript(tab, t)
		openPage(t, tab, cs)
		fillCard(t, tab, "4000000000000002")
		browser.Click(tab, t, "Pay $20.00")
		text := browser.WaitText(tab, t, "Your card was declined.")
		if u := browser.URL(tab, t); u != cs.URL {
			t.Errorf("after the decline the tab is at %s, want the page %s", u, cs.URL)
		}
		if len(sf.visited("/success")) != 0 {
			t.Fatal("a declined card reached the success page")
		}
		if !strings.Contains(text, "Concert ticket") {
			t.Errorf("the page after the decline is not the checkout form:\n%s", text)
		}
		// What the customer typed is kept, except the card number and CVC.
		for label, want := range map[string]string{"Email": "jenny@example.com", "Cardholder name": "Jenny Rosen",
			"Expiration": "12 / 34", "Country or region": "US", "Postal code": "94107", "Card number": "", "CVC": ""} {
			if got := browser.FieldValue(tab, t, label); got != want {
				t.Errorf("after the decline %s reads %q, want %q", label, got, want)
			}
		}
		declined := retrieveSession(t, sc, cs.ID)
		if declined.Status != stripe.CheckoutSessionStatusOpen || declined.PaymentIntent == nil ||
			declined.PaymentIntent.Status != stripe.PaymentIntentStatusRequiresPaymentMethod ||
			declined.PaymentIntent.LastPaymentError == nil || declined.PaymentIntent.LastPaymentError.DeclineCode != "generic_decline" {
			t.Fatalf("after the decline: status %s, payment_intent %s", declined.Status, piSummary(declined.PaymentIntent))
		}

		browser.Fill(tab, t, "Card number", "4242424242424242")
		browser.Fill(tab, t, "CVC", "123")
		browser.Click(tab, t, "Pay $20.00")
		landedOnSuccess(t, tab, sf, cs.ID)
		paid := retrieveSession(t, sc, cs.ID)
		pi := paid.PaymentIntent
		if paid.Status != stripe.CheckoutSessionStatusComplete || paid.PaymentStatus != stripe.CheckoutSessionPaymentStatusPaid || pi == nil ||
			pi.ID != declined.PaymentIntent.ID || pi.Status != stripe.PaymentIntentStatusSucceeded || pi.AmountReceived != 2000 {
			t.Fatalf("after the retry: status %s, payment_status %s, payment_intent %s (want %s retried)",
				paid.Status, paid.PaymentStatus, piSummary(pi), declined.PaymentIntent.ID)
		}
		if n := len(paymentIntents(t, sc)); n != 1 {
			t.Errorf("%d PaymentIntents, want 1", n)
		}
		var charges []string
		for ch, err := range sc.V1Charges.List(ctx, &stripe.ChargeListParams{PaymentIntent: stripe.String(pi.ID)}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			charges = append(charges, string(ch.Status))
		}
		if !slices.Equal(charges, []string{"succeeded", "failed"}) { // newest first
			t.Errorf("charges of the payment: %q, want the failed one then the successful one", charges)
		}
		evs := accountEvents(t, sc)
		iFail, iOK := eventIndex(t, evs, "payment_intent.payment_failed", pi.ID), eventIndex(t, evs, "payment_intent.succeeded", pi.ID)
		if iDone := eventIndex(t, evs, "checkout.session.completed", cs.ID); !(iFail < iOK && iOK < iDone) {
			t.Errorf("events out of order: %v", evs)
		}
	})
}

// A session expired through the API shows the expired page, which cannot
// be paid.
func TestCheckoutBrowser_ExpiredThroughAPI(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		sf := newStorefront(t)
		cs := openSession(t, sc, sf, nil)
		tab := b.Tab(t)
		openPage(t, tab, cs) // a customer has the page open

		if _, err := sc.V1CheckoutSessions.Expire(ctx, cs.ID, nil); err != nil {
			t.Fatal(err)
		}
		// The open form is stale: paying from it lands on the expired page.
		fillCard(t, tab, "4242424242424242")
		browser.Click(tab, t, "Pay $20.00")
		browser.WaitText(tab, t, "This checkout session has expired")
		checkExpiredPage(t, tab, sf, cs)
		if status := browser.Navigate(tab, t, cs.URL); status != http.StatusGone {
			t.Errorf("the expired page answered %d, want 410", status)
		}
		checkExpiredPage(t, tab, sf, cs)
		if got := retrieveSession(t, sc, cs.ID); got.Status != stripe.CheckoutSessionStatusExpired || got.PaymentIntent != nil {
			t.Errorf("session: status %s, payment_intent %v", got.Status, got.PaymentIntent)
		}
		if n := len(paymentIntents(t, sc)); n != 0 {
			t.Errorf("%d PaymentIntents after paying an expired session", n)
		}
	})
}

// checkExpiredPage checks the tab shows the expired page: no form, and a
// way back to the merchant.
func checkExpiredPage(t *testing.T, tab context.Context, sf *storefront, cs *stripe.CheckoutSession) {
	t.Helper()
	if text := browser.Text(tab, t); !strings.Contains(text, "This checkout session has expired") || strings.Contains(text, "Card number") {
		t.Errorf("the page does not say the session expired:\n%s", text)
	}
	if b := browser.Buttons(tab, t); len(b) != 0 {
		t.Errorf("the expired page offers buttons %q", b)
	}
	if f := browser.Fields(tab, t); len(f) != 0 {
		t.Errorf("the expired page offers fields %q", f)
	}
	if l := browser.Links(tab, t); !slices.Equal(l, []string{"Return to the merchant"}) {
		t.Errorf("the expired page's links are %q", l)
	}
}

// A session past expires_at shows the expired page even before the
// sweeper reaches it; the sweeper then expires it, once, with its event.
func TestCheckoutBrowser_ExpiredByTime(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		clock := &paydtest.Clock{}
		srv := paydtest.NewWithClock(t, e, clock)
		sc := srv.Client(0)
		sf := newStorefront(t)
		cs := openSession(t, sc, sf, &stripe.CheckoutSessionCreateParams{ExpiresAt: stripe.Int64(clock.Now().Add(40 * time.Minute).Unix())})
		tab := b.Tab(t)

		clock.Advance(39 * time.Minute)
		openPage(t, tab, cs) // still open a minute before
		if n, err := srv.API.ExpireDueSessions(ctx); err != nil || n != 0 {
			t.Fatalf("the sweeper found %d sessions a minute before expires_at (%v)", n, err)
		}
		clock.Advance(2 * time.Minute)
		if status := browser.Navigate(tab, t, cs.URL); status != http.StatusGone {
			t.Errorf("past expires_at the page answered %d, want 410", status)
		}
		checkExpiredPage(t, tab, sf, cs)
		if got := retrieveSession(t, sc, cs.ID); got.Status != stripe.CheckoutSessionStatusOpen {
			t.Errorf("before the sweep the session's status is %s, want it still open", got.Status)
		}
		if status := postPage(t, cs.URL, url.Values{"email": {"jenny@example.com"}, "method": {"card"}, "card_number": {"4242424242424242"},
			"expiry": {"12/34"}, "cvc": {"123"}, "card_name": {"Jenny Rosen"}, "country": {"US"}, "postal_code": {"94107"}}); status == http.StatusSeeOther {
			t.Error("a session past expires_at was paid")
		}

		if n, err := srv.API.ExpireDueSessions(ctx); err != nil || n != 1 {
			t.Fatalf("the sweeper expired %d sessions (%v), want 1", n, err)
		}
		if n, err := srv.API.ExpireDueSessions(ctx); err != nil || n != 0 {
			t.Errorf("a second sweep found %d sessions (%v), want 0", n, err)
		}
		got := retrieveSession(t, sc, cs.ID)
		if got.Status != stripe.CheckoutSessionStatusExpired || got.URL != "" || got.PaymentIntent != nil {
			t.Errorf("after the sweep: status %s, url %q, payment_intent %v", got.Status, got.URL, got.PaymentIntent)
		}
		evs := accountEvents(t, sc)
		eventIndex(t, evs, "checkout.session.expired", cs.ID)
		if n := len(paymentIntents(t, sc)); n != 0 {
			t.Errorf("%d PaymentIntents", n)
		}
	})
}

// "← Cancel and return" takes the customer to cancel_url and leaves the
// session open.
func TestCheckoutBrowser_Cancel(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		sf := newStorefront(t)
		cs := openSession(t, sc, sf, nil)
		tab := b.Tab(t)
		openPage(t, tab, cs)
		browser.Click(tab, t, "← Cancel and return")
		if got, want := browser.WaitURLPrefix(tab, t, sf.URL+"/cancel"), sf.URL+"/cancel?order=7"; got != want {
			t.Errorf("the browser ended at %s, want %s", got, want)
		}
		if text := browser.Text(tab, t); text != "Order canceled" {
			t.Errorf("the cancel page reads %q", text)
		}
		got := retrieveSession(t, sc, cs.ID)
		if got.Status != stripe.CheckoutSessionStatusOpen || got.PaymentIntent != nil || len(sf.visited("/success")) != 0 {
			t.Errorf("after cancel: status %s, payment_intent %v", got.Status, got.PaymentIntent)
		}
	})
}

// A 3-D Secure card goes through the authorization page: Authorize pays
// and ends at success_url; Fail returns to the page, still open, with a
// banner, where another card can pay.
func TestCheckoutBrowser_ThreeDSecure(t *testing.T) {
	for _, outcome := range []string{"authorize", "fail"} {
		t.Run(outcome, func(t *testing.T) {
			paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
				b := browser.New(t)
				srv := paydtest.New(t, e)
				sc := srv.Client(0)
				sf := newStorefront(t)
				cs := openSession(t, sc, sf, nil)
				tab := b.Tab(t)
				openPage(t, tab, cs)
				fillCard(t, tab, "4000002760003184")
				browser.Click(tab, t, "Pay $20.00")
				browser.WaitURLPrefix(tab, t, srv.URL+"/_payd/authorize/pi_")
				if text := browser.Text(tab, t); !strings.Contains(text, "$20.00") {
					t.Errorf("the authorization page does not show $20.00:\n%s", text)
				}
				pending := retrieveSession(t, sc, cs.ID)
				if pending.Status != stripe.CheckoutSessionStatusOpen || pending.PaymentIntent == nil ||
					pending.PaymentIntent.Status != stripe.PaymentIntentStatusRequiresAction {
					t.Fatalf("waiting for 3-D Secure: status %s, payment_intent %s", pending.Status, piSummary(pending.PaymentIntent))
				}
				piID := pending.PaymentIntent.ID

				// Submitting the page again meanwhile (another tab, the
				// back button) goes to the same pending step, paying nothing.
				authURL := browser.URL(tab, t)
				if status, loc := payPage(t, cs.URL, url.Values{"email": {"jenny@example.com"}, "method": {"card"},
					"card_number": {"4242424242424242"}, "expiry": {"12/34"}, "cvc": {"123"}, "card_name": {"Jenny Rosen"},
					"country": {"US"}, "postal_code": {"94107"}}); status != http.StatusSeeOther || loc != authURL {
					t.Errorf("submitting again during 3-D Secure: %d to %q, want 303 to %s", status, loc, authURL)
				}
				if pis := paymentIntents(t, sc); len(pis) != 1 || pis[0].Status != stripe.PaymentIntentStatusRequiresAction {
					t.Errorf("after submitting again during 3-D Secure: %d PaymentIntents, want the one waiting", len(pis))
				}

				if outcome == "authorize" {
					browser.Click(tab, t, "Authorize Test Payment")
					landedOnSuccess(t, tab, sf, cs.ID)
					done := retrieveSession(t, sc, cs.ID)
					if done.Status != stripe.CheckoutSessionStatusComplete || done.PaymentStatus != stripe.CheckoutSessionPaymentStatusPaid ||
						done.PaymentIntent.ID != piID || done.PaymentIntent.Status != stripe.PaymentIntentStatusSucceeded {
						t.Fatalf("after Authorize: status %s, payment_status %s, payment_intent %s", done.Status, done.PaymentStatus, piSummary(done.PaymentIntent))
					}
					return
				}

				browser.Click(tab, t, "Fail Test Payment")
				browser.WaitURLPrefix(tab, t, cs.URL)
				text := browser.WaitText(tab, t, "The payment was not authorized.")
				if !strings.Contains(text, "Concert ticket") || len(sf.visited("/success")) != 0 {
					t.Errorf("after Fail the customer is not back on the form:\n%s", text)
				}
				failed := retrieveSession(t, sc, cs.ID)
				if failed.Status != stripe.CheckoutSessionStatusOpen || failed.PaymentIntent == nil || failed.PaymentIntent.ID != piID ||
					failed.PaymentIntent.Status != stripe.PaymentIntentStatusRequiresPaymentMethod {
					t.Fatalf("after Fail: status %s, payment_intent %s", failed.Status, piSummary(failed.PaymentIntent))
				}
				// What the customer typed is still there, except the card.
				for label, want := range map[string]string{"Email": "jenny@example.com", "Cardholder name": "Jenny Rosen",
					"Country or region": "US", "Postal code": "94107", "Card number": ""} {
					if got := browser.FieldValue(tab, t, label); got != want {
						t.Errorf("back from the authorization page, %s reads %q, want %q", label, got, want)
					}
				}
				// The session can still be paid, by the same PaymentIntent.
				browser.Fill(tab, t, "Card number", "4242424242424242")
				browser.Fill(tab, t, "Expiration", "12 / 34")
				browser.Fill(tab, t, "CVC", "123")
				browser.Click(tab, t, "Pay $20.00")
				landedOnSuccess(t, tab, sf, cs.ID)
				done := retrieveSession(t, sc, cs.ID)
				if done.PaymentStatus != stripe.CheckoutSessionPaymentStatusPaid || done.PaymentIntent.ID != piID {
					t.Errorf("paying after Fail: payment_status %s, payment_intent %s (want %s)", done.PaymentStatus, done.PaymentIntent.ID, piID)
				}
			})
		})
	}
}

// Submitting a page again (a second tab, the form posted again, two
// posts at once) pays once and sends every submission to success_url.
func TestCheckoutBrowser_DoubleSubmit(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		sf := newStorefront(t)
		cs := openSession(t, sc, sf, nil)

		// The customer opened the page twice and pays in both tabs.
		first, second := b.Tab(t), b.Tab(t)
		openPage(t, first, cs)
		openPage(t, second, cs)
		fillCard(t, first, "4242424242424242")
		fillCard(t, second, "5555555555554444")
		browser.Click(first, t, "Pay $20.00")
		browser.WaitURLPrefix(first, t, sf.URL+"/success?session_id="+cs.ID)
		browser.Click(second, t, "Pay $20.00")
		browser.WaitURLPrefix(second, t, sf.URL+"/success?session_id="+cs.ID)

		// And the same form posted once more.
		fields := url.Values{"email": {"jenny@example.com"}, "method": {"card"}, "card_number": {"4242424242424242"},
			"expiry": {"12 / 34"}, "cvc": {"123"}, "card_name": {"Jenny Rosen"}, "country": {"US"}, "postal_code": {"94107"}}
		if status, loc := payPage(t, cs.URL, fields); status != http.StatusSeeOther || loc != sf.URL+"/success?session_id="+cs.ID {
			t.Errorf("posting the paid page again: %d to %q, want 303 to success_url", status, loc)
		}

		done := retrieveSession(t, sc, cs.ID)
		if done.PaymentStatus != stripe.CheckoutSessionPaymentStatusPaid || done.PaymentIntent == nil {
			t.Fatalf("session: payment_status %s", done.PaymentStatus)
		}
		pis := paymentIntents(t, sc)
		if len(pis) != 1 || pis[0].ID != done.PaymentIntent.ID || pis[0].AmountReceived != 2000 {
			t.Fatalf("%d PaymentIntents, want the session's one: %v", len(pis), pis)
		}
		var charges int
		for _, err := range sc.V1Charges.List(ctx, &stripe.ChargeListParams{}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			charges++
		}
		if charges != 1 {
			t.Errorf("%d charges, want 1", charges)
		}
		if pm, err := sc.V1PaymentMethods.Retrieve(ctx, done.PaymentIntent.PaymentMethod.ID, nil); err != nil || pm.Card == nil || pm.Card.Last4 != "4242" {
			t.Errorf("the payment used %v (%v), want the first tab's card, •••• 4242", pm, err)
		}
		evs := accountEvents(t, sc)
		eventIndex(t, evs, "checkout.session.completed", cs.ID)
		if n := countEvents(evs, "payment_intent.succeeded"); n != 1 {
			t.Errorf("%d payment_intent.succeeded events", n)
		}

		// Two posts of a fresh page at the same moment: one payment.
		race := openSession(t, sc, sf, nil)
		var wg sync.WaitGroup
		results := make([]string, 2)
		for i := range results {
			wg.Go(func() {
				client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
				resp, err := client.PostForm(race.URL, fields)
				if err != nil {
					results[i] = err.Error()
					return
				}
				resp.Body.Close()
				results[i] = http.StatusText(resp.StatusCode) + " " + resp.Header.Get("Location")
			})
		}
		wg.Wait()
		want := http.StatusText(http.StatusSeeOther) + " " + sf.URL + "/success?session_id=" + race.ID
		for i, r := range results {
			if r != want {
				t.Errorf("concurrent post %d: %s, want %s", i, r, want)
			}
		}
		if n := len(paymentIntents(t, sc)); n != 2 {
			t.Errorf("%d PaymentIntents after two concurrent posts of a second session, want 2 in all", n)
		}
		if got := retrieveSession(t, sc, race.ID); got.PaymentStatus != stripe.CheckoutSessionPaymentStatusPaid {
			t.Errorf("second session: payment_status %s", got.PaymentStatus)
		}
	})
}
