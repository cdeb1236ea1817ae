// Package dispute implements Stripe's Dispute: a cardholder contesting a
// charge with their bank. payd opens disputes the way Stripe's test mode
// does (docs.stripe.com/testing#disputes): a payment with one of the
// dispute test cards succeeds and its charge is disputed at once, for the
// full amount. The merchant then answers with evidence or accepts the
// loss; in test mode the evidence text decides the outcome
// ("winning_evidence" wins, "losing_evidence" loses).
//
// Every change and its events (charge.dispute.*) are written in the
// caller's transaction. It knows nothing of HTTP or SQL.
package dispute

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/payd/payd/internal/charge"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/metadata"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/store"
)

// Table is where disputes live.
const Table = "disputes"

// Prefix starts every dispute id.
const Prefix = "du"

// Status is a dispute status.
type Status string

// Stripe's dispute statuses. An inquiry (warning_*) asks for information
// without withdrawing funds; a chargeback withdraws them at once. payd
// never reaches prevented.
const (
	WarningNeedsResponse Status = "warning_needs_response"
	WarningUnderReview   Status = "warning_under_review"
	WarningClosed        Status = "warning_closed"
	NeedsResponse        Status = "needs_response"
	UnderReview          Status = "under_review"
	Won                  Status = "won"
	Lost                 Status = "lost"
)

// Test evidence values (docs.stripe.com/testing#evidence): sent as
// evidence[uncategorized_text], they decide a submitted dispute.
const (
	WinningEvidence = "winning_evidence"
	LosingEvidence  = "losing_evidence"
)

// evidenceDue is how long the merchant has to answer. Stripe's deadline
// depends on the card network; a week is payd's choice, rounded up to the
// end of that day (UTC), as Stripe's due_by falls at a day's last second.
const evidenceDue = 7 * 24 * time.Hour

// Dispute is Stripe's dispute object.
type Dispute struct {
	ID                       string            `json:"id"`
	Object                   string            `json:"object"`
	Amount                   int64             `json:"amount"`
	BalanceTransactions      []any             `json:"balance_transactions"`
	Charge                   string            `json:"charge"`
	Created                  int64             `json:"created"`
	Currency                 string            `json:"currency"`
	EnhancedEligibilityTypes []string          `json:"enhanced_eligibility_types"`
	Evidence                 Evidence          `json:"evidence"`
	EvidenceDetails          EvidenceDetails   `json:"evidence_details"`
	IsChargeRefundable       bool              `json:"is_charge_refundable"`
	Livemode                 bool              `json:"livemode"`
	Metadata                 map[string]string `json:"metadata"`
	PaymentIntent            *string           `json:"payment_intent"`
	PaymentMethodDetails     map[string]any    `json:"payment_method_details"`
	Reason                   string            `json:"reason"`
	Status                   Status            `json:"status"`
}

// Evidence is dispute.evidence: every field the spec lists, null until
// given, and enhanced_evidence, which payd leaves empty.
type Evidence map[string]any

// EvidenceDetails is dispute.evidence_details.
type EvidenceDetails struct {
	DueBy               *int64         `json:"due_by"`
	EnhancedEligibility map[string]any `json:"enhanced_eligibility"`
	HasEvidence         bool           `json:"has_evidence"`
	PastDue             bool           `json:"past_due"`
	SubmissionCount     int64          `json:"submission_count"`
}

// textFields are the evidence fields that take text.
var textFields = []string{
	"access_activity_log", "billing_address", "cancellation_policy_disclosure", "cancellation_rebuttal",
	"customer_email_address", "customer_name", "customer_purchase_ip", "duplicate_charge_explanation",
	"duplicate_charge_id", "product_description", "refund_policy_disclosure", "refund_refusal_explanation",
	"service_date", "shipping_address", "shipping_carrier", "shipping_date", "shipping_tracking_number",
	"uncategorized_text",
}

// fileFields are the evidence fields that name a file upload, which payd
// does not have.
var fileFields = []string{
	"cancellation_policy", "customer_communication", "customer_signature", "duplicate_charge_documentation",
	"receipt", "refund_policy", "service_documentation", "shipping_documentation", "uncategorized_file",
}

func emptyEvidence() Evidence {
	e := Evidence{"enhanced_evidence": map[string]any{}}
	for _, f := range textFields {
		e[f] = nil
	}
	for _, f := range fileFields {
		e[f] = nil
	}
	return e
}

// networkReasonCodes are the Visa reason codes of the reasons payd's test
// cards give (Visa 10.4 "other fraud, card-absent", 13.1 "merchandise or
// services not received").
var networkReasonCodes = map[string]string{"fraudulent": "10.4", "product_not_received": "13.1"}

// Open disputes the succeeded charge ch for the amount captured with reason,
// as an inquiry or a chargeback, marks the charge disputed and records
// charge.dispute.created and, for a chargeback, whose funds Stripe
// withdraws at once, charge.dispute.funds_withdrawn.
func Open(ctx context.Context, tx store.Tx, account string, ch *charge.Charge, reason string, inquiry bool, now time.Time) (*Dispute, error) {
	due := now.Add(evidenceDue).UTC().Truncate(24 * time.Hour).Add(24*time.Hour - time.Second).Unix()
	d := &Dispute{
		ID: id.New(Prefix), Object: "dispute", Amount: ch.AmountCaptured, BalanceTransactions: []any{},
		Charge: ch.ID, Created: now.Unix(), Currency: ch.Currency, EnhancedEligibilityTypes: []string{},
		Evidence:        emptyEvidence(),
		EvidenceDetails: EvidenceDetails{DueBy: &due, EnhancedEligibility: map[string]any{}},
		Metadata:        map[string]string{}, PaymentIntent: ch.PaymentIntent, Reason: reason, Status: NeedsResponse,
		PaymentMethodDetails: methodDetails(ch, reason, inquiry),
	}
	if inquiry {
		// The funds stay with the merchant, who may still refund.
		d.Status, d.IsChargeRefundable = WarningNeedsResponse, true
	}
	if err := charge.MarkDisputed(ctx, tx, account, ch); err != nil {
		return nil, err
	}
	data, err := save(ctx, tx, account, d, true)
	if err != nil {
		return nil, err
	}
	types := []string{"charge.dispute.created"}
	if !inquiry {
		types = append(types, "charge.dispute.funds_withdrawn")
	}
	for _, typ := range types {
		if _, err := event.Record(ctx, tx, account, d.Created, typ, data, nil); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// methodDetails is dispute.payment_method_details for the card of ch.
func methodDetails(ch *charge.Charge, reason string, inquiry bool) map[string]any {
	// The details are a typed value on a charge just created and a map on
	// one loaded from the store; their JSON is the same.
	var card struct{ Brand, Network string }
	if b, err := json.Marshal(ch.PaymentMethodDetails["card"]); err == nil {
		_ = json.Unmarshal(b, &card)
	}
	brand, network := card.Brand, card.Network
	if brand == "" {
		brand = "unknown"
	}
	if network == "" {
		network = brand
	}
	caseType := "chargeback"
	if inquiry {
		caseType = "inquiry"
	}
	var code any
	if c, ok := networkReasonCodes[reason]; ok && network == "visa" && !inquiry {
		code = c
	}
	return map[string]any{"type": "card", "card": map[string]any{
		"brand": brand, "case_type": caseType, "network": network, "network_reason_code": code}}
}

// Get returns the stored JSON of a dispute. The 404 names the path
// parameter, dispute, as Stripe's does.
func Get(ctx context.Context, tx store.Tx, account, disputeID string) ([]byte, error) {
	rec, err := tx.Get(ctx, Table, account, disputeID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errs.NotFound("dispute", disputeID, "dispute")
	}
	return rec.Data, err
}

// load returns a dispute for update with its stored JSON, the "before" of
// the event an update records.
func load(ctx context.Context, tx store.Tx, account, disputeID string) (*Dispute, []byte, error) {
	rec, err := tx.GetForUpdate(ctx, Table, account, disputeID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errs.NotFound("dispute", disputeID, "dispute")
	}
	if err != nil {
		return nil, nil, err
	}
	var d Dispute
	if err := json.Unmarshal(rec.Data, &d); err != nil {
		return nil, nil, err
	}
	return &d, rec.Data, nil
}

// save writes the dispute, inserting it when new, and returns its JSON.
func save(ctx context.Context, tx store.Tx, account string, d *Dispute, insert bool) ([]byte, error) {
	data, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	var pi any
	if d.PaymentIntent != nil {
		pi = *d.PaymentIntent
	}
	rec := store.Record{ID: d.ID, Account: account, Created: d.Created, Data: data,
		Cols: []store.Col{{Name: "charge", Value: d.Charge}, {Name: "payment_intent", Value: pi}}}
	if insert {
		return data, tx.InsertNew(ctx, Table, rec)
	}
	return data, tx.Put(ctx, Table, rec)
}

// open reports whether the dispute still awaits the merchant's answer.
func (s Status) open() bool {
	switch s {
	case NeedsResponse, WarningNeedsResponse:
		return true
	case UnderReview, WarningUnderReview, Won, Lost, WarningClosed:
		return false
	}
	return false
}

// closed reports whether the dispute has ended.
func (s Status) closed() bool {
	switch s {
	case Won, Lost, WarningClosed:
		return true
	case NeedsResponse, WarningNeedsResponse, UnderReview, WarningUnderReview:
		return false
	}
	return false
}

// inquiry reports whether the dispute is an inquiry rather than a
// chargeback.
func (d *Dispute) inquiry() bool {
	card, _ := d.PaymentMethodDetails["card"].(map[string]any)
	return card["case_type"] == "inquiry"
}

// Service holds what dispute operations depend on.
type Service struct {
	Now func() time.Time
}

// Update answers POST /v1/disputes/{dispute}: metadata at any time;
// evidence, staged or submitted (submit defaults to true, as on Stripe),
// only while the dispute awaits a response. Submitting moves it under
// review, and the test evidence values then decide it at once.
func (s *Service) Update(ctx context.Context, tx store.Tx, account, disputeID string, p param.Map) ([]byte, error) {
	if p.Has("evidence") {
		if err := checkEvidence(p.Map("evidence")); err != nil {
			return nil, err
		}
	}
	d, before, err := load(ctx, tx, account, disputeID)
	if err != nil {
		return nil, err
	}
	md, err := metadata.Apply(d.Metadata, p, "metadata")
	if err != nil {
		return nil, err
	}
	d.Metadata = md
	// A request with neither evidence nor submit only changes metadata.
	answering := p.Has("evidence") || p.Has("submit")
	submit := true
	if b := p.Bool("submit"); b != nil {
		submit = *b
	}
	if answering {
		if !d.Status.open() {
			return nil, errs.State("", "This dispute's evidence could not be updated because it has a status of %s.", d.Status)
		}
		for k, v := range p.Map("evidence") {
			if v == "" {
				d.Evidence[k] = nil
			} else {
				d.Evidence[k] = v
			}
		}
		d.EvidenceDetails.HasEvidence = hasEvidence(d.Evidence)
		if submit {
			d.EvidenceDetails.SubmissionCount++
			d.Status = UnderReview
			if d.inquiry() {
				d.Status = WarningUnderReview
			}
		}
	}
	// An update that changes nothing writes nothing and records no event.
	if after, err := json.Marshal(d); err != nil || string(after) == string(before) {
		return before, err
	}
	now := s.Now().Unix()
	data, err := save(ctx, tx, account, d, false)
	if err != nil {
		return nil, err
	}
	if _, err := event.Record(ctx, tx, account, now, "charge.dispute.updated", data, before); err != nil {
		return nil, err
	}
	if !answering || !submit {
		return data, nil
	}
	switch d.Evidence["uncategorized_text"] {
	case WinningEvidence:
		if d.inquiry() {
			return s.close(ctx, tx, account, d, data, WarningClosed, now)
		}
		return s.close(ctx, tx, account, d, data, Won, now)
	case LosingEvidence:
		return s.close(ctx, tx, account, d, data, Lost, now)
	}
	return data, nil
}

// Close answers POST /v1/disputes/{dispute}/close: the merchant accepts
// the dispute. A chargeback is lost; an inquiry closes with a warning.
func (s *Service) Close(ctx context.Context, tx store.Tx, account, disputeID string) ([]byte, error) {
	d, before, err := load(ctx, tx, account, disputeID)
	if err != nil {
		return nil, err
	}
	switch {
	case d.Status.closed():
		return nil, errs.State("", "This dispute is already closed.")
	case !d.Status.open():
		return nil, errs.State("", "This dispute could not be closed because it has a status of %s.", d.Status)
	}
	outcome := Lost
	if d.inquiry() {
		outcome = WarningClosed
	}
	return s.close(ctx, tx, account, d, before, outcome, s.Now().Unix())
}

// close ends the dispute with outcome (won, lost or, for an inquiry that
// is won or accepted, warning_closed) and records charge.dispute.closed
// and, for a won chargeback, whose funds Stripe returns,
// charge.dispute.funds_reinstated.
func (s *Service) close(ctx context.Context, tx store.Tx, account string, d *Dispute, before []byte, outcome Status, now int64) ([]byte, error) {
	d.Status = outcome
	data, err := save(ctx, tx, account, d, false)
	if err != nil {
		return nil, err
	}
	if _, err := event.Record(ctx, tx, account, now, "charge.dispute.closed", data, before); err != nil {
		return nil, err
	}
	if outcome == Won {
		if _, err := event.Record(ctx, tx, account, now, "charge.dispute.funds_reinstated", data, nil); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// checkEvidence refuses what payd cannot keep: file uploads and enhanced
// evidence. The request validator has already checked the rest.
func checkEvidence(ev param.Map) error {
	if ev.Has("enhanced_evidence") {
		return errs.Invalid("", "evidence[enhanced_evidence]", "Enhanced evidence is not supported by payd.")
	}
	for _, f := range fileFields {
		if ev.Str(f) != "" {
			return errs.Invalid("", "evidence["+f+"]",
				"File uploads are not supported by payd, so evidence[%s] cannot name one.", f)
		}
	}
	return nil
}

func hasEvidence(e Evidence) bool {
	for k, v := range e {
		if k != "enhanced_evidence" && v != nil {
			return true
		}
	}
	return false
}

// ChargeRefundable reports whether the disputes of a charge let it be
// refunded: a chargeback took the funds back (is_charge_refundable is
// false), an inquiry left them with the merchant.
func ChargeRefundable(ctx context.Context, tx store.Tx, account, chargeID string) (bool, error) {
	page, err := tx.List(ctx, Table, store.ListQuery{Account: account, Limit: 100,
		Filters: []store.Filter{{Col: "charge", Values: []any{chargeID}}}})
	if err != nil {
		return false, err
	}
	for _, rec := range page.Records {
		var d Dispute
		if err := json.Unmarshal(rec.Data, &d); err != nil {
			return false, err
		}
		if !d.IsChargeRefundable {
			return false, nil
		}
	}
	return true, nil
}
