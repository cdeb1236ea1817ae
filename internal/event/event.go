// Package event records Stripe Events. An event row is written inside the
// same transaction as the change it describes, together with one delivery
// row for each webhook endpoint subscribed to its type, which makes the
// events table the outbox that webhook delivery reads: a change is never
// visible without its event and deliveries, and an event never describes a
// change that rolled back.
package event

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"

	"github.com/payd/payd/internal/bufpool"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/jsonw"
	"github.com/payd/payd/internal/store"
	"github.com/payd/payd/internal/version"
)

// Table is where events live.
const Table = "events"

// DeliveryPrefix starts every webhook delivery id.
const DeliveryPrefix = "whdel"

// Event is Stripe's event object.
type Event struct {
	ID              string   `json:"id"`
	Object          string   `json:"object"`
	APIVersion      string   `json:"api_version"`
	Created         int64    `json:"created"`
	Data            Data     `json:"data"`
	Livemode        bool     `json:"livemode"`
	PendingWebhooks int64    `json:"pending_webhooks"`
	Request         *Request `json:"request"`
	Type            string   `json:"type"`
}

// Data carries the object as it was right after the change and, for
// updates, the previous values of the fields that changed.
type Data struct {
	Object             json.RawMessage `json:"object"`
	PreviousAttributes map[string]any  `json:"previous_attributes,omitempty"`
}

// Request names the API request that caused the event.
type Request struct {
	ID             *string `json:"id"`
	IdempotencyKey *string `json:"idempotency_key"`
}

type requestKey struct{}

// WithRequest attaches the current API request's id and idempotency key to
// ctx so that events recorded under it point back to the request.
func WithRequest(ctx context.Context, requestID, idempotencyKey string) context.Context {
	r := &Request{}
	if requestID != "" {
		r.ID = &requestID
	}
	if idempotencyKey != "" {
		r.IdempotencyKey = &idempotencyKey
	}
	return context.WithValue(ctx, requestKey{}, r)
}

// Record writes an event of type typ about object (its rendered JSON) in tx.
// previous is the object's JSON before an update, or nil.
func Record(ctx context.Context, tx store.Tx, account string, created int64, typ string, object, previous []byte) (Event, error) {
	e := Event{
		ID:         id.New("evt"),
		Object:     "event",
		APIVersion: version.APIVersion,
		Created:    created,
		Data:       Data{Object: object},
		Type:       typ,
		Request:    &Request{},
	}
	if r, ok := ctx.Value(requestKey{}).(*Request); ok {
		e.Request = r
	}
	if previous != nil {
		prev, err := PreviousAttributes(previous, object)
		if err != nil {
			return e, err
		}
		e.Data.PreviousAttributes = prev
	}
	subs, err := tx.WebhookSubscribers(ctx, account)
	if err != nil {
		return e, err
	}
	// New deliveries are due from the event's own second, so the queue
	// sends events in the order they happened.
	ds := Deliveries(account, e.ID, typ, created, created*1000, subs)
	e.PendingWebhooks = int64(len(ds))
	// The rendering is needed only until the insert has handed it to the
	// engine (or copied it, when the row is deferred), so it is made in a
	// pooled buffer.
	buf := bufpool.Get()
	*buf, err = e.appendJSON(*buf)
	if err == nil {
		err = tx.InsertNew(ctx, Table, store.Record{
			ID: e.ID, Account: account, Created: created, Data: *buf,
			Cols: []store.Col{{Name: "type", Value: typ}},
		})
	}
	bufpool.Put(buf)
	if err != nil {
		return e, err
	}
	return e, tx.InsertDeliveries(ctx, ds)
}

// Deliveries makes a pending delivery of event evt (of type typ) for each
// subscriber whose enabled events match, due at dueMS (unix ms).
func Deliveries(account, evt, typ string, created, dueMS int64, subs []store.Subscriber) []store.Delivery {
	var ds []store.Delivery
	for _, s := range subs {
		if !Matches(s.Events, typ) {
			continue
		}
		ds = append(ds, store.Delivery{
			ID: id.New(DeliveryPrefix), Account: account, Event: evt, Endpoint: s.ID, URL: s.URL,
			Status: store.DeliveryPending, Created: created, NextAttemptAt: dueMS,
		})
	}
	return ds
}

// Matches reports whether an endpoint with these enabled events receives
// events of type typ. Stripe's enabled_events holds exact types or "*".
func Matches(enabled []string, typ string) bool {
	return slices.Contains(enabled, "*") || slices.Contains(enabled, typ)
}

// stored mirrors Event field for field, in the same order, but keeps data
// and request as raw JSON, so that rewriting pending_webhooks leaves every
// other byte of the stored event as it was.
type stored struct {
	ID              string          `json:"id"`
	Object          string          `json:"object"`
	APIVersion      string          `json:"api_version"`
	Created         int64           `json:"created"`
	Data            json.RawMessage `json:"data"`
	Livemode        bool            `json:"livemode"`
	PendingWebhooks int64           `json:"pending_webhooks"`
	Request         json.RawMessage `json:"request"`
	Type            string          `json:"type"`
}

// AddPending changes the event's pending_webhooks by delta: +n when
// deliveries are added (a resend), -1 when one finishes, succeeded or
// given up. The stored event is the one every read and every later
// delivery serves, so the count is kept in it rather than computed at read
// time; the row lock makes concurrent finishes of one event add up.
func AddPending(ctx context.Context, tx store.Tx, account, evt string, delta int) error {
	if delta == 0 {
		return nil
	}
	rec, err := tx.GetForUpdate(ctx, Table, account, evt)
	if errors.Is(err, store.ErrNotFound) {
		return nil // nothing to count on
	}
	if err != nil {
		return err
	}
	var e stored
	if err := json.Unmarshal(rec.Data, &e); err != nil {
		return err
	}
	e.PendingWebhooks = max(0, e.PendingWebhooks+int64(delta))
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	rec.Data = data
	rec.Cols = nil
	return tx.Put(ctx, Table, rec)
}

// PreviousAttributes returns, for every top-level field that differs between
// before and after, its value before. Like Stripe, metadata is compared key
// by key: only changed keys appear, with null for keys that were added.
func PreviousAttributes(before, after []byte) (map[string]any, error) {
	var b, a map[string]any
	if err := json.Unmarshal(before, &b); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(after, &a); err != nil {
		return nil, err
	}
	prev := map[string]any{}
	for k, av := range a {
		bv := b[k]
		if reflect.DeepEqual(av, bv) {
			continue
		}
		if k == "metadata" {
			bm, _ := bv.(map[string]any)
			am, _ := av.(map[string]any)
			diff := map[string]any{}
			for mk, mv := range am {
				if old, ok := bm[mk]; !ok {
					diff[mk] = nil
				} else if old != mv {
					diff[mk] = old
				}
			}
			for mk, old := range bm {
				if _, ok := am[mk]; !ok {
					diff[mk] = old
				}
			}
			prev[k] = diff
			continue
		}
		prev[k] = bv
	}
	for k, bv := range b {
		if _, ok := a[k]; !ok {
			prev[k] = bv
		}
	}
	return prev, nil
}

// marshal renders the event as encoding/json would, but splices the object
// in as it is: it is payd's own rendering, already valid JSON, and
// re-validating a few kilobytes on every write showed in profiles.
func (e Event) marshal() ([]byte, error) {
	return e.appendJSON(make([]byte, 0, len(e.Data.Object)+384))
}

// appendJSON appends the event's rendering (see marshal) to b.
func (e Event) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = jsonw.String(b, `{"id":`, e.ID)
	b = jsonw.String(b, `,"object":`, e.Object)
	b = jsonw.String(b, `,"api_version":`, e.APIVersion)
	b = jsonw.Int(b, `,"created":`, e.Created)
	b = jsonw.Raw(b, `,"data":{"object":`, e.Data.Object)
	if len(e.Data.PreviousAttributes) > 0 { // omitempty
		b = jsonw.Value(b, `,"previous_attributes":`, e.Data.PreviousAttributes, &err)
	}
	b = jsonw.Bool(b, `},"livemode":`, e.Livemode)
	b = jsonw.Int(b, `,"pending_webhooks":`, e.PendingWebhooks)
	if r := e.Request; r != nil {
		b = jsonw.OptString(b, `,"request":{"id":`, r.ID)
		b = jsonw.OptString(b, `,"idempotency_key":`, r.IdempotencyKey)
		b = append(b, '}')
	} else {
		b = append(b, `,"request":null`...)
	}
	b = jsonw.String(b, `,"type":`, e.Type)
	return append(b, '}'), err
}
