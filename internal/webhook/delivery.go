package webhook

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/store"
)

// Delivery is payd's own webhook_delivery object: one event sent (or to be
// sent) to one endpoint, with every attempt. Stripe shows the same facts
// only in its Dashboard, so payd serves them under /_payd, never /v1.
type Delivery struct {
	ID            string        `json:"id"`
	Object        string        `json:"object"`
	Event         string        `json:"event"`
	Endpoint      string        `json:"endpoint"`
	URL           string        `json:"url"`
	Status        string        `json:"status"`
	Attempts      []AttemptView `json:"attempts"`
	NextAttemptAt *int64        `json:"next_attempt_at"`
	Created       int64         `json:"created"`
}

// AttemptView is one attempt as the deliveries API renders it.
type AttemptView struct {
	AttemptedAt     int64   `json:"attempted_at"`
	HTTPStatus      *int    `json:"http_status"`
	LatencyMS       int64   `json:"latency_ms"`
	ResponseExcerpt string  `json:"response_excerpt"`
	Error           *string `json:"error"`
}

// View renders a stored delivery. Times are unix seconds like every other
// timestamp in the API. While a worker holds a delivery, next_attempt_at
// is the end of its lease: when it will be tried again if that worker
// never reports back.
func View(d store.Delivery) Delivery {
	v := Delivery{
		ID: d.ID, Object: "webhook_delivery", Event: d.Event, Endpoint: d.Endpoint, URL: d.URL,
		Status: d.Status, Created: d.Created, Attempts: make([]AttemptView, 0, len(d.History)),
	}
	if d.Status == store.DeliveryPending && d.NextAttemptAt != 0 {
		next := (d.NextAttemptAt + 999) / 1000
		v.NextAttemptAt = &next
	}
	for _, a := range d.History {
		av := AttemptView{AttemptedAt: a.AttemptedAt / 1000, LatencyMS: a.LatencyMS, ResponseExcerpt: a.ResponseExcerpt}
		if a.HTTPStatus != 0 {
			status := a.HTTPStatus
			av.HTTPStatus = &status
		}
		if a.Error != "" {
			msg := a.Error
			av.Error = &msg
		}
		v.Attempts = append(v.Attempts, av)
	}
	return v
}

// List renders deliveries as a list object at url.
func List(url string, ds []store.Delivery) ([]byte, error) {
	views := make([]Delivery, len(ds))
	for i, d := range ds {
		views[i] = View(d)
	}
	return json.Marshal(struct {
		Object  string     `json:"object"`
		URL     string     `json:"url"`
		HasMore bool       `json:"has_more"`
		Data    []Delivery `json:"data"`
	}{"list", url, false, views})
}

// EventDeliveries returns the deliveries of an event of the account; an
// event of another account is not found, exactly like a missing one.
func EventDeliveries(ctx context.Context, tx store.Tx, account, eventID string) ([]store.Delivery, error) {
	if err := eventExists(ctx, tx, account, eventID); err != nil {
		return nil, err
	}
	return tx.EventDeliveries(ctx, account, eventID)
}

// Resend queues the event again: to endpointID when given (whatever its
// enabled_events, since the caller named it), otherwise to every enabled
// endpoint subscribed to the event's type. The new deliveries are due at
// nowMS and count in the event's pending_webhooks like the first ones.
func Resend(ctx context.Context, tx store.Tx, account, eventID, endpointID string, nowMS int64) ([]store.Delivery, error) {
	rec, err := tx.GetForUpdate(ctx, event.Table, account, eventID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errs.NotFound("event", eventID, "id")
	}
	if err != nil {
		return nil, err
	}
	var ev struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(rec.Data, &ev); err != nil {
		return nil, err
	}
	var subs []store.Subscriber
	if endpointID != "" {
		e, err := Live(ctx, tx, account, endpointID, "endpoint")
		if err != nil {
			return nil, err
		}
		if e.Status != StatusEnabled {
			return nil, errs.Invalid("", "endpoint",
				"The webhook endpoint %s is disabled. Enable it first (POST /v1/webhook_endpoints/%s with disabled=false).", e.ID, e.ID)
		}
		subs = []store.Subscriber{{ID: e.ID, URL: e.URL, Events: []string{"*"}}}
	} else if subs, err = tx.WebhookSubscribers(ctx, account); err != nil {
		return nil, err
	}
	ds := event.Deliveries(account, eventID, ev.Type, nowMS/1000, nowMS, subs)
	if err := tx.InsertDeliveries(ctx, ds); err != nil {
		return nil, err
	}
	if err := event.AddPending(ctx, tx, account, eventID, len(ds)); err != nil {
		return nil, err
	}
	if ds == nil {
		ds = []store.Delivery{}
	}
	return ds, nil
}

func eventExists(ctx context.Context, tx store.Tx, account, eventID string) error {
	_, err := tx.Get(ctx, event.Table, account, eventID)
	if errors.Is(err, store.ErrNotFound) {
		return errs.NotFound("event", eventID, "id")
	}
	return err
}
