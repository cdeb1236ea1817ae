// Package paymentlink implements Stripe's Payment Links: a shareable URL
// that sells a fixed list of line items. A link holds no payment itself;
// opening its page starts a fresh Checkout Session (payment_link set), and
// the session does the rest. Links are never deleted, only deactivated,
// and a link limited to a number of completed sessions deactivates itself
// inside the transaction that completes the last one.
package paymentlink

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/payd/payd/internal/catalog"
	"github.com/payd/payd/internal/checkout"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/store"
)

// Table is where links live.
const Table = "payment_links"

// Prefix starts every link id.
const Prefix = "plink"

// Event types a link records.
const (
	EventCreated = "payment_link.created"
	EventUpdated = "payment_link.updated"
)

// After-completion behaviours.
const (
	AfterHostedConfirmation = "hosted_confirmation"
	AfterRedirect           = "redirect"
)

// PaymentLink is Stripe's payment_link object as payd renders it. The
// features payd lacks (Connect, tax, invoices, subscriptions, promotion
// codes, custom fields) render as Stripe renders them when unused.
type PaymentLink struct {
	ID                        string                     `json:"id"`
	Object                    string                     `json:"object"`
	Active                    bool                       `json:"active"`
	AfterCompletion           AfterCompletion            `json:"after_completion"`
	AllowPromotionCodes       bool                       `json:"allow_promotion_codes"`
	Application               *string                    `json:"application"`
	ApplicationFeeAmount      *int64                     `json:"application_fee_amount"`
	ApplicationFeePercent     *float64                   `json:"application_fee_percent"`
	AutomaticTax              map[string]any             `json:"automatic_tax"`
	BillingAddressCollection  string                     `json:"billing_address_collection"`
	ConsentCollection         any                        `json:"consent_collection"`
	Currency                  string                     `json:"currency"`
	CustomFields              []any                      `json:"custom_fields"`
	CustomText                CustomText                 `json:"custom_text"`
	CustomerCreation          string                     `json:"customer_creation"`
	InactiveMessage           *string                    `json:"inactive_message"`
	InvoiceCreation           map[string]any             `json:"invoice_creation"`
	LineItems                 json.RawMessage            `json:"line_items,omitempty"`
	Livemode                  bool                       `json:"livemode"`
	Metadata                  map[string]string          `json:"metadata"`
	OnBehalfOf                *string                    `json:"on_behalf_of"`
	PaymentIntentData         *PaymentIntentData         `json:"payment_intent_data"`
	PaymentMethodCollection   string                     `json:"payment_method_collection"`
	PaymentMethodOptions      any                        `json:"payment_method_options"`
	PaymentMethodTypes        []string                   `json:"payment_method_types"`
	PhoneNumberCollection     map[string]any             `json:"phone_number_collection"`
	Restrictions              *Restrictions              `json:"restrictions"`
	ShippingAddressCollection *ShippingAddressCollection `json:"shipping_address_collection"`
	ShippingOptions           []any                      `json:"shipping_options"`
	SubmitType                string                     `json:"submit_type"`
	SubscriptionData          any                        `json:"subscription_data"`
	TaxIDCollection           map[string]any             `json:"tax_id_collection"`
	TransferData              any                        `json:"transfer_data"`
	URL                       string                     `json:"url"`
}

// AfterCompletion is what the customer sees once paid: a message on
// payd's page or a redirect to the merchant.
type AfterCompletion struct {
	Type               string              `json:"type"`
	HostedConfirmation *HostedConfirmation `json:"hosted_confirmation,omitempty"`
	Redirect           *Redirect           `json:"redirect,omitempty"`
}

// HostedConfirmation is the message payd's page shows after payment.
type HostedConfirmation struct {
	CustomMessage *string `json:"custom_message"`
}

// Redirect is where the customer goes after payment; {CHECKOUT_SESSION_ID}
// in it is replaced with the session's id.
type Redirect struct {
	URL string `json:"url"`
}

// CustomText is the link's extra text by position; a nil position shows
// nothing.
type CustomText struct {
	AfterSubmit              *TextPosition `json:"after_submit"`
	ShippingAddress          *TextPosition `json:"shipping_address"`
	Submit                   *TextPosition `json:"submit"`
	TermsOfServiceAcceptance *TextPosition `json:"terms_of_service_acceptance"`
}

// TextPosition is one custom text.
type TextPosition struct {
	Message string `json:"message"`
}

// PaymentIntentData is what each session passes to the PaymentIntent it
// creates.
type PaymentIntentData struct {
	CaptureMethod             *string           `json:"capture_method"`
	Description               *string           `json:"description"`
	Metadata                  map[string]string `json:"metadata"`
	SetupFutureUsage          *string           `json:"setup_future_usage"`
	StatementDescriptor       *string           `json:"statement_descriptor"`
	StatementDescriptorSuffix *string           `json:"statement_descriptor_suffix"`
	TransferGroup             *string           `json:"transfer_group"`
}

// Restrictions limit how often the link can be used.
type Restrictions struct {
	CompletedSessions CompletedSessions `json:"completed_sessions"`
}

// CompletedSessions deactivates the link once Count reaches Limit.
type CompletedSessions struct {
	Count int64 `json:"count"`
	Limit int64 `json:"limit"`
}

// ShippingAddressCollection lists the countries the page ships to.
type ShippingAddressCollection struct {
	AllowedCountries []string `json:"allowed_countries"`
}

// private is a link's server-side state: its line items, priced when
// the link was made, kept as a session keeps its own, and its creation
// time, which orders lists although Stripe's object does not show it.
type private struct {
	Items   []checkout.Item `json:"items"`
	Created int64           `json:"created"`
}

// Service runs link operations inside the caller's transaction.
type Service struct {
	Now      func() time.Time
	Checkout *checkout.Service
	// URL is a link's public page; ctx carries the request's base URL.
	URL func(ctx context.Context, linkID string) string
}

// loaded is a link read for change or for opening.
type loaded struct {
	l      *PaymentLink
	priv   private
	before []byte
	// privBefore is priv as loaded: line item changes show in no
	// rendered field but are a change all the same.
	privBefore []byte
}

// unchanged says whether nothing about the link changed since load.
func (ld *loaded) unchanged() (bool, error) {
	after, err := json.Marshal(ld.l)
	if err != nil {
		return false, err
	}
	priv, err := json.Marshal(ld.priv)
	if err != nil {
		return false, err
	}
	return string(after) == string(ld.before) && string(priv) == string(ld.privBefore), nil
}

func notFound(linkID string) error {
	return errs.NotFound("payment_link", linkID, "payment_link")
}

// Get returns the stored JSON of a link, for retrieve and expand[]. The
// 404 names the path parameter, payment_link, as Stripe's does.
func Get(ctx context.Context, tx store.Tx, account, linkID string) ([]byte, error) {
	rec, err := tx.Get(ctx, Table, account, linkID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(linkID)
	}
	return rec.Data, err
}

// Items returns a link's line items, each with its price as it is now
// (an archived price shows active=false), in the order they were given.
func Items(ctx context.Context, tx store.Tx, account, linkID string) ([]checkout.Item, error) {
	ld, err := load(ctx, tx, account, linkID, false)
	if err != nil {
		return nil, err
	}
	items := ld.priv.Items
	for i := range items {
		if items[i].Price == nil {
			continue
		}
		price, err := catalog.GetPrice(ctx, tx, account, items[i].Price.ID)
		if err != nil {
			return nil, err
		}
		items[i].Price = price
	}
	return items, nil
}

func load(ctx context.Context, tx store.Tx, account, linkID string, lock bool) (*loaded, error) {
	get := tx.Get
	if lock {
		get = tx.GetForUpdate
	}
	rec, err := get(ctx, Table, account, linkID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(linkID)
	}
	if err != nil {
		return nil, err
	}
	ld := &loaded{l: &PaymentLink{}, before: rec.Data}
	if err := store.Decode(rec, ld.l, &ld.priv); err != nil {
		return nil, err
	}
	ld.privBefore, err = json.Marshal(ld.priv)
	return ld, err
}

// save writes the link (inserting it when new) and records typ, with the
// previous JSON for updates; an empty typ records nothing.
func save(ctx context.Context, tx store.Tx, account string, now int64, ld *loaded, insert bool, typ string) ([]byte, error) {
	data, err := json.Marshal(ld.l)
	if err != nil {
		return nil, err
	}
	priv, err := json.Marshal(ld.priv)
	if err != nil {
		return nil, err
	}
	active := int64(0)
	if ld.l.Active {
		active = 1
	}
	rec := store.Record{ID: ld.l.ID, Account: account, Created: ld.priv.Created, Data: data, Private: priv,
		Cols: []store.Col{{Name: "active", Value: active}}}
	if insert {
		err = tx.InsertNew(ctx, Table, rec)
	} else {
		err = tx.Put(ctx, Table, rec)
	}
	if err != nil {
		return nil, err
	}
	if typ != "" {
		var before []byte
		if !insert {
			before = ld.before
		}
		if _, err := event.Record(ctx, tx, account, now, typ, data, before); err != nil {
			return nil, err
		}
	}
	ld.before = data
	return data, nil
}
