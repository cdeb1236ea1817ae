// Package refund implements Stripe's Refund: returning all or part of a
// captured charge. A refund and the charge's running total
// (amount_refunded, refunded) change in one transaction under the charge's
// row lock, so refunds racing on one charge can never return more than was
// captured.
package refund

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/money"
	"github.com/payd/payd/internal/store"
)

// Table is where refunds live.
const Table = "refunds"

// Prefix starts every refund id.
const Prefix = "re"

// Status is a refund status.
type Status string

// The statuses of Stripe's refund machine. Card refunds are succeeded at
// once; pending and requires_action belong to methods whose refund waits
// on a bank or on the customer; failed and canceled are final.
const (
	Pending        Status = "pending"
	RequiresAction Status = "requires_action"
	Succeeded      Status = "succeeded"
	Failed         Status = "failed"
	Canceled       Status = "canceled"
)

// Refund is Stripe's refund object. It has no livemode field: Stripe's
// refund is one of the few objects without one.
type Refund struct {
	ID                     string             `json:"id"`
	Object                 string             `json:"object"`
	Amount                 int64              `json:"amount"`
	BalanceTransaction     *string            `json:"balance_transaction"`
	Charge                 *string            `json:"charge"`
	Created                int64              `json:"created"`
	Currency               string             `json:"currency"`
	Customer               *string            `json:"customer"`
	CustomerAccount        *string            `json:"customer_account"`
	DestinationDetails     DestinationDetails `json:"destination_details"`
	FailureReason          string             `json:"failure_reason,omitempty"`
	Metadata               map[string]string  `json:"metadata"`
	PaymentIntent          *string            `json:"payment_intent"`
	PaymentMethod          *string            `json:"payment_method"`
	PendingReason          string             `json:"pending_reason,omitempty"`
	Reason                 *string            `json:"reason"`
	ReceiptNumber          *string            `json:"receipt_number"`
	SourceTransferReversal *string            `json:"source_transfer_reversal"`
	Status                 Status             `json:"status"`
	TransferReversal       *string            `json:"transfer_reversal"`
}

// DestinationDetails is refund.destination_details: the type of the
// refunded payment method and a hash of that name. Only cards have details
// payd can give (the acquirer reference, pending until the network
// assigns one); other types get an empty hash, as Stripe's unimplemented
// destinations do.
type DestinationDetails map[string]any

func destinationDetails(methodType string) DestinationDetails {
	if methodType == "" {
		methodType = "card"
	}
	if methodType == "card" {
		return DestinationDetails{"type": "card", "card": map[string]any{
			"reference_status": "pending", "reference_type": "acquirer_reference_number", "type": "refund"}}
	}
	return DestinationDetails{"type": methodType, methodType: map[string]any{}}
}

// Get returns the stored JSON of a refund. The 404 names the path
// parameter, refund, as Stripe's does.
func Get(ctx context.Context, tx store.Tx, account, refundID string) ([]byte, error) {
	rec, err := tx.Get(ctx, Table, account, refundID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errs.NotFound("refund", refundID, "refund")
	}
	return rec.Data, err
}

// private is a refund's server-side state: when a refund that waits
// settles (unix ms), and the failure reason it then settles with ("" when
// it succeeds).
type private struct {
	SettleAt      int64  `json:"settle_at,omitempty"`
	SettleFailure string `json:"settle_failure,omitempty"`
}

// load returns a refund for update with its private state and its stored
// JSON, the "before" of the event an update records.
func load(ctx context.Context, tx store.Tx, account, refundID string) (*Refund, *private, []byte, error) {
	rec, err := tx.GetForUpdate(ctx, Table, account, refundID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil, errs.NotFound("refund", refundID, "refund")
	}
	if err != nil {
		return nil, nil, nil, err
	}
	var r Refund
	var priv private
	if err := store.Decode(rec, &r, &priv); err != nil {
		return nil, nil, nil, err
	}
	return &r, &priv, rec.Data, nil
}

// save writes the refund (inserting it when new) and records typ with the
// previous JSON for updates.
func save(ctx context.Context, tx store.Tx, account string, now int64, r *Refund, priv *private, before []byte, insert bool, typ string) ([]byte, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	var settleAt any
	var privJSON []byte
	if priv.SettleAt > 0 {
		settleAt = priv.SettleAt
		if privJSON, err = json.Marshal(priv); err != nil {
			return nil, err
		}
	}
	rec := store.Record{ID: r.ID, Account: account, Created: r.Created, Data: data, Private: privJSON,
		Cols: []store.Col{{Name: "charge", Value: nullable(r.Charge)}, {Name: "payment_intent", Value: nullable(r.PaymentIntent)},
			{Name: "settle_at", Value: settleAt}}}
	if insert {
		err = tx.InsertNew(ctx, Table, rec)
	} else {
		err = tx.Put(ctx, Table, rec)
	}
	if err != nil {
		return nil, err
	}
	if _, err := event.Record(ctx, tx, account, now, typ, data, before); err != nil {
		return nil, err
	}
	return data, nil
}

// display renders an amount the way Stripe's refund messages do
// ("Refund amount ($40.00) …", "(€10.00)"): the currency's sign, major
// units with its decimals, integer arithmetic only. A currency without a
// well-known sign shows its code instead, which is payd's guess, not a
// recorded answer.
func display(amount int64, currency string) string {
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	sym := money.Symbol(currency)
	if sym == "" {
		sym = strings.ToUpper(currency) + " "
	}
	return sign + sym + money.Major(amount, currency)
}

func nullable(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
