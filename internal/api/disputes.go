package api

import (
	"github.com/payd/payd/internal/dispute"
)

// disputeRoutes registers Disputes, secret key only. Disputes are opened
// by the payments of Stripe's dispute test cards, never by a request.
func (s *Server) disputeRoutes() {
	h := disputeHandlers{disputes: &dispute.Service{Now: s.now}}
	s.handle("GET /v1/disputes", secretOnly, h.list)
	s.handle("GET /v1/disputes/{dispute}", secretOnly, h.retrieve)
	s.handle("POST /v1/disputes/{dispute}", secretOnly, h.update)
	s.handle("POST /v1/disputes/{dispute}/close", secretOnly, h.close)
}

// disputeHandlers holds what the Disputes endpoints need.
type disputeHandlers struct {
	disputes *dispute.Service
}

func (h disputeHandlers) retrieve(c *call) (result, error) {
	data, err := dispute.Get(c.ctx, c.tx, c.account, c.path("dispute"))
	return result{body: data}, err
}

func (h disputeHandlers) update(c *call) (result, error) {
	data, err := h.disputes.Update(c.ctx, c.tx, c.account, c.path("dispute"), c.params)
	return result{body: data}, err
}

func (h disputeHandlers) close(c *call) (result, error) {
	data, err := h.disputes.Close(c.ctx, c.tx, c.account, c.path("dispute"))
	return result{body: data}, err
}

func (h disputeHandlers) list(c *call) (result, error) {
	q, err := listQuery(c)
	if err != nil {
		return result{}, err
	}
	filterString(&q, c.params, "charge", "charge")
	filterString(&q, c.params, "payment_intent", "payment_intent")
	return list(c, dispute.Table, "dispute", "/v1/disputes", q)
}
