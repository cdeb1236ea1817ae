package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/pmconfig"
	"github.com/payd/payd/internal/store"
	"github.com/payd/payd/internal/testutil/paydtest"
)

// allOn is how payd renders the methods of a fresh configuration.
const allOn = "card=on/on/true amazon_pay=on/on/true us_bank_account=on/on/true sepa_debit=on/on/true"

// prefs summarizes a configuration's methods, in payd's order, as
// method=preference/value/available.
func prefs(c *stripe.PaymentMethodConfiguration) string {
	one := func(name string, present bool, pref, value any, available, overridable bool) string {
		if !present {
			return name + "=missing"
		}
		s := fmt.Sprintf("%s=%s/%s/%v", name, pref, value, available)
		if overridable {
			s += "/overridable"
		}
		return s
	}
	var out []string
	if m := c.Card; m != nil && m.DisplayPreference != nil {
		out = append(out, one("card", true, m.DisplayPreference.Preference, m.DisplayPreference.Value, m.Available, m.DisplayPreference.Overridable))
	} else {
		out = append(out, one("card", false, "", "", false, false))
	}
	if m := c.AmazonPay; m != nil && m.DisplayPreference != nil {
		out = append(out, one("amazon_pay", true, m.DisplayPreference.Preference, m.DisplayPreference.Value, m.Available, m.DisplayPreference.Overridable))
	} else {
		out = append(out, one("amazon_pay", false, "", "", false, false))
	}
	if m := c.USBankAccount; m != nil && m.DisplayPreference != nil {
		out = append(out, one("us_bank_account", true, m.DisplayPreference.Preference, m.DisplayPreference.Value, m.Available, m.DisplayPreference.Overridable))
	} else {
		out = append(out, one("us_bank_account", false, "", "", false, false))
	}
	if m := c.SEPADebit; m != nil && m.DisplayPreference != nil {
		out = append(out, one("sepa_debit", true, m.DisplayPreference.Preference, m.DisplayPreference.Value, m.Available, m.DisplayPreference.Overridable))
	} else {
		out = append(out, one("sepa_debit", false, "", "", false, false))
	}
	return strings.Join(out, " ")
}

// preferParams is the update that sets each named method's preference.
func preferParams(pref string, methods ...string) *stripe.PaymentMethodConfigurationUpdateParams {
	p := &stripe.PaymentMethodConfigurationUpdateParams{}
	for _, m := range methods {
		switch m {
		case "card":
			p.Card = &stripe.PaymentMethodConfigurationUpdateCardParams{
				DisplayPreference: &stripe.PaymentMethodConfigurationUpdateCardDisplayPreferenceParams{Preference: stripe.String(pref)}}
		case "amazon_pay":
			p.AmazonPay = &stripe.PaymentMethodConfigurationUpdateAmazonPayParams{
				DisplayPreference: &stripe.PaymentMethodConfigurationUpdateAmazonPayDisplayPreferenceParams{Preference: stripe.String(pref)}}
		case "us_bank_account":
			p.USBankAccount = &stripe.PaymentMethodConfigurationUpdateUSBankAccountParams{
				DisplayPreference: &stripe.PaymentMethodConfigurationUpdateUSBankAccountDisplayPreferenceParams{Preference: stripe.String(pref)}}
		case "sepa_debit":
			p.SEPADebit = &stripe.PaymentMethodConfigurationUpdateSEPADebitParams{
				DisplayPreference: &stripe.PaymentMethodConfigurationUpdateSEPADebitDisplayPreferenceParams{Preference: stripe.String(pref)}}
		default:
			panic("preferParams: " + m)
		}
	}
	return p
}

// defaultConfig lists the account's configurations and returns the one
// that is the default, failing unless there is exactly one.
func defaultConfig(t *testing.T, sc *stripe.Client) *stripe.PaymentMethodConfiguration {
	t.Helper()
	var found *stripe.PaymentMethodConfiguration
	for c, err := range sc.V1PaymentMethodConfigurations.List(ctx, &stripe.PaymentMethodConfigurationListParams{}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if c.IsDefault {
			if found != nil {
				t.Fatalf("two defaults: %s and %s", found.ID, c.ID)
			}
			found = c
		}
	}
	if found == nil {
		t.Fatal("no default configuration")
	}
	return found
}

// automaticPI creates a usd PaymentIntent with automatic payment methods
// and returns its payment_method_types.
func automaticPI(t *testing.T, sc *stripe.Client, currency string, allowRedirects string) (string, error) {
	t.Helper()
	apm := &stripe.PaymentIntentCreateAutomaticPaymentMethodsParams{Enabled: stripe.Bool(true)}
	if allowRedirects != "" {
		apm.AllowRedirects = stripe.String(allowRedirects)
	}
	pi, err := sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{
		Amount: stripe.Int64(2000), Currency: stripe.String(currency), AutomaticPaymentMethods: apm})
	if err != nil {
		return "", err
	}
	if pi.AutomaticPaymentMethods == nil || !pi.AutomaticPaymentMethods.Enabled {
		t.Fatalf("automatic_payment_methods: %+v", pi.AutomaticPaymentMethods)
	}
	return strings.Join(pi.PaymentMethodTypes, ","), nil
}

// automaticSI creates a SetupIntent with automatic payment methods and
// returns its payment_method_types.
func automaticSI(t *testing.T, sc *stripe.Client) (string, error) {
	t.Helper()
	si, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{
		AutomaticPaymentMethods: &stripe.SetupIntentCreateAutomaticPaymentMethodsParams{Enabled: stripe.Bool(true)}})
	if err != nil {
		return "", err
	}
	return strings.Join(si.PaymentMethodTypes, ","), nil
}

// storedConfigs counts the account's configuration rows.
func storedConfigs(t *testing.T, srv *paydtest.Server, account int) int {
	t.Helper()
	var n int
	err := srv.Store.View(ctx, func(tx store.Tx) error {
		page, err := tx.List(ctx, pmconfig.Table, store.ListQuery{Account: srv.Accounts[account].Account, Limit: 100})
		n = len(page.Records)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustTypes(t *testing.T, got string, err error, want string) {
	t.Helper()
	if err != nil {
		t.Fatalf("want %s, got %v", want, err)
	}
	if got != want {
		t.Fatalf("payment_method_types %s, want %s", got, want)
	}
}

func TestPaymentMethodConfigurations_DefaultReadsWithoutWriting(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)

		var listed []*stripe.PaymentMethodConfiguration
		for c, err := range sc.V1PaymentMethodConfigurations.List(ctx, &stripe.PaymentMethodConfigurationListParams{}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			listed = append(listed, c)
		}
		if len(listed) != 1 {
			t.Fatalf("want the default alone, got %d configurations", len(listed))
		}
		d := listed[0]
		if !strings.HasPrefix(d.ID, "pmc_") || strings.Count(d.ID, "_") != 1 || d.Object != "payment_method_configuration" ||
			!d.Active || !d.IsDefault || d.Livemode || d.Name != "Default" || d.Application != "" || d.Parent != "" {
			t.Fatalf("default: %+v", d)
		}
		if got := prefs(d); got != allOn {
			t.Fatalf("methods %s, want %s", got, allOn)
		}
		// Methods payd cannot process are not rendered at all.
		if d.IDEAL != nil || d.Link != nil || d.ApplePay != nil || d.Klarna != nil {
			t.Fatalf("unsupported methods rendered: %+v", d)
		}

		got, err := sc.V1PaymentMethodConfigurations.Retrieve(ctx, d.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != d.ID || !got.IsDefault || got.Name != "Default" || prefs(got) != allOn {
			t.Fatalf("retrieve: %+v", got)
		}
		// Stripe's nulls are nulls, not omitted or false.
		raw := srv.Do("GET", "/v1/payment_method_configurations/"+d.ID, srv.Accounts[0].Secret, "")
		for _, want := range []string{`"application":null`, `"parent":null`, `"livemode":false`,
			`"card":{"available":true,"display_preference":{"overridable":null,"preference":"on","value":"on"}}`} {
			if !strings.Contains(raw.Body, want) {
				t.Fatalf("retrieve body lacks %s: %s", want, raw.Body)
			}
		}
		if strings.Contains(raw.Body, `"created"`) || strings.Contains(raw.Body, `"ideal"`) {
			t.Fatalf("retrieve body has fields Stripe's object lacks or payd cannot back: %s", raw.Body)
		}

		// Reading stored nothing and recorded nothing.
		if n := storedConfigs(t, srv, 0); n != 0 {
			t.Fatalf("reads stored %d configurations", n)
		}
		if evs := eventTypes(t, sc); len(evs) != 0 {
			t.Fatalf("events: %v", evs)
		}
		// The id is the same on every read, so it can be updated later.
		if again := defaultConfig(t, sc); again.ID != d.ID {
			t.Fatalf("default id changed: %s then %s", d.ID, again.ID)
		}
	})
}

func TestPaymentMethodConfigurations_DefaultDecidesAutomaticMethods(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		d := defaultConfig(t, sc)

		// Before any change every usd method is offered.
		types, err := automaticPI(t, sc, "usd", "")
		mustTypes(t, types, err, "card,amazon_pay,us_bank_account")

		upd, err := sc.V1PaymentMethodConfigurations.Update(ctx, d.ID, preferParams("off", "card"))
		if err != nil {
			t.Fatal(err)
		}
		want := "card=off/off/false amazon_pay=on/on/true us_bank_account=on/on/true sepa_debit=on/on/true"
		if upd.ID != d.ID || !upd.IsDefault || upd.Name != "Default" || !upd.Active || prefs(upd) != want {
			t.Fatalf("update: %s %+v", prefs(upd), upd)
		}
		// The first change stored the default under the id it was read as;
		// Stripe sends no event about configurations.
		if n := storedConfigs(t, srv, 0); n != 1 {
			t.Fatalf("stored %d configurations, want 1", n)
		}
		if evs := eventTypes(t, sc); strings.Join(evs, ",") != "payment_intent.created" {
			t.Fatalf("events: %v", evs)
		}
		if got, err := sc.V1PaymentMethodConfigurations.Retrieve(ctx, d.ID, nil); err != nil || prefs(got) != want {
			t.Fatalf("retrieve after update: %v %v", got, err)
		}
		if again := defaultConfig(t, sc); again.ID != d.ID || prefs(again) != want {
			t.Fatalf("list after update: %s %s", again.ID, prefs(again))
		}

		types, err = automaticPI(t, sc, "usd", "")
		mustTypes(t, types, err, "amazon_pay,us_bank_account")
		types, err = automaticPI(t, sc, "usd", "never")
		mustTypes(t, types, err, "us_bank_account")
		types, err = automaticPI(t, sc, "eur", "")
		mustTypes(t, types, err, "amazon_pay,sepa_debit")
		types, err = automaticSI(t, sc)
		mustTypes(t, types, err, "amazon_pay,us_bank_account,sepa_debit")
		// Neither list nor automatic_payment_methods: automatic, too.
		pi, err := sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(2000), Currency: stripe.String("usd")})
		if err != nil || strings.Join(pi.PaymentMethodTypes, ",") != "amazon_pay,us_bank_account" {
			t.Fatalf("implicit automatic: %v %v", pi, err)
		}

		// An explicit list is taken as given, card included, and pays.
		paid, _ := paidIntent(t, sc, 1500, nil)
		if strings.Join(paid.PaymentMethodTypes, ",") != "card" || paid.Status != stripe.PaymentIntentStatusSucceeded || paid.AutomaticPaymentMethods != nil {
			t.Fatalf("explicit card: %+v", paid)
		}
		si, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{PaymentMethodTypes: []*string{stripe.String("card")}})
		if err != nil || strings.Join(si.PaymentMethodTypes, ",") != "card" {
			t.Fatalf("explicit setup card: %v %v", si, err)
		}

		// Re-enabling restores card; "none" leaves the choice to payd,
		// whose default is on.
		upd, err = sc.V1PaymentMethodConfigurations.Update(ctx, d.ID, preferParams("none", "card"))
		if err != nil {
			t.Fatal(err)
		}
		if got := prefs(upd); got != "card=none/on/true amazon_pay=on/on/true us_bank_account=on/on/true sepa_debit=on/on/true" {
			t.Fatalf("after none: %s", got)
		}
		types, err = automaticPI(t, sc, "usd", "")
		mustTypes(t, types, err, "card,amazon_pay,us_bank_account")
		upd, err = sc.V1PaymentMethodConfigurations.Update(ctx, d.ID, preferParams("on", "card"))
		if err != nil || prefs(upd) != allOn {
			t.Fatalf("after on: %v %v", upd, err)
		}
		types, err = automaticSI(t, sc)
		mustTypes(t, types, err, "card,amazon_pay,us_bank_account,sepa_debit")
		if n := storedConfigs(t, srv, 0); n != 1 {
			t.Fatalf("stored %d configurations, want 1", n)
		}
	})
}

func TestPaymentMethodConfigurations_NothingEnabledIsStripesError(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		d := defaultConfig(t, sc)

		// Only amazon_pay left: redirects refused leaves nothing.
		if _, err := sc.V1PaymentMethodConfigurations.Update(ctx, d.ID, preferParams("off", "card", "us_bank_account", "sepa_debit")); err != nil {
			t.Fatal(err)
		}
		types, err := automaticPI(t, sc, "usd", "")
		mustTypes(t, types, err, "amazon_pay")
		const piMsg = "No valid payment method types for this Payment Intent. Please ensure that you have activated payment methods compatible with your chosen currency in your dashboard (https://dashboard.stripe.com/settings/payment_methods) or specify payment_method_types"
		_, err = automaticPI(t, sc, "usd", "never")
		if se := stripeErr(t, err, 400, "invalid_request_error", "", ""); se.Msg != piMsg {
			t.Fatalf("message: %q", se.Msg)
		}

		upd, err := sc.V1PaymentMethodConfigurations.Update(ctx, d.ID, preferParams("off", "amazon_pay"))
		if err != nil {
			t.Fatal(err)
		}
		if got := prefs(upd); got != "card=off/off/false amazon_pay=off/off/false us_bank_account=off/off/false sepa_debit=off/off/false" {
			t.Fatalf("all off: %s", got)
		}
		_, err = automaticPI(t, sc, "usd", "")
		if se := stripeErr(t, err, 400, "invalid_request_error", "", ""); se.Msg != piMsg {
			t.Fatalf("message: %q", se.Msg)
		}
		_, err = sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(2000), Currency: stripe.String("eur")})
		stripeErr(t, err, 400, "invalid_request_error", "", "")
		_, err = automaticSI(t, sc)
		if se := stripeErr(t, err, 400, "invalid_request_error", "", ""); se.Msg != strings.Replace(piMsg, "Payment Intent", "Setup Intent", 1) {
			t.Fatalf("message: %q", se.Msg)
		}
		if evs := eventTypes(t, sc); strings.Join(evs, ",") != "payment_intent.created" {
			t.Fatalf("refused intents recorded events: %v", evs)
		}

		// Explicit lists do not consult the configuration.
		pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethodTypes: []*string{stripe.String("card"), stripe.String("us_bank_account")}})
		if err != nil || strings.Join(pi.PaymentMethodTypes, ",") != "card,us_bank_account" || pi.AutomaticPaymentMethods != nil {
			t.Fatalf("explicit: %v %v", pi, err)
		}
		si, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{PaymentMethodTypes: []*string{stripe.String("sepa_debit")}})
		if err != nil || strings.Join(si.PaymentMethodTypes, ",") != "sepa_debit" {
			t.Fatalf("explicit setup: %v %v", si, err)
		}
		// An update to an explicit list works too; an unset list falls
		// back to automatic methods and so to the error.
		pi, err = sc.V1PaymentIntents.Update(ctx, pi.ID, &stripe.PaymentIntentUpdateParams{PaymentMethodTypes: []*string{stripe.String("amazon_pay")}})
		if err != nil || strings.Join(pi.PaymentMethodTypes, ",") != "amazon_pay" {
			t.Fatalf("explicit update: %v %v", pi, err)
		}

		// Turning one back on is enough.
		if _, err := sc.V1PaymentMethodConfigurations.Update(ctx, d.ID, preferParams("on", "sepa_debit")); err != nil {
			t.Fatal(err)
		}
		_, err = automaticPI(t, sc, "usd", "")
		stripeErr(t, err, 400, "invalid_request_error", "", "")
		types, err = automaticPI(t, sc, "eur", "")
		mustTypes(t, types, err, "sepa_debit")
		types, err = automaticSI(t, sc)
		mustTypes(t, types, err, "sepa_debit")
	})
}

func TestPaymentMethodConfigurations_RefusesWhatPaydLacks(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		d := defaultConfig(t, sc)
		const supported = "payd supports: card, amazon_pay, us_bank_account, sepa_debit."

		// A method payd cannot process, even together with a supported
		// one: nothing changes.
		p := preferParams("off", "card")
		p.IDEAL = &stripe.PaymentMethodConfigurationUpdateIDEALParams{
			DisplayPreference: &stripe.PaymentMethodConfigurationUpdateIDEALDisplayPreferenceParams{Preference: stripe.String("on")}}
		_, err := sc.V1PaymentMethodConfigurations.Update(ctx, d.ID, p)
		se := stripeErr(t, err, 400, "invalid_request_error", "", "ideal")
		if se.Msg != "payd does not support the payment method ideal, so it cannot be configured. "+supported {
			t.Fatalf("message: %q", se.Msg)
		}
		// Turning one off is refused too, and the first by name answers.
		r := srv.Do("POST", "/v1/payment_method_configurations/"+d.ID, srv.Accounts[0].Secret,
			"link[display_preference][preference]=off&apple_pay[display_preference][preference]=off")
		if ae := apiError(t, r); r.Status != 400 || ae.Param != "apple_pay" ||
			ae.Message != "payd does not support the payment method apple_pay, so it cannot be configured. "+supported {
			t.Fatalf("off for unsupported: %d %+v", r.Status, ae)
		}
		// A parameter Stripe does not have at all is the schema's to refuse.
		r = srv.Do("POST", "/v1/payment_method_configurations/"+d.ID, srv.Accounts[0].Secret, "bitcoin[display_preference][preference]=on")
		if ae := apiError(t, r); r.Status != 400 || ae.Code != "parameter_unknown" || ae.Param != "bitcoin" {
			t.Fatalf("unknown param: %d %+v", r.Status, ae)
		}
		if got := defaultConfig(t, sc); prefs(got) != allOn {
			t.Fatalf("refused updates changed the default: %s", prefs(got))
		}
		if n := storedConfigs(t, srv, 0); n != 0 {
			t.Fatalf("refused updates stored %d configurations", n)
		}

		// The default cannot be switched off; its methods can.
		_, err = sc.V1PaymentMethodConfigurations.Update(ctx, d.ID, &stripe.PaymentMethodConfigurationUpdateParams{Active: stripe.Bool(false)})
		stripeErr(t, err, 400, "invalid_request_error", "", "active")
		// An update that changes nothing writes nothing.
		same, err := sc.V1PaymentMethodConfigurations.Update(ctx, d.ID, &stripe.PaymentMethodConfigurationUpdateParams{Active: stripe.Bool(true), Name: stripe.String("Default")})
		if err != nil || !same.Active || same.Name != "Default" || prefs(same) != allOn {
			t.Fatalf("no-op update: %v %v", same, err)
		}
		if n := storedConfigs(t, srv, 0); n != 0 {
			t.Fatalf("a no-op update stored %d configurations", n)
		}

		// Create: child configurations are Connect's; a name is required.
		_, err = sc.V1PaymentMethodConfigurations.Create(ctx, &stripe.PaymentMethodConfigurationCreateParams{Parent: stripe.String("pmc_parent")})
		stripeErr(t, err, 400, "invalid_request_error", "", "parent")
		_, err = sc.V1PaymentMethodConfigurations.Create(ctx, &stripe.PaymentMethodConfigurationCreateParams{})
		if se := stripeErr(t, err, 400, "invalid_request_error", "parameter_missing", "name"); se.Msg != "Missing required param: name." {
			t.Fatalf("message: %q", se.Msg)
		}
		_, err = sc.V1PaymentMethodConfigurations.Create(ctx, &stripe.PaymentMethodConfigurationCreateParams{Name: stripe.String("Links"),
			Link: &stripe.PaymentMethodConfigurationCreateLinkParams{DisplayPreference: &stripe.PaymentMethodConfigurationCreateLinkDisplayPreferenceParams{Preference: stripe.String("on")}}})
		stripeErr(t, err, 400, "invalid_request_error", "", "link")

		// Unknown ids: Stripe's 404 naming the path parameter.
		_, err = sc.V1PaymentMethodConfigurations.Retrieve(ctx, "pmc_doesnotexist", nil)
		if se := stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "configuration"); se.Msg != "No such payment_method_configuration: 'pmc_doesnotexist'" {
			t.Fatalf("message: %q", se.Msg)
		}
		_, err = sc.V1PaymentMethodConfigurations.Update(ctx, "pmc_doesnotexist", preferParams("off", "card"))
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "configuration")
	})
}

func TestPaymentMethodConfigurations_AccountsAreIsolated(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		a, b := srv.Client(0), srv.Client(1)
		da, db := defaultConfig(t, a), defaultConfig(t, b)
		if da.ID == db.ID {
			t.Fatalf("two accounts share the default id %s", da.ID)
		}
		if _, err := a.V1PaymentMethodConfigurations.Update(ctx, da.ID, preferParams("off", "card")); err != nil {
			t.Fatal(err)
		}
		types, err := automaticPI(t, a, "usd", "")
		mustTypes(t, types, err, "amazon_pay,us_bank_account")
		types, err = automaticPI(t, b, "usd", "")
		mustTypes(t, types, err, "card,amazon_pay,us_bank_account")
		if got := defaultConfig(t, b); got.ID != db.ID || prefs(got) != allOn {
			t.Fatalf("b's default: %s %s", got.ID, prefs(got))
		}

		// a's default, stored or not, is to b what an id that never
		// existed is.
		for _, tc := range []struct{ method, path, body string }{
			{"GET", "/v1/payment_method_configurations/%s", ""},
			{"POST", "/v1/payment_method_configurations/%s", "card[display_preference][preference]=on"},
			{"GET", "/v1/payment_method_configurations?starting_after=%s", ""},
			{"GET", "/v1/payment_method_configurations?ending_before=%s", ""},
		} {
			foreign := srv.Do(tc.method, fmt.Sprintf(tc.path, da.ID), srv.Accounts[1].Secret, tc.body)
			missing := srv.Do(tc.method, fmt.Sprintf(tc.path, "pmc_doesnotexist"), srv.Accounts[1].Secret, tc.body)
			want := 404
			if strings.Contains(tc.path, "?") {
				want = 400 // a cursor refers to an object; the URL does not name it
			}
			if foreign.Status != want || missing.Status != want ||
				strings.ReplaceAll(foreign.Body, da.ID, "ID") != strings.ReplaceAll(missing.Body, "pmc_doesnotexist", "ID") {
				t.Fatalf("%s %s: foreign %d %s, missing %d %s", tc.method, tc.path, foreign.Status, foreign.Body, missing.Status, missing.Body)
			}
		}
		// b's own default, never stored, is 404 to a as well.
		r := srv.Do("GET", "/v1/payment_method_configurations/"+db.ID, srv.Accounts[0].Secret, "")
		if ae := apiError(t, r); r.Status != 404 || ae.Code != "resource_missing" {
			t.Fatalf("b's default for a: %d %s", r.Status, r.Body)
		}
		if got := defaultConfig(t, a); prefs(got) != "card=off/off/false amazon_pay=on/on/true us_bank_account=on/on/true sepa_debit=on/on/true" {
			t.Fatalf("a's default after b's attempts: %s", prefs(got))
		}
		if storedConfigs(t, srv, 0) != 1 || storedConfigs(t, srv, 1) != 0 {
			t.Fatalf("stored: a %d, b %d", storedConfigs(t, srv, 0), storedConfigs(t, srv, 1))
		}
	})
}

func TestPaymentMethodConfigurations_CreateListAndFilters(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		key := srv.Accounts[0].Secret
		d := defaultConfig(t, sc)

		first, err := sc.V1PaymentMethodConfigurations.Create(ctx, &stripe.PaymentMethodConfigurationCreateParams{Name: stripe.String("Cards only")})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(first.ID, "pmc_") || first.ID == d.ID || first.IsDefault || !first.Active || first.Name != "Cards only" || prefs(first) != allOn {
			t.Fatalf("created: %s %+v", prefs(first), first)
		}
		second, err := sc.V1PaymentMethodConfigurations.Create(ctx, &stripe.PaymentMethodConfigurationCreateParams{Name: stripe.String("No cards"),
			Card: &stripe.PaymentMethodConfigurationCreateCardParams{DisplayPreference: &stripe.PaymentMethodConfigurationCreateCardDisplayPreferenceParams{Preference: stripe.String("off")}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := prefs(second); second.IsDefault || got != "card=off/off/false amazon_pay=on/on/true us_bank_account=on/on/true sepa_debit=on/on/true" {
			t.Fatalf("second: %s", got)
		}
		// Other configurations do not decide automatic methods.
		types, err := automaticPI(t, sc, "usd", "")
		mustTypes(t, types, err, "card,amazon_pay,us_bank_account")

		ids := func(path string) (string, bool) {
			t.Helper()
			r := srv.Do("GET", path, key, "")
			if r.Status != 200 {
				t.Fatalf("%s: %d %s", path, r.Status, r.Body)
			}
			var page struct {
				Data []struct {
					ID string `json:"id"`
				} `json:"data"`
				HasMore bool   `json:"has_more"`
				URL     string `json:"url"`
			}
			if err := json.Unmarshal([]byte(r.Body), &page); err != nil || page.URL != "/v1/payment_method_configurations" {
				t.Fatalf("%s: %s", path, r.Body)
			}
			var out []string
			for _, c := range page.Data {
				switch c.ID {
				case d.ID:
					out = append(out, "default")
				case first.ID:
					out = append(out, "first")
				case second.ID:
					out = append(out, "second")
				default:
					out = append(out, c.ID)
				}
			}
			return strings.Join(out, ","), page.HasMore
		}
		check := func(path, want string, wantMore bool) {
			t.Helper()
			if got, more := ids(path); got != want || more != wantMore {
				t.Fatalf("%s: %s has_more=%v, want %s has_more=%v", path, got, more, want, wantMore)
			}
		}
		const base = "/v1/payment_method_configurations"
		// Newest first; the default, never stored, last.
		check(base, "second,first,default", false)
		check(base+"?limit=1", "second", true)
		check(base+"?limit=2&starting_after="+second.ID, "first,default", false)
		check(base+"?limit=1&starting_after="+first.ID, "default", false)
		check(base+"?starting_after="+d.ID, "", false)
		check(base+"?limit=1&ending_before="+d.ID, "first", true)
		check(base+"?ending_before="+d.ID, "second,first", false)
		check(base+"?ending_before="+second.ID, "", false)
		// payd has no Connect applications.
		check(base+"?application=ca_123", "", false)
		check(base+"?application=", "second,first,default", false)

		// stripe-go's iterator walks every page.
		var walked []string
		lp := &stripe.PaymentMethodConfigurationListParams{}
		lp.Limit = stripe.Int64(1)
		for c, err := range sc.V1PaymentMethodConfigurations.List(ctx, lp).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			walked = append(walked, c.Name)
		}
		if got := strings.Join(walked, ","); got != "No cards,Cards only,Default" {
			t.Fatalf("walked %s", got)
		}

		// Deactivate one and rename it; filter on active. The stored
		// default keeps its place at the end.
		off, err := sc.V1PaymentMethodConfigurations.Update(ctx, first.ID, &stripe.PaymentMethodConfigurationUpdateParams{Active: stripe.Bool(false), Name: stripe.String("Retired")})
		if err != nil || off.Active || off.Name != "Retired" || off.IsDefault {
			t.Fatalf("deactivate: %v %v", off, err)
		}
		if _, err := sc.V1PaymentMethodConfigurations.Update(ctx, d.ID, preferParams("off", "sepa_debit")); err != nil {
			t.Fatal(err)
		}
		check(base, "second,first,default", false)
		check(base+"?active=false", "first", false)
		check(base+"?active=true", "second,default", false)
		// A cursor that does not match the filter still places the page.
		check(base+"?active=true&starting_after="+first.ID, "default", false)
		check(base+"?active=true&limit=1&ending_before="+d.ID, "second", false)
		if storedConfigs(t, srv, 0) != 3 {
			t.Fatalf("stored %d configurations, want 3", storedConfigs(t, srv, 0))
		}
		back, err := sc.V1PaymentMethodConfigurations.Update(ctx, first.ID, &stripe.PaymentMethodConfigurationUpdateParams{Active: stripe.Bool(true)})
		if err != nil || !back.Active {
			t.Fatalf("reactivate: %v %v", back, err)
		}

		r := srv.Do("GET", base+"?starting_after=pmc_doesnotexist", key, "")
		if ae := apiError(t, r); r.Status != 400 || ae.Param != "starting_after" || ae.Message != "No such payment_method_configuration: 'pmc_doesnotexist'" {
			t.Fatalf("unknown cursor: %d %s", r.Status, r.Body)
		}
		if evs := eventTypes(t, sc); strings.Join(evs, ",") != "payment_intent.created" {
			t.Fatalf("events: %v", evs)
		}
	})
}

// Concurrent first updates of the default race to store it; each must
// land, none lost to the other's insert.
func TestPaymentMethodConfigurations_ConcurrentFirstUpdates(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		for acct := range 2 {
			sc := srv.Client(acct)
			d := defaultConfig(t, sc)
			methods := []string{"card", "amazon_pay", "us_bank_account", "sepa_debit"}
			var wg sync.WaitGroup
			errc := make(chan error, len(methods))
			for _, m := range methods {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := sc.V1PaymentMethodConfigurations.Update(ctx, d.ID, preferParams("off", m))
					errc <- err
				}()
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				if err != nil {
					t.Fatal(err)
				}
			}
			if got := prefs(defaultConfig(t, sc)); got != "card=off/off/false amazon_pay=off/off/false us_bank_account=off/off/false sepa_debit=off/off/false" {
				t.Fatalf("account %d after concurrent updates: %s", acct, got)
			}
			if n := storedConfigs(t, srv, acct); n != 1 {
				t.Fatalf("account %d stored %d configurations", acct, n)
			}
		}
	})
}
