package errs

import "testing"

func TestReferenced(t *testing.T) {
	cases := []struct {
		name string
		err  *Error
		path string
		want int
	}{
		{"the URL's object", NotFound("customer", "cus_1", "id"), "/v1/customers/cus_1", 404},
		{"the URL's object, named by its own param", NotFound("payment_intent", "pi_1", "intent"), "/v1/payment_intents/pi_1/confirm", 404},
		{"a body parameter", NotFound("customer", "cus_2", "customer"), "/v1/payment_intents/pi_1", 400},
		{"a cursor", NotFound("customer", "cus_2", "starting_after"), "/v1/customers", 400},
		{"an id that only prefixes a segment", NotFound("customer", "cus_1", "customer"), "/v1/customers/cus_12", 400},
		{"a parameter Stripe resolves as an address", NotFound("charge", "ch_1", "id"), "/v1/refunds", 404},
		{"not a resource_missing", Invalid("", "amount", "bad"), "/v1/payment_intents", 400},
		{"an unknown route", NoRoute("GET", "/v1/nope"), "/v1/nope", 404},
	}
	for _, c := range cases {
		got := Referenced(c.err, c.path)
		if got.Status != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got.Status, c.want)
		}
		if c.err.MissingID != "" && c.err.Status != 404 {
			t.Errorf("%s: Referenced changed the error it was given", c.name)
		}
	}
}
