package api_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/paymentmethod"
	"github.com/payd/payd/internal/store"
	"github.com/payd/payd/internal/testutil/paydtest"
)

var pmExpYear = int64(time.Now().Year() + 3)

// cardParams are create parameters for a card number with a valid expiry.
func cardParams(number, cvc string) *stripe.PaymentMethodCreateParams {
	p := &stripe.PaymentMethodCreateParams{
		Type: stripe.String("card"),
		Card: &stripe.PaymentMethodCreateCardParams{
			Number: stripe.String(number), ExpMonth: stripe.Int64(8), ExpYear: stripe.Int64(pmExpYear),
		},
	}
	if cvc != "" {
		p.Card.CVC = stripe.String(cvc)
	}
	return p
}

func newCustomer(t *testing.T, sc *stripe.Client) string {
	t.Helper()
	c, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("jenny.rosen@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// pmEvents lists the account's events of one type, newest first.
func pmEvents(t *testing.T, sc *stripe.Client, typ string) []*stripe.Event {
	t.Helper()
	var out []*stripe.Event
	for ev, err := range sc.V1Events.List(ctx, &stripe.EventListParams{Type: stripe.String(typ)}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

// apiError decodes Stripe's error envelope from a raw response.
func apiError(t *testing.T, r paydtest.Response) (e struct {
	Type, Code, Param, Message string
	DeclineCode                string `json:"decline_code"`
}) {
	t.Helper()
	var env struct {
		Error json.RawMessage
	}
	if err := json.Unmarshal([]byte(r.Body), &env); err != nil || env.Error == nil {
		t.Fatalf("not an error envelope (%d): %s", r.Status, r.Body)
	}
	json.Unmarshal(env.Error, &e)
	return e
}

func TestPaymentMethods_CreateCardByNumber(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		st, path := e.Open(t)
		srv := paydtest.Start(t, st)
		sc := srv.Client(0)
		cases := []struct {
			number, cvc, brand, display, funding, country string
		}{
			{"4242424242424242", "314", "visa", "visa", "credit", "US"},
			{"4000056655665556", "314", "visa", "visa", "debit", "US"},
			{"5555555555554444", "314", "mastercard", "mastercard", "credit", "US"},
			{"2223003122003222", "314", "mastercard", "mastercard", "credit", "US"},
			{"5200828282828210", "314", "mastercard", "mastercard", "debit", "US"},
			{"5105105105105100", "314", "mastercard", "mastercard", "prepaid", "US"},
			{"378282246310005", "3141", "amex", "american_express", "credit", "US"},
			{"371449635398431", "3141", "amex", "american_express", "credit", "US"},
			{"6011111111111117", "314", "discover", "discover", "credit", "US"},
			{"3056930009020004", "314", "diners", "diners_club", "credit", "US"},
			{"36227206271667", "314", "diners", "diners_club", "credit", "US"},
			{"3566002020360505", "314", "jcb", "jcb", "credit", "JP"},
			{"6200000000000005", "314", "unionpay", "union_pay", "credit", "CN"},
			{"4000002760000016", "", "visa", "visa", "credit", "DE"},
			// Not in Stripe's tables but Luhn-valid: an approved card of its brand.
			{"4111111111111111", "314", "visa", "visa", "credit", "US"},
		}
		fingerprints := map[string]string{}
		for _, tc := range cases {
			pm, err := sc.V1PaymentMethods.Create(ctx, cardParams(tc.number, tc.cvc))
			if err != nil {
				t.Fatalf("%s: %v", tc.number, err)
			}
			c := pm.Card
			if !strings.HasPrefix(pm.ID, "pm_") || pm.Type != "card" || pm.Customer != nil || pm.Livemode ||
				pm.AllowRedisplay != "unspecified" || c == nil || string(c.Brand) != tc.brand || c.DisplayBrand != tc.display ||
				c.Last4 != tc.number[len(tc.number)-4:] || string(c.Funding) != tc.funding || c.Country != tc.country ||
				c.ExpMonth != 8 || c.ExpYear != pmExpYear || c.Fingerprint == "" || c.Networks == nil ||
				len(c.Networks.Available) != 1 || string(c.Networks.Available[0]) != tc.brand || c.ThreeDSecureUsage == nil {
				t.Fatalf("%s: %+v card %+v", tc.number, pm, c)
			}
			wantCVC := ""
			if tc.cvc != "" {
				wantCVC = "unchecked"
			}
			if string(c.Checks.CVCCheck) != wantCVC || c.Checks.AddressLine1Check != "" {
				t.Fatalf("%s: checks %+v", tc.number, c.Checks)
			}
			fingerprints[tc.number] = c.Fingerprint
			raw := srv.Do("GET", "/v1/payment_methods/"+pm.ID, srv.Accounts[0].Secret, "")
			if raw.Status != 200 || strings.Contains(raw.Body, tc.number) || strings.Contains(raw.Body, `"cvc"`) ||
				strings.Contains(raw.Body, `"number"`) {
				t.Fatalf("%s: retrieve %d %s", tc.number, raw.Status, raw.Body)
			}
			for _, field := range []string{`"customer":null`, `"wallet":null`, `"generated_from":null`,
				`"address":{"city":null`, `"metadata":{}`, `"regulated_status":"unregulated"`} {
				if !strings.Contains(raw.Body, field) {
					t.Fatalf("%s: %s missing from %s", tc.number, field, raw.Body)
				}
			}
		}
		// The fingerprint names the card within the account, the same
		// every time, and differs across accounts.
		again, err := sc.V1PaymentMethods.Create(ctx, cardParams("4242424242424242", ""))
		if err != nil {
			t.Fatal(err)
		}
		other, err := srv.Client(1).V1PaymentMethods.Create(ctx, cardParams("4242424242424242", ""))
		if err != nil {
			t.Fatal(err)
		}
		if again.Card.Fingerprint != fingerprints["4242424242424242"] || other.Card.Fingerprint == again.Card.Fingerprint ||
			fingerprints["5555555555554444"] == fingerprints["4242424242424242"] {
			t.Fatalf("fingerprints: %v %s %s", fingerprints, again.Card.Fingerprint, other.Card.Fingerprint)
		}

		// Neither the rendered row nor its private state holds a number.
		err = st.View(ctx, func(tx store.Tx) error {
			page, err := tx.List(ctx, paymentmethod.Table, store.ListQuery{Account: srv.Accounts[0].Account, Limit: 100})
			if err != nil {
				return err
			}
			if len(page.Records) != len(cases)+1 {
				t.Errorf("%d rows", len(page.Records))
			}
			for _, r := range page.Records {
				for _, tc := range cases {
					if bytes.Contains(r.Data, []byte(tc.number)) || bytes.Contains(r.Private, []byte(tc.number)) {
						t.Errorf("row %s holds %s", r.ID, tc.number)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if e.Name != "sqlite" {
			return
		}
		// Nor does any byte of the database, its WAL included.
		srv.Close()
		st.Close()
		files, _ := filepath.Glob(path + "*")
		if len(files) == 0 {
			t.Fatal("no database files")
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range cases {
				if bytes.Contains(b, []byte(tc.number)) {
					t.Errorf("%s contains card number %s", filepath.Base(f), tc.number)
				}
			}
		}
	})
}

func TestPaymentMethods_DeclineCardsCreateButDoNotAttach(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		cus := newCustomer(t, sc)
		for _, tc := range []struct{ number, code, decline string }{
			{"4000000000000002", "card_declined", "generic_decline"},
			{"4000000000009995", "card_declined", "insufficient_funds"},
			{"4000000000009987", "card_declined", "lost_card"},
			{"4000000000009979", "card_declined", "stolen_card"},
			{"4000000000000069", "expired_card", "expired_card"},
			{"4000000000000127", "incorrect_cvc", "incorrect_cvc"},
			{"4000000000000119", "processing_error", "processing_error"},
		} {
			pm, err := sc.V1PaymentMethods.Create(ctx, cardParams(tc.number, "314"))
			if err != nil {
				t.Fatalf("%s: create: %v", tc.number, err)
			}
			if pm.Card.Last4 != tc.number[12:] {
				t.Fatalf("%s: %+v", tc.number, pm.Card)
			}
			_, err = sc.V1PaymentMethods.Attach(ctx, pm.ID, &stripe.PaymentMethodAttachParams{Customer: stripe.String(cus)})
			se := stripeErr(t, err, 402, "card_error", tc.code, "")
			if se.DeclineCode != stripe.DeclineCode(tc.decline) || se.Msg == "" {
				t.Fatalf("%s: %+v", tc.number, se)
			}
			got, err := sc.V1PaymentMethods.Retrieve(ctx, pm.ID, nil)
			if err != nil || got.Customer != nil {
				t.Fatalf("%s: declined card was attached: %+v %v", tc.number, got, err)
			}
		}
		// Attaching 4000 0000 0000 0341 succeeds; charging it fails later.
		pm, err := sc.V1PaymentMethods.Create(ctx, cardParams("4000000000000341", "314"))
		if err != nil {
			t.Fatal(err)
		}
		pm, err = sc.V1PaymentMethods.Attach(ctx, pm.ID, &stripe.PaymentMethodAttachParams{Customer: stripe.String(cus)})
		if err != nil || pm.Customer == nil || pm.Customer.ID != cus || pm.Card.Checks.CVCCheck != "pass" {
			t.Fatalf("0341 attach: %+v %v", pm, err)
		}
		// The CVC-check card attaches with a failed check.
		pm, _ = sc.V1PaymentMethods.Create(ctx, cardParams("4000000000000101", "314"))
		pm, err = sc.V1PaymentMethods.Attach(ctx, pm.ID, &stripe.PaymentMethodAttachParams{Customer: stripe.String(cus)})
		if err != nil || pm.Card.Checks.CVCCheck != "fail" {
			t.Fatalf("0101 attach: %+v %v", pm, err)
		}
		// A declining test id fails the same way.
		_, err = sc.V1PaymentMethods.Attach(ctx, "pm_card_chargeDeclinedInsufficientFunds", &stripe.PaymentMethodAttachParams{Customer: stripe.String(cus)})
		stripeErr(t, err, 402, "card_error", "card_declined", "")
		if n := len(pmEvents(t, sc, "payment_method.attached")); n != 2 {
			t.Fatalf("%d attached events, want 2", n)
		}
	})
}

func TestPaymentMethods_InvalidCardData(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sk := srv.Accounts[0].Secret
		y := strconv.FormatInt(pmExpYear, 10)
		card := func(number, month, year, cvc string) string {
			v := url.Values{"type": {"card"}, "card[number]": {number}, "card[exp_month]": {month}, "card[exp_year]": {year}}
			if cvc != "" {
				v.Set("card[cvc]", cvc)
			}
			return v.Encode()
		}
		cases := []struct {
			body         string
			status       int
			typ          string
			code, param  string
			messageStart string
		}{
			{card("4242424242424241", "8", y, "314"), 402, "card_error", "incorrect_number", "card[number]", "Your card number is incorrect."},
			{card("42424242424242", "8", y, ""), 402, "card_error", "invalid_number", "card[number]", "Your card number is invalid."},
			{card("4242abcd42424242", "8", y, ""), 402, "card_error", "invalid_number", "card[number]", "Your card number is invalid."},
			{card("4242424242424242", "13", y, ""), 402, "card_error", "invalid_expiry_month", "card[exp_month]", "Your card's expiration month is invalid."},
			{card("4242424242424242", "0", y, ""), 402, "card_error", "invalid_expiry_month", "card[exp_month]", "Your card's expiration month is invalid."},
			{card("4242424242424242", "8", "95", ""), 402, "card_error", "invalid_expiry_year", "card[exp_year]", "Your card's expiration year is invalid."},
			{card("4242424242424242", "8", strconv.Itoa(time.Now().Year()-1), ""), 402, "card_error", "invalid_expiry_year", "card[exp_year]", "Your card's expiration year is invalid."},
			{card("4242424242424242", "8", y, "99"), 402, "card_error", "invalid_cvc", "card[cvc]", "Your card's security code is invalid."},
			{card("4242424242424242", "8", y, "12a"), 402, "card_error", "invalid_cvc", "card[cvc]", "Your card's security code is invalid."},
			{"type=card&card[number]=4242424242424242&card[exp_month]=8", 400, "invalid_request_error", "parameter_missing", "card[exp_year]", "Missing required param"},
			{"type=card", 400, "invalid_request_error", "parameter_missing", "card", "Missing required param"},
			{"card[number]=4242424242424242&card[exp_month]=8&card[exp_year]=" + y, 400, "invalid_request_error", "parameter_missing", "type", "Missing required param"},
			{"type=ideal&ideal[bank]=abn_amro", 400, "invalid_request_error", "", "type", "PaymentMethods of type ideal are not supported"},
			{"type=amazon_pay&card[number]=4242424242424242&card[exp_month]=8&card[exp_year]=" + y, 400, "invalid_request_error", "", "card", "You passed card"},
			{"type=card&card[token]=tok_nope", 400, "invalid_request_error", "resource_missing", "card[token]", "No such token: 'tok_nope'"},
			{"type=amazon_pay&customer=cus_x&payment_method=pm_x", 400, "invalid_request_error", "", "customer", "Cloning"},
			{"type=card&card[numbr]=4242424242424242", 400, "invalid_request_error", "parameter_unknown", "card[numbr]", "Received unknown parameter"},
			{"type=sepa_debit&sepa_debit[iban]=DE89370400440532013000&billing_details[email]=j@example.com", 400, "invalid_request_error", "", "billing_details[name]", "The payment method `sepa_debit` requires the parameter: billing_details[name]."},
			{"type=sepa_debit&sepa_debit[iban]=DE89370400440532013001&billing_details[email]=j@example.com&billing_details[name]=J", 400, "invalid_request_error", "invalid_bank_account_iban", "sepa_debit[iban]", "The IBAN you provided is invalid."},
			{"type=us_bank_account&us_bank_account[routing_number]=110000001&us_bank_account[account_number]=000123456789&billing_details[name]=J", 400, "invalid_request_error", "routing_number_invalid", "us_bank_account[routing_number]", "The routing number"},
			{"type=us_bank_account&us_bank_account[routing_number]=110000000&us_bank_account[account_number]=12&billing_details[name]=J", 400, "invalid_request_error", "account_number_invalid", "us_bank_account[account_number]", "The account number"},
			{"type=us_bank_account&us_bank_account[routing_number]=110000000&billing_details[name]=J", 400, "invalid_request_error", "parameter_missing", "us_bank_account[account_number]", "Missing required param"},
			{"type=us_bank_account&us_bank_account[financial_connections_account]=fca_1&billing_details[name]=J", 400, "invalid_request_error", "", "us_bank_account[financial_connections_account]", "Financial Connections"},
		}
		for _, tc := range cases {
			r := srv.Do("POST", "/v1/payment_methods", sk, tc.body)
			got := apiError(t, r)
			if r.Status != tc.status || got.Type != tc.typ || got.Code != tc.code || got.Param != tc.param ||
				!strings.HasPrefix(got.Message, tc.messageStart) {
				t.Errorf("%s: got %d %+v, want %d %s %s %s %q", tc.body, r.Status, got, tc.status, tc.typ, tc.code, tc.param, tc.messageStart)
			}
			if strings.Contains(r.Body, "4242424242424242") || strings.Contains(r.Body, "000123456789") {
				t.Errorf("error echoes account data: %s", r.Body)
			}
		}
		// Nothing was created by any of them.
		for pm, err := range srv.Client(0).V1PaymentMethods.List(ctx, &stripe.PaymentMethodListParams{}).All(ctx) {
			t.Fatalf("created despite errors: %v %v", pm, err)
		}
	})
}

func TestPaymentMethods_TestIDsMaterializeFreshMethods(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		cus := newCustomer(t, sc)
		attach := func(id string) *stripe.PaymentMethod {
			t.Helper()
			pm, err := sc.V1PaymentMethods.Attach(ctx, id, &stripe.PaymentMethodAttachParams{Customer: stripe.String(cus)})
			if err != nil {
				t.Fatalf("attach %s: %v", id, err)
			}
			return pm
		}
		a, b := attach("pm_card_visa"), attach("pm_card_visa")
		if a.ID == b.ID || a.ID == "pm_card_visa" || !strings.HasPrefix(a.ID, "pm_") || a.Card.Last4 != "4242" ||
			a.Card.Fingerprint != b.Card.Fingerprint || a.Customer.ID != cus {
			t.Fatalf("pm_card_visa twice: %+v %+v", a, b)
		}
		for id, want := range map[string]string{
			"tok_visa": "4242", "pm_card_mastercard": "4444", "pm_card_amex": "0005", "pm_card_visa_debit": "5556",
			"pm_card_discover": "1117", "tok_mastercard": "4444", "pm_card_authenticationRequired": "3184",
			"pm_card_threeDSecure2Required": "3220",
		} {
			if pm := attach(id); pm.Card.Last4 != want || pm.ID == id {
				t.Fatalf("%s: %+v", id, pm.Card)
			}
		}
		amex := attach("pm_card_amex")
		if amex.Card.ThreeDSecureUsage.Supported || amex.Card.Brand != "amex" {
			t.Fatalf("amex: %+v", amex.Card)
		}
		// A token also works as card[token] on create.
		pm, err := sc.V1PaymentMethods.Create(ctx, &stripe.PaymentMethodCreateParams{
			Type: stripe.String("card"), Card: &stripe.PaymentMethodCreateCardParams{Token: stripe.String("tok_mastercard")},
		})
		if err != nil || pm.Card.Brand != "mastercard" || pm.Card.Last4 != "4444" {
			t.Fatalf("card[token]: %+v %v", pm, err)
		}
		// Bank test ids too.
		ach := attach("pm_usBankAccount_success")
		sepa := attach("pm_success_de")
		if ach.Type != "us_bank_account" || ach.USBankAccount.Last4 != "6789" || sepa.Type != "sepa_debit" || sepa.SEPADebit.Last4 != "3000" {
			t.Fatalf("bank test ids: %+v %+v", ach.USBankAccount, sepa.SEPADebit)
		}
		// A retrieve does not materialize; unknown ids are missing.
		_, err = sc.V1PaymentMethods.Retrieve(ctx, "pm_card_visa", nil)
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "payment_method")
		_, err = sc.V1PaymentMethods.Attach(ctx, "pm_card_nope", &stripe.PaymentMethodAttachParams{Customer: stripe.String(cus)})
		se := stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "payment_method")
		if se.Msg != "No such PaymentMethod: 'pm_card_nope'" {
			t.Fatalf("message %q", se.Msg)
		}
	})
}

func TestPaymentMethods_AttachDetachAndList(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		sk := srv.Accounts[0].Secret
		cus, other := newCustomer(t, sc), newCustomer(t, sc)
		attachParams := func(c string) *stripe.PaymentMethodAttachParams {
			return &stripe.PaymentMethodAttachParams{Customer: stripe.String(c)}
		}
		p := cardParams("4242424242424242", "314")
		p.BillingDetails = &stripe.PaymentMethodCreateBillingDetailsParams{
			Name: stripe.String("Jenny Rosen"), Email: stripe.String("jenny.rosen@example.com"),
			Address: &stripe.AddressParams{Line1: stripe.String("1 Main St"), PostalCode: stripe.String("94103"), Country: stripe.String("US")},
		}
		visa, err := sc.V1PaymentMethods.Create(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if visa.Card.Checks.AddressLine1Check != "unchecked" || visa.Card.Checks.AddressPostalCodeCheck != "unchecked" {
			t.Fatalf("checks before attach: %+v", visa.Card.Checks)
		}
		mc, _ := sc.V1PaymentMethods.Create(ctx, cardParams("5555555555554444", ""))
		sepa, err := sc.V1PaymentMethods.Create(ctx, &stripe.PaymentMethodCreateParams{
			Type: stripe.String("sepa_debit"), SEPADebit: &stripe.PaymentMethodCreateSEPADebitParams{IBAN: stripe.String("DE89370400440532013000")},
			BillingDetails: &stripe.PaymentMethodCreateBillingDetailsParams{Name: stripe.String("Jenny Rosen"), Email: stripe.String("jenny@example.com")},
		})
		if err != nil {
			t.Fatal(err)
		}
		loose, _ := sc.V1PaymentMethods.Create(ctx, cardParams("6011111111111117", ""))

		got, err := sc.V1PaymentMethods.Attach(ctx, visa.ID, attachParams(cus))
		if err != nil || got.Customer == nil || got.Customer.ID != cus || got.Card.Checks.AddressLine1Check != "pass" ||
			got.Card.Checks.AddressPostalCodeCheck != "pass" || got.Card.Checks.CVCCheck != "pass" {
			t.Fatalf("attach: %+v %v", got, err)
		}
		for _, id := range []string{mc.ID, sepa.ID} {
			if _, err := sc.V1PaymentMethods.Attach(ctx, id, attachParams(cus)); err != nil {
				t.Fatal(err)
			}
		}
		// Attaching again to the same customer changes nothing; to another
		// customer it is refused.
		if _, err := sc.V1PaymentMethods.Attach(ctx, visa.ID, attachParams(cus)); err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1PaymentMethods.Attach(ctx, visa.ID, attachParams(other))
		if se := stripeErr(t, err, 400, "invalid_request_error", "", ""); se.Msg != "The payment method you provided has already been attached to a customer." {
			t.Fatalf("message %q", se.Msg)
		}
		_, err = sc.V1PaymentMethods.Attach(ctx, mc.ID, &stripe.PaymentMethodAttachParams{})
		stripeErr(t, err, 400, "invalid_request_error", "parameter_missing", "customer")
		_, err = sc.V1PaymentMethods.Attach(ctx, loose.ID, attachParams("cus_nope"))
		stripeErr(t, err, 400, "invalid_request_error", "resource_missing", "customer")
		if n := len(pmEvents(t, sc, "payment_method.attached")); n != 3 {
			t.Fatalf("%d attached events, want 3", n)
		}
		// expand[]=customer works on a method.
		r := srv.Do("GET", "/v1/payment_methods/"+visa.ID+"?expand[]=customer", sk, "")
		if r.Status != 200 || !strings.Contains(r.Body, `"customer":{`) || !strings.Contains(r.Body, `"id":"`+cus+`"`) {
			t.Fatalf("expand customer: %d %s", r.Status, r.Body)
		}

		ids := func(it func(yield func(*stripe.PaymentMethod, error) bool)) []string {
			t.Helper()
			var out []string
			for pm, err := range it {
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, pm.ID)
			}
			return out
		}
		custList := func(typ string) []string {
			lp := &stripe.CustomerListPaymentMethodsParams{Customer: stripe.String(cus)}
			if typ != "" {
				lp.Type = stripe.String(typ)
			}
			return ids(sc.V1Customers.ListPaymentMethods(ctx, lp).All(ctx))
		}
		if got := custList(""); strings.Join(got, ",") != strings.Join([]string{sepa.ID, mc.ID, visa.ID}, ",") {
			t.Fatalf("customer list: %v", got)
		}
		if got := custList("card"); strings.Join(got, ",") != mc.ID+","+visa.ID {
			t.Fatalf("type=card: %v", got)
		}
		if got := custList("sepa_debit"); len(got) != 1 || got[0] != sepa.ID {
			t.Fatalf("type=sepa_debit: %v", got)
		}
		if got := custList("ideal"); len(got) != 0 {
			t.Fatalf("type=ideal: %v", got)
		}
		if got := ids(sc.V1PaymentMethods.List(ctx, &stripe.PaymentMethodListParams{Customer: stripe.String(cus), Type: stripe.String("card")}).All(ctx)); len(got) != 2 {
			t.Fatalf("/v1/payment_methods?customer&type: %v", got)
		}
		if got := ids(sc.V1PaymentMethods.List(ctx, &stripe.PaymentMethodListParams{}).All(ctx)); len(got) != 4 {
			t.Fatalf("all methods: %v", got)
		}
		if got := ids(sc.V1Customers.ListPaymentMethods(ctx, &stripe.CustomerListPaymentMethodsParams{Customer: stripe.String(other)}).All(ctx)); len(got) != 0 {
			t.Fatalf("other customer's list: %v", got)
		}
		r = srv.Do("GET", "/v1/customers/cus_nope/payment_methods", sk, "")
		if r.Status != 404 || apiError(t, r).Param != "customer" {
			t.Fatalf("unknown customer: %d %s", r.Status, r.Body)
		}
		r = srv.Do("GET", "/v1/payment_methods?customer=cus_nope", sk, "")
		if r.Status != 400 || apiError(t, r).Param != "customer" {
			t.Fatalf("unknown customer filter: %d %s", r.Status, r.Body)
		}

		// Retrieving through the customer answers only for its own methods.
		pm, err := sc.V1Customers.RetrievePaymentMethod(ctx, visa.ID, &stripe.CustomerRetrievePaymentMethodParams{Customer: stripe.String(cus)})
		if err != nil || pm.ID != visa.ID {
			t.Fatalf("customer retrieve: %+v %v", pm, err)
		}
		for _, tc := range []struct{ cus, pm string }{{other, visa.ID}, {cus, loose.ID}, {cus, "pm_nope"}} {
			r := srv.Do("GET", "/v1/customers/"+tc.cus+"/payment_methods/"+tc.pm, sk, "")
			if r.Status != 404 || apiError(t, r).Param != "payment_method" {
				t.Fatalf("%s of %s: %d %s", tc.pm, tc.cus, r.Status, r.Body)
			}
		}

		// Detach: an event with the customer it left, then never again.
		d, err := sc.V1PaymentMethods.Detach(ctx, mc.ID, nil)
		if err != nil || d.Customer != nil {
			t.Fatalf("detach: %+v %v", d, err)
		}
		evs := pmEvents(t, sc, "payment_method.detached")
		if len(evs) != 1 || evs[0].Data.Object["id"] != mc.ID || evs[0].Data.PreviousAttributes["customer"] != cus {
			t.Fatalf("detached events: %+v", evs)
		}
		_, err = sc.V1PaymentMethods.Detach(ctx, mc.ID, nil)
		if se := stripeErr(t, err, 400, "invalid_request_error", "", ""); !strings.Contains(se.Msg, "not attached to a customer") {
			t.Fatalf("detach twice: %q", se.Msg)
		}
		_, err = sc.V1PaymentMethods.Attach(ctx, mc.ID, attachParams(cus))
		if se := stripeErr(t, err, 400, "invalid_request_error", "", ""); !strings.Contains(se.Msg, "may not be used again") {
			t.Fatalf("reattach: %q", se.Msg)
		}
		if got := custList(""); len(got) != 2 {
			t.Fatalf("after detach: %v", got)
		}
	})
}

func TestPaymentMethods_ListAllowRedisplayPagesThroughFilter(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		sk := srv.Accounts[0].Secret
		cus := newCustomer(t, sc)
		var always []string // newest first
		for i := 0; i < 13; i++ {
			p := cardParams("4242424242424242", "")
			if i%3 == 0 {
				p.AllowRedisplay = stripe.String("always")
			}
			pm, err := sc.V1PaymentMethods.Create(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sc.V1PaymentMethods.Attach(ctx, pm.ID, &stripe.PaymentMethodAttachParams{Customer: stripe.String(cus)}); err != nil {
				t.Fatal(err)
			}
			if i%3 == 0 {
				always = append([]string{pm.ID}, always...)
			}
		}
		lp := &stripe.CustomerListPaymentMethodsParams{Customer: stripe.String(cus), AllowRedisplay: stripe.String("always")}
		lp.Limit = stripe.Int64(2)
		var got []string
		for pm, err := range sc.V1Customers.ListPaymentMethods(ctx, lp).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if pm.AllowRedisplay != "always" {
				t.Fatalf("filter let through %s", pm.AllowRedisplay)
			}
			got = append(got, pm.ID)
		}
		if strings.Join(got, ",") != strings.Join(always, ",") {
			t.Fatalf("paged: %v, want %v", got, always)
		}
		// Backwards from the oldest match: the two just newer than it.
		r := srv.Do("GET", "/v1/customers/"+cus+"/payment_methods?allow_redisplay=always&limit=2&ending_before="+always[4], sk, "")
		var page struct {
			Data    []struct{ ID string }
			HasMore bool `json:"has_more"`
		}
		json.Unmarshal([]byte(r.Body), &page)
		if r.Status != 200 || len(page.Data) != 2 || page.Data[0].ID != always[2] || page.Data[1].ID != always[3] || !page.HasMore {
			t.Fatalf("ending_before: %s", r.Body)
		}
		r = srv.Do("GET", "/v1/payment_methods?allow_redisplay=limited", sk, "")
		if r.Status != 200 || !strings.Contains(r.Body, `"data":[]`) {
			t.Fatalf("limited: %s", r.Body)
		}
		r = srv.Do("GET", "/v1/payment_methods?allow_redisplay=always&starting_after=pm_nope", sk, "")
		if r.Status != 400 || apiError(t, r).Param != "starting_after" {
			t.Fatalf("bad cursor: %d %s", r.Status, r.Body)
		}
	})
}

func TestPaymentMethods_Update(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		cus := newCustomer(t, sc)
		p := cardParams("4242424242424242", "")
		p.BillingDetails = &stripe.PaymentMethodCreateBillingDetailsParams{
			Name:    stripe.String("Jenny Rosen"),
			Address: &stripe.AddressParams{Line1: stripe.String("1 Main St"), City: stripe.String("Berlin")},
		}
		p.Metadata = map[string]string{"order": "6735", "tier": "gold"}
		pm, err := sc.V1PaymentMethods.Create(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		// Stripe updates only methods saved to a customer.
		_, err = sc.V1PaymentMethods.Update(ctx, pm.ID, &stripe.PaymentMethodUpdateParams{Metadata: map[string]string{"a": "b"}})
		stripeErr(t, err, 400, "invalid_request_error", "", "")
		if _, err := sc.V1PaymentMethods.Attach(ctx, pm.ID, &stripe.PaymentMethodAttachParams{Customer: stripe.String(cus)}); err != nil {
			t.Fatal(err)
		}
		up := &stripe.PaymentMethodUpdateParams{
			BillingDetails: &stripe.PaymentMethodUpdateBillingDetailsParams{
				Email:   stripe.String("jenny@example.com"),
				Address: &stripe.AddressParams{PostalCode: stripe.String("10115")},
			},
			Card:           &stripe.PaymentMethodUpdateCardParams{ExpMonth: stripe.Int64(3), ExpYear: stripe.Int64(pmExpYear + 1)},
			AllowRedisplay: stripe.String("always"),
		}
		up.AddMetadata("tier", "")
		up.AddMetadata("new", "yes")
		got, err := sc.V1PaymentMethods.Update(ctx, pm.ID, up)
		if err != nil {
			t.Fatal(err)
		}
		bd := got.BillingDetails
		if bd.Name != "Jenny Rosen" || bd.Email != "jenny@example.com" || bd.Address.Line1 != "1 Main St" ||
			bd.Address.City != "Berlin" || bd.Address.PostalCode != "10115" || got.Card.ExpMonth != 3 ||
			got.Card.ExpYear != pmExpYear+1 || got.AllowRedisplay != "always" || got.Metadata["order"] != "6735" ||
			got.Metadata["new"] != "yes" || len(got.Metadata) != 2 {
			t.Fatalf("updated: %+v %+v", got, bd)
		}
		evs := pmEvents(t, sc, "payment_method.updated")
		if len(evs) != 1 {
			t.Fatalf("%d updated events", len(evs))
		}
		prev := evs[0].Data.PreviousAttributes
		md, _ := prev["metadata"].(map[string]any)
		pbd, _ := prev["billing_details"].(map[string]any)
		if prev["allow_redisplay"] != "unspecified" || md["tier"] != "gold" || md["new"] != nil || pbd["email"] != nil ||
			prev["card"] == nil || evs[0].Data.Object["allow_redisplay"] != "always" {
			t.Fatalf("previous_attributes: %+v", prev)
		}
		// An update that changes nothing records nothing.
		if _, err := sc.V1PaymentMethods.Update(ctx, pm.ID, &stripe.PaymentMethodUpdateParams{AllowRedisplay: stripe.String("always")}); err != nil {
			t.Fatal(err)
		}
		if n := len(pmEvents(t, sc, "payment_method.updated")); n != 1 {
			t.Fatalf("%d updated events after a no-op", n)
		}
		// address="" clears the address; bad expiry is a card error.
		r := srv.Do("POST", "/v1/payment_methods/"+pm.ID, srv.Accounts[0].Secret, "billing_details[address]=")
		if r.Status != 200 || !strings.Contains(r.Body, `"address":{"city":null,"country":null,"line1":null`) {
			t.Fatalf("clear address: %s", r.Body)
		}
		_, err = sc.V1PaymentMethods.Update(ctx, pm.ID, &stripe.PaymentMethodUpdateParams{Card: &stripe.PaymentMethodUpdateCardParams{ExpMonth: stripe.Int64(13)}})
		stripeErr(t, err, 402, "card_error", "invalid_expiry_month", "card[exp_month]")
		_, err = sc.V1PaymentMethods.Update(ctx, pm.ID, &stripe.PaymentMethodUpdateParams{
			USBankAccount: &stripe.PaymentMethodUpdateUSBankAccountParams{AccountType: stripe.String("savings")}})
		stripeErr(t, err, 400, "invalid_request_error", "", "us_bank_account")
		_, err = sc.V1PaymentMethods.Update(ctx, "pm_nope", &stripe.PaymentMethodUpdateParams{})
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "payment_method")
	})
}

func TestPaymentMethods_Isolation(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		mine, theirs := srv.Client(0), srv.Client(1)
		pm, err := mine.V1PaymentMethods.Create(ctx, cardParams("4242424242424242", ""))
		if err != nil {
			t.Fatal(err)
		}
		myCus, theirCus := newCustomer(t, mine), newCustomer(t, theirs)
		_, err = theirs.V1PaymentMethods.Retrieve(ctx, pm.ID, nil)
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "payment_method")
		_, err = theirs.V1PaymentMethods.Attach(ctx, pm.ID, &stripe.PaymentMethodAttachParams{Customer: stripe.String(theirCus)})
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "payment_method")
		_, err = mine.V1PaymentMethods.Attach(ctx, pm.ID, &stripe.PaymentMethodAttachParams{Customer: stripe.String(theirCus)})
		stripeErr(t, err, 400, "invalid_request_error", "resource_missing", "customer")
		if _, err := mine.V1PaymentMethods.Attach(ctx, pm.ID, &stripe.PaymentMethodAttachParams{Customer: stripe.String(myCus)}); err != nil {
			t.Fatal(err)
		}
		_, err = theirs.V1PaymentMethods.Detach(ctx, pm.ID, nil)
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "payment_method")
		_, err = theirs.V1PaymentMethods.Update(ctx, pm.ID, &stripe.PaymentMethodUpdateParams{Metadata: map[string]string{"x": "y"}})
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "payment_method")
		for got, err := range theirs.V1PaymentMethods.List(ctx, &stripe.PaymentMethodListParams{}).All(ctx) {
			t.Fatalf("other account lists %v %v", got, err)
		}
		r := srv.Do("GET", "/v1/customers/"+theirCus+"/payment_methods/"+pm.ID, srv.Accounts[1].Secret, "")
		if r.Status != 404 {
			t.Fatalf("cross-account customer retrieve: %d %s", r.Status, r.Body)
		}
	})
}

func TestPaymentMethods_PublishableKeyCreatesOnly(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		pk := srv.ClientKey(srv.Accounts[0].Publishable)
		pm, err := pk.V1PaymentMethods.Create(ctx, cardParams("4242424242424242", "314"))
		if err != nil {
			t.Fatal(err)
		}
		// The secret key sees what the publishable key created.
		if _, err := srv.Client(0).V1PaymentMethods.Retrieve(ctx, pm.ID, nil); err != nil {
			t.Fatal(err)
		}
		_, err = pk.V1PaymentMethods.Retrieve(ctx, pm.ID, nil)
		stripeErr(t, err, 403, "invalid_request_error", "secret_key_required", "")
		for _, err := range pk.V1PaymentMethods.List(ctx, &stripe.PaymentMethodListParams{}).All(ctx) {
			stripeErr(t, err, 403, "invalid_request_error", "secret_key_required", "")
		}
		_, err = pk.V1PaymentMethods.Attach(ctx, pm.ID, &stripe.PaymentMethodAttachParams{Customer: stripe.String("cus_x")})
		stripeErr(t, err, 403, "invalid_request_error", "secret_key_required", "")
		_, err = pk.V1PaymentMethods.Detach(ctx, pm.ID, nil)
		stripeErr(t, err, 403, "invalid_request_error", "secret_key_required", "")
	})
}

func TestPaymentMethods_WalletAndBankDebits(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		st, _ := e.Open(t)
		srv := paydtest.Start(t, st)
		sc := srv.Client(0)
		sk := srv.Accounts[0].Secret

		amazon, err := sc.V1PaymentMethods.Create(ctx, &stripe.PaymentMethodCreateParams{
			Type: stripe.String("amazon_pay"), AmazonPay: &stripe.PaymentMethodCreateAmazonPayParams{},
		})
		if err != nil || amazon.Type != "amazon_pay" || amazon.AmazonPay == nil || amazon.Card != nil {
			t.Fatalf("amazon_pay: %+v %v", amazon, err)
		}
		// The amazon_pay hash is optional.
		if r := srv.Do("POST", "/v1/payment_methods", sk, "type=amazon_pay"); r.Status != 200 || !strings.Contains(r.Body, `"amazon_pay":{}`) {
			t.Fatalf("amazon_pay without hash: %d %s", r.Status, r.Body)
		}

		sepa, err := sc.V1PaymentMethods.Create(ctx, &stripe.PaymentMethodCreateParams{
			Type:      stripe.String("sepa_debit"),
			SEPADebit: &stripe.PaymentMethodCreateSEPADebitParams{IBAN: stripe.String("DE89 3704 0044 0532 0130 00")},
			BillingDetails: &stripe.PaymentMethodCreateBillingDetailsParams{
				Name: stripe.String("Jenny Rosen"), Email: stripe.String("jenny.rosen@example.com"),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		sd := sepa.SEPADebit
		if sd == nil || sd.BankCode != "37040044" || sd.Country != "DE" || sd.Last4 != "3000" || sd.Fingerprint == "" ||
			sepa.BillingDetails.Name != "Jenny Rosen" {
			t.Fatalf("sepa_debit: %+v", sd)
		}
		fr, err := sc.V1PaymentMethods.Create(ctx, &stripe.PaymentMethodCreateParams{
			Type:      stripe.String("sepa_debit"),
			SEPADebit: &stripe.PaymentMethodCreateSEPADebitParams{IBAN: stripe.String("FR1420041010050500013M02606")},
			BillingDetails: &stripe.PaymentMethodCreateBillingDetailsParams{
				Name: stripe.String("Jenny Rosen"), Email: stripe.String("jenny.rosen@example.com"),
			},
		})
		if err != nil || fr.SEPADebit.BankCode != "20041" || fr.SEPADebit.BranchCode != "01005" || fr.SEPADebit.Last4 != "2606" {
			t.Fatalf("FR sepa: %+v %v", fr.SEPADebit, err)
		}

		ach, err := sc.V1PaymentMethods.Create(ctx, &stripe.PaymentMethodCreateParams{
			Type: stripe.String("us_bank_account"),
			USBankAccount: &stripe.PaymentMethodCreateUSBankAccountParams{
				RoutingNumber: stripe.String("110000000"), AccountNumber: stripe.String("000222222227"),
				AccountHolderType: stripe.String("individual"),
			},
			BillingDetails: &stripe.PaymentMethodCreateBillingDetailsParams{Name: stripe.String("Jenny Rosen")},
		})
		if err != nil {
			t.Fatal(err)
		}
		u := ach.USBankAccount
		if u == nil || u.RoutingNumber != "110000000" || u.Last4 != "2227" || u.BankName != "STRIPE TEST BANK" ||
			u.AccountType != "checking" || u.AccountHolderType != "individual" || u.Fingerprint == "" {
			t.Fatalf("us_bank_account: %+v", u)
		}
		for _, id := range []string{sepa.ID, fr.ID, ach.ID} {
			r := srv.Do("GET", "/v1/payment_methods/"+id, sk, "")
			if r.Status != 200 || strings.Contains(r.Body, "370400440532013000") || strings.Contains(r.Body, "000222222227") ||
				strings.Contains(r.Body, "0500013M02606") {
				t.Fatalf("account number rendered: %s", r.Body)
			}
		}
		// Types payd does not support are refused with a clear message.
		r := srv.Do("POST", "/v1/payment_methods", sk, "type=klarna")
		if r.Status != 400 || apiError(t, r).Param != "type" || !strings.Contains(r.Body, "supports amazon_pay, card, sepa_debit, us_bank_account") {
			t.Fatalf("klarna: %d %s", r.Status, r.Body)
		}
	})
}
