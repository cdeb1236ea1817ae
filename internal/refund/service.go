package refund

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/payd/payd/internal/charge"
	"github.com/payd/payd/internal/dispute"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/metadata"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/paymentintent"
	"github.com/payd/payd/internal/paymentmethod"
	"github.com/payd/payd/internal/processor"
	"github.com/payd/payd/internal/store"
)

// Service runs refund operations inside the caller's transaction.
type Service struct {
	Now       func() time.Time
	Processor processor.Processor
	// Methods tells the processor which payment method a refund returns
	// money to (its test behaviour decides how the refund goes).
	Methods *paymentmethod.Service
}

// refuseUnsupported rejects the parameters that ask for things payd does
// not have (Connect, customer balances, refund instructions by email),
// rather than ignoring them and answering as if they had been honoured.
func refuseUnsupported(p param.Map) error {
	if p.Has("instructions_email") {
		return errs.Invalid("", "instructions_email",
			"instructions_email is not supported by payd: it is for payment methods without native refunds, and every payd payment method refunds natively.")
	}
	for _, name := range []string{"origin", "customer", "currency"} {
		if p.Has(name) {
			return errs.Invalid("", name, "Refunds of a customer balance (origin, customer, currency) are not supported by payd.")
		}
	}
	// false asks for nothing payd lacks, so only true is refused.
	for _, name := range []string{"refund_application_fee", "reverse_transfer"} {
		if v := p.Bool(name); v != nil && *v {
			return errs.Invalid("", name, "%s is not supported by payd: it has no Connect application fees or transfers.", name)
		}
	}
	return nil
}

// Create refunds a charge, named directly or through its PaymentIntent.
// The pipeline: validate → load and lock the charge → decide the amount →
// ask the processor → write the refund, then the charge's new total, with
// refund.created and charge.refunded in that order, as Stripe sends them.
func (s *Service) Create(ctx context.Context, tx store.Tx, account string, p param.Map) ([]byte, error) {
	if err := refuseUnsupported(p); err != nil {
		return nil, err
	}
	chargeID, intentID := p.Str("charge"), p.Str("payment_intent")
	switch {
	case chargeID == "" && intentID == "":
		// Stripe's own words, with neither code nor param.
		return nil, errs.Invalid("", "", "One of the following params should be provided for this request: payment_intent or charge.")
	case chargeID != "" && intentID != "":
		return nil, errs.Invalid("parameters_exclusive", "payment_intent",
			"You may only specify one of these parameters: charge, payment_intent.")
	}
	amount := p.Int("amount")
	if amount != nil && *amount < 1 {
		return nil, errs.Invalid("parameter_invalid_integer", "amount", "This value must be greater than or equal to 1.")
	}
	// The schema limits reason to what a caller may give (duplicate,
	// fraudulent, requested_by_customer); expired_uncaptured_charge is
	// Stripe's own.
	reason := p.String("reason")
	md, err := metadata.Apply(nil, p, "metadata")
	if err != nil {
		return nil, err
	}

	if intentID != "" {
		if chargeID, err = latestCharge(ctx, tx, account, intentID); err != nil {
			return nil, err
		}
	}
	// The charge's row lock serializes every refund of this charge until
	// this transaction ends, so the remaining amount read here is still
	// true when the new total is written.
	ch, before, err := charge.Load(ctx, tx, account, chargeID, "id")
	if err != nil {
		return nil, err
	}
	if err := refundable(ch); err != nil {
		return nil, err
	}
	if ch.Disputed {
		ok, err := dispute.ChargeRefundable(ctx, tx, account, ch.ID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errs.Invalid("charge_disputed", "", "Charge %s has been charged back; cannot issue a refund.", ch.ID)
		}
	}
	// amount_refunded already counts the part of a partial capture that
	// was released, so what remains is measured against the charge's
	// amount, not amount_captured.
	remaining := ch.Amount - ch.AmountRefunded
	if remaining <= 0 {
		return nil, errs.State("charge_already_refunded", "Charge %s has already been refunded.", ch.ID)
	}
	if amount == nil {
		amount = &remaining
	}
	if *amount > remaining {
		// Stripe answers this one with param amount and no code, and
		// speaks of the charge amount until part of it is refunded.
		what := "unrefunded amount on charge"
		if ch.AmountRefunded == 0 {
			what = "charge amount"
		}
		return nil, errs.Invalid("", "amount", "Refund amount (%s) is greater than %s (%s)",
			display(*amount, ch.Currency), what, display(remaining, ch.Currency))
	}

	now := s.Now().Unix()
	r := &Refund{
		ID: id.New(Prefix), Object: "refund", Amount: *amount, Charge: &ch.ID, Created: now,
		Currency: ch.Currency, Customer: ch.Customer, DestinationDetails: destinationDetails(methodType(ch)),
		Metadata: md, PaymentIntent: ch.PaymentIntent, PaymentMethod: ch.PaymentMethod, Reason: reason,
	}
	var method processor.Method
	if ch.PaymentMethod != nil {
		pm, err := s.Methods.Get(ctx, tx, account, *ch.PaymentMethod, "charge")
		if err != nil {
			return nil, err
		}
		method = pm.Processor()
	}
	outcome := s.Processor.Refund(ctx, ch.ID, method, r.Amount)
	book := true
	priv := &private{}
	if !outcome.SettleAt.IsZero() {
		priv.SettleAt, priv.SettleFailure = outcome.SettleAt.UnixMilli(), outcome.SettleFailure
	}
	switch outcome.Result {
	case processor.Succeeded:
		// Cards, and in payd also bank debits: Stripe keeps a debit's
		// refund pending until the bank confirms it, which payd's test
		// processor does not model. A refund that is to fail later
		// (SettleFailure) succeeds for now.
		r.Status = Succeeded
	case processor.Pending:
		// The amount is booked at once so that it cannot be refunded
		// twice while the refund waits.
		r.Status, r.PendingReason = Pending, "processing"
	case processor.Declined:
		r.Status, r.FailureReason, book = Failed, "declined", false
	case processor.RequiresAction:
		// No payd method asks the customer to act for a refund.
		return nil, errs.Internal()
	default:
		return nil, errs.Internal()
	}
	data, err := save(ctx, tx, account, now, r, priv, nil, true, "refund.created")
	if err != nil {
		return nil, err
	}
	if !book {
		if _, err := event.Record(ctx, tx, account, now, "refund.failed", data, nil); err != nil {
			return nil, err
		}
		return data, nil
	}
	ch.AmountRefunded += r.Amount
	ch.Refunded = ch.AmountRefunded == ch.Amount
	if err := charge.Save(ctx, tx, account, now, ch, before, "charge.refunded"); err != nil {
		return nil, err
	}
	return data, nil
}

// latestCharge finds the charge a refund by payment_intent refunds: the
// intent's latest attempt.
func latestCharge(ctx context.Context, tx store.Tx, account, intentID string) (string, error) {
	rec, err := tx.Get(ctx, paymentintent.Table, account, intentID)
	if errors.Is(err, store.ErrNotFound) {
		return "", errs.NotFound("payment_intent", intentID, "payment_intent")
	}
	if err != nil {
		return "", err
	}
	var pi struct {
		LatestCharge *string `json:"latest_charge"`
	}
	if err := json.Unmarshal(rec.Data, &pi); err != nil {
		return "", err
	}
	if pi.LatestCharge == nil {
		return "", noSuccessfulCharge(intentID)
	}
	return *pi.LatestCharge, nil
}

// refundable says why a charge cannot be refunded, in Stripe's words, or
// nil. An authorization that is still held must be released by canceling
// its PaymentIntent; one already released (the intent was canceled) is no
// successful charge at all.
func refundable(ch *charge.Charge) error {
	switch ch.Status {
	case charge.Failed, charge.Pending:
		// A pending debit has no money to return yet. Stripe would accept
		// the refund and hold it (pending_reason charge_pending); payd
		// asks the caller to wait for the charge to settle.
		return noSuccessfulCharge(intentOf(ch))
	case charge.Succeeded:
	default:
		return errs.Internal()
	}
	if !ch.Captured {
		if ch.Refunded {
			return noSuccessfulCharge(intentOf(ch))
		}
		return errs.Invalid("", "", "This uncaptured Charge was created by a PaymentIntent (%s). You must cancel the PaymentIntent to reverse the authorization instead of refunding the Charge directly. For more information, see https://stripe.com/docs/payments/place-a-hold-on-a-payment-method", intentOf(ch))
	}
	return nil
}

func noSuccessfulCharge(intentID string) error {
	return errs.Invalid("", "", "This PaymentIntent (%s) does not have a successful charge to refund.", intentID)
}

func intentOf(ch *charge.Charge) string {
	if ch.PaymentIntent == nil {
		return ""
	}
	return *ch.PaymentIntent
}

// methodType is the type of the refunded charge's payment method.
func methodType(ch *charge.Charge) string {
	t, _ := ch.PaymentMethodDetails["type"].(string)
	return t
}

// Update changes a refund's metadata, the only thing a caller may change.
// An update that changes nothing records no event.
func (s *Service) Update(ctx context.Context, tx store.Tx, account, refundID string, p param.Map) ([]byte, error) {
	r, priv, before, err := load(ctx, tx, account, refundID)
	if err != nil {
		return nil, err
	}
	md, err := metadata.Apply(r.Metadata, p, "metadata")
	if err != nil {
		return nil, err
	}
	r.Metadata = md
	if after, err := json.Marshal(r); err != nil || string(after) == string(before) {
		return before, err
	}
	return save(ctx, tx, account, s.Now().Unix(), r, priv, before, false, "refund.updated")
}

// Cancel answers POST /v1/refunds/{refund}/cancel. Stripe cancels only a
// refund waiting on the customer (requires_action, per its API reference);
// payd's processors never leave a refund waiting, so today every cancel
// gets Stripe's refusal, which it gives without a code or the status.
func (s *Service) Cancel(ctx context.Context, tx store.Tx, account, refundID string) ([]byte, error) {
	r, _, _, err := load(ctx, tx, account, refundID)
	if err != nil {
		return nil, err
	}
	switch r.Status {
	case Succeeded, Pending, Failed, Canceled:
		return nil, errs.Invalid("", "", "Canceling this refund is unsupported.")
	case RequiresAction:
		// Unreachable until a payment method's refunds wait on the
		// customer; canceling one arrives with that method.
		return nil, errs.Internal()
	}
	return nil, errs.Internal()
}

// Settle finishes a refund whose time has come: a pending one succeeds; one
// that was to fail fails, and its amount goes back onto the charge, so the
// charge may be refunded again. Events: refund.updated, and for a failure
// refund.failed, charge.refund.updated (Stripe's, about the refund) and
// charge.updated.
func (s *Service) Settle(ctx context.Context, tx store.Tx, account, refundID string) error {
	r, priv, before, err := load(ctx, tx, account, refundID)
	if err != nil {
		return err
	}
	if priv.SettleAt == 0 {
		return nil // settled by another node already
	}
	failure := priv.SettleFailure
	priv.SettleAt, priv.SettleFailure = 0, ""
	now := s.Now().Unix()
	if failure == "" {
		r.Status, r.PendingReason = Succeeded, ""
		_, err := save(ctx, tx, account, now, r, priv, before, false, "refund.updated")
		return err
	}
	ch, chBefore, err := charge.Load(ctx, tx, account, *r.Charge, "charge")
	if err != nil {
		return err
	}
	r.Status, r.PendingReason, r.FailureReason = Failed, "", failure
	data, err := save(ctx, tx, account, now, r, priv, before, false, "refund.updated")
	if err != nil {
		return err
	}
	for _, typ := range []string{"refund.failed", "charge.refund.updated"} {
		if _, err := event.Record(ctx, tx, account, now, typ, data, nil); err != nil {
			return err
		}
	}
	ch.AmountRefunded -= r.Amount
	ch.Refunded = ch.AmountRefunded == ch.Amount
	return charge.Save(ctx, tx, account, now, ch, chBefore, "charge.updated")
}
