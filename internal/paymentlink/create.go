package paymentlink

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/payd/payd/internal/catalog"
	"github.com/payd/payd/internal/checkout"
	"github.com/payd/payd/internal/customeraction"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/metadata"
	"github.com/payd/payd/internal/money"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/store"
)

// Stripe's line item bounds for a link (seed 004): up to 20 line items
// with standard prices, exactly one with a customer-chosen price. The
// quantity bounds are Checkout's, which every session of the link obeys.
const maxLineItems = 20

// errSubscriptions is the answer to anything that would make the link
// start subscriptions.
const errSubscriptions = "Payment Links with recurring prices start subscriptions, which payd does not support yet: price %s is recurring. Use one-time prices."

// unsupported parameters, refused with the reason rather than ignored.
// Those that ask for nothing when off are in unsupportedEnabled instead.
var unsupported = map[string]string{
	"application_fee_amount":    "application_fee_amount is not supported by payd: it has no Connect application fees.",
	"application_fee_percent":   "application_fee_percent is not supported by payd: it has no Connect application fees.",
	"consent_collection":        "consent_collection is not supported by payd.",
	"custom_fields":             "custom_fields is not supported by payd.",
	"managed_payments":          "managed_payments is not supported by payd.",
	"name_collection":           "name_collection is not supported by payd.",
	"on_behalf_of":              "on_behalf_of is not supported by payd: it has no connected accounts.",
	"optional_items":            "optional_items is not supported by payd.",
	"payment_method_collection": "payment_method_collection can only be set for links that start subscriptions, which payd does not support yet.",
	"payment_method_options":    "payment_method_options is not supported by payd's Payment Links.",
	"shipping_options":          "Shipping rates are not supported by payd.",
	"subscription_data":         "Subscriptions are not supported by payd yet.",
	"transfer_data":             "transfer_data is not supported by payd: it has no connected accounts.",
}

// unsupportedEnabled are features refused only when switched on.
var unsupportedEnabled = map[string]string{
	"allow_promotion_codes":   "Promotion codes are not supported by payd.",
	"automatic_tax":           "Automatic tax is not supported by payd.",
	"invoice_creation":        "Invoice creation is not supported by payd.",
	"phone_number_collection": "Phone number collection is not supported by payd.",
	"tax_id_collection":       "Tax ID collection is not supported by payd.",
}

// refuseUnsupported answers the first unsupported parameter p turns on.
func refuseUnsupported(p param.Map) error {
	if err := p.Refuse(unsupported); err != nil {
		return err
	}
	return p.RefuseEnabled(unsupportedEnabled)
}

// Create makes a link. The pipeline: refuse what payd lacks → price the
// line items under the seed's rules → check the currency and payment
// methods against them → read what the page collects and what happens
// after payment → write the link with payment_link.created. Its url is
// fixed here for the link's life.
func (s *Service) Create(ctx context.Context, tx store.Tx, account string, p param.Map) ([]byte, error) {
	if err := refuseUnsupported(p); err != nil {
		return nil, err
	}
	now := s.Now().Unix()
	linkID := id.New(Prefix)
	l := &PaymentLink{
		ID: linkID, Object: "payment_link", Active: true,
		AfterCompletion:          AfterCompletion{Type: AfterHostedConfirmation, HostedConfirmation: &HostedConfirmation{}},
		AutomaticTax:             map[string]any{"enabled": false, "liability": nil},
		BillingAddressCollection: "auto", CustomFields: []any{}, CustomerCreation: "if_required",
		InvoiceCreation: map[string]any{"enabled": false, "invoice_data": map[string]any{"account_tax_ids": nil,
			"custom_fields": nil, "description": nil, "footer": nil, "issuer": nil, "metadata": map[string]any{}, "rendering_options": nil}},
		Metadata: map[string]string{}, PaymentMethodCollection: "always", PhoneNumberCollection: map[string]any{"enabled": false},
		ShippingOptions: []any{}, SubmitType: "auto", TaxIDCollection: map[string]any{"enabled": false, "required": "never"},
	}
	ld := &loaded{l: l, priv: private{Created: now}}
	if err := s.applyItems(ctx, tx, account, ld, p.Maps("line_items")); err != nil {
		return nil, err
	}
	if cur := p.Str("currency"); cur != "" {
		if cur = money.Normalize(cur); cur != l.Currency {
			return nil, errs.Invalid("", "currency",
				"The currency %s is not one the line items' prices support: they are in %s, and payd's prices have a single currency.", cur, l.Currency)
		}
	}
	if err := apply(ld, p); err != nil {
		return nil, err
	}
	l.URL = s.URL(ctx, linkID)
	return save(ctx, tx, account, now, ld, true, EventCreated)
}

// apply reads the parameters create and update share, onto the link.
func apply(ld *loaded, p param.Map) error {
	l := ld.l
	if p.Has("payment_method_types") {
		types, err := methodTypes(p, l.Currency)
		if err != nil {
			return err
		}
		l.PaymentMethodTypes = types
	}
	if a := p.Map("after_completion"); a != nil {
		ac, err := afterCompletion(a)
		if err != nil {
			return err
		}
		l.AfterCompletion = ac
	}
	if v := p.Str("billing_address_collection"); v != "" {
		l.BillingAddressCollection = v
	}
	if p.Has("shipping_address_collection") {
		l.ShippingAddressCollection = nil
		if sac := p.Map("shipping_address_collection"); sac != nil {
			countries := sac.Strings("allowed_countries")
			if len(countries) == 0 {
				return errs.Missing("shipping_address_collection[allowed_countries]")
			}
			l.ShippingAddressCollection = &ShippingAddressCollection{AllowedCountries: countries}
		}
	}
	if v := p.Str("customer_creation"); v != "" {
		l.CustomerCreation = v
	}
	if v := p.Str("submit_type"); v != "" {
		if v == "subscribe" {
			return errs.Invalid("", "submit_type", "submit_type=subscribe is for links that start subscriptions, which payd does not support yet.")
		}
		l.SubmitType = v
	}
	if ct := p.Map("custom_text"); ct != nil {
		if err := customText(&l.CustomText, ct); err != nil {
			return err
		}
	}
	if p.Has("payment_intent_data") {
		d, err := intentData(l.PaymentIntentData, p.Map("payment_intent_data"))
		if err != nil {
			return err
		}
		l.PaymentIntentData = d
	}
	if p.Has("restrictions") {
		l.Restrictions = nil
		if r := p.Map("restrictions"); r != nil {
			limit := r.Map("completed_sessions").Int("limit")
			if limit == nil {
				return errs.Missing("restrictions[completed_sessions][limit]")
			}
			if *limit < 1 {
				return errs.Invalid("parameter_invalid_integer", "restrictions[completed_sessions][limit]", "This value must be greater than or equal to 1.")
			}
			l.Restrictions = &Restrictions{CompletedSessions: CompletedSessions{Limit: *limit}}
		}
	}
	p.Optional("inactive_message", &l.InactiveMessage)
	md, err := metadata.Apply(l.Metadata, p, "metadata")
	if err != nil {
		return err
	}
	l.Metadata = md
	return nil
}

// applyItems prices the line items of a new link under the seed's rules
// (Payment Links take standard per-unit prices, up to 20 of them, or one
// customer-chosen price; no tiered, volume or package pricing; no
// recurring customer-chosen prices), plus payd's own: no recurring prices
// until it has subscriptions. Each rule names the line item it refuses.
func (s *Service) applyItems(ctx context.Context, tx store.Tx, account string, ld *loaded, items []param.Map) error {
	if len(items) == 0 {
		return errs.Missing("line_items")
	}
	if len(items) > maxLineItems {
		return errs.Invalid("", "line_items", "A payment link can have at most %d line items; you passed %d.", maxLineItems, len(items))
	}
	for i, it := range items {
		path := "line_items[" + strconv.Itoa(i) + "]"
		item, err := s.lineItem(ctx, tx, account, it, path)
		if err != nil {
			return err
		}
		if item.Price.CustomUnitAmount != nil && len(items) > 1 {
			return errs.Invalid("", path+"[price]",
				"A payment link with a customer-chosen price (custom_unit_amount) can have only one line item; you passed %d.", len(items))
		}
		if ld.l.Currency == "" {
			ld.l.Currency = item.Currency
		} else if ld.l.Currency != item.Currency {
			return errs.Invalid("", path+"[price]", "All prices on a payment link must have the same currency: %s has %s, the link has %s.",
				item.Price.ID, item.Currency, ld.l.Currency)
		}
		ld.priv.Items = append(ld.priv.Items, *item)
	}
	return nil
}

// lineItem turns one line_items[] entry into an item of the link.
func (s *Service) lineItem(ctx context.Context, tx store.Tx, account string, it param.Map, path string) (*checkout.Item, error) {
	if it.Has("price_data") {
		// A session would make a new inline price each time the link is
		// opened, so links take saved prices only.
		return nil, errs.Invalid("", path+"[price_data]",
			"price_data is not supported by payd's Payment Links: create a Price and pass its id as %s[price].", path)
	}
	priceID := it.Str("price")
	if priceID == "" {
		return nil, errs.Missing(path + "[price]")
	}
	price, err := catalog.GetPrice(ctx, tx, account, priceID)
	if e, ok := errs.As(err); ok && e.Type == errs.TypeInvalidRequest {
		e.Param = path + "[price]"
	}
	if err != nil {
		return nil, err
	}
	if err := linkable(price, path+"[price]"); err != nil {
		return nil, err
	}
	q := it.Int("quantity")
	switch {
	case q == nil:
		return nil, errs.Missing(path + "[quantity]")
	case *q < 1:
		return nil, errs.Invalid("parameter_invalid_integer", path+"[quantity]", "This value must be greater than or equal to 1.")
	case *q > checkout.MaxQuantity:
		return nil, errs.Invalid("parameter_invalid_integer", path+"[quantity]", "This value must be less than or equal to %d.", checkout.MaxQuantity)
	case price.CustomUnitAmount != nil && *q != 1:
		return nil, errs.Invalid("", path+"[quantity]", "A line item with a customer-chosen price (custom_unit_amount) must have a quantity of 1.")
	}
	item := &checkout.Item{ID: id.New("li"), Object: "item", Currency: price.Currency, Metadata: map[string]string{}, Price: price, Quantity: q}
	if adj := it.Map("adjustable_quantity"); adj != nil {
		aq, err := checkout.Adjustable(adj, *q, path)
		if err != nil {
			return nil, err
		}
		if aq.Enabled && price.CustomUnitAmount != nil {
			return nil, errs.Invalid("", path+"[adjustable_quantity][enabled]",
				"The quantity of a line item with a customer-chosen price (custom_unit_amount) cannot be adjustable.")
		}
		if aq.Enabled {
			item.AdjustableQuantity = aq
		}
	}
	prod, err := catalog.GetProduct(ctx, tx, account, price.Product)
	if err != nil {
		return nil, err
	}
	item.Description = &prod.Name
	unit := int64(0)
	switch c := price.CustomUnitAmount; {
	case price.UnitAmount != nil:
		unit = *price.UnitAmount
	case c.Preset != nil:
		unit = *c.Preset
	case c.Minimum != nil:
		unit = *c.Minimum
	}
	item.AmountSubtotal = unit * *q
	item.AmountTotal = item.AmountSubtotal
	return item, nil
}

// linkable refuses a price a link cannot sell, naming it at param.
func linkable(price *catalog.Price, param string) error {
	switch {
	case !price.Active:
		// Stripe's words for an archived price in line items.
		return errs.Invalid("", param, "The price specified is inactive. This field only accepts active prices.")
	case price.BillingScheme == "tiered":
		return errs.Invalid("", param,
			"Payment Links do not support tiered or volume pricing (billing_scheme=tiered): price %s. Use a standard per-unit price or a customer-chosen price.", price.ID)
	case price.TransformQuantity != nil:
		return errs.Invalid("", param,
			"Payment Links do not support package pricing (transform_quantity): price %s. Use a standard per-unit price or a customer-chosen price.", price.ID)
	case price.CustomUnitAmount != nil && price.Recurring != nil:
		return errs.Invalid("", param,
			"Customer-chosen prices (custom_unit_amount) do not support recurring payments: price %s is recurring.", price.ID)
	case price.Recurring != nil:
		return errs.Invalid("", param, errSubscriptions, price.ID)
	case price.UnitAmount == nil && price.CustomUnitAmount == nil:
		return errs.Invalid("", param,
			"Prices with unit_amount_decimal and fractional minor units are not supported by payd's Payment Links: price %s.", price.ID)
	}
	return nil
}

// methodTypes reads payment_method_types: each type one payd supports
// and able to take the link's currency. An empty string (update only)
// unsets the list, and the account's enabled methods apply again.
func methodTypes(p param.Map, currency string) ([]string, error) {
	if p.Unset("payment_method_types") {
		return nil, nil
	}
	var out []string
	for i, t := range p.Strings("payment_method_types") {
		path := param.Path("payment_method_types", strconv.Itoa(i))
		if !slices.Contains(customeraction.Supported, t) {
			return nil, errs.Invalid("", path, "The payment method type %q is invalid. payd supports: %s.", t, strings.Join(customeraction.Supported, ", "))
		}
		if !customeraction.Accepts(t, currency) {
			return nil, errs.Invalid("", path, "The payment method type `%s` does not support the currency `%s`.", t, currency)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, errs.Missing("payment_method_types")
	}
	return out, nil
}

// afterCompletion reads after_completion: a redirect to an absolute
// http(s) URL, or payd's confirmation page with an optional message. The
// hash for the other type is refused rather than dropped.
func afterCompletion(a param.Map) (AfterCompletion, error) {
	switch typ := a.Str("type"); typ {
	case AfterRedirect:
		if a.Has("hosted_confirmation") {
			return AfterCompletion{}, errs.Invalid("", "after_completion[hosted_confirmation]",
				"after_completion[hosted_confirmation] can only be used when after_completion[type] is hosted_confirmation.")
		}
		u := a.Map("redirect").Str("url")
		if u == "" {
			return AfterCompletion{}, errs.Missing("after_completion[redirect][url]")
		}
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return AfterCompletion{}, errs.Invalid("url_invalid", "after_completion[redirect][url]", "Not a valid URL")
		}
		return AfterCompletion{Type: typ, Redirect: &Redirect{URL: u}}, nil
	case AfterHostedConfirmation:
		if a.Has("redirect") {
			return AfterCompletion{}, errs.Invalid("", "after_completion[redirect]",
				"after_completion[redirect] can only be used when after_completion[type] is redirect.")
		}
		hc := &HostedConfirmation{}
		if m := a.Map("hosted_confirmation").Str("custom_message"); m != "" {
			hc.CustomMessage = &m
		}
		return AfterCompletion{Type: typ, HostedConfirmation: hc}, nil
	default:
		// The schema admits only the two types.
		return AfterCompletion{}, errs.Missing("after_completion[type]")
	}
}

// customText applies custom_text by position; an empty string unsets one.
func customText(ct *CustomText, p param.Map) error {
	if p.Has("terms_of_service_acceptance") && !p.Unset("terms_of_service_acceptance") {
		return errs.Invalid("", "custom_text[terms_of_service_acceptance]",
			"custom_text[terms_of_service_acceptance] needs consent_collection[terms_of_service], which payd does not support.")
	}
	for _, f := range []struct {
		name string
		dst  **TextPosition
	}{{"after_submit", &ct.AfterSubmit}, {"shipping_address", &ct.ShippingAddress}, {"submit", &ct.Submit},
		{"terms_of_service_acceptance", &ct.TermsOfServiceAcceptance}} {
		switch {
		case !p.Has(f.name):
		case p.Unset(f.name):
			*f.dst = nil
		default:
			*f.dst = &TextPosition{Message: p.Map(f.name).Str("message")}
		}
	}
	return nil
}

// intentData applies payment_intent_data onto cur: on create every
// field, on update the changeable ones, where an empty string unsets.
// The fields payd's Checkout cannot pass on to the PaymentIntent are
// refused.
func intentData(cur *PaymentIntentData, p param.Map) (*PaymentIntentData, error) {
	if p == nil {
		return nil, nil // payment_intent_data="" on update
	}
	for _, name := range []string{"statement_descriptor_suffix", "transfer_group"} {
		if p.Has(name) && !p.Unset(name) {
			return nil, errs.Invalid("", param.Path("payment_intent_data", name), "payment_intent_data[%s] is not supported by payd.", name)
		}
	}
	d := &PaymentIntentData{Metadata: map[string]string{}}
	if cur != nil {
		c := *cur
		d = &c
	}
	for _, f := range []struct {
		name string
		dst  **string
	}{{"capture_method", &d.CaptureMethod}, {"description", &d.Description}, {"setup_future_usage", &d.SetupFutureUsage},
		{"statement_descriptor", &d.StatementDescriptor}} {
		p.Optional(f.name, f.dst)
	}
	md, err := metadata.Apply(d.Metadata, p, "metadata")
	if e, ok := errs.As(err); ok && e.Param != "" {
		e.Param = nest("payment_intent_data", e.Param)
	}
	if err != nil {
		return nil, err
	}
	d.Metadata = md
	return d, nil
}

// nest puts a param path under parent: nest("a", "metadata[k]") is
// "a[metadata][k]".
func nest(parent, path string) string {
	head, rest, _ := strings.Cut(path, "[")
	if rest != "" {
		rest = "[" + rest
	}
	return parent + "[" + head + "]" + rest
}
