package checkout

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/metadata"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/paymentintent"
	"github.com/payd/payd/internal/setupintent"
	"github.com/payd/payd/internal/store"
)

// Event types a session records.
const (
	EventCompleted             = "checkout.session.completed"
	EventExpired               = "checkout.session.expired"
	EventAsyncPaymentSucceeded = "checkout.session.async_payment_succeeded"
	EventAsyncPaymentFailed    = "checkout.session.async_payment_failed"
)

// PaymentIntentChanged follows the session's PaymentIntent (see
// paymentintent.Owners): a payment that succeeds, is authorized for later
// capture or starts processing completes the session; a processing
// payment's outcome is announced with the async events.
func (s *Service) PaymentIntentChanged(ctx context.Context, tx store.Tx, account, owner string, pi *paymentintent.PaymentIntent) error {
	l, err := load(ctx, tx, account, owner, true)
	if err != nil {
		return err
	}
	changed := false
	if l.s.PaymentIntent == nil {
		l.s.PaymentIntent, changed = &pi.ID, true
	}
	if l.s.Customer == nil && pi.Customer != nil {
		l.s.Customer, changed = pi.Customer, true
	}
	var types []string
	switch pi.Status {
	case paymentintent.Succeeded:
		switch {
		case l.s.Status == Open:
			l.complete(Paid)
			types = []string{EventCompleted}
		case l.s.Status == Complete && l.s.PaymentStatus == Unpaid:
			l.s.PaymentStatus, changed = Paid, true
			if l.priv.Async {
				l.priv.Async = false
				types = []string{EventAsyncPaymentSucceeded}
			}
		}
	case paymentintent.Processing:
		if l.s.Status == Open {
			l.complete(Unpaid)
			l.priv.Async = true
			types = []string{EventCompleted}
		}
	case paymentintent.RequiresCapture:
		if l.s.Status == Open {
			l.complete(Unpaid)
			types = []string{EventCompleted}
		}
	case paymentintent.RequiresPaymentMethod:
		if l.s.Status == Complete && l.priv.Async {
			l.priv.Async, changed = false, true
			types = []string{EventAsyncPaymentFailed}
		}
	}
	if !changed && types == nil {
		return nil
	}
	if _, err = save(ctx, tx, account, s.Now().Unix(), l, false, types...); err != nil {
		return err
	}
	return s.completed(ctx, tx, account, l, types)
}

// SetupIntentChanged follows a setup-mode session's SetupIntent (see
// setupintent.Owners): its success completes the session, and a delayed
// method's setup is announced like a delayed payment.
func (s *Service) SetupIntentChanged(ctx context.Context, tx store.Tx, account, owner string, si *setupintent.SetupIntent) error {
	l, err := load(ctx, tx, account, owner, true)
	if err != nil {
		return err
	}
	changed := false
	if l.s.SetupIntent == nil {
		l.s.SetupIntent, changed = &si.ID, true
	}
	var types []string
	switch si.Status {
	case setupintent.Succeeded:
		switch {
		case l.s.Status == Open:
			l.complete(NoPaymentRequired)
			types = []string{EventCompleted}
		case l.s.Status == Complete && l.priv.Async:
			l.priv.Async = false
			types = []string{EventAsyncPaymentSucceeded}
		}
	case setupintent.Processing:
		if l.s.Status == Open {
			l.complete(NoPaymentRequired)
			l.priv.Async = true
			types = []string{EventCompleted}
		}
	case setupintent.RequiresPaymentMethod:
		if l.s.Status == Complete && l.priv.Async {
			l.priv.Async, changed = false, true
			types = []string{EventAsyncPaymentFailed}
		}
	}
	if !changed && types == nil {
		return nil
	}
	if _, err = save(ctx, tx, account, s.Now().Unix(), l, false, types...); err != nil {
		return err
	}
	return s.completed(ctx, tx, account, l, types)
}

// completed calls OnComplete when the types just recorded complete a
// Payment Link's session.
func (s *Service) completed(ctx context.Context, tx store.Tx, account string, l *loaded, types []string) error {
	if s.OnComplete == nil || l.s.PaymentLink == nil || !slices.Contains(types, EventCompleted) {
		return nil
	}
	return s.OnComplete(ctx, tx, account, l.s)
}

func (l *loaded) complete(paymentStatus string) {
	l.s.Status, l.s.PaymentStatus, l.s.URL = Complete, paymentStatus, nil
}

// Update changes a session's metadata, the one thing payd's sessions let
// an integration change after creation.
func (s *Service) Update(ctx context.Context, tx store.Tx, account, sessionID string, p param.Map) ([]byte, error) {
	l, err := load(ctx, tx, account, sessionID, true)
	if err != nil {
		return nil, err
	}
	md, err := metadata.Apply(l.s.Metadata, p, "metadata")
	if err != nil {
		return nil, err
	}
	l.s.Metadata = md
	return save(ctx, tx, account, s.Now().Unix(), l, false)
}

// Expire expires an open session through the API.
func (s *Service) Expire(ctx context.Context, tx store.Tx, account, sessionID string) ([]byte, error) {
	l, err := load(ctx, tx, account, sessionID, true)
	if err != nil {
		return nil, err
	}
	if l.s.Status != Open {
		return nil, errs.Invalid("checkout_session_not_expirable", "",
			"Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of %s.", l.s.Status)
	}
	if err := s.expire(ctx, tx, account, l); err != nil {
		return nil, err
	}
	return Get(ctx, tx, account, sessionID)
}

// ExpireDue expires a session whose expires_at has passed, if it is still
// open: the sweeper's step, safe on any node and run twice.
func (s *Service) ExpireDue(ctx context.Context, tx store.Tx, account, sessionID string) error {
	l, err := load(ctx, tx, account, sessionID, true)
	if err != nil {
		return err
	}
	if l.s.Status != Open || l.s.ExpiresAt > s.Now().Unix() {
		return nil
	}
	return s.expire(ctx, tx, account, l)
}

// expire closes the session, then cancels the intent it left unfinished,
// as Stripe does, so nothing can be paid through it afterwards. A payment
// already in flight (processing) cannot be canceled; the session cannot
// have one, since processing completes it.
func (s *Service) expire(ctx context.Context, tx store.Tx, account string, l *loaded) error {
	l.s.Status, l.s.URL = Expired, nil
	if _, err := save(ctx, tx, account, s.Now().Unix(), l, false, EventExpired); err != nil {
		return err
	}
	cancel := param.Map{"cancellation_reason": "abandoned"}
	if l.s.PaymentIntent != nil {
		if _, err := s.Intents.Cancel(ctx, tx, account, *l.s.PaymentIntent, cancel); err != nil && !isStateError(err) {
			return err
		}
	}
	if l.s.SetupIntent != nil {
		if _, err := s.Setups.Cancel(ctx, tx, account, *l.s.SetupIntent, cancel); err != nil && !isStateError(err) {
			return err
		}
	}
	return nil
}

// isStateError is an intent's refusal to change from its status (one that
// finished meanwhile), which leaves nothing to cancel.
func isStateError(err error) bool {
	var e *errs.Error
	return errors.As(err, &e) && strings.HasSuffix(e.Code, "_unexpected_state")
}
