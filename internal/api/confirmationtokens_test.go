package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/customersession"
	"github.com/payd/payd/internal/store"
	"github.com/payd/payd/internal/testutil/paydtest"
	"github.com/payd/payd/internal/testutil/specvalidate"
)

func TestConfirmationTokens_TestHelperWithTestPaymentMethod(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		ct, err := sc.V1TestHelpersConfirmationTokens.Create(ctx, &stripe.TestHelpersConfirmationTokenCreateParams{
			PaymentMethod:    stripe.String("pm_card_visa"),
			ReturnURL:        stripe.String("https://example.com/order/123/complete"),
			SetupFutureUsage: stripe.String("off_session"),
			Shipping: &stripe.TestHelpersConfirmationTokenCreateShippingParams{
				Name: stripe.String("Jenny Rosen"),
				Address: &stripe.AddressParams{Line1: stripe.String("1234 Main Street"), City: stripe.String("San Francisco"),
					State: stripe.String("CA"), Country: stripe.String("US"), PostalCode: stripe.String("94111")},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^ctoken_[0-9A-Za-z]{24}$`).MatchString(ct.ID) || ct.Object != "confirmation_token" || ct.Livemode ||
			ct.ExpiresAt != ct.Created+43200 || ct.PaymentIntent != "" || ct.SetupIntent != "" || !ct.UseStripeSDK ||
			ct.ReturnURL != "https://example.com/order/123/complete" || ct.SetupFutureUsage != "off_session" ||
			ct.MandateData != nil || ct.PaymentMethodOptions != nil {
			t.Fatalf("created: %+v", ct)
		}
		pv := ct.PaymentMethodPreview
		if pv == nil || pv.Type != "card" || pv.Card == nil || pv.Card.Brand != "visa" || pv.Card.Last4 != "4242" ||
			pv.BillingDetails == nil || pv.Customer != nil || pv.AllowRedisplay != "unspecified" {
			t.Fatalf("preview: %+v", pv)
		}
		if ct.Shipping == nil || ct.Shipping.Name != "Jenny Rosen" || ct.Shipping.Address.City != "San Francisco" ||
			ct.Shipping.Address.Line2 != "" || ct.Shipping.Phone != "" {
			t.Fatalf("shipping: %+v", ct.Shipping)
		}

		got, err := sc.V1ConfirmationTokens.Retrieve(ctx, ct.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != ct.ID || got.ExpiresAt != ct.ExpiresAt || got.PaymentMethodPreview.Card.Last4 != "4242" {
			t.Fatalf("retrieved: %+v", got)
		}
		// The raw preview carries no identity of the PaymentMethod.
		raw := srv.Do("GET", "/v1/confirmation_tokens/"+ct.ID, srv.Accounts[0].Secret, "")
		var m struct {
			Preview map[string]any `json:"payment_method_preview"`
		}
		if err := json.Unmarshal([]byte(raw.Body), &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"id", "object", "created", "metadata", "livemode"} {
			if _, ok := m.Preview[k]; ok {
				t.Fatalf("preview has %s: %s", k, raw.Body)
			}
		}

		// Another account's key, and a publishable key, see nothing.
		_, err = srv.Client(1).V1ConfirmationTokens.Retrieve(ctx, ct.ID, nil)
		se := stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "id")
		if se.Msg != "No such confirmationtoken: '"+ct.ID+"'" {
			t.Fatalf("message: %s", se.Msg)
		}
		_, err = srv.ClientKey(srv.Accounts[0].Publishable).V1ConfirmationTokens.Retrieve(ctx, ct.ID, nil)
		stripeErr(t, err, 403, "invalid_request_error", "secret_key_required", "")
	})
}

func TestConfirmationTokens_TestHelperWithPaymentMethodData(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		ct, err := sc.V1TestHelpersConfirmationTokens.Create(ctx, &stripe.TestHelpersConfirmationTokenCreateParams{
			PaymentMethodData: &stripe.TestHelpersConfirmationTokenCreatePaymentMethodDataParams{
				Type:      stripe.String("sepa_debit"),
				SEPADebit: &stripe.TestHelpersConfirmationTokenCreatePaymentMethodDataSEPADebitParams{IBAN: stripe.String("DE89370400440532013000")},
				BillingDetails: &stripe.TestHelpersConfirmationTokenCreatePaymentMethodDataBillingDetailsParams{
					Name: stripe.String("Jenny Rosen"), Email: stripe.String("jenny@example.com")},
				AllowRedisplay: stripe.String("always"),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		pv := ct.PaymentMethodPreview
		if pv.Type != "sepa_debit" || pv.SEPADebit == nil || pv.SEPADebit.Last4 != "3000" || pv.BillingDetails.Name != "Jenny Rosen" ||
			pv.AllowRedisplay != "always" || ct.Shipping != nil || ct.ReturnURL != "" || ct.SetupFutureUsage != "" {
			t.Fatalf("token: %+v preview %+v", ct, pv)
		}

		// As on Stripe, the test helper takes no raw card details: cards
		// come from a test id (pm_card_visa) or the browser's endpoint.
		res := srv.Do("POST", "/v1/test_helpers/confirmation_tokens", srv.Accounts[0].Secret,
			"payment_method_data[type]=card&payment_method_data[card][number]=4242424242424242&payment_method_data[card][exp_month]=12&payment_method_data[card][exp_year]=2040")
		if res.Status != 400 || !strings.Contains(res.Body, `"param":"payment_method_data[card]"`) || !strings.Contains(res.Body, "parameter_unknown") {
			t.Fatalf("card details on the test helper: %d %s", res.Status, res.Body)
		}
		_, err = sc.V1TestHelpersConfirmationTokens.Create(ctx, &stripe.TestHelpersConfirmationTokenCreateParams{
			PaymentMethodData: &stripe.TestHelpersConfirmationTokenCreatePaymentMethodDataParams{Type: stripe.String("card")}})
		stripeErr(t, err, 400, "invalid_request_error", "parameter_missing", "payment_method_data[card]")

		// One payment method, no more, no less.
		_, err = sc.V1TestHelpersConfirmationTokens.Create(ctx, &stripe.TestHelpersConfirmationTokenCreateParams{
			PaymentMethod:     stripe.String("pm_card_visa"),
			PaymentMethodData: &stripe.TestHelpersConfirmationTokenCreatePaymentMethodDataParams{Type: stripe.String("amazon_pay")}})
		stripeErr(t, err, 400, "invalid_request_error", "parameters_exclusive", "payment_method_data")
		_, err = sc.V1TestHelpersConfirmationTokens.Create(ctx, &stripe.TestHelpersConfirmationTokenCreateParams{
			ReturnURL: stripe.String("https://example.com")})
		stripeErr(t, err, 400, "invalid_request_error", "parameter_missing", "payment_method_data")
		_, err = sc.V1TestHelpersConfirmationTokens.Create(ctx, &stripe.TestHelpersConfirmationTokenCreateParams{
			PaymentMethod: stripe.String("pm_nope")})
		stripeErr(t, err, 400, "invalid_request_error", "resource_missing", "payment_method")
		_, err = sc.V1TestHelpersConfirmationTokens.Create(ctx, &stripe.TestHelpersConfirmationTokenCreateParams{
			PaymentMethod: stripe.String("pm_card_visa"),
			PaymentMethodOptions: &stripe.TestHelpersConfirmationTokenCreatePaymentMethodOptionsParams{
				Card: &stripe.TestHelpersConfirmationTokenCreatePaymentMethodOptionsCardParams{
					Installments: &stripe.TestHelpersConfirmationTokenCreatePaymentMethodOptionsCardInstallmentsParams{
						Plan: &stripe.TestHelpersConfirmationTokenCreatePaymentMethodOptionsCardInstallmentsPlanParams{
							Type: stripe.String("fixed_count"), Count: stripe.Int64(3), Interval: stripe.String("month")}}}}})
		stripeErr(t, err, 400, "invalid_request_error", "", "payment_method_options[card][installments]")

		// The test helper is for servers only.
		_, err = srv.ClientKey(srv.Accounts[0].Publishable).V1TestHelpersConfirmationTokens.Create(ctx,
			&stripe.TestHelpersConfirmationTokenCreateParams{PaymentMethod: stripe.String("pm_card_visa")})
		stripeErr(t, err, 403, "invalid_request_error", "secret_key_required", "")
	})
}

// browserPost sends what payd's JS client sends to POST
// /v1/confirmation_tokens. That endpoint is not in Stripe's public spec,
// so the body is checked against the confirmation_token schema here rather
// than by the validating transport (which expects a 404 for paths the spec
// lacks).
func browserPost(t *testing.T, srv *paydtest.Server, key string, form url.Values) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", srv.URL+"/v1/confirmation_tokens", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "Mozilla/5.0 (payd test)")
	if key != "" {
		req.SetBasicAuth(key, "")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == 200 {
		specvalidate.ValidateJSON(t, "confirmation_token", body)
	} else {
		specvalidate.ValidateJSON(t, "error", body)
	}
	return resp.StatusCode, body
}

func TestConfirmationTokens_BrowserCreatesWithPublishableKey(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		pk := srv.Accounts[0].Publishable
		status, body := browserPost(t, srv, pk, url.Values{
			"payment_method_data[type]":                              {"card"},
			"payment_method_data[card][number]":                      {"4242424242424242"},
			"payment_method_data[card][exp_month]":                   {"12"},
			"payment_method_data[card][exp_year]":                    {"2040"},
			"payment_method_data[card][cvc]":                         {"314"},
			"payment_method_data[billing_details][name]":             {"Jenny Rosen"},
			"payment_method_data[billing_details][address][country]": {"US"},
			"return_url": {"https://example.com/return"},
			"mandate_data[customer_acceptance][type]":               {"online"},
			"mandate_data[customer_acceptance][online][user_agent]": {"Mozilla/5.0 (payd test)"},
		})
		if status != 200 {
			t.Fatalf("create: %d %s", status, body)
		}
		var ct stripe.ConfirmationToken
		if err := json.Unmarshal(body, &ct); err != nil {
			t.Fatal(err)
		}
		pv := ct.PaymentMethodPreview
		if pv.Type != "card" || pv.Card.Brand != "visa" || pv.Card.Last4 != "4242" || pv.Card.ExpYear != 2040 ||
			pv.BillingDetails.Name != "Jenny Rosen" || ct.ReturnURL != "https://example.com/return" || ct.ExpiresAt != ct.Created+43200 {
			t.Fatalf("token: %s", body)
		}
		// The browser cannot know its public address; the request is the
		// acceptance, so payd fills it in from there.
		if ct.MandateData == nil || ct.MandateData.CustomerAcceptance.Type != "online" ||
			ct.MandateData.CustomerAcceptance.Online.IPAddress != "127.0.0.1" ||
			ct.MandateData.CustomerAcceptance.Online.UserAgent != "Mozilla/5.0 (payd test)" {
			t.Fatalf("mandate_data: %s", body)
		}
		// The merchant's server reads it with its secret key.
		got, err := srv.Client(0).V1ConfirmationTokens.Retrieve(ctx, ct.ID, nil)
		if err != nil || got.PaymentMethodPreview.Card.Last4 != "4242" {
			t.Fatalf("retrieve: %+v %v", got, err)
		}

		// A card that will be declined still makes a token: the decline
		// comes at confirm. A malformed number is refused now, naming the
		// parameter.
		status, body = browserPost(t, srv, pk, url.Values{
			"payment_method_data[type]":            {"card"},
			"payment_method_data[card][number]":    {"4000000000000002"},
			"payment_method_data[card][exp_month]": {"12"},
			"payment_method_data[card][exp_year]":  {"2040"},
		})
		if status != 200 || !strings.Contains(string(body), `"last4":"0002"`) {
			t.Fatalf("declining card: %d %s", status, body)
		}
		status, body = browserPost(t, srv, pk, url.Values{
			"payment_method_data[type]":            {"card"},
			"payment_method_data[card][number]":    {"4242424242424241"},
			"payment_method_data[card][exp_month]": {"12"},
			"payment_method_data[card][exp_year]":  {"2040"},
		})
		if status != 402 || !strings.Contains(string(body), `"param":"payment_method_data[card][number]"`) {
			t.Fatalf("bad number: %d %s", status, body)
		}
		status, body = browserPost(t, srv, "", url.Values{"payment_method": {"pm_card_visa"}})
		if status != 401 {
			t.Fatalf("no key: %d %s", status, body)
		}
		// Another account cannot read the token.
		_, err = srv.Client(1).V1ConfirmationTokens.Retrieve(ctx, ct.ID, nil)
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "id")
	})
}

var customerSessionSecretRE = regexp.MustCompile(`^cuss_secret_[0-9A-Za-z]{46}$`)

func TestCustomerSessions_CreateWithFeatures(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		cus, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("jenny@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		p := &stripe.CustomerSessionCreateParams{
			Customer: stripe.String(cus.ID),
			Components: &stripe.CustomerSessionCreateComponentsParams{
				PaymentElement: &stripe.CustomerSessionCreateComponentsPaymentElementParams{
					Enabled: stripe.Bool(true),
					Features: &stripe.CustomerSessionCreateComponentsPaymentElementFeaturesParams{
						PaymentMethodRedisplay:             stripe.String("enabled"),
						PaymentMethodSave:                  stripe.String("enabled"),
						PaymentMethodSaveUsage:             stripe.String("off_session"),
						PaymentMethodRemove:                stripe.String("enabled"),
						PaymentMethodAllowRedisplayFilters: []*string{stripe.String("always"), stripe.String("limited")},
					},
				},
			},
		}
		p.AddExpand("customer")
		cs, err := sc.V1CustomerSessions.Create(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if !customerSessionSecretRE.MatchString(cs.ClientSecret) || cs.Object != "customer_session" || cs.Livemode ||
			cs.ExpiresAt != cs.Created+1800 || cs.Customer == nil || cs.Customer.Email != "jenny@example.com" {
			t.Fatalf("session: %+v", cs)
		}
		pe := cs.Components.PaymentElement
		f := pe.Features
		if !pe.Enabled || f == nil || f.PaymentMethodRedisplay != "enabled" || f.PaymentMethodSave != "enabled" ||
			f.PaymentMethodSaveUsage != "off_session" || f.PaymentMethodRemove != "enabled" || f.PaymentMethodRedisplayLimit != 3 ||
			len(f.PaymentMethodAllowRedisplayFilters) != 2 {
			t.Fatalf("payment_element: %+v %+v", pe, f)
		}
		c := cs.Components
		if c.BuyButton.Enabled || c.PricingTable.Enabled || c.CustomerSheet.Enabled || c.CustomerSheet.Features != nil ||
			c.MobilePaymentElement.Enabled || c.MobilePaymentElement.Features != nil {
			t.Fatalf("other components: %+v", c)
		}

		// Enabled without features: Stripe's defaults.
		cs2, err := sc.V1CustomerSessions.Create(ctx, &stripe.CustomerSessionCreateParams{
			Customer: stripe.String(cus.ID),
			Components: &stripe.CustomerSessionCreateComponentsParams{
				PaymentElement: &stripe.CustomerSessionCreateComponentsPaymentElementParams{Enabled: stripe.Bool(true)},
				PricingTable:   &stripe.CustomerSessionCreateComponentsPricingTableParams{Enabled: stripe.Bool(true)},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		f = cs2.Components.PaymentElement.Features
		if f == nil || f.PaymentMethodRedisplay != "disabled" || f.PaymentMethodSave != "disabled" || f.PaymentMethodRemove != "disabled" ||
			f.PaymentMethodRedisplayLimit != 3 || f.PaymentMethodSaveUsage != "" || len(f.PaymentMethodAllowRedisplayFilters) != 1 ||
			f.PaymentMethodAllowRedisplayFilters[0] != "always" || !cs2.Components.PricingTable.Enabled || cs2.Customer.ID != cus.ID {
			t.Fatalf("defaults: %+v %+v", cs2.Components, f)
		}
		if cs2.ClientSecret == cs.ClientSecret {
			t.Fatal("two sessions share a secret")
		}

		// The browser library finds a session by its secret alone.
		err = srv.Store.View(ctx, func(tx store.Tx) error {
			acct, got, err := customersession.ByClientSecret(ctx, tx, cs.ClientSecret)
			if err != nil {
				return err
			}
			if acct != srv.Accounts[0].Account || got.Customer != cus.ID || got.ExpiresAt != cs.ExpiresAt ||
				got.Components.PaymentElement.Features.Save != "enabled" {
				t.Errorf("by secret: %s %+v", acct, got)
			}
			// The last character changed (to y when it was x already).
			last := "x"
			if strings.HasSuffix(cs.ClientSecret, "x") {
				last = "y"
			}
			for _, bad := range []string{"", "cuss_secret_", cs.ClientSecret[:len(cs.ClientSecret)-1] + last,
				cs.ClientSecret + "x", strings.Replace(cs.ClientSecret, "cuss_secret_", "cuss_sekret_", 1)} {
				if _, _, err := customersession.ByClientSecret(ctx, tx, bad); err == nil || strings.Contains(err.Error(), cs.ClientSecret) {
					t.Errorf("secret %q: %v", bad, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestCustomerSessions_Validation(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		cus, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
		if err != nil {
			t.Fatal(err)
		}
		other, err := srv.Client(1).V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
		if err != nil {
			t.Fatal(err)
		}
		pe := func(f *stripe.CustomerSessionCreateComponentsPaymentElementFeaturesParams) *stripe.CustomerSessionCreateComponentsParams {
			return &stripe.CustomerSessionCreateComponentsParams{PaymentElement: &stripe.CustomerSessionCreateComponentsPaymentElementParams{
				Enabled: stripe.Bool(true), Features: f}}
		}
		cases := []struct {
			name                string
			p                   *stripe.CustomerSessionCreateParams
			status              int
			code, param, substr string
		}{
			{"missing customer", &stripe.CustomerSessionCreateParams{Components: pe(nil)},
				400, "parameter_missing", "customer", ""},
			{"other account's customer", &stripe.CustomerSessionCreateParams{Customer: stripe.String(other.ID), Components: pe(nil)},
				400, "resource_missing", "customer", "No such customer"},
			{"unknown customer", &stripe.CustomerSessionCreateParams{Customer: stripe.String("cus_nope"), Components: pe(nil)},
				400, "resource_missing", "customer", "No such customer"},
			{"nothing enabled", &stripe.CustomerSessionCreateParams{Customer: stripe.String(cus.ID),
				Components: &stripe.CustomerSessionCreateComponentsParams{
					BuyButton: &stripe.CustomerSessionCreateComponentsBuyButtonParams{Enabled: stripe.Bool(false)}}},
				400, "", "components", "At least one component"},
			{"redisplay limit", &stripe.CustomerSessionCreateParams{Customer: stripe.String(cus.ID), Components: pe(
				&stripe.CustomerSessionCreateComponentsPaymentElementFeaturesParams{PaymentMethodRedisplayLimit: stripe.Int64(11)})},
				400, "parameter_invalid_integer", "components[payment_element][features][payment_method_redisplay_limit]", "10"},
			{"customer_account", &stripe.CustomerSessionCreateParams{CustomerAccount: stripe.String("acct_123"), Components: pe(nil)},
				400, "", "customer_account", "not supported"},
		}
		for _, tc := range cases {
			_, err := sc.V1CustomerSessions.Create(ctx, tc.p)
			se := stripeErr(t, err, tc.status, "invalid_request_error", tc.code, tc.param)
			if !strings.Contains(se.Msg, tc.substr) {
				t.Errorf("%s: message %q", tc.name, se.Msg)
			}
		}
		// Components of products payd does not have are refused, not ignored.
		res := srv.Do("POST", "/v1/customer_sessions", srv.Accounts[0].Secret,
			"customer="+cus.ID+"&components[customer_portal][enabled]=true&components[payment_element][enabled]=true")
		if res.Status != 400 || !strings.Contains(res.Body, `"param":"components[customer_portal][enabled]"`) {
			t.Fatalf("customer_portal: %d %s", res.Status, res.Body)
		}
		res = srv.Do("POST", "/v1/customer_sessions", srv.Accounts[0].Secret,
			"customer="+cus.ID+"&components[payment_element][enabled]=true&components[payment_element][features][payment_method_save]=sometimes")
		if res.Status != 400 || !strings.Contains(res.Body, `"param":"components[payment_element][features][payment_method_save]"`) {
			t.Fatalf("open enum: %d %s", res.Status, res.Body)
		}
		_, err = srv.ClientKey(srv.Accounts[0].Publishable).V1CustomerSessions.Create(ctx,
			&stripe.CustomerSessionCreateParams{Customer: stripe.String(cus.ID), Components: pe(nil)})
		stripeErr(t, err, 403, "invalid_request_error", "secret_key_required", "")
	})
}

// TestConfirmationTokens_ExpireAfterTwelveHours: a token the server spends
// after its 12 hours answers Stripe's error, for both kinds of intent,
// and spends nothing.
func TestConfirmationTokens_ExpireAfterTwelveHours(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		clock := &paydtest.Clock{}
		srv := paydtest.NewWithClock(t, e, clock)
		sc := srv.Client(0)
		var toks []string
		for range 2 {
			ct, err := sc.V1TestHelpersConfirmationTokens.Create(ctx, &stripe.TestHelpersConfirmationTokenCreateParams{PaymentMethod: stripe.String("pm_card_visa")})
			if err != nil {
				t.Fatal(err)
			}
			if ct.ExpiresAt != ct.Created+12*3600 {
				t.Fatalf("expires_at %d, created %d", ct.ExpiresAt, ct.Created)
			}
			toks = append(toks, ct.ID)
		}
		clock.Advance(12*time.Hour + 2*time.Second)
		_, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{Confirm: stripe.Bool(true), ConfirmationToken: stripe.String(toks[0]),
			PaymentMethodTypes: []*string{stripe.String("card")}})
		se := stripeErr(t, err, 400, "invalid_request_error", "", "confirmation_token")
		if !strings.Contains(se.Msg, "has expired") {
			t.Fatalf("PaymentIntent with an expired token: %s", se.Msg)
		}
		_, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Confirm: stripe.Bool(true), ConfirmationToken: stripe.String(toks[1]),
			PaymentMethodTypes: []*string{stripe.String("card")}})
		se = stripeErr(t, err, 400, "invalid_request_error", "", "confirmation_token")
		if !strings.Contains(se.Msg, "has expired") {
			t.Fatalf("SetupIntent with an expired token: %s", se.Msg)
		}
		for _, tok := range toks {
			if ct, err := sc.V1ConfirmationTokens.Retrieve(ctx, tok, nil); err != nil || ct.PaymentIntent != "" || ct.SetupIntent != "" {
				t.Fatalf("expired token spent: %+v %v", ct, err)
			}
		}
	})
}
