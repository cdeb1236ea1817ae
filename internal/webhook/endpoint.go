// Package webhook sends events to the URLs accounts register, the way
// Stripe does: WebhookEndpoints (the resource), the signature receivers
// verify, the retry schedule, and the worker that drains the outbox.
//
// Delivery rows are written by the event package in the transaction that
// records each event; this package only ever reads and finishes them, so a
// change committed is a delivery owed, whatever happens to the process.
package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/metadata"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/store"
)

// Table is where webhook endpoints live.
const Table = "webhook_endpoints"

// Prefix starts every webhook endpoint id.
const Prefix = "we"

// MaxEndpoints is Stripe's limit of webhook endpoints per account. It also
// bounds the work of recording an event, which reads them all.
const MaxEndpoints = 16

// Endpoint statuses.
const (
	StatusEnabled  = "enabled"
	StatusDisabled = "disabled"
)

// Endpoint is Stripe's webhook_endpoint object as payd renders it.
type Endpoint struct {
	ID            string            `json:"id"`
	Object        string            `json:"object"`
	APIVersion    *string           `json:"api_version"`
	Application   *string           `json:"application"`
	Created       int64             `json:"created"`
	Description   *string           `json:"description"`
	EnabledEvents []string          `json:"enabled_events"`
	Livemode      bool              `json:"livemode"`
	Metadata      map[string]string `json:"metadata"`
	// Secret is rendered by create only; it is kept in the row's private
	// state, never in its data.
	Secret string `json:"secret,omitempty"`
	Status string `json:"status"`
	URL    string `json:"url"`
}

// private is an endpoint's server-side state.
type private struct {
	Secret string `json:"secret"`
}

// Deleted is what Stripe answers for a deleted endpoint.
type Deleted struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

// Service holds what endpoint operations depend on.
type Service struct {
	Now func() time.Time
	// EventTypes are the event types an endpoint may subscribe to, besides
	// "*". Stripe's spec lets unknown types through its parameter
	// validation (new types appear faster than SDKs ship), but the API
	// refuses a type that does not exist, and so does payd: a misspelt
	// type would otherwise be an endpoint that silently never fires. Nil
	// accepts any type.
	EventTypes map[string]bool
}

// Create makes an endpoint from validated create parameters and returns
// its JSON with the signing secret, the only time the secret is shown.
func (s *Service) Create(ctx context.Context, tx store.Tx, account string, p param.Map) ([]byte, error) {
	if v := p.Bool("connect"); v != nil && *v {
		return nil, errs.Invalid("", "connect", "Connect is not supported by payd: endpoints receive the events of their own account.")
	}
	page, err := tx.List(ctx, Table, store.ListQuery{Account: account, Limit: MaxEndpoints})
	if err != nil {
		return nil, err
	}
	if len(page.Records) >= MaxEndpoints {
		return nil, errs.Invalid("", "", "You have reached the maximum of %d webhook endpoints on this account. Delete one you no longer use.", MaxEndpoints)
	}
	e := &Endpoint{
		ID:       id.New(Prefix),
		Object:   "webhook_endpoint",
		Created:  s.Now().Unix(),
		Metadata: map[string]string{},
		Status:   StatusEnabled,
	}
	if v := p.Str("api_version"); v != "" {
		e.APIVersion = &v
	}
	if !p.Has("url") {
		return nil, errs.Missing("url")
	}
	if !p.Has("enabled_events") {
		return nil, errs.Missing("enabled_events")
	}
	if err := s.apply(e, p); err != nil {
		return nil, err
	}
	secret := "whsec_" + id.Random(32)
	priv, err := json.Marshal(private{Secret: secret})
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	if err := tx.InsertNew(ctx, Table, record(account, e, data, priv, false)); err != nil {
		return nil, err
	}
	e.Secret = secret
	return json.Marshal(e)
}

// Retrieve returns a live endpoint's JSON.
func (s *Service) Retrieve(ctx context.Context, tx store.Tx, account, endpointID string) ([]byte, error) {
	rec, _, err := load(ctx, tx, account, endpointID, false, "id")
	return rec.Data, err
}

// Update applies validated update parameters. Re-enabling an endpoint
// forgets its failing streak: it starts with a clean slate, as when it was
// created.
func (s *Service) Update(ctx context.Context, tx store.Tx, account, endpointID string, p param.Map) ([]byte, error) {
	rec, e, err := load(ctx, tx, account, endpointID, true, "id")
	if err != nil {
		return nil, err
	}
	if err := s.apply(e, p); err != nil {
		return nil, err
	}
	wasEnabled := e.Status == StatusEnabled
	if v := p.Bool("disabled"); v != nil {
		e.Status = StatusEnabled
		if *v {
			e.Status = StatusDisabled
		}
	}
	data, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	r := record(account, e, data, rec.Private, false)
	if !wasEnabled && e.Status == StatusEnabled {
		r.Cols = append(r.Cols, store.Col{Name: "failing_since", Value: nil})
	}
	return data, tx.Put(ctx, Table, r)
}

// Delete marks the endpoint deleted; its pending deliveries are given up
// when the worker next reaches them, as Stripe stops retrying events for a
// deleted endpoint.
func (s *Service) Delete(ctx context.Context, tx store.Tx, account, endpointID string) ([]byte, error) {
	rec, e, err := load(ctx, tx, account, endpointID, true, "id")
	if err != nil {
		return nil, err
	}
	if err := tx.Put(ctx, Table, record(account, e, rec.Data, rec.Private, true)); err != nil {
		return nil, err
	}
	return json.Marshal(Deleted{ID: e.ID, Object: "webhook_endpoint", Deleted: true})
}

// Disable turns off an endpoint that has been failing too long. It reports
// whether it did (false when the endpoint was already disabled or gone).
func Disable(ctx context.Context, tx store.Tx, account, endpointID string) (bool, error) {
	rec, e, err := load(ctx, tx, account, endpointID, true, "id")
	if e, ok := errs.As(err); ok && e.Status == 404 {
		return false, nil
	}
	if err != nil || e.Status != StatusEnabled {
		return false, err
	}
	e.Status = StatusDisabled
	data, err := json.Marshal(e)
	if err != nil {
		return false, err
	}
	return true, tx.Put(ctx, Table, record(account, e, data, rec.Private, false))
}

// Target is what a delivery needs of its endpoint at the moment it is sent.
type Target struct {
	URL    string
	Secret string
	// Live is false when the endpoint is disabled or deleted: Stripe sends
	// nothing more to it, retries included.
	Live bool
}

// LoadTarget reads an endpoint for delivery. A missing endpoint is not
// live.
func LoadTarget(ctx context.Context, tx store.Tx, account, endpointID string) (Target, error) {
	rec, err := tx.Get(ctx, Table, account, endpointID)
	if errors.Is(err, store.ErrNotFound) {
		return Target{}, nil
	}
	if err != nil {
		return Target{}, err
	}
	var e Endpoint
	var priv private
	if err := store.Decode(rec, &e, &priv); err != nil {
		return Target{}, err
	}
	return Target{URL: e.URL, Secret: priv.Secret, Live: !rec.Deleted && e.Status == StatusEnabled}, nil
}

// Live loads an endpoint that exists and is not deleted; paramName names
// the parameter that referred to it in a 404.
func Live(ctx context.Context, tx store.Tx, account, endpointID, paramName string) (*Endpoint, error) {
	_, e, err := load(ctx, tx, account, endpointID, false, paramName)
	return e, err
}

func load(ctx context.Context, tx store.Tx, account, endpointID string, lock bool, paramName string) (store.Record, *Endpoint, error) {
	get := tx.Get
	if lock {
		get = tx.GetForUpdate
	}
	rec, err := get(ctx, Table, account, endpointID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && rec.Deleted) {
		return rec, nil, errs.NotFound("webhook_endpoint", endpointID, paramName)
	}
	if err != nil {
		return rec, nil, err
	}
	var e Endpoint
	if err := json.Unmarshal(rec.Data, &e); err != nil {
		return rec, nil, err
	}
	return rec, &e, nil
}

func record(account string, e *Endpoint, data, priv []byte, deleted bool) store.Record {
	return store.Record{
		ID: e.ID, Account: account, Created: e.Created, Data: data, Private: priv, Deleted: deleted,
		Cols: []store.Col{
			{Name: "url", Value: e.URL},
			{Name: "status", Value: e.Status},
			{Name: "enabled_events", Value: strings.Join(e.EnabledEvents, ",")},
		},
	}
}

// apply sets the fields create and update share.
func (s *Service) apply(e *Endpoint, p param.Map) error {
	if p.Has("url") {
		u := p.Str("url")
		if err := CheckURL(u); err != nil {
			return err
		}
		e.URL = u
	}
	if p.Has("enabled_events") {
		events := p.Strings("enabled_events")
		if len(events) == 0 {
			return errs.Missing("enabled_events")
		}
		for i, ev := range events {
			if ev != "*" && s.EventTypes != nil && !s.EventTypes[ev] {
				return errs.Invalid("", fmt.Sprintf("enabled_events[%d]", i),
					"Invalid enabled_events[%d]: %q is not an event type. Check its spelling (for example customer.created or payment_intent.succeeded), or use * for every event.", i, ev)
			}
		}
		e.EnabledEvents = dedupe(events)
	}
	if p.Has("description") {
		e.Description = p.String("description")
		if e.Description != nil && *e.Description == "" {
			e.Description = nil
		}
	}
	md, err := metadata.Apply(e.Metadata, p, "metadata")
	if err != nil {
		return err
	}
	e.Metadata = md
	return nil
}

func dedupe(events []string) []string {
	seen := make(map[string]bool, len(events))
	out := events[:0:0]
	for _, ev := range events {
		if !seen[ev] {
			seen[ev] = true
			out = append(out, ev)
		}
	}
	return out
}

// CheckURL accepts what payd can deliver to: https anywhere, and plain
// http only to this machine (localhost, 127.0.0.0/8, ::1), because payd
// runs next to the application it notifies during development. Anything
// else would send signed payment events in clear text across a network.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" || u.User != nil {
		return errs.Invalid("url_invalid", "url", "Invalid URL: %q is not an absolute URL such as https://example.com/webhook.", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if host == "localhost" || strings.HasSuffix(host, ".localhost") {
			return nil
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return nil
		}
		return errs.Invalid("url_invalid", "url", "Invalid URL: %s must use https. Plain http is only allowed for a receiver on this machine, such as http://localhost:3000/webhook or http://127.0.0.1:3000/webhook.", raw)
	}
	return errs.Invalid("url_invalid", "url", "Invalid URL: %s must start with https:// (or http://localhost… / http://127.0.0.1… for a receiver on this machine).", raw)
}
