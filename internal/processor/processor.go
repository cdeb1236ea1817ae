// Package processor is the boundary between payd's payment objects and
// whatever moves the money. PaymentIntents and SetupIntents ask it to
// authorize, capture, cancel, refund or set up; it answers with an Outcome,
// and for methods that settle later (bank debits) it says when the result
// is due. The built-in Test processor decides the way Stripe's test mode
// does, from the test behaviour recorded on the payment method when it was
// created (the full card number itself is never kept).
package processor

import (
	"context"
	"time"
)

// Behavior is what a test payment method does when used. It is stored in
// the PaymentMethod's private state and never rendered.
type Behavior struct {
	// Decline, when set, is the decline_code a charge of this method gets
	// (generic_decline, insufficient_funds, lost_card, stolen_card,
	// expired_card, incorrect_cvc, processing_error, …).
	Decline string `json:"decline,omitempty"`
	// DeclineOnAttach makes attaching to a customer (and setting up) fail
	// with Decline, as Stripe's declining test cards do.
	DeclineOnAttach bool `json:"decline_on_attach,omitempty"`
	// ThreeDS is when 3-D Secure authentication is needed: "" (supported,
	// not required), "required" (always), "unless_setup" (unless the card
	// was set up for off-session use), "not_supported".
	ThreeDS string `json:"three_d_secure,omitempty"`
	// ThreeDSVersion is "1" or "2" for cards that require it.
	ThreeDSVersion string `json:"three_d_secure_version,omitempty"`
	// Risk is Radar's verdict on the card's payments: "" (normal),
	// "elevated" (approved, flagged), or "highest" (blocked by Radar's
	// default rule before reaching the network, declined as fraudulent).
	Risk string `json:"risk,omitempty"`
	// Refund is how Stripe's refund test cards answer a refund: ""
	// (succeeded at once), "pending" (pending, succeeding after the settle
	// delay) or "fail" (succeeded, failing after the settle delay).
	Refund string `json:"refund,omitempty"`
	// SettleFailure, for delayed methods, is the failure code the debit
	// settles with (insufficient_funds, account_closed, …); empty means it
	// settles successfully.
	SettleFailure string `json:"settle_failure,omitempty"`
	// Dispute, for Stripe's dispute test cards, is the reason of the
	// dispute that follows the charge's success at once (fraudulent,
	// product_not_received, general); DisputeInquiry makes it an inquiry
	// (warning_needs_response) rather than a chargeback.
	Dispute        string `json:"dispute,omitempty"`
	DisputeInquiry bool   `json:"dispute_inquiry,omitempty"`
}

// Method is what the processor needs to know about a payment method.
type Method struct {
	ID       string
	Type     string // card, amazon_pay, us_bank_account, sepa_debit
	Behavior Behavior
	// SetUpOffSession is true when the method was set up for off-session
	// use (a SetupIntent with usage=off_session or a payment with
	// setup_future_usage=off_session succeeded), which exempts cards such
	// as 4000 0025 0000 3155 from further authentication.
	SetUpOffSession bool
	// Mandate is true when a mandate authorizes off-session charges of a
	// redirect method (Amazon Pay) without the customer.
	Mandate bool
}

// Request asks to move money (Authorize) or prepare a method for later use
// (Setup).
type Request struct {
	Amount   int64
	Currency string
	Method   Method
	// OffSession: the customer is not present and cannot authenticate.
	OffSession bool
	// SetupFutureUsage or SetupIntent usage: on_session or off_session.
	SetupFutureUsage string
	// RequestThreeDS is payment_method_options[card][request_three_d_secure]:
	// automatic, any or challenge.
	RequestThreeDS string
	// Authenticated: the customer completed the authentication or redirect
	// this attempt asked for.
	Authenticated bool
}

// Result is what became of a request.
type Result string

const (
	Succeeded Result = "succeeded"
	Declined  Result = "declined"
	// RequiresAction: the customer must authenticate (Action says how).
	RequiresAction Result = "requires_action"
	// Pending: the debit was submitted; its result comes at SettleAt.
	Pending Result = "pending"
)

// Actions the customer can be asked to take.
const (
	ActionThreeDS  = "three_d_secure"
	ActionRedirect = "redirect"
)

// Outcome is the processor's answer.
type Outcome struct {
	Result Result
	Action string
	// For declines: Stripe's error code (card_declined, expired_card,
	// incorrect_cvc, processing_error, authentication_required, …), the
	// issuer's decline_code and the customer-facing message.
	Code        string
	DeclineCode string
	Message     string
	// For charge.outcome.
	NetworkStatus string
	Reason        string
	RiskLevel     string
	RiskScore     int64
	SellerMessage string
	Type          string
	// For Pending: when the debit settles and how.
	SettleAt      time.Time
	SettleFailure string
}

// Processor moves money. Implementations must be safe for concurrent use;
// they are called inside the store transaction that records the outcome, so
// they must not block for long.
type Processor interface {
	Authorize(ctx context.Context, r Request) Outcome
	Setup(ctx context.Context, r Request) Outcome
	Capture(ctx context.Context, chargeID string, amount int64) error
	Cancel(ctx context.Context, chargeID string) error
	// Refund returns a charge's money to m. A Pending outcome settles at
	// SettleAt; a Succeeded one with a SettleAt fails then, with
	// SettleFailure as its failure reason.
	Refund(ctx context.Context, chargeID string, m Method, amount int64) Outcome
}
