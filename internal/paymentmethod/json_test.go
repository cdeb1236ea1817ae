package paymentmethod

import (
	"testing"

	"github.com/payd/payd/internal/jsonw"
	"github.com/payd/payd/internal/testutil/jsoncheck"
)

func TestMarshal_AgreesWithEncodingJSON(t *testing.T) {
	jsoncheck.Agrees(t, marshal)
}

// A charge's payment_method_details holds a card payment's details as a
// jsonw.Appender.
func TestCardCharge_AgreesWithEncodingJSON(t *testing.T) {
	jsoncheck.Agrees(t, func(c *cardCharge) ([]byte, error) { return c.AppendJSON(nil) })
}

func TestBillingDetails_AgreesWithEncodingJSON(t *testing.T) {
	jsoncheck.Agrees(t, func(bd *BillingDetails) ([]byte, error) { return bd.JSON(), nil })
}

// In a map of any, a nil card payment renders as encoding/json renders it.
func TestCardCharge_NilIsNull(t *testing.T) {
	var c *cardCharge
	got, err := jsonw.AppendValue(nil, map[string]any{"card": c, "type": "card"})
	if err != nil || string(got) != `{"card":null,"type":"card"}` {
		t.Fatalf("got %s, %v", got, err)
	}
}
