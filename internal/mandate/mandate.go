// Package mandate implements Stripe's Mandate: the record of a customer's
// agreement that lets a merchant debit a payment method later without the
// customer present. A SetupIntent (or a PaymentIntent with
// setup_future_usage=off_session) creates one when the method it saves
// needs one: bank debits always, Amazon Pay when it is to be charged
// off-session. The processor relies on it for those off-session charges
// through the PaymentMethod, which remembers its mandate.
//
// Stripe has no mandate.created event: a mandate appears with the intent
// that made it, and only later changes (deactivation) emit mandate.updated.
// It knows nothing of HTTP or SQL.
package mandate

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/store"
)

// Table is where mandates live.
const Table = "mandates"

// Prefix starts every mandate id.
const Prefix = "mandate"

// Statuses a mandate can have.
const (
	Active   = "active"
	Inactive = "inactive"
)

// Mandate is Stripe's mandate object. payd's mandates are all multi_use:
// they authorize any number of later debits, which is what setting a
// method up for future use asks for.
type Mandate struct {
	ID                   string         `json:"id"`
	Object               string         `json:"object"`
	CustomerAcceptance   Acceptance     `json:"customer_acceptance"`
	Livemode             bool           `json:"livemode"`
	MultiUse             map[string]any `json:"multi_use"`
	PaymentMethod        string         `json:"payment_method"`
	PaymentMethodDetails map[string]any `json:"payment_method_details"`
	Status               string         `json:"status"`
	Type                 string         `json:"type"`
}

// Acceptance is customer_acceptance: how and when the customer agreed.
// It is typed (not a param.Map) so that it survives being stored in an
// intent's private state between confirm and the authorization page.
type Acceptance struct {
	AcceptedAt *int64    `json:"accepted_at"`
	Offline    *struct{} `json:"offline,omitempty"`
	Online     *Online   `json:"online,omitempty"`
	Type       string    `json:"type"`
}

// Online is customer_acceptance.online.
type Online struct {
	IPAddress *string `json:"ip_address"`
	UserAgent *string `json:"user_agent"`
}

// private is the mandate's server-side state: the secret that makes its
// page's address unguessable, as Stripe's mandate URLs are.
type private struct {
	Token string `json:"token"`
}

// Needed reports whether setting up a method of type pmType creates a
// mandate: bank debits always (the debit scheme requires one), Amazon Pay
// only for off-session use, where no customer is there to authorize.
func Needed(pmType string, offSession bool) bool {
	switch pmType {
	case "sepa_debit", "us_bank_account":
		return true
	case "amazon_pay":
		return offSession
	}
	return false
}

// AcceptanceRequired reports whether the merchant must send
// mandate_data[customer_acceptance] to set up a method of type pmType.
// Amazon Pay's acceptance is given on the redirect page instead, so payd
// infers it from that page's request when none is sent.
func AcceptanceRequired(pmType string) bool {
	return pmType == "sepa_debit" || pmType == "us_bank_account"
}

// ParseAcceptance reads a validated customer_acceptance hash; path is its
// param path (mandate_data[customer_acceptance]) for errors. A nil hash
// gives nil.
func ParseAcceptance(p param.Map, path string) (*Acceptance, error) {
	if p == nil {
		return nil, nil
	}
	a := &Acceptance{Type: p.Str("type"), AcceptedAt: p.Int("accepted_at")}
	switch a.Type {
	case "online":
		if p.Has("offline") {
			return nil, errs.Invalid("", param.Path(path, "offline"),
				"You cannot pass offline when customer_acceptance[type] is online.")
		}
		on := p.Map("online")
		if on == nil {
			return nil, errs.Missing(param.Path(path, "online"))
		}
		a.Online = &Online{IPAddress: on.String("ip_address"), UserAgent: on.String("user_agent")}
	case "offline":
		if p.Has("online") {
			return nil, errs.Invalid("", param.Path(path, "online"),
				"You cannot pass online when customer_acceptance[type] is offline.")
		}
		a.Offline = &struct{}{}
	default:
		return nil, errs.Missing(param.Path(path, "type"))
	}
	return a, nil
}

type baseKey struct{}

// WithBaseURL tells Create where payd is reachable, so that a SEPA
// mandate's url points back at this payd. The API layer sets it per
// request; without it the url is a path on the same host.
func WithBaseURL(ctx context.Context, base string) context.Context {
	return context.WithValue(ctx, baseKey{}, base)
}

// PagePath is where a mandate's page is served.
const PagePath = "/_payd/mandates/"

// Create records an active multi_use mandate for the payment method pmID of
// type pmType, from acceptance (a validated customer_acceptance hash, as
// mandate_data[customer_acceptance] carries it). It is for callers that
// hold the request's parameters, such as a PaymentIntent confirmed with
// setup_future_usage=off_session.
func Create(ctx context.Context, tx store.Tx, account, pmID, pmType string, acceptance param.Map, now time.Time) (*Mandate, error) {
	a, err := ParseAcceptance(acceptance, "mandate_data[customer_acceptance]")
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, errs.Missing("mandate_data")
	}
	return CreateAccepted(ctx, tx, account, pmID, pmType, *a, now)
}

// CreateAccepted is Create for an acceptance already parsed (kept by an
// intent across the customer's redirect).
func CreateAccepted(ctx context.Context, tx store.Tx, account, pmID, pmType string, a Acceptance, now time.Time) (*Mandate, error) {
	if a.AcceptedAt == nil {
		t := now.Unix()
		a.AcceptedAt = &t
	}
	m := &Mandate{
		ID: id.New(Prefix), Object: "mandate", CustomerAcceptance: a, MultiUse: map[string]any{},
		PaymentMethod: pmID, Status: Active, Type: "multi_use",
	}
	priv := private{Token: id.Random(32)}
	details := map[string]any{}
	if pmType == "sepa_debit" {
		base, _ := ctx.Value(baseKey{}).(string)
		details["reference"] = strings.ToUpper(id.Random(16))
		details["url"] = base + PagePath + m.ID + "?token=" + priv.Token
	}
	m.PaymentMethodDetails = map[string]any{"type": pmType, pmType: details}
	data, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	privData, err := json.Marshal(priv)
	if err != nil {
		return nil, err
	}
	err = tx.InsertNew(ctx, Table, store.Record{ID: m.ID, Account: account, Created: now.Unix(), Data: data, Private: privData,
		Cols: []store.Col{{Name: "payment_method", Value: pmID}}})
	return m, err
}

// Get returns the stored JSON of a mandate.
func Get(ctx context.Context, tx store.Tx, account, mandateID string) ([]byte, error) {
	rec, err := tx.Get(ctx, Table, account, mandateID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errs.NotFound("mandate", mandateID, "mandate")
	}
	return rec.Data, err
}

// Deactivate makes a mandate inactive, as Stripe does when its payment
// method is detached, and records mandate.updated. An inactive mandate
// stays inactive.
func Deactivate(ctx context.Context, tx store.Tx, account, mandateID string, now time.Time) error {
	rec, err := tx.GetForUpdate(ctx, Table, account, mandateID)
	if errors.Is(err, store.ErrNotFound) {
		return errs.NotFound("mandate", mandateID, "mandate")
	}
	if err != nil {
		return err
	}
	var m Mandate
	if err := json.Unmarshal(rec.Data, &m); err != nil {
		return err
	}
	if m.Status == Inactive {
		return nil
	}
	m.Status = Inactive
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	before := rec.Data
	rec.Data = data
	if err := tx.Put(ctx, Table, rec); err != nil {
		return err
	}
	_, err = event.Record(ctx, tx, account, now.Unix(), "mandate.updated", data, before)
	return err
}

// Page loads a mandate for its public page, which the customer reaches by
// the url in payment_method_details without an API key: the token in
// that url authorizes it.
func Page(ctx context.Context, tx store.Tx, mandateID, token string) (*Mandate, error) {
	notFound := errs.NotFound("mandate", mandateID, "mandate")
	account, err := tx.AccountOf(ctx, Table, mandateID)
	if err != nil {
		return nil, notFound
	}
	rec, err := tx.Get(ctx, Table, account, mandateID)
	if err != nil {
		return nil, notFound
	}
	var priv private
	if json.Unmarshal(rec.Private, &priv) != nil || priv.Token == "" ||
		subtle.ConstantTimeCompare([]byte(priv.Token), []byte(token)) != 1 {
		return nil, notFound
	}
	var m Mandate
	if err := json.Unmarshal(rec.Data, &m); err != nil {
		return nil, err
	}
	return &m, nil
}
