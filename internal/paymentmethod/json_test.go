package paymentmethod

import (
	"testing"

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
