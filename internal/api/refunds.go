package api

import (
	"github.com/payd/payd/internal/refund"
)

// refundRoutes registers Refunds, secret key only. The refund service
// moves money through the same processor as the intents, so it is built
// here from theirs rather than configured twice.
func (s *Server) refundRoutes() {
	h := refundHandlers{refunds: &refund.Service{Now: s.now, Processor: s.intents.Processor}}
	s.handle("POST /v1/refunds", secretOnly, h.create)
	s.handle("GET /v1/refunds", secretOnly, h.list)
	s.handle("GET /v1/refunds/{refund}", secretOnly, h.retrieve)
	s.handle("POST /v1/refunds/{refund}", secretOnly, h.update)
	s.handle("POST /v1/refunds/{refund}/cancel", secretOnly, h.cancel)
}

// refundHandlers holds what the Refunds endpoints need.
type refundHandlers struct {
	refunds *refund.Service
}

func (h refundHandlers) create(c *call) (result, error) {
	data, err := h.refunds.Create(c.ctx, c.tx, c.account, c.params)
	return result{body: data}, err
}

func (h refundHandlers) retrieve(c *call) (result, error) {
	data, err := refund.Get(c.ctx, c.tx, c.account, c.path("refund"))
	return result{body: data}, err
}

func (h refundHandlers) update(c *call) (result, error) {
	data, err := h.refunds.Update(c.ctx, c.tx, c.account, c.path("refund"), c.params)
	return result{body: data}, err
}

func (h refundHandlers) cancel(c *call) (result, error) {
	data, err := h.refunds.Cancel(c.ctx, c.tx, c.account, c.path("refund"))
	return result{body: data}, err
}

func (h refundHandlers) list(c *call) (result, error) {
	q, err := listQuery(c)
	if err != nil {
		return result{}, err
	}
	filterString(&q, c.params, "charge", "charge")
	filterString(&q, c.params, "payment_intent", "payment_intent")
	return list(c, refund.Table, "refund", "/v1/refunds", q)
}
