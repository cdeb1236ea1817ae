package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/mandate"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/setupintent"
	"github.com/payd/payd/internal/store"
)

// setupIntentRoutes registers SetupIntents and Mandates. Retrieve and
// confirm also take a publishable key with the intent's client_secret, as
// for PaymentIntents: that is how Stripe.js and the mobile SDKs save a
// method. A SEPA mandate's page is served here too, since only mandates
// link to it.
func (s *Server) setupIntentRoutes() {
	s.handle("POST /v1/setup_intents", secretOnly, s.createSetupIntent)
	s.handle("GET /v1/setup_intents", secretOnly, s.listSetupIntents)
	s.handle("GET /v1/setup_intents/{intent}", publishableToo, s.retrieveSetupIntent)
	s.handle("POST /v1/setup_intents/{intent}", secretOnly, s.updateSetupIntent)
	s.handle("POST /v1/setup_intents/{intent}/confirm", publishableToo, s.confirmSetupIntent)
	s.handle("POST /v1/setup_intents/{intent}/cancel", secretOnly, s.cancelSetupIntent)
	s.handle("POST /v1/setup_intents/{intent}/verify_microdeposits", secretOnly, s.verifyMicrodeposits)

	s.handle("GET /v1/setup_attempts", secretOnly, s.listSetupAttempts)
	s.handle("GET /v1/mandates/{mandate}", secretOnly, s.retrieveMandate)
	s.mux.HandleFunc("GET "+mandate.PagePath+"{mandate}", s.mandatePage)
}

func (s *Server) createSetupIntent(c *call) (result, error) {
	data, err := s.setups.Create(c.ctx, c.tx, c.account, c.params)
	return result{body: data}, err
}

func (s *Server) retrieveSetupIntent(c *call) (result, error) {
	data, err := setupintent.Get(c.ctx, c.tx, c.account, c.path("intent"))
	if err != nil {
		return result{}, err
	}
	if err := checkClientSecret(c, "SetupIntent", data); err != nil {
		return result{}, err
	}
	if c.publishable {
		data = publicView(data)
	}
	return result{body: data}, nil
}

func (s *Server) updateSetupIntent(c *call) (result, error) {
	data, err := s.setups.Update(c.ctx, c.tx, c.account, c.path("intent"), c.params)
	return result{body: data}, err
}

func (s *Server) confirmSetupIntent(c *call) (result, error) {
	if c.publishable || c.params.Has("client_secret") {
		current, err := setupintent.Get(c.ctx, c.tx, c.account, c.path("intent"))
		if err != nil {
			return result{}, err
		}
		if err := checkClientSecret(c, "SetupIntent", current); err != nil {
			return result{}, err
		}
	}
	p := c.params.Without("client_secret")
	if c.publishable {
		inferAcceptance(p, c.r)
	}
	data, err := s.setups.Confirm(c.ctx, c.tx, c.account, c.path("intent"), p)
	if c.publishable {
		data, err = publicView(data), publicError(err)
	}
	return result{body: data}, err
}

func (s *Server) cancelSetupIntent(c *call) (result, error) {
	data, err := s.setups.Cancel(c.ctx, c.tx, c.account, c.path("intent"), c.params)
	return result{body: data}, err
}

// verifyMicrodeposits is refused rather than left unrouted: payd verifies
// bank accounts instantly, so no intent ever waits for microdeposits.
func (s *Server) verifyMicrodeposits(c *call) (result, error) {
	if _, err := setupintent.Get(c.ctx, c.tx, c.account, c.path("intent")); err != nil {
		return result{}, err
	}
	return result{}, errs.Invalid("", "", "Microdeposit verification is not supported by payd: its bank accounts are verified instantly and never wait for microdeposits.")
}

func (s *Server) listSetupIntents(c *call) (result, error) {
	for _, name := range []string{"attach_to_self", "customer_account"} {
		if c.params.Has(name) {
			return result{}, errs.Invalid("", name, "Filtering SetupIntents by %s is not supported by payd.", name)
		}
	}
	q, err := listQuery(c)
	if err != nil {
		return result{}, err
	}
	filterString(&q, c.params, "customer", "customer")
	filterString(&q, c.params, "payment_method", "payment_method")
	return list(c, setupintent.Table, "setupintent", "/v1/setup_intents", q)
}

// listSetupAttempts lists one SetupIntent's attempts, newest first; Stripe
// requires the intent, and an unknown one is not found.
func (s *Server) listSetupAttempts(c *call) (result, error) {
	intentID := c.params.Str("setup_intent")
	if _, err := c.tx.Get(c.ctx, setupintent.Table, c.account, intentID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return result{}, errs.NotFound("setupintent", intentID, "setup_intent")
		}
		return result{}, err
	}
	q, err := listQuery(c)
	if err != nil {
		return result{}, err
	}
	filterString(&q, c.params, "setup_intent", "setup_intent")
	return list(c, setupintent.AttemptTable, "setup_attempt", "/v1/setup_attempts", q)
}

func (s *Server) retrieveMandate(c *call) (result, error) {
	data, err := mandate.Get(c.ctx, c.tx, c.account, c.path("mandate"))
	return result{body: data}, err
}

// inferAcceptance fills an online customer acceptance that a browser sent
// without ip_address or user_agent (Stripe's client-key form allows that:
// it infers them from the request) with what this request shows: for a
// SetupIntent's confirmation and a ConfirmationToken alike.
func inferAcceptance(p param.Map, r *http.Request) {
	ca := p.Map("mandate_data").Map("customer_acceptance")
	if ca == nil || ca.Str("type") != "online" {
		return
	}
	on := ca.Map("online")
	if on == nil {
		on = param.Map{}
		ca["online"] = map[string]any(on)
	}
	if on.Str("ip_address") == "" {
		on["ip_address"] = clientIP(r)
	}
	if on.Str("user_agent") == "" && r.UserAgent() != "" {
		on["user_agent"] = r.UserAgent()
	}
}

// clientIP is the address of the customer's browser: the first hop of
// X-Forwarded-For when payd sits behind a proxy, else the peer.
func clientIP(r *http.Request) string {
	if fwd := r.Header.Get("X-Forwarded-For"); fwd != "" {
		first, _, _ := strings.Cut(fwd, ",")
		return strings.TrimSpace(first)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// mandatePage shows a SEPA mandate to its customer, who reaches it by the
// url in the mandate's payment_method_details; the token in it stands in
// for an API key.
func (s *Server) mandatePage(w http.ResponseWriter, r *http.Request) {
	var m *mandate.Mandate
	err := s.store.View(r.Context(), func(tx store.Tx) error {
		var err error
		m, err = mandate.Page(r.Context(), tx, r.PathValue("mandate"), r.URL.Query().Get("token"))
		return err
	})
	if err != nil {
		if _, ok := errs.As(err); !ok {
			s.log.Error("mandate page", "err", err)
		}
		renderPage(w, http.StatusNotFound, authorizeView{Title: "Mandate not found", Message: "There is no mandate at this address."})
		return
	}
	title, msg := "Mandate", "Status: "+m.Status+"."
	if d, ok := m.PaymentMethodDetails["sepa_debit"].(map[string]any); ok {
		ref, _ := d["reference"].(string)
		msg = "Mandate reference " + ref + ". By agreeing to this mandate you authorised the merchant and its payment provider to send instructions to your bank to debit your account, and your bank to debit your account in accordance with those instructions. You are entitled to a refund from your bank under the terms and conditions of your agreement with it; a refund must be claimed within 8 weeks starting from the date on which your account was debited. " + msg
		title = "SEPA Direct Debit mandate"
	}
	if at := m.CustomerAcceptance.AcceptedAt; at != nil {
		msg += " Accepted " + m.CustomerAcceptance.Type + " on " + time.Unix(*at, 0).UTC().Format("2 January 2006, 15:04 UTC") + "."
	}
	renderPage(w, http.StatusOK, authorizeView{Title: title, Message: msg})
}

// SettleDueSetupIntents finishes the delayed setups whose time has come,
// like SettleDue for payments; any number of nodes may run it at once.
func (s *Server) SettleDueSetupIntents(ctx context.Context) (int, error) {
	return s.sweep(ctx, setupintent.Table, "settle_at", func(tx store.Tx, ref store.Ref) error {
		return s.setups.Settle(ctx, tx, ref.Account, ref.ID)
	})
}
