package paymentintent

import (
	"context"
	"encoding/json"
	"time"

	"github.com/payd/payd/internal/charge"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/metadata"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/processor"
	"github.com/payd/payd/internal/store"
)

// Capture takes the authorized amount, or part of it (amount_to_capture);
// the rest of the authorization is released, as Stripe does.
func (s *Service) Capture(ctx context.Context, tx store.Tx, account, intentID string, p param.Map) ([]byte, error) {
	for _, name := range []string{"application_fee_amount", "transfer_data", "hooks", "payment_details", "amount_details", "final_capture"} {
		if p.Has(name) {
			return nil, errs.Invalid("", name, "%s is not supported by payd.", name)
		}
	}
	l, err := load(ctx, tx, account, intentID)
	if err != nil {
		return nil, err
	}
	pi := l.pi
	if !can("capture", pi.Status) {
		return nil, stateError("capture", pi)
	}
	amount := pi.AmountCapturable
	if v := p.Int("amount_to_capture"); v != nil {
		amount = *v
	}
	if amount > pi.AmountCapturable {
		return nil, errs.Invalid("amount_too_large", "amount_to_capture",
			"The amount to capture (%d) must be less than or equal to the amount capturable (%d).", amount, pi.AmountCapturable)
	}
	if amount <= 0 {
		return nil, errs.Invalid("", "amount_to_capture", "The amount to capture must be greater than zero.")
	}
	p.Optional("statement_descriptor", &pi.StatementDescriptor)
	p.Optional("statement_descriptor_suffix", &pi.StatementDescriptorSuffix)
	md, err := metadata.Apply(pi.Metadata, p, "metadata")
	if err != nil {
		return nil, err
	}
	pi.Metadata = md
	if pi.LatestCharge == nil {
		return nil, errs.Internal()
	}
	ch, before, err := charge.Load(ctx, tx, account, *pi.LatestCharge, "intent")
	if err != nil {
		return nil, err
	}
	if err := s.Processor.Capture(ctx, ch.ID, amount); err != nil {
		return nil, err
	}
	now := s.Now().Unix()
	ch.Captured, ch.AmountCaptured = true, amount
	if amount < ch.Amount {
		ch.AmountRefunded = ch.Amount - amount
	}
	if err := charge.Save(ctx, tx, account, now, ch, before, "charge.captured"); err != nil {
		return nil, err
	}
	pi.Status, pi.AmountReceived, pi.AmountCapturable = Succeeded, amount, 0
	reason, inquiry := l.priv.DisputeReason, l.priv.DisputeInquiry
	l.priv.DisputeReason, l.priv.DisputeInquiry = "", false
	data, err := s.save(ctx, tx, account, now, l, "payment_intent.succeeded")
	if err != nil {
		return nil, err
	}
	if err := disputeTestCard(ctx, tx, account, ch, reason, inquiry, time.Unix(now, 0)); err != nil {
		return nil, err
	}
	return data, nil
}

// cancellationReasons are those a caller may give.
var cancellationReasons = map[string]bool{"duplicate": true, "fraudulent": true, "requested_by_customer": true, "abandoned": true}

// Cancel ends an intent that has not succeeded; an uncaptured
// authorization is released.
func (s *Service) Cancel(ctx context.Context, tx store.Tx, account, intentID string, p param.Map) ([]byte, error) {
	return s.CancelFor(ctx, tx, account, intentID, p, "")
}

// CancelFor is Cancel by owner (see ConfirmFor): a session cancels its
// intent when it expires.
func (s *Service) CancelFor(ctx context.Context, tx store.Tx, account, intentID string, p param.Map, owner string) ([]byte, error) {
	l, err := load(ctx, tx, account, intentID)
	if err != nil {
		return nil, err
	}
	if l.priv.Owner != owner {
		return nil, errs.CheckoutOwned("PaymentIntents")
	}
	pi := l.pi
	if !can("cancel", pi.Status) {
		return nil, stateError("cancel", pi)
	}
	now := s.Now().Unix()
	if r := p.Str("cancellation_reason"); r != "" {
		if !cancellationReasons[r] {
			return nil, errs.Invalid("", "cancellation_reason", "Invalid cancellation_reason: must be one of abandoned, duplicate, fraudulent or requested_by_customer")
		}
		pi.CancellationReason = &r
	}
	if pi.Status == RequiresCapture && pi.LatestCharge != nil {
		ch, before, err := charge.Load(ctx, tx, account, *pi.LatestCharge, "intent")
		if err != nil {
			return nil, err
		}
		if err := s.Processor.Cancel(ctx, ch.ID); err != nil {
			return nil, err
		}
		ch.AmountRefunded, ch.Refunded = ch.Amount, true
		if err := charge.Save(ctx, tx, account, now, ch, before, "charge.refunded"); err != nil {
			return nil, err
		}
	}
	pi.Status, pi.CanceledAt, pi.NextAction, pi.AmountCapturable = Canceled, &now, nil, 0
	l.priv.End()
	return s.save(ctx, tx, account, now, l, "payment_intent.canceled")
}

// Action is a pending customer step, for the authorization page.
type Action struct {
	IntentID     string
	ClientSecret string
	Kind         string // processor.ActionThreeDS or ActionRedirect
	ReturnURL    string
	Amount       int64
	Currency     string
	MethodType   string
	Status       Status
}

// PendingAction returns the step token names, or an error when the token
// is not the intent's current one (used, stale or wrong).
func (s *Service) PendingAction(ctx context.Context, tx store.Tx, intentID, token string) (Action, string, error) {
	account, l, err := loadAnyAccount(ctx, tx, intentID, false)
	if err != nil {
		return Action{}, "", err
	}
	return pendingAction(l), account, checkToken(l, token)
}

func pendingAction(l *loaded) Action {
	return Action{IntentID: l.pi.ID, ClientSecret: l.pi.ClientSecret, Kind: l.priv.Action, ReturnURL: l.priv.ReturnURL,
		Amount: l.pi.Amount, Currency: l.pi.Currency, Status: l.pi.Status}
}

// checkToken accepts only the current attempt's token of an intent that
// still waits for the customer.
func checkToken(l *loaded, token string) error {
	if l.pi.Status != RequiresAction || !l.priv.Valid(token) {
		return ErrStaleAction
	}
	return nil
}

// ErrStaleAction: the authorization link was used already or replaced.
var ErrStaleAction = errs.State("payment_intent_action_stale", "This authorization link has already been used or is no longer valid.")

// Authenticate finishes the customer's step: approve=true retries the
// payment as authenticated; false fails the attempt, leaving the intent at
// requires_payment_method with last_payment_error, as Stripe does. The
// token is checked under the intent's row lock, so two submissions of one
// link act once.
func (s *Service) Authenticate(ctx context.Context, tx store.Tx, intentID, token string, approve bool) ([]byte, error) {
	account, l, err := loadAnyAccount(ctx, tx, intentID, true)
	if err != nil {
		return nil, err
	}
	if err := checkToken(l, token); err != nil {
		return nil, err
	}
	pm, err := s.Methods.Get(ctx, tx, account, *l.pi.PaymentMethod, "payment_method")
	if err != nil {
		return nil, err
	}
	kind := l.priv.Action
	l.priv.End()
	if !approve {
		now := s.Now().Unix()
		l.pi.Status, l.pi.NextAction = RequiresPaymentMethod, nil
		pmJSON, _ := pm.JSON()
		code, msg := "payment_intent_authentication_failure",
			"The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again."
		l.pi.LastPaymentError = map[string]any{"type": "invalid_request_error", "code": code, "message": msg,
			"payment_method": json.RawMessage(pmJSON), "doc_url": "https://stripe.com/docs/error-codes/payment-intent-authentication-failure"}
		if kind == processor.ActionThreeDS {
			l.pi.LastPaymentError["type"] = "card_error"
		}
		return s.save(ctx, tx, account, now, l, "payment_intent.payment_failed")
	}
	l.priv.Authenticated = true
	outcome := s.Processor.Authorize(ctx, s.request(l.pi, &l.priv, pm.Processor()))
	data, err := s.record(ctx, tx, account, l, pm, outcome)
	if e, ok := errs.As(err); ok && e.Committed {
		// The decline after authentication is the intent's state now;
		// the page shows the intent, not an API error.
		return marshal(l.pi)
	}
	return data, err
}

// Settle finishes a delayed debit whose time has come: the charge succeeds
// or fails and the intent follows.
func (s *Service) Settle(ctx context.Context, tx store.Tx, account, intentID string) error {
	l, err := load(ctx, tx, account, intentID)
	if err != nil {
		return err
	}
	pi := l.pi
	if pi.Status != Processing || pi.LatestCharge == nil {
		return nil // settled by another node already
	}
	now := s.Now().Unix()
	ch, before, err := charge.Load(ctx, tx, account, *pi.LatestCharge, "intent")
	if err != nil {
		return err
	}
	failure := l.priv.SettleFailure
	l.priv.SettleAt, l.priv.SettleFailure = 0, ""
	if failure == "" {
		ch.Status, ch.Paid, ch.AmountCaptured = charge.Succeeded, true, ch.Amount
		if err := charge.Save(ctx, tx, account, now, ch, before, "charge.succeeded"); err != nil {
			return err
		}
		pi.Status, pi.AmountReceived = Succeeded, pi.Amount
		_, err = s.save(ctx, tx, account, now, l, "payment_intent.succeeded")
		return err
	}
	msg := debitFailureMessage(failure)
	ch.Status, ch.FailureCode, ch.FailureMessage = charge.Failed, &failure, &msg
	ch.Outcome = &charge.Outcome{Type: "issuer_declined", NetworkStatus: ptr("declined_by_network"), Reason: ptr(failure), SellerMessage: ptr(msg)}
	if err := charge.Save(ctx, tx, account, now, ch, before, "charge.failed"); err != nil {
		return err
	}
	pm, err := s.Methods.Get(ctx, tx, account, *pi.PaymentMethod, "payment_method")
	if err != nil {
		return err
	}
	pmJSON, _ := pm.JSON()
	pi.Status = RequiresPaymentMethod
	pi.LastPaymentError = map[string]any{"type": "invalid_request_error", "code": failure, "message": msg,
		"charge": ch.ID, "payment_method": json.RawMessage(pmJSON)}
	_, err = s.save(ctx, tx, account, now, l, "payment_intent.payment_failed")
	return err
}

func debitFailureMessage(code string) string {
	switch code {
	case "insufficient_funds":
		return "The customer's account has insufficient funds to cover this payment."
	case "account_closed":
		return "The customer's bank account has been closed."
	case "no_account":
		return "The customer's bank account could not be located."
	}
	return "The payment could not be completed by the customer's bank."
}

// loadAnyAccount loads an intent by id alone, for the authorization page,
// which a customer reaches without an API key; the token authorizes it.
func loadAnyAccount(ctx context.Context, tx store.Tx, intentID string, lock bool) (string, *loaded, error) {
	account, err := tx.AccountOf(ctx, Table, intentID)
	if err != nil {
		return "", nil, errs.NotFound("payment_intent", intentID, "intent")
	}
	if !lock {
		rec, err := tx.Get(ctx, Table, account, intentID)
		if err != nil {
			return "", nil, err
		}
		l, err := decode(rec)
		return account, l, err
	}
	l, err := load(ctx, tx, account, intentID)
	return account, l, err
}
