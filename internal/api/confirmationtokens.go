package api

import (
	"github.com/payd/payd/internal/confirmationtoken"
	"github.com/payd/payd/internal/customersession"
)

// confirmationTokenRoutes registers the two resources of finalizing
// payments on the server: ConfirmationTokens, which carry what the browser
// collected to the server's create-and-confirm call, and CustomerSessions,
// which let the same browser form show and save one customer's methods.
func (s *Server) confirmationTokenRoutes() {
	s.handle("GET /v1/confirmation_tokens/{confirmation_token}", secretOnly, s.retrieveConfirmationToken)
	s.handle("POST /v1/test_helpers/confirmation_tokens", secretOnly, s.createTestConfirmationToken)
	// POST /v1/confirmation_tokens is what Stripe.js calls for
	// stripe.createConfirmationToken(), and what payd's own JS client
	// calls. Stripe's public spec leaves it out; payd takes the test
	// helper's parameters plus payment_method_data[card] (the card fields
	// of POST /v1/payment_methods, which a browser may send with a
	// publishable key) and mandate_data (the client-key form of an intent
	// confirm's). Its schema is assembled from those pieces of the spec by
	// internal/api/form/gen.
	s.handle("POST /v1/confirmation_tokens", publishableToo, s.createConfirmationToken)

	s.handle("POST /v1/customer_sessions", secretOnly, s.createCustomerSession)
}

func (s *Server) confirmationTokenService() *confirmationtoken.Service {
	return &confirmationtoken.Service{Now: s.now, Methods: s.paymentMethods}
}

func (s *Server) customerSessionService() *customersession.Service {
	return &customersession.Service{Now: s.now, Customers: s.customers}
}

func (s *Server) retrieveConfirmationToken(c *call) (result, error) {
	data, err := confirmationtoken.Get(c.ctx, c.tx, c.account, c.path("confirmation_token"), "id")
	return result{body: data}, err
}

func (s *Server) createTestConfirmationToken(c *call) (result, error) {
	data, err := s.confirmationTokenService().Create(c.ctx, c.tx, c.account, c.params, false)
	return result{body: data}, err
}

func (s *Server) createConfirmationToken(c *call) (result, error) {
	if c.publishable {
		inferAcceptance(c.params, c.r)
	}
	data, err := s.confirmationTokenService().Create(c.ctx, c.tx, c.account, c.params, c.publishable)
	return result{body: data}, err
}

func (s *Server) createCustomerSession(c *call) (result, error) {
	data, err := s.customerSessionService().Create(c.ctx, c.tx, c.account, c.params)
	return result{body: data}, err
}
