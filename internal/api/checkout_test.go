package api_test

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/testutil/paydtest"
)

// usdPrice creates an active one-time price of amount (usd) for a new
// product called name.
func usdPrice(t *testing.T, sc *stripe.Client, name string, amount int64) *stripe.Price {
	t.Helper()
	p, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(amount),
		ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String(name)}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// paymentSession creates a payment-mode session for qty of price, with
// extra params applied first.
func paymentSession(t *testing.T, sc *stripe.Client, price string, qty int64, extra *stripe.CheckoutSessionCreateParams) *stripe.CheckoutSession {
	t.Helper()
	p := extra
	if p == nil {
		p = &stripe.CheckoutSessionCreateParams{}
	}
	p.Mode = stripe.String("payment")
	p.LineItems = append(p.LineItems, &stripe.CheckoutSessionCreateLineItemParams{Price: stripe.String(price), Quantity: stripe.Int64(qty)})
	if p.SuccessURL == nil {
		p.SuccessURL = stripe.String("https://example.com/success?session_id={CHECKOUT_SESSION_ID}")
	}
	cs, err := sc.V1CheckoutSessions.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// payPage submits a session's hosted page over plain HTTP, as a browser
// without JavaScript would, and returns the status and where it redirects.
func payPage(t *testing.T, pageURL string, fields url.Values) (int, string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(pageURL, fields)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

func cardFields(number string) url.Values {
	return url.Values{"email": {"jenny@example.com"}, "method": {"card"}, "card_number": {number}, "expiry": {"12 / 34"},
		"cvc": {"123"}, "card_name": {"Jenny Rosen"}, "country": {"US"}, "postal_code": {"94107"}}
}

func TestCheckoutSessions_CreatePaymentMode(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		price := usdPrice(t, sc, "T-shirt", 2000)
		before := time.Now().Unix()
		cs := paymentSession(t, sc, price.ID, 3, &stripe.CheckoutSessionCreateParams{
			CancelURL: stripe.String("https://example.com/cancel"), ClientReferenceID: stripe.String("order-7"),
			Metadata: map[string]string{"order": "7"},
		})
		if !strings.HasPrefix(cs.ID, "cs_test_") || cs.Object != "checkout.session" || cs.Mode != "payment" ||
			cs.Status != stripe.CheckoutSessionStatusOpen || cs.PaymentStatus != stripe.CheckoutSessionPaymentStatusUnpaid ||
			cs.AmountSubtotal != 6000 || cs.AmountTotal != 6000 || cs.Currency != "usd" || cs.PaymentIntent != nil ||
			cs.ClientReferenceID != "order-7" || cs.Metadata["order"] != "7" || cs.CancelURL != "https://example.com/cancel" ||
			cs.SuccessURL != "https://example.com/success?session_id={CHECKOUT_SESSION_ID}" || cs.Livemode ||
			cs.CustomerCreation != "if_required" || cs.Customer != nil || cs.LineItems != nil {
			t.Fatalf("session: %+v", cs)
		}
		if cs.URL != srv.URL+"/_payd/checkout/"+cs.ID {
			t.Fatalf("url %q", cs.URL)
		}
		// Stripe's default: 24 hours.
		if d := cs.ExpiresAt - cs.Created; d != 24*3600 || cs.Created < before {
			t.Fatalf("expires_at %d created %d", cs.ExpiresAt, cs.Created)
		}
		// The account's enabled methods that take usd, in payd's order.
		if want := []string{"card", "amazon_pay", "us_bank_account"}; !slices.Equal(cs.PaymentMethodTypes, want) {
			t.Fatalf("payment_method_types %v, want %v", cs.PaymentMethodTypes, want)
		}
		got, err := sc.V1CheckoutSessions.Retrieve(ctx, cs.ID, &stripe.CheckoutSessionRetrieveParams{
			Params: stripe.Params{Expand: []*string{stripe.String("line_items.data.price.product")}}})
		if err != nil {
			t.Fatal(err)
		}
		if got.LineItems == nil || len(got.LineItems.Data) != 1 {
			t.Fatalf("line_items: %+v", got.LineItems)
		}
		li := got.LineItems.Data[0]
		if !strings.HasPrefix(li.ID, "li_") || li.Quantity != 3 || li.AmountSubtotal != 6000 || li.AmountTotal != 6000 ||
			li.Currency != "usd" || li.Description != "T-shirt" || li.Price == nil || li.Price.ID != price.ID ||
			li.Price.Product == nil || li.Price.Product.Name != "T-shirt" {
			t.Fatalf("line item: %+v price %+v", li, li.Price)
		}
		// Without expand, no line_items.
		plain, err := sc.V1CheckoutSessions.Retrieve(ctx, cs.ID, nil)
		if err != nil || plain.LineItems != nil {
			t.Fatalf("plain retrieve: %+v %v", plain, err)
		}
	})
}

func TestCheckoutSessions_PriceDataAndLineItemPages(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		p := &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), SuccessURL: stripe.String("https://example.com/ok")}
		for i := range 3 {
			p.LineItems = append(p.LineItems, &stripe.CheckoutSessionCreateLineItemParams{Quantity: stripe.Int64(int64(i + 1)),
				PriceData: &stripe.CheckoutSessionCreateLineItemPriceDataParams{Currency: stripe.String("eur"), UnitAmount: stripe.Int64(500),
					ProductData: &stripe.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripe.String("Sticker")}}})
		}
		cs, err := sc.V1CheckoutSessions.Create(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if cs.AmountTotal != 500*(1+2+3) || cs.Currency != "eur" {
			t.Fatalf("totals: %d %s", cs.AmountTotal, cs.Currency)
		}
		// eur: Amazon Pay and SEPA Direct Debit join cards; ACH does not.
		if want := []string{"card", "amazon_pay", "sepa_debit"}; !slices.Equal(cs.PaymentMethodTypes, want) {
			t.Fatalf("types %v", cs.PaymentMethodTypes)
		}
		var ids []string
		var qtys []int64
		for li, err := range sc.V1CheckoutSessions.ListLineItems(ctx, &stripe.CheckoutSessionListLineItemsParams{Session: stripe.String(cs.ID),
			ListParams: stripe.ListParams{Limit: stripe.Int64(2)}}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			ids, qtys = append(ids, li.ID), append(qtys, li.Quantity)
			// Inline prices are real, inactive prices.
			if li.Price.Active || li.Price.UnitAmount != 500 {
				t.Fatalf("inline price: %+v", li.Price)
			}
		}
		if !slices.Equal(qtys, []int64{1, 2, 3}) || len(ids) != 3 {
			t.Fatalf("paged items: %v %v", ids, qtys)
		}
		r := srv.Do("GET", "/v1/checkout/sessions/cs_test_nope/line_items", srv.Accounts[0].Secret, "")
		if r.Status != 404 || !strings.Contains(r.Body, "No such checkout.session: 'cs_test_nope'") {
			t.Fatalf("missing session: %d %s", r.Status, r.Body)
		}
	})
}

func TestCheckoutSessions_CreateRules(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		price := usdPrice(t, sc, "Mug", 1500)
		eur, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Currency: stripe.String("eur"), UnitAmount: stripe.Int64(900),
			ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("Poster")}})
		if err != nil {
			t.Fatal(err)
		}
		monthly, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(900),
			Recurring:   &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")},
			ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("Plan")}})
		if err != nil {
			t.Fatal(err)
		}
		inactive := usdPrice(t, sc, "Old", 100)
		if _, err := sc.V1Prices.Update(ctx, inactive.ID, &stripe.PriceUpdateParams{Active: stripe.Bool(false)}); err != nil {
			t.Fatal(err)
		}
		item := func(price string) []*stripe.CheckoutSessionCreateLineItemParams {
			return []*stripe.CheckoutSessionCreateLineItemParams{{Price: stripe.String(price), Quantity: stripe.Int64(1)}}
		}
		cases := []struct {
			name   string
			params *stripe.CheckoutSessionCreateParams
			status int
			code   string
			param  string
		}{
			{"no mode", &stripe.CheckoutSessionCreateParams{LineItems: item(price.ID)}, 400, "parameter_missing", "mode"},
			{"subscription mode", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("subscription"), LineItems: item(monthly.ID)}, 400, "", "mode"},
			{"no line items", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment")}, 400, "", "line_items"},
			{"recurring price", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: item(monthly.ID)}, 400, "", "line_items[0][price]"},
			{"inactive price", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: item(inactive.ID)}, 400, "", "line_items[0][price]"},
			{"unknown price", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: item("price_nope")}, 400, "resource_missing", "line_items[0][price]"},
			{"mixed currencies", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"),
				LineItems: append(item(price.ID), item(eur.ID)...)}, 400, "", "line_items[1][price]"},
			{"no quantity", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"),
				LineItems: []*stripe.CheckoutSessionCreateLineItemParams{{Price: stripe.String(price.ID)}}}, 400, "parameter_missing", "line_items[0][quantity]"},
			{"customer and email", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: item(price.ID),
				Customer: stripe.String("cus_x"), CustomerEmail: stripe.String("a@example.com")}, 400, "parameters_exclusive", "customer_email"},
			{"unknown customer", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: item(price.ID),
				Customer: stripe.String("cus_nope")}, 400, "resource_missing", "customer"},
			{"expires too soon", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: item(price.ID),
				ExpiresAt: stripe.Int64(time.Now().Add(10 * time.Minute).Unix())}, 400, "", "expires_at"},
			{"expires too late", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: item(price.ID),
				ExpiresAt: stripe.Int64(time.Now().Add(25 * time.Hour).Unix())}, 400, "", "expires_at"},
			{"discounts refused", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: item(price.ID),
				Discounts: []*stripe.CheckoutSessionCreateDiscountParams{{Coupon: stripe.String("c")}}}, 400, "", "discounts"},
			{"automatic tax refused", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: item(price.ID),
				AutomaticTax: &stripe.CheckoutSessionCreateAutomaticTaxParams{Enabled: stripe.Bool(true)}}, 400, "", "automatic_tax[enabled]"},
			{"amazon pay in cad", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"),
				LineItems: []*stripe.CheckoutSessionCreateLineItemParams{{Quantity: stripe.Int64(1), PriceData: &stripe.CheckoutSessionCreateLineItemPriceDataParams{
					Currency: stripe.String("cad"), UnitAmount: stripe.Int64(1000), ProductData: &stripe.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripe.String("Hat")}}}},
				PaymentMethodTypes: []*string{stripe.String("amazon_pay")}}, 400, "", "payment_method_types[0]"},
			{"quantity outside adjustable bounds", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"),
				LineItems: []*stripe.CheckoutSessionCreateLineItemParams{{Price: stripe.String(price.ID), Quantity: stripe.Int64(5),
					AdjustableQuantity: &stripe.CheckoutSessionCreateLineItemAdjustableQuantityParams{Enabled: stripe.Bool(true), Maximum: stripe.Int64(3)}}}},
				400, "", "line_items[0][quantity]"},
			{"terms of service text without consent", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: item(price.ID),
				CustomText: &stripe.CheckoutSessionCreateCustomTextParams{TermsOfServiceAcceptance: &stripe.CheckoutSessionCreateCustomTextTermsOfServiceAcceptanceParams{Message: stripe.String("ok")}}},
				400, "", "custom_text[terms_of_service_acceptance]"},
			{"payment_method_collection outside subscriptions", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: item(price.ID),
				PaymentMethodCollection: stripe.String("if_required")}, 400, "", "payment_method_collection"},
			{"setup mode without methods or currency", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("setup"),
				SuccessURL: stripe.String("https://example.com/ok")}, 400, "parameter_missing", "currency"},
			{"line items in setup mode", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("setup"), LineItems: item(price.ID)}, 400, "", "line_items"},
			{"payment_intent_data in setup mode", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("setup"), Currency: stripe.String("usd"),
				PaymentIntentData: &stripe.CheckoutSessionCreatePaymentIntentDataParams{Description: stripe.String("x")}}, 400, "", "payment_intent_data"},
			{"unknown param", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: item(price.ID),
				Params: stripe.Params{Extra: &stripe.ExtraValues{Values: url.Values{"flavor": {"x"}}}}}, 400, "parameter_unknown", "flavor"},
		}
		for _, c := range cases {
			_, err := sc.V1CheckoutSessions.Create(ctx, c.params)
			if err == nil {
				t.Fatalf("%s: no error", c.name)
			}
			stripeErr(t, err, c.status, "invalid_request_error", c.code, c.param)
		}
		// Nothing half-written: no session exists after all those refusals.
		for _, err := range sc.V1CheckoutSessions.List(ctx, &stripe.CheckoutSessionListParams{}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			t.Fatal("a refused create left a session behind")
		}
	})
}

func TestCheckoutSessions_SetupMode(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		cus, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("a@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		cs, err := sc.V1CheckoutSessions.Create(ctx, &stripe.CheckoutSessionCreateParams{Mode: stripe.String("setup"),
			Customer: stripe.String(cus.ID), PaymentMethodTypes: []*string{stripe.String("card"), stripe.String("amazon_pay")},
			SuccessURL: stripe.String("https://example.com/ok"), CancelURL: stripe.String("https://example.com/no"),
			SetupIntentData: &stripe.CheckoutSessionCreateSetupIntentDataParams{Description: stripe.String("save for later")}})
		if err != nil {
			t.Fatal(err)
		}
		if cs.Mode != "setup" || cs.PaymentStatus != stripe.CheckoutSessionPaymentStatusNoPaymentRequired || cs.AmountTotal != 0 ||
			cs.Customer == nil || cs.Customer.ID != cus.ID || !slices.Equal(cs.PaymentMethodTypes, []string{"card", "amazon_pay"}) ||
			cs.CustomerCreation != "" || cs.SavedPaymentMethodOptions == nil || cs.SetupIntent == nil ||
			!slices.Equal(cs.SavedPaymentMethodOptions.AllowRedisplayFilters, []stripe.CheckoutSessionSavedPaymentMethodOptionsAllowRedisplayFilter{"always"}) {
			t.Fatalf("setup session: %+v", cs)
		}
		// Without payment_method_types, the currency chooses among the
		// account's enabled methods, as Stripe's dynamic payment methods do.
		dyn, err := sc.V1CheckoutSessions.Create(ctx, &stripe.CheckoutSessionCreateParams{Mode: stripe.String("setup"),
			Currency: stripe.String("eur"), SuccessURL: stripe.String("https://example.com/ok")})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"card", "amazon_pay", "sepa_debit"}; !slices.Equal(dyn.PaymentMethodTypes, want) || dyn.Currency != "eur" {
			t.Fatalf("setup session in eur: types %v currency %s", dyn.PaymentMethodTypes, dyn.Currency)
		}
		// Saving a card through the page completes the session and leaves
		// the card attached to the customer.
		status, loc := payPage(t, cs.URL, cardFields("4242424242424242"))
		if status != http.StatusSeeOther || loc != "https://example.com/ok" {
			t.Fatalf("submit: %d %q", status, loc)
		}
		done, err := sc.V1CheckoutSessions.Retrieve(ctx, cs.ID, &stripe.CheckoutSessionRetrieveParams{
			Params: stripe.Params{Expand: []*string{stripe.String("setup_intent")}}})
		if err != nil {
			t.Fatal(err)
		}
		if done.Status != stripe.CheckoutSessionStatusComplete || done.URL != "" || done.SetupIntent == nil || done.SetupIntent.ID != cs.SetupIntent.ID ||
			done.SetupIntent.Status != stripe.SetupIntentStatusSucceeded || done.SetupIntent.Description != "save for later" ||
			done.SetupIntent.PaymentMethod == nil {
			t.Fatalf("completed setup session: %+v si %+v", done, done.SetupIntent)
		}
		pm, err := sc.V1PaymentMethods.Retrieve(ctx, done.SetupIntent.PaymentMethod.ID, nil)
		if err != nil || pm.Customer == nil || pm.Customer.ID != cus.ID {
			t.Fatalf("method not attached: %+v %v", pm, err)
		}
	})
}

func TestCheckoutSessions_PayListAndEvents(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		price := usdPrice(t, sc, "Book", 1200)
		cs := paymentSession(t, sc, price.ID, 1, &stripe.CheckoutSessionCreateParams{CustomerCreation: stripe.String("always"),
			PaymentIntentData: &stripe.CheckoutSessionCreatePaymentIntentDataParams{Description: stripe.String("order 9"),
				Metadata: map[string]string{"order": "9"}, StatementDescriptorSuffix: stripe.String("ORDER 9")}})
		other := paymentSession(t, sc, price.ID, 2, nil)

		status, loc := payPage(t, cs.URL, cardFields("4242 4242 4242 4242"))
		if status != http.StatusSeeOther || loc != "https://example.com/success?session_id="+cs.ID {
			t.Fatalf("submit: %d %q", status, loc)
		}
		// A second submission of the same page pays nothing more.
		if status, loc := payPage(t, cs.URL, cardFields("4242 4242 4242 4242")); status != http.StatusSeeOther || !strings.Contains(loc, cs.ID) {
			t.Fatalf("second submit: %d %q", status, loc)
		}
		done, err := sc.V1CheckoutSessions.Retrieve(ctx, cs.ID, &stripe.CheckoutSessionRetrieveParams{
			Params: stripe.Params{Expand: []*string{stripe.String("payment_intent")}}})
		if err != nil {
			t.Fatal(err)
		}
		pi := done.PaymentIntent
		if done.Status != stripe.CheckoutSessionStatusComplete || done.PaymentStatus != stripe.CheckoutSessionPaymentStatusPaid ||
			pi == nil || pi.Status != stripe.PaymentIntentStatusSucceeded || pi.Amount != 1200 || pi.Description != "order 9" ||
			pi.Metadata["order"] != "9" || pi.StatementDescriptorSuffix != "ORDER 9" || done.Customer == nil || pi.Customer == nil || pi.Customer.ID != done.Customer.ID ||
			done.CustomerDetails == nil || done.CustomerDetails.Email != "jenny@example.com" || done.CustomerDetails.Name != "Jenny Rosen" ||
			done.CustomerDetails.Address == nil || done.CustomerDetails.Address.PostalCode != "94107" {
			t.Fatalf("completed: %+v pi %+v", done, pi)
		}
		cus, err := sc.V1Customers.Retrieve(ctx, done.Customer.ID, nil)
		if err != nil || cus.Email != "jenny@example.com" || cus.Name != "Jenny Rosen" {
			t.Fatalf("created customer: %+v %v", cus, err)
		}
		// One payment only, even after two submissions.
		n := 0
		for _, err := range sc.V1PaymentIntents.List(ctx, &stripe.PaymentIntentListParams{}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 1 {
			t.Fatalf("%d payment intents", n)
		}
		listIDs := func(p *stripe.CheckoutSessionListParams) []string {
			var ids []string
			for s, err := range sc.V1CheckoutSessions.List(ctx, p).All(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, s.ID)
			}
			return ids
		}
		if got := listIDs(&stripe.CheckoutSessionListParams{}); !slices.Equal(got, []string{other.ID, cs.ID}) {
			t.Fatalf("list: %v", got)
		}
		if got := listIDs(&stripe.CheckoutSessionListParams{Status: stripe.String("complete")}); !slices.Equal(got, []string{cs.ID}) {
			t.Fatalf("status filter: %v", got)
		}
		if got := listIDs(&stripe.CheckoutSessionListParams{PaymentIntent: stripe.String(pi.ID)}); !slices.Equal(got, []string{cs.ID}) {
			t.Fatalf("payment_intent filter: %v", got)
		}
		if got := listIDs(&stripe.CheckoutSessionListParams{Customer: stripe.String(done.Customer.ID)}); !slices.Equal(got, []string{cs.ID}) {
			t.Fatalf("customer filter: %v", got)
		}
		// Events: the session completes after the payment, and carries the
		// completed session.
		var types []string
		for ev, err := range sc.V1Events.List(ctx, &stripe.EventListParams{}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			types = append(types, string(ev.Type))
		}
		iDone, iPI := slices.Index(types, "checkout.session.completed"), slices.Index(types, "payment_intent.succeeded")
		if iDone < 0 || iPI < 0 || iDone > iPI { // newest first
			t.Fatalf("events: %v", types)
		}
		// The completed session can no longer be expired.
		_, err = sc.V1CheckoutSessions.Expire(ctx, cs.ID, nil)
		stripeErr(t, err, 400, "invalid_request_error", "", "")
	})
}

func TestCheckoutSessions_DeclineThenRetryReusesIntent(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		cs := paymentSession(t, sc, usdPrice(t, sc, "Lamp", 4500).ID, 1, nil)
		if status, _ := payPage(t, cs.URL, cardFields("4000000000000002")); status != http.StatusPaymentRequired {
			t.Fatalf("decline: %d", status)
		}
		declined, err := sc.V1CheckoutSessions.Retrieve(ctx, cs.ID, nil)
		if err != nil || declined.Status != stripe.CheckoutSessionStatusOpen || declined.PaymentIntent == nil {
			t.Fatalf("after decline: %+v %v", declined, err)
		}
		if status, _ := payPage(t, cs.URL, cardFields("4242424242424242")); status != http.StatusSeeOther {
			t.Fatalf("retry: %d", status)
		}
		paid, err := sc.V1CheckoutSessions.Retrieve(ctx, cs.ID, nil)
		if err != nil || paid.PaymentStatus != stripe.CheckoutSessionPaymentStatusPaid || paid.PaymentIntent.ID != declined.PaymentIntent.ID {
			t.Fatalf("after retry: %+v %v", paid, err)
		}
		// A form error keeps nothing: an empty card number is refused on the page.
		other := paymentSession(t, sc, usdPrice(t, sc, "Desk", 9000).ID, 1, nil)
		f := cardFields("")
		if status, _ := payPage(t, other.URL, f); status != http.StatusBadRequest {
			t.Fatalf("empty card: %d", status)
		}
		if s, err := sc.V1CheckoutSessions.Retrieve(ctx, other.ID, nil); err != nil || s.PaymentIntent != nil || s.CustomerDetails != nil {
			t.Fatalf("form error left state: %+v %v", s, err)
		}
	})
}

func TestCheckoutSessions_ExpireAndUpdate(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		cs := paymentSession(t, sc, usdPrice(t, sc, "Pen", 300).ID, 1, nil)
		upd, err := sc.V1CheckoutSessions.Update(ctx, cs.ID, &stripe.CheckoutSessionUpdateParams{Metadata: map[string]string{"k": "v"}})
		if err != nil || upd.Metadata["k"] != "v" {
			t.Fatalf("update: %+v %v", upd, err)
		}
		exp, err := sc.V1CheckoutSessions.Expire(ctx, cs.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if exp.Status != stripe.CheckoutSessionStatusExpired || exp.URL != "" || exp.Metadata["k"] != "v" {
			t.Fatalf("expired: %+v", exp)
		}
		_, err = sc.V1CheckoutSessions.Expire(ctx, cs.ID, nil)
		se := stripeErr(t, err, 400, "invalid_request_error", "", "")
		if want := "Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of `expired`."; se.Msg != want {
			t.Fatalf("message %q, want %q", se.Msg, want)
		}
		// The page says so, and cannot be paid.
		resp, err := http.Get(cs.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusGone {
			t.Fatalf("expired page: %d", resp.StatusCode)
		}
		if status, _ := payPage(t, cs.URL, cardFields("4242424242424242")); status == http.StatusSeeOther {
			t.Fatal("an expired session was paid")
		}
		var expired int
		for ev, err := range sc.V1Events.List(ctx, &stripe.EventListParams{Type: stripe.String("checkout.session.expired")}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if ev.Data.Object["id"] == cs.ID {
				expired++
			}
		}
		if expired != 1 {
			t.Fatalf("%d expired events", expired)
		}
		// Another account cannot see it.
		_, err = srv.Client(1).V1CheckoutSessions.Retrieve(ctx, cs.ID, nil)
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "session")
	})
}

func TestCheckoutSessions_CustomTextOnPage(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		cs := paymentSession(t, sc, usdPrice(t, sc, "Cap", 1800).ID, 1, &stripe.CheckoutSessionCreateParams{
			CustomText: &stripe.CheckoutSessionCreateCustomTextParams{
				Submit:      &stripe.CheckoutSessionCreateCustomTextSubmitParams{Message: stripe.String("Ships within 2 days")},
				AfterSubmit: &stripe.CheckoutSessionCreateCustomTextAfterSubmitParams{Message: stripe.String("Questions? Write to shop@example.com")},
			}})
		if cs.CustomText == nil || cs.CustomText.Submit == nil || cs.CustomText.Submit.Message != "Ships within 2 days" ||
			cs.CustomText.AfterSubmit == nil || cs.CustomText.AfterSubmit.Message != "Questions? Write to shop@example.com" || cs.CustomText.ShippingAddress != nil {
			t.Fatalf("custom_text: %+v", cs.CustomText)
		}
		resp, err := http.Get(cs.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		page := string(body)
		iSubmit, iButton, iAfter := strings.Index(page, "Ships within 2 days"), strings.Index(page, "Pay $18.00</button>"), strings.Index(page, "Questions? Write to shop@example.com")
		if iSubmit < 0 || iButton < 0 || iAfter < 0 || !(iSubmit < iButton && iButton < iAfter) {
			t.Fatalf("custom text around the button: %d %d %d", iSubmit, iButton, iAfter)
		}
	})
}

func TestCheckoutSessions_SaveConsentOnPage(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		price := usdPrice(t, sc, "Socks", 900)
		cus, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("jenny@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		session := func() *stripe.CheckoutSession {
			return paymentSession(t, sc, price.ID, 1, &stripe.CheckoutSessionCreateParams{Customer: stripe.String(cus.ID),
				SavedPaymentMethodOptions: &stripe.CheckoutSessionCreateSavedPaymentMethodOptionsParams{PaymentMethodSave: stripe.String("enabled")}})
		}
		paidMethod := func(cs *stripe.CheckoutSession) *stripe.PaymentMethod {
			t.Helper()
			got, err := sc.V1CheckoutSessions.Retrieve(ctx, cs.ID, &stripe.CheckoutSessionRetrieveParams{
				Params: stripe.Params{Expand: []*string{stripe.String("payment_intent.payment_method")}}})
			if err != nil || got.PaymentStatus != stripe.CheckoutSessionPaymentStatusPaid {
				t.Fatalf("session: %+v %v", got, err)
			}
			return got.PaymentIntent.PaymentMethod
		}
		// The page asks.
		cs := session()
		if cs.SavedPaymentMethodOptions == nil || cs.SavedPaymentMethodOptions.PaymentMethodSave != "enabled" {
			t.Fatalf("saved_payment_method_options: %+v", cs.SavedPaymentMethodOptions)
		}
		resp, err := http.Get(cs.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), "Save my payment details for future purchases") {
			t.Fatal("the page does not offer to save the payment details")
		}
		// Consent given: the card is saved to the customer and shown again.
		f := cardFields("4242424242424242")
		f.Set("save", "on")
		if status, _ := payPage(t, cs.URL, f); status != http.StatusSeeOther {
			t.Fatalf("pay with consent: %d", status)
		}
		pm := paidMethod(cs)
		if pm.Customer == nil || pm.Customer.ID != cus.ID || pm.AllowRedisplay != stripe.PaymentMethodAllowRedisplayAlways {
			t.Fatalf("saved method: customer %+v allow_redisplay %s", pm.Customer, pm.AllowRedisplay)
		}
		// No consent: nothing is saved.
		cs2 := session()
		if status, _ := payPage(t, cs2.URL, cardFields("4242424242424242")); status != http.StatusSeeOther {
			t.Fatalf("pay without consent: %d", status)
		}
		if pm := paidMethod(cs2); pm.Customer != nil || pm.AllowRedisplay == stripe.PaymentMethodAllowRedisplayAlways {
			t.Fatalf("method saved without consent: customer %+v allow_redisplay %s", pm.Customer, pm.AllowRedisplay)
		}
		// What payd's page cannot do is refused.
		_, err = sc.V1CheckoutSessions.Create(ctx, &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), Customer: stripe.String(cus.ID),
			LineItems:                 []*stripe.CheckoutSessionCreateLineItemParams{{Price: stripe.String(price.ID), Quantity: stripe.Int64(1)}},
			SavedPaymentMethodOptions: &stripe.CheckoutSessionCreateSavedPaymentMethodOptionsParams{PaymentMethodRemove: stripe.String("enabled")}})
		stripeErr(t, err, 400, "invalid_request_error", "", "saved_payment_method_options[payment_method_remove]")
	})
}

func TestCheckoutSessions_PageAfterCustomerDeleted(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		cus, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("gone@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		cs := paymentSession(t, sc, usdPrice(t, sc, "Kite", 2500).ID, 1, &stripe.CheckoutSessionCreateParams{Customer: stripe.String(cus.ID)})
		if _, err := sc.V1Customers.Delete(ctx, cus.ID, nil); err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(cs.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Pay $25.00") || strings.Contains(string(body), "gone@example.com") {
			t.Fatalf("page after the customer was deleted: %d", resp.StatusCode)
		}
	})
}

// Setup mode without a customer, customer_creation=always: the page
// creates the customer, and the saved method is attached to it.
func TestCheckoutSessions_SetupModeCreatesCustomer(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		cs, err := sc.V1CheckoutSessions.Create(ctx, &stripe.CheckoutSessionCreateParams{Mode: stripe.String("setup"),
			PaymentMethodTypes: []*string{stripe.String("card")}, CustomerCreation: stripe.String("always"),
			SuccessURL: stripe.String("https://example.com/ok")})
		if err != nil {
			t.Fatal(err)
		}
		if cs.Customer != nil || cs.CustomerCreation != "always" || cs.SetupIntent == nil {
			t.Fatalf("created: %+v", cs)
		}
		if status, loc := payPage(t, cs.URL, cardFields("4242424242424242")); status != http.StatusSeeOther || loc != "https://example.com/ok" {
			t.Fatalf("submit: %d %q", status, loc)
		}
		done, err := sc.V1CheckoutSessions.Retrieve(ctx, cs.ID, &stripe.CheckoutSessionRetrieveParams{
			Params: stripe.Params{Expand: []*string{stripe.String("setup_intent")}}})
		if err != nil {
			t.Fatal(err)
		}
		si := done.SetupIntent
		if done.Status != stripe.CheckoutSessionStatusComplete || done.Customer == nil || si == nil ||
			si.Status != stripe.SetupIntentStatusSucceeded || si.Customer == nil || si.Customer.ID != done.Customer.ID {
			t.Fatalf("completed: %+v si %+v", done, si)
		}
		pm, err := sc.V1PaymentMethods.Retrieve(ctx, si.PaymentMethod.ID, nil)
		if err != nil || pm.Customer == nil || pm.Customer.ID != done.Customer.ID {
			t.Fatalf("method not attached to the created customer: %+v %v", pm, err)
		}
		cus, err := sc.V1Customers.Retrieve(ctx, done.Customer.ID, nil)
		if err != nil || cus.Email != "jenny@example.com" {
			t.Fatalf("created customer: %+v %v", cus, err)
		}
	})
}

// The intents a session drives are the session's: the API may read them
// but neither confirm nor cancel them (Stripe: expire the session).
func TestCheckoutSessions_IntentsBelongToTheSession(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		cs := paymentSession(t, sc, usdPrice(t, sc, "Vase", 3300).ID, 1, nil)
		if status, _ := payPage(t, cs.URL, cardFields("4000000000000002")); status != http.StatusPaymentRequired {
			t.Fatalf("decline: %d", status)
		}
		got, err := sc.V1CheckoutSessions.Retrieve(ctx, cs.ID, nil)
		if err != nil || got.PaymentIntent == nil {
			t.Fatalf("session: %+v %v", got, err)
		}
		piID := got.PaymentIntent.ID
		_, err = sc.V1PaymentIntents.Confirm(ctx, piID, &stripe.PaymentIntentConfirmParams{PaymentMethod: stripe.String("pm_card_visa")})
		se := stripeErr(t, err, 400, "invalid_request_error", "", "")
		if !strings.Contains(se.Msg, "created by Checkout") {
			t.Fatalf("confirm: %q", se.Msg)
		}
		_, err = sc.V1PaymentIntents.Cancel(ctx, piID, nil)
		stripeErr(t, err, 400, "invalid_request_error", "", "")
		// Expiring the session is the way, and cancels the intent.
		if _, err := sc.V1CheckoutSessions.Expire(ctx, cs.ID, nil); err != nil {
			t.Fatal(err)
		}
		pi, err := sc.V1PaymentIntents.Retrieve(ctx, piID, nil)
		if err != nil || pi.Status != stripe.PaymentIntentStatusCanceled || pi.CancellationReason != "abandoned" {
			t.Fatalf("intent after expiry: %+v %v", pi, err)
		}

		setup, err := sc.V1CheckoutSessions.Create(ctx, &stripe.CheckoutSessionCreateParams{Mode: stripe.String("setup"),
			PaymentMethodTypes: []*string{stripe.String("card")}, SuccessURL: stripe.String("https://example.com/ok")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1SetupIntents.Confirm(ctx, setup.SetupIntent.ID, &stripe.SetupIntentConfirmParams{PaymentMethod: stripe.String("pm_card_visa")})
		stripeErr(t, err, 400, "invalid_request_error", "", "")
		_, err = sc.V1SetupIntents.Cancel(ctx, setup.SetupIntent.ID, nil)
		stripeErr(t, err, 400, "invalid_request_error", "", "")
	})
}
