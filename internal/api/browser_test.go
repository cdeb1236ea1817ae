package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/testutil/browser"
	"github.com/payd/payd/internal/testutil/paydtest"
)

// The redirect authorization page in a real browser: what
// TestPaymentIntents_ThreeDSecure checks over raw HTTP, done the way a
// customer does it (PRODUCT.md: "real hosted pages in a real browser"). The
// page is found and clicked by the accessible names PRODUCT.md promises,
// "Authorize Test Payment" and "Fail Test Payment", and the flow must end at
// the merchant's return_url with Stripe's query parameters.

// merchant is the shop a return_url points at: it records the query strings
// of the customers sent back to /return and thanks them.
type merchant struct {
	*httptest.Server
	mu      sync.Mutex
	returns []url.Values
}

func newMerchant(t *testing.T) *merchant {
	m := &merchant{}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/return" { // e.g. the browser asking for /favicon.ico
			http.NotFound(w, r)
			return
		}
		m.mu.Lock()
		m.returns = append(m.returns, r.URL.Query())
		m.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("thanks"))
	}))
	t.Cleanup(m.Close)
	return m
}

// returned is every query string /return received so far.
func (m *merchant) returned() []url.Values {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.returns)
}

// returnURL is the return_url given to payd: with a query string of the
// merchant's own, which payd must keep.
func (m *merchant) returnURL() string { return m.URL + "/return?order=7" }

// confirmAmazonPay creates and confirms a €20.00 Amazon Pay PaymentIntent that
// returns to m, and checks that it waits for the customer at a redirect.
func confirmAmazonPay(t *testing.T, sc *stripe.Client, m *merchant) *stripe.PaymentIntent {
	t.Helper()
	pi, err := sc.V1PaymentIntents.Create(t.Context(), &stripe.PaymentIntentCreateParams{
		Amount: stripe.Int64(2000), Currency: stripe.String("eur"), Confirm: stripe.Bool(true),
		PaymentMethodTypes: []*string{stripe.String("amazon_pay")},
		PaymentMethodData:  &stripe.PaymentIntentCreatePaymentMethodDataParams{Type: stripe.String("amazon_pay")},
		ReturnURL:          stripe.String(m.returnURL()),
	})
	if err != nil {
		t.Fatal(err)
	}
	redirectNext(t, pi, m)
	return pi
}

// redirectNext checks that pi waits at a redirect_to_url that returns to m.
func redirectNext(t *testing.T, pi *stripe.PaymentIntent, m *merchant) {
	t.Helper()
	if pi.Status != stripe.PaymentIntentStatusRequiresAction || pi.NextAction == nil || pi.NextAction.RedirectToURL == nil ||
		pi.NextAction.RedirectToURL.URL == "" || pi.NextAction.RedirectToURL.ReturnURL != m.returnURL() {
		t.Fatalf("want requires_action with a redirect back to %s, got %s %+v", m.returnURL(), pi.Status, pi.NextAction)
	}
}

// openAuthorizePage opens an authorization link in tab and checks that the page
// shows the amount and both choices.
func openAuthorizePage(t *testing.T, tab context.Context, link, amount string) {
	t.Helper()
	if status := browser.Navigate(tab, t, link); status != http.StatusOK {
		t.Fatalf("the authorization page answered %d:\n%s", status, browser.Text(tab, t))
	}
	if text := browser.Text(tab, t); !strings.Contains(text, amount) {
		t.Errorf("the page does not show %s:\n%s", amount, text)
	}
	if got, want := browser.Buttons(tab, t), []string{"Authorize Test Payment", "Fail Test Payment"}; !slices.Equal(got, want) {
		t.Errorf("the page's buttons are %q, want %q", got, want)
	}
}

// checkReturn checks that the customer came back to m exactly once, at the
// address the browser ended on, with the merchant's own query kept and
// Stripe's parameters for pi added.
func checkReturn(t *testing.T, m *merchant, final string, pi *stripe.PaymentIntent, redirectStatus string) {
	t.Helper()
	got := m.returned()
	if len(got) != 1 {
		t.Fatalf("the merchant saw %d returns, want 1: %v", len(got), got)
	}
	want := url.Values{"order": {"7"}, "payment_intent": {pi.ID},
		"payment_intent_client_secret": {pi.ClientSecret}, "redirect_status": {redirectStatus}}
	for k, v := range want {
		if !slices.Equal(got[0][k], v) {
			t.Errorf("return query %s = %q, want %q (query %v)", k, got[0][k], v, got[0])
		}
	}
	u, err := url.Parse(final)
	if err != nil || u.Path != "/return" || u.Query().Get("payment_intent") != pi.ID {
		t.Errorf("the browser ended at %s", final)
	}
}

func TestBrowser_AmazonPayAuthorize(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t) // first: skips before any setup if there is no browser
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		m := newMerchant(t)
		pi := confirmAmazonPay(t, sc, m)

		tab := b.Tab(t)
		openAuthorizePage(t, tab, pi.NextAction.RedirectToURL.URL, "€20.00")
		browser.Click(tab, t, "Authorize Test Payment")
		final := browser.WaitURLPrefix(tab, t, m.URL+"/return?")
		checkReturn(t, m, final, pi, "succeeded")
		if text := browser.Text(tab, t); text != "thanks" {
			t.Errorf("the merchant's page reads %q", text)
		}
		got, err := sc.V1PaymentIntents.Retrieve(t.Context(), pi.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != stripe.PaymentIntentStatusSucceeded || got.AmountReceived != 2000 {
			t.Fatalf("after Authorize: status %s, amount_received %d", got.Status, got.AmountReceived)
		}
	})
}

func TestBrowser_AmazonPayFail(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		m := newMerchant(t)
		pi := confirmAmazonPay(t, sc, m)

		tab := b.Tab(t)
		openAuthorizePage(t, tab, pi.NextAction.RedirectToURL.URL, "€20.00")
		browser.Click(tab, t, "Fail Test Payment")
		final := browser.WaitURLPrefix(tab, t, m.URL+"/return?")
		checkReturn(t, m, final, pi, "failed")
		got, err := sc.V1PaymentIntents.Retrieve(t.Context(), pi.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != stripe.PaymentIntentStatusRequiresPaymentMethod || got.LastPaymentError == nil {
			t.Fatalf("after Fail: status %s, last_payment_error %+v", got.Status, got.LastPaymentError)
		}
	})
}

// TestBrowser_UsedLinkIsInert: once the payment is decided, the link (in a
// tab left open, or opened again from history) says so and changes nothing.
func TestBrowser_UsedLinkIsInert(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		m := newMerchant(t)
		pi := confirmAmazonPay(t, sc, m)
		link := pi.NextAction.RedirectToURL.URL

		// Two tabs on the page, as when a customer opened the link twice.
		first, second := b.Tab(t), b.Tab(t)
		openAuthorizePage(t, first, link, "€20.00")
		openAuthorizePage(t, second, link, "€20.00")
		browser.Click(first, t, "Authorize Test Payment")
		browser.WaitURLPrefix(first, t, m.URL+"/return?")

		// The stale tab's Fail is refused, not applied.
		browser.Click(second, t, "Fail Test Payment")
		browser.WaitText(second, t, "no longer valid")
		if b := browser.Buttons(second, t); len(b) != 0 {
			t.Errorf("the refusal offers buttons %q", b)
		}

		// Opening the link again: a page saying so, without buttons.
		if status := browser.Navigate(first, t, link); status != http.StatusGone {
			t.Errorf("the used link answered %d, want 410", status)
		}
		if text := browser.Text(first, t); !strings.Contains(text, "no longer valid") {
			t.Errorf("the used link's page does not say it is no longer valid:\n%s", text)
		}
		if b := browser.Buttons(first, t); len(b) != 0 {
			t.Errorf("the used link's page offers buttons %q", b)
		}

		if n := len(m.returned()); n != 1 {
			t.Errorf("the merchant saw %d returns, want 1", n)
		}
		got, err := sc.V1PaymentIntents.Retrieve(t.Context(), pi.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != stripe.PaymentIntentStatusSucceeded {
			t.Fatalf("after the used link: status %s, want succeeded", got.Status)
		}
	})
}

func TestBrowser_ThreeDSecure(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		m := newMerchant(t)
		pi, err := sc.V1PaymentIntents.Create(t.Context(), &stripe.PaymentIntentCreateParams{
			Amount: stripe.Int64(2000), Currency: stripe.String("usd"), Confirm: stripe.Bool(true),
			PaymentMethod:      stripe.String("pm_card_threeDSecure2Required"),
			PaymentMethodTypes: []*string{stripe.String("card")},
			ReturnURL:          stripe.String(m.returnURL()),
		})
		if err != nil {
			t.Fatal(err)
		}
		redirectNext(t, pi, m)

		tab := b.Tab(t)
		openAuthorizePage(t, tab, pi.NextAction.RedirectToURL.URL, "$20.00")
		browser.Click(tab, t, "Authorize Test Payment")
		final := browser.WaitURLPrefix(tab, t, m.URL+"/return?")
		checkReturn(t, m, final, pi, "succeeded")
		got, err := sc.V1PaymentIntents.Retrieve(t.Context(), pi.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != stripe.PaymentIntentStatusSucceeded {
			t.Fatalf("after Authorize: status %s", got.Status)
		}
	})
}

// TestBrowser_WithoutJavaScript: the page is a plain HTML form, so
// customers who block scripts can pay too.
func TestBrowser_WithoutJavaScript(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		m := newMerchant(t)
		pi := confirmAmazonPay(t, sc, m)

		tab := b.Tab(t)
		browser.DisableJavaScript(tab, t)
		openAuthorizePage(t, tab, pi.NextAction.RedirectToURL.URL, "€20.00")
		browser.Click(tab, t, "Authorize Test Payment")
		final := browser.WaitURLPrefix(tab, t, m.URL+"/return?")
		checkReturn(t, m, final, pi, "succeeded")
		got, err := sc.V1PaymentIntents.Retrieve(t.Context(), pi.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != stripe.PaymentIntentStatusSucceeded {
			t.Fatalf("after Authorize: status %s", got.Status)
		}
	})
}
