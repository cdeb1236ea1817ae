package api

import (
	"github.com/payd/payd/internal/api/form"
	"github.com/payd/payd/internal/webhook"
)

// webhookAPI serves WebhookEndpoints and payd's own delivery endpoints.
type webhookAPI struct {
	endpoints *webhook.Service
	s         *Server
}

// webhookRoutes registers Stripe's /v1/webhook_endpoints and, under
// /_payd, what Stripe shows only in its Dashboard: each event's delivery
// attempts, and a manual resend.
func (s *Server) webhookRoutes() {
	h := &webhookAPI{endpoints: &webhook.Service{Now: s.now, EventTypes: subscribableEvents()}, s: s}
	s.handle("POST /v1/webhook_endpoints", secretOnly, h.create)
	s.handle("GET /v1/webhook_endpoints", secretOnly, h.list)
	s.handle("GET /v1/webhook_endpoints/{webhook_endpoint}", secretOnly, h.retrieve)
	s.handle("POST /v1/webhook_endpoints/{webhook_endpoint}", secretOnly, h.update)
	s.handle("DELETE /v1/webhook_endpoints/{webhook_endpoint}", secretOnly, h.delete)

	s.handleOwn("GET /_payd/events/{id}/deliveries", secretOnly, noParams, h.deliveries)
	s.handleOwn("POST /_payd/events/{id}/resend", secretOnly, resendParams, h.resend)
}

// noParams accepts no parameters at all.
var noParams = &form.Schema{Type: "object"}

// resendParams names the one endpoint to resend to; without it the event
// goes to every enabled endpoint subscribed to its type.
var resendParams = &form.Schema{Type: "object", Properties: map[string]*form.Schema{
	"endpoint": {Type: "string", MaxLength: 5000},
}}

func (h *webhookAPI) create(c *call) (result, error) {
	data, err := h.endpoints.Create(c.ctx, c.tx, c.account, c.params)
	return result{body: data}, err
}

func (h *webhookAPI) retrieve(c *call) (result, error) {
	data, err := h.endpoints.Retrieve(c.ctx, c.tx, c.account, c.path("webhook_endpoint"))
	return result{body: data}, err
}

func (h *webhookAPI) update(c *call) (result, error) {
	data, err := h.endpoints.Update(c.ctx, c.tx, c.account, c.path("webhook_endpoint"), c.params)
	return result{body: data}, err
}

func (h *webhookAPI) delete(c *call) (result, error) {
	data, err := h.endpoints.Delete(c.ctx, c.tx, c.account, c.path("webhook_endpoint"))
	return result{body: data}, err
}

func (h *webhookAPI) list(c *call) (result, error) {
	q, err := listQuery(c)
	if err != nil {
		return result{}, err
	}
	return list(c, webhook.Table, "webhook_endpoint", "/v1/webhook_endpoints", q)
}

func (h *webhookAPI) deliveries(c *call) (result, error) {
	id := c.path("id")
	ds, err := webhook.EventDeliveries(c.ctx, c.tx, c.account, id)
	if err != nil {
		return result{}, err
	}
	body, err := webhook.List("/_payd/events/"+id+"/deliveries", ds)
	return result{body: body}, err
}

func (h *webhookAPI) resend(c *call) (result, error) {
	id := c.path("id")
	ds, err := webhook.Resend(c.ctx, c.tx, c.account, id, c.params.Str("endpoint"), h.s.now().UnixMilli())
	if err != nil {
		return result{}, err
	}
	body, err := webhook.List("/_payd/events/"+id+"/deliveries", ds)
	return result{body: body}, err
}

// subscribableEvents are the event types the spec lists for enabled_events.
func subscribableEvents() map[string]bool {
	op, ok := form.Operation("POST /v1/webhook_endpoints")
	if !ok || op.Properties["enabled_events"] == nil || op.Properties["enabled_events"].Items == nil {
		return nil
	}
	types := map[string]bool{}
	for _, t := range op.Properties["enabled_events"].Items.Enum {
		types[t] = true
	}
	return types
}
