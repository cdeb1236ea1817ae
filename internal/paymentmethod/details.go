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
	var d any
	switch pm.Type {
	case TypeCard:
		d = pm.cardDetails(amount, threeDS)
	case TypeAmazonPay:
		d = map[string]any{"transaction_id": nil}
	case TypeUSBankAccount:
		u := pm.USBankAccount
		m := map[string]any{
			"account_holder_type": u.AccountHolderType,
			"account_type":        u.AccountType,
			"bank_name":           u.BankName,
			"fingerprint":         u.Fingerprint,
			"last4":               u.Last4,
			"payment_reference":   nil,
			"routing_number":      u.RoutingNumber,
		}
		if mandate := pm.priv.Mandate; mandate != "" {
			// Not nullable in the spec: present only when there is one.
			m["mandate"] = mandate
		}
		d = m
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

// cardCharge is payment_method_details.card, its fields in alphabetical
// order as Stripe renders them. A struct rather than a map: it is written
// with every card payment, and a map costs a sort of its keys each time.
type cardCharge struct {
	AmountAuthorized         int64         `json:"amount_authorized"`
	AuthorizationCode        *string       `json:"authorization_code"`
	Brand                    string        `json:"brand"`
	Checks                   *Checks       `json:"checks"`
	Country                  *string       `json:"country"`
	ExpMonth                 int64         `json:"exp_month"`
	ExpYear                  int64         `json:"exp_year"`
	ExtendedAuthorization    status        `json:"extended_authorization"`
	Fingerprint              *string       `json:"fingerprint"`
	Funding                  string        `json:"funding"`
	IncrementalAuthorization status        `json:"incremental_authorization"`
	Installments             any           `json:"installments"`
	Last4                    string        `json:"last4"`
	Mandate                  *string       `json:"mandate"`
	Multicapture             status        `json:"multicapture"`
	Network                  string        `json:"network"`
	NetworkToken             networkToken  `json:"network_token"`
	NetworkTransactionID     string        `json:"network_transaction_id"`
	Overcapture              overcapture   `json:"overcapture"`
	RegulatedStatus          *string       `json:"regulated_status"`
	ThreeDSecure             *threeDSecure `json:"three_d_secure"`
	Wallet                   any           `json:"wallet"`
}

type status struct {
	Status string `json:"status"`
}

type networkToken struct {
	Used bool `json:"used"`
}

type overcapture struct {
	MaximumAmountCapturable int64  `json:"maximum_amount_capturable"`
	Status                  string `json:"status"`
}

type threeDSecure struct {
	AuthenticationFlow          string  `json:"authentication_flow"`
	ElectronicCommerceIndicator string  `json:"electronic_commerce_indicator"`
	ExemptionIndicator          *string `json:"exemption_indicator"`
	Result                      string  `json:"result"`
	ResultReason                *string `json:"result_reason"`
	TransactionID               string  `json:"transaction_id"`
	Version                     string  `json:"version"`
}

func (pm *PaymentMethod) cardDetails(amount int64, threeDS bool) *cardCharge {
	c := pm.Card
	var mandate *string
	if m := pm.priv.Mandate; m != "" {
		mandate = &m
	}
	return &cardCharge{
		AmountAuthorized:         amount,
		Brand:                    c.Brand,
		Checks:                   pm.verifiedChecks(),
		Country:                  c.Country,
		ExpMonth:                 c.ExpMonth,
		ExpYear:                  c.ExpYear,
		ExtendedAuthorization:    status{"disabled"},
		Fingerprint:              c.Fingerprint,
		Funding:                  c.Funding,
		IncrementalAuthorization: status{"unavailable"},
		Last4:                    c.Last4,
		Mandate:                  mandate,
		Multicapture:             status{"unavailable"},
		Network:                  network(c.Brand),
		NetworkTransactionID:     networkTransactionID(),
		Overcapture:              overcapture{MaximumAmountCapturable: amount, Status: "unavailable"},
		RegulatedStatus:          c.RegulatedStatus,
		ThreeDSecure:             pm.threeDSecure(threeDS),
	}
}

// threeDSecure is the three_d_secure of a card's details: nil unless the
// customer authenticated this payment or setup.
func (pm *PaymentMethod) threeDSecure(authenticated bool) *threeDSecure {
	if !authenticated {
		return nil
	}
	version := "2.2.0"
	if pm.priv.Behavior.ThreeDSVersion == "1" {
		version = "1.0.2"
	}
	return &threeDSecure{AuthenticationFlow: "challenge", ElectronicCommerceIndicator: "05",
		Result: "authenticated", TransactionID: uuid(), Version: version}
}

// SetupDetails is a SetupAttempt's payment_method_details: the card as the
// setup saw it (threeDS when the customer authenticated it); the other
// types of payd's processor have no details of their own there.
func (pm *PaymentMethod) SetupDetails(threeDS bool) map[string]any {
	var d any = map[string]any{}
	if pm.Type == TypeCard {
		c := pm.Card
		d = &cardSetup{Brand: c.Brand, Checks: pm.verifiedChecks(), Country: c.Country, ExpMonth: c.ExpMonth,
			ExpYear: c.ExpYear, Fingerprint: c.Fingerprint, Funding: c.Funding, Last4: c.Last4,
			Network: network(c.Brand), ThreeDSecure: pm.threeDSecure(threeDS)}
	}
	return map[string]any{"type": pm.Type, pm.Type: d}
}

// cardSetup is setup_attempt_payment_method_details.card.
type cardSetup struct {
	Brand        string        `json:"brand"`
	Checks       *Checks       `json:"checks"`
	Country      *string       `json:"country"`
	ExpMonth     int64         `json:"exp_month"`
	ExpYear      int64         `json:"exp_year"`
	Fingerprint  *string       `json:"fingerprint"`
	Funding      string        `json:"funding"`
	Last4        string        `json:"last4"`
	Network      string        `json:"network"`
	ThreeDSecure *threeDSecure `json:"three_d_secure"`
	Wallet       any           `json:"wallet"`
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
