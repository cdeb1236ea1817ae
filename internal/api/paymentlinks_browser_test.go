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

// Seed 004 in a real browser: a customer opens a Payment Link's url, lands
// on a fresh Checkout page for the link, pays, and ends where the link's
// after_completion says; a deactivated link says it is no longer active.
// Fields and buttons are found by the accessible names PRODUCT.md lists.

// linkShop is the merchant's site a link redirects to after payment: it
// records the query strings /thanks was opened with.
type linkShop struct {
	*httptest.Server
	mu     sync.Mutex
	thanks []url.Values
}

func newLinkShop(t *testing.T) *linkShop {
	s := &linkShop{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/thanks" {
			http.NotFound(w, r)
			return
		}
		s.mu.Lock()
		s.thanks = append(s.thanks, r.URL.Query())
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("Thanks for your order"))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *linkShop) visits() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.thanks)
}

// fillLinkCard fills the contact, card and billing fields with the 4242
// test card.
func fillLinkCard(t *testing.T, tab context.Context) {
	t.Helper()
	browser.Fill(tab, t, "Email", "jenny@example.com")
	browser.Check(tab, t, "Card")
	browser.Fill(tab, t, "Card number", "4242 4242 4242 4242")
	browser.Fill(tab, t, "Expiration", "12 / 34")
	browser.Fill(tab, t, "CVC", "123")
	browser.Fill(tab, t, "Cardholder name", "Jenny Rosen")
	browser.Select(tab, t, "Country or region", "US")
	browser.Fill(tab, t, "Postal code", "10001")
}

// openLinkPage opens a link's url in tab and checks that it arrived at a
// Checkout page for the link, returning that session.
func openLinkPage(t *testing.T, tab context.Context, sc *stripe.Client, l *stripe.PaymentLink) *stripe.CheckoutSession {
	t.Helper()
	if status := browser.Navigate(tab, t, l.URL); status != http.StatusOK {
		t.Fatalf("the link's page answered %d:\n%s", status, browser.Text(tab, t))
	}
	page := browser.URL(tab, t)
	sessions := linkSessions(t, sc, l.ID)
	if len(sessions) == 0 || sessions[0].URL != page {
		t.Fatalf("the browser is at %s; the link's newest session is %+v", page, sessions)
	}
	return sessions[0]
}

// clickSubmit presses the page's one submit button whose name starts with
// verb ("Pay", "Donate") and returns its name.
func clickSubmit(t *testing.T, tab context.Context, verb string) string {
	t.Helper()
	var hits []string
	for _, b := range browser.Buttons(tab, t) {
		if strings.HasPrefix(b, verb+" ") {
			hits = append(hits, b)
		}
	}
	if len(hits) != 1 {
		t.Fatalf("the page's %s buttons are %q (all: %q)", verb, hits, browser.Buttons(tab, t))
	}
	browser.Click(tab, t, hits[0])
	return hits[0]
}

func TestPaymentLinkBrowser_PayStandardPriceAndRedirect(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		shop := newLinkShop(t)
		l := createLink(t, sc, &stripe.PaymentLinkCreateParams{LineItems: lineItems(linkPrice(t, sc, "Concert ticket", 2000)),
			AfterCompletion: &stripe.PaymentLinkCreateAfterCompletionParams{Type: stripe.String("redirect"),
				Redirect: &stripe.PaymentLinkCreateAfterCompletionRedirectParams{URL: stripe.String(shop.URL + "/thanks?session={CHECKOUT_SESSION_ID}")}}})

		tab := b.Tab(t)
		cs := openLinkPage(t, tab, sc, l)
		if text := browser.Text(tab, t); !strings.Contains(text, "Concert ticket") || !strings.Contains(text, "$20.00") {
			t.Errorf("the page does not show the ticket and its price:\n%s", text)
		}
		if got, want := browser.Buttons(tab, t), []string{"Pay $20.00"}; !slices.Equal(got, want) {
			t.Errorf("the page's buttons are %q, want %q", got, want)
		}
		fillLinkCard(t, tab)
		browser.Click(tab, t, "Pay $20.00")
		final := browser.WaitURLPrefix(tab, t, shop.URL+"/thanks?")
		if want := shop.URL + "/thanks?session=" + cs.ID; final != want {
			t.Errorf("the browser ended at %s, want %s", final, want)
		}
		if v := shop.visits(); len(v) != 1 || v[0].Get("session") != cs.ID {
			t.Errorf("the shop saw %v", v)
		}

		done, err := sc.V1CheckoutSessions.Retrieve(ctx, cs.ID, nil)
		if err != nil || done.Status != "complete" || done.PaymentStatus != "paid" || done.PaymentLink == nil || done.PaymentLink.ID != l.ID {
			t.Fatalf("session after payment: %+v %v", done, err)
		}
		evs := pmEvents(t, sc, "checkout.session.completed")
		if len(evs) != 1 || evs[0].Data.Object["payment_link"] != l.ID {
			t.Fatalf("checkout.session.completed: %+v", evs)
		}
	})
}

func TestPaymentLinkBrowser_CustomerChosenAmountAndConfirmation(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		l := createLink(t, sc, &stripe.PaymentLinkCreateParams{LineItems: lineItems(customPrice(t, sc, "Donation", 500, 10000)),
			SubmitType: stripe.String("donate"),
			AfterCompletion: &stripe.PaymentLinkCreateAfterCompletionParams{Type: stripe.String("hosted_confirmation"),
				HostedConfirmation: &stripe.PaymentLinkCreateAfterCompletionHostedConfirmationParams{CustomMessage: stripe.String("Thank you for supporting the library!")}}})

		tab := b.Tab(t)
		cs := openLinkPage(t, tab, sc, l)
		fillLinkCard(t, tab)
		// Below the price's minimum: refused beside the field, nothing paid.
		browser.Fill(tab, t, "Amount (USD)", "2")
		// submit_type=donate names the button as Stripe's page does.
		clickSubmit(t, tab, "Donate")
		browser.WaitText(tab, t, "Enter an amount of at least $5.00.")
		if got, err := sc.V1CheckoutSessions.Retrieve(ctx, cs.ID, nil); err != nil || got.Status != "open" || got.PaymentIntent != nil {
			t.Fatalf("after the refused amount: %+v %v", got, err)
		}
		// Within the bounds: paid, and the page thanks with the link's
		// message.
		fillLinkCard(t, tab)
		browser.Fill(tab, t, "Amount (USD)", "25")
		clickSubmit(t, tab, "Donate")
		browser.WaitText(tab, t, "Thank you for supporting the library!")

		done, err := sc.V1CheckoutSessions.Retrieve(ctx, cs.ID, nil)
		if err != nil || done.Status != "complete" || done.AmountTotal != 2500 || done.PaymentLink == nil || done.PaymentLink.ID != l.ID {
			t.Fatalf("session after payment: %+v %v", done, err)
		}
		pi, err := sc.V1PaymentIntents.Retrieve(ctx, done.PaymentIntent.ID, nil)
		if err != nil || pi.Amount != 2500 || pi.Status != "succeeded" {
			t.Fatalf("intent: %+v %v", pi, err)
		}
	})
}

func TestPaymentLinkBrowser_DeactivatedThenReactivated(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		l := createLink(t, sc, &stripe.PaymentLinkCreateParams{LineItems: lineItems(linkPrice(t, sc, "Workshop", 2000))})
		if _, err := sc.V1PaymentLinks.Update(ctx, l.ID, &stripe.PaymentLinkUpdateParams{Active: stripe.Bool(false)}); err != nil {
			t.Fatal(err)
		}

		tab := b.Tab(t)
		if status := browser.Navigate(tab, t, l.URL); status != http.StatusGone {
			t.Errorf("the deactivated link answered %d", status)
		}
		browser.WaitText(tab, t, "no longer active")
		if got := browser.Buttons(tab, t); len(got) != 0 {
			t.Errorf("the expiry page offers buttons %q", got)
		}
		if n := len(linkSessions(t, sc, l.ID)); n != 0 {
			t.Fatalf("the deactivated link opened %d sessions", n)
		}

		if _, err := sc.V1PaymentLinks.Update(ctx, l.ID, &stripe.PaymentLinkUpdateParams{Active: stripe.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		openLinkPage(t, tab, sc, l)
		fillLinkCard(t, tab)
		browser.Click(tab, t, "Pay $20.00")
		browser.WaitText(tab, t, "Your payment was received")
		if sessions := linkSessions(t, sc, l.ID); len(sessions) != 1 || sessions[0].Status != "complete" {
			t.Fatalf("sessions after reactivation: %+v", sessions)
		}
	})
}

func TestPaymentLinkBrowser_CompletedSessionsLimitDeactivates(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		l := createLink(t, sc, &stripe.PaymentLinkCreateParams{LineItems: lineItems(linkPrice(t, sc, "Last seat", 2000)),
			Restrictions:    &stripe.PaymentLinkCreateRestrictionsParams{CompletedSessions: &stripe.PaymentLinkCreateRestrictionsCompletedSessionsParams{Limit: stripe.Int64(1)}},
			InactiveMessage: stripe.String("All seats are taken; this link is no longer active.")})

		tab := b.Tab(t)
		openLinkPage(t, tab, sc, l)
		fillLinkCard(t, tab)
		browser.Click(tab, t, "Pay $20.00")
		browser.WaitText(tab, t, "Your payment was received")

		got, err := sc.V1PaymentLinks.Retrieve(ctx, l.ID, nil)
		if err != nil || got.Active || got.Restrictions == nil || got.Restrictions.CompletedSessions.Count != 1 {
			t.Fatalf("link after its one sale: %+v %v", got, err)
		}
		if evs := pmEvents(t, sc, "payment_link.updated"); len(evs) != 1 || evs[0].Data.Object["active"] != false {
			t.Fatalf("payment_link.updated: %+v", evs)
		}
		// The next customer sees the link's message and starts nothing.
		next := b.Tab(t)
		if status := browser.Navigate(next, t, l.URL); status != http.StatusGone {
			t.Errorf("the used-up link answered %d", status)
		}
		browser.WaitText(next, t, "All seats are taken")
		if n := len(linkSessions(t, sc, l.ID)); n != 1 {
			t.Fatalf("the link has %d sessions, want 1", n)
		}
	})
}
