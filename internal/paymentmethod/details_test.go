package paymentmethod

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/testutil/specvalidate"
)

// build makes a method from create parameters without storing it.
func build(t *testing.T, p param.Map) *PaymentMethod {
	t.Helper()
	s := &Service{Now: time.Now}
	b := builder{s: s, account: "acct_test", p: p, now: s.Now()}
	pm, err := b.build()
	if err != nil {
		t.Fatal(err)
	}
	return pm
}

// Charges render what ChargeDetails returns as payment_method_details, so
// every type's details must match Stripe's schema for it, with and without
// 3-D Secure and a mandate.
func TestChargeDetails_MatchSpec(t *testing.T) {
	year := int64(time.Now().Year() + 2)
	card := func(number string) param.Map {
		return param.Map{"type": "card", "card": map[string]any{
			"number": number, "exp_month": int64(4), "exp_year": year, "cvc": "314"},
			"billing_details": map[string]any{"address": map[string]any{"line1": "1 Main St", "postal_code": "94103"}}}
	}
	methods := map[string]*PaymentMethod{
		"visa":       build(t, card("4242424242424242")),
		"threeDS1":   build(t, card("4000000000003063")),
		"amex":       build(t, card("378282246310005")),
		"amazon_pay": build(t, param.Map{"type": "amazon_pay"}),
		"ach": build(t, param.Map{"type": "us_bank_account", "billing_details": map[string]any{"name": "J"},
			"us_bank_account": map[string]any{"routing_number": "110000000", "account_number": "000123456789"}}),
		"sepa": build(t, param.Map{"type": "sepa_debit", "billing_details": map[string]any{"name": "J", "email": "j@example.com"},
			"sepa_debit": map[string]any{"iban": "DE89370400440532013000"}}),
	}
	for name, pm := range methods {
		for _, threeDS := range []bool{false, true} {
			for _, mandate := range []string{"", "mandate_123"} {
				pm.priv.Mandate = mandate
				body, err := json.Marshal(pm.ChargeDetails(2000, threeDS && pm.Type == TypeCard))
				if err != nil {
					t.Fatal(err)
				}
				d := decodeDetails(t, body)
				if d["type"] != pm.Type || d[pm.Type] == nil {
					t.Fatalf("%s: %s", name, body)
				}
				// Keys come in the order encoding/json gives a map's
				// (sorted), at every level, as they always have.
				if sorted, _ := json.Marshal(d); string(sorted) != string(body) {
					t.Fatalf("%s: keys out of order:\n%s\nsorted:\n%s", name, body, sorted)
				}
				specvalidate.ValidateJSON(t, "payment_method_details", body)
			}
		}
		body, _ := json.Marshal(pm)
		specvalidate.ValidateJSON(t, "payment_method", body)
	}
	d := render(t, methods["threeDS1"].ChargeDetails(2000, true))["card"].(map[string]any)
	if tds := d["three_d_secure"].(map[string]any); tds["version"] != "1.0.2" || tds["result"] != "authenticated" {
		t.Fatalf("3DS1 details: %v", tds)
	}
	c := render(t, methods["visa"].ChargeDetails(2000, false))["card"].(map[string]any)
	checks := c["checks"].(map[string]any)
	if c["three_d_secure"] != nil || c["amount_authorized"] != float64(2000) || checks["cvc_check"] != "pass" ||
		checks["address_line1_check"] != "pass" || checks["address_postal_code_check"] != "pass" {
		t.Fatalf("visa details: %v", c)
	}
	ach := render(t, methods["ach"].ChargeDetails(2000, false))["us_bank_account"].(map[string]any)
	if ach["mandate"] != "mandate_123" {
		t.Fatalf("ach details without the mandate: %v", ach)
	}
}

// render is what a charge stores of d, read back.
func render(t *testing.T, d map[string]any) map[string]any {
	t.Helper()
	body, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return decodeDetails(t, body)
}

func decodeDetails(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return d
}

// The processor learns the behaviour recorded at creation, and what a
// completed setup adds to it.
func TestProcessorMethod(t *testing.T) {
	year := int64(time.Now().Year() + 2)
	pm := build(t, param.Map{"type": "card", "card": map[string]any{
		"number": "4000002500003155", "exp_month": int64(4), "exp_year": year}})
	m := pm.Processor()
	if m.Type != "card" || m.Behavior.ThreeDS != "unless_setup" || m.SetUpOffSession || m.Mandate || m.ID != pm.ID {
		t.Fatalf("%+v", m)
	}
	pm.priv.SetUpOffSession, pm.priv.Mandate = true, "mandate_1"
	if m := pm.Processor(); !m.SetUpOffSession || !m.Mandate {
		t.Fatalf("%+v", m)
	}
	sepa := build(t, param.Map{"type": "sepa_debit", "billing_details": map[string]any{"name": "J", "email": "j@example.com"},
		"sepa_debit": map[string]any{"iban": "DE62370400440532013001"}})
	if sepa.Processor().Behavior.SettleFailure != "insufficient_funds" {
		t.Fatalf("%+v", sepa.Processor())
	}
	ach := build(t, param.Map{"type": "us_bank_account", "billing_details": map[string]any{"name": "J"},
		"us_bank_account": map[string]any{"routing_number": "110000000", "account_number": "000111111113"}})
	if ach.Processor().Behavior.SettleFailure != "account_closed" {
		t.Fatalf("%+v", ach.Processor())
	}
}

// Errors under an intent's payment_method_data name the full parameter.
func TestCreate_ParamPrefix(t *testing.T) {
	s := &Service{Now: time.Now}
	for _, tc := range []struct {
		p     param.Map
		param string
	}{
		{param.Map{"type": "card", "card": map[string]any{"number": "4242424242424241", "exp_month": int64(1), "exp_year": int64(2099)}},
			"payment_method_data[card][number]"},
		{param.Map{"card": map[string]any{}}, "payment_method_data[type]"},
		{param.Map{"type": "sepa_debit", "sepa_debit": map[string]any{"iban": "DE89370400440532013000"}},
			"payment_method_data[billing_details][name]"},
		{param.Map{"type": "amazon_pay", "metadata": map[string]any{"k": 7}}, "payment_method_data[metadata][k]"},
		{param.Map{"type": "amazon_pay", "customer": "cus_1"}, "payment_method_data[customer]"},
	} {
		b := builder{s: s, account: "acct_test", p: tc.p, prefix: "payment_method_data", now: s.Now()}
		_, err := b.build()
		e, ok := errs.As(err)
		if !ok {
			t.Fatalf("%v: %v", tc.p, err)
		}
		if e.Param != tc.param {
			t.Errorf("%v: param %q, want %q (%v)", tc.p, e.Param, tc.param, e)
		}
	}
}
