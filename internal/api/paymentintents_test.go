package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/testutil/paydtest"
)

var clientSecretRE = regexp.MustCompile(`^pi_[^_]+_secret_[^_]+$`)

func createPI(t *testing.T, sc *stripe.Client, p *stripe.PaymentIntentCreateParams) (*stripe.PaymentIntent, error) {
	t.Helper()
	if p.Amount == nil {
		p.Amount = stripe.Int64(2000)
	}
	if p.Currency == nil {
		p.Currency = stripe.String("usd")
	}
	return sc.V1PaymentIntents.Create(ctx, p)
}

// eventTypes lists the account's event types, oldest first.
func eventTypes(t *testing.T, sc *stripe.Client) []string {
	t.Helper()
	var out []string
	for ev, err := range sc.V1Events.List(ctx, &stripe.EventListParams{}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		out = append([]string{string(ev.Type)}, out...)
	}
	return out
}

func TestPaymentIntents_CreateConfirmSucceeds(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{
			PaymentMethodTypes: []*string{stripe.String("card")},
			Description:        stripe.String("order 42"),
			Metadata:           map[string]string{"order": "42"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if pi.Status != stripe.PaymentIntentStatusRequiresPaymentMethod || !clientSecretRE.MatchString(pi.ClientSecret) ||
			pi.Amount != 2000 || pi.Currency != "usd" || pi.AmountReceived != 0 || pi.LatestCharge != nil {
			t.Fatalf("created: %+v", pi)
		}
		pi, err = sc.V1PaymentIntents.Confirm(ctx, pi.ID, &stripe.PaymentIntentConfirmParams{PaymentMethod: stripe.String("pm_card_visa")})
		if err != nil {
			t.Fatal(err)
		}
		if pi.Status != stripe.PaymentIntentStatusSucceeded || pi.AmountReceived != 2000 || pi.LatestCharge == nil ||
			pi.PaymentMethod == nil || !strings.HasPrefix(pi.PaymentMethod.ID, "pm_") || pi.PaymentMethod.ID == "pm_card_visa" {
			t.Fatalf("confirmed: %+v", pi)
		}
		ch, err := sc.V1Charges.Retrieve(ctx, pi.LatestCharge.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Status != "succeeded" || !ch.Captured || !ch.Paid || ch.AmountCaptured != 2000 || ch.PaymentIntent.ID != pi.ID ||
			ch.PaymentMethodDetails == nil || ch.PaymentMethodDetails.Card == nil || ch.PaymentMethodDetails.Card.Last4 != "4242" ||
			ch.Outcome == nil || ch.Outcome.Type != "authorized" {
			t.Fatalf("charge: %+v", ch)
		}
		// latest_charge expands.
		rp := &stripe.PaymentIntentRetrieveParams{}
		rp.AddExpand("latest_charge")
		got, err := sc.V1PaymentIntents.Retrieve(ctx, pi.ID, rp)
		if err != nil || got.LatestCharge == nil || got.LatestCharge.Amount != 2000 {
			t.Fatalf("expand latest_charge: %+v %v", got, err)
		}
		want := "payment_intent.created,charge.succeeded,payment_intent.succeeded"
		if got := strings.Join(eventTypes(t, sc), ","); got != want {
			t.Fatalf("events %s, want %s", got, want)
		}
		// Confirming again is a state error naming the status.
		_, err = sc.V1PaymentIntents.Confirm(ctx, pi.ID, &stripe.PaymentIntentConfirmParams{PaymentMethod: stripe.String("pm_card_visa")})
		se := stripeErr(t, err, 400, "invalid_request_error", "payment_intent_unexpected_state", "")
		if !strings.Contains(se.Msg, "status of succeeded") {
			t.Fatalf("message: %s", se.Msg)
		}
		// Money fields never change after success.
		_, err = sc.V1PaymentIntents.Update(ctx, pi.ID, &stripe.PaymentIntentUpdateParams{Amount: stripe.Int64(5)})
		stripeErr(t, err, 400, "invalid_request_error", "payment_intent_unexpected_state", "")
		if _, err := sc.V1PaymentIntents.Update(ctx, pi.ID, &stripe.PaymentIntentUpdateParams{Metadata: map[string]string{"x": "y"}}); err != nil {
			t.Fatalf("metadata after success: %v", err)
		}
	})
}

func TestPaymentIntents_Declines(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		// outcome is the charge's outcome type and network status.
		cases := []struct{ pm, code, decline, outcome, network string }{
			{"pm_card_chargeDeclined", "card_declined", "generic_decline", "issuer_declined", "declined_by_network"},
			{"pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds", "issuer_declined", "declined_by_network"},
			{"pm_card_visa_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds", "issuer_declined", "declined_by_network"},
			{"pm_card_chargeDeclinedLostCard", "card_declined", "lost_card", "issuer_declined", "declined_by_network"},
			{"pm_card_chargeDeclinedStolenCard", "card_declined", "stolen_card", "issuer_declined", "declined_by_network"},
			{"pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card", "issuer_declined", "declined_by_network"},
			{"pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc", "issuer_declined", "declined_by_network"},
			{"pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error", "issuer_declined", "declined_by_network"},
			// Radar's default rule blocks the highest risk before the
			// network sees it.
			{"pm_card_radarBlock", "card_declined", "fraudulent", "blocked", "not_sent_to_network"},
			{"pm_card_chargeDeclinedFraudulent", "card_declined", "fraudulent", "blocked", "not_sent_to_network"},
			{"tok_chargeDeclinedFraudulent", "card_declined", "fraudulent", "blocked", "not_sent_to_network"},
			{"pm_card_riskLevelHighest", "card_declined", "fraudulent", "blocked", "not_sent_to_network"},
		}
		for _, tc := range cases {
			_, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{
				PaymentMethod: stripe.String(tc.pm), Confirm: stripe.Bool(true),
				PaymentMethodTypes: []*string{stripe.String("card")}})
			se := stripeErr(t, err, 402, "card_error", tc.code, "")
			if string(se.DeclineCode) != tc.decline || se.PaymentIntent == nil || se.PaymentMethod == nil || se.ChargeID == "" {
				t.Fatalf("%s: %+v", tc.pm, se)
			}
			pi := se.PaymentIntent
			if pi.Status != stripe.PaymentIntentStatusRequiresPaymentMethod || pi.LastPaymentError == nil ||
				string(pi.LastPaymentError.DeclineCode) != tc.decline || pi.LastPaymentError.PaymentMethod == nil {
				t.Fatalf("%s: intent %+v", tc.pm, pi)
			}
			ch, err := sc.V1Charges.Retrieve(ctx, se.ChargeID, nil)
			if err != nil || ch.Status != "failed" || ch.FailureCode != tc.code || ch.Paid || ch.Outcome == nil ||
				ch.Outcome.Type != tc.outcome || ch.Outcome.NetworkStatus != tc.network {
				t.Fatalf("%s: charge %+v %v", tc.pm, ch, err)
			}
			if tc.outcome == "blocked" && (ch.Outcome.Reason != "highest_risk_level" || ch.Outcome.RiskLevel != "highest") {
				t.Fatalf("%s: outcome %+v", tc.pm, ch.Outcome)
			}
			// The declined intent can be retried with another card.
			ok, err := sc.V1PaymentIntents.Confirm(ctx, pi.ID, &stripe.PaymentIntentConfirmParams{PaymentMethod: stripe.String("pm_card_mastercard")})
			if err != nil || ok.Status != stripe.PaymentIntentStatusSucceeded || ok.LastPaymentError != nil {
				t.Fatalf("%s: retry %+v %v", tc.pm, ok, err)
			}
		}
		// Elevated risk goes through, flagged on the charge's outcome.
		for pm, risk := range map[string]string{"pm_card_riskLevelElevated": "elevated", "pm_card_visa": "normal"} {
			pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{
				PaymentMethod: stripe.String(pm), Confirm: stripe.Bool(true),
				PaymentMethodTypes: []*string{stripe.String("card")}})
			if err != nil || pi.Status != stripe.PaymentIntentStatusSucceeded {
				t.Fatalf("%s: %+v %v", pm, pi, err)
			}
			ch, err := sc.V1Charges.Retrieve(ctx, pi.LatestCharge.ID, nil)
			if err != nil || ch.Outcome == nil || ch.Outcome.Type != "authorized" || ch.Outcome.RiskLevel != risk ||
				ch.Outcome.NetworkStatus != "approved_by_network" {
				t.Fatalf("%s: charge %+v %v", pm, ch, err)
			}
		}
	})
}

func TestPaymentIntents_ThreeDSecure(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

		// With a return_url: redirect_to_url, the page, Authorize.
		pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{
			PaymentMethod: stripe.String("pm_card_threeDSecure2Required"), Confirm: stripe.Bool(true),
			PaymentMethodTypes: []*string{stripe.String("card")}, ReturnURL: stripe.String("https://shop.example/done?order=7")})
		if err != nil {
			t.Fatal(err)
		}
		if pi.Status != stripe.PaymentIntentStatusRequiresAction || pi.NextAction == nil || pi.NextAction.RedirectToURL == nil ||
			pi.NextAction.RedirectToURL.ReturnURL != "https://shop.example/done?order=7" {
			t.Fatalf("requires_action: %+v", pi)
		}
		page := pi.NextAction.RedirectToURL.URL
		resp, err := http.Get(page)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("page: %d", resp.StatusCode)
		}
		u, _ := url.Parse(page)
		form := url.Values{"token": {u.Query().Get("token")}, "action": {"authorize"}}
		resp, err = noRedirect.PostForm(u.Scheme+"://"+u.Host+u.Path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		q := loc.Query()
		if resp.StatusCode != http.StatusSeeOther || loc.Host != "shop.example" || q.Get("order") != "7" ||
			q.Get("payment_intent") != pi.ID || q.Get("payment_intent_client_secret") != pi.ClientSecret || q.Get("redirect_status") != "succeeded" {
			t.Fatalf("redirect: %d %s", resp.StatusCode, loc)
		}
		got, _ := sc.V1PaymentIntents.Retrieve(ctx, pi.ID, nil)
		if got.Status != stripe.PaymentIntentStatusSucceeded {
			t.Fatalf("after authorize: %s", got.Status)
		}
		// The used link acts no more.
		resp, err = noRedirect.PostForm(u.Scheme+"://"+u.Host+u.Path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusGone {
			t.Fatalf("reused link: %d", resp.StatusCode)
		}

		// Without a return_url: use_stripe_sdk, completed (failed) by JSON.
		pi, err = createPI(t, sc, &stripe.PaymentIntentCreateParams{
			PaymentMethod: stripe.String("pm_card_threeDSecureRequired"), Confirm: stripe.Bool(true),
			PaymentMethodTypes: []*string{stripe.String("card")}})
		if err != nil {
			t.Fatal(err)
		}
		if pi.Status != stripe.PaymentIntentStatusRequiresAction || pi.NextAction == nil || pi.NextAction.Type != "use_stripe_sdk" {
			t.Fatalf("use_stripe_sdk: %+v", pi.NextAction)
		}
		raw := srv.Do("GET", "/v1/payment_intents/"+pi.ID, srv.Accounts[0].Secret, "")
		var shape struct {
			NextAction struct {
				UseStripeSDK struct {
					StripeJS string `json:"stripe_js"`
				} `json:"use_stripe_sdk"`
			} `json:"next_action"`
		}
		json.Unmarshal([]byte(raw.Body), &shape)
		u, _ = url.Parse(shape.NextAction.UseStripeSDK.StripeJS)
		resp, err = http.PostForm(u.Scheme+"://"+u.Host+u.Path, url.Values{"token": {u.Query().Get("token")}, "action": {"fail"}, "format": {"json"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got, _ = sc.V1PaymentIntents.Retrieve(ctx, pi.ID, nil)
		if resp.StatusCode != 200 || got.Status != stripe.PaymentIntentStatusRequiresPaymentMethod || got.LastPaymentError == nil ||
			got.LastPaymentError.Code != "payment_intent_authentication_failure" {
			t.Fatalf("after fail: %d %+v", resp.StatusCode, got)
		}

		// Off-session, a card that needs authentication is declined.
		c, _ := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
		_, err = createPI(t, sc, &stripe.PaymentIntentCreateParams{Customer: stripe.String(c.ID),
			PaymentMethod: stripe.String("pm_card_authenticationRequired"), Confirm: stripe.Bool(true), OffSession: stripe.Bool(true),
			PaymentMethodTypes: []*string{stripe.String("card")}})
		se := stripeErr(t, err, 402, "card_error", "authentication_required", "")
		if se.DeclineCode != "authentication_required" {
			t.Fatalf("off-session 3DS: %+v", se)
		}
	})
}

func TestPaymentIntents_ManualCaptureAndCancel(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(5000),
			PaymentMethod: stripe.String("pm_card_visa"), Confirm: stripe.Bool(true), CaptureMethod: stripe.String("manual"),
			PaymentMethodTypes: []*string{stripe.String("card")}})
		if err != nil {
			t.Fatal(err)
		}
		if pi.Status != stripe.PaymentIntentStatusRequiresCapture || pi.AmountCapturable != 5000 || pi.AmountReceived != 0 {
			t.Fatalf("authorized: %+v", pi)
		}
		_, err = sc.V1PaymentIntents.Capture(ctx, pi.ID, &stripe.PaymentIntentCaptureParams{AmountToCapture: stripe.Int64(6000)})
		stripeErr(t, err, 400, "invalid_request_error", "amount_too_large", "amount_to_capture")
		pi, err = sc.V1PaymentIntents.Capture(ctx, pi.ID, &stripe.PaymentIntentCaptureParams{AmountToCapture: stripe.Int64(3000)})
		if err != nil {
			t.Fatal(err)
		}
		if pi.Status != stripe.PaymentIntentStatusSucceeded || pi.AmountReceived != 3000 || pi.AmountCapturable != 0 {
			t.Fatalf("captured: %+v", pi)
		}
		ch, _ := sc.V1Charges.Retrieve(ctx, pi.LatestCharge.ID, nil)
		if !ch.Captured || ch.AmountCaptured != 3000 || ch.AmountRefunded != 2000 {
			t.Fatalf("charge after partial capture: %+v", ch)
		}
		_, err = sc.V1PaymentIntents.Capture(ctx, pi.ID, nil)
		stripeErr(t, err, 400, "invalid_request_error", "payment_intent_unexpected_state", "")

		// Cancel an authorization: released, then no more changes.
		pi, err = createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String("pm_card_visa"), Confirm: stripe.Bool(true),
			CaptureMethod: stripe.String("manual"), PaymentMethodTypes: []*string{stripe.String("card")}})
		if err != nil {
			t.Fatal(err)
		}
		pi, err = sc.V1PaymentIntents.Cancel(ctx, pi.ID, &stripe.PaymentIntentCancelParams{CancellationReason: stripe.String("requested_by_customer")})
		if err != nil || pi.Status != stripe.PaymentIntentStatusCanceled || pi.CanceledAt == 0 || pi.CancellationReason != "requested_by_customer" {
			t.Fatalf("canceled: %+v %v", pi, err)
		}
		_, err = sc.V1PaymentIntents.Cancel(ctx, pi.ID, nil)
		stripeErr(t, err, 400, "invalid_request_error", "payment_intent_unexpected_state", "")
	})
}

func TestPaymentIntents_ValidationAndClientSecret(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		acct := srv.Accounts[0]
		_, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(10)})
		if se := stripeErr(t, err, 400, "invalid_request_error", "amount_too_small", "amount"); se.Msg != "Amount must be at least $0.50 usd" {
			t.Fatalf("too small: %q", se.Msg)
		}
		_, err = createPI(t, sc, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(49), Currency: stripe.String("eur")})
		if se := stripeErr(t, err, 400, "invalid_request_error", "amount_too_small", "amount"); se.Msg != "Amount must be at least €0.50 eur" {
			t.Fatalf("too small in eur: %q", se.Msg)
		}
		_, err = createPI(t, sc, &stripe.PaymentIntentCreateParams{Currency: stripe.String("cad"),
			PaymentMethodTypes: []*string{stripe.String("amazon_pay")}})
		stripeErr(t, err, 400, "invalid_request_error", "payment_intent_invalid_parameter", "currency")
		jp, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(500), Currency: stripe.String("jpy"),
			PaymentMethodTypes: []*string{stripe.String("card"), stripe.String("amazon_pay")}})
		if err != nil || jp.Amount != 500 {
			t.Fatalf("jpy: %+v %v", jp, err)
		}
		// Automatic payment methods by default, filtered by currency.
		auto, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{Currency: stripe.String("cad")})
		if err != nil || auto.AutomaticPaymentMethods == nil || !auto.AutomaticPaymentMethods.Enabled ||
			strings.Join(auto.PaymentMethodTypes, ",") != "card" {
			t.Fatalf("automatic: %+v %v", auto, err)
		}

		// Automatic payment methods allow redirects unless told not to, so a
		// confirm needs a return_url, as on Stripe.
		_, err = createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String("pm_card_visa"), Confirm: stripe.Bool(true)})
		stripeErr(t, err, 400, "invalid_request_error", "", "return_url")
		never, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String("pm_card_visa"), Confirm: stripe.Bool(true),
			AutomaticPaymentMethods: &stripe.PaymentIntentCreateAutomaticPaymentMethodsParams{Enabled: stripe.Bool(true), AllowRedirects: stripe.String("never")}})
		if err != nil || never.Status != stripe.PaymentIntentStatusSucceeded || strings.Contains(strings.Join(never.PaymentMethodTypes, ","), "amazon_pay") {
			t.Fatalf("allow_redirects=never: %+v %v", never, err)
		}

		// A publishable key with the client secret may retrieve and confirm.
		pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethodTypes: []*string{stripe.String("card")},
			Metadata: map[string]string{"internal": "x"}})
		if err != nil {
			t.Fatal(err)
		}
		pk := srv.ClientKey(acct.Publishable)
		got, err := pk.V1PaymentIntents.Retrieve(ctx, pi.ID, &stripe.PaymentIntentRetrieveParams{ClientSecret: stripe.String(pi.ClientSecret)})
		if err != nil || got.ID != pi.ID || len(got.Metadata) != 0 {
			t.Fatalf("pk retrieve: %+v %v", got, err)
		}
		_, err = pk.V1PaymentIntents.Retrieve(ctx, pi.ID, &stripe.PaymentIntentRetrieveParams{ClientSecret: stripe.String(pi.ID + "_secret_wrong")})
		stripeErr(t, err, 400, "invalid_request_error", "", "client_secret")
		_, err = pk.V1PaymentIntents.Retrieve(ctx, pi.ID, nil)
		stripeErr(t, err, 400, "invalid_request_error", "parameter_missing", "client_secret")
		cp := &stripe.PaymentIntentConfirmParams{PaymentMethod: stripe.String("pm_card_visa")}
		cp.AddExtra("client_secret", pi.ClientSecret)
		done, err := pk.V1PaymentIntents.Confirm(ctx, pi.ID, cp)
		if err != nil || done.Status != stripe.PaymentIntentStatusSucceeded {
			t.Fatalf("pk confirm: %+v %v", done, err)
		}
		// Errors show the intent in its public view too, and a publishable
		// key expands only the payment method.
		cus, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
		if err != nil {
			t.Fatal(err)
		}
		private, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethodTypes: []*string{stripe.String("card")},
			Customer: stripe.String(cus.ID), Metadata: map[string]string{"internal": "x"}})
		if err != nil {
			t.Fatal(err)
		}
		cp = &stripe.PaymentIntentConfirmParams{PaymentMethod: stripe.String("pm_card_chargeDeclined")}
		cp.AddExtra("client_secret", private.ClientSecret)
		_, err = pk.V1PaymentIntents.Confirm(ctx, private.ID, cp)
		se := stripeErr(t, err, 402, "card_error", "card_declined", "")
		if se.PaymentIntent == nil || se.PaymentIntent.ID != private.ID || se.PaymentIntent.Customer != nil || len(se.PaymentIntent.Metadata) != 0 {
			t.Fatalf("pk decline shows the merchant's data: %+v", se.PaymentIntent)
		}
		cp = &stripe.PaymentIntentConfirmParams{PaymentMethod: stripe.String("pm_card_visa")}
		cp.AddExtra("client_secret", private.ClientSecret)
		cp.AddExpand("payment_method")
		paid, err := pk.V1PaymentIntents.Confirm(ctx, private.ID, cp)
		if err != nil || paid.Customer != nil || len(paid.Metadata) != 0 || paid.PaymentMethod == nil || paid.PaymentMethod.Card == nil {
			t.Fatalf("pk confirm with the method expanded: %+v %v", paid, err)
		}
		cp = &stripe.PaymentIntentConfirmParams{PaymentMethod: stripe.String("pm_card_visa")}
		cp.AddExtra("client_secret", private.ClientSecret)
		_, err = pk.V1PaymentIntents.Confirm(ctx, private.ID, cp)
		se = stripeErr(t, err, 400, "invalid_request_error", "payment_intent_unexpected_state", "")
		if se.PaymentIntent == nil || se.PaymentIntent.Customer != nil || len(se.PaymentIntent.Metadata) != 0 {
			t.Fatalf("pk state error shows the merchant's data: %+v", se.PaymentIntent)
		}
		rp := &stripe.PaymentIntentRetrieveParams{ClientSecret: stripe.String(private.ClientSecret)}
		rp.AddExpand("latest_charge")
		_, err = pk.V1PaymentIntents.Retrieve(ctx, private.ID, rp)
		stripeErr(t, err, 400, "invalid_request_error", "", "expand")
		// A browser's SEPA confirm: what its acceptance leaves out is
		// inferred from the request, as for SetupIntents.
		sepa, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(1500), Currency: stripe.String("eur"),
			PaymentMethodTypes: []*string{stripe.String("sepa_debit")}})
		if err != nil {
			t.Fatal(err)
		}
		body := url.Values{
			"client_secret":                               {sepa.ClientSecret},
			"payment_method_data[type]":                   {"sepa_debit"},
			"payment_method_data[sepa_debit][iban]":       {"DE89370400440532013000"},
			"payment_method_data[billing_details][name]":  {"Jenny Rosen"},
			"payment_method_data[billing_details][email]": {"jenny@example.com"},
			"mandate_data[customer_acceptance][type]":     {"online"},
		}
		if res := srv.Do("POST", "/v1/payment_intents/"+sepa.ID+"/confirm", acct.Publishable, body.Encode()); res.Status != 200 ||
			!strings.Contains(res.Body, `"status": "processing"`) && !strings.Contains(res.Body, `"status":"processing"`) {
			t.Fatalf("pk sepa confirm: %d %s", res.Status, res.Body)
		}
		// … and nothing else.
		_, err = pk.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(100), Currency: stripe.String("usd")})
		stripeErr(t, err, 403, "invalid_request_error", "secret_key_required", "")
		_, err = pk.V1PaymentIntents.Capture(ctx, pi.ID, nil)
		stripeErr(t, err, 403, "invalid_request_error", "secret_key_required", "")
		// Another account's intent is not found, with its secret or not.
		_, err = srv.Client(1).V1PaymentIntents.Retrieve(ctx, pi.ID, nil)
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "intent")
	})
}

// TestPaymentIntents_ConcurrentConfirms races confirms of one intent:
// exactly one charge and one success; the others get the state error.
func TestPaymentIntents_ConcurrentConfirms(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String("pm_card_visa"),
			PaymentMethodTypes: []*string{stripe.String("card")}})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, stateErrs := 0, 0
		for i := 0; i < 12; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := sc.V1PaymentIntents.Confirm(ctx, pi.ID, nil)
				mu.Lock()
				defer mu.Unlock()
				var se *stripe.Error
				switch {
				case err == nil:
					ok++
				case asStripe(err, &se) && se.Code == "payment_intent_unexpected_state":
					stateErrs++
				default:
					t.Errorf("confirm: %v", err)
				}
			}()
		}
		wg.Wait()
		charges := 0
		for _, err := range sc.V1Charges.List(ctx, &stripe.ChargeListParams{PaymentIntent: stripe.String(pi.ID)}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			charges++
		}
		if ok != 1 || stateErrs != 11 || charges != 1 {
			t.Fatalf("%d successes, %d state errors, %d charges", ok, stateErrs, charges)
		}

		// Racing captures of one authorization: one capture.
		auth, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String("pm_card_visa"), Confirm: stripe.Bool(true),
			CaptureMethod: stripe.String("manual"), PaymentMethodTypes: []*string{stripe.String("card")}})
		if err != nil {
			t.Fatal(err)
		}
		ok, stateErrs = 0, 0
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := sc.V1PaymentIntents.Capture(ctx, auth.ID, &stripe.PaymentIntentCaptureParams{AmountToCapture: stripe.Int64(1500)})
				mu.Lock()
				defer mu.Unlock()
				var se *stripe.Error
				switch {
				case err == nil:
					ok++
				case asStripe(err, &se) && se.Code == "payment_intent_unexpected_state":
					stateErrs++
				default:
					t.Errorf("capture: %v", err)
				}
			}()
		}
		wg.Wait()
		ch, _ := sc.V1Charges.Retrieve(ctx, auth.LatestCharge.ID, nil)
		if ok != 1 || stateErrs != 7 || ch.AmountCaptured != 1500 {
			t.Fatalf("captures: %d successes, %d state errors, captured %d", ok, stateErrs, ch.AmountCaptured)
		}
	})
}

func TestPaymentIntents_DelayedDebitAndAmazonPay(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		debit := func(iban string) *stripe.PaymentIntent {
			pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{Currency: stripe.String("eur"), Confirm: stripe.Bool(true),
				PaymentMethodTypes: []*string{stripe.String("sepa_debit")},
				PaymentMethodData: &stripe.PaymentIntentCreatePaymentMethodDataParams{Type: stripe.String("sepa_debit"),
					SEPADebit: &stripe.PaymentMethodSEPADebitParams{IBAN: stripe.String(iban)},
					BillingDetails: &stripe.PaymentIntentCreatePaymentMethodDataBillingDetailsParams{
						Name: stripe.String("Jenny Rosen"), Email: stripe.String("jenny@example.com")}},
				MandateData: &stripe.PaymentIntentCreateMandateDataParams{CustomerAcceptance: &stripe.PaymentIntentCreateMandateDataCustomerAcceptanceParams{
					Type: stripe.String("offline")}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if pi.Status != stripe.PaymentIntentStatusProcessing {
				t.Fatalf("debit %s: %s", iban, pi.Status)
			}
			return pi
		}
		good, bad := debit("DE89370400440532013000"), debit("DE62370400440532013001")
		if _, err := srv.API.SettleDue(ctx); err != nil {
			t.Fatal(err)
		}
		g, _ := sc.V1PaymentIntents.Retrieve(ctx, good.ID, nil)
		b, _ := sc.V1PaymentIntents.Retrieve(ctx, bad.ID, nil)
		if g.Status != stripe.PaymentIntentStatusSucceeded || g.AmountReceived != 2000 {
			t.Fatalf("good debit: %+v", g)
		}
		if b.Status != stripe.PaymentIntentStatusRequiresPaymentMethod || b.LastPaymentError == nil {
			t.Fatalf("bad debit: %+v", b)
		}

		// Amazon Pay stops at requires_action with a redirect.
		pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{Currency: stripe.String("eur"), Confirm: stripe.Bool(true),
			PaymentMethodTypes: []*string{stripe.String("amazon_pay")}, ReturnURL: stripe.String("https://shop.example/return"),
			PaymentMethodData: &stripe.PaymentIntentCreatePaymentMethodDataParams{Type: stripe.String("amazon_pay")}})
		if err != nil {
			t.Fatal(err)
		}
		if pi.Status != stripe.PaymentIntentStatusRequiresAction || pi.NextAction.RedirectToURL == nil {
			t.Fatalf("amazon pay: %+v", pi)
		}
		_, err = createPI(t, sc, &stripe.PaymentIntentCreateParams{Currency: stripe.String("eur"), Confirm: stripe.Bool(true),
			PaymentMethodTypes: []*string{stripe.String("amazon_pay")},
			PaymentMethodData:  &stripe.PaymentIntentCreatePaymentMethodDataParams{Type: stripe.String("amazon_pay")}})
		stripeErr(t, err, 400, "invalid_request_error", "", "return_url")

		// A debit needs the customer's mandate.
		_, err = createPI(t, sc, &stripe.PaymentIntentCreateParams{Currency: stripe.String("eur"), Confirm: stripe.Bool(true),
			PaymentMethodTypes: []*string{stripe.String("sepa_debit")},
			PaymentMethodData: &stripe.PaymentIntentCreatePaymentMethodDataParams{Type: stripe.String("sepa_debit"),
				SEPADebit: &stripe.PaymentMethodSEPADebitParams{IBAN: stripe.String("DE89370400440532013000")},
				BillingDetails: &stripe.PaymentIntentCreatePaymentMethodDataBillingDetailsParams{
					Name: stripe.String("Jenny Rosen"), Email: stripe.String("jenny@example.com")}}})
		stripeErr(t, err, 400, "invalid_request_error", "parameter_missing", "mandate_data")

		// Amazon Pay with setup_future_usage=off_session: authorized once on
		// the page, then charged off-session without the customer.
		c, _ := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
		first, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{Currency: stripe.String("eur"), Confirm: stripe.Bool(true),
			Customer: stripe.String(c.ID), SetupFutureUsage: stripe.String("off_session"),
			PaymentMethodTypes: []*string{stripe.String("amazon_pay")}, ReturnURL: stripe.String("https://shop.example/return"),
			PaymentMethodData: &stripe.PaymentIntentCreatePaymentMethodDataParams{Type: stripe.String("amazon_pay")}})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(first.NextAction.RedirectToURL.URL)
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noRedirect.PostForm(u.Scheme+"://"+u.Host+u.Path, url.Values{"token": {u.Query().Get("token")}, "action": {"authorize"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		pm, err := sc.V1PaymentMethods.Retrieve(ctx, first.PaymentMethod.ID, nil)
		if err != nil || pm.Customer == nil || pm.Customer.ID != c.ID {
			t.Fatalf("saved amazon pay method: %+v %v", pm, err)
		}
		later, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{Currency: stripe.String("eur"), Confirm: stripe.Bool(true),
			Customer: stripe.String(c.ID), PaymentMethod: stripe.String(pm.ID), OffSession: stripe.Bool(true),
			PaymentMethodTypes: []*string{stripe.String("amazon_pay")}})
		if err != nil || later.Status != stripe.PaymentIntentStatusSucceeded {
			t.Fatalf("off-session amazon pay: %+v %v", later, err)
		}
	})
}

func asStripe(err error, se **stripe.Error) bool {
	e, ok := err.(*stripe.Error)
	if ok {
		*se = e
	}
	return ok
}

// TestPaymentIntents_ConfirmationToken is seed 003's server half: create
// and confirm in one call with a token the browser made.
func TestPaymentIntents_ConfirmationToken(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		token := func(pm, returnURL string) string {
			p := &stripe.TestHelpersConfirmationTokenCreateParams{PaymentMethod: stripe.String(pm)}
			if returnURL != "" {
				p.ReturnURL = stripe.String(returnURL)
			}
			ct, err := sc.V1TestHelpersConfirmationTokens.Create(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			return ct.ID
		}
		tok := token("pm_card_visa", "")
		pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{Confirm: stripe.Bool(true),
			ConfirmationToken: stripe.String(tok), PaymentMethodTypes: []*string{stripe.String("card")}})
		if err != nil || pi.Status != stripe.PaymentIntentStatusSucceeded || pi.PaymentMethod == nil {
			t.Fatalf("token confirm: %+v %v", pi, err)
		}
		ct, err := sc.V1ConfirmationTokens.Retrieve(ctx, tok, nil)
		if err != nil || ct.PaymentIntent != pi.ID {
			t.Fatalf("token after use: %+v %v", ct, err)
		}
		// A token is single-use.
		_, err = createPI(t, sc, &stripe.PaymentIntentCreateParams{Confirm: stripe.Bool(true),
			ConfirmationToken: stripe.String(tok), PaymentMethodTypes: []*string{stripe.String("card")}})
		if err == nil {
			t.Fatal("a used ConfirmationToken was accepted again")
		}
		// 3-D Secure: the token's return_url drives the redirect.
		pi, err = createPI(t, sc, &stripe.PaymentIntentCreateParams{Confirm: stripe.Bool(true),
			ConfirmationToken:  stripe.String(token("pm_card_threeDSecure2Required", "https://shop.example/back")),
			PaymentMethodTypes: []*string{stripe.String("card")}})
		if err != nil || pi.Status != stripe.PaymentIntentStatusRequiresAction || pi.NextAction.RedirectToURL == nil ||
			pi.NextAction.RedirectToURL.ReturnURL != "https://shop.example/back" {
			t.Fatalf("token 3DS: %+v %v", pi, err)
		}
		// A decline through a token, on an existing intent's confirm.
		pi, err = createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethodTypes: []*string{stripe.String("card")}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1PaymentIntents.Confirm(ctx, pi.ID, &stripe.PaymentIntentConfirmParams{
			ConfirmationToken: stripe.String(token("pm_card_chargeDeclinedInsufficientFunds", ""))})
		se := stripeErr(t, err, 402, "card_error", "card_declined", "")
		if se.DeclineCode != "insufficient_funds" {
			t.Fatalf("token decline: %+v", se)
		}
		// Unknown tokens are 400s naming the parameter: the request refers
		// to a missing object, it does not address one.
		_, err = createPI(t, sc, &stripe.PaymentIntentCreateParams{Confirm: stripe.Bool(true),
			ConfirmationToken: stripe.String("ctoken_doesnotexist"), PaymentMethodTypes: []*string{stripe.String("card")}})
		stripeErr(t, err, 400, "invalid_request_error", "resource_missing", "confirmation_token")
	})
}

// TestPaymentIntents_MethodUsedWithoutCustomerIsSpent: a PaymentMethod a
// payment used without a customer may not be used again, whether the
// payment created it (from a test id) or it existed before; one saved
// to a customer stays usable. Its object is unchanged by being spent.
func TestPaymentIntents_MethodUsedWithoutCustomerIsSpent(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		card := []*string{stripe.String("card")}
		pm, err := sc.V1PaymentMethods.Create(ctx, cardParams("4242424242424242", "314"))
		if err != nil {
			t.Fatal(err)
		}
		pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String(pm.ID), Confirm: stripe.Bool(true), PaymentMethodTypes: card})
		if err != nil || pi.Status != stripe.PaymentIntentStatusSucceeded {
			t.Fatalf("first payment: %+v %v", pi, err)
		}
		created, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String("pm_card_visa"), Confirm: stripe.Bool(true), PaymentMethodTypes: card})
		if err != nil || created.PaymentMethod == nil || !strings.HasPrefix(created.PaymentMethod.ID, "pm_") || created.PaymentMethod.ID == "pm_card_visa" {
			t.Fatalf("payment with pm_card_visa: %+v %v", created, err)
		}
		for _, id := range []string{pm.ID, created.PaymentMethod.ID} {
			_, err = createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String(id), Confirm: stripe.Bool(true), PaymentMethodTypes: card})
			se := stripeErr(t, err, 400, "invalid_request_error", "", "payment_method")
			if !strings.Contains(se.Msg, "It may not be used again") {
				t.Fatalf("%s used again: %q", id, se.Msg)
			}
		}
		after, err := sc.V1PaymentMethods.Retrieve(ctx, pm.ID, nil)
		if err != nil || after.Card.Last4 != "4242" || after.Customer != nil {
			t.Fatalf("spent method: %+v %v", after, err)
		}
		// Saved to a customer, a method pays again and again.
		cus := newCustomer(t, sc)
		saved, _ := sc.V1PaymentMethods.Create(ctx, cardParams("4242424242424242", "314"))
		if _, err := sc.V1PaymentMethods.Attach(ctx, saved.ID, &stripe.PaymentMethodAttachParams{Customer: stripe.String(cus)}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{Customer: stripe.String(cus), PaymentMethod: stripe.String(saved.ID), Confirm: stripe.Bool(true), PaymentMethodTypes: card})
			if err != nil || pi.Status != stripe.PaymentIntentStatusSucceeded {
				t.Fatalf("saved method: %+v %v", pi, err)
			}
		}
	})
}

// TestPaymentIntents_TestIDMethodEveryOutcome: a PaymentMethod made from a
// test id by an intent (written once, with what the payment made of it) is
// stored whatever the payment's outcome: spent after a payment without a
// customer, saved to the customer when set up for future use, still usable
// after a decline or while authentication is pending, and present when the
// intent is only created.
func TestPaymentIntents_TestIDMethodEveryOutcome(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		card := []*string{stripe.String("card")}
		retrieve := func(id string) *stripe.PaymentMethod {
			t.Helper()
			pm, err := sc.V1PaymentMethods.Retrieve(ctx, id, nil)
			if err != nil || pm.ID != id || pm.Card == nil {
				t.Fatalf("retrieve %s: %+v %v", id, pm, err)
			}
			return pm
		}
		pay := func(id string, cus *string) (*stripe.PaymentIntent, error) {
			return createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String(id), Customer: cus, Confirm: stripe.Bool(true), PaymentMethodTypes: card})
		}

		// Set up for future use: saved to the customer, with its event, and
		// charged again off-session.
		cus := newCustomer(t, sc)
		saved, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String("pm_card_visa"), Customer: stripe.String(cus),
			SetupFutureUsage: stripe.String("off_session"), Confirm: stripe.Bool(true), PaymentMethodTypes: card})
		if err != nil || saved.Status != stripe.PaymentIntentStatusSucceeded {
			t.Fatalf("set up for future use: %+v %v", saved, err)
		}
		if pm := retrieve(saved.PaymentMethod.ID); pm.Customer == nil || pm.Customer.ID != cus {
			t.Fatalf("method set up for future use: customer %+v, want %s", pm.Customer, cus)
		}
		attached := pmEvents(t, sc, "payment_method.attached")
		if len(attached) != 1 || !strings.Contains(string(attached[0].Data.Raw), saved.PaymentMethod.ID) {
			t.Fatalf("payment_method.attached events: %d", len(attached))
		}
		again, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String(saved.PaymentMethod.ID), Customer: stripe.String(cus),
			OffSession: stripe.Bool(true), Confirm: stripe.Bool(true), PaymentMethodTypes: card})
		if err != nil || again.Status != stripe.PaymentIntentStatusSucceeded {
			t.Fatalf("off-session payment with the saved method: %+v %v", again, err)
		}

		// With a customer but not set up: stored, not saved, not spent.
		kept, err := pay("pm_card_visa", stripe.String(cus))
		if err != nil || kept.Status != stripe.PaymentIntentStatusSucceeded {
			t.Fatalf("payment with a customer: %+v %v", kept, err)
		}
		if pm := retrieve(kept.PaymentMethod.ID); pm.Customer != nil {
			t.Fatalf("method of a payment with a customer saved to %s", pm.Customer.ID)
		}

		// Declined, or waiting for authentication: stored and usable again.
		_, err = pay("pm_card_chargeDeclined", nil)
		se := stripeErr(t, err, 402, "card_error", "card_declined", "")
		if se.PaymentIntent == nil || se.PaymentIntent.LastPaymentError == nil || se.PaymentIntent.LastPaymentError.PaymentMethod == nil {
			t.Fatalf("decline without its intent's method: %+v", se)
		}
		declinedPM := se.PaymentIntent.LastPaymentError.PaymentMethod.ID
		retrieve(declinedPM)
		pending, err := pay("pm_card_authenticationRequired", nil)
		if err != nil || pending.Status != stripe.PaymentIntentStatusRequiresAction {
			t.Fatalf("3-D Secure payment: %+v %v", pending, err)
		}
		retrieve(pending.PaymentMethod.ID)
		// Not spent: the next payment gets as far as the card's own
		// answer, a decline again, or authentication again.
		_, err = pay(declinedPM, nil)
		stripeErr(t, err, 402, "card_error", "card_declined", "")
		if again, err := pay(pending.PaymentMethod.ID, nil); err != nil || again.Status != stripe.PaymentIntentStatusRequiresAction {
			t.Fatalf("reusing the 3-D Secure method: %+v %v", again, err)
		}

		// Created only, then confirmed: stored at creation, spent by the
		// payment.
		created, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String("pm_card_visa"), PaymentMethodTypes: card})
		if err != nil || created.Status != stripe.PaymentIntentStatusRequiresConfirmation {
			t.Fatalf("create with pm_card_visa: %+v %v", created, err)
		}
		retrieve(created.PaymentMethod.ID)
		if pi, err := sc.V1PaymentIntents.Confirm(ctx, created.ID, nil); err != nil || pi.Status != stripe.PaymentIntentStatusSucceeded {
			t.Fatalf("confirm: %+v %v", pi, err)
		}
		_, err = pay(created.PaymentMethod.ID, nil)
		if se := stripeErr(t, err, 400, "invalid_request_error", "", "payment_method"); !strings.Contains(se.Msg, "It may not be used again") {
			t.Fatalf("spent method used again: %q", se.Msg)
		}
	})
}

// TestPaymentIntents_CardDescriptorAndCurrencyChange: Stripe refuses
// statement_descriptor wherever a card may pay (suffix instead), and a
// currency change is checked against the intent's payment method types.
func TestPaymentIntents_CardDescriptorAndCurrencyChange(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		_, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethodTypes: []*string{stripe.String("card")},
			StatementDescriptor: stripe.String("ACME SHOES")})
		se := stripeErr(t, err, 400, "invalid_request_error", "", "statement_descriptor")
		if !strings.Contains(se.Msg, "statement_descriptor_suffix") {
			t.Fatalf("card descriptor: %s", se.Msg)
		}
		// Automatic payment methods include cards too.
		_, err = sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(2000), Currency: stripe.String("usd"),
			StatementDescriptor: stripe.String("ACME SHOES")})
		stripeErr(t, err, 400, "invalid_request_error", "", "statement_descriptor")
		card, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethodTypes: []*string{stripe.String("card")},
			StatementDescriptorSuffix: stripe.String("ORDER 7")})
		if err != nil || card.StatementDescriptorSuffix != "ORDER 7" {
			t.Fatalf("suffix: %+v %v", card, err)
		}
		_, err = sc.V1PaymentIntents.Update(ctx, card.ID, &stripe.PaymentIntentUpdateParams{StatementDescriptor: stripe.String("ACME SHOES")})
		stripeErr(t, err, 400, "invalid_request_error", "", "statement_descriptor")
		// A debit without cards keeps its full descriptor.
		sepa, err := sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(2000), Currency: stripe.String("eur"),
			PaymentMethodTypes: []*string{stripe.String("sepa_debit")}, StatementDescriptor: stripe.String("ACME SHOES")})
		if err != nil || sepa.StatementDescriptor != "ACME SHOES" {
			t.Fatalf("sepa descriptor: %+v %v", sepa, err)
		}
		// … until a card joins its types.
		_, err = sc.V1PaymentIntents.Update(ctx, sepa.ID, &stripe.PaymentIntentUpdateParams{
			PaymentMethodTypes: []*string{stripe.String("sepa_debit"), stripe.String("card")}})
		stripeErr(t, err, 400, "invalid_request_error", "", "statement_descriptor")

		// So does a Checkout Session that may be paid by card.
		price := usdPrice(t, sc, "shoes", 2000)
		_, err = sc.V1CheckoutSessions.Create(ctx, &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"),
			SuccessURL:        stripe.String("https://example.com/success"),
			LineItems:         []*stripe.CheckoutSessionCreateLineItemParams{{Price: stripe.String(price.ID), Quantity: stripe.Int64(1)}},
			PaymentIntentData: &stripe.CheckoutSessionCreatePaymentIntentDataParams{StatementDescriptor: stripe.String("ACME SHOES")}})
		stripeErr(t, err, 400, "invalid_request_error", "", "payment_intent_data[statement_descriptor]")

		// A currency the explicit types do not take is refused.
		amazon, err := sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(2000), Currency: stripe.String("eur"),
			PaymentMethodTypes: []*string{stripe.String("amazon_pay")}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1PaymentIntents.Update(ctx, amazon.ID, &stripe.PaymentIntentUpdateParams{Currency: stripe.String("cad")})
		stripeErr(t, err, 400, "invalid_request_error", "payment_intent_invalid_parameter", "currency")
		if got, _ := sc.V1PaymentIntents.Retrieve(ctx, amazon.ID, nil); got.Currency != "eur" {
			t.Fatalf("refused update changed the currency: %s", got.Currency)
		}
		// Automatic types are decided again for the new currency, and the
		// options of the types kept stay.
		auto, err := sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(2000), Currency: stripe.String("eur"),
			PaymentMethodOptions: &stripe.PaymentIntentCreatePaymentMethodOptionsParams{Card: &stripe.PaymentIntentCreatePaymentMethodOptionsCardParams{
				RequestThreeDSecure: stripe.String("any")}}})
		if err != nil || !slices.Contains(auto.PaymentMethodTypes, "sepa_debit") {
			t.Fatalf("automatic eur: %+v %v", auto, err)
		}
		auto, err = sc.V1PaymentIntents.Update(ctx, auto.ID, &stripe.PaymentIntentUpdateParams{Currency: stripe.String("usd")})
		if err != nil || slices.Contains(auto.PaymentMethodTypes, "sepa_debit") || !slices.Contains(auto.PaymentMethodTypes, "card") ||
			auto.PaymentMethodOptions.Card == nil || auto.PaymentMethodOptions.Card.RequestThreeDSecure != "any" || auto.AutomaticPaymentMethods == nil {
			t.Fatalf("automatic types after a currency change: %+v %v", auto, err)
		}
	})
}

// TestPaymentIntents_BankAccountOptions: Stripe's ACH guides send
// payment_method_options[us_bank_account] with Financial Connections
// permissions and a verification method; payd records them as asked, on
// PaymentIntents and SetupIntents alike, and refuses what it cannot do.
func TestPaymentIntents_BankAccountOptions(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		cus, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
		if err != nil {
			t.Fatal(err)
		}
		ach := []*string{stripe.String("us_bank_account")}
		pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(2000), Currency: stripe.String("usd"),
			Customer: stripe.String(cus.ID), SetupFutureUsage: stripe.String("off_session"), PaymentMethodTypes: ach,
			PaymentMethodOptions: &stripe.PaymentIntentCreatePaymentMethodOptionsParams{USBankAccount: &stripe.PaymentIntentCreatePaymentMethodOptionsUSBankAccountParams{
				FinancialConnections: &stripe.PaymentIntentCreatePaymentMethodOptionsUSBankAccountFinancialConnectionsParams{
					Permissions: []*string{stripe.String("payment_method"), stripe.String("balances")}},
				VerificationMethod: stripe.String("instant")}}})
		if err != nil {
			t.Fatal(err)
		}
		o := pi.PaymentMethodOptions.USBankAccount
		if o == nil || o.VerificationMethod != "instant" || o.FinancialConnections == nil ||
			len(o.FinancialConnections.Permissions) != 2 || o.FinancialConnections.Permissions[1] != "balances" {
			t.Fatalf("options: %+v", o)
		}
		// The intent still pays as before.
		pi, err = sc.V1PaymentIntents.Confirm(ctx, pi.ID, &stripe.PaymentIntentConfirmParams{PaymentMethod: stripe.String("pm_usBankAccount_success"),
			MandateData: &stripe.PaymentIntentMandateDataParams{CustomerAcceptance: &stripe.PaymentIntentMandateDataCustomerAcceptanceParams{
				Type: stripe.String("offline")}}})
		if err != nil || pi.Status != stripe.PaymentIntentStatusProcessing {
			t.Fatalf("confirm: %+v %v", pi, err)
		}
		// Microdeposits would wait for the customer: refused, as is a
		// permission list without payment_method.
		_, err = createPI(t, sc, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(2000), Currency: stripe.String("usd"), PaymentMethodTypes: ach,
			PaymentMethodOptions: &stripe.PaymentIntentCreatePaymentMethodOptionsParams{USBankAccount: &stripe.PaymentIntentCreatePaymentMethodOptionsUSBankAccountParams{
				VerificationMethod: stripe.String("microdeposits")}}})
		stripeErr(t, err, 400, "invalid_request_error", "", "payment_method_options[us_bank_account][verification_method]")
		_, err = createPI(t, sc, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(2000), Currency: stripe.String("usd"), PaymentMethodTypes: ach,
			PaymentMethodOptions: &stripe.PaymentIntentCreatePaymentMethodOptionsParams{USBankAccount: &stripe.PaymentIntentCreatePaymentMethodOptionsUSBankAccountParams{
				FinancialConnections: &stripe.PaymentIntentCreatePaymentMethodOptionsUSBankAccountFinancialConnectionsParams{
					Permissions: []*string{stripe.String("balances")}}}}})
		stripeErr(t, err, 400, "invalid_request_error", "", "payment_method_options[us_bank_account][financial_connections][permissions]")

		si, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cus.ID), PaymentMethodTypes: ach,
			PaymentMethodOptions: &stripe.SetupIntentCreatePaymentMethodOptionsParams{USBankAccount: &stripe.SetupIntentCreatePaymentMethodOptionsUSBankAccountParams{
				FinancialConnections: &stripe.SetupIntentCreatePaymentMethodOptionsUSBankAccountFinancialConnectionsParams{
					Permissions: []*string{stripe.String("payment_method")}},
				VerificationMethod: stripe.String("automatic")}}})
		if err != nil || si.PaymentMethodOptions.USBankAccount == nil || si.PaymentMethodOptions.USBankAccount.VerificationMethod != "automatic" ||
			si.PaymentMethodOptions.USBankAccount.FinancialConnections == nil {
			t.Fatalf("setup options: %+v %v", si, err)
		}
	})
}
