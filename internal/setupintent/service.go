package setupintent

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/payd/payd/internal/confirmationtoken"
	"github.com/payd/payd/internal/customer"
	"github.com/payd/payd/internal/customeraction"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/mandate"
	"github.com/payd/payd/internal/metadata"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/paymentmethod"
	"github.com/payd/payd/internal/pmconfig"
	"github.com/payd/payd/internal/processor"
	"github.com/payd/payd/internal/store"
)

// Service holds what SetupIntent operations depend on.
type Service struct {
	Now       func() time.Time
	Processor processor.Processor
	Methods   *paymentmethod.Service
	Customers *customer.Service
	// AuthorizeURL is the page where the customer completes a redirect or
	// 3-D Secure step for an intent; ctx carries the request's base URL.
	AuthorizeURL func(ctx context.Context, intentID, token string) string
	// Owners hears of changes to intents created for a Checkout Session.
	Owners Owners
}

// Owners is told, inside the transaction that writes it, of every saved
// change to an intent that an owner (a Checkout Session) created, after
// the intent's own events.
type Owners interface {
	SetupIntentChanged(ctx context.Context, tx store.Tx, account, owner string, si *SetupIntent) error
}

// unsupported parameters of create, update and confirm: refused, never
// ignored, so an integration relying on one learns it at once.
var unsupported = map[string]string{
	"allowed_payment_method_types":  "allowed_payment_method_types is not supported by payd; use payment_method_types.",
	"excluded_payment_method_types": "excluded_payment_method_types is not supported by payd; use payment_method_types.",
	"attach_to_self":                "attach_to_self is not supported by payd: it has no money movement of its own (InboundTransfers, OutboundTransfers).",
	"customer_account":              "customer_account is not supported by payd; use customer.",
	"flow_directions":               "flow_directions is not supported by payd: it has no outbound money movement.",
	"on_behalf_of":                  "Connect is not supported by payd.",
	"payment_method_configuration":  "Choosing a payment method configuration per intent is not supported by payd; the account's default configuration applies.",
	"single_use":                    "Single-use mandates are not supported by payd; SetupIntents create multi_use mandates.",
}

// confirmOnly are create parameters that only mean something to the
// confirmation that create performs with confirm=true.
var confirmOnly = []string{"return_url", "mandate_data", "use_stripe_sdk", "confirmation_token"}

// Create makes a SetupIntent and confirms it when confirm=true.
func (s *Service) Create(ctx context.Context, tx store.Tx, account string, p param.Map) ([]byte, error) {
	return s.CreateOwned(ctx, tx, account, p, "")
}

// CreateOwned is Create for an intent that owner (a Checkout Session id)
// drives; Owners hears of its changes.
func (s *Service) CreateOwned(ctx context.Context, tx store.Tx, account string, p param.Map, owner string) ([]byte, error) {
	if err := p.Refuse(unsupported); err != nil {
		return nil, err
	}
	confirm := p.Bool("confirm") != nil && *p.Bool("confirm")
	if !confirm {
		for _, name := range confirmOnly {
			if p.Has(name) {
				return nil, errs.Invalid("", name,
					"The parameter `%s` cannot be passed when creating a SetupIntent unless `confirm` is set to true.", name)
			}
		}
	}
	now := s.Now()
	intentID := id.New(Prefix)
	si := &SetupIntent{
		ID: intentID, Object: "setup_intent", ClientSecret: clientSecret(intentID), Created: now.Unix(),
		Metadata: map[string]string{}, Status: RequiresPaymentMethod, Usage: OffSession,
	}
	p, use, err := confirmationtoken.Spend(ctx, tx, account, p, "setup_intent", intentID, now)
	if err != nil {
		return nil, err
	}
	switch {
	case p.Str("usage") != "":
		si.Usage = p.Str("usage")
	case use != nil && use.SetupFutureUsage != "":
		// The browser collected the method for this usage; what a token
		// carries is written onto the intent it confirms.
		si.Usage = use.SetupFutureUsage
	}
	l := &loaded{si: si}
	l.priv.Owner = owner
	if err := applyTypes(ctx, tx, account, si, p); err != nil {
		return nil, err
	}
	if err := s.apply(ctx, tx, account, l, p); err != nil {
		return nil, err
	}
	if si.PaymentMethod != nil {
		si.Status = RequiresConfirmation
	}
	if _, err := s.save(ctx, tx, account, now.Unix(), l, true, "setup_intent.created"); err != nil {
		return nil, err
	}
	if confirm {
		return s.confirm(ctx, tx, account, l, p)
	}
	return json.Marshal(si)
}

// applyTypes decides payment_method_types (see customeraction.Types);
// SetupIntents have no currency, so only the account's default payment
// method configuration narrows automatic methods. It is read only when
// the types are automatic.
func applyTypes(ctx context.Context, tx store.Tx, account string, si *SetupIntent, p param.Map) error {
	var enabled []string
	if len(p.Strings("payment_method_types")) == 0 {
		var err error
		if enabled, err = pmconfig.Enabled(ctx, tx, account); err != nil {
			return err
		}
	}
	types, apm, err := customeraction.Types(p, "", enabled)
	if err != nil {
		return err
	}
	si.PaymentMethodTypes, si.AutomaticPaymentMethods = types, apm
	si.PaymentMethodOptions = methodOptions(types)
	return nil
}

// methodOptions are the defaults Stripe renders per type; a SetupIntent's
// card options carry mandate_options and network but, unlike a
// PaymentIntent's, no installments.
func methodOptions(types []string) map[string]any {
	o := map[string]any{}
	for _, t := range types {
		switch t {
		case "card":
			o["card"] = map[string]any{"mandate_options": nil, "network": nil, "request_three_d_secure": "automatic"}
		case "us_bank_account":
			o["us_bank_account"] = map[string]any{"verification_method": "automatic"}
		default:
			o[t] = map[string]any{}
		}
	}
	return o
}

// apply sets the fields present in p (create, update or confirm).
func (s *Service) apply(ctx context.Context, tx store.Tx, account string, l *loaded, p param.Map) error {
	si := l.si
	if p.Has("customer") {
		si.Customer = nil
		if c := p.Str("customer"); c != "" {
			if _, err := s.Customers.Live(ctx, tx, account, c, "customer"); err != nil {
				return err
			}
			si.Customer = &c
		}
	}
	if p.Has("description") {
		si.Description = p.String("description")
		if si.Description != nil && *si.Description == "" {
			si.Description = nil
		}
	}
	md, err := metadata.Apply(si.Metadata, p, "metadata")
	if err != nil {
		return err
	}
	si.Metadata = md
	if p.Has("payment_method_options") {
		if err := applyOptions(si, &l.priv, p.Map("payment_method_options")); err != nil {
			return err
		}
	}
	chosen, given, err := s.Methods.Choose(ctx, tx, account, p)
	if err != nil {
		return err
	}
	if given {
		si.PaymentMethod = nil
		if chosen != nil {
			si.PaymentMethod = &chosen.ID
		}
	}
	if si.PaymentMethod == nil {
		return nil
	}
	pm, err := s.Methods.Get(ctx, tx, account, *si.PaymentMethod, "payment_method")
	if err != nil {
		return err
	}
	if !slices.Contains(si.PaymentMethodTypes, pm.Type) {
		return errs.Invalid("", "payment_method",
			"The PaymentMethod provided (%s) is not allowed for this SetupIntent. Please attach a PaymentMethod of one of the following types: %s. Alternatively, update the allowed payment_method_types for this SetupIntent to include \"%s\".",
			pm.Type, strings.Join(si.PaymentMethodTypes, ", "), pm.Type)
	}
	// Stripe's ownership rules: a saved method is only set up again for
	// the customer it belongs to.
	switch {
	case pm.Customer != nil && si.Customer == nil:
		e := errs.Invalid("", "payment_method",
			"The payment method supplied (%s) belongs to the Customer %s. Please include the Customer in the `customer` parameter on the SetupIntent.", pm.ID, *pm.Customer)
		e.Extra = map[string]any{"setup_intent": si}
		return e
	case pm.Customer != nil && *pm.Customer != *si.Customer:
		return errs.Invalid("", "payment_method",
			"The PaymentMethod %s does not belong to the Customer you supplied %s. Please use this PaymentMethod with the Customer that it belongs to instead.", pm.ID, *si.Customer)
	}
	return nil
}

// applyOptions takes payment_method_options. payd's processor acts on
// card[request_three_d_secure]; us_bank_account's verification and
// Financial Connections options are recorded (see
// customeraction.BankAccountOptions); every other option is refused by name.
func applyOptions(si *SetupIntent, priv *private, o param.Map) error {
	for t, v := range o {
		if !slices.Contains(si.PaymentMethodTypes, t) {
			return errs.Invalid("", param.Path("payment_method_options", t),
				"payment_method_options[%s] was provided, but %s is not among this SetupIntent's payment_method_types.", t, t)
		}
		opts, _ := si.PaymentMethodOptions[t].(map[string]any)
		if opts == nil {
			opts = map[string]any{}
		}
		given, _ := v.(map[string]any)
		if t == "us_bank_account" {
			var err error
			if given, err = customeraction.BankAccountOptions(opts, given, param.Path("payment_method_options", t)); err != nil {
				return err
			}
		}
		for k, val := range given {
			if t != "card" || k != "request_three_d_secure" {
				return errs.Invalid("", param.Path(param.Path("payment_method_options", t), k),
					"payment_method_options[%s][%s] is not supported by payd.", t, k)
			}
			s, _ := val.(string)
			if s == "" {
				s = "automatic"
			}
			priv.ThreeDS = s
			opts[k] = s
		}
		si.PaymentMethodOptions[t] = opts
	}
	return nil
}

// finishedUpdatable are what Stripe still lets change on a succeeded or
// canceled intent: its descriptive fields and its customer.
var finishedUpdatable = map[string]bool{"metadata": true, "description": true, "customer": true, "expand": true}

// Update changes an intent. SetupIntents record no event for it: Stripe
// has no setup_intent.updated.
func (s *Service) Update(ctx context.Context, tx store.Tx, account, intentID string, p param.Map) ([]byte, error) {
	if err := p.Refuse(unsupported); err != nil {
		return nil, err
	}
	l, err := load(ctx, tx, account, intentID)
	if err != nil {
		return nil, err
	}
	si := l.si
	if !can("update", si.Status) {
		for name := range p {
			if !finishedUpdatable[name] {
				return nil, stateError("update", si)
			}
		}
	}
	if p.Has("payment_method_types") {
		if err := applyTypes(ctx, tx, account, si, p); err != nil {
			return nil, err
		}
		si.AutomaticPaymentMethods = nil
	}
	if err := s.apply(ctx, tx, account, l, p); err != nil {
		return nil, err
	}
	if can("update", si.Status) && (p.Has("payment_method") || p.Has("payment_method_data")) {
		if err := abandonAttempt(ctx, tx, account, si); err != nil {
			return nil, err
		}
		si.NextAction = nil
		l.priv.End()
		si.Status = RequiresPaymentMethod
		if si.PaymentMethod != nil {
			si.Status = RequiresConfirmation
		}
	}
	if string(mustJSON(si)) == string(l.before) {
		return l.before, nil
	}
	return s.save(ctx, tx, account, nowUnix(s.Now), l, false)
}

// Confirm runs the confirm operation on an existing intent.
func (s *Service) Confirm(ctx context.Context, tx store.Tx, account, intentID string, p param.Map) ([]byte, error) {
	return s.ConfirmFor(ctx, tx, account, intentID, p, "")
}

// ConfirmFor is Confirm by owner: an intent a Checkout Session created is
// confirmed by that session's page only (owner is its id), never through
// the API (owner "").
func (s *Service) ConfirmFor(ctx context.Context, tx store.Tx, account, intentID string, p param.Map, owner string) ([]byte, error) {
	if err := p.Refuse(unsupported); err != nil {
		return nil, err
	}
	l, err := load(ctx, tx, account, intentID)
	if err != nil {
		return nil, err
	}
	if l.priv.Owner != owner {
		return nil, errs.CheckoutOwned("SetupIntents")
	}
	if !can("confirm", l.si.Status) {
		// Stripe checks for a method before the status.
		if l.si.PaymentMethod == nil && !p.Has("payment_method") && !p.Has("payment_method_data") && !p.Has("confirmation_token") {
			return nil, missingMethod(l.si)
		}
		return nil, stateError("confirm", l.si)
	}
	if p, _, err = confirmationtoken.Spend(ctx, tx, account, p, "setup_intent", intentID, s.Now()); err != nil {
		return nil, err
	}
	if err := s.apply(ctx, tx, account, l, p); err != nil {
		return nil, err
	}
	return s.confirm(ctx, tx, account, l, p)
}

// confirm is the attempt: check what the method needs, ask the processor,
// and record what happened.
func (s *Service) confirm(ctx context.Context, tx store.Tx, account string, l *loaded, p param.Map) ([]byte, error) {
	si, priv := l.si, &l.priv
	if si.PaymentMethod == nil {
		return nil, missingMethod(si)
	}
	pm, err := s.Methods.Get(ctx, tx, account, *si.PaymentMethod, "payment_method")
	if err != nil {
		return nil, err
	}
	if p.Has("return_url") {
		priv.ReturnURL = p.Str("return_url")
	}
	sdk := p.Bool("use_stripe_sdk") != nil && *p.Bool("use_stripe_sdk")
	switch {
	case customeraction.Redirect[pm.Type] && priv.ReturnURL == "":
		return nil, errs.Invalid("", "return_url",
			"You must provide a `return_url` when confirming a SetupIntent with the payment method type %s.", pm.Type)
	case si.AutomaticPaymentMethods != nil && si.AutomaticPaymentMethods.AllowRedirects != "never" && priv.ReturnURL == "" && !sdk:
		// Stripe's rule for automatic payment methods: any of them might
		// redirect, so the integration must say where to come back to —
		// unless a client SDK handles the next action itself.
		return nil, errs.Invalid("", "",
			"A return_url must be specified because this Setup Intent is configured to automatically accept the payment methods enabled in the Dashboard, some of which may require a full page redirect to succeed. If you do not want to accept redirect-based payment methods, set automatic_payment_methods[enabled] to true and automatic_payment_methods[allow_redirects] to never when creating Setup Intents and Payment Intents.")
	}
	if p.Has("mandate_data") {
		a, err := mandate.ParseAcceptance(p.Map("mandate_data").Map("customer_acceptance"), "mandate_data[customer_acceptance]")
		if err != nil {
			return nil, err
		}
		priv.Acceptance = a
	}
	if mandate.AcceptanceRequired(pm.Type) && priv.Acceptance == nil {
		return nil, errs.Missing("mandate_data")
	}
	priv.Authenticated = false
	priv.End()
	if err := abandonAttempt(ctx, tx, account, si); err != nil {
		return nil, err
	}
	outcome := s.Processor.Setup(ctx, s.request(si, priv, pm.Processor()))
	return s.record(ctx, tx, account, l, pm, outcome, nil, attemptOf(l, pm, s.Now()), true)
}

func (s *Service) request(si *SetupIntent, priv *private, m processor.Method) processor.Request {
	return processor.Request{Method: m, SetupFutureUsage: si.Usage, RequestThreeDS: priv.ThreeDS, Authenticated: priv.Authenticated}
}

// record applies a processor outcome to the intent: the status change, its
// attempt a (new, or the one the customer's step belongs to), the mandate,
// the saved method, and every event, in this transaction. inferred is the
// acceptance the authorization page observed, for methods whose customer
// agrees there rather than through mandate_data.
func (s *Service) record(ctx context.Context, tx store.Tx, account string, l *loaded, pm *paymentmethod.PaymentMethod, o processor.Outcome, inferred *mandate.Acceptance, a *Attempt, fresh bool) ([]byte, error) {
	si, priv := l.si, &l.priv
	now := s.Now()
	si.NextAction, si.LastSetupError = nil, nil
	si.LatestAttempt = &a.ID
	a.PaymentMethodDetails = pm.SetupDetails(priv.Authenticated)
	switch o.Result {
	case processor.RequiresAction:
		url := s.AuthorizeURL(ctx, si.ID, priv.Begin(o.Action))
		si.Status = RequiresAction
		si.NextAction = priv.NextAction(url, a.ID)
		if err := a.put(ctx, tx, account, attemptRequiresAction, nil, fresh); err != nil {
			return nil, err
		}
		return s.save(ctx, tx, account, now.Unix(), l, false, "setup_intent.requires_action")

	case processor.Declined:
		pmJSON, _ := json.Marshal(pm)
		typ := errs.TypeCard
		if pm.Type != "card" {
			typ = errs.TypeInvalidRequest
		}
		// Stripe fills decline_code with the code when the issuer gave none.
		decline := o.DeclineCode
		if decline == "" {
			decline = o.Code
		}
		si.Status, si.PaymentMethod = RequiresPaymentMethod, nil
		si.LastSetupError = map[string]any{"type": typ, "code": o.Code, "decline_code": decline, "message": o.Message,
			"payment_method": json.RawMessage(pmJSON), "doc_url": docURL(o.Code)}
		priv.Acceptance = nil
		if err := a.put(ctx, tx, account, attemptFailed, si.LastSetupError, fresh); err != nil {
			return nil, err
		}
		data, err := s.save(ctx, tx, account, now.Unix(), l, false, "setup_intent.setup_failed")
		if err != nil {
			return nil, err
		}
		extra := map[string]any{"setup_intent": json.RawMessage(data), "payment_method": json.RawMessage(pmJSON)}
		if typ == errs.TypeCard {
			return nil, errs.Card(o.Code, decline, "", o.Message, extra)
		}
		return nil, &errs.Error{Status: 400, Type: typ, Code: o.Code, Message: o.Message, Extra: extra, Committed: true}

	case processor.Pending:
		// No event: Stripe has no setup_intent.processing.
		priv.SettleAt, priv.SettleFailure = o.SettleAt.UnixMilli(), o.SettleFailure
		si.Status = Processing
		if err := a.put(ctx, tx, account, attemptProcessing, nil, fresh); err != nil {
			return nil, err
		}
		return s.save(ctx, tx, account, now.Unix(), l, false)
	}
	if err := s.succeed(ctx, tx, account, l, pm, inferred, now); err != nil {
		return nil, err
	}
	if err := a.put(ctx, tx, account, attemptSucceeded, nil, fresh); err != nil {
		return nil, err
	}
	return s.save(ctx, tx, account, now.Unix(), l, false, "setup_intent.succeeded")
}

// succeed does what a successful setup leaves behind: the mandate when the
// method needs one, the method saved to the intent's customer, and the
// method marked as set up so that later off-session payments go through
// without the customer (4000 0025 0000 3155, Amazon Pay with a mandate).
func (s *Service) succeed(ctx context.Context, tx store.Tx, account string, l *loaded, pm *paymentmethod.PaymentMethod, inferred *mandate.Acceptance, now time.Time) error {
	si, priv := l.si, &l.priv
	offSession := si.Usage == OffSession
	var mandateID string
	if mandate.Needed(pm.Type, offSession) {
		a := priv.Acceptance
		if a == nil {
			a = inferred
		}
		if a == nil {
			// Only a processor that approves a redirect method without the
			// customer gets here; the agreement was still given online.
			a = &mandate.Acceptance{Type: "online", Online: &mandate.Online{}}
		}
		m, err := mandate.CreateAccepted(ctx, tx, account, pm.ID, pm.Type, *a, now)
		if err != nil {
			return err
		}
		mandateID = m.ID
		si.Mandate = &m.ID
	}
	if si.Customer != nil && pm.Customer == nil {
		if _, err := s.Methods.Attach(ctx, tx, account, pm.ID, *si.Customer); err != nil {
			return err
		}
	}
	if err := s.Methods.MarkSetUp(ctx, tx, account, pm.ID, offSession, mandateID); err != nil {
		return err
	}
	si.Status = Succeeded
	priv.Acceptance, priv.Authenticated = nil, false
	return nil
}

func docURL(code string) string {
	return "https://stripe.com/docs/error-codes/" + strings.ReplaceAll(code, "_", "-")
}
