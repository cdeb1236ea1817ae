package setupintent

import (
	"context"
	"encoding/json"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/mandate"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/store"
)

// Cancel ends an intent that has not succeeded. Nothing was charged, so
// there is nothing to release; a method already created stays as it is.
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
		return nil, errs.CheckoutOwned("SetupIntents")
	}
	si := l.si
	if !can("cancel", si.Status) {
		return nil, stateError("cancel", si)
	}
	if r := p.Str("cancellation_reason"); r != "" {
		si.CancellationReason = &r
	}
	if err := abandonAttempt(ctx, tx, account, si); err != nil {
		return nil, err
	}
	si.Status, si.NextAction = Canceled, nil
	l.priv.End()
	l.priv.Acceptance = nil
	return s.save(ctx, tx, account, nowUnix(s.Now), l, false, "setup_intent.canceled")
}

// Action is a pending customer step, for the authorization page.
type Action struct {
	IntentID     string
	ClientSecret string
	Kind         string // processor.ActionThreeDS or ActionRedirect
	ReturnURL    string
	Status       Status
}

// ErrStaleAction: the authorization link was used already or replaced.
var ErrStaleAction = errs.State("setup_intent_action_stale", "This authorization link has already been used or is no longer valid.")

// PendingAction returns the step token names, or ErrStaleAction when the
// token is not the intent's current one (used, stale or wrong).
func (s *Service) PendingAction(ctx context.Context, tx store.Tx, intentID, token string) (Action, string, error) {
	account, l, err := loadAnyAccount(ctx, tx, intentID, false)
	if err != nil {
		return Action{}, "", err
	}
	a := Action{IntentID: l.si.ID, ClientSecret: l.si.ClientSecret, Kind: l.priv.Action, ReturnURL: l.priv.ReturnURL, Status: l.si.Status}
	return a, account, checkToken(l, token)
}

// checkToken accepts only the current attempt's token of an intent that
// still waits for the customer.
func checkToken(l *loaded, token string) error {
	if l.si.Status != RequiresAction || !l.priv.Valid(token) {
		return ErrStaleAction
	}
	return nil
}

// Client is what the authorization page knows of the customer's browser.
// A redirect method's customer agrees to the mandate on that page, so when
// the merchant sent no mandate_data the mandate records this as the online
// acceptance, as Stripe infers it from the client.
type Client struct {
	IPAddress string
	UserAgent string
}

func (c Client) acceptance() *mandate.Acceptance {
	on := &mandate.Online{}
	if c.IPAddress != "" {
		on.IPAddress = &c.IPAddress
	}
	if c.UserAgent != "" {
		on.UserAgent = &c.UserAgent
	}
	return &mandate.Acceptance{Type: "online", Online: on}
}

// Authenticate finishes the customer's step: approve=true retries the
// setup as authenticated; false fails the attempt, leaving the intent at
// requires_payment_method with last_setup_error, as Stripe does. The
// token is checked under the intent's row lock, so two submissions of one
// link act once.
func (s *Service) Authenticate(ctx context.Context, tx store.Tx, intentID, token string, approve bool, client Client) ([]byte, error) {
	account, l, err := loadAnyAccount(ctx, tx, intentID, true)
	if err != nil {
		return nil, err
	}
	if err := checkToken(l, token); err != nil {
		return nil, err
	}
	pm, err := s.Methods.Get(ctx, tx, account, *l.si.PaymentMethod, "payment_method")
	if err != nil {
		return nil, err
	}
	l.priv.End()
	a, fresh, err := s.stepAttempt(ctx, tx, account, l, pm)
	if err != nil {
		return nil, err
	}
	if !approve {
		pmJSON, _ := json.Marshal(pm)
		code := "setup_intent_authentication_failure"
		l.si.Status, l.si.NextAction, l.si.PaymentMethod = RequiresPaymentMethod, nil, nil
		l.si.LastSetupError = map[string]any{"type": errs.TypeInvalidRequest, "code": code,
			"message":        "The latest attempt to set up the payment method has failed because authentication failed.",
			"payment_method": json.RawMessage(pmJSON), "doc_url": docURL(code)}
		l.priv.Acceptance = nil
		if err := a.put(ctx, tx, account, attemptFailed, l.si.LastSetupError, fresh); err != nil {
			return nil, err
		}
		l.si.LatestAttempt = &a.ID
		return s.save(ctx, tx, account, nowUnix(s.Now), l, false, "setup_intent.setup_failed")
	}
	l.priv.Authenticated = true
	outcome := s.Processor.Setup(ctx, s.request(l.si, &l.priv, pm.Processor()))
	data, err := s.record(ctx, tx, account, l, pm, outcome, client.acceptance(), a, fresh)
	if e, ok := errs.As(err); ok && e.Committed {
		// The decline after authentication is the intent's state now;
		// the page shows the intent, not an API error.
		return json.Marshal(l.si)
	}
	return data, err
}

// Settle finishes a delayed setup whose time has come (a processor that
// verifies bank accounts asynchronously): the intent succeeds, with its
// mandate, or fails back to requires_payment_method.
func (s *Service) Settle(ctx context.Context, tx store.Tx, account, intentID string) error {
	l, err := load(ctx, tx, account, intentID)
	if err != nil {
		return err
	}
	si := l.si
	if !can("settle", si.Status) || si.PaymentMethod == nil {
		return nil // settled by another node already
	}
	now := s.Now()
	pm, err := s.Methods.Get(ctx, tx, account, *si.PaymentMethod, "payment_method")
	if err != nil {
		return err
	}
	failure := l.priv.SettleFailure
	l.priv.SettleAt, l.priv.SettleFailure = 0, ""
	a, fresh, err := s.stepAttempt(ctx, tx, account, l, pm)
	if err != nil {
		return err
	}
	si.LatestAttempt = &a.ID
	if failure == "" {
		if err := s.succeed(ctx, tx, account, l, pm, nil, now); err != nil {
			return err
		}
		if err := a.put(ctx, tx, account, attemptSucceeded, nil, fresh); err != nil {
			return err
		}
		_, err = s.save(ctx, tx, account, now.Unix(), l, false, "setup_intent.succeeded")
		return err
	}
	pmJSON, _ := json.Marshal(pm)
	si.Status, si.PaymentMethod = RequiresPaymentMethod, nil
	si.LastSetupError = map[string]any{"type": errs.TypeInvalidRequest, "code": failure,
		"message": "The bank account could not be set up.", "payment_method": json.RawMessage(pmJSON), "doc_url": docURL(failure)}
	l.priv.Acceptance = nil
	if err := a.put(ctx, tx, account, attemptFailed, si.LastSetupError, fresh); err != nil {
		return err
	}
	_, err = s.save(ctx, tx, account, now.Unix(), l, false, "setup_intent.setup_failed")
	return err
}
