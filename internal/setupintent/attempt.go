package setupintent

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/paymentmethod"
	"github.com/payd/payd/internal/store"
)

// AttemptTable is where SetupAttempts live.
const AttemptTable = "setup_attempts"

// AttemptPrefix starts every SetupAttempt id.
const AttemptPrefix = "setatt"

// The statuses of a SetupAttempt.
const (
	attemptRequiresAction = "requires_action"
	attemptProcessing     = "processing"
	attemptSucceeded      = "succeeded"
	attemptFailed         = "failed"
	// attemptAbandoned: the intent moved on (another confirm, a new
	// method, a cancel) while the attempt waited for the customer.
	attemptAbandoned = "abandoned"
)

// Attempt is Stripe's setup_attempt object: one confirmation of a
// SetupIntent, from the processor's first answer to its last. Stripe
// records no events for attempts; the intent's events tell the story.
type Attempt struct {
	ID                   string         `json:"id"`
	Object               string         `json:"object"`
	Application          *string        `json:"application"`
	Created              int64          `json:"created"`
	Customer             *string        `json:"customer"`
	CustomerAccount      *string        `json:"customer_account"`
	FlowDirections       []string       `json:"flow_directions"`
	Livemode             bool           `json:"livemode"`
	OnBehalfOf           *string        `json:"on_behalf_of"`
	PaymentMethod        string         `json:"payment_method"`
	PaymentMethodDetails map[string]any `json:"payment_method_details"`
	SetupError           map[string]any `json:"setup_error"`
	SetupIntent          string         `json:"setup_intent"`
	Status               string         `json:"status"`
	Usage                string         `json:"usage"`
}

// attemptOf is the attempt a confirm of l with pm makes now: the intent's
// customer and usage as they are at this confirmation, as Stripe records.
func attemptOf(l *loaded, pm *paymentmethod.PaymentMethod, now time.Time) *Attempt {
	si := l.si
	return &Attempt{ID: id.New(AttemptPrefix), Object: "setup_attempt", Created: now.Unix(), Customer: si.Customer,
		PaymentMethod: pm.ID, PaymentMethodDetails: pm.SetupDetails(false), SetupIntent: si.ID, Usage: si.Usage}
}

// put gives a its status (and, failed, the intent's error) and stores it,
// new (insert) or changed.
func (a *Attempt) put(ctx context.Context, tx store.Tx, account, status string, setupErr map[string]any, insert bool) error {
	a.Status, a.SetupError = status, setupErr
	return saveAttempt(ctx, tx, account, a, insert)
}

// saveAttempt stores a, new or changed.
func saveAttempt(ctx context.Context, tx store.Tx, account string, a *Attempt, insert bool) error {
	data, err := json.Marshal(a)
	if err != nil {
		return err
	}
	r := store.Record{ID: a.ID, Account: account, Created: a.Created, Data: data,
		Cols: []store.Col{{Name: "setup_intent", Value: a.SetupIntent}}}
	if insert {
		return tx.InsertNew(ctx, AttemptTable, r)
	}
	return tx.Put(ctx, AttemptTable, r)
}

// latestAttempt loads the intent's latest attempt for change; nil when it
// has none (it was never confirmed).
func latestAttempt(ctx context.Context, tx store.Tx, account string, si *SetupIntent) (*Attempt, error) {
	if si.LatestAttempt == nil {
		return nil, nil
	}
	rec, err := tx.GetForUpdate(ctx, AttemptTable, account, *si.LatestAttempt)
	if err != nil {
		return nil, err
	}
	var a Attempt
	return &a, json.Unmarshal(rec.Data, &a)
}

// abandonAttempt marks the intent's latest attempt abandoned if it still
// waits for the customer: the intent is confirmed again, given another
// method, or canceled.
func abandonAttempt(ctx context.Context, tx store.Tx, account string, si *SetupIntent) error {
	a, err := latestAttempt(ctx, tx, account, si)
	if err != nil || a == nil || a.Status != attemptRequiresAction {
		return err
	}
	return a.put(ctx, tx, account, attemptAbandoned, nil, false)
}

// stepAttempt is the attempt a pending step (the customer's authorization,
// a delayed setup's settlement) finishes: the intent's latest. An intent
// that waited from before payd kept attempts has none, and gets a new one
// (fresh) for the outcome.
func (s *Service) stepAttempt(ctx context.Context, tx store.Tx, account string, l *loaded, pm *paymentmethod.PaymentMethod) (a *Attempt, fresh bool, err error) {
	if a, err = latestAttempt(ctx, tx, account, l.si); err != nil || a != nil {
		return a, false, err
	}
	return attemptOf(l, pm, s.Now()), true, nil
}

// GetAttempt returns the stored JSON of a SetupAttempt.
func GetAttempt(ctx context.Context, tx store.Tx, account, attemptID string) ([]byte, error) {
	rec, err := tx.Get(ctx, AttemptTable, account, attemptID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errs.NotFound("setup_attempt", attemptID, "id")
	}
	return rec.Data, err
}
