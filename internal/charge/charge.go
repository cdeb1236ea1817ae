// Package charge keeps Stripe's Charge objects: one per payment attempt of
// a PaymentIntent, written by the intent's operations in their own
// transaction, and read through the Charges API.
package charge

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/processor"
	"github.com/payd/payd/internal/store"
)

// Table is where charges live.
const Table = "charges"

// Prefix starts every charge id.
const Prefix = "ch"

// Statuses.
const (
	Succeeded = "succeeded"
	Pending   = "pending"
	Failed    = "failed"
)

// Charge is Stripe's charge object.
type Charge struct {
	ID                            string            `json:"id"`
	Object                        string            `json:"object"`
	Amount                        int64             `json:"amount"`
	AmountCaptured                int64             `json:"amount_captured"`
	AmountRefunded                int64             `json:"amount_refunded"`
	Application                   *string           `json:"application"`
	ApplicationFee                *string           `json:"application_fee"`
	ApplicationFeeAmount          *int64            `json:"application_fee_amount"`
	BalanceTransaction            *string           `json:"balance_transaction"`
	BillingDetails                json.RawMessage   `json:"billing_details"`
	CalculatedStatementDescriptor *string           `json:"calculated_statement_descriptor"`
	Captured                      bool              `json:"captured"`
	Created                       int64             `json:"created"`
	Currency                      string            `json:"currency"`
	Customer                      *string           `json:"customer"`
	Description                   *string           `json:"description"`
	Disputed                      bool              `json:"disputed"`
	FailureBalanceTransaction     *string           `json:"failure_balance_transaction"`
	FailureCode                   *string           `json:"failure_code"`
	FailureMessage                *string           `json:"failure_message"`
	FraudDetails                  map[string]string `json:"fraud_details"`
	Livemode                      bool              `json:"livemode"`
	Metadata                      map[string]string `json:"metadata"`
	OnBehalfOf                    *string           `json:"on_behalf_of"`
	Outcome                       *Outcome          `json:"outcome"`
	Paid                          bool              `json:"paid"`
	PaymentIntent                 *string           `json:"payment_intent"`
	PaymentMethod                 *string           `json:"payment_method"`
	PaymentMethodDetails          map[string]any    `json:"payment_method_details"`
	ReceiptEmail                  *string           `json:"receipt_email"`
	ReceiptNumber                 *string           `json:"receipt_number"`
	ReceiptURL                    *string           `json:"receipt_url"`
	Refunded                      bool              `json:"refunded"`
	Review                        *string           `json:"review"`
	Shipping                      json.RawMessage   `json:"shipping"`
	SourceTransfer                *string           `json:"source_transfer"`
	StatementDescriptor           *string           `json:"statement_descriptor"`
	StatementDescriptorSuffix     *string           `json:"statement_descriptor_suffix"`
	Status                        string            `json:"status"`
	TransferData                  any               `json:"transfer_data"`
	TransferGroup                 *string           `json:"transfer_group"`
}

// Outcome is charge.outcome.
type Outcome struct {
	AdviceCode         *string `json:"advice_code"`
	NetworkAdviceCode  *string `json:"network_advice_code"`
	NetworkDeclineCode *string `json:"network_decline_code"`
	NetworkStatus      *string `json:"network_status"`
	Reason             *string `json:"reason"`
	RiskLevel          string  `json:"risk_level,omitempty"`
	RiskScore          int64   `json:"risk_score,omitempty"`
	SellerMessage      *string `json:"seller_message"`
	Type               string  `json:"type"`
}

// New describes the attempt a PaymentIntent makes.
type New struct {
	Account        string
	Created        int64
	Amount         int64
	Currency       string
	Customer       *string
	Description    *string
	PaymentIntent  string
	PaymentMethod  string
	BillingDetails json.RawMessage
	Details        map[string]any
	ReceiptEmail   *string
	Statement      *string
	Shipping       json.RawMessage
	Metadata       map[string]string
	// Status and Captured say what the processor decided.
	Status   string
	Captured bool
	Outcome  processor.Outcome
}

// Create writes the charge and its event (charge.succeeded, .pending or
// .failed) and returns it.
func Create(ctx context.Context, tx store.Tx, n New) (*Charge, error) {
	c := &Charge{
		ID: id.New(Prefix), Object: "charge", Amount: n.Amount, BillingDetails: n.BillingDetails,
		Captured: n.Captured, Created: n.Created, Currency: n.Currency, Customer: n.Customer,
		Description: n.Description, FraudDetails: map[string]string{}, Metadata: n.Metadata,
		PaymentIntent: &n.PaymentIntent, PaymentMethod: &n.PaymentMethod, PaymentMethodDetails: n.Details,
		ReceiptEmail: n.ReceiptEmail, Shipping: n.Shipping, Status: n.Status,
		StatementDescriptor: n.Statement, CalculatedStatementDescriptor: statement(n.Statement),
	}
	if c.Metadata == nil {
		c.Metadata = map[string]string{}
	}
	if len(c.BillingDetails) == 0 {
		c.BillingDetails = json.RawMessage(`{"address":null,"email":null,"name":null,"phone":null,"tax_id":null}`)
	}
	if len(c.Shipping) == 0 {
		c.Shipping = json.RawMessage("null")
	}
	o := n.Outcome
	c.Outcome = &Outcome{NetworkStatus: str(o.NetworkStatus), SellerMessage: str(o.SellerMessage),
		RiskLevel: o.RiskLevel, RiskScore: o.RiskScore, Type: o.Type}
	if o.Reason != "" && n.Status == Failed {
		c.Outcome.Reason = str(o.Reason)
	}
	switch n.Status {
	case Succeeded:
		c.Paid = true
		if n.Captured {
			c.AmountCaptured = n.Amount
		}
	case Failed:
		c.FailureCode, c.FailureMessage = str(o.Code), str(o.Message)
	}
	typ := "charge." + n.Status
	data, err := put(ctx, tx, n.Account, c, true)
	if err != nil {
		return nil, err
	}
	if _, err := event.Record(ctx, tx, n.Account, n.Created, typ, data, nil); err != nil {
		return nil, err
	}
	return c, nil
}

// Load returns a charge of the account, for update.
func Load(ctx context.Context, tx store.Tx, account, chargeID, paramName string) (*Charge, []byte, error) {
	rec, err := tx.GetForUpdate(ctx, Table, account, chargeID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errs.NotFound("charge", chargeID, paramName)
	}
	if err != nil {
		return nil, nil, err
	}
	var c Charge
	if err := json.Unmarshal(rec.Data, &c); err != nil {
		return nil, nil, err
	}
	return &c, rec.Data, nil
}

// Save writes a changed charge and records typ (charge.captured,
// charge.refunded, charge.updated, …) with its previous attributes.
func Save(ctx context.Context, tx store.Tx, account string, now int64, c *Charge, before []byte, typ string) error {
	data, err := put(ctx, tx, account, c, false)
	if err != nil {
		return err
	}
	_, err = event.Record(ctx, tx, account, now, typ, data, before)
	return err
}

// MarkDisputed flags a charge as disputed. Stripe tells of the change with
// the dispute's own events (charge.dispute.created), so none is recorded
// here.
func MarkDisputed(ctx context.Context, tx store.Tx, account string, c *Charge) error {
	c.Disputed = true
	_, err := put(ctx, tx, account, c, false)
	return err
}

// put writes the charge and returns its JSON.
func put(ctx context.Context, tx store.Tx, account string, c *Charge, insert bool) ([]byte, error) {
	data, err := marshal(c)
	if err != nil {
		return nil, err
	}
	r := store.Record{ID: c.ID, Account: account, Created: c.Created, Data: data,
		Cols: []store.Col{{Name: "customer", Value: nullable(c.Customer)}, {Name: "payment_intent", Value: nullable(c.PaymentIntent)}}}
	if insert {
		return data, tx.InsertNew(ctx, Table, r)
	}
	return data, tx.Put(ctx, Table, r)
}

// statement is what appears on the customer's statement.
func statement(s *string) *string {
	if s != nil {
		return s
	}
	v := "PAYD"
	return &v
}

func str(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nullable(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
