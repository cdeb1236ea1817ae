package processor

import (
	"context"
	"time"
)

// Test decides like Stripe's test mode. It holds no state: every decision
// follows from the request and the method's recorded behaviour.
type Test struct {
	// SettleDelay is how long a delayed debit stays processing.
	SettleDelay time.Duration
	Now         func() time.Time
}

// DefaultSettleDelay is how long delayed debits take unless configured.
const DefaultSettleDelay = 3 * time.Second

// NewTest returns a test processor with the given settle delay.
func NewTest(settle time.Duration) *Test {
	return &Test{SettleDelay: settle, Now: time.Now}
}

// declineMessages are Stripe's customer-facing messages per decline code.
var declineMessages = map[string]string{
	"generic_decline":         "Your card was declined.",
	"insufficient_funds":      "Your card has insufficient funds.",
	"lost_card":               "Your card has been declined.",
	"stolen_card":             "Your card has been declined.",
	"expired_card":            "Your card has expired.",
	"incorrect_cvc":           "Your card's security code is incorrect.",
	"processing_error":        "An error occurred while processing your card. Try again in a little bit.",
	"authentication_required": "Your card was declined. This transaction requires authentication.",
}

// errorCode maps an issuer decline code to Stripe's error code.
func errorCode(decline string) string {
	switch decline {
	case "expired_card", "incorrect_cvc", "processing_error":
		return decline
	case "authentication_required":
		return "authentication_required"
	}
	return "card_declined"
}

func decline(code string) Outcome {
	msg := declineMessages[code]
	if msg == "" {
		msg = declineMessages["generic_decline"]
	}
	o := Outcome{Result: Declined, Code: errorCode(code), DeclineCode: code, Message: msg,
		NetworkStatus: "declined_by_network", Reason: code, RiskLevel: "normal", RiskScore: 20,
		SellerMessage: "The bank did not return any further details with this decline.", Type: "issuer_declined"}
	switch code {
	case "lost_card", "stolen_card":
		o.SellerMessage = "The bank returned the decline code `" + code + "`."
	case "authentication_required":
		o.SellerMessage = "The bank returned the decline code `authentication_required`."
	}
	return o
}

func approved() Outcome {
	return Outcome{Result: Succeeded, NetworkStatus: "approved_by_network", RiskLevel: "normal", RiskScore: 20,
		SellerMessage: "Payment complete.", Type: "authorized"}
}

// blocked is Radar's default rule stopping a payment of the highest risk:
// it never reaches the network, and the customer hears of a declined card.
func blocked() Outcome {
	return Outcome{Result: Declined, Code: "card_declined", DeclineCode: "fraudulent", Message: declineMessages["generic_decline"],
		NetworkStatus: "not_sent_to_network", Reason: "highest_risk_level", RiskLevel: "highest", RiskScore: 85,
		SellerMessage: "Stripe blocked this charge as too risky.", Type: "blocked"}
}

// card decides a card payment that needs no (more) authentication.
func card(b Behavior) Outcome {
	switch {
	case b.Risk == "highest":
		return blocked()
	case b.Decline != "":
		return decline(b.Decline)
	case b.Risk == "elevated":
		o := approved()
		o.RiskLevel, o.RiskScore = "elevated", 70
		return o
	}
	return approved()
}

// needsAuthentication reports whether a card payment must be authenticated
// before it can go on.
func needsAuthentication(r Request, setup bool) bool {
	if r.Authenticated {
		return false
	}
	switch r.Method.Behavior.ThreeDS {
	case "required":
		return true
	case "unless_setup":
		// Exempt once set up for off-session use, and for the setup that
		// is itself off-session only after authentication.
		return !r.Method.SetUpOffSession
	case "not_supported":
		return false
	}
	return r.RequestThreeDS == "any" || r.RequestThreeDS == "challenge"
}

// Authorize decides a payment.
func (p *Test) Authorize(_ context.Context, r Request) Outcome {
	switch r.Method.Type {
	case "card":
		if needsAuthentication(r, false) {
			if r.OffSession {
				return decline("authentication_required")
			}
			return Outcome{Result: RequiresAction, Action: ActionThreeDS}
		}
		return card(r.Method.Behavior)
	case "amazon_pay":
		if r.Authenticated || (r.OffSession && r.Method.Mandate) {
			return approved()
		}
		if r.OffSession {
			return decline("authentication_required")
		}
		return Outcome{Result: RequiresAction, Action: ActionRedirect}
	case "us_bank_account", "sepa_debit":
		return Outcome{Result: Pending, SettleAt: p.Now().Add(p.SettleDelay), SettleFailure: r.Method.Behavior.SettleFailure,
			NetworkStatus: "approved_by_network", RiskLevel: "not_assessed", SellerMessage: "Payment complete.", Type: "authorized"}
	}
	return decline("generic_decline")
}

// Setup decides whether a method can be saved for future use.
func (p *Test) Setup(_ context.Context, r Request) Outcome {
	switch r.Method.Type {
	case "card":
		if needsAuthentication(r, true) {
			return Outcome{Result: RequiresAction, Action: ActionThreeDS}
		}
		if r.Method.Behavior.DeclineOnAttach && r.Method.Behavior.Decline != "" {
			return decline(r.Method.Behavior.Decline)
		}
		return approved()
	case "amazon_pay":
		if r.Authenticated {
			return approved()
		}
		return Outcome{Result: RequiresAction, Action: ActionRedirect}
	case "us_bank_account", "sepa_debit":
		if f := r.Method.Behavior.SettleFailure; f == "account_closed" || f == "invalid_account_number" {
			o := decline("generic_decline")
			o.Code, o.DeclineCode, o.Message = "payment_method_not_available", "", "The bank account could not be set up."
			return o
		}
		return approved()
	}
	return decline("generic_decline")
}

// Capture always succeeds in test mode.
func (p *Test) Capture(context.Context, string, int64) error { return nil }

// Cancel always succeeds in test mode.
func (p *Test) Cancel(context.Context, string) error { return nil }

// Refund succeeds at once, except for the refund test cards: Stripe keeps
// the one's refunds pending for a while and fails the other's some time
// after they succeeded.
func (p *Test) Refund(_ context.Context, _ string, m Method, _ int64) Outcome {
	o := approved()
	switch m.Behavior.Refund {
	case "pending":
		o.Result, o.SettleAt = Pending, p.Now().Add(p.SettleDelay)
	case "fail":
		// Of Stripe's three failure reasons for card refunds, the one
		// that claims nothing about the card.
		o.SettleAt, o.SettleFailure = p.Now().Add(p.SettleDelay), "unknown"
	}
	return o
}
