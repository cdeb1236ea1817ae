package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"maps"

	"github.com/payd/payd/internal/charge"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/paymentintent"
	"github.com/payd/payd/internal/store"
)

// paymentIntentRoutes registers PaymentIntents and Charges. Retrieve and
// confirm also take a publishable key with the intent's client_secret,
// which is how browsers and mobile SDKs reach them.
func (s *Server) paymentIntentRoutes() {
	s.handle("POST /v1/payment_intents", secretOnly, s.createPaymentIntent)
	s.handle("GET /v1/payment_intents", secretOnly, s.listPaymentIntents)
	s.handle("GET /v1/payment_intents/search", secretOnly, searchIn(paymentIntentSearch))
	s.handle("GET /v1/payment_intents/{intent}", publishableToo, s.retrievePaymentIntent)
	s.handle("POST /v1/payment_intents/{intent}", secretOnly, s.updatePaymentIntent)
	s.handle("POST /v1/payment_intents/{intent}/confirm", publishableToo, s.confirmPaymentIntent)
	s.handle("POST /v1/payment_intents/{intent}/capture", secretOnly, s.capturePaymentIntent)
	s.handle("POST /v1/payment_intents/{intent}/cancel", secretOnly, s.cancelPaymentIntent)

	s.handle("GET /v1/charges", secretOnly, s.listCharges)
	s.handle("GET /v1/charges/search", secretOnly, searchIn(chargeSearch))
	s.handle("GET /v1/charges/{charge}", secretOnly, s.retrieveCharge)
}

func (s *Server) createPaymentIntent(c *call) (result, error) {
	data, err := s.intents.Create(c.ctx, c.tx, c.account, c.params)
	return result{body: data}, err
}

func (s *Server) retrievePaymentIntent(c *call) (result, error) {
	data, err := paymentintent.Get(c.ctx, c.tx, c.account, c.path("intent"))
	if err != nil {
		return result{}, err
	}
	if err := checkClientSecret(c, "PaymentIntent", data); err != nil {
		return result{}, err
	}
	if c.publishable {
		data = publicView(data)
	}
	return result{body: data}, nil
}

func (s *Server) updatePaymentIntent(c *call) (result, error) {
	data, err := s.intents.Update(c.ctx, c.tx, c.account, c.path("intent"), c.params)
	return result{body: data}, err
}

func (s *Server) confirmPaymentIntent(c *call) (result, error) {
	if c.publishable || c.params.Has("client_secret") {
		current, err := paymentintent.Get(c.ctx, c.tx, c.account, c.path("intent"))
		if err != nil {
			return result{}, err
		}
		if err := checkClientSecret(c, "PaymentIntent", current); err != nil {
			return result{}, err
		}
	}
	p := c.params.Without("client_secret")
	if c.publishable {
		inferAcceptance(p, c.r)
	}
	data, err := s.intents.Confirm(c.ctx, c.tx, c.account, c.path("intent"), p)
	if c.publishable {
		data, err = publicView(data), publicError(err)
	}
	return result{body: data}, err
}

func (s *Server) capturePaymentIntent(c *call) (result, error) {
	data, err := s.intents.Capture(c.ctx, c.tx, c.account, c.path("intent"), c.params)
	return result{body: data}, err
}

func (s *Server) cancelPaymentIntent(c *call) (result, error) {
	data, err := s.intents.Cancel(c.ctx, c.tx, c.account, c.path("intent"), c.params)
	return result{body: data}, err
}

func (s *Server) listPaymentIntents(c *call) (result, error) {
	q, err := listQuery(c)
	if err != nil {
		return result{}, err
	}
	filterString(&q, c.params, "customer", "customer")
	if c.params.Has("customer_account") {
		return result{}, errs.Invalid("", "customer_account", "customer_account is not supported by payd; use customer.")
	}
	return list(c, paymentintent.Table, "payment_intent", "/v1/payment_intents", q)
}

func (s *Server) retrieveCharge(c *call) (result, error) {
	return retrieve(c, charge.Table, "charge", c.path("charge"))
}

func (s *Server) listCharges(c *call) (result, error) {
	q, err := listQuery(c)
	if err != nil {
		return result{}, err
	}
	filterString(&q, c.params, "customer", "customer")
	filterString(&q, c.params, "payment_intent", "payment_intent")
	if c.params.Has("transfer_group") {
		return result{}, errs.Invalid("", "transfer_group", "Connect transfers are not supported by payd.")
	}
	return list(c, charge.Table, "charge", "/v1/charges", q)
}

// retrieve answers the stored object of table with the given id.
func retrieve(c *call, table, objectName, id string) (result, error) {
	rec, err := c.tx.Get(c.ctx, table, c.account, id)
	if errors.Is(err, store.ErrNotFound) {
		return result{}, errs.NotFound(objectName, id, "id")
	}
	return result{body: rec.Data}, err
}

// checkClientSecret enforces Stripe's rule for publishable keys: the
// request must carry the intent's client_secret. With a secret key a
// client_secret, when sent, must match too.
func checkClientSecret(c *call, objectName string, data []byte) error {
	secret := c.params.Str("client_secret")
	if secret == "" {
		if c.publishable {
			return errs.Missing("client_secret")
		}
		return nil
	}
	var v struct {
		ClientSecret string `json:"client_secret"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(v.ClientSecret), []byte(secret)) != 1 {
		return errs.Invalid("", "client_secret",
			"The client_secret provided does not match the client_secret associated with the %s.", objectName)
	}
	return nil
}

// hiddenFromPublishable are the fields of an intent a publishable key does
// not see: Stripe leaves out the merchant's own data (customer, metadata,
// descriptors, …).
var hiddenFromPublishable = []string{"customer", "metadata", "application", "application_fee_amount", "on_behalf_of",
	"review", "statement_descriptor", "statement_descriptor_suffix", "transfer_data", "transfer_group"}

func publicView(data []byte) []byte {
	if data == nil {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return data
	}
	for _, k := range hiddenFromPublishable {
		delete(m, k)
	}
	out, err := json.Marshal(m)
	if err != nil {
		return data
	}
	return out
}

// publicError is err as a publishable key sees it: the intent a card
// error or a wrong-state error carries is shown in its public view too.
func publicError(err error) error {
	e, ok := errs.As(err)
	if !ok || e.Extra == nil {
		return err
	}
	out := *e // errors may be shared values: change a copy
	out.Extra = maps.Clone(e.Extra)
	for _, k := range []string{"payment_intent", "setup_intent"} {
		v, ok := out.Extra[k]
		if !ok {
			continue
		}
		b, mErr := json.Marshal(v)
		if mErr != nil {
			return err
		}
		out.Extra[k] = json.RawMessage(publicView(b))
	}
	return &out
}

// SettleDue finishes the delayed debits whose settlement time has passed
// and reports how many it settled. Any number of nodes may run it at once:
// each intent is settled under its row lock, and a settled one is skipped.
func (s *Server) SettleDue(ctx context.Context) (int, error) {
	return s.sweep(ctx, paymentintent.Table, "settle_at", func(tx store.Tx, ref store.Ref) error {
		return s.intents.Settle(ctx, tx, ref.Account, ref.ID)
	})
}
