package paymentmethod

import "github.com/payd/payd/internal/jsonw"

// marshal renders the method as encoding/json would (see jsonw).
func marshal(pm *PaymentMethod) ([]byte, error) {
	var err error
	b := make([]byte, 0, 1024)
	b = jsonw.String(b, `{"id":`, pm.ID)
	b = jsonw.String(b, `,"object":`, pm.Object)
	b = jsonw.String(b, `,"allow_redisplay":`, pm.AllowRedisplay)
	if pm.AmazonPay != nil { // omitempty
		b = append(b, `,"amazon_pay":{}`...)
	}
	b = append(b, `,"billing_details":`...)
	b = pm.BillingDetails.appendJSON(b)
	if c := pm.Card; c != nil { // omitempty
		b = jsonw.String(b, `,"card":{"brand":`, c.Brand)
		b = appendChecks(b, c.Checks)
		b = jsonw.OptString(b, `,"country":`, c.Country)
		b = jsonw.OptString(b, `,"display_brand":`, c.DisplayBrand)
		b = jsonw.Int(b, `,"exp_month":`, c.ExpMonth)
		b = jsonw.Int(b, `,"exp_year":`, c.ExpYear)
		b = jsonw.OptString(b, `,"fingerprint":`, c.Fingerprint)
		b = jsonw.String(b, `,"funding":`, c.Funding)
		b = jsonw.Value(b, `,"generated_from":`, c.GeneratedFrom, &err)
		b = jsonw.String(b, `,"last4":`, c.Last4)
		if n := c.Networks; n != nil {
			b = jsonw.Strings(b, `,"networks":{"available":`, n.Available)
			b = jsonw.OptString(b, `,"preferred":`, n.Preferred)
			b = append(b, '}')
		} else {
			b = append(b, `,"networks":null`...)
		}
		b = jsonw.OptString(b, `,"regulated_status":`, c.RegulatedStatus)
		if u := c.ThreeDSecureUsage; u != nil {
			b = jsonw.Bool(b, `,"three_d_secure_usage":{"supported":`, u.Supported)
			b = append(b, '}')
		} else {
			b = append(b, `,"three_d_secure_usage":null`...)
		}
		b = jsonw.Value(b, `,"wallet":`, c.Wallet, &err)
		b = append(b, '}')
	}
	b = jsonw.Int(b, `,"created":`, pm.Created)
	b = jsonw.OptString(b, `,"customer":`, pm.Customer)
	b = jsonw.OptString(b, `,"customer_account":`, pm.CustomerAccount)
	b = jsonw.Bool(b, `,"livemode":`, pm.Livemode)
	b = jsonw.StringMap(b, `,"metadata":`, pm.Metadata)
	if pm.SEPADebit != nil { // omitempty
		b = jsonw.Value(b, `,"sepa_debit":`, pm.SEPADebit, &err)
	}
	b = jsonw.String(b, `,"type":`, pm.Type)
	if pm.USBankAccount != nil { // omitempty
		b = jsonw.Value(b, `,"us_bank_account":`, pm.USBankAccount, &err)
	}
	return append(b, '}'), err
}

// JSON renders the method as encoding/json would.
func (pm *PaymentMethod) JSON() ([]byte, error) { return marshal(pm) }

// JSON renders billing_details as encoding/json would.
func (bd *BillingDetails) JSON() []byte { return bd.appendJSON(make([]byte, 0, 160)) }

func (bd *BillingDetails) appendJSON(b []byte) []byte {
	a := &bd.Address
	b = jsonw.OptString(b, `{"address":{"city":`, a.City)
	b = jsonw.OptString(b, `,"country":`, a.Country)
	b = jsonw.OptString(b, `,"line1":`, a.Line1)
	b = jsonw.OptString(b, `,"line2":`, a.Line2)
	b = jsonw.OptString(b, `,"postal_code":`, a.PostalCode)
	b = jsonw.OptString(b, `,"state":`, a.State)
	b = jsonw.OptString(b, `},"email":`, bd.Email)
	b = jsonw.OptString(b, `,"name":`, bd.Name)
	b = jsonw.OptString(b, `,"phone":`, bd.Phone)
	b = jsonw.OptString(b, `,"tax_id":`, bd.TaxID)
	return append(b, '}')
}

// appendChecks appends the "checks" field, after another.
func appendChecks(b []byte, c *Checks) []byte {
	if c == nil {
		return append(b, `,"checks":null`...)
	}
	b = jsonw.OptString(b, `,"checks":{"address_line1_check":`, c.AddressLine1Check)
	b = jsonw.OptString(b, `,"address_postal_code_check":`, c.AddressPostalCodeCheck)
	b = jsonw.OptString(b, `,"cvc_check":`, c.CVCCheck)
	return append(b, '}')
}

// AppendJSON appends a card payment's details to b (see jsonw.Appender):
// a charge's payment_method_details holds them.
func (c *cardCharge) AppendJSON(b []byte) ([]byte, error) {
	if c == nil {
		return append(b, "null"...), nil
	}
	var err error
	b = jsonw.Int(b, `{"amount_authorized":`, c.AmountAuthorized)
	b = jsonw.OptString(b, `,"authorization_code":`, c.AuthorizationCode)
	b = jsonw.String(b, `,"brand":`, c.Brand)
	b = appendChecks(b, c.Checks)
	b = jsonw.OptString(b, `,"country":`, c.Country)
	b = jsonw.Int(b, `,"exp_month":`, c.ExpMonth)
	b = jsonw.Int(b, `,"exp_year":`, c.ExpYear)
	b = jsonw.String(b, `,"extended_authorization":{"status":`, c.ExtendedAuthorization.Status)
	b = jsonw.OptString(b, `},"fingerprint":`, c.Fingerprint)
	b = jsonw.String(b, `,"funding":`, c.Funding)
	b = jsonw.String(b, `,"incremental_authorization":{"status":`, c.IncrementalAuthorization.Status)
	b = jsonw.Value(b, `},"installments":`, c.Installments, &err)
	b = jsonw.String(b, `,"last4":`, c.Last4)
	b = jsonw.OptString(b, `,"mandate":`, c.Mandate)
	b = jsonw.String(b, `,"multicapture":{"status":`, c.Multicapture.Status)
	b = jsonw.String(b, `},"network":`, c.Network)
	b = jsonw.Bool(b, `,"network_token":{"used":`, c.NetworkToken.Used)
	b = jsonw.String(b, `},"network_transaction_id":`, c.NetworkTransactionID)
	b = jsonw.Int(b, `,"overcapture":{"maximum_amount_capturable":`, c.Overcapture.MaximumAmountCapturable)
	b = jsonw.String(b, `,"status":`, c.Overcapture.Status)
	b = jsonw.OptString(b, `},"regulated_status":`, c.RegulatedStatus)
	if t := c.ThreeDSecure; t != nil {
		b = jsonw.String(b, `,"three_d_secure":{"authentication_flow":`, t.AuthenticationFlow)
		b = jsonw.String(b, `,"electronic_commerce_indicator":`, t.ElectronicCommerceIndicator)
		b = jsonw.OptString(b, `,"exemption_indicator":`, t.ExemptionIndicator)
		b = jsonw.String(b, `,"result":`, t.Result)
		b = jsonw.OptString(b, `,"result_reason":`, t.ResultReason)
		b = jsonw.String(b, `,"transaction_id":`, t.TransactionID)
		b = jsonw.String(b, `,"version":`, t.Version)
		b = append(b, '}')
	} else {
		b = append(b, `,"three_d_secure":null`...)
	}
	b = jsonw.Value(b, `,"wallet":`, c.Wallet, &err)
	return append(b, '}'), err
}
