// Package paymentintent implements Stripe's PaymentIntent: its shape, its
// status machine and the operations that move it (create, update, confirm,
// capture, cancel, settle). Each operation is one pipeline inside the
// caller's transaction: validate → load and lock → decide → ask the
// processor → persist the intent, its charge and their events.
package paymentintent

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/payd/payd/internal/customeraction"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/paymentmethod"
	"github.com/payd/payd/internal/store"
)

// Table is where intents live.
const Table = "payment_intents"

// Prefix starts every PaymentIntent id.
const Prefix = "pi"

// Status is a PaymentIntent status.
type Status string

// The statuses of Stripe's PaymentIntent machine.
const (
	RequiresPaymentMethod Status = "requires_payment_method"
	RequiresConfirmation  Status = "requires_confirmation"
	RequiresAction        Status = "requires_action"
	Processing            Status = "processing"
	RequiresCapture       Status = "requires_capture"
	Canceled              Status = "canceled"
	Succeeded             Status = "succeeded"
)

// transitions is the machine: for each operation, the statuses it may
// start from. Everything else is payment_intent_unexpected_state.
var transitions = map[string][]Status{
	"confirm": {RequiresPaymentMethod, RequiresConfirmation, RequiresAction},
	"update":  {RequiresPaymentMethod, RequiresConfirmation, RequiresAction},
	"capture": {RequiresCapture},
	"cancel":  {RequiresPaymentMethod, RequiresConfirmation, RequiresAction, RequiresCapture},
	// authenticate is the customer finishing (or failing) the action.
	"authenticate": {RequiresAction},
	"settle":       {Processing},
}

// can reports whether op may run on an intent in status s.
func can(op string, s Status) bool { return slices.Contains(transitions[op], s) }

// stateError is Stripe's wrong-state answer.
func stateError(verb string, pi *PaymentIntent) error {
	e := errs.State("payment_intent_unexpected_state",
		"You cannot %s this PaymentIntent because it has a status of %s.", verb, pi.Status)
	e.Extra = map[string]any{"payment_intent": pi}
	return e
}

// PaymentIntent is Stripe's payment_intent object.
type PaymentIntent struct {
	ID                                string            `json:"id"`
	Object                            string            `json:"object"`
	Amount                            int64             `json:"amount"`
	AmountCapturable                  int64             `json:"amount_capturable"`
	AmountDetails                     map[string]any    `json:"amount_details"`
	AmountReceived                    int64             `json:"amount_received"`
	Application                       *string           `json:"application"`
	ApplicationFeeAmount              *int64            `json:"application_fee_amount"`
	AutomaticPaymentMethods           *AutomaticMethods `json:"automatic_payment_methods"`
	CanceledAt                        *int64            `json:"canceled_at"`
	CancellationReason                *string           `json:"cancellation_reason"`
	CaptureMethod                     string            `json:"capture_method"`
	ClientSecret                      string            `json:"client_secret"`
	ConfirmationMethod                string            `json:"confirmation_method"`
	Created                           int64             `json:"created"`
	Currency                          string            `json:"currency"`
	Customer                          *string           `json:"customer"`
	Description                       *string           `json:"description"`
	ExcludedPaymentMethodTypes        []string          `json:"excluded_payment_method_types"`
	LastPaymentError                  map[string]any    `json:"last_payment_error"`
	LatestCharge                      *string           `json:"latest_charge"`
	Livemode                          bool              `json:"livemode"`
	Metadata                          map[string]string `json:"metadata"`
	NextAction                        map[string]any    `json:"next_action"`
	OnBehalfOf                        *string           `json:"on_behalf_of"`
	PaymentMethod                     *string           `json:"payment_method"`
	PaymentMethodConfigurationDetails any               `json:"payment_method_configuration_details"`
	PaymentMethodOptions              map[string]any    `json:"payment_method_options"`
	PaymentMethodTypes                []string          `json:"payment_method_types"`
	Processing                        any               `json:"processing"`
	ReceiptEmail                      *string           `json:"receipt_email"`
	Review                            *string           `json:"review"`
	SetupFutureUsage                  *string           `json:"setup_future_usage"`
	Shipping                          json.RawMessage   `json:"shipping"`
	StatementDescriptor               *string           `json:"statement_descriptor"`
	StatementDescriptorSuffix         *string           `json:"statement_descriptor_suffix"`
	Status                            Status            `json:"status"`
	TransferData                      any               `json:"transfer_data"`
	TransferGroup                     *string           `json:"transfer_group"`
}

// AutomaticMethods is automatic_payment_methods.
type AutomaticMethods = customeraction.AutomaticMethods

// private is the intent's server-side state.
type private struct {
	// Step is the customer's pending step (3-D Secure, a redirect).
	customeraction.Step
	// OffSession and ThreeDS are the current attempt's settings.
	OffSession bool   `json:"off_session,omitempty"`
	ThreeDS    string `json:"three_d_secure,omitempty"`
	// Mandate is the mandate id the attempt relies on or created.
	Mandate string `json:"mandate,omitempty"`
	// MandateData is the customer acceptance sent with the attempt.
	MandateData map[string]any `json:"mandate_data,omitempty"`
	// SettleAt (unix ms) and SettleFailure: a delayed debit's result.
	SettleAt      int64  `json:"settle_at,omitempty"`
	SettleFailure string `json:"settle_failure,omitempty"`
	// Owner is the Checkout Session that created the intent; it hears of
	// every change (see Owners).
	Owner string `json:"owner,omitempty"`
	// DisputeReason and DisputeInquiry: a dispute test card's charge,
	// authorized for a later capture, is disputed once captured.
	DisputeReason  string `json:"dispute_reason,omitempty"`
	DisputeInquiry bool   `json:"dispute_inquiry,omitempty"`
}

// loaded is an intent read for change.
type loaded struct {
	pi     *PaymentIntent
	priv   private
	before []byte
	// unsaved: the intent has no row yet (created and confirmed in one
	// request writes it once, with its final state).
	unsaved bool
	// pm is the intent's PaymentMethod once this request has loaded it.
	pm *paymentmethod.PaymentMethod
}

// method returns the intent's PaymentMethod, loading it at most once per
// request.
func (s *Service) method(ctx context.Context, tx store.Tx, account string, l *loaded) (*paymentmethod.PaymentMethod, error) {
	if l.pm != nil && l.pi.PaymentMethod != nil && l.pm.ID == *l.pi.PaymentMethod {
		return l.pm, nil
	}
	pm, err := s.Methods.Get(ctx, tx, account, *l.pi.PaymentMethod, "payment_method")
	if err != nil {
		return nil, err
	}
	l.pm = pm
	return pm, nil
}

func load(ctx context.Context, tx store.Tx, account, intentID string) (*loaded, error) {
	rec, err := tx.GetForUpdate(ctx, Table, account, intentID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errs.NotFound("payment_intent", intentID, "intent")
	}
	if err != nil {
		return nil, err
	}
	return decode(rec)
}

func decode(rec store.Record) (*loaded, error) {
	l := &loaded{pi: &PaymentIntent{}, before: rec.Data}
	return l, store.Decode(rec, l.pi, &l.priv)
}

// Get returns the stored JSON of an intent.
func Get(ctx context.Context, tx store.Tx, account, intentID string) ([]byte, error) {
	rec, err := tx.Get(ctx, Table, account, intentID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errs.NotFound("payment_intent", intentID, "intent")
	}
	return rec.Data, err
}

// save writes the intent and records the given event types in order.
func (s *Service) save(ctx context.Context, tx store.Tx, account string, now int64, l *loaded, types ...string) ([]byte, error) {
	// The intent names its method: one this request made from a test id
	// is inserted with it.
	if err := s.Methods.Flush(ctx, tx, account, l.pm); err != nil {
		return nil, err
	}
	data, err := marshal(l.pi)
	if err != nil {
		return nil, err
	}
	priv, err := json.Marshal(l.priv)
	if err != nil {
		return nil, err
	}
	var cust any
	if l.pi.Customer != nil {
		cust = *l.pi.Customer
	}
	var settleAt any
	if l.pi.Status == Processing && l.priv.SettleAt > 0 {
		settleAt = l.priv.SettleAt
	}
	r := store.Record{ID: l.pi.ID, Account: account, Created: l.pi.Created, Data: data, Private: priv,
		Cols: []store.Col{{Name: "customer", Value: cust}, {Name: "settle_at", Value: settleAt}}}
	if l.unsaved {
		err = tx.InsertNew(ctx, Table, r)
	} else {
		err = tx.Put(ctx, Table, r)
	}
	if err != nil {
		return nil, err
	}
	l.unsaved = false
	for _, typ := range types {
		var prev []byte
		if typ == "payment_intent.updated" {
			prev = l.before
		}
		if _, err := event.Record(ctx, tx, account, now, typ, data, prev); err != nil {
			return nil, err
		}
	}
	if l.priv.Owner != "" && s.Owners != nil {
		if err := s.Owners.PaymentIntentChanged(ctx, tx, account, l.priv.Owner, l.pi); err != nil {
			return nil, err
		}
	}
	l.before = data
	return data, nil
}

// clientSecret makes the secret Stripe.js and mobile SDKs check against
// ^pi_[^_]+_secret_[^_]+$.
func clientSecret(intentID string) string {
	return intentID + "_secret_" + id.Random(25)
}

func ptr[T any](v T) *T { return &v }
