package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/testutil/paydtest"
)

var setupSecretRE = regexp.MustCompile(`^seti_[^_]+_secret_[^_]+$`)

// noRedirect lets a test read the authorization page's redirect itself.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// setupEvents lists the account's SetupIntent, PaymentMethod and Mandate
// events, oldest first: the ones a setup flow is about.
func setupEvents(t *testing.T, sc *stripe.Client) string {
	t.Helper()
	var out []string
	for _, typ := range eventTypes(t, sc) {
		for _, prefix := range []string{"setup_intent.", "payment_method.", "mandate."} {
			if strings.HasPrefix(typ, prefix) {
				out = append(out, typ)
			}
		}
	}
	return strings.Join(out, ",")
}

// submitAuthorization opens an authorization page and presses one of its
// buttons (action authorize or fail), as the customer's browser does, and
// returns the redirect it answers with.
func submitAuthorization(t *testing.T, page, action string) *url.URL {
	t.Helper()
	resp, err := http.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Authorize Test Payment") {
		t.Fatalf("page: %d %s", resp.StatusCode, body)
	}
	u, _ := url.Parse(page)
	resp, err = noRedirect.PostForm(u.Scheme+"://"+u.Host+u.Path, url.Values{"token": {u.Query().Get("token")}, "action": {action}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit: %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// mustExpandMandate retrieves a SetupIntent with its mandate expanded.
func mustExpandMandate(t *testing.T, sc *stripe.Client, intentID string) *stripe.Mandate {
	t.Helper()
	rp := &stripe.SetupIntentRetrieveParams{}
	rp.AddExpand("mandate")
	si, err := sc.V1SetupIntents.Retrieve(ctx, intentID, rp)
	if err != nil {
		t.Fatal(err)
	}
	if si.Mandate == nil || si.Mandate.CustomerAcceptance == nil {
		t.Fatalf("mandate not expanded: %+v", si.Mandate)
	}
	return si.Mandate
}

func cardTypes() []*string { return []*string{stripe.String("card")} }

func TestSetupIntents_CardSetupAttachesToCustomer(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		cus, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("jenny@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		si, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cus.ID),
			PaymentMethodTypes: cardTypes(), Description: stripe.String("save card"), Metadata: map[string]string{"plan": "pro"}})
		if err != nil {
			t.Fatal(err)
		}
		if si.Status != stripe.SetupIntentStatusRequiresPaymentMethod || !setupSecretRE.MatchString(si.ClientSecret) ||
			si.Usage != stripe.SetupIntentUsageOffSession || si.LatestAttempt != nil || si.Mandate != nil ||
			si.Customer.ID != cus.ID || si.Metadata["plan"] != "pro" || si.PaymentMethodOptions.Card.RequestThreeDSecure != "automatic" {
			t.Fatalf("created: %+v", si)
		}
		si, err = sc.V1SetupIntents.Confirm(ctx, si.ID, &stripe.SetupIntentConfirmParams{PaymentMethod: stripe.String("pm_card_visa")})
		if err != nil {
			t.Fatal(err)
		}
		if si.Status != stripe.SetupIntentStatusSucceeded || si.PaymentMethod == nil || !strings.HasPrefix(si.PaymentMethod.ID, "pm_") ||
			si.PaymentMethod.ID == "pm_card_visa" || si.NextAction != nil || si.LastSetupError != nil || si.Mandate != nil {
			t.Fatalf("confirmed: %+v", si)
		}
		pm, err := sc.V1PaymentMethods.Retrieve(ctx, si.PaymentMethod.ID, nil)
		if err != nil || pm.Customer == nil || pm.Customer.ID != cus.ID {
			t.Fatalf("saved method: %+v %v", pm, err)
		}
		// Lists filter by customer, payment method and creation time.
		other, _ := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{PaymentMethodTypes: cardTypes()})
		var ids []string
		for got, err := range sc.V1SetupIntents.List(ctx, &stripe.SetupIntentListParams{Customer: stripe.String(cus.ID)}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, got.ID)
		}
		if strings.Join(ids, ",") != si.ID {
			t.Fatalf("by customer: %v", ids)
		}
		ids = nil
		for got, err := range sc.V1SetupIntents.List(ctx, &stripe.SetupIntentListParams{PaymentMethod: stripe.String(pm.ID)}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, got.ID)
		}
		if strings.Join(ids, ",") != si.ID {
			t.Fatalf("by payment method: %v", ids)
		}
		ids = nil
		for got, err := range sc.V1SetupIntents.List(ctx, &stripe.SetupIntentListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: si.Created}}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, got.ID)
		}
		if strings.Join(ids, ",") != other.ID+","+si.ID {
			t.Fatalf("by created: %v", ids)
		}
		// payment_method and customer expand.
		rp := &stripe.SetupIntentRetrieveParams{}
		rp.AddExpand("payment_method")
		rp.AddExpand("customer")
		got, err := sc.V1SetupIntents.Retrieve(ctx, si.ID, rp)
		if err != nil || got.PaymentMethod.Card == nil || got.PaymentMethod.Card.Last4 != "4242" || got.Customer.Email != "jenny@example.com" {
			t.Fatalf("expanded: %+v %v", got, err)
		}
		// The second intent was created after the first succeeded.
		want := "setup_intent.created,payment_method.attached,setup_intent.succeeded,setup_intent.created"
		if got := setupEvents(t, sc); got != want {
			t.Fatalf("events %s, want %s", got, want)
		}
	})
}

// TestSetupIntents_ThreeDSOnSetupExemptsOffSession is 4000 0025 0000 3155's
// rule: it asks for authentication when set up, and never again for
// off-session payments once set up; the same card merely attached is
// declined off-session.
func TestSetupIntents_ThreeDSOnSetupExemptsOffSession(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		cus, _ := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
		si, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cus.ID), Confirm: stripe.Bool(true),
			PaymentMethod: stripe.String("pm_card_authenticationRequiredOnSetup"), PaymentMethodTypes: cardTypes(),
			ReturnURL: stripe.String("https://shop.example/saved?step=2")})
		if err != nil {
			t.Fatal(err)
		}
		if si.Status != stripe.SetupIntentStatusRequiresAction || si.NextAction == nil || si.NextAction.RedirectToURL == nil ||
			si.NextAction.RedirectToURL.ReturnURL != "https://shop.example/saved?step=2" {
			t.Fatalf("requires_action: %+v", si)
		}
		loc := submitAuthorization(t, si.NextAction.RedirectToURL.URL, "authorize")
		q := loc.Query()
		if loc.Host != "shop.example" || q.Get("step") != "2" || q.Get("setup_intent") != si.ID ||
			q.Get("setup_intent_client_secret") != si.ClientSecret || q.Get("redirect_status") != "succeeded" || q.Get("payment_intent") != "" {
			t.Fatalf("redirect: %s", loc)
		}
		page, _ := url.Parse(si.NextAction.RedirectToURL.URL)
		si, err = sc.V1SetupIntents.Retrieve(ctx, si.ID, nil)
		if err != nil || si.Status != stripe.SetupIntentStatusSucceeded || si.NextAction != nil {
			t.Fatalf("after authorize: %+v %v", si, err)
		}
		// The used link acts no more.
		resp, err := noRedirect.PostForm(page.Scheme+"://"+page.Host+page.Path, url.Values{"token": {page.Query().Get("token")}, "action": {"fail"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusGone {
			t.Fatalf("reused link: %d", resp.StatusCode)
		}
		pm, _ := sc.V1PaymentMethods.Retrieve(ctx, si.PaymentMethod.ID, nil)
		if pm.Customer == nil || pm.Customer.ID != cus.ID {
			t.Fatalf("not attached: %+v", pm)
		}
		offSession := func(pmID string) (*stripe.PaymentIntent, error) {
			return createPI(t, sc, &stripe.PaymentIntentCreateParams{Customer: stripe.String(cus.ID), PaymentMethod: stripe.String(pmID),
				PaymentMethodTypes: cardTypes(), Confirm: stripe.Bool(true), OffSession: stripe.Bool(true)})
		}
		pi, err := offSession(pm.ID)
		if err != nil || pi.Status != stripe.PaymentIntentStatusSucceeded {
			t.Fatalf("off-session after setup: %+v %v", pi, err)
		}
		// Attached without a setup, the same card needs the customer.
		attached, err := sc.V1PaymentMethods.Attach(ctx, "pm_card_authenticationRequiredOnSetup",
			&stripe.PaymentMethodAttachParams{Customer: stripe.String(cus.ID)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = offSession(attached.ID)
		stripeErr(t, err, 402, "card_error", "authentication_required", "")

		// Without a return_url the action is use_stripe_sdk; failing it
		// leaves the intent without a method, with last_setup_error.
		si, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cus.ID), Confirm: stripe.Bool(true),
			PaymentMethod: stripe.String("pm_card_authenticationRequiredOnSetup"), PaymentMethodTypes: cardTypes()})
		if err != nil {
			t.Fatal(err)
		}
		if si.Status != stripe.SetupIntentStatusRequiresAction || si.NextAction == nil || si.NextAction.Type != "use_stripe_sdk" {
			t.Fatalf("use_stripe_sdk: %+v", si.NextAction)
		}
		raw := srv.Do("GET", "/v1/setup_intents/"+si.ID, srv.Accounts[0].Secret, "")
		var shape struct {
			NextAction struct {
				UseStripeSDK struct {
					StripeJS string `json:"stripe_js"`
				} `json:"use_stripe_sdk"`
			} `json:"next_action"`
		}
		json.Unmarshal([]byte(raw.Body), &shape)
		u, _ := url.Parse(shape.NextAction.UseStripeSDK.StripeJS)
		resp, err = http.PostForm(u.Scheme+"://"+u.Host+u.Path, url.Values{"token": {u.Query().Get("token")}, "action": {"fail"}, "format": {"json"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got, _ := sc.V1SetupIntents.Retrieve(ctx, si.ID, nil)
		if resp.StatusCode != 200 || got.Status != stripe.SetupIntentStatusRequiresPaymentMethod || got.PaymentMethod != nil ||
			got.LastSetupError == nil || got.LastSetupError.Code != "setup_intent_authentication_failure" || got.LastSetupError.PaymentMethod == nil {
			t.Fatalf("after fail: %d %+v", resp.StatusCode, got)
		}
		want := "setup_intent.created,setup_intent.requires_action,payment_method.attached,setup_intent.succeeded," +
			"payment_method.attached,setup_intent.created,setup_intent.requires_action,setup_intent.setup_failed"
		if got := setupEvents(t, sc); got != want {
			t.Fatalf("events %s, want %s", got, want)
		}
	})
}

func TestSetupIntents_DeclineOnSetup(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		cus, _ := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
		_, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cus.ID), Confirm: stripe.Bool(true),
			PaymentMethod: stripe.String("pm_card_chargeDeclined"), PaymentMethodTypes: cardTypes()})
		se := stripeErr(t, err, 402, "card_error", "card_declined", "")
		if se.DeclineCode != "generic_decline" || se.SetupIntent == nil || se.PaymentMethod == nil || se.Msg != "Your card was declined." {
			t.Fatalf("decline: %+v", se)
		}
		si := se.SetupIntent
		if si.Status != stripe.SetupIntentStatusRequiresPaymentMethod || si.PaymentMethod != nil || si.LastSetupError == nil ||
			si.LastSetupError.Code != "card_declined" || si.LastSetupError.DeclineCode != "generic_decline" ||
			si.LastSetupError.Type != "card_error" || si.LastSetupError.PaymentMethod == nil {
			t.Fatalf("declined intent: %+v", si)
		}
		// Nothing was saved to the customer.
		pm, _ := sc.V1PaymentMethods.Retrieve(ctx, se.PaymentMethod.ID, nil)
		if pm.Customer != nil {
			t.Fatalf("declined card attached: %+v", pm.Customer)
		}
		// The intent can be retried with another card.
		ok, err := sc.V1SetupIntents.Confirm(ctx, si.ID, &stripe.SetupIntentConfirmParams{PaymentMethod: stripe.String("pm_card_mastercard")})
		if err != nil || ok.Status != stripe.SetupIntentStatusSucceeded || ok.LastSetupError != nil {
			t.Fatalf("retry: %+v %v", ok, err)
		}
		want := "setup_intent.created,setup_intent.setup_failed,payment_method.attached,setup_intent.succeeded"
		if got := setupEvents(t, sc); got != want {
			t.Fatalf("events %s, want %s", got, want)
		}
	})
}

// TestSetupIntents_AmazonPaySaveThenChargeOffSession is seed 000's flow on
// the API: save Amazon Pay for a customer through the redirect, which
// records a mandate, then charge it off-session without the customer.
func TestSetupIntents_AmazonPaySaveThenChargeOffSession(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		cus, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Description: stripe.String("My First Test Customer (created for API docs)")})
		if err != nil {
			t.Fatal(err)
		}
		si, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cus.ID),
			PaymentMethodTypes: []*string{stripe.String("amazon_pay")}})
		if err != nil {
			t.Fatal(err)
		}
		// A redirect method cannot be confirmed without somewhere to return.
		_, err = sc.V1SetupIntents.Confirm(ctx, si.ID, &stripe.SetupIntentConfirmParams{
			PaymentMethodData: &stripe.SetupIntentConfirmPaymentMethodDataParams{Type: stripe.String("amazon_pay")}})
		stripeErr(t, err, 400, "invalid_request_error", "", "return_url")

		si, err = sc.V1SetupIntents.Confirm(ctx, si.ID, &stripe.SetupIntentConfirmParams{
			PaymentMethodData: &stripe.SetupIntentConfirmPaymentMethodDataParams{Type: stripe.String("amazon_pay")},
			ReturnURL:         stripe.String("https://example.com/success"),
			MandateData: &stripe.SetupIntentMandateDataParams{CustomerAcceptance: &stripe.SetupIntentMandateDataCustomerAcceptanceParams{
				Type: stripe.MandateCustomerAcceptanceTypeOnline, Online: &stripe.SetupIntentMandateDataCustomerAcceptanceOnlineParams{
					IPAddress: stripe.String("127.0.0.0"), UserAgent: stripe.String("device")}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if si.Status != stripe.SetupIntentStatusRequiresAction || si.NextAction == nil || si.NextAction.Type != "redirect_to_url" ||
			si.NextAction.RedirectToURL == nil || si.Mandate != nil {
			t.Fatalf("requires_action: %+v", si)
		}
		loc := submitAuthorization(t, si.NextAction.RedirectToURL.URL, "authorize")
		if q := loc.Query(); loc.String()[:len("https://example.com/success")] != "https://example.com/success" ||
			q.Get("setup_intent") != si.ID || q.Get("setup_intent_client_secret") != si.ClientSecret || q.Get("redirect_status") != "succeeded" {
			t.Fatalf("redirect: %s", loc)
		}
		si, err = sc.V1SetupIntents.Retrieve(ctx, si.ID, nil)
		if err != nil || si.Status != stripe.SetupIntentStatusSucceeded || si.Mandate == nil || !strings.HasPrefix(si.Mandate.ID, "mandate_") {
			t.Fatalf("succeeded: %+v %v", si, err)
		}
		m := mustExpandMandate(t, sc, si.ID)
		if m.Status != stripe.MandateStatusActive || m.Type != stripe.MandateTypeMultiUse || m.PaymentMethod.ID != si.PaymentMethod.ID ||
			m.PaymentMethodDetails.Type != "amazon_pay" || m.CustomerAcceptance.Type != "online" ||
			m.CustomerAcceptance.Online.IPAddress != "127.0.0.0" || m.CustomerAcceptance.Online.UserAgent != "device" || m.CustomerAcceptance.AcceptedAt == 0 {
			t.Fatalf("mandate: %+v", m)
		}
		var saved []string
		for pm, err := range sc.V1Customers.ListPaymentMethods(ctx, &stripe.CustomerListPaymentMethodsParams{Customer: stripe.String(cus.ID)}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			saved = append(saved, pm.ID+":"+string(pm.Type))
		}
		if strings.Join(saved, ",") != si.PaymentMethod.ID+":amazon_pay" {
			t.Fatalf("customer's methods: %v", saved)
		}
		// Later, without the customer: no action, no redirect.
		pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(1999), Currency: stripe.String("eur"),
			Customer: stripe.String(cus.ID), PaymentMethod: stripe.String(si.PaymentMethod.ID),
			PaymentMethodTypes: []*string{stripe.String("amazon_pay")}, Confirm: stripe.Bool(true), OffSession: stripe.Bool(true)})
		if err != nil || pi.Status != stripe.PaymentIntentStatusSucceeded || pi.NextAction != nil || pi.AmountReceived != 1999 {
			t.Fatalf("off-session charge: %+v %v", pi, err)
		}
		want := "setup_intent.created,setup_intent.requires_action,payment_method.attached,setup_intent.succeeded"
		if got := setupEvents(t, sc); got != want {
			t.Fatalf("events %s, want %s", got, want)
		}

		// Without mandate_data, the mandate records the browser that
		// authorized on the redirect page.
		si, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cus.ID), Confirm: stripe.Bool(true),
			PaymentMethodTypes: []*string{stripe.String("amazon_pay")}, ReturnURL: stripe.String("https://example.com/success"),
			PaymentMethodData: &stripe.SetupIntentCreatePaymentMethodDataParams{Type: stripe.String("amazon_pay")}})
		if err != nil {
			t.Fatal(err)
		}
		submitAuthorization(t, si.NextAction.RedirectToURL.URL, "authorize")
		si, _ = sc.V1SetupIntents.Retrieve(ctx, si.ID, nil)
		m, err = sc.V1Mandates.Retrieve(ctx, si.Mandate.ID, nil)
		if err != nil || m.CustomerAcceptance.Online == nil || m.CustomerAcceptance.Online.IPAddress != "127.0.0.1" ||
			!strings.HasPrefix(m.CustomerAcceptance.Online.UserAgent, "Go-http-client") {
			t.Fatalf("inferred acceptance: %+v %v", m.CustomerAcceptance, err)
		}
		// Failing the redirect fails the setup, with redirect_status=failed.
		si, _ = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cus.ID), Confirm: stripe.Bool(true),
			PaymentMethodTypes: []*string{stripe.String("amazon_pay")}, ReturnURL: stripe.String("https://example.com/success"),
			PaymentMethodData: &stripe.SetupIntentCreatePaymentMethodDataParams{Type: stripe.String("amazon_pay")}})
		if loc := submitAuthorization(t, si.NextAction.RedirectToURL.URL, "fail"); loc.Query().Get("redirect_status") != "failed" {
			t.Fatalf("failed redirect: %s", loc)
		}
		si, _ = sc.V1SetupIntents.Retrieve(ctx, si.ID, nil)
		if si.Status != stripe.SetupIntentStatusRequiresPaymentMethod || si.Mandate != nil || si.LastSetupError == nil {
			t.Fatalf("after failed redirect: %+v", si)
		}
	})
}

func TestSetupIntents_BankDebitMandates(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		cus, _ := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
		sepa := func(md *stripe.SetupIntentCreateMandateDataParams) (*stripe.SetupIntent, error) {
			return sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cus.ID), Confirm: stripe.Bool(true),
				PaymentMethodTypes: []*string{stripe.String("sepa_debit")}, MandateData: md,
				PaymentMethodData: &stripe.SetupIntentCreatePaymentMethodDataParams{Type: stripe.String("sepa_debit"),
					SEPADebit: &stripe.SetupIntentCreatePaymentMethodDataSEPADebitParams{IBAN: stripe.String("DE89370400440532013000")},
					BillingDetails: &stripe.SetupIntentCreatePaymentMethodDataBillingDetailsParams{
						Name: stripe.String("Jenny Rosen"), Email: stripe.String("jenny@example.com")}}})
		}
		_, err := sepa(nil)
		stripeErr(t, err, 400, "invalid_request_error", "parameter_missing", "mandate_data")

		si, err := sepa(&stripe.SetupIntentCreateMandateDataParams{CustomerAcceptance: &stripe.SetupIntentCreateMandateDataCustomerAcceptanceParams{
			Type: stripe.String("online"), AcceptedAt: stripe.Int64(1700000000),
			Online: &stripe.SetupIntentCreateMandateDataCustomerAcceptanceOnlineParams{IPAddress: stripe.String("203.0.113.7"), UserAgent: stripe.String("Mozilla/5.0")}}})
		if err != nil {
			t.Fatal(err)
		}
		if si.Status != stripe.SetupIntentStatusSucceeded || si.Mandate == nil {
			t.Fatalf("sepa setup: %+v", si)
		}
		m, err := sc.V1Mandates.Retrieve(ctx, si.Mandate.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		d := m.PaymentMethodDetails.SEPADebit
		if m.Status != stripe.MandateStatusActive || m.Type != stripe.MandateTypeMultiUse || m.PaymentMethodDetails.Type != "sepa_debit" ||
			d == nil || len(d.Reference) != 16 || m.CustomerAcceptance.AcceptedAt != 1700000000 ||
			m.CustomerAcceptance.Online.IPAddress != "203.0.113.7" || m.PaymentMethod.ID != si.PaymentMethod.ID {
			t.Fatalf("sepa mandate: %+v", m)
		}
		// The mandate's url is the customer's copy of it.
		resp, err := http.Get(d.URL)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(d.URL, srv.URL) || !strings.Contains(string(page), d.Reference) {
			t.Fatalf("mandate page %s: %d", d.URL, resp.StatusCode)
		}
		if resp, _ := http.Get(strings.Split(d.URL, "?")[0] + "?token=wrong"); resp.StatusCode != 404 {
			t.Fatalf("mandate page with a wrong token: %d", resp.StatusCode)
		}

		// A US bank account, accepted offline.
		si, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cus.ID), Confirm: stripe.Bool(true),
			PaymentMethodTypes: []*string{stripe.String("us_bank_account")}, PaymentMethod: stripe.String("pm_usBankAccount_success"),
			MandateData: &stripe.SetupIntentCreateMandateDataParams{CustomerAcceptance: &stripe.SetupIntentCreateMandateDataCustomerAcceptanceParams{
				Type: stripe.String("offline"), Offline: &stripe.SetupIntentCreateMandateDataCustomerAcceptanceOfflineParams{}}}})
		if err != nil {
			t.Fatal(err)
		}
		m, err = sc.V1Mandates.Retrieve(ctx, si.Mandate.ID, nil)
		if err != nil || m.CustomerAcceptance.Type != "offline" || m.PaymentMethodDetails.Type != "us_bank_account" {
			t.Fatalf("ach mandate: %+v %v", m, err)
		}
		// A saved debit with its mandate is charged off-session.
		pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{Customer: stripe.String(cus.ID), PaymentMethod: stripe.String(si.PaymentMethod.ID),
			PaymentMethodTypes: []*string{stripe.String("us_bank_account")}, Confirm: stripe.Bool(true), OffSession: stripe.Bool(true)})
		if err != nil || pi.Status != stripe.PaymentIntentStatusProcessing {
			t.Fatalf("off-session debit: %+v %v", pi, err)
		}
		// Mandates are the secret key's, and each account's own.
		_, err = srv.ClientKey(srv.Accounts[0].Publishable).V1Mandates.Retrieve(ctx, m.ID, nil)
		stripeErr(t, err, 403, "invalid_request_error", "secret_key_required", "")
		_, err = srv.Client(1).V1Mandates.Retrieve(ctx, m.ID, nil)
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "mandate")

		// A bank that refuses the account fails the setup with its code.
		_, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cus.ID), Confirm: stripe.Bool(true),
			PaymentMethodTypes: []*string{stripe.String("us_bank_account")}, PaymentMethod: stripe.String("pm_usBankAccount_accountClosed"),
			MandateData: &stripe.SetupIntentCreateMandateDataParams{CustomerAcceptance: &stripe.SetupIntentCreateMandateDataCustomerAcceptanceParams{
				Type: stripe.String("offline")}}})
		se := stripeErr(t, err, 400, "invalid_request_error", "payment_method_not_available", "")
		if se.SetupIntent == nil || se.SetupIntent.Status != stripe.SetupIntentStatusRequiresPaymentMethod || se.SetupIntent.Mandate != nil {
			t.Fatalf("refused account: %+v", se.SetupIntent)
		}
	})
}

func TestSetupIntents_WrongStatesAndValidation(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		msg := func(err error, code, want string) {
			t.Helper()
			se := stripeErr(t, err, 400, "invalid_request_error", code, "")
			if se.Msg != want {
				t.Fatalf("message %q, want %q", se.Msg, want)
			}
		}
		// Confirming without a method.
		bare, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{PaymentMethodTypes: cardTypes()})
		if err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1SetupIntents.Confirm(ctx, bare.ID, nil)
		msg(err, "setup_intent_unexpected_state", "You cannot confirm this SetupIntent because it's missing a payment method. You can either update the SetupIntent with a payment method and then confirm it again, or confirm it again directly with a payment method or ConfirmationToken.")

		// A succeeded intent: no confirm, no new method, no cancel; its
		// descriptive fields still change.
		done, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{PaymentMethodTypes: cardTypes(),
			PaymentMethod: stripe.String("pm_card_visa"), Confirm: stripe.Bool(true)})
		if err != nil || done.Status != stripe.SetupIntentStatusSucceeded {
			t.Fatalf("setup: %+v %v", done, err)
		}
		_, err = sc.V1SetupIntents.Confirm(ctx, done.ID, nil)
		msg(err, "setup_intent_unexpected_state", "You cannot confirm this SetupIntent because it has already succeeded.")
		var se *stripe.Error
		if asStripe(err, &se); se.SetupIntent == nil || se.SetupIntent.ID != done.ID {
			t.Fatalf("state error without the intent: %+v", se)
		}
		_, err = sc.V1SetupIntents.Update(ctx, done.ID, &stripe.SetupIntentUpdateParams{PaymentMethod: stripe.String("pm_card_visa")})
		msg(err, "setup_intent_unexpected_state", "You cannot update this SetupIntent because it has already succeeded.")
		_, err = sc.V1SetupIntents.Cancel(ctx, done.ID, nil)
		msg(err, "setup_intent_unexpected_state", "You cannot cancel this SetupIntent because it has a status of succeeded. Only a SetupIntent with one of the following statuses may be canceled: `requires_payment_method`, `requires_confirmation`, or `requires_action`.")
		upd, err := sc.V1SetupIntents.Update(ctx, done.ID, &stripe.SetupIntentUpdateParams{Metadata: map[string]string{"k": "v"}, Description: stripe.String("d")})
		if err != nil || upd.Metadata["k"] != "v" || upd.Description != "d" || upd.Status != stripe.SetupIntentStatusSucceeded {
			t.Fatalf("metadata after success: %+v %v", upd, err)
		}

		// Updating a method moves to requires_confirmation; cancel ends it.
		upd, err = sc.V1SetupIntents.Update(ctx, bare.ID, &stripe.SetupIntentUpdateParams{PaymentMethod: stripe.String("pm_card_visa")})
		if err != nil || upd.Status != stripe.SetupIntentStatusRequiresConfirmation {
			t.Fatalf("update method: %+v %v", upd, err)
		}
		canceled, err := sc.V1SetupIntents.Cancel(ctx, bare.ID, &stripe.SetupIntentCancelParams{CancellationReason: stripe.String("requested_by_customer")})
		if err != nil || canceled.Status != stripe.SetupIntentStatusCanceled || canceled.CancellationReason != "requested_by_customer" {
			t.Fatalf("cancel: %+v %v", canceled, err)
		}
		_, err = sc.V1SetupIntents.Confirm(ctx, bare.ID, nil)
		msg(err, "setup_intent_unexpected_state", "You cannot confirm this SetupIntent because it has been canceled.")
		_, err = sc.V1SetupIntents.Cancel(ctx, bare.ID, nil)
		msg(err, "setup_intent_unexpected_state", "You cannot cancel this SetupIntent because it is already canceled.")

		// Parameters that only confirm uses, and ones payd refuses by name.
		_, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{ReturnURL: stripe.String("https://example.com")})
		stripeErr(t, err, 400, "invalid_request_error", "", "return_url")
		_, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{FlowDirections: []*string{stripe.String("inbound")}})
		stripeErr(t, err, 400, "invalid_request_error", "", "flow_directions")
		_, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{PaymentMethodTypes: cardTypes(),
			PaymentMethodOptions: &stripe.SetupIntentCreatePaymentMethodOptionsParams{Card: &stripe.SetupIntentCreatePaymentMethodOptionsCardParams{Network: stripe.String("visa")}}})
		stripeErr(t, err, 400, "invalid_request_error", "", "payment_method_options[card][network]")
		_, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{PaymentMethodTypes: []*string{stripe.String("ideal")}})
		stripeErr(t, err, 400, "invalid_request_error", "", "payment_method_types[0]")
		// A PaymentMethod of a type the intent does not take.
		_, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{PaymentMethodTypes: []*string{stripe.String("sepa_debit")},
			PaymentMethod: stripe.String("pm_card_visa")})
		stripeErr(t, err, 400, "invalid_request_error", "", "payment_method")

		// request_three_d_secure=any challenges an ordinary card.
		ch, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{PaymentMethodTypes: cardTypes(), Confirm: stripe.Bool(true),
			PaymentMethod: stripe.String("pm_card_visa"), ReturnURL: stripe.String("https://example.com"),
			PaymentMethodOptions: &stripe.SetupIntentCreatePaymentMethodOptionsParams{Card: &stripe.SetupIntentCreatePaymentMethodOptionsCardParams{RequestThreeDSecure: stripe.String("any")}}})
		if err != nil || ch.Status != stripe.SetupIntentStatusRequiresAction || ch.PaymentMethodOptions.Card.RequestThreeDSecure != "any" {
			t.Fatalf("request_three_d_secure=any: %+v %v", ch, err)
		}

		// Automatic payment methods may redirect: confirming needs a
		// return_url, unless redirects are off.
		auto, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{})
		if err != nil || auto.AutomaticPaymentMethods == nil || !auto.AutomaticPaymentMethods.Enabled ||
			strings.Join(auto.PaymentMethodTypes, ",") != "card,amazon_pay,us_bank_account,sepa_debit" {
			t.Fatalf("automatic: %+v %v", auto, err)
		}
		_, err = sc.V1SetupIntents.Confirm(ctx, auto.ID, &stripe.SetupIntentConfirmParams{PaymentMethod: stripe.String("pm_card_visa")})
		stripeErr(t, err, 400, "invalid_request_error", "", "")
		noRedirects, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Confirm: stripe.Bool(true), PaymentMethod: stripe.String("pm_card_visa"),
			AutomaticPaymentMethods: &stripe.SetupIntentCreateAutomaticPaymentMethodsParams{Enabled: stripe.Bool(true), AllowRedirects: stripe.String("never")}})
		if err != nil || noRedirects.Status != stripe.SetupIntentStatusSucceeded || strings.Contains(strings.Join(noRedirects.PaymentMethodTypes, ","), "amazon_pay") {
			t.Fatalf("allow_redirects=never: %+v %v", noRedirects, err)
		}

		// A customer's saved method is set up only for that customer.
		a, _ := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
		b, _ := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
		pm, err := sc.V1PaymentMethods.Attach(ctx, "pm_card_visa", &stripe.PaymentMethodAttachParams{Customer: stripe.String(a.ID)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(b.ID), PaymentMethodTypes: cardTypes(), PaymentMethod: stripe.String(pm.ID)})
		stripeErr(t, err, 400, "invalid_request_error", "", "payment_method")
		_, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{PaymentMethodTypes: cardTypes(), PaymentMethod: stripe.String(pm.ID)})
		stripeErr(t, err, 400, "invalid_request_error", "", "payment_method")

		// An unknown id.
		_, err = sc.V1SetupIntents.Retrieve(ctx, "seti_nope", nil)
		se = stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "intent")
		if se.Msg != "No such setupintent: 'seti_nope'" {
			t.Fatalf("404 message: %s", se.Msg)
		}
	})
}

func TestSetupIntents_PublishableKeyAndIsolation(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		acct := srv.Accounts[0]
		cus, _ := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
		si, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cus.ID),
			PaymentMethodTypes: []*string{stripe.String("card"), stripe.String("sepa_debit")}, Metadata: map[string]string{"internal": "x"}})
		if err != nil {
			t.Fatal(err)
		}
		pk := srv.ClientKey(acct.Publishable)
		got, err := pk.V1SetupIntents.Retrieve(ctx, si.ID, &stripe.SetupIntentRetrieveParams{ClientSecret: stripe.String(si.ClientSecret)})
		if err != nil || got.ID != si.ID || len(got.Metadata) != 0 || got.Customer != nil {
			t.Fatalf("pk retrieve: %+v %v", got, err)
		}
		_, err = pk.V1SetupIntents.Retrieve(ctx, si.ID, &stripe.SetupIntentRetrieveParams{ClientSecret: stripe.String(si.ID + "_secret_wrong")})
		se := stripeErr(t, err, 400, "invalid_request_error", "", "client_secret")
		if !strings.Contains(se.Msg, "SetupIntent") {
			t.Fatalf("mismatch message: %s", se.Msg)
		}
		_, err = pk.V1SetupIntents.Retrieve(ctx, si.ID, nil)
		stripeErr(t, err, 400, "invalid_request_error", "parameter_missing", "client_secret")
		cp := &stripe.SetupIntentConfirmParams{PaymentMethod: stripe.String("pm_card_visa")}
		cp.AddExtra("client_secret", si.ID+"_secret_wrong")
		_, err = pk.V1SetupIntents.Confirm(ctx, si.ID, cp)
		stripeErr(t, err, 400, "invalid_request_error", "", "client_secret")

		// A browser confirming a SEPA setup: what its acceptance leaves out
		// is inferred from the request, as Stripe's client-key form allows.
		body := url.Values{
			"client_secret":                                         {si.ClientSecret},
			"payment_method_data[type]":                             {"sepa_debit"},
			"payment_method_data[sepa_debit][iban]":                 {"DE89370400440532013000"},
			"payment_method_data[billing_details][name]":            {"Jenny Rosen"},
			"payment_method_data[billing_details][email]":           {"jenny@example.com"},
			"mandate_data[customer_acceptance][type]":               {"online"},
			"mandate_data[customer_acceptance][online][user_agent]": {"Mozilla/5.0 (browser)"},
		}
		resp := srv.Do("POST", "/v1/setup_intents/"+si.ID+"/confirm", acct.Publishable, body.Encode())
		var done struct {
			Status   string          `json:"status"`
			Customer json.RawMessage `json:"customer"`
			Mandate  string          `json:"mandate"`
		}
		json.Unmarshal([]byte(resp.Body), &done)
		if resp.Status != 200 || done.Status != "succeeded" || done.Customer != nil || done.Mandate == "" {
			t.Fatalf("pk confirm: %d %s", resp.Status, resp.Body)
		}
		m, err := sc.V1Mandates.Retrieve(ctx, done.Mandate, nil)
		if err != nil || m.CustomerAcceptance.Online.IPAddress != "127.0.0.1" || m.CustomerAcceptance.Online.UserAgent != "Mozilla/5.0 (browser)" {
			t.Fatalf("pk mandate: %+v %v", m, err)
		}
		// … and nothing else.
		_, err = pk.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{})
		stripeErr(t, err, 403, "invalid_request_error", "secret_key_required", "")
		_, err = pk.V1SetupIntents.Cancel(ctx, si.ID, nil)
		stripeErr(t, err, 403, "invalid_request_error", "secret_key_required", "")

		// Another account sees none of it, with the client secret or not.
		other := srv.Client(1)
		_, err = other.V1SetupIntents.Retrieve(ctx, si.ID, nil)
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "intent")
		_, err = other.V1SetupIntents.Confirm(ctx, si.ID, nil)
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "intent")
		_, err = srv.ClientKey(srv.Accounts[1].Publishable).V1SetupIntents.Retrieve(ctx, si.ID,
			&stripe.SetupIntentRetrieveParams{ClientSecret: stripe.String(si.ClientSecret)})
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "intent")
		n := 0
		for _, err := range other.V1SetupIntents.List(ctx, &stripe.SetupIntentListParams{}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 0 {
			t.Fatalf("other account lists %d intents", n)
		}
	})
}

// TestSetupIntents_ConfirmationToken: a SetupIntent created and confirmed
// in one call, or confirmed later, with a token the browser made, as
// Stripe's "finalize on the server" guide does for saving a method.
func TestSetupIntents_ConfirmationToken(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		token := func(p *stripe.TestHelpersConfirmationTokenCreateParams) string {
			t.Helper()
			ct, err := sc.V1TestHelpersConfirmationTokens.Create(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			return ct.ID
		}
		card := func(pm string) *stripe.TestHelpersConfirmationTokenCreateParams {
			return &stripe.TestHelpersConfirmationTokenCreateParams{PaymentMethod: stripe.String(pm)}
		}
		cus, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
		if err != nil {
			t.Fatal(err)
		}

		// Create and confirm: the token's method is set up for the
		// customer, and its setup_future_usage becomes the intent's usage.
		tp := card("pm_card_visa")
		tp.SetupFutureUsage = stripe.String("on_session")
		tok := token(tp)
		si, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cus.ID),
			Confirm: stripe.Bool(true), ConfirmationToken: stripe.String(tok), PaymentMethodTypes: cardTypes()})
		if err != nil || si.Status != stripe.SetupIntentStatusSucceeded || si.PaymentMethod == nil ||
			si.Usage != stripe.SetupIntentUsageOnSession {
			t.Fatalf("token create+confirm: %+v %v", si, err)
		}
		pm, err := sc.V1PaymentMethods.Retrieve(ctx, si.PaymentMethod.ID, nil)
		if err != nil || pm.Customer == nil || pm.Customer.ID != cus.ID || pm.Card.Last4 != "4242" {
			t.Fatalf("saved method: %+v %v", pm, err)
		}
		ct, err := sc.V1ConfirmationTokens.Retrieve(ctx, tok, nil)
		if err != nil || ct.SetupIntent != si.ID || ct.PaymentIntent != "" {
			t.Fatalf("token after use: %+v %v", ct, err)
		}
		// A token is single-use, for SetupIntents as for PaymentIntents.
		_, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Confirm: stripe.Bool(true),
			ConfirmationToken: stripe.String(tok), PaymentMethodTypes: cardTypes()})
		se := stripeErr(t, err, 400, "invalid_request_error", "", "confirmation_token")
		if !strings.Contains(se.Msg, "has already been used") {
			t.Fatalf("reuse: %s", se.Msg)
		}
		other, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{Confirm: stripe.Bool(true),
			ConfirmationToken: stripe.String(tok), PaymentMethodTypes: cardTypes()})
		if err == nil {
			t.Fatalf("a token spent on a SetupIntent paid a PaymentIntent: %+v", other)
		}

		// Confirm of an existing intent; 3-D Secure follows the token's
		// return_url, and the customer's authorization finishes it.
		tp = card("pm_card_authenticationRequiredOnSetup")
		tp.ReturnURL = stripe.String("https://shop.example/saved?z=1&flag&step=2")
		si, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cus.ID), PaymentMethodTypes: cardTypes()})
		if err != nil {
			t.Fatal(err)
		}
		si, err = sc.V1SetupIntents.Confirm(ctx, si.ID, &stripe.SetupIntentConfirmParams{ConfirmationToken: stripe.String(token(tp))})
		if err != nil || si.Status != stripe.SetupIntentStatusRequiresAction || si.NextAction == nil ||
			si.NextAction.RedirectToURL == nil || si.NextAction.RedirectToURL.ReturnURL != "https://shop.example/saved?z=1&flag&step=2" {
			t.Fatalf("token 3DS: %+v %v", si, err)
		}
		// Stripe's parameters follow the return_url's own query string,
		// which stays as written.
		loc := submitAuthorization(t, si.NextAction.RedirectToURL.URL, "authorize")
		if q := loc.Query(); loc.Host != "shop.example" || !strings.HasPrefix(loc.RawQuery, "z=1&flag&step=2&setup_intent="+si.ID+"&") ||
			q.Get("setup_intent_client_secret") != si.ClientSecret || q.Get("redirect_status") != "succeeded" {
			t.Fatalf("return: %s", loc)
		}

		// A decline through a token leaves the intent for another try.
		si, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{PaymentMethodTypes: cardTypes()})
		if err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1SetupIntents.Confirm(ctx, si.ID, &stripe.SetupIntentConfirmParams{ConfirmationToken: stripe.String(token(card("pm_card_chargeDeclined")))})
		se = stripeErr(t, err, 402, "card_error", "card_declined", "")
		if se.DeclineCode != "generic_decline" || se.SetupIntent == nil || se.SetupIntent.Status != stripe.SetupIntentStatusRequiresPaymentMethod {
			t.Fatalf("token decline: %+v", se)
		}

		// A SEPA token: the mandate's acceptance comes with the confirm.
		sepa := token(&stripe.TestHelpersConfirmationTokenCreateParams{PaymentMethodData: &stripe.TestHelpersConfirmationTokenCreatePaymentMethodDataParams{
			Type:      stripe.String("sepa_debit"),
			SEPADebit: &stripe.TestHelpersConfirmationTokenCreatePaymentMethodDataSEPADebitParams{IBAN: stripe.String("DE89370400440532013000")},
			BillingDetails: &stripe.TestHelpersConfirmationTokenCreatePaymentMethodDataBillingDetailsParams{
				Name: stripe.String("Jenny Rosen"), Email: stripe.String("jenny@example.com")},
		}})
		si, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cus.ID),
			PaymentMethodTypes: []*string{stripe.String("sepa_debit")}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1SetupIntents.Confirm(ctx, si.ID, &stripe.SetupIntentConfirmParams{ConfirmationToken: stripe.String(sepa)})
		stripeErr(t, err, 400, "invalid_request_error", "parameter_missing", "mandate_data")
		si, err = sc.V1SetupIntents.Confirm(ctx, si.ID, &stripe.SetupIntentConfirmParams{ConfirmationToken: stripe.String(sepa),
			MandateData: &stripe.SetupIntentMandateDataParams{CustomerAcceptance: &stripe.SetupIntentMandateDataCustomerAcceptanceParams{
				Type: stripe.MandateCustomerAcceptanceTypeOffline, Offline: &stripe.SetupIntentMandateDataCustomerAcceptanceOfflineParams{}}}})
		if err != nil || si.Status != stripe.SetupIntentStatusSucceeded || si.Mandate == nil || si.PaymentMethod == nil {
			t.Fatalf("sepa token: %+v %v", si, err)
		}

		// A browser confirming with its publishable key and the secret.
		si, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{PaymentMethodTypes: cardTypes()})
		if err != nil {
			t.Fatal(err)
		}
		cp := &stripe.SetupIntentConfirmParams{ConfirmationToken: stripe.String(token(card("pm_card_mastercard")))}
		cp.AddExtra("client_secret", si.ClientSecret)
		got, err := srv.ClientKey(srv.Accounts[0].Publishable).V1SetupIntents.Confirm(ctx, si.ID, cp)
		if err != nil || got.Status != stripe.SetupIntentStatusSucceeded {
			t.Fatalf("publishable confirm: %+v %v", got, err)
		}

		// What Stripe refuses: a token without confirm on create, a token
		// beside a method, an unknown token. None spends anything.
		fresh := token(card("pm_card_visa"))
		_, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{ConfirmationToken: stripe.String(fresh), PaymentMethodTypes: cardTypes()})
		stripeErr(t, err, 400, "invalid_request_error", "", "confirmation_token")
		_, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Confirm: stripe.Bool(true), ConfirmationToken: stripe.String(fresh),
			PaymentMethod: stripe.String("pm_card_visa"), PaymentMethodTypes: cardTypes()})
		stripeErr(t, err, 400, "invalid_request_error", "parameters_exclusive", "confirmation_token")
		_, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Confirm: stripe.Bool(true),
			ConfirmationToken: stripe.String("ctoken_doesnotexist"), PaymentMethodTypes: cardTypes()})
		stripeErr(t, err, 400, "invalid_request_error", "resource_missing", "confirmation_token")
		if ct, err := sc.V1ConfirmationTokens.Retrieve(ctx, fresh, nil); err != nil || ct.SetupIntent != "" || ct.PaymentIntent != "" {
			t.Fatalf("refused requests spent the token: %+v %v", ct, err)
		}
		si, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Confirm: stripe.Bool(true),
			ConfirmationToken: stripe.String(fresh), PaymentMethodTypes: cardTypes()})
		if err != nil || si.Status != stripe.SetupIntentStatusSucceeded || si.Usage != stripe.SetupIntentUsageOffSession {
			t.Fatalf("the token after refusals: %+v %v", si, err)
		}
	})
}

// attempts lists an intent's SetupAttempts, newest first, through the
// SDK's paging.
func attempts(t *testing.T, sc *stripe.Client, intentID string) []*stripe.SetupAttempt {
	t.Helper()
	var out []*stripe.SetupAttempt
	lp := &stripe.SetupAttemptListParams{SetupIntent: stripe.String(intentID)}
	lp.Limit = stripe.Int64(1) // more than one page when there are several
	for a, err := range sc.V1SetupAttempts.List(ctx, lp).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// latestAttempt retrieves an intent with latest_attempt expanded.
func latestAttempt(t *testing.T, sc *stripe.Client, intentID string) *stripe.SetupAttempt {
	t.Helper()
	rp := &stripe.SetupIntentRetrieveParams{}
	rp.AddExpand("latest_attempt")
	si, err := sc.V1SetupIntents.Retrieve(ctx, intentID, rp)
	if err != nil {
		t.Fatal(err)
	}
	if si.LatestAttempt == nil || si.LatestAttempt.SetupIntent == nil || si.LatestAttempt.SetupIntent.ID != intentID {
		t.Fatalf("latest_attempt of %s: %+v", intentID, si.LatestAttempt)
	}
	return si.LatestAttempt
}

// TestSetupIntents_Attempts: every confirmation is a SetupAttempt, the
// intent's latest_attempt, which records the method, the outcome and the
// error, follows the customer's step to its end, and is abandoned when the
// intent moves on without it.
func TestSetupIntents_Attempts(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		cus, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
		if err != nil {
			t.Fatal(err)
		}
		// A decline, then a success on the same intent: two attempts.
		_, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cus.ID), Confirm: stripe.Bool(true),
			PaymentMethod: stripe.String("pm_card_chargeDeclined"), PaymentMethodTypes: cardTypes()})
		se := stripeErr(t, err, 402, "card_error", "card_declined", "")
		si := se.SetupIntent
		if si.LatestAttempt == nil || !strings.HasPrefix(si.LatestAttempt.ID, "setatt_") {
			t.Fatalf("declined intent's latest_attempt: %+v", si.LatestAttempt)
		}
		failed := latestAttempt(t, sc, si.ID)
		if failed.Status != stripe.SetupAttemptStatusFailed || failed.SetupError == nil || failed.SetupError.Code != "card_declined" ||
			failed.SetupError.DeclineCode != "generic_decline" || failed.PaymentMethod == nil || failed.PaymentMethod.ID != se.PaymentMethod.ID ||
			failed.Customer == nil || failed.Customer.ID != cus.ID || failed.Usage != stripe.SetupAttemptUsageOffSession || failed.Object != "setup_attempt" {
			t.Fatalf("failed attempt: %+v", failed)
		}
		ok, err := sc.V1SetupIntents.Confirm(ctx, si.ID, &stripe.SetupIntentConfirmParams{PaymentMethod: stripe.String("pm_card_visa")})
		if err != nil || ok.Status != stripe.SetupIntentStatusSucceeded {
			t.Fatalf("retry: %+v %v", ok, err)
		}
		won := latestAttempt(t, sc, si.ID)
		card := won.PaymentMethodDetails.Card
		if won.ID == failed.ID || won.Status != stripe.SetupAttemptStatusSucceeded || won.SetupError != nil ||
			won.PaymentMethod.ID != ok.PaymentMethod.ID || won.PaymentMethodDetails.Type != "card" || card == nil ||
			card.Brand != "visa" || card.Last4 != "4242" || card.Network != "visa" || card.ThreeDSecure != nil {
			t.Fatalf("succeeded attempt: %+v %+v", won, card)
		}
		if got := attempts(t, sc, si.ID); len(got) != 2 || got[0].ID != won.ID || got[1].ID != failed.ID {
			t.Fatalf("attempts: %+v", got)
		}
		// An intent never confirmed has none.
		fresh, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{PaymentMethodTypes: cardTypes()})
		if err != nil || fresh.LatestAttempt != nil || len(attempts(t, sc, fresh.ID)) != 0 {
			t.Fatalf("unconfirmed intent: %+v %v", fresh, err)
		}

		// 3-D Secure: the step's attempt waits, then the customer's
		// authorization finishes it, authenticated.
		si, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cus.ID), Confirm: stripe.Bool(true),
			PaymentMethod: stripe.String("pm_card_authenticationRequiredOnSetup"), PaymentMethodTypes: cardTypes(),
			ReturnURL: stripe.String("https://shop.example/saved")})
		if err != nil || si.Status != stripe.SetupIntentStatusRequiresAction {
			t.Fatalf("3DS: %+v %v", si, err)
		}
		waiting := latestAttempt(t, sc, si.ID)
		if waiting.Status != stripe.SetupAttemptStatusRequiresAction || waiting.SetupError != nil {
			t.Fatalf("waiting attempt: %+v", waiting)
		}
		submitAuthorization(t, si.NextAction.RedirectToURL.URL, "authorize")
		done := latestAttempt(t, sc, si.ID)
		tds := done.PaymentMethodDetails.Card.ThreeDSecure
		if done.ID != waiting.ID || done.Status != stripe.SetupAttemptStatusSucceeded || tds == nil ||
			tds.Result != "authenticated" || tds.TransactionID == "" {
			t.Fatalf("authorized attempt: %+v %+v", done, tds)
		}
		// Failing the step fails its attempt with the intent's error.
		si, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Confirm: stripe.Bool(true),
			PaymentMethod: stripe.String("pm_card_threeDSecure2Required"), PaymentMethodTypes: cardTypes(),
			ReturnURL: stripe.String("https://shop.example/saved")})
		if err != nil {
			t.Fatal(err)
		}
		submitAuthorization(t, si.NextAction.RedirectToURL.URL, "fail")
		if a := latestAttempt(t, sc, si.ID); a.Status != stripe.SetupAttemptStatusFailed || a.SetupError == nil ||
			a.SetupError.Code != "setup_intent_authentication_failure" {
			t.Fatalf("failed step's attempt: %+v", a)
		}
		// Without a return_url, Stripe.js is given the attempt's id.
		si, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Confirm: stripe.Bool(true),
			PaymentMethod: stripe.String("pm_card_threeDSecure2Required"), PaymentMethodTypes: cardTypes()})
		if err != nil {
			t.Fatal(err)
		}
		raw := srv.Do("GET", "/v1/setup_intents/"+si.ID, srv.Accounts[0].Secret, "")
		var shape struct {
			LatestAttempt string `json:"latest_attempt"`
			NextAction    struct {
				UseStripeSDK struct {
					Source string `json:"source"`
				} `json:"use_stripe_sdk"`
			} `json:"next_action"`
		}
		json.Unmarshal([]byte(raw.Body), &shape)
		if shape.LatestAttempt == "" || shape.NextAction.UseStripeSDK.Source != shape.LatestAttempt {
			t.Fatalf("use_stripe_sdk source %q, latest_attempt %q", shape.NextAction.UseStripeSDK.Source, shape.LatestAttempt)
		}
		// Confirmed again with another card meanwhile: the waiting attempt
		// is abandoned, the new one succeeds.
		first := shape.LatestAttempt
		if _, err := sc.V1SetupIntents.Confirm(ctx, si.ID, &stripe.SetupIntentConfirmParams{PaymentMethod: stripe.String("pm_card_mastercard")}); err != nil {
			t.Fatal(err)
		}
		got := attempts(t, sc, si.ID)
		if len(got) != 2 || got[1].ID != first || got[1].Status != stripe.SetupAttemptStatusAbandoned ||
			got[0].Status != stripe.SetupAttemptStatusSucceeded || got[0].PaymentMethodDetails.Card.Brand != "mastercard" {
			t.Fatalf("after a second confirm: %+v", got)
		}
		// A new method by update, and a cancel, abandon a waiting attempt too.
		for _, end := range []string{"update", "cancel"} {
			si, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Confirm: stripe.Bool(true),
				PaymentMethod: stripe.String("pm_card_threeDSecure2Required"), PaymentMethodTypes: cardTypes()})
			if err != nil {
				t.Fatal(err)
			}
			if end == "update" {
				_, err = sc.V1SetupIntents.Update(ctx, si.ID, &stripe.SetupIntentUpdateParams{PaymentMethod: stripe.String("pm_card_visa")})
			} else {
				_, err = sc.V1SetupIntents.Cancel(ctx, si.ID, nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			if a := latestAttempt(t, sc, si.ID); a.Status != stripe.SetupAttemptStatusAbandoned {
				t.Fatalf("after %s: %+v", end, a)
			}
		}

		// Listing needs the intent, which must exist in this account (a
		// parameter naming a missing object is a 400, as elsewhere).
		resp := srv.Do("GET", "/v1/setup_attempts", srv.Accounts[0].Secret, "")
		if resp.Status != 400 || !strings.Contains(resp.Body, `"param": "setup_intent"`) && !strings.Contains(resp.Body, `"param":"setup_intent"`) {
			t.Fatalf("list without setup_intent: %d %s", resp.Status, resp.Body)
		}
		listErr := func(c *stripe.Client, intentID string) error {
			for _, err := range c.V1SetupAttempts.List(ctx, &stripe.SetupAttemptListParams{SetupIntent: stripe.String(intentID)}).All(ctx) {
				return err
			}
			return nil
		}
		stripeErr(t, listErr(sc, "seti_doesnotexist"), 400, "invalid_request_error", "resource_missing", "setup_intent")
		stripeErr(t, listErr(srv.Client(1), si.ID), 400, "invalid_request_error", "resource_missing", "setup_intent")
	})
}
