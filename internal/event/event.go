// Package event records Stripe Events. An event row is written inside the
// same transaction as the change it describes, which makes the events table
// the outbox that webhook delivery reads: a change is never visible without
// its event, and an event never describes a change that rolled back.
package event

import (
	"context"
	"encoding/json"
	"reflect"

	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/store"
	"github.com/payd/payd/internal/version"
)

// Table is where events live.
const Table = "events"

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
	data, err := json.Marshal(e)
	if err != nil {
		return e, err
	}
	err = tx.Insert(ctx, Table, store.Record{
		ID: e.ID, Account: account, Created: created, Data: data,
		Cols: []store.Col{{Name: "type", Value: typ}},
	})
	return e, err
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
