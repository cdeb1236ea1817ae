package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/store"
	"github.com/payd/payd/internal/testutil/paydtest"
)

// linkPrice creates a product and a one-time usd price of amount.
func linkPrice(t *testing.T, sc *stripe.Client, name string, amount int64) *stripe.Price {
	t.Helper()
	prod := catalogProduct(t, sc, name, nil)
	return catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), UnitAmount: stripe.Int64(amount)})
}

// customPrice creates a customer-chosen usd price between min and max.
func customPrice(t *testing.T, sc *stripe.Client, name string, min, max int64) *stripe.Price {
	t.Helper()
	prod := catalogProduct(t, sc, name, nil)
	return catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(prod.ID),
		CustomUnitAmount: &stripe.PriceCreateCustomUnitAmountParams{Enabled: stripe.Bool(true), Minimum: stripe.Int64(min), Maximum: stripe.Int64(max)}})
}

// lineItems makes one line item per price, each of quantity 1.
func lineItems(prices ...*stripe.Price) []*stripe.PaymentLinkCreateLineItemParams {
	out := make([]*stripe.PaymentLinkCreateLineItemParams, len(prices))
	for i, p := range prices {
		out[i] = &stripe.PaymentLinkCreateLineItemParams{Price: stripe.String(p.ID), Quantity: stripe.Int64(1)}
	}
	return out
}

// createLink creates a link, failing the test on error.
func createLink(t *testing.T, sc *stripe.Client, p *stripe.PaymentLinkCreateParams) *stripe.PaymentLink {
	t.Helper()
	l, err := sc.V1PaymentLinks.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// linkNoRedirects is an HTTP client that shows redirects instead of following
// them, as a test of the link page needs.
var linkNoRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// openLink GETs a link's page and returns the status, the Location and
// the body.
func openLink(t *testing.T, link string) (int, string, string) {
	t.Helper()
	resp, err := linkNoRedirects.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

// openSession opens the link's page and returns the session it started.
func openLinkSession(t *testing.T, sc *stripe.Client, link string) *stripe.CheckoutSession {
	t.Helper()
	status, loc, body := openLink(t, link)
	if status != http.StatusSeeOther || loc == "" {
		t.Fatalf("opening %s: %d %q\n%s", link, status, loc, body)
	}
	sessionID := loc[strings.LastIndex(loc, "/")+1:]
	p := &stripe.CheckoutSessionRetrieveParams{}
	p.AddExpand("line_items")
	cs, err := sc.V1CheckoutSessions.Retrieve(ctx, sessionID, p)
	if err != nil {
		t.Fatal(err)
	}
	if cs.URL != loc {
		t.Fatalf("redirected to %s, the session's url is %s", loc, cs.URL)
	}
	return cs
}

// payPage pays a session from its hosted page with the 4242 card, as the
// page's form posts it, and returns where the page sends the customer.
func payLinkPage(t *testing.T, pageURL string, extra url.Values) string {
	t.Helper()
	form := url.Values{"method": {"card"}, "email": {"jenny@example.com"}, "card_number": {"4242 4242 4242 4242"},
		"expiry": {"12 / 34"}, "cvc": {"123"}, "card_name": {"Jenny Rosen"}, "country": {"US"}, "postal_code": {"10001"}}
	for k, v := range extra {
		form[k] = v
	}
	resp, err := linkNoRedirects.PostForm(pageURL, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusOK {
		t.Fatalf("paying %s: %d\n%s", pageURL, resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}

// linkSessions lists the checkout sessions opened from a link.
func linkSessions(t *testing.T, sc *stripe.Client, linkID string) []*stripe.CheckoutSession {
	t.Helper()
	var out []*stripe.CheckoutSession
	for cs, err := range sc.V1CheckoutSessions.List(ctx, &stripe.CheckoutSessionListParams{PaymentLink: stripe.String(linkID)}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cs)
	}
	return out
}

func TestPaymentLinks_CreateDefaultsAndRetrieve(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		price := linkPrice(t, sc, "T-shirt", 2000)

		l := createLink(t, sc, &stripe.PaymentLinkCreateParams{
			LineItems: []*stripe.PaymentLinkCreateLineItemParams{{Price: stripe.String(price.ID), Quantity: stripe.Int64(2)}},
			Metadata:  map[string]string{"campaign": "spring"},
		})
		if !strings.HasPrefix(l.ID, "plink_") || l.Object != "payment_link" || !l.Active || l.Livemode ||
			l.Currency != "usd" || l.URL != srv.URL+"/_payd/links/"+l.ID || l.BillingAddressCollection != "auto" ||
			l.CustomerCreation != "if_required" || l.SubmitType != "auto" || l.PaymentMethodCollection != "always" ||
			l.AllowPromotionCodes || l.Metadata["campaign"] != "spring" || l.InactiveMessage != "" || l.Restrictions != nil ||
			l.PaymentIntentData != nil || l.ShippingAddressCollection != nil || len(l.PaymentMethodTypes) != 0 ||
			l.AfterCompletion == nil || l.AfterCompletion.Type != "hosted_confirmation" || l.AfterCompletion.HostedConfirmation == nil ||
			l.AfterCompletion.HostedConfirmation.CustomMessage != "" || l.LineItems != nil {
			t.Fatalf("created link: %+v", l)
		}
		raw := rawObject(t, srv, "/v1/payment_links/"+l.ID)
		for _, k := range []string{"payment_method_types", "restrictions", "inactive_message", "payment_intent_data", "shipping_address_collection"} {
			if v, ok := raw[k]; !ok || v != nil {
				t.Fatalf("%s = %v (present %v), want null", k, v, ok)
			}
		}
		if _, ok := raw["line_items"]; ok {
			t.Fatalf("line_items rendered without expand: %v", raw)
		}

		rp := &stripe.PaymentLinkRetrieveParams{}
		rp.AddExpand("line_items")
		got, err := sc.V1PaymentLinks.Retrieve(ctx, l.ID, rp)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != l.ID || got.URL != l.URL || got.LineItems == nil || len(got.LineItems.Data) != 1 {
			t.Fatalf("retrieve with line_items: %+v", got)
		}
		it := got.LineItems.Data[0]
		if !strings.HasPrefix(it.ID, "li_") || it.Object != "item" || it.Quantity != 2 || it.AmountSubtotal != 4000 || it.AmountTotal != 4000 ||
			it.Currency != "usd" || it.Description != "T-shirt" || it.Price == nil || it.Price.ID != price.ID || it.AdjustableQuantity != nil {
			t.Fatalf("line item: %+v", it)
		}

		_, err = sc.V1PaymentLinks.Retrieve(ctx, "plink_nope", nil)
		if se := stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "payment_link"); se.Msg != "No such payment_link: 'plink_nope'" {
			t.Fatalf("message %q", se.Msg)
		}
		_, err = srv.Client(1).V1PaymentLinks.Retrieve(ctx, l.ID, nil)
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "payment_link")
		// The publishable key may not create or read links.
		_, err = srv.ClientKey(srv.Accounts[0].Publishable).V1PaymentLinks.Retrieve(ctx, l.ID, nil)
		stripeErr(t, err, 403, "invalid_request_error", "secret_key_required", "")

		evs := pmEvents(t, sc, "payment_link.created")
		if len(evs) != 1 || evs[0].Data.Object["id"] != l.ID || evs[0].Data.Object["url"] != l.URL {
			t.Fatalf("payment_link.created: %+v", evs)
		}
	})
}

func TestPaymentLinks_LineItemRules(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		std := linkPrice(t, sc, "Standard", 1000)
		custom := customPrice(t, sc, "Tip", 500, 10000)
		eur := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(std.Product.ID), UnitAmount: stripe.Int64(900), Currency: stripe.String("eur")})
		monthly := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(std.Product.ID), UnitAmount: stripe.Int64(900),
			Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")}})
		archived := linkPrice(t, sc, "Old", 700)
		if _, err := sc.V1Prices.Update(ctx, archived.ID, &stripe.PriceUpdateParams{Active: stripe.Bool(false)}); err != nil {
			t.Fatal(err)
		}
		// Prices payd's API cannot make (its catalog refuses them) but a
		// link must refuse all the same: tiered, package, and recurring
		// customer-chosen prices, written into the store directly.
		tiered := storedPrice(t, srv, linkPrice(t, sc, "Tiered", 100).ID, func(p map[string]any) { p["billing_scheme"] = "tiered"; p["unit_amount"] = nil })
		pkg := storedPrice(t, srv, linkPrice(t, sc, "Package", 100).ID, func(p map[string]any) {
			p["transform_quantity"] = map[string]any{"divide_by": 10, "round": "up"}
		})
		customMonthly := storedPrice(t, srv, customPrice(t, sc, "Monthly tip", 500, 900).ID, func(p map[string]any) {
			p["recurring"] = map[string]any{"interval": "month", "interval_count": 1, "meter": nil, "usage_type": "licensed"}
			p["type"] = "recurring"
		})

		twentyOne := make([]*stripe.Price, 21)
		for i := range twentyOne {
			twentyOne[i] = std
		}
		cases := []struct {
			name                  string
			items                 []*stripe.PaymentLinkCreateLineItemParams
			status                int
			code, param, contains string
		}{
			{"more than 20 standard items", lineItems(twentyOne...), 400, "", "line_items", "at most 20 line items"},
			{"customer-chosen price with another item", lineItems(std, custom), 400, "", "line_items[1][price]", "can have only one line item"},
			{"customer-chosen price first of two", lineItems(custom, std), 400, "", "line_items[0][price]", "can have only one line item"},
			{"customer-chosen quantity above 1", []*stripe.PaymentLinkCreateLineItemParams{{Price: stripe.String(custom.ID), Quantity: stripe.Int64(2)}},
				400, "", "line_items[0][quantity]", "must have a quantity of 1"},
			{"customer-chosen adjustable quantity", []*stripe.PaymentLinkCreateLineItemParams{{Price: stripe.String(custom.ID), Quantity: stripe.Int64(1),
				AdjustableQuantity: &stripe.PaymentLinkCreateLineItemAdjustableQuantityParams{Enabled: stripe.Bool(true)}}},
				400, "", "line_items[0][adjustable_quantity][enabled]", "cannot be adjustable"},
			{"recurring customer-chosen price", lineItems(customMonthly), 400, "", "line_items[0][price]", "do not support recurring payments"},
			{"recurring price", lineItems(std, monthly), 400, "", "line_items[1][price]", "subscriptions, which payd does not support yet"},
			{"tiered price", lineItems(tiered), 400, "", "line_items[0][price]", "tiered or volume pricing"},
			{"package price", lineItems(pkg), 400, "", "line_items[0][price]", "package pricing"},
			{"inactive price", lineItems(std, archived), 400, "", "line_items[1][price]", "The price specified is inactive. This field only accepts active prices."},
			{"unknown price", []*stripe.PaymentLinkCreateLineItemParams{{Price: stripe.String("price_nope"), Quantity: stripe.Int64(1)}},
				400, "resource_missing", "line_items[0][price]", "No such price: 'price_nope'"},
			{"mixed currencies", lineItems(std, eur), 400, "", "line_items[1][price]", "must have the same currency"},
			{"quantity 0", []*stripe.PaymentLinkCreateLineItemParams{{Price: stripe.String(std.ID), Quantity: stripe.Int64(0)}},
				400, "parameter_invalid_integer", "line_items[0][quantity]", "greater than or equal to 1"},
			{"quantity outside adjustable bounds", []*stripe.PaymentLinkCreateLineItemParams{{Price: stripe.String(std.ID), Quantity: stripe.Int64(5),
				AdjustableQuantity: &stripe.PaymentLinkCreateLineItemAdjustableQuantityParams{Enabled: stripe.Bool(true), Maximum: stripe.Int64(3)}}},
				400, "", "line_items[0][quantity]", "must be between"},
			{"price_data", []*stripe.PaymentLinkCreateLineItemParams{{Quantity: stripe.Int64(1), PriceData: &stripe.PaymentLinkCreateLineItemPriceDataParams{
				Currency: stripe.String("usd"), Product: stripe.String(std.Product.ID), UnitAmount: stripe.Int64(100)}}},
				400, "", "line_items[0][price_data]", "create a Price"},
			{"no price", []*stripe.PaymentLinkCreateLineItemParams{{Quantity: stripe.Int64(1)}},
				400, "parameter_missing", "line_items[0][price]", "Missing required param: line_items[0][price]."},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := sc.V1PaymentLinks.Create(ctx, &stripe.PaymentLinkCreateParams{LineItems: c.items})
				se := stripeErr(t, err, c.status, "invalid_request_error", c.code, c.param)
				if !strings.Contains(se.Msg, c.contains) {
					t.Fatalf("message %q does not say %q", se.Msg, c.contains)
				}
			})
		}

		// The limits themselves: 20 standard items, one customer-chosen.
		l := createLink(t, sc, &stripe.PaymentLinkCreateParams{LineItems: lineItems(twentyOne[:20]...)})
		if n := len(linkItems(t, sc, l.ID)); n != 20 {
			t.Fatalf("20 items: the link has %d", n)
		}
		one := createLink(t, sc, &stripe.PaymentLinkCreateParams{LineItems: lineItems(custom)})
		if items := linkItems(t, sc, one.ID); len(items) != 1 || items[0].Price.CustomUnitAmount == nil || items[0].AmountTotal != 500 {
			t.Fatalf("customer-chosen item: %+v", items)
		}
		if evs := pmEvents(t, sc, "payment_link.created"); len(evs) != 2 {
			t.Fatalf("refused links recorded events: %d payment_link.created", len(evs))
		}
		if ids, _ := catalogPage(t, srv, "/v1/payment_links?limit=100"); len(ids) != 2 {
			t.Fatalf("refused links were stored: %v", ids)
		}
	})
}

// storedPrice rewrites a price's stored JSON with change: for prices the
// API cannot create.
func storedPrice(t *testing.T, srv *paydtest.Server, priceID string, change func(map[string]any)) *stripe.Price {
	t.Helper()
	err := srv.Store.Update(context.Background(), func(tx store.Tx) error {
		rec, err := tx.Get(ctx, "prices", srv.Accounts[0].Account, priceID)
		if err != nil {
			return err
		}
		var p map[string]any
		if err := json.Unmarshal(rec.Data, &p); err != nil {
			return err
		}
		change(p)
		if rec.Data, err = json.Marshal(p); err != nil {
			return err
		}
		rec.Cols = nil
		return tx.Put(ctx, "prices", rec)
	})
	if err != nil {
		t.Fatal(err)
	}
	return &stripe.Price{ID: priceID}
}

// linkItems lists all of a link's line items.
func linkItems(t *testing.T, sc *stripe.Client, linkID string) []*stripe.LineItem {
	t.Helper()
	var out []*stripe.LineItem
	for it, err := range sc.V1PaymentLinks.ListLineItems(ctx, &stripe.PaymentLinkListLineItemsParams{PaymentLink: stripe.String(linkID)}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, it)
	}
	return out
}

func TestPaymentLinks_CreateOptionsAndRefusals(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		price := linkPrice(t, sc, "Book", 2000)

		l := createLink(t, sc, &stripe.PaymentLinkCreateParams{
			LineItems: []*stripe.PaymentLinkCreateLineItemParams{{Price: stripe.String(price.ID), Quantity: stripe.Int64(1),
				AdjustableQuantity: &stripe.PaymentLinkCreateLineItemAdjustableQuantityParams{Enabled: stripe.Bool(true), Minimum: stripe.Int64(1), Maximum: stripe.Int64(5)}}},
			AfterCompletion: &stripe.PaymentLinkCreateAfterCompletionParams{Type: stripe.String("redirect"),
				Redirect: &stripe.PaymentLinkCreateAfterCompletionRedirectParams{URL: stripe.String("https://example.com/thanks?session={CHECKOUT_SESSION_ID}")}},
			PaymentMethodTypes:        []*string{stripe.String("card")},
			BillingAddressCollection:  stripe.String("required"),
			ShippingAddressCollection: &stripe.PaymentLinkCreateShippingAddressCollectionParams{AllowedCountries: []*string{stripe.String("US"), stripe.String("CA")}},
			CustomerCreation:          stripe.String("always"),
			SubmitType:                stripe.String("book"),
			CustomText:                &stripe.PaymentLinkCreateCustomTextParams{Submit: &stripe.PaymentLinkCreateCustomTextSubmitParams{Message: stripe.String("See you soon")}},
			PaymentIntentData: &stripe.PaymentLinkCreatePaymentIntentDataParams{Description: stripe.String("Book order"),
				CaptureMethod: stripe.String("manual"), Metadata: map[string]string{"channel": "link"}},
			Restrictions:    &stripe.PaymentLinkCreateRestrictionsParams{CompletedSessions: &stripe.PaymentLinkCreateRestrictionsCompletedSessionsParams{Limit: stripe.Int64(3)}},
			InactiveMessage: stripe.String("Sold out, back in May."),
			Currency:        stripe.String("usd"),
		})
		if ac := l.AfterCompletion; ac.Type != "redirect" || ac.Redirect == nil || ac.Redirect.URL != "https://example.com/thanks?session={CHECKOUT_SESSION_ID}" ||
			ac.HostedConfirmation != nil {
			t.Fatalf("after_completion: %+v", ac)
		}
		if len(l.PaymentMethodTypes) != 1 || l.PaymentMethodTypes[0] != "card" || l.BillingAddressCollection != "required" ||
			l.ShippingAddressCollection == nil || len(l.ShippingAddressCollection.AllowedCountries) != 2 || l.CustomerCreation != "always" ||
			l.SubmitType != "book" || l.CustomText == nil || l.CustomText.Submit == nil || l.CustomText.Submit.Message != "See you soon" ||
			l.PaymentIntentData == nil || l.PaymentIntentData.Description != "Book order" || l.PaymentIntentData.CaptureMethod != "manual" ||
			l.PaymentIntentData.Metadata["channel"] != "link" || l.Restrictions == nil || l.Restrictions.CompletedSessions.Limit != 3 ||
			l.Restrictions.CompletedSessions.Count != 0 || l.InactiveMessage != "Sold out, back in May." {
			t.Fatalf("link: %+v", l)
		}
		items := linkItems(t, sc, l.ID)
		if aq := items[0].AdjustableQuantity; aq == nil || !aq.Enabled || aq.Minimum != 1 || aq.Maximum != 5 {
			t.Fatalf("adjustable_quantity: %+v", items[0].AdjustableQuantity)
		}

		base := func() *stripe.PaymentLinkCreateParams {
			return &stripe.PaymentLinkCreateParams{LineItems: lineItems(price)}
		}
		cases := []struct {
			name                  string
			change                func(p *stripe.PaymentLinkCreateParams)
			code, param, contains string
		}{
			{"redirect without url", func(p *stripe.PaymentLinkCreateParams) {
				p.AfterCompletion = &stripe.PaymentLinkCreateAfterCompletionParams{Type: stripe.String("redirect")}
			}, "parameter_missing", "after_completion[redirect][url]", "Missing required param"},
			{"redirect to a relative url", func(p *stripe.PaymentLinkCreateParams) {
				p.AfterCompletion = &stripe.PaymentLinkCreateAfterCompletionParams{Type: stripe.String("redirect"),
					Redirect: &stripe.PaymentLinkCreateAfterCompletionRedirectParams{URL: stripe.String("/thanks")}}
			}, "url_invalid", "after_completion[redirect][url]", "Not a valid URL"},
			{"confirmation message with redirect type", func(p *stripe.PaymentLinkCreateParams) {
				p.AfterCompletion = &stripe.PaymentLinkCreateAfterCompletionParams{Type: stripe.String("redirect"),
					Redirect:           &stripe.PaymentLinkCreateAfterCompletionRedirectParams{URL: stripe.String("https://example.com")},
					HostedConfirmation: &stripe.PaymentLinkCreateAfterCompletionHostedConfirmationParams{CustomMessage: stripe.String("hi")}}
			}, "", "after_completion[hosted_confirmation]", "can only be used when"},
			{"unsupported payment method type", func(p *stripe.PaymentLinkCreateParams) {
				p.PaymentMethodTypes = []*string{stripe.String("card"), stripe.String("klarna")}
			}, "", "payment_method_types[1]", "is invalid"},
			{"payment method without the currency", func(p *stripe.PaymentLinkCreateParams) {
				p.PaymentMethodTypes = []*string{stripe.String("sepa_debit")}
			}, "", "payment_method_types[0]", "does not support the currency `usd`"},
			{"other currency", func(p *stripe.PaymentLinkCreateParams) { p.Currency = stripe.String("eur") }, "", "currency", "not one the line items' prices support"},
			{"subscribe submit type", func(p *stripe.PaymentLinkCreateParams) { p.SubmitType = stripe.String("subscribe") }, "", "submit_type", "subscriptions"},
			{"promotion codes", func(p *stripe.PaymentLinkCreateParams) { p.AllowPromotionCodes = stripe.Bool(true) }, "", "allow_promotion_codes", "not supported"},
			{"automatic tax", func(p *stripe.PaymentLinkCreateParams) {
				p.AutomaticTax = &stripe.PaymentLinkCreateAutomaticTaxParams{Enabled: stripe.Bool(true)}
			}, "", "automatic_tax[enabled]", "not supported"},
			{"subscription data", func(p *stripe.PaymentLinkCreateParams) {
				p.SubscriptionData = &stripe.PaymentLinkCreateSubscriptionDataParams{Description: stripe.String("x")}
			}, "", "subscription_data", "Subscriptions are not supported by payd yet."},
			{"completed sessions limit 0", func(p *stripe.PaymentLinkCreateParams) {
				p.Restrictions = &stripe.PaymentLinkCreateRestrictionsParams{CompletedSessions: &stripe.PaymentLinkCreateRestrictionsCompletedSessionsParams{Limit: stripe.Int64(0)}}
			}, "parameter_invalid_integer", "restrictions[completed_sessions][limit]", "greater than or equal to 1"},
			{"transfer group", func(p *stripe.PaymentLinkCreateParams) {
				p.PaymentIntentData = &stripe.PaymentLinkCreatePaymentIntentDataParams{TransferGroup: stripe.String("g")}
			}, "", "payment_intent_data[transfer_group]", "not supported"},
			{"terms of service text", func(p *stripe.PaymentLinkCreateParams) {
				p.CustomText = &stripe.PaymentLinkCreateCustomTextParams{TermsOfServiceAcceptance: &stripe.PaymentLinkCreateCustomTextTermsOfServiceAcceptanceParams{Message: stripe.String("ok")}}
			}, "", "custom_text[terms_of_service_acceptance]", "consent_collection"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p := base()
				c.change(p)
				_, err := sc.V1PaymentLinks.Create(ctx, p)
				se := stripeErr(t, err, 400, "invalid_request_error", c.code, c.param)
				if !strings.Contains(se.Msg, c.contains) {
					t.Fatalf("message %q does not say %q", se.Msg, c.contains)
				}
			})
		}
		// Unknown parameters are refused by the schema, as Stripe does.
		r := srv.Do("POST", "/v1/payment_links", srv.Accounts[0].Secret, "line_items[0][price]="+price.ID+"&line_items[0][quantity]=1&mode=payment")
		if e := apiError(t, r); r.Status != 400 || e.Code != "parameter_unknown" || e.Param != "mode" {
			t.Fatalf("unknown parameter: %d %s", r.Status, r.Body)
		}
		r = srv.Do("POST", "/v1/payment_links", srv.Accounts[0].Secret, "")
		if e := apiError(t, r); r.Status != 400 || e.Code != "parameter_missing" || e.Param != "line_items" {
			t.Fatalf("no line items: %d %s", r.Status, r.Body)
		}
	})
}

func TestPaymentLinks_UpdateActiveAfterCompletionMetadata(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		price := linkPrice(t, sc, "Mug", 1500)
		l := createLink(t, sc, &stripe.PaymentLinkCreateParams{LineItems: lineItems(price), Metadata: map[string]string{"a": "1", "b": "2"},
			InactiveMessage: stripe.String("Gone fishing")})

		off, err := sc.V1PaymentLinks.Update(ctx, l.ID, &stripe.PaymentLinkUpdateParams{Active: stripe.Bool(false)})
		if err != nil || off.Active || off.URL != l.URL {
			t.Fatalf("deactivate: %+v %v", off, err)
		}
		evs := pmEvents(t, sc, "payment_link.updated")
		if len(evs) != 1 || evs[0].Data.Object["active"] != false || evs[0].Data.PreviousAttributes["active"] != true {
			t.Fatalf("payment_link.updated: %+v", evs)
		}
		// Nothing changes: no event.
		if _, err := sc.V1PaymentLinks.Update(ctx, l.ID, &stripe.PaymentLinkUpdateParams{Active: stripe.Bool(false)}); err != nil {
			t.Fatal(err)
		}
		if n := len(pmEvents(t, sc, "payment_link.updated")); n != 1 {
			t.Fatalf("a no-op update recorded an event: %d", n)
		}
		on, err := sc.V1PaymentLinks.Update(ctx, l.ID, &stripe.PaymentLinkUpdateParams{Active: stripe.Bool(true)})
		if err != nil || !on.Active || on.URL != l.URL {
			t.Fatalf("reactivate: %+v %v", on, err)
		}

		red, err := sc.V1PaymentLinks.Update(ctx, l.ID, &stripe.PaymentLinkUpdateParams{
			AfterCompletion: &stripe.PaymentLinkUpdateAfterCompletionParams{Type: stripe.String("redirect"),
				Redirect: &stripe.PaymentLinkUpdateAfterCompletionRedirectParams{URL: stripe.String("https://example.com/done")}},
			Metadata: map[string]string{"a": "", "c": "3"},
		})
		if err != nil || red.AfterCompletion.Type != "redirect" || red.AfterCompletion.Redirect == nil ||
			red.AfterCompletion.Redirect.URL != "https://example.com/done" || red.AfterCompletion.HostedConfirmation != nil ||
			len(red.Metadata) != 2 || red.Metadata["b"] != "2" || red.Metadata["c"] != "3" {
			t.Fatalf("redirect + metadata: %+v %v", red, err)
		}
		back, err := sc.V1PaymentLinks.Update(ctx, l.ID, &stripe.PaymentLinkUpdateParams{
			AfterCompletion: &stripe.PaymentLinkUpdateAfterCompletionParams{Type: stripe.String("hosted_confirmation"),
				HostedConfirmation: &stripe.PaymentLinkUpdateAfterCompletionHostedConfirmationParams{CustomMessage: stripe.String("Thank you!")}},
		})
		if err != nil || back.AfterCompletion.Type != "hosted_confirmation" || back.AfterCompletion.Redirect != nil ||
			back.AfterCompletion.HostedConfirmation == nil || back.AfterCompletion.HostedConfirmation.CustomMessage != "Thank you!" {
			t.Fatalf("hosted confirmation: %+v %v", back, err)
		}

		// Unsetting: inactive_message, payment_method_types.
		up := &stripe.PaymentLinkUpdateParams{PaymentMethodTypes: []*string{stripe.String("card")}}
		if got, err := sc.V1PaymentLinks.Update(ctx, l.ID, up); err != nil || len(got.PaymentMethodTypes) != 1 {
			t.Fatalf("payment_method_types: %+v %v", got, err)
		}
		up = &stripe.PaymentLinkUpdateParams{}
		up.AddUnsetField(stripe.PaymentLinkUpdateParamsUnsetFieldInactiveMessage)
		up.AddUnsetField(stripe.PaymentLinkUpdateParamsUnsetFieldPaymentMethodTypes)
		if _, err := sc.V1PaymentLinks.Update(ctx, l.ID, up); err != nil {
			t.Fatal(err)
		}
		raw := rawObject(t, srv, "/v1/payment_links/"+l.ID)
		if raw["inactive_message"] != nil || raw["payment_method_types"] != nil {
			t.Fatalf("unset: inactive_message=%v payment_method_types=%v", raw["inactive_message"], raw["payment_method_types"])
		}

		// Line items change quantity by id; an unknown id is refused.
		item := linkItems(t, sc, l.ID)[0]
		if _, err := sc.V1PaymentLinks.Update(ctx, l.ID, &stripe.PaymentLinkUpdateParams{LineItems: []*stripe.PaymentLinkUpdateLineItemParams{
			{ID: stripe.String(item.ID), Quantity: stripe.Int64(3)}}}); err != nil {
			t.Fatal(err)
		}
		if got := linkItems(t, sc, l.ID)[0]; got.ID != item.ID || got.Quantity != 3 || got.AmountTotal != 4500 {
			t.Fatalf("after quantity update: %+v", got)
		}
		_, err = sc.V1PaymentLinks.Update(ctx, l.ID, &stripe.PaymentLinkUpdateParams{LineItems: []*stripe.PaymentLinkUpdateLineItemParams{
			{ID: stripe.String("li_nope"), Quantity: stripe.Int64(1)}}})
		stripeErr(t, err, 400, "invalid_request_error", "resource_missing", "line_items[0][id]")

		_, err = sc.V1PaymentLinks.Update(ctx, l.ID, &stripe.PaymentLinkUpdateParams{AllowPromotionCodes: stripe.Bool(true)})
		stripeErr(t, err, 400, "invalid_request_error", "", "allow_promotion_codes")
		_, err = sc.V1PaymentLinks.Update(ctx, "plink_nope", &stripe.PaymentLinkUpdateParams{Active: stripe.Bool(false)})
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "payment_link")

		// Every update that changed something is an event, in order.
		if n := len(pmEvents(t, sc, "payment_link.updated")); n != 7 {
			t.Fatalf("%d payment_link.updated events, want 7", n)
		}
	})
}

func TestPaymentLinks_ListFilterAndPagination(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		price := linkPrice(t, sc, "Sticker", 300)
		var ids []string
		for range 3 {
			ids = append(ids, createLink(t, sc, &stripe.PaymentLinkCreateParams{LineItems: lineItems(price)}).ID)
		}
		if _, err := sc.V1PaymentLinks.Update(ctx, ids[1], &stripe.PaymentLinkUpdateParams{Active: stripe.Bool(false)}); err != nil {
			t.Fatal(err)
		}
		createLink(t, srv.Client(1), &stripe.PaymentLinkCreateParams{LineItems: lineItems(linkPrice(t, srv.Client(1), "Other", 100))})

		got, more := catalogPage(t, srv, "/v1/payment_links?limit=2")
		if !more || len(got) != 2 || got[0] != ids[2] || got[1] != ids[1] {
			t.Fatalf("first page: %v more=%v", got, more)
		}
		got, more = catalogPage(t, srv, "/v1/payment_links?limit=2&starting_after="+ids[1])
		if more || len(got) != 1 || got[0] != ids[0] {
			t.Fatalf("second page: %v more=%v", got, more)
		}
		got, _ = catalogPage(t, srv, "/v1/payment_links?active=false")
		if len(got) != 1 || got[0] != ids[1] {
			t.Fatalf("active=false: %v", got)
		}
		var active []string
		for l, err := range sc.V1PaymentLinks.List(ctx, &stripe.PaymentLinkListParams{Active: stripe.Bool(true)}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			active = append(active, l.ID)
		}
		if len(active) != 2 || active[0] != ids[2] || active[1] != ids[0] {
			t.Fatalf("active=true: %v", active)
		}
		r := srv.Do("GET", "/v1/payment_links?starting_after=plink_nope", srv.Accounts[0].Secret, "")
		if e := apiError(t, r); r.Status != 400 || e.Code != "resource_missing" || e.Param != "starting_after" {
			t.Fatalf("unknown cursor: %d %s", r.Status, r.Body)
		}
	})
}

func TestPaymentLinks_LineItemsListing(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		a, b, c := linkPrice(t, sc, "A", 100), linkPrice(t, sc, "B", 200), linkPrice(t, sc, "C", 300)
		l := createLink(t, sc, &stripe.PaymentLinkCreateParams{LineItems: lineItems(a, b, c)})

		path := "/v1/payment_links/" + l.ID + "/line_items"
		r := srv.Do("GET", path+"?limit=2", srv.Accounts[0].Secret, "")
		var page struct {
			URL     string `json:"url"`
			HasMore bool   `json:"has_more"`
			Data    []struct {
				ID    string `json:"id"`
				Price struct {
					ID     string `json:"id"`
					Active bool   `json:"active"`
				} `json:"price"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(r.Body), &page); err != nil || r.Status != 200 || page.URL != path || !page.HasMore ||
			len(page.Data) != 2 || page.Data[0].Price.ID != a.ID || page.Data[1].Price.ID != b.ID {
			t.Fatalf("first page: %d %s", r.Status, r.Body)
		}
		r = srv.Do("GET", path+"?starting_after="+page.Data[1].ID, srv.Accounts[0].Secret, "")
		if err := json.Unmarshal([]byte(r.Body), &page); err != nil || page.HasMore || len(page.Data) != 1 || page.Data[0].Price.ID != c.ID {
			t.Fatalf("second page: %s", r.Body)
		}
		items := linkItems(t, sc, l.ID)
		if len(items) != 3 || items[0].AmountTotal != 100 || items[2].AmountTotal != 300 || items[1].Description != "B" {
			t.Fatalf("all items: %+v", items)
		}
		// A price archived after the link was made shows as it is now.
		if _, err := sc.V1Prices.Update(ctx, b.ID, &stripe.PriceUpdateParams{Active: stripe.Bool(false)}); err != nil {
			t.Fatal(err)
		}
		if items := linkItems(t, sc, l.ID); items[1].Price.Active {
			t.Fatalf("archived price still active in line items: %+v", items[1].Price)
		}
		r = srv.Do("GET", "/v1/payment_links/plink_nope/line_items", srv.Accounts[0].Secret, "")
		if e := apiError(t, r); r.Status != 404 || e.Code != "resource_missing" || e.Param != "payment_link" {
			t.Fatalf("unknown link: %d %s", r.Status, r.Body)
		}
		r = srv.Do("GET", "/v1/payment_links/"+l.ID+"/line_items", srv.Accounts[1].Secret, "")
		if r.Status != 404 {
			t.Fatalf("another account's link items: %d %s", r.Status, r.Body)
		}
	})
}

func TestPaymentLinks_DeleteIsRefused(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		l := createLink(t, sc, &stripe.PaymentLinkCreateParams{LineItems: lineItems(linkPrice(t, sc, "X", 100))})
		r := srv.Do("DELETE", "/v1/payment_links/"+l.ID, srv.Accounts[0].Secret, "")
		e1 := apiError(t, r)
		if r.Status != 404 || e1.Type != "invalid_request_error" || !strings.Contains(e1.Message, "Payment Links cannot be deleted") ||
			!strings.Contains(e1.Message, "active=false") {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		// Without a key the answer is the same: it is about the route, like
		// the 404 of any unknown route.
		if r := srv.Do("DELETE", "/v1/payment_links/"+l.ID, "", ""); r.Status != 404 {
			t.Fatalf("delete without a key: %d %s", r.Status, r.Body)
		}
		if got, err := sc.V1PaymentLinks.Retrieve(ctx, l.ID, nil); err != nil || !got.Active {
			t.Fatalf("after delete: %+v %v", got, err)
		}
	})
}

func TestPaymentLinks_PageOpensSession(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		price := linkPrice(t, sc, "Poster", 2000)
		l := createLink(t, sc, &stripe.PaymentLinkCreateParams{
			LineItems: []*stripe.PaymentLinkCreateLineItemParams{{Price: stripe.String(price.ID), Quantity: stripe.Int64(2),
				AdjustableQuantity: &stripe.PaymentLinkCreateLineItemAdjustableQuantityParams{Enabled: stripe.Bool(true), Maximum: stripe.Int64(4)}}},
			AfterCompletion: &stripe.PaymentLinkCreateAfterCompletionParams{Type: stripe.String("redirect"),
				Redirect: &stripe.PaymentLinkCreateAfterCompletionRedirectParams{URL: stripe.String("https://example.com/thanks?cs={CHECKOUT_SESSION_ID}")}},
			Metadata:          map[string]string{"campaign": "spring"},
			PaymentIntentData: &stripe.PaymentLinkCreatePaymentIntentDataParams{Description: stripe.String("Poster order")},
			CustomText: &stripe.PaymentLinkCreateCustomTextParams{
				Submit: &stripe.PaymentLinkCreateCustomTextSubmitParams{Message: stripe.String("Printed on recycled paper")}},
		})

		cs := openLinkSession(t, sc, l.URL+"?client_reference_id=order-42&prefilled_email=jenny%40example.com")
		if cs.PaymentLink == nil || cs.PaymentLink.ID != l.ID || cs.Mode != "payment" || cs.Status != "open" ||
			cs.AmountTotal != 4000 || cs.Currency != "usd" || cs.SuccessURL != "https://example.com/thanks?cs={CHECKOUT_SESSION_ID}" ||
			cs.Metadata["campaign"] != "spring" || cs.ClientReferenceID != "order-42" || cs.CustomerEmail != "jenny@example.com" ||
			cs.LineItems == nil || len(cs.LineItems.Data) != 1 || cs.LineItems.Data[0].Quantity != 2 ||
			cs.LineItems.Data[0].AdjustableQuantity == nil || cs.LineItems.Data[0].AdjustableQuantity.Maximum != 4 {
			t.Fatalf("session: %+v", cs)
		}
		// The link's custom text is the session's, shown on its page.
		if cs.CustomText == nil || cs.CustomText.Submit == nil || cs.CustomText.Submit.Message != "Printed on recycled paper" {
			t.Fatalf("custom_text: %+v", cs.CustomText)
		}
		// No payment_method_types on the link: the account's enabled
		// methods that take usd.
		if len(cs.PaymentMethodTypes) == 0 || cs.PaymentMethodTypes[0] != "card" {
			t.Fatalf("payment_method_types: %v", cs.PaymentMethodTypes)
		}
		// An invalid client_reference_id is dropped, as Stripe drops it;
		// each visit is a new session.
		cs2 := openLinkSession(t, sc, l.URL+"?client_reference_id="+url.QueryEscape("not valid!"))
		if cs2.ID == cs.ID || cs2.ClientReferenceID != "" {
			t.Fatalf("second visit: %+v", cs2)
		}
		// Paying: the session completes with payment_link, and the page
		// goes on to the redirect with the session id filled in.
		if loc := payLinkPage(t, cs.URL, nil); loc != "https://example.com/thanks?cs="+cs.ID {
			t.Fatalf("after payment the page sent the customer to %q", loc)
		}
		evs := pmEvents(t, sc, "checkout.session.completed")
		if len(evs) != 1 || evs[0].Data.Object["id"] != cs.ID || evs[0].Data.Object["payment_link"] != l.ID {
			t.Fatalf("checkout.session.completed: %+v", evs)
		}
		done, err := sc.V1CheckoutSessions.Retrieve(ctx, cs.ID, &stripe.CheckoutSessionRetrieveParams{})
		if err != nil || done.Status != "complete" || done.PaymentIntent == nil {
			t.Fatalf("completed session: %+v %v", done, err)
		}
		pi, err := sc.V1PaymentIntents.Retrieve(ctx, done.PaymentIntent.ID, nil)
		if err != nil || pi.Description != "Poster order" || pi.Amount != 4000 {
			t.Fatalf("intent: %+v %v", pi, err)
		}
		// expand[]=payment_link on the session.
		sp := &stripe.CheckoutSessionRetrieveParams{}
		sp.AddExpand("payment_link")
		if got, err := sc.V1CheckoutSessions.Retrieve(ctx, cs.ID, sp); err != nil || got.PaymentLink == nil || got.PaymentLink.URL != l.URL {
			t.Fatalf("expanded payment_link: %+v %v", got, err)
		}

		// An unknown link has no page.
		if status, _, body := openLink(t, srv.URL+"/_payd/links/plink_nope"); status != 404 || !strings.Contains(body, "no payment link") {
			t.Fatalf("unknown link: %d %s", status, body)
		}
		// HEAD says the link works without opening a session.
		before := len(linkSessions(t, sc, l.ID))
		resp, err := linkNoRedirects.Head(l.URL)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("HEAD: %v %v", resp, err)
		}
		resp.Body.Close()
		if n := len(linkSessions(t, sc, l.ID)); n != before {
			t.Fatalf("HEAD opened a session: %d -> %d", before, n)
		}
	})
}

func TestPaymentLinks_DeactivatedPageStartsNothing(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		l := createLink(t, sc, &stripe.PaymentLinkCreateParams{LineItems: lineItems(linkPrice(t, sc, "Ticket", 5000))})
		if _, err := sc.V1PaymentLinks.Update(ctx, l.ID, &stripe.PaymentLinkUpdateParams{Active: stripe.Bool(false)}); err != nil {
			t.Fatal(err)
		}
		status, loc, body := openLink(t, l.URL)
		if status != http.StatusGone || loc != "" || !strings.Contains(body, "no longer active") {
			t.Fatalf("inactive link: %d %q\n%s", status, loc, body)
		}
		if n := len(linkSessions(t, sc, l.ID)); n != 0 {
			t.Fatalf("an inactive link opened %d sessions", n)
		}
		// The link's own message replaces the default one.
		if _, err := sc.V1PaymentLinks.Update(ctx, l.ID, &stripe.PaymentLinkUpdateParams{InactiveMessage: stripe.String("Sold out <for now>")}); err != nil {
			t.Fatal(err)
		}
		if _, _, body := openLink(t, l.URL); !strings.Contains(body, "Sold out &lt;for now&gt;") {
			t.Fatalf("inactive_message not shown (escaped):\n%s", body)
		}
		// Reactivated, the same url works again.
		if _, err := sc.V1PaymentLinks.Update(ctx, l.ID, &stripe.PaymentLinkUpdateParams{Active: stripe.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		cs := openLinkSession(t, sc, l.URL)
		if cs.PaymentLink == nil || cs.PaymentLink.ID != l.ID {
			t.Fatalf("session after reactivation: %+v", cs)
		}
	})
}

// A link whose price was archived after it was made cannot open a
// session: the page says so instead of failing opaquely.
func TestPaymentLinks_PageWithArchivedPrice(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		price := linkPrice(t, sc, "Seasonal", 1000)
		l := createLink(t, sc, &stripe.PaymentLinkCreateParams{LineItems: lineItems(price)})
		if _, err := sc.V1Prices.Update(ctx, price.ID, &stripe.PriceUpdateParams{Active: stripe.Bool(false)}); err != nil {
			t.Fatal(err)
		}
		status, _, body := openLink(t, l.URL)
		if status != http.StatusConflict || !strings.Contains(body, "inactive") {
			t.Fatalf("archived price: %d\n%s", status, body)
		}
		if n := len(linkSessions(t, sc, l.ID)); n != 0 {
			t.Fatalf("%d sessions opened", n)
		}
	})
}

func TestPaymentLinks_CompletedSessionsLimitDeactivates(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		l := createLink(t, sc, &stripe.PaymentLinkCreateParams{LineItems: lineItems(linkPrice(t, sc, "Seat", 2500)),
			Restrictions: &stripe.PaymentLinkCreateRestrictionsParams{CompletedSessions: &stripe.PaymentLinkCreateRestrictionsCompletedSessionsParams{Limit: stripe.Int64(2)}}})

		// Two customers open the link; an abandoned session does not count.
		first, second := openLinkSession(t, sc, l.URL), openLinkSession(t, sc, l.URL)
		openLinkSession(t, sc, l.URL)
		payLinkPage(t, first.URL, nil)
		got, err := sc.V1PaymentLinks.Retrieve(ctx, l.ID, nil)
		if err != nil || !got.Active || got.Restrictions == nil || got.Restrictions.CompletedSessions.Count != 1 {
			t.Fatalf("after one: %+v %v", got, err)
		}
		if n := len(pmEvents(t, sc, "payment_link.updated")); n != 0 {
			t.Fatalf("counting recorded %d payment_link.updated", n)
		}
		payLinkPage(t, second.URL, nil)
		got, err = sc.V1PaymentLinks.Retrieve(ctx, l.ID, nil)
		if err != nil || got.Active || got.Restrictions.CompletedSessions.Count != 2 {
			t.Fatalf("after the limit: %+v %v", got, err)
		}
		evs := pmEvents(t, sc, "payment_link.updated")
		if len(evs) != 1 || evs[0].Data.Object["active"] != false || evs[0].Data.PreviousAttributes["active"] != true {
			t.Fatalf("payment_link.updated: %+v", evs)
		}
		// The event follows the session's completion.
		types := eventTypes(t, sc) // oldest first
		if n := len(types); types[n-2] != "checkout.session.completed" || types[n-1] != "payment_link.updated" {
			t.Fatalf("newest events: %v", types[n-2:])
		}
		if status, _, body := openLink(t, l.URL); status != http.StatusGone || !strings.Contains(body, "no longer active") {
			t.Fatalf("page after the limit: %d\n%s", status, body)
		}

		// Reactivating without room under the limit is refused; raising
		// the limit makes room.
		_, err = sc.V1PaymentLinks.Update(ctx, l.ID, &stripe.PaymentLinkUpdateParams{Active: stripe.Bool(true)})
		if se := stripeErr(t, err, 400, "invalid_request_error", "", "active"); !strings.Contains(se.Msg, "2 completed sessions") {
			t.Fatalf("message %q", se.Msg)
		}
		got, err = sc.V1PaymentLinks.Update(ctx, l.ID, &stripe.PaymentLinkUpdateParams{Active: stripe.Bool(true),
			Restrictions: &stripe.PaymentLinkUpdateRestrictionsParams{CompletedSessions: &stripe.PaymentLinkUpdateRestrictionsCompletedSessionsParams{Limit: stripe.Int64(3)}}})
		if err != nil || !got.Active || got.Restrictions.CompletedSessions.Count != 2 || got.Restrictions.CompletedSessions.Limit != 3 {
			t.Fatalf("raised limit: %+v %v", got, err)
		}
		// Removing the restrictions and setting them again counts the
		// sessions already completed.
		up := &stripe.PaymentLinkUpdateParams{}
		up.AddUnsetField(stripe.PaymentLinkUpdateParamsUnsetFieldRestrictions)
		if got, err = sc.V1PaymentLinks.Update(ctx, l.ID, up); err != nil || got.Restrictions != nil {
			t.Fatalf("unset restrictions: %+v %v", got, err)
		}
		got, err = sc.V1PaymentLinks.Update(ctx, l.ID, &stripe.PaymentLinkUpdateParams{
			Restrictions: &stripe.PaymentLinkUpdateRestrictionsParams{CompletedSessions: &stripe.PaymentLinkUpdateRestrictionsCompletedSessionsParams{Limit: stripe.Int64(5)}}})
		if err != nil || got.Restrictions == nil || got.Restrictions.CompletedSessions.Count != 2 {
			t.Fatalf("restrictions again: %+v %v", got, err)
		}
		_, err = sc.V1PaymentLinks.Update(ctx, l.ID, &stripe.PaymentLinkUpdateParams{
			Restrictions: &stripe.PaymentLinkUpdateRestrictionsParams{CompletedSessions: &stripe.PaymentLinkUpdateRestrictionsCompletedSessionsParams{Limit: stripe.Int64(2)}}})
		stripeErr(t, err, 400, "invalid_request_error", "", "restrictions[completed_sessions][limit]")
	})
}

// The hosted confirmation: no success_url, so the session's own page
// thanks the customer with the link's message.
func TestPaymentLinks_HostedConfirmationMessage(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		l := createLink(t, sc, &stripe.PaymentLinkCreateParams{LineItems: lineItems(linkPrice(t, sc, "Class", 1200)),
			AfterCompletion: &stripe.PaymentLinkCreateAfterCompletionParams{Type: stripe.String("hosted_confirmation"),
				HostedConfirmation: &stripe.PaymentLinkCreateAfterCompletionHostedConfirmationParams{CustomMessage: stripe.String("See you in class on Monday.")}}})
		cs := openLinkSession(t, sc, l.URL)
		if cs.SuccessURL != "" {
			t.Fatalf("success_url %q for a hosted confirmation", cs.SuccessURL)
		}
		loc := payLinkPage(t, cs.URL, nil)
		if loc != "" && loc != cs.URL {
			t.Fatalf("after payment the page sent the customer to %q", loc)
		}
		resp, err := http.Get(cs.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(body), "See you in class on Monday.") {
			t.Fatalf("confirmation page:\n%s", body)
		}
	})
}
