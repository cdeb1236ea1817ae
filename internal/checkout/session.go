// Package checkout implements Stripe's Checkout Sessions: a hosted payment
// (or setup) page for a list of line items. A session is open until it is
// paid, expired by time or through the API; its PaymentIntent or
// SetupIntent is created when the customer submits the page and tells the
// session, inside the intent's own transaction, of every change, so that a
// session completes exactly when its payment does.
package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/payd/payd/internal/catalog"
	"github.com/payd/payd/internal/customer"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/paymentintent"
	"github.com/payd/payd/internal/paymentmethod"
	"github.com/payd/payd/internal/setupintent"
	"github.com/payd/payd/internal/store"
)

// Table is where sessions live.
const Table = "checkout_sessions"

// Prefix starts every session id; payd's keys are test keys, so its
// sessions are test sessions, named as Stripe names them.
const Prefix = "cs_test"

// Modes.
const (
	ModePayment      = "payment"
	ModeSetup        = "setup"
	ModeSubscription = "subscription"
)

// Status is a session's status.
type Status string

// Stripe's session statuses: open until paid (complete) or expired.
const (
	Open     Status = "open"
	Complete Status = "complete"
	Expired  Status = "expired"
)

// Payment statuses.
const (
	Paid              = "paid"
	Unpaid            = "unpaid"
	NoPaymentRequired = "no_payment_required"
)

// Session is Stripe's checkout.session object as payd renders it.
type Session struct {
	ID                                string                     `json:"id"`
	Object                            string                     `json:"object"`
	AdaptivePricing                   any                        `json:"adaptive_pricing"`
	AfterExpiration                   any                        `json:"after_expiration"`
	AllowPromotionCodes               *bool                      `json:"allow_promotion_codes"`
	AmountSubtotal                    *int64                     `json:"amount_subtotal"`
	AmountTotal                       *int64                     `json:"amount_total"`
	AutomaticTax                      map[string]any             `json:"automatic_tax"`
	BillingAddressCollection          *string                    `json:"billing_address_collection"`
	CancelURL                         *string                    `json:"cancel_url"`
	ClientReferenceID                 *string                    `json:"client_reference_id"`
	ClientSecret                      *string                    `json:"client_secret"`
	CollectedInformation              *CollectedInformation      `json:"collected_information"`
	Consent                           any                        `json:"consent"`
	ConsentCollection                 any                        `json:"consent_collection"`
	Created                           int64                      `json:"created"`
	Currency                          *string                    `json:"currency"`
	CurrencyConversion                any                        `json:"currency_conversion"`
	CustomFields                      []any                      `json:"custom_fields"`
	CustomText                        map[string]any             `json:"custom_text"`
	Customer                          *string                    `json:"customer"`
	CustomerAccount                   *string                    `json:"customer_account"`
	CustomerCreation                  *string                    `json:"customer_creation"`
	CustomerDetails                   *CustomerDetails           `json:"customer_details"`
	CustomerEmail                     *string                    `json:"customer_email"`
	Discounts                         []any                      `json:"discounts"`
	ExcludedPaymentMethodTypes        []string                   `json:"excluded_payment_method_types"`
	ExpiresAt                         int64                      `json:"expires_at"`
	Invoice                           *string                    `json:"invoice"`
	InvoiceCreation                   any                        `json:"invoice_creation"`
	LineItems                         json.RawMessage            `json:"line_items,omitempty"`
	Livemode                          bool                       `json:"livemode"`
	Locale                            *string                    `json:"locale"`
	Metadata                          map[string]string          `json:"metadata"`
	Mode                              string                     `json:"mode"`
	OriginContext                     *string                    `json:"origin_context"`
	PaymentIntent                     *string                    `json:"payment_intent"`
	PaymentLink                       *string                    `json:"payment_link"`
	PaymentMethodCollection           *string                    `json:"payment_method_collection"`
	PaymentMethodConfigurationDetails any                        `json:"payment_method_configuration_details"`
	PaymentMethodOptions              map[string]any             `json:"payment_method_options"`
	PaymentMethodTypes                []string                   `json:"payment_method_types"`
	PaymentStatus                     string                     `json:"payment_status"`
	PhoneNumberCollection             map[string]any             `json:"phone_number_collection"`
	RecoveredFrom                     *string                    `json:"recovered_from"`
	SavedPaymentMethodOptions         *SavedPaymentMethodOptions `json:"saved_payment_method_options"`
	SetupIntent                       *string                    `json:"setup_intent"`
	ShippingAddressCollection         *ShippingAddressCollection `json:"shipping_address_collection"`
	ShippingCost                      any                        `json:"shipping_cost"`
	ShippingOptions                   []any                      `json:"shipping_options"`
	Status                            Status                     `json:"status"`
	SubmitType                        *string                    `json:"submit_type"`
	Subscription                      *string                    `json:"subscription"`
	SuccessURL                        *string                    `json:"success_url"`
	TaxIDCollection                   map[string]any             `json:"tax_id_collection"`
	TotalDetails                      *TotalDetails              `json:"total_details"`
	UIMode                            string                     `json:"ui_mode"`
	URL                               *string                    `json:"url"`
}

// CustomerDetails is what the customer entered on the page.
type CustomerDetails struct {
	Address   *customer.Address `json:"address"`
	Email     *string           `json:"email"`
	Name      *string           `json:"name"`
	Phone     *string           `json:"phone"`
	TaxExempt string            `json:"tax_exempt"`
	TaxIDs    []any             `json:"tax_ids"`
}

// CollectedInformation holds the shipping details the page collected.
type CollectedInformation struct {
	BusinessName    *string          `json:"business_name"`
	IndividualName  *string          `json:"individual_name"`
	ShippingDetails *ShippingDetails `json:"shipping_details"`
}

// ShippingDetails is a name and an address to ship to.
type ShippingDetails struct {
	Address customer.Address `json:"address"`
	Name    string           `json:"name"`
}

// SavedPaymentMethodOptions says which saved methods the page may show.
type SavedPaymentMethodOptions struct {
	AllowRedisplayFilters []string `json:"allow_redisplay_filters"`
	PaymentMethodRemove   *string  `json:"payment_method_remove"`
	PaymentMethodSave     *string  `json:"payment_method_save"`
}

// ShippingAddressCollection lists the countries the page ships to.
type ShippingAddressCollection struct {
	AllowedCountries []string `json:"allowed_countries"`
}

// TotalDetails breaks the total down; payd has no discounts, shipping
// rates or taxes, so they are zero.
type TotalDetails struct {
	AmountDiscount int64 `json:"amount_discount"`
	AmountShipping int64 `json:"amount_shipping"`
	AmountTax      int64 `json:"amount_tax"`
}

// Item is Stripe's line item (object "item").
type Item struct {
	ID                 string              `json:"id"`
	Object             string              `json:"object"`
	AdjustableQuantity *AdjustableQuantity `json:"adjustable_quantity"`
	AmountDiscount     int64               `json:"amount_discount"`
	AmountSubtotal     int64               `json:"amount_subtotal"`
	AmountTax          int64               `json:"amount_tax"`
	AmountTotal        int64               `json:"amount_total"`
	Currency           string              `json:"currency"`
	Description        *string             `json:"description"`
	Metadata           map[string]string   `json:"metadata"`
	Price              *catalog.Price      `json:"price"`
	Quantity           *int64              `json:"quantity"`
}

// AdjustableQuantity lets the customer change a line item's quantity on
// the page, within bounds.
type AdjustableQuantity struct {
	Enabled bool   `json:"enabled"`
	Maximum *int64 `json:"maximum"`
	Minimum *int64 `json:"minimum"`
}

// UnitAmount is what one unit of the item costs: the price's amount, or
// the amount the customer chose for a customer-chosen price.
func (it *Item) UnitAmount() int64 {
	if it.Price != nil && it.Price.UnitAmount != nil {
		return *it.Price.UnitAmount
	}
	if it.Quantity != nil && *it.Quantity > 0 {
		return it.AmountSubtotal / *it.Quantity
	}
	return it.AmountSubtotal
}

// private is the session's server-side state.
type private struct {
	Items []Item `json:"items"`
	// PaymentIntentData and SetupIntentData are the parameters the
	// session passes to the intent it creates.
	PaymentIntentData *IntentData `json:"payment_intent_data,omitempty"`
	SetupIntentData   *IntentData `json:"setup_intent_data,omitempty"`
	// SavedMethod is the saved card the page prefilled and the customer
	// paid with (never rendered).
	SavedMethod string `json:"saved_method,omitempty"`
	// Async marks a session completed while its payment (or setup) was
	// still processing: the outcome is announced by the async events.
	Async bool `json:"async,omitempty"`
	// Method is the payment method type of the customer's latest attempt,
	// which the page offers again when the customer comes back from an
	// authorization that failed.
	Method string `json:"method,omitempty"`
	// Confirmation is the message the page shows once paid (a Payment
	// Link's hosted confirmation).
	Confirmation string `json:"confirmation,omitempty"`
}

// IntentData is payment_intent_data / setup_intent_data.
type IntentData struct {
	CaptureMethod       string            `json:"capture_method,omitempty"`
	SetupFutureUsage    string            `json:"setup_future_usage,omitempty"`
	Description         string            `json:"description,omitempty"`
	Metadata            map[string]string `json:"metadata,omitempty"`
	ReceiptEmail        string            `json:"receipt_email,omitempty"`
	StatementDescriptor string            `json:"statement_descriptor,omitempty"`
	StatementSuffix     string            `json:"statement_descriptor_suffix,omitempty"`
}

// loaded is a session read for change.
type loaded struct {
	s      *Session
	priv   private
	before []byte
}

// Get returns the stored JSON of a session. The 404 names the path
// parameter, session, as Stripe's does.
func Get(ctx context.Context, tx store.Tx, account, sessionID string) ([]byte, error) {
	rec, err := tx.Get(ctx, Table, account, sessionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errs.NotFound("checkout.session", sessionID, "session")
	}
	return rec.Data, err
}

// Items returns a session's line items.
func Items(ctx context.Context, tx store.Tx, account, sessionID string) ([]Item, error) {
	rec, err := tx.Get(ctx, Table, account, sessionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errs.NotFound("checkout.session", sessionID, "session")
	}
	if err != nil {
		return nil, err
	}
	var priv private
	if err := json.Unmarshal(rec.Private, &priv); err != nil {
		return nil, err
	}
	return priv.Items, nil
}

func load(ctx context.Context, tx store.Tx, account, sessionID string, lock bool) (*loaded, error) {
	get := tx.Get
	if lock {
		get = tx.GetForUpdate
	}
	rec, err := get(ctx, Table, account, sessionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errs.NotFound("checkout.session", sessionID, "session")
	}
	if err != nil {
		return nil, err
	}
	l := &loaded{s: &Session{}, before: rec.Data}
	return l, store.Decode(rec, l.s, &l.priv)
}

// save writes the session (inserting it when new) and records the events
// in order.
func save(ctx context.Context, tx store.Tx, account string, now int64, l *loaded, insert bool, types ...string) ([]byte, error) {
	data, err := json.Marshal(l.s)
	if err != nil {
		return nil, err
	}
	priv, err := json.Marshal(l.priv)
	if err != nil {
		return nil, err
	}
	var expireAt any
	if l.s.Status == Open {
		expireAt = l.s.ExpiresAt * 1000
	}
	r := store.Record{ID: l.s.ID, Account: account, Created: l.s.Created, Data: data, Private: priv,
		Cols: []store.Col{{Name: "customer", Value: nullable(l.s.Customer)}, {Name: "payment_intent", Value: nullable(l.s.PaymentIntent)},
			{Name: "setup_intent", Value: nullable(l.s.SetupIntent)}, {Name: "payment_link", Value: nullable(l.s.PaymentLink)},
			{Name: "status", Value: string(l.s.Status)}, {Name: "expire_at", Value: expireAt}}}
	if insert {
		err = tx.InsertNew(ctx, Table, r)
	} else {
		err = tx.Put(ctx, Table, r)
	}
	if err != nil {
		return nil, err
	}
	for _, typ := range types {
		if _, err := event.Record(ctx, tx, account, now, typ, data, nil); err != nil {
			return nil, err
		}
	}
	l.before = data
	return data, nil
}

func nullable(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func ptr[T any](v T) *T { return &v }

// Service runs session operations inside the caller's transaction.
type Service struct {
	Now       func() time.Time
	Catalog   *catalog.Service
	Customers *customer.Service
	Methods   *paymentmethod.Service
	Intents   *paymentintent.Service
	Setups    *setupintent.Service
	// Enabled lists the account's enabled payment methods (its payment
	// method configuration), offered when a session names none.
	Enabled func(ctx context.Context, tx store.Tx, account string) ([]string, error)
	// PageURL is the hosted page of a session; ReturnURL is where the
	// authorization page sends the customer back to. ctx carries the
	// request's base URL.
	PageURL   func(ctx context.Context, sessionID string) string
	ReturnURL func(ctx context.Context, sessionID string) string
	// OnComplete, when set, is told inside the completing transaction of
	// every session opened from a Payment Link that completes, so the
	// link can count it (restrictions[completed_sessions]).
	OnComplete func(ctx context.Context, tx store.Tx, account string, cs *Session) error
}
