package form

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/payd/payd/internal/errs"
)

const emptyMsg = "You passed an empty string for '%[1]s'. We assume empty values are an attempt to unset a parameter; however '%[1]s' cannot be unset. You should remove '%[1]s' from your request or supply a non-empty value."

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		op, in string
		want   map[string]any
	}{
		{"POST /v1/customers", ``, m{}},
		{"POST /v1/customers", `email=jenny%40example.com&name=Jenny+Rosen&balance=-100`,
			m{"email": "jenny@example.com", "name": "Jenny Rosen", "balance": int64(-100)}},
		{"POST /v1/customers", `metadata[k]=v&metadata[gone]=`, m{"metadata": m{"k": "v", "gone": ""}}},
		{"POST /v1/customers", `metadata[0]=a&metadata[1]=b`, m{"metadata": m{"0": "a", "1": "b"}}},
		{"POST /v1/customers", `metadata=`, m{"metadata": nil}},
		{"POST /v1/customers", `address=`, m{"address": nil}},
		{"POST /v1/customers", `address[line1]=1+Main&address[city]=SF`, m{"address": m{"line1": "1 Main", "city": "SF"}}},
		{"POST /v1/customers", `tax_exempt=`, m{"tax_exempt": nil}}, // "" is a member of the enum
		{"POST /v1/customers", `tax_exempt=reverse`, m{"tax_exempt": "reverse"}},
		{"POST /v1/customers", `invoice_settings[custom_fields][0][name]=PO&invoice_settings[custom_fields][0][value]=42`,
			m{"invoice_settings": m{"custom_fields": l{m{"name": "PO", "value": "42"}}}}},
		{"POST /v1/customers", `invoice_settings[custom_fields]=`, m{"invoice_settings": m{"custom_fields": nil}}},
		{"POST /v1/customers", `preferred_locales[]=en&preferred_locales[]=fr`, m{"preferred_locales": l{"en", "fr"}}},
		{"POST /v1/customers", `preferred_locales[1]=fr&preferred_locales[0]=en`, m{"preferred_locales": l{"en", "fr"}}},
		{"POST /v1/customers", `expand[0]=x`, m{"expand": l{"x"}}},
		{"POST /v1/customers", `expand[]=x&expand[]=y`, m{"expand": l{"x", "y"}}},
		{"POST /v1/customers", `tax_id_data[0][type]=eu_vat&tax_id_data[0][value]=DE123456789`,
			m{"tax_id_data": l{m{"type": "eu_vat", "value": "DE123456789"}}}},
		// description is a plain string in the spec; on update payd also
		// lets it be unset, as the live API does.
		{"POST /v1/customers/{customer}", `description=`, m{"description": nil}},
		{"POST /v1/customers/{customer}", `email=&name=&phone=`, m{"email": nil, "name": nil, "phone": nil}},
		{"POST /v1/customers/{customer}", `description=VIP`, m{"description": "VIP"}},
		{"GET /v1/customers", `limit=5&created[gte]=123`, m{"limit": int64(5), "created": m{"gte": int64(123)}}},
		{"GET /v1/customers", `created=123`, m{"created": int64(123)}},
		{"GET /v1/customers", `created[gt]=1&created[lte]=2&expand[]=data.tax`,
			m{"created": m{"gt": int64(1), "lte": int64(2)}, "expand": l{"data.tax"}}},
		{"GET /v1/customers/search", `query=email%3A%27a%40b.c%27&page=abc`, m{"query": "email:'a@b.c'", "page": "abc"}},
		{"DELETE /v1/customers/{customer}/subscriptions/{subscription_exposed_id}", `invoice_now=true&prorate=false`,
			m{"invoice_now": true, "prorate": false}},
		{"POST /v1/payment_intents", `amount=2000&currency=usd&automatic_payment_methods[enabled]=true&capture_method=manual`,
			m{"amount": int64(2000), "currency": "usd", "automatic_payment_methods": m{"enabled": true}, "capture_method": "manual"}},
		{"POST /v1/payment_intents", `amount=1&currency=usd&off_session=true`, m{"amount": int64(1), "currency": "usd", "off_session": true}},
		{"POST /v1/payment_intents", `amount=1&currency=usd&off_session=one_off`, m{"amount": int64(1), "currency": "usd", "off_session": "one_off"}},
		{"POST /v1/payment_intents/{intent}", `application_fee_amount=`, m{"application_fee_amount": nil}},
		// stripe-go writes floats with four decimals.
		{"POST /v1/products", `name=T&package_dimensions[height]=1.5000&package_dimensions[length]=2.0000&package_dimensions[weight]=3.2500&package_dimensions[width]=4`,
			m{"name": "T", "package_dimensions": m{"height": 1.5, "length": 2.0, "weight": 3.25, "width": 4.0}}},
		// Decimal strings keep every digit.
		{"POST /v1/prices", `currency=usd&product=prod_1&unit_amount_decimal=0.000000000001`,
			m{"currency": "usd", "product": "prod_1", "unit_amount_decimal": "0.000000000001"}},
		{"POST /v1/prices", `currency=usd&product=prod_1&currency_options[eur][unit_amount]=900`,
			m{"currency": "usd", "product": "prod_1", "currency_options": m{"eur": m{"unit_amount": int64(900)}}}},
		// x-stripeBypassValidation: values the enum or type does not list pass through.
		{"POST /v1/customers/{customer}/subscriptions", `billing_cycle_anchor=now`, m{"billing_cycle_anchor": "now"}},
		{"POST /v1/customers/{customer}/subscriptions", `billing_cycle_anchor=1700000000`, m{"billing_cycle_anchor": int64(1700000000)}},
		{"POST /v1/webhook_endpoints", `url=https%3A%2F%2Fx&enabled_events[0]=*&enabled_events[1]=customer.created`,
			m{"url": "https://x", "enabled_events": l{"*", "customer.created"}}},
		{"POST /v1/checkout/sessions", `mode=payment&line_items[0][price]=price_1&line_items[0][quantity]=2`,
			m{"mode": "payment", "line_items": l{m{"price": "price_1", "quantity": int64(2)}}}},
	}
	for _, tt := range tests {
		got, err := DecodeRequest(tt.in, tt.op)
		if err != nil {
			t.Errorf("%s %q: %v", tt.op, tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %q\n got  %#v\n want %#v", tt.op, tt.in, got, tt.want)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	long := strings.Repeat("a", 20) + strings.Repeat("b", 237)
	tests := []struct {
		op, in      string
		code, param string
		msg         string
	}{
		{"POST /v1/customers", `foo=bar`, "parameter_unknown", "foo", "Received unknown parameter: foo"},
		{"POST /v1/customers", `address[foo]=x`, "parameter_unknown", "address[foo]", "Received unknown parameter: address[foo]"},
		{"POST /v1/customers", `invoice_settings[custom_fields][0][nom]=x`, "parameter_unknown", "invoice_settings[custom_fields][0][nom]", "Received unknown parameter: invoice_settings[custom_fields][0][nom]"},
		{"POST /v1/customers", `address[line1]=x&address[foo]=y&bogus=1`, "parameter_unknown", "address[foo]", "Received unknown parameter: address[foo]"},
		{"POST /v1/customers", `bogus=1&address[foo]=y`, "parameter_unknown", "bogus", "Received unknown parameter: bogus"},
		// The first offending parameter in request order wins, even when it
		// sits in a hash first seen later, and a missing parameter ranks
		// after every present one.
		{"POST /v1/customers", `address[line1]=x&bogus=1&address[foo]=y`, "parameter_unknown", "bogus", "Received unknown parameter: bogus"},
		{"POST /v1/customers", `invoice_settings[custom_fields][1][nom]=x&invoice_settings[custom_fields][0][name]=n&invoice_settings[custom_fields][0][nom2]=y`,
			"parameter_unknown", "invoice_settings[custom_fields][1][nom]", "Received unknown parameter: invoice_settings[custom_fields][1][nom]"},
		{"POST /v1/customers", `invoice_settings[custom_fields][0][name]=n&bogus=1`, "parameter_unknown", "bogus", "Received unknown parameter: bogus"},
		{"POST /v1/customers", `invoice_settings[custom_fields][0][name]=n&tax_id_data[0][type]=eu_vat`,
			"parameter_missing", "invoice_settings[custom_fields][0][value]", "Missing required param: invoice_settings[custom_fields][0][value]."},
		{"POST /v1/customers", `a[b=1`, "parameter_unknown", "a[b", "Received unknown parameter: a[b"},
		{"POST /v1/customers", `balance=abc`, "parameter_invalid_integer", "balance", "Invalid integer: abc"},
		{"POST /v1/customers", `balance=10.99`, "parameter_invalid_integer", "balance", "Invalid integer: 10.99"},
		{"POST /v1/customers", `balance=1e6`, "parameter_invalid_integer", "balance", "Invalid integer: 1e6"},
		{"POST /v1/customers", `balance=%2B5`, "parameter_invalid_integer", "balance", "Invalid integer: +5"},
		{"POST /v1/customers", `balance=99999999999999999999`, "parameter_invalid_integer", "balance", "Invalid integer: 99999999999999999999"},
		{"POST /v1/customers", `balance[x]=1`, "parameter_invalid_integer", "balance", `Invalid integer: {"x"=>"1"}`},
		{"POST /v1/customers", `balance=`, "parameter_invalid_empty", "balance", fmtEmpty("balance")},
		{"POST /v1/customers", `description=`, "parameter_invalid_empty", "description", fmtEmpty("description")},
		{"POST /v1/customers", `address[line1]=`, "parameter_invalid_empty", "address[line1]", fmtEmpty("address[line1]")},
		{"POST /v1/customers", `invoice_settings[custom_fields][0][name]=n`, "parameter_missing", "invoice_settings[custom_fields][0][value]", "Missing required param: invoice_settings[custom_fields][0][value]."},
		{"POST /v1/customers", `tax_id_data[0][type]=eu_vat`, "parameter_missing", "tax_id_data[0][value]", "Missing required param: tax_id_data[0][value]."},
		{"POST /v1/customers", `tax_exempt=bogus`, "", "tax_exempt", "Invalid tax_exempt: must be one of exempt, none, or reverse"},
		{"POST /v1/customers", `cash_balance[settings][reconciliation_mode]=x`, "", "cash_balance[settings][reconciliation_mode]",
			"Invalid cash_balance[settings][reconciliation_mode]: must be one of automatic, manual, or merchant_default"},
		{"POST /v1/customers", `name=` + long, "", "name", "Invalid string: aaaaaaaaaa...bbbbbbbbbb; must be at most 256 characters"},
		{"POST /v1/customers", `address=foo`, "", "address", "Invalid object"},
		{"POST /v1/customers", `address[]=foo`, "", "address", "Invalid object"},
		{"POST /v1/customers", `metadata=foo`, "", "metadata", "Invalid object"},
		{"POST /v1/customers", `metadata[k][]=v`, "", "metadata", `Invalid value type: ["v"] must be a string`},
		{"POST /v1/customers", `email[a]=b`, "", "email", `Invalid string: {"a"=>"b"}`},
		{"POST /v1/customers", `email[]=b`, "", "email", `Invalid string: ["b"]`},
		{"POST /v1/customers", `expand=x`, "", "expand", "Invalid array"},
		{"POST /v1/customers", `expand[a]=x`, "", "expand", "Invalid array"},
		{"POST /v1/customers", `expand[10001]=x`, "", "expand[10001]", "Invalid array index in expand[10001]: indexes must be at most 10000."},
		{"POST /v1/customers", `expand[]=`, "parameter_invalid_empty", "expand[0]", fmtEmpty("expand[0]")},
		{"POST /v1/customers", `preferred_locales=`, "parameter_invalid_empty", "preferred_locales", fmtEmpty("preferred_locales")},
		{"POST /v1/payment_intents", `currency=usd`, "parameter_missing", "amount", "Missing required param: amount."},
		{"POST /v1/payment_intents", `amount=1&currency=usd&confirm=yes`, "", "confirm", "Invalid boolean: yes"},
		{"POST /v1/payment_intents", `amount=1&currency=usd&confirm=True`, "", "confirm", "Invalid boolean: True"},
		{"POST /v1/payment_intents", `amount=1&currency=usd&confirm=1`, "", "confirm", "Invalid boolean: 1"},
		{"POST /v1/payment_intents", `amount=1&currency=usd&confirm=`, "parameter_invalid_empty", "confirm", fmtEmpty("confirm")},
		{"POST /v1/payment_intents", `amount=1&currency=usd&shipping[address][line1]=x`, "parameter_missing", "shipping[name]", "Missing required param: shipping[name]."},
		{"POST /v1/payment_intents", `amount=1&currency=usd&shipping=`, "parameter_invalid_empty", "shipping", fmtEmpty("shipping")},
		{"POST /v1/refunds", `reason=expired_uncaptured_charge`, "", "reason", "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer"},
		{"POST /v1/products", `name=T&package_dimensions[height]=0,6&package_dimensions[length]=1&package_dimensions[weight]=1&package_dimensions[width]=1`,
			"", "package_dimensions[height]", "Invalid decimal: 0,6"},
		{"POST /v1/products", `name=T&package_dimensions[height]=NaN&package_dimensions[length]=1&package_dimensions[weight]=1&package_dimensions[width]=1`,
			"", "package_dimensions[height]", "Invalid decimal: NaN"},
		{"POST /v1/prices", `currency=usd&product=p&unit_amount_decimal=1.2.3`, "", "unit_amount_decimal", "Invalid decimal: 1.2.3"},
		{"GET /v1/customers", `created=abc`, "parameter_invalid_integer", "created", "Invalid integer: abc"},
		{"GET /v1/customers", `created[gte]=abc`, "parameter_invalid_integer", "created[gte]", "Invalid integer: abc"},
		{"GET /v1/customers", `created[foo]=1`, "parameter_unknown", "created[foo]", "Received unknown parameter: created[foo]"},
		{"GET /v1/customers", `limit=ten`, "parameter_invalid_integer", "limit", "Invalid integer: ten"},
		{"GET /v1/customers/search", ``, "parameter_missing", "query", "Missing required param: query."},
		{"GET /v1/customers/{customer}", `foo=1`, "parameter_unknown", "foo", "Received unknown parameter: foo"},
		{"DELETE /v1/customers/{customer}", `foo=1`, "parameter_unknown", "foo", "Received unknown parameter: foo"},
	}
	for _, tt := range tests {
		_, err := DecodeRequest(tt.in, tt.op)
		e, ok := errs.As(err)
		if !ok {
			t.Errorf("%s %q: got %v, want an *errs.Error", tt.op, tt.in, err)
			continue
		}
		if e.Status != 400 || e.Type != errs.TypeInvalidRequest || e.Code != tt.code || e.Param != tt.param || e.Message != tt.msg {
			t.Errorf("%s %q\n got  %d %s code=%q param=%q %q\n want 400 invalid_request_error code=%q param=%q %q",
				tt.op, tt.in, e.Status, e.Type, e.Code, e.Param, e.Message, tt.code, tt.param, tt.msg)
		}
	}
}

func fmtEmpty(p string) string { return strings.ReplaceAll(emptyMsg, "%[1]s", p) }

func TestValidateMap(t *testing.T) {
	s, ok := Operation("POST /v1/customers")
	if !ok {
		t.Fatal("no schema")
	}
	got, err := Validate(s, m{"balance": "5", "metadata": m{"a": "b"}, "preferred_locales": l{"en"}, "address": ""})
	if err != nil {
		t.Fatal(err)
	}
	want := m{"balance": int64(5), "metadata": m{"a": "b"}, "preferred_locales": l{"en"}, "address": nil}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
	// Without request order, the first error is the first key in sorted order.
	_, err = Validate(s, m{"zz": "1", "aa": "1"})
	if e, _ := errs.As(err); e == nil || e.Param != "aa" {
		t.Fatalf("got %v", err)
	}
}

func TestOperation(t *testing.T) {
	for _, key := range []string{
		"POST /v1/customers", "POST /v1/customers/{customer}", "GET /v1/customers", "DELETE /v1/customers/{customer}",
		"GET /v1/events", "GET /v1/events/{id}", "POST /v1/payment_intents/{intent}/confirm", "POST /v1/checkout/sessions",
		"POST /v1/test_helpers/confirmation_tokens", "GET /v1/confirmation_tokens/{confirmation_token}", "POST /v1/tokens",
		"POST /v1/customer_sessions", "GET /v1/mandates/{mandate}", "POST /v1/payment_method_configurations",
	} {
		s, ok := Operation(key)
		if !ok || s.Type != "object" || s.AdditionalProperties == nil || s.AdditionalProperties.Allowed {
			t.Errorf("Operation(%q) = %+v, %v", key, s, ok)
		}
	}
	for _, key := range []string{"POST /v1/invoices", "GET /v1/customers/", "post /v1/customers"} {
		if _, ok := Operation(key); ok {
			t.Errorf("Operation(%q) found", key)
		}
	}
	// An unknown key is payd's bug: a plain error, which the server logs
	// before answering 500, not a client error.
	if _, err := DecodeRequest("", "POST /v1/nope"); err == nil {
		t.Error("unknown schema key accepted")
	} else if e, _ := errs.As(err); e != nil || !strings.Contains(err.Error(), "POST /v1/nope") {
		t.Errorf("unknown schema key: %v", err)
	}
	// Path parameters are not request parameters.
	s, _ := Operation("GET /v1/customers/{customer}")
	if _, ok := s.Properties["customer"]; ok {
		t.Error("path parameter leaked into the query schema")
	}
}

// TestSchemaRoundTrip guards against the generator emitting a keyword that
// Schema does not read: anything dropped on load would silently stop being
// enforced.
func TestSchemaRoundTrip(t *testing.T) {
	opsOnce.Do(loadOperations)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ops); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), schemasJSON) {
		t.Fatal("schemas.json does not survive a decode/encode round trip through Schema")
	}
}
