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

// progress is where a session's intent has got to, for either kind of
// intent.
type progress int

const (
	elsewhere  progress = iota // nothing the session follows
	succeeded                  // paid, or set up
	processing                 // a delayed method, outcome to come
	authorized                 // held for a later capture
	failed                     // back to requires_payment_method
)

// PaymentIntentChanged follows the session's PaymentIntent (see
// paymentintent.Owners): a payment that succeeds, is authorized for later
// capture or starts processing completes the session; a processing
// payment's outcome is announced with the async events.
func (s *Service) PaymentIntentChanged(ctx context.Context, tx store.Tx, account, owner string, pi *paymentintent.PaymentIntent) error {
	p := elsewhere
	switch pi.Status {
	case paymentintent.Succeeded:
		p = succeeded
	case paymentintent.Processing:
		p = processing
	case paymentintent.RequiresCapture:
		p = authorized
	case paymentintent.RequiresPaymentMethod:
		p = failed
	}
	return s.follow(ctx, tx, account, owner, p, Paid, Unpaid, func(cs *Session) (changed bool) {
		if cs.PaymentIntent == nil {
			cs.PaymentIntent, changed = &pi.ID, true
		}
		if cs.Customer == nil && pi.Customer != nil {
			cs.Customer, changed = pi.Customer, true
		}
		return changed
	})
}

// SetupIntentChanged follows a setup-mode session's SetupIntent (see
// setupintent.Owners): its success completes the session, and a delayed
// method's setup is announced like a delayed payment.
func (s *Service) SetupIntentChanged(ctx context.Context, tx store.Tx, account, owner string, si *setupintent.SetupIntent) error {
	p := elsewhere
	switch si.Status {
	case setupintent.Succeeded:
		p = succeeded
	case setupintent.Processing:
		p = processing
	case setupintent.RequiresPaymentMethod:
		p = failed
	}
	return s.follow(ctx, tx, account, owner, p, NoPaymentRequired, NoPaymentRequired, func(cs *Session) bool {
		if cs.SetupIntent == nil {
			cs.SetupIntent = &si.ID
			return true
		}
		return false
	})
}

// follow moves a session along with its intent: the intent's first save
// links it to the session (attach); success, processing or an
// authorization completes an open session (paid, or pending until the
// outcome is known); the outcome of a processing intent after completion
// is announced with the async events. The session's events follow the
// intent's, in its transaction.
func (s *Service) follow(ctx context.Context, tx store.Tx, account, owner string, p progress, paid, pending string, attach func(*Session) bool) error {
	l, err := load(ctx, tx, account, owner, true)
	if err != nil {
		return err
	}
	changed := attach(l.s)
	var types []string
	switch p {
	case succeeded:
		switch l.s.Status {
		case Open:
			l.complete(paid)
			types = []string{EventCompleted}
		case Complete:
			if l.s.PaymentStatus != paid {
				l.s.PaymentStatus, changed = paid, true
			}
			if l.priv.Async {
				l.priv.Async, changed = false, true
				types = []string{EventAsyncPaymentSucceeded}
			}
		}
	case processing, authorized:
		if l.s.Status == Open {
			l.complete(pending)
			l.priv.Async = p == processing
			types = []string{EventCompleted}
		}
	case failed:
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
		// Stripe's words; it gives the error no code.
		return nil, errs.Invalid("", "",
			"Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of `%s`.", l.s.Status)
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
		if _, err := s.Intents.CancelFor(ctx, tx, account, *l.s.PaymentIntent, cancel, l.s.ID); err != nil && !isStateError(err) {
			return err
		}
	}
	if l.s.SetupIntent != nil {
		if _, err := s.Setups.CancelFor(ctx, tx, account, *l.s.SetupIntent, cancel, l.s.ID); err != nil && !isStateError(err) {
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
