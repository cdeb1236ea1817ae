package paymentmethod

import (
	"crypto/rand"
	"encoding/hex"
	"math/big"
)

// ChargeDetails is the charge's payment_method_details for a payment of
// amount with pm: the type and that type's hash, as Stripe renders it on
// the charge. threeDS says whether 3-D Secure authentication was performed
// for this payment.
func (pm *PaymentMethod) ChargeDetails(amount int64, threeDS bool) map[string]any {
	var d map[string]any
	switch pm.Type {
	case TypeCard:
		d = pm.cardDetails(amount, threeDS)
	case TypeAmazonPay:
		d = map[string]any{"transaction_id": nil}
	case TypeUSBankAccount:
		u := pm.USBankAccount
		d = map[string]any{
			"account_holder_type": u.AccountHolderType,
			"account_type":        u.AccountType,
			"bank_name":           u.BankName,
			"fingerprint":         u.Fingerprint,
			"last4":               u.Last4,
			"payment_reference":   nil,
			"routing_number":      u.RoutingNumber,
		}
		if m := pm.priv.Mandate; m != "" {
			// Not nullable in the spec: present only when there is one.
			d["mandate"] = m
		}
	case TypeSEPADebit:
		sd := pm.SEPADebit
		d = map[string]any{
			"bank_code":   sd.BankCode,
			"branch_code": sd.BranchCode,
			"country":     sd.Country,
			"fingerprint": sd.Fingerprint,
			"last4":       sd.Last4,
			"mandate":     nullable(pm.priv.Mandate),
		}
	default:
		d = map[string]any{}
	}
	return map[string]any{"type": pm.Type, pm.Type: d}
}

func (pm *PaymentMethod) cardDetails(amount int64, threeDS bool) map[string]any {
	c := pm.Card
	var tds any
	if threeDS {
		version := "2.2.0"
		if pm.priv.Behavior.ThreeDSVersion == "1" {
			version = "1.0.2"
		}
		tds = map[string]any{
			"authentication_flow":           "challenge",
			"electronic_commerce_indicator": "05",
			"exemption_indicator":           nil,
			"result":                        "authenticated",
			"result_reason":                 nil,
			"transaction_id":                uuid(),
			"version":                       version,
		}
	}
	return map[string]any{
		"amount_authorized":         amount,
		"authorization_code":        nil,
		"brand":                     c.Brand,
		"checks":                    pm.verifiedChecks(),
		"country":                   c.Country,
		"exp_month":                 c.ExpMonth,
		"exp_year":                  c.ExpYear,
		"extended_authorization":    map[string]any{"status": "disabled"},
		"fingerprint":               c.Fingerprint,
		"funding":                   c.Funding,
		"incremental_authorization": map[string]any{"status": "unavailable"},
		"installments":              nil,
		"last4":                     c.Last4,
		"mandate":                   nullable(pm.priv.Mandate),
		"multicapture":              map[string]any{"status": "unavailable"},
		"network":                   network(c.Brand),
		"network_token":             map[string]any{"used": false},
		"network_transaction_id":    networkTransactionID(),
		"overcapture":               map[string]any{"maximum_amount_capturable": amount, "status": "unavailable"},
		"regulated_status":          c.RegulatedStatus,
		"three_d_secure":            tds,
		"wallet":                    nil,
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// networkTransactionID is a 15-digit id like those card networks return.
func networkTransactionID() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(9e14))
	return new(big.Int).Add(n, big.NewInt(1e14)).String()
}

// uuid is a random version 4 UUID, the shape of a 3DS2 transaction id.
func uuid() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
