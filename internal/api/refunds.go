package api

import (
	"context"

	"github.com/payd/payd/internal/refund"
	"github.com/payd/payd/internal/store"
)

// refundRoutes registers Refunds, secret key only. The refund service
// moves money through the same processor as the intents, so it is built
// here from theirs rather than configured twice.
func (s *Server) refundRoutes() {
	s.refunds = &refund.Service{Now: s.now, Processor: s.intents.Processor, Methods: s.intents.Methods}
	h := refundHandlers{refunds: s.refunds}
	s.handle("POST /v1/refunds", secretOnly, h.create)
	s.handle("GET /v1/refunds", secretOnly, h.list)
	s.handle("GET /v1/refunds/{refund}", secretOnly, h.retrieve)
	s.handle("POST /v1/refunds/{refund}", secretOnly, h.update)
	s.handle("POST /v1/refunds/{refund}/cancel", secretOnly, h.cancel)
}

// SettleDueRefunds finishes the refunds whose time has come (the pending
// and the failing refunds of Stripe's refund test cards), like SettleDue
// for payments; any number of nodes may run it at once.
func (s *Server) SettleDueRefunds(ctx context.Context) (int, error) {
	return s.sweep(ctx, refund.Table, "settle_at", func(tx store.Tx, ref store.Ref) error {
		return s.refunds.Settle(ctx, tx, ref.Account, ref.ID)
	})
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
