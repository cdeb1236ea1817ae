// Package setupintent implements Stripe's SetupIntent: saving a payment
// method for later payments without charging it. Its shape, its status
// machine and the operations that move it (create, update, confirm,
// cancel, the customer's authorization, settle) follow the PaymentIntent
// package: each operation is one pipeline inside the caller's transaction,
// validate → load and lock → decide → ask the processor → persist the
// intent, the mandate, the saved method and their events.
//
// Each confirmation is a SetupAttempt (attempt.go), the intent's
// latest_attempt, which its later steps (the customer's authorization, a
// delayed setup's settlement) finish.
package setupintent

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/payd/payd/internal/customeraction"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/mandate"
	"github.com/payd/payd/internal/store"
)

// Table is where SetupIntents live.
const Table = "setup_intents"

// Prefix starts every SetupIntent id.
const Prefix = "seti"

// Status is a SetupIntent status.
type Status string

// The statuses of Stripe's SetupIntent machine.
const (
	RequiresPaymentMethod Status = "requires_payment_method"
	RequiresConfirmation  Status = "requires_confirmation"
	RequiresAction        Status = "requires_action"
	Processing            Status = "processing"
	Canceled              Status = "canceled"
	Succeeded             Status = "succeeded"
)

// Usage values.
const (
	OffSession = "off_session"
	OnSession  = "on_session"
)

// transitions is the machine: for each operation, the statuses it may
// start from. Everything else is setup_intent_unexpected_state.
var transitions = map[string][]Status{
	"confirm": {RequiresPaymentMethod, RequiresConfirmation, RequiresAction},
	"update":  {RequiresPaymentMethod, RequiresConfirmation, RequiresAction},
	"cancel":  {RequiresPaymentMethod, RequiresConfirmation, RequiresAction},
	// authenticate is the customer finishing (or failing) the action.
	"authenticate": {RequiresAction},
	"settle":       {Processing},
}

// can reports whether op may run on an intent in status s.
func can(op string, s Status) bool { return slices.Contains(transitions[op], s) }

// stateError is Stripe's wrong-state answer, carrying the intent as
// Stripe's error envelope does. The wording follows what Stripe answers
// for each case: finished intents say so ("has already succeeded", "has
// been canceled"), cancel lists the statuses it accepts.
func stateError(verb string, si *SetupIntent) error {
	var e *errs.Error
	switch {
	case verb == "cancel" && si.Status == Canceled:
		e = errs.State("setup_intent_unexpected_state", "You cannot cancel this SetupIntent because it is already canceled.")
	case verb == "cancel":
		e = errs.State("setup_intent_unexpected_state",
			"You cannot cancel this SetupIntent because it has a status of %s. Only a SetupIntent with one of the following statuses may be canceled: `requires_payment_method`, `requires_confirmation`, or `requires_action`.", si.Status)
	case si.Status == Succeeded:
		e = errs.State("setup_intent_unexpected_state", "You cannot %s this SetupIntent because it has already succeeded.", verb)
	case si.Status == Canceled:
		e = errs.State("setup_intent_unexpected_state", "You cannot %s this SetupIntent because it has been canceled.", verb)
	default:
		e = errs.State("setup_intent_unexpected_state", "You cannot %s this SetupIntent because it has a status of %s.", verb, si.Status)
	}
	e.Extra = map[string]any{"setup_intent": si}
	return e
}

// missingMethod is Stripe's answer to confirming without a method.
func missingMethod(si *SetupIntent) error {
	e := errs.State("setup_intent_unexpected_state",
		"You cannot confirm this SetupIntent because it's missing a payment method. You can either update the SetupIntent with a payment method and then confirm it again, or confirm it again directly with a payment method or ConfirmationToken.")
	e.Extra = map[string]any{"setup_intent": si}
	return e
}

// SetupIntent is Stripe's setup_intent object.
type SetupIntent struct {
	ID                                string            `json:"id"`
	Object                            string            `json:"object"`
	Application                       *string           `json:"application"`
	AutomaticPaymentMethods           *AutomaticMethods `json:"automatic_payment_methods"`
	CancellationReason                *string           `json:"cancellation_reason"`
	ClientSecret                      string            `json:"client_secret"`
	Created                           int64             `json:"created"`
	Customer                          *string           `json:"customer"`
	CustomerAccount                   *string           `json:"customer_account"`
	Description                       *string           `json:"description"`
	ExcludedPaymentMethodTypes        []string          `json:"excluded_payment_method_types"`
	FlowDirections                    []string          `json:"flow_directions"`
	LastSetupError                    map[string]any    `json:"last_setup_error"`
	LatestAttempt                     *string           `json:"latest_attempt"`
	Livemode                          bool              `json:"livemode"`
	Mandate                           *string           `json:"mandate"`
	Metadata                          map[string]string `json:"metadata"`
	NextAction                        map[string]any    `json:"next_action"`
	OnBehalfOf                        *string           `json:"on_behalf_of"`
	PaymentMethod                     *string           `json:"payment_method"`
	PaymentMethodConfigurationDetails any               `json:"payment_method_configuration_details"`
	PaymentMethodOptions              map[string]any    `json:"payment_method_options"`
	PaymentMethodTypes                []string          `json:"payment_method_types"`
	SingleUseMandate                  *string           `json:"single_use_mandate"`
	Status                            Status            `json:"status"`
	Usage                             string            `json:"usage"`
}

// AutomaticMethods is automatic_payment_methods.
type AutomaticMethods = customeraction.AutomaticMethods

// private is the intent's server-side state.
type private struct {
	// Step is the customer's pending step (3-D Secure, a redirect).
	customeraction.Step
	// ThreeDS is payment_method_options[card][request_three_d_secure].
	ThreeDS string `json:"three_d_secure,omitempty"`
	// Acceptance is the attempt's mandate_data[customer_acceptance], kept
	// until the mandate is created (after a redirect, possibly).
	Acceptance *mandate.Acceptance `json:"acceptance,omitempty"`
	// SettleAt (unix ms) and SettleFailure: a delayed setup's result.
	SettleAt      int64  `json:"settle_at,omitempty"`
	SettleFailure string `json:"settle_failure,omitempty"`
	// Owner is the Checkout Session that created the intent; it hears of
	// every change (see Owners).
	Owner string `json:"owner,omitempty"`
}

// loaded is an intent read for change.
type loaded struct {
	si     *SetupIntent
	priv   private
	before []byte
}

func notFound(intentID string) error { return errs.NotFound("setupintent", intentID, "intent") }

func load(ctx context.Context, tx store.Tx, account, intentID string) (*loaded, error) {
	rec, err := tx.GetForUpdate(ctx, Table, account, intentID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(intentID)
	}
	if err != nil {
		return nil, err
	}
	return decode(rec)
}

func decode(rec store.Record) (*loaded, error) {
	l := &loaded{si: &SetupIntent{}, before: rec.Data}
	return l, store.Decode(rec, l.si, &l.priv)
}

// loadAnyAccount loads an intent by id alone, for the authorization page,
// which a customer reaches without an API key; the token authorizes it.
// The page itself only reads (lock=false, which a read-only transaction
// needs); finishing the step locks the row.
func loadAnyAccount(ctx context.Context, tx store.Tx, intentID string, lock bool) (string, *loaded, error) {
	account, err := tx.AccountOf(ctx, Table, intentID)
	if err != nil {
		return "", nil, notFound(intentID)
	}
	if lock {
		l, err := load(ctx, tx, account, intentID)
		return account, l, err
	}
	rec, err := tx.Get(ctx, Table, account, intentID)
	if err != nil {
		return "", nil, err
	}
	l, err := decode(rec)
	return account, l, err
}

// Get returns the stored JSON of an intent.
func Get(ctx context.Context, tx store.Tx, account, intentID string) ([]byte, error) {
	rec, err := tx.Get(ctx, Table, account, intentID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(intentID)
	}
	return rec.Data, err
}

// save writes the intent and records the given event types in order.
// Stripe has no setup_intent.updated, so every event is a full snapshot.
func (s *Service) save(ctx context.Context, tx store.Tx, account string, now int64, l *loaded, insert bool, types ...string) ([]byte, error) {
	data, err := json.Marshal(l.si)
	if err != nil {
		return nil, err
	}
	priv, err := json.Marshal(l.priv)
	if err != nil {
		return nil, err
	}
	var cust, pm, settleAt any
	if l.si.Customer != nil {
		cust = *l.si.Customer
	}
	if l.si.PaymentMethod != nil {
		pm = *l.si.PaymentMethod
	}
	if l.si.Status == Processing && l.priv.SettleAt > 0 {
		settleAt = l.priv.SettleAt
	}
	r := store.Record{ID: l.si.ID, Account: account, Created: l.si.Created, Data: data, Private: priv,
		Cols: []store.Col{{Name: "customer", Value: cust}, {Name: "payment_method", Value: pm}, {Name: "settle_at", Value: settleAt}}}
	if insert {
		err = tx.InsertNew(ctx, Table, r)
	} else {
		err = tx.Put(ctx, Table, r)
	}
	if err != nil {
		return nil, err
	}
	for _, typ := range types {
		if _, err := event.Record(ctx, tx, account, now, typ, data, nil); err != nil {
			return nil, err
		}
	}
	if l.priv.Owner != "" && s.Owners != nil {
		if err := s.Owners.SetupIntentChanged(ctx, tx, account, l.priv.Owner, l.si); err != nil {
			return nil, err
		}
	}
	l.before = data
	return data, nil
}

// clientSecret makes the secret Stripe.js and mobile SDKs check against
// ^seti_[^_]+_secret_[^_]+$.
func clientSecret(intentID string) string {
	return intentID + "_secret_" + id.Random(25)
}

func nowUnix(now func() time.Time) int64 { return now().Unix() }

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
