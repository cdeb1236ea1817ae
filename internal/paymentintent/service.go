package paymentintent

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/payd/payd/internal/charge"
	"github.com/payd/payd/internal/confirmationtoken"
	"github.com/payd/payd/internal/customer"
	"github.com/payd/payd/internal/customeraction"
	"github.com/payd/payd/internal/dispute"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/mandate"
	"github.com/payd/payd/internal/metadata"
	"github.com/payd/payd/internal/money"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/paymentmethod"
	"github.com/payd/payd/internal/pmconfig"
	"github.com/payd/payd/internal/processor"
	"github.com/payd/payd/internal/store"
)

// Service holds what PaymentIntent operations depend on.
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
// the intent's own events: the session completes atomically with its
// payment, and its events follow the intent's, as Stripe orders them.
type Owners interface {
	PaymentIntentChanged(ctx context.Context, tx store.Tx, account, owner string, pi *PaymentIntent) error
}

// maxAmount is Stripe's largest amount (eight digits).
const maxAmount = 99_999_999

// unsupported create/confirm parameters: refused, never ignored.
var unsupported = map[string]string{
	"application_fee_amount":        "Connect application fees are not supported by payd.",
	"on_behalf_of":                  "Connect is not supported by payd.",
	"transfer_data":                 "Connect transfers are not supported by payd.",
	"transfer_group":                "Connect transfers are not supported by payd.",
	"hooks":                         "Hooks are not supported by payd.",
	"payment_details":               "payment_details is not supported by payd.",
	"radar_options":                 "Radar is not supported by payd.",
	"amount_details":                "amount_details is not supported by payd.",
	"customer_account":              "customer_account is not supported by payd; use customer.",
	"payment_method_configuration":  "Choosing a payment method configuration per intent is not supported by payd; the account's default configuration applies.",
	"allowed_payment_method_types":  "allowed_payment_method_types is not supported by payd; use payment_method_types.",
	"excluded_payment_method_types": "excluded_payment_method_types is not supported by payd; use payment_method_types.",
	"mandate":                       "Passing an existing mandate is not supported by payd; the saved PaymentMethod carries its mandate.",
	"amount_to_confirm":             "amount_to_confirm is not supported by payd.",
}

// Create makes a PaymentIntent and confirms it when confirm=true.
func (s *Service) Create(ctx context.Context, tx store.Tx, account string, p param.Map) ([]byte, error) {
	return s.CreateOwned(ctx, tx, account, p, "")
}

// CreateOwned is Create for an intent that owner (a Checkout Session id)
// drives; Owners hears of its changes.
func (s *Service) CreateOwned(ctx context.Context, tx store.Tx, account string, p param.Map, owner string) ([]byte, error) {
	if err := p.Refuse(unsupported); err != nil {
		return nil, err
	}
	now := s.Now()
	intentID := id.New(Prefix)
	pi := &PaymentIntent{
		ID: intentID, Object: "payment_intent", AmountDetails: map[string]any{"tip": map[string]any{}},
		CaptureMethod: "automatic_async", ClientSecret: clientSecret(intentID), ConfirmationMethod: "automatic",
		Created: now.Unix(), Metadata: map[string]string{}, Shipping: json.RawMessage("null"),
		Status: RequiresPaymentMethod,
	}
	l := &loaded{pi: pi}
	l.priv.Owner = owner
	pi.Amount = *p.Int("amount")
	pi.Currency = money.Normalize(p.Str("currency"))
	if !money.Valid(pi.Currency) {
		return nil, errs.Invalid("", "currency", "Invalid currency: %s. Stripe currently supports these currencies: %s", p.Str("currency"), "usd, eur, gbp, jpy, …")
	}
	if err := checkAmount(pi.Amount, pi.Currency); err != nil {
		return nil, err
	}
	if p.Has("confirmation_method") {
		pi.ConfirmationMethod = p.Str("confirmation_method")
	}
	confirm := p.Bool("confirm") != nil && *p.Bool("confirm")
	if !confirm {
		for _, name := range []string{"return_url", "off_session", "mandate_data", "error_on_requires_action", "use_stripe_sdk"} {
			if p.Has(name) {
				return nil, errs.Invalid("", name, "You can only pass %s when confirm=true.", name)
			}
		}
	}
	if p.Has("confirmation_token") && !confirm {
		return nil, errs.Invalid("", "confirmation_token", "You can only pass confirmation_token when confirm=true.")
	}
	p, err := s.useToken(ctx, tx, account, intentID, p)
	if err != nil {
		return nil, err
	}
	if err := s.applyTypes(ctx, tx, account, pi, p); err != nil {
		return nil, err
	}
	if err := s.apply(ctx, tx, account, l, p, true); err != nil {
		return nil, err
	}
	if err := cardDescriptor(pi, p, owner); err != nil {
		return nil, err
	}
	if pi.PaymentMethod != nil {
		pi.Status = RequiresConfirmation
	}
	l.unsaved = true
	if confirm {
		// The created event shows the intent as created; the row is
		// written once, by the confirmation, with its outcome.
		data, err := marshal(pi)
		if err != nil {
			return nil, err
		}
		if _, err := event.Record(ctx, tx, account, now.Unix(), "payment_intent.created", data, nil); err != nil {
			return nil, err
		}
		l.before = data
		return s.confirm(ctx, tx, account, l, p)
	}
	return s.save(ctx, tx, account, now.Unix(), l, "payment_intent.created")
}

func checkAmount(amount int64, cur string) error {
	if min := money.Minimum(cur); amount < min {
		// Stripe's words: "Amount must be at least €0.50 eur".
		return errs.Invalid("amount_too_small", "amount", "Amount must be at least %s%s %s", money.Symbol(cur), money.Major(min, cur), cur)
	}
	if amount > maxAmount {
		return errs.Invalid("amount_too_large", "amount", "Amount must be no more than %s %s", money.Major(maxAmount, cur), cur)
	}
	return nil
}

// applyTypes decides payment_method_types (see customeraction.Types),
// reading the account's default payment method configuration only when
// the types are automatic.
func (s *Service) applyTypes(ctx context.Context, tx store.Tx, account string, pi *PaymentIntent, p param.Map) error {
	var enabled []string
	if len(p.Strings("payment_method_types")) == 0 {
		var err error
		if enabled, err = pmconfig.Enabled(ctx, tx, account); err != nil {
			return err
		}
	}
	types, apm, err := customeraction.Types(p, pi.Currency, enabled)
	if err != nil {
		return err
	}
	pi.PaymentMethodTypes, pi.AutomaticPaymentMethods = types, apm
	pi.PaymentMethodOptions = methodOptions(types)
	return nil
}

// retype checks an intent's payment method types against its new
// currency: explicit types must all accept it, automatic ones are decided
// again for it. The options of the types it keeps stay as they were.
func (s *Service) retype(ctx context.Context, tx store.Tx, account string, pi *PaymentIntent) error {
	p := param.Map{}
	var enabled []string
	if apm := pi.AutomaticPaymentMethods; apm != nil {
		p["automatic_payment_methods"] = map[string]any{"allow_redirects": apm.AllowRedirects}
		var err error
		if enabled, err = pmconfig.Enabled(ctx, tx, account); err != nil {
			return err
		}
	} else {
		explicit := make([]any, len(pi.PaymentMethodTypes))
		for i, t := range pi.PaymentMethodTypes {
			explicit[i] = t
		}
		p["payment_method_types"] = explicit
	}
	types, _, err := customeraction.Types(p, pi.Currency, enabled)
	if err != nil {
		return err
	}
	options := methodOptions(types)
	for t := range options {
		if kept, ok := pi.PaymentMethodOptions[t]; ok {
			options[t] = kept
		}
	}
	pi.PaymentMethodTypes, pi.PaymentMethodOptions = types, options
	return nil
}

// cardDescriptor refuses statement_descriptor on an intent that may be
// paid by card, as Stripe has since 2024: card payments take
// statement_descriptor_suffix. Checked when a request sets either the
// descriptor or the types; an intent a Checkout Session drives (owner)
// had its parameters checked when the session was created.
func cardDescriptor(pi *PaymentIntent, p param.Map, owner string) error {
	if owner != "" || pi.StatementDescriptor == nil || !slices.Contains(pi.PaymentMethodTypes, "card") ||
		!p.Has("statement_descriptor") && !p.Has("payment_method_types") && !p.Has("currency") {
		return nil
	}
	return errs.Invalid("", "statement_descriptor", CardDescriptorMessage)
}

// CardDescriptorMessage is Stripe's refusal of statement_descriptor for
// card payments.
const CardDescriptorMessage = "The statement_descriptor parameter is not supported for the payment_method_type `card`. To continue supporting payment_method_type `card`, please pass in `statement_descriptor_suffix` or remove the `statement_descriptor` parameter altogether. Please see https://support.stripe.com/questions/use-of-the-statement-descriptor-parameter-on-paymentintents-for-card-charges for additional details."

func methodOptions(types []string) map[string]any {
	o := map[string]any{}
	for _, t := range types {
		switch t {
		case "card":
			o["card"] = map[string]any{"installments": nil, "mandate_options": nil, "network": nil, "request_three_d_secure": "automatic"}
		case "us_bank_account":
			o["us_bank_account"] = map[string]any{"verification_method": "automatic"}
		default:
			o[t] = map[string]any{}
		}
	}
	return o
}

// apply sets the fields present in p (create, update or confirm).
func (s *Service) apply(ctx context.Context, tx store.Tx, account string, l *loaded, p param.Map, creating bool) error {
	pi := l.pi
	if p.Has("customer") {
		pi.Customer = nil
		if c := p.Str("customer"); c != "" {
			if _, err := s.Customers.Live(ctx, tx, account, c, "customer"); err != nil {
				return err
			}
			pi.Customer = &c
		}
	}
	p.Optional("description", &pi.Description)
	p.Optional("receipt_email", &pi.ReceiptEmail)
	p.Optional("statement_descriptor", &pi.StatementDescriptor)
	p.Optional("statement_descriptor_suffix", &pi.StatementDescriptorSuffix)
	p.Optional("setup_future_usage", &pi.SetupFutureUsage)
	if v := p.Str("capture_method"); v != "" {
		pi.CaptureMethod = v
	}
	if p.Has("shipping") {
		pi.Shipping = json.RawMessage("null")
		if sp := p.Map("shipping"); sp != nil {
			pi.Shipping = shipping(sp)
		}
	}
	if p.Has("payment_method_options") {
		if err := applyOptions(pi, &l.priv, p.Map("payment_method_options")); err != nil {
			return err
		}
	}
	md, err := metadata.Apply(pi.Metadata, p, "metadata")
	if err != nil {
		return err
	}
	pi.Metadata = md
	// A method made from a test id is inserted by save, with what the
	// payment made of it (see paymentmethod.ChooseUnsaved).
	chosen, given, err := s.Methods.ChooseUnsaved(ctx, tx, account, p)
	if err != nil {
		return err
	}
	if given {
		pi.PaymentMethod, l.pm = nil, chosen
		if chosen != nil {
			pi.PaymentMethod = &chosen.ID
		}
	}
	if pi.PaymentMethod != nil && (p.Has("payment_method") || p.Has("payment_method_data") || p.Has("payment_method_types")) {
		pm, err := s.method(ctx, tx, account, l)
		if err != nil {
			return err
		}
		if err := pm.Usable("payment_method"); err != nil {
			return err
		}
		if !slices.Contains(pi.PaymentMethodTypes, pm.Type) {
			return errs.Invalid("payment_intent_incompatible_payment_method", "payment_method",
				"The PaymentMethod provided (%s) is not allowed for this PaymentIntent. Please attach a PaymentMethod of one of the following types: %s. Alternatively, update the allowed payment_method_types for this PaymentIntent to include \"%s\".",
				pm.Type, strings.Join(pi.PaymentMethodTypes, ", "), pm.Type)
		}
		if pm.Customer != nil && (pi.Customer == nil || *pm.Customer != *pi.Customer) {
			return errs.Invalid("", "payment_method",
				"The provided PaymentMethod is attached to a customer. To use it, pass that customer (%s) as customer on the PaymentIntent.", *pm.Customer)
		}
	}
	return nil
}

func applyOptions(pi *PaymentIntent, priv *private, o param.Map) error {
	if o == nil {
		return nil
	}
	for t, v := range o {
		if !slices.Contains(pi.PaymentMethodTypes, t) {
			return errs.Invalid("", param.Path("payment_method_options", t),
				"payment_method_options[%s] was provided, but %s is not among this PaymentIntent's payment_method_types.", t, t)
		}
		opts, _ := pi.PaymentMethodOptions[t].(map[string]any)
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
			switch {
			case t == "card" && k == "request_three_d_secure":
				priv.ThreeDS, _ = val.(string)
				opts[k] = val
			case k == "capture_method" || k == "setup_future_usage" || (t == "card" && k == "require_cvc_recollection"):
				if val == nil || val == "" {
					delete(opts, k)
					continue
				}
				opts[k] = val
			default:
				return errs.Invalid("", param.Path(param.Path("payment_method_options", t), k),
					"payment_method_options[%s][%s] is not supported by payd.", t, k)
			}
		}
		pi.PaymentMethodOptions[t] = opts
	}
	return nil
}

func shipping(sp param.Map) json.RawMessage {
	addr := sp.Map("address")
	a := map[string]*string{}
	for _, k := range []string{"city", "country", "line1", "line2", "postal_code", "state"} {
		a[k] = addr.String(k)
	}
	out, _ := json.Marshal(map[string]any{
		"address": a, "carrier": sp.String("carrier"), "name": sp.Str("name"),
		"phone": sp.String("phone"), "tracking_number": sp.String("tracking_number"),
	})
	return out
}

// Update changes an intent that has not been confirmed to completion.
func (s *Service) Update(ctx context.Context, tx store.Tx, account, intentID string, p param.Map) ([]byte, error) {
	if err := p.Refuse(unsupported); err != nil {
		return nil, err
	}
	l, err := load(ctx, tx, account, intentID)
	if err != nil {
		return nil, err
	}
	pi := l.pi
	if !can("update", pi.Status) {
		// Stripe still lets a finished intent's descriptive fields change.
		for name := range p {
			switch name {
			case "metadata", "description", "receipt_email", "shipping", "expand":
			default:
				return nil, errs.State("payment_intent_unexpected_state",
					"This PaymentIntent's %s could not be updated because it has a status of %s.", name, pi.Status)
			}
		}
	}
	if v := p.Str("currency"); v != "" {
		pi.Currency = money.Normalize(v)
		if !money.Valid(pi.Currency) {
			return nil, errs.Invalid("", "currency", "Invalid currency: %s.", v)
		}
	}
	if v := p.Int("amount"); v != nil {
		pi.Amount = *v
	}
	if p.Has("amount") || p.Has("currency") {
		if err := checkAmount(pi.Amount, pi.Currency); err != nil {
			return nil, err
		}
	}
	if p.Has("payment_method_types") {
		if err := s.applyTypes(ctx, tx, account, pi, p); err != nil {
			return nil, err
		}
		pi.AutomaticPaymentMethods = nil
	} else if p.Has("currency") {
		if err := s.retype(ctx, tx, account, pi); err != nil {
			return nil, err
		}
	}
	if err := s.apply(ctx, tx, account, l, p, false); err != nil {
		return nil, err
	}
	if err := cardDescriptor(pi, p, l.priv.Owner); err != nil {
		return nil, err
	}
	if p.Has("payment_method") || p.Has("payment_method_data") {
		pi.NextAction = nil
		l.priv.End()
		pi.Status = RequiresPaymentMethod
		if pi.PaymentMethod != nil {
			pi.Status = RequiresConfirmation
		}
	}
	if string(mustJSON(pi)) == string(l.before) {
		return l.before, nil
	}
	return s.save(ctx, tx, account, s.Now().Unix(), l, "payment_intent.updated")
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
		return nil, errs.CheckoutOwned("PaymentIntents")
	}
	if !can("confirm", l.pi.Status) {
		return nil, stateError("confirm", l.pi)
	}
	if p, err = s.useToken(ctx, tx, account, intentID, p); err != nil {
		return nil, err
	}
	if err := s.apply(ctx, tx, account, l, p, false); err != nil {
		return nil, err
	}
	return s.confirm(ctx, tx, account, l, p)
}

// useToken spends a ConfirmationToken: what the browser collected (the
// PaymentMethod, return_url, setup_future_usage, shipping, mandate) becomes
// the confirm's parameters, as if the server had sent them itself.
func (s *Service) useToken(ctx context.Context, tx store.Tx, account, intentID string, p param.Map) (param.Map, error) {
	merged, use, err := confirmationtoken.Spend(ctx, tx, account, p, "payment_intent", intentID, s.Now())
	if err != nil || use == nil {
		return merged, err
	}
	if use.SetupFutureUsage != "" && !p.Has("setup_future_usage") {
		merged["setup_future_usage"] = use.SetupFutureUsage
	}
	if use.Shipping != nil && !p.Has("shipping") {
		merged["shipping"] = use.Shipping
	}
	return merged, nil
}

// confirm is the attempt: pick the method, ask the processor, and record
// what happened.
func (s *Service) confirm(ctx context.Context, tx store.Tx, account string, l *loaded, p param.Map) ([]byte, error) {
	pi := l.pi
	if pi.PaymentMethod == nil {
		return nil, errs.State("payment_intent_unexpected_state",
			"You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent with %s, pass a payment_method or payment_method_data.", pi.ID)
	}
	pm, err := s.method(ctx, tx, account, l)
	if err != nil {
		return nil, err
	}
	if err := pm.Usable("payment_method"); err != nil {
		return nil, err
	}
	priv := &l.priv
	priv.Authenticated = false
	priv.End()
	if p.Has("return_url") {
		priv.ReturnURL = p.Str("return_url")
	}
	priv.OffSession = false
	if v, ok := p["off_session"]; ok {
		switch v := v.(type) {
		case bool:
			priv.OffSession = v
		case string:
			priv.OffSession = v == "one_off" || v == "recurring" || v == "true"
		}
	}
	if priv.OffSession && pi.Customer == nil {
		return nil, errs.Invalid("", "off_session", "A customer must be set on the PaymentIntent to confirm it off-session.")
	}
	if md := p.Map("mandate_data"); md != nil {
		priv.MandateData = md
	}
	useSDK := p.Bool("use_stripe_sdk") != nil && *p.Bool("use_stripe_sdk")
	if apm := pi.AutomaticPaymentMethods; apm != nil && apm.Enabled && apm.AllowRedirects != "never" &&
		priv.ReturnURL == "" && !priv.OffSession && !useSDK {
		return nil, errs.Invalid("", "return_url",
			"This PaymentIntent is configured to accept payment methods enabling redirects, which require a return_url to be provided when confirming. If you'd like to disable payment methods that require redirects, set `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.")
	}
	if debitMethods[pm.Type] && pm.Mandate() == "" && priv.MandateData == nil {
		return nil, errs.Missing("mandate_data")
	}
	if customeraction.Redirect[pm.Type] && priv.ReturnURL == "" && !priv.OffSession {
		return nil, errs.Invalid("", "return_url",
			"This PaymentIntent is configured to accept payment methods enabling redirects, which require a return_url. Pass return_url when confirming.")
	}
	outcome := s.Processor.Authorize(ctx, s.request(pi, priv, pm.Processor()))
	if outcome.Result == processor.RequiresAction && p.Bool("error_on_requires_action") != nil && *p.Bool("error_on_requires_action") {
		outcome = processor.Outcome{Result: processor.Declined, Code: "authentication_required", DeclineCode: "authentication_required",
			Message: "Your card was declined. This transaction requires authentication.", Type: "issuer_declined", NetworkStatus: "declined_by_network"}
	}
	return s.record(ctx, tx, account, l, pm, outcome)
}

func (s *Service) request(pi *PaymentIntent, priv *private, m processor.Method) processor.Request {
	sfu := ""
	if pi.SetupFutureUsage != nil {
		sfu = *pi.SetupFutureUsage
	}
	return processor.Request{Amount: pi.Amount, Currency: pi.Currency, Method: m, OffSession: priv.OffSession,
		SetupFutureUsage: sfu, RequestThreeDS: priv.ThreeDS, Authenticated: priv.Authenticated}
}

// manualCapture reports whether a successful authorization waits for an
// explicit capture.
func manualCapture(pi *PaymentIntent, pmType string) bool {
	if o, ok := pi.PaymentMethodOptions[pmType].(map[string]any); ok {
		if v, ok := o["capture_method"].(string); ok && v != "" {
			return v == "manual"
		}
	}
	return pi.CaptureMethod == "manual"
}

// record applies a processor outcome to the intent: the status change, the
// charge, the saved method, and every event, in this transaction.
func (s *Service) record(ctx context.Context, tx store.Tx, account string, l *loaded, pm *paymentmethod.PaymentMethod, o processor.Outcome) ([]byte, error) {
	pi, priv := l.pi, &l.priv
	now := s.Now()
	pi.NextAction, pi.LastPaymentError = nil, nil
	switch o.Result {
	case processor.RequiresAction:
		url := s.AuthorizeURL(ctx, pi.ID, priv.Begin(o.Action))
		pi.Status = RequiresAction
		pi.NextAction = priv.NextAction(url, priv.Source("payatt"))
		return s.save(ctx, tx, account, now.Unix(), l, "payment_intent.requires_action")

	case processor.Declined:
		ch, err := s.charge(ctx, tx, account, pi, pm, charge.Failed, false, priv.Authenticated, o, now)
		if err != nil {
			return nil, err
		}
		pi.LatestCharge = &ch.ID
		pi.Status = RequiresPaymentMethod
		pmJSON, _ := pm.JSON()
		pi.LastPaymentError = map[string]any{"type": "card_error", "code": o.Code, "message": o.Message,
			"charge": ch.ID, "payment_method": json.RawMessage(pmJSON),
			"doc_url": "https://stripe.com/docs/error-codes/" + strings.ReplaceAll(o.Code, "_", "-")}
		if o.DeclineCode != "" {
			pi.LastPaymentError["decline_code"] = o.DeclineCode
		}
		if pm.Type != "card" {
			pi.LastPaymentError["type"] = "invalid_request_error"
		}
		data, err := s.save(ctx, tx, account, now.Unix(), l, "payment_intent.payment_failed")
		if err != nil {
			return nil, err
		}
		return nil, errs.Card(o.Code, o.DeclineCode, "", o.Message, map[string]any{
			"payment_intent": json.RawMessage(data), "charge": ch.ID, "payment_method": json.RawMessage(pmJSON)})

	case processor.Pending:
		priv.SettleAt, priv.SettleFailure = o.SettleAt.UnixMilli(), o.SettleFailure
		ch, err := s.charge(ctx, tx, account, pi, pm, charge.Pending, true, false, o, now)
		if err != nil {
			return nil, err
		}
		pi.LatestCharge = &ch.ID
		pi.Status = Processing
		if err := s.saveMethod(ctx, tx, account, l, pm); err != nil {
			return nil, err
		}
		return s.save(ctx, tx, account, now.Unix(), l, "payment_intent.processing")
	}

	manual := manualCapture(pi, pm.Type)
	ch, err := s.charge(ctx, tx, account, pi, pm, charge.Succeeded, !manual, priv.Authenticated, o, now)
	if err != nil {
		return nil, err
	}
	pi.LatestCharge = &ch.ID
	if err := s.saveMethod(ctx, tx, account, l, pm); err != nil {
		return nil, err
	}
	b := pm.Processor().Behavior
	if manual {
		priv.DisputeReason, priv.DisputeInquiry = b.Dispute, b.DisputeInquiry
		pi.Status, pi.AmountCapturable = RequiresCapture, pi.Amount
		return s.save(ctx, tx, account, now.Unix(), l, "payment_intent.amount_capturable_updated")
	}
	pi.Status, pi.AmountReceived = Succeeded, pi.Amount
	data, err := s.save(ctx, tx, account, now.Unix(), l, "payment_intent.succeeded")
	if err != nil {
		return nil, err
	}
	if err := disputeTestCard(ctx, tx, account, ch, b.Dispute, b.DisputeInquiry, now); err != nil {
		return nil, err
	}
	return data, nil
}

// disputeTestCard disputes the charge of one of Stripe's dispute test cards
// (reason set) as soon as it is captured, its events following the
// payment's; other charges are left alone.
func disputeTestCard(ctx context.Context, tx store.Tx, account string, ch *charge.Charge, reason string, inquiry bool, now time.Time) error {
	if reason == "" {
		return nil
	}
	_, err := dispute.Open(ctx, tx, account, ch, reason, inquiry, now)
	return err
}

// debitMethods are charged only under a mandate the customer accepted.
var debitMethods = map[string]bool{"sepa_debit": true, "us_bank_account": true}

// saveMethod records what the payment leaves behind for later ones: the
// mandate a debit (or an off-session Amazon Pay setup) runs under, and,
// when the intent asked to set the method up for future use, its
// attachment to the intent's customer. A method used without a customer
// is spent, as on Stripe.
func (s *Service) saveMethod(ctx context.Context, tx store.Tx, account string, l *loaded, pm *paymentmethod.PaymentMethod) error {
	pi := l.pi
	sfu := ""
	if pi.SetupFutureUsage != nil {
		sfu = *pi.SetupFutureUsage
	}
	if o, ok := pi.PaymentMethodOptions[pm.Type].(map[string]any); ok {
		if v, ok := o["setup_future_usage"].(string); ok && v != "" {
			sfu = v
		}
	}
	mandateID := pm.Mandate()
	if mandateID == "" && (debitMethods[pm.Type] || (pm.Type == "amazon_pay" && sfu == "off_session")) {
		var m *mandate.Mandate
		var err error
		if l.priv.MandateData != nil {
			m, err = mandate.Create(ctx, tx, account, pm.ID, pm.Type, param.Map(l.priv.MandateData).Map("customer_acceptance"), s.Now())
		} else {
			// The customer agreed on the provider's page they were sent to.
			m, err = mandate.CreateAccepted(ctx, tx, account, pm.ID, pm.Type, mandate.Acceptance{Type: "online", Online: &mandate.Online{}}, s.Now())
		}
		if err != nil {
			return err
		}
		mandateID, l.priv.Mandate = m.ID, m.ID
	}
	if pi.Customer == nil {
		return s.Methods.MarkConsumed(ctx, tx, account, pm)
	}
	if sfu == "" || sfu == "none" {
		return nil
	}
	// Attach and MarkSetUp read the method's row.
	if err := s.Methods.Flush(ctx, tx, account, pm); err != nil {
		return err
	}
	if pm.Customer == nil {
		if _, err := s.Methods.Attach(ctx, tx, account, pm.ID, *pi.Customer); err != nil {
			return err
		}
	}
	return s.Methods.MarkSetUp(ctx, tx, account, pm.ID, sfu == "off_session", mandateID)
}

func (s *Service) charge(ctx context.Context, tx store.Tx, account string, pi *PaymentIntent, pm *paymentmethod.PaymentMethod, status string, captured, threeDS bool, o processor.Outcome, now time.Time) (*charge.Charge, error) {
	bd := pm.BillingDetails.JSON()
	return charge.Create(ctx, tx, charge.New{
		Account: account, Created: now.Unix(), Amount: pi.Amount, Currency: pi.Currency, Customer: pi.Customer,
		Description: pi.Description, PaymentIntent: pi.ID, PaymentMethod: pm.ID, BillingDetails: bd,
		Details: pm.ChargeDetails(pi.Amount, threeDS), ReceiptEmail: pi.ReceiptEmail,
		Statement: pi.StatementDescriptor, Shipping: pi.Shipping, Metadata: pi.Metadata,
		Status: status, Captured: captured, Outcome: o,
	})
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
