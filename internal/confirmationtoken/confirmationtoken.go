// Package confirmationtoken implements Stripe's ConfirmationToken: the
// bundle of payment details (a PaymentMethod, shipping, a return_url,
// setup_future_usage, mandate acceptance) that the browser collects before
// any intent exists, and that the server then spends to create and confirm
// a PaymentIntent or SetupIntent in one call ("finalize payments on the
// server"). A token is single-use and lives 12 hours; it is marked used in
// the same transaction as the confirm that spends it, so it can never pay
// twice, and a confirm that rolls back leaves it usable. Stripe records no
// events for ConfirmationTokens, so neither does payd. It knows nothing of
// HTTP or SQL.
package confirmationtoken

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/payd/payd/internal/customer"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/paymentmethod"
	"github.com/payd/payd/internal/store"
)

// Table is where tokens live.
const Table = "confirmation_tokens"

// Prefix starts every ConfirmationToken id.
const Prefix = "ctoken"

// Lifetime is how long a token may be spent: Stripe's tokens expire 12
// hours after creation (its own example object has expires_at = created +
// 43200).
const Lifetime = 12 * time.Hour

// objectName is how Stripe names the resource in "No such …" errors.
const objectName = "confirmationtoken"

// ConfirmationToken is Stripe's confirmation_token object.
type ConfirmationToken struct {
	ID          string       `json:"id"`
	Object      string       `json:"object"`
	Created     int64        `json:"created"`
	ExpiresAt   int64        `json:"expires_at"`
	Livemode    bool         `json:"livemode"`
	MandateData *MandateData `json:"mandate_data"`
	// PaymentIntent and SetupIntent name the intent the token confirmed,
	// null until it is used.
	PaymentIntent *string `json:"payment_intent"`
	// PaymentMethodOptions is always null: the only token-level option
	// Stripe has (card installments) is refused, as payd has none.
	PaymentMethodOptions any `json:"payment_method_options"`
	// PaymentMethodPreview is the PaymentMethod the token will confirm
	// with, without its identity (id, created, metadata): the server may
	// inspect the card before charging it.
	PaymentMethodPreview map[string]any `json:"payment_method_preview"`
	ReturnURL            *string        `json:"return_url"`
	SetupFutureUsage     *string        `json:"setup_future_usage"`
	SetupIntent          *string        `json:"setup_intent"`
	Shipping             *Shipping      `json:"shipping"`
	// UseStripeSDK is true: Stripe documents it as defaulting to true on
	// ConfirmationTokens, since a browser library created them.
	UseStripeSDK bool `json:"use_stripe_sdk"`
}

// MandateData is the customer's acceptance of a mandate, collected by the
// browser with the payment details.
type MandateData struct {
	CustomerAcceptance CustomerAcceptance `json:"customer_acceptance"`
}

// CustomerAcceptance says how the mandate was accepted.
type CustomerAcceptance struct {
	Online *OnlineAcceptance `json:"online"`
	Type   string            `json:"type"`
}

// OnlineAcceptance is where the customer accepted from.
type OnlineAcceptance struct {
	IPAddress *string `json:"ip_address"`
	UserAgent *string `json:"user_agent"`
}

// Shipping is the token's shipping hash; Stripe always renders every
// address field, null when unknown.
type Shipping struct {
	Address customer.Address `json:"address"`
	Name    string           `json:"name"`
	Phone   *string          `json:"phone"`
}

// private is the token's server-side state.
type private struct {
	// PaymentMethod is the pm_ id the preview shows and a confirm uses.
	PaymentMethod string `json:"payment_method"`
	// Used is set by Consume: a token confirms at most one intent.
	Used bool `json:"used,omitempty"`
}

// Use is what a confirm takes from a token. Shipping and MandateData are
// in the shape of the request parameters of the same name, so the intent
// code can treat them exactly as if the caller had sent them.
type Use struct {
	PaymentMethod    string
	ReturnURL        string
	SetupFutureUsage string
	Shipping         map[string]any
	MandateData      map[string]any
}

// Service holds what creating tokens depends on.
type Service struct {
	Now     func() time.Time
	Methods *paymentmethod.Service
}

// previewFields are the PaymentMethod fields a preview keeps, besides the
// hash of the method's own type.
var previewFields = []string{"allow_redisplay", "billing_details", "customer", "customer_account", "type"}

// Create makes a token from the parameters of POST
// /v1/test_helpers/confirmation_tokens, or of the browser's POST
// /v1/confirmation_tokens (which adds card details in payment_method_data
// and mandate_data). publishable says the browser asked with a publishable
// key: it may not borrow a PaymentMethod saved to a customer, whose details
// the preview would show to whoever holds the key.
func (s *Service) Create(ctx context.Context, tx store.Tx, account string, p param.Map, publishable bool) ([]byte, error) {
	if p.Has("payment_method_options") {
		// The spec allows only card installment plans here.
		return nil, errs.Invalid("", "payment_method_options[card][installments]",
			"Card installments are not supported by payd.")
	}
	pm, err := s.paymentMethod(ctx, tx, account, p, publishable)
	if err != nil {
		return nil, err
	}
	preview, err := previewOf(pm)
	if err != nil {
		return nil, err
	}
	now := s.Now().Unix()
	ct := &ConfirmationToken{
		ID: id.New(Prefix), Object: "confirmation_token", Created: now,
		ExpiresAt: now + int64(Lifetime/time.Second), PaymentMethodPreview: preview,
		ReturnURL: p.String("return_url"), SetupFutureUsage: p.String("setup_future_usage"), UseStripeSDK: true,
	}
	if sp := p.Map("shipping"); sp != nil {
		ct.Shipping = shipping(sp)
	}
	if md := p.Map("mandate_data"); md != nil {
		ct.MandateData = mandateData(md)
	}
	data, err := save(ctx, tx, account, ct, private{PaymentMethod: pm.ID}, true)
	return data, err
}

// paymentMethod resolves or creates the method the token carries. Exactly
// one of payment_method and payment_method_data names it: a token without
// one could confirm nothing.
func (s *Service) paymentMethod(ctx context.Context, tx store.Tx, account string, p param.Map, publishable bool) (*paymentmethod.PaymentMethod, error) {
	pmID, data := p.Str("payment_method"), p.Map("payment_method_data")
	switch {
	case pmID != "" && data != nil:
		return nil, errs.Invalid("parameters_exclusive", "payment_method_data",
			"You may only specify one of these parameters: payment_method, payment_method_data.")
	case data != nil:
		return s.Methods.Create(ctx, tx, account, data, "payment_method_data")
	case pmID == "":
		return nil, errs.Invalid("parameter_missing", "payment_method_data",
			"Missing required param: payment_method_data. A ConfirmationToken needs either payment_method or payment_method_data.")
	}
	// Test ids (pm_card_visa, …) become a fresh PaymentMethod here, so the
	// preview shows the real card and a confirm charges that method.
	pm, err := s.Methods.Resolve(ctx, tx, account, pmID, "payment_method")
	if err != nil {
		return nil, err
	}
	if err := pm.Usable("payment_method"); err != nil {
		return nil, err
	}
	if publishable && pm.Customer != nil {
		return nil, errs.Invalid("", "payment_method",
			"A publishable key cannot create a ConfirmationToken from a PaymentMethod saved to a customer.")
	}
	return pm, nil
}

// previewOf renders pm as a payment_method_preview.
func previewOf(pm *paymentmethod.PaymentMethod) (map[string]any, error) {
	raw, err := json.Marshal(pm)
	if err != nil {
		return nil, err
	}
	var full map[string]any
	if err := json.Unmarshal(raw, &full); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(previewFields)+1)
	for _, k := range previewFields {
		if v, ok := full[k]; ok {
			out[k] = v
		}
	}
	if v, ok := full[pm.Type]; ok {
		out[pm.Type] = v
	}
	return out, nil
}

func shipping(sp param.Map) *Shipping {
	addr := sp.Map("address")
	return &Shipping{
		Address: customer.Address{
			City: addr.String("city"), Country: addr.String("country"), Line1: addr.String("line1"),
			Line2: addr.String("line2"), PostalCode: addr.String("postal_code"), State: addr.String("state"),
		},
		Name: sp.Str("name"), Phone: sp.String("phone"),
	}
}

func mandateData(md param.Map) *MandateData {
	ca := md.Map("customer_acceptance")
	out := &MandateData{CustomerAcceptance: CustomerAcceptance{Type: ca.Str("type")}}
	if on := ca.Map("online"); on != nil {
		out.CustomerAcceptance.Online = &OnlineAcceptance{IPAddress: on.String("ip_address"), UserAgent: on.String("user_agent")}
	}
	return out
}

// Get returns the stored JSON of a token.
func Get(ctx context.Context, tx store.Tx, account, tokenID, paramName string) ([]byte, error) {
	rec, err := tx.Get(ctx, Table, account, tokenID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errs.NotFound(objectName, tokenID, paramName)
	}
	return rec.Data, err
}

// Consume spends a token for a confirm running in tx and returns what the
// confirm takes from it. The token is locked and marked used in tx, so two
// confirms racing for one token cannot both succeed, and a confirm that
// fails and rolls back leaves the token usable. paramName is the request
// parameter that named the token (confirmation_token), for errors; now is
// the request's clock, fixed by tests.
func Consume(ctx context.Context, tx store.Tx, account, tokenID, paramName string, now time.Time) (*Use, error) {
	ct, priv, err := load(ctx, tx, account, tokenID, paramName)
	if err != nil {
		return nil, err
	}
	if priv.Used {
		return nil, errs.Invalid("", paramName,
			"ConfirmationToken %s has already been used. A ConfirmationToken can confirm only one PaymentIntent or SetupIntent; create a new one.", ct.ID)
	}
	if now.Unix() > ct.ExpiresAt {
		return nil, errs.Invalid("", paramName,
			"ConfirmationToken %s has expired: ConfirmationTokens can be used for 12 hours after they are created. Create a new one.", ct.ID)
	}
	priv.Used = true
	if _, err := save(ctx, tx, account, ct, priv, false); err != nil {
		return nil, err
	}
	u := &Use{PaymentMethod: priv.PaymentMethod, ReturnURL: deref(ct.ReturnURL), SetupFutureUsage: deref(ct.SetupFutureUsage)}
	if ct.Shipping != nil {
		u.Shipping = ct.Shipping.params()
	}
	if ct.MandateData != nil {
		u.MandateData = ct.MandateData.params()
	}
	return u, nil
}

// Spend spends the token p names in confirmation_token for the confirm
// of an intent (field "payment_intent" or "setup_intent", id intentID),
// and returns p with the token replaced by what it carries: its
// PaymentMethod, and its return_url and mandate_data where p has none of
// its own. The Use is nil when p names no token; the caller takes what
// else applies to its kind of intent (setup_future_usage, shipping) from
// it. A token and a method of the request's own are exclusive.
func Spend(ctx context.Context, tx store.Tx, account string, p param.Map, field, intentID string, now time.Time) (param.Map, *Use, error) {
	tok := p.Str("confirmation_token")
	if tok == "" {
		return p, nil, nil
	}
	if p.Has("payment_method") || p.Has("payment_method_data") {
		return nil, nil, errs.Invalid("parameters_exclusive", "confirmation_token",
			"You may only specify one of these parameters: confirmation_token, payment_method, payment_method_data.")
	}
	use, err := Consume(ctx, tx, account, tok, "confirmation_token", now)
	if err != nil {
		return nil, nil, err
	}
	if err := SetIntent(ctx, tx, account, tok, field, intentID); err != nil {
		return nil, nil, err
	}
	merged := p.Without("confirmation_token")
	merged["payment_method"] = use.PaymentMethod
	if use.ReturnURL != "" && !p.Has("return_url") {
		merged["return_url"] = use.ReturnURL
	}
	if use.MandateData != nil && !p.Has("mandate_data") {
		merged["mandate_data"] = use.MandateData
	}
	return merged, use, nil
}

// SetIntent records on a spent token the intent it confirmed; field is
// "payment_intent" or "setup_intent". It is separate from Consume because
// PaymentIntent create-and-confirm spends the token before the intent is
// stored.
func SetIntent(ctx context.Context, tx store.Tx, account, tokenID, field, intentID string) error {
	ct, priv, err := load(ctx, tx, account, tokenID, "confirmation_token")
	if err != nil {
		return err
	}
	switch field {
	case "payment_intent":
		ct.PaymentIntent = &intentID
	case "setup_intent":
		ct.SetupIntent = &intentID
	default:
		return errors.New("confirmationtoken: SetIntent field must be payment_intent or setup_intent, not " + field)
	}
	_, err = save(ctx, tx, account, ct, priv, false)
	return err
}

// load reads a token locked for change.
func load(ctx context.Context, tx store.Tx, account, tokenID, paramName string) (*ConfirmationToken, private, error) {
	var priv private
	rec, err := tx.GetForUpdate(ctx, Table, account, tokenID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, priv, errs.NotFound(objectName, tokenID, paramName)
	}
	if err != nil {
		return nil, priv, err
	}
	var ct ConfirmationToken
	if err := json.Unmarshal(rec.Data, &ct); err != nil {
		return nil, priv, err
	}
	if len(rec.Private) > 0 {
		if err := json.Unmarshal(rec.Private, &priv); err != nil {
			return nil, priv, err
		}
	}
	return &ct, priv, nil
}

func save(ctx context.Context, tx store.Tx, account string, ct *ConfirmationToken, priv private, insert bool) ([]byte, error) {
	data, err := json.Marshal(ct)
	if err != nil {
		return nil, err
	}
	pdata, err := json.Marshal(priv)
	if err != nil {
		return nil, err
	}
	r := store.Record{ID: ct.ID, Account: account, Created: ct.Created, Data: data, Private: pdata}
	if insert {
		err = tx.InsertNew(ctx, Table, r)
	} else {
		err = tx.Put(ctx, Table, r)
	}
	return data, err
}

// params renders the shipping hash as request parameters: only the fields
// that have values, as a caller would have sent them.
func (sh *Shipping) params() map[string]any {
	out := map[string]any{"name": sh.Name}
	if sh.Phone != nil {
		out["phone"] = *sh.Phone
	}
	addr := map[string]any{}
	a := sh.Address
	for k, v := range map[string]*string{"city": a.City, "country": a.Country, "line1": a.Line1,
		"line2": a.Line2, "postal_code": a.PostalCode, "state": a.State} {
		if v != nil {
			addr[k] = *v
		}
	}
	out["address"] = addr
	return out
}

// params renders the mandate acceptance as request parameters.
func (md *MandateData) params() map[string]any {
	ca := map[string]any{"type": md.CustomerAcceptance.Type}
	if on := md.CustomerAcceptance.Online; on != nil {
		o := map[string]any{}
		if on.IPAddress != nil {
			o["ip_address"] = *on.IPAddress
		}
		if on.UserAgent != nil {
			o["user_agent"] = *on.UserAgent
		}
		ca["online"] = o
	}
	return map[string]any{"customer_acceptance": ca}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
