package paymentlink

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"

	"github.com/payd/payd/internal/checkout"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/store"
)

// ErrNoLink is a page address naming no link.
var ErrNoLink = errors.New("paymentlink: no such link")

// Visit is what the customer's browser brought to the link's page: the
// query parameters Stripe's link pages take.
type Visit struct {
	// ClientReferenceID becomes the session's client_reference_id when it
	// is what Stripe accepts (letters, digits, dashes and underscores, at
	// most 200); anything else is dropped, as Stripe drops it.
	ClientReferenceID string
	// PrefilledEmail becomes the session's customer_email.
	PrefilledEmail string
}

var clientReferenceRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,200}$`)

// Opened is the outcome of opening a link: the new session's page, or,
// for an inactive link, the message its page shows instead.
type Opened struct {
	SessionURL string
	// Inactive is set when the link is deactivated; InactiveMessage is the
	// link's inactive_message, if it has one.
	Inactive        bool
	InactiveMessage string
}

// Open starts a fresh Checkout Session for a customer who opened the
// link's page, with the link's line items, collection settings and
// after-completion behaviour; a deactivated link starts nothing.
// Sessions take the account's enabled payment methods when the link
// names none.
func (s *Service) Open(ctx context.Context, tx store.Tx, linkID string, v Visit) (Opened, error) {
	account, ld, o, err := peek(ctx, tx, linkID)
	if err != nil || o.Inactive {
		return o, err
	}
	l := ld.l
	link := checkout.Link{ID: l.ID}
	p := sessionParams(ld)
	switch l.AfterCompletion.Type {
	case AfterRedirect:
		p["success_url"] = l.AfterCompletion.Redirect.URL
	case AfterHostedConfirmation:
		if hc := l.AfterCompletion.HostedConfirmation; hc != nil && hc.CustomMessage != nil {
			link.ConfirmationMessage = *hc.CustomMessage
		}
	}
	if clientReferenceRE.MatchString(v.ClientReferenceID) {
		p["client_reference_id"] = v.ClientReferenceID
	}
	if e := strings.TrimSpace(v.PrefilledEmail); e != "" && strings.Contains(e, "@") && len(e) <= 512 {
		p["customer_email"] = e
	}
	data, err := s.Checkout.CreateForLink(ctx, tx, account, p, link)
	if err != nil {
		return Opened{}, err
	}
	var cs struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(data, &cs); err != nil {
		return Opened{}, err
	}
	return Opened{SessionURL: cs.URL}, nil
}

// Peek says whether the link's page would open a session, without
// opening one.
func (s *Service) Peek(ctx context.Context, tx store.Tx, linkID string) (Opened, error) {
	_, _, o, err := peek(ctx, tx, linkID)
	return o, err
}

func peek(ctx context.Context, tx store.Tx, linkID string) (string, *loaded, Opened, error) {
	account, err := tx.AccountOf(ctx, Table, linkID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, Opened{}, ErrNoLink
	}
	if err != nil {
		return "", nil, Opened{}, err
	}
	ld, err := load(ctx, tx, account, linkID, false)
	if err != nil {
		return "", nil, Opened{}, err
	}
	o := Opened{Inactive: !ld.l.Active}
	if o.Inactive && ld.l.InactiveMessage != nil {
		o.InactiveMessage = *ld.l.InactiveMessage
	}
	return account, ld, o, nil
}

// sessionParams are the parameters of POST /v1/checkout/sessions that
// make the link's session, typed as the decoder types them. The link's
// metadata is copied to each session, as Stripe copies it.
func sessionParams(ld *loaded) param.Map {
	l := ld.l
	items := make([]any, len(ld.priv.Items))
	for i, it := range ld.priv.Items {
		item := map[string]any{"price": it.Price.ID, "quantity": *it.Quantity}
		if aq := it.AdjustableQuantity; aq != nil {
			item["adjustable_quantity"] = map[string]any{"enabled": true, "minimum": *aq.Minimum, "maximum": *aq.Maximum}
		}
		items[i] = item
	}
	p := param.Map{
		"mode": checkout.ModePayment, "line_items": items, "billing_address_collection": l.BillingAddressCollection,
		"customer_creation": l.CustomerCreation, "submit_type": l.SubmitType,
	}
	if len(l.Metadata) > 0 {
		md := make(map[string]any, len(l.Metadata))
		for k, v := range l.Metadata {
			md[k] = v
		}
		p["metadata"] = md
	}
	if len(l.PaymentMethodTypes) > 0 {
		types := make([]any, len(l.PaymentMethodTypes))
		for i, t := range l.PaymentMethodTypes {
			types[i] = t
		}
		p["payment_method_types"] = types
	}
	if sac := l.ShippingAddressCollection; sac != nil {
		countries := make([]any, len(sac.AllowedCountries))
		for i, c := range sac.AllowedCountries {
			countries[i] = c
		}
		p["shipping_address_collection"] = map[string]any{"allowed_countries": countries}
	}
	if d := l.PaymentIntentData; d != nil {
		pid := map[string]any{}
		for name, v := range map[string]*string{"capture_method": d.CaptureMethod, "description": d.Description,
			"setup_future_usage": d.SetupFutureUsage, "statement_descriptor": d.StatementDescriptor} {
			if v != nil {
				pid[name] = *v
			}
		}
		if len(d.Metadata) > 0 {
			md := make(map[string]any, len(d.Metadata))
			for k, v := range d.Metadata {
				md[k] = v
			}
			pid["metadata"] = md
		}
		if len(pid) > 0 {
			p["payment_intent_data"] = pid
		}
	}
	// The page shows the link's custom text where the session's would be.
	ct := map[string]any{}
	for name, pos := range map[string]*TextPosition{"after_submit": l.CustomText.AfterSubmit,
		"shipping_address": l.CustomText.ShippingAddress, "submit": l.CustomText.Submit} {
		if pos != nil {
			ct[name] = map[string]any{"message": pos.Message}
		}
	}
	if len(ct) > 0 {
		p["custom_text"] = ct
	}
	return p
}
