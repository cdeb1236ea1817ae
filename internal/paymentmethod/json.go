package paymentmethod

import "github.com/payd/payd/internal/jsonw"

// marshal renders the method as encoding/json would (see jsonw).
func marshal(pm *PaymentMethod) ([]byte, error) {
	var w jsonw.Object
	w.Begin(make([]byte, 0, 1024))
	w.String("id", pm.ID)
	w.String("object", pm.Object)
	w.String("allow_redisplay", pm.AllowRedisplay)
	if pm.AmazonPay != nil {
		w.Open("amazon_pay")
		w.Close()
	}
	w.Append("billing_details", &pm.BillingDetails)
	if c := pm.Card; c != nil {
		w.Open("card")
		w.String("brand", c.Brand)
		checks(&w, c.Checks)
		w.OptString("country", c.Country)
		w.OptString("display_brand", c.DisplayBrand)
		w.Int("exp_month", c.ExpMonth)
		w.Int("exp_year", c.ExpYear)
		w.OptString("fingerprint", c.Fingerprint)
		w.String("funding", c.Funding)
		w.Value("generated_from", c.GeneratedFrom)
		w.String("last4", c.Last4)
		if n := c.Networks; n != nil {
			w.Open("networks")
			w.Strings("available", n.Available)
			w.OptString("preferred", n.Preferred)
			w.Close()
		} else {
			w.Null("networks")
		}
		w.OptString("regulated_status", c.RegulatedStatus)
		if u := c.ThreeDSecureUsage; u != nil {
			w.Open("three_d_secure_usage")
			w.Bool("supported", u.Supported)
			w.Close()
		} else {
			w.Null("three_d_secure_usage")
		}
		w.Value("wallet", c.Wallet)
		w.Close()
	}
	w.Int("created", pm.Created)
	w.OptString("customer", pm.Customer)
	w.OptString("customer_account", pm.CustomerAccount)
	w.Bool("livemode", pm.Livemode)
	w.StringMap("metadata", pm.Metadata)
	if pm.SEPADebit != nil {
		w.Value("sepa_debit", pm.SEPADebit)
	}
	w.String("type", pm.Type)
	if pm.USBankAccount != nil {
		w.Value("us_bank_account", pm.USBankAccount)
	}
	return w.End()
}

// JSON renders the method as encoding/json would.
func (pm *PaymentMethod) JSON() ([]byte, error) { return marshal(pm) }

// AppendJSON writes billing_details (see jsonw.Appender).
func (bd *BillingDetails) AppendJSON(w *jsonw.Object) {
	w.Open("address")
	a := &bd.Address
	w.OptString("city", a.City)
	w.OptString("country", a.Country)
	w.OptString("line1", a.Line1)
	w.OptString("line2", a.Line2)
	w.OptString("postal_code", a.PostalCode)
	w.OptString("state", a.State)
	w.Close()
	w.OptString("email", bd.Email)
	w.OptString("name", bd.Name)
	w.OptString("phone", bd.Phone)
	w.OptString("tax_id", bd.TaxID)
}

// JSON renders billing_details as encoding/json would.
func (bd *BillingDetails) JSON() []byte {
	var w jsonw.Object
	w.Begin(make([]byte, 0, 160))
	bd.AppendJSON(&w)
	b, _ := w.End() // only values written through encoding/json can fail
	return b
}

func checks(w *jsonw.Object, c *Checks) {
	if c == nil {
		w.Null("checks")
		return
	}
	w.Open("checks")
	w.OptString("address_line1_check", c.AddressLine1Check)
	w.OptString("address_postal_code_check", c.AddressPostalCodeCheck)
	w.OptString("cvc_check", c.CVCCheck)
	w.Close()
}

// AppendJSON writes a card payment's details (see jsonw.Appender): a
// charge's payment_method_details holds them.
func (c *cardCharge) AppendJSON(w *jsonw.Object) {
	w.Int("amount_authorized", c.AmountAuthorized)
	w.OptString("authorization_code", c.AuthorizationCode)
	w.String("brand", c.Brand)
	checks(w, c.Checks)
	w.OptString("country", c.Country)
	w.Int("exp_month", c.ExpMonth)
	w.Int("exp_year", c.ExpYear)
	w.Open("extended_authorization")
	w.String("status", c.ExtendedAuthorization.Status)
	w.Close()
	w.OptString("fingerprint", c.Fingerprint)
	w.String("funding", c.Funding)
	w.Open("incremental_authorization")
	w.String("status", c.IncrementalAuthorization.Status)
	w.Close()
	w.Value("installments", c.Installments)
	w.String("last4", c.Last4)
	w.OptString("mandate", c.Mandate)
	w.Open("multicapture")
	w.String("status", c.Multicapture.Status)
	w.Close()
	w.String("network", c.Network)
	w.Open("network_token")
	w.Bool("used", c.NetworkToken.Used)
	w.Close()
	w.String("network_transaction_id", c.NetworkTransactionID)
	w.Open("overcapture")
	w.Int("maximum_amount_capturable", c.Overcapture.MaximumAmountCapturable)
	w.String("status", c.Overcapture.Status)
	w.Close()
	w.OptString("regulated_status", c.RegulatedStatus)
	if t := c.ThreeDSecure; t != nil {
		w.Open("three_d_secure")
		w.String("authentication_flow", t.AuthenticationFlow)
		w.String("electronic_commerce_indicator", t.ElectronicCommerceIndicator)
		w.OptString("exemption_indicator", t.ExemptionIndicator)
		w.String("result", t.Result)
		w.OptString("result_reason", t.ResultReason)
		w.String("transaction_id", t.TransactionID)
		w.String("version", t.Version)
		w.Close()
	} else {
		w.Null("three_d_secure")
	}
	w.Value("wallet", c.Wallet)
}
