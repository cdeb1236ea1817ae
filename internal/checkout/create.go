package checkout

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/payd/payd/internal/catalog"
	"github.com/payd/payd/internal/customeraction"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/metadata"
	"github.com/payd/payd/internal/money"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/paymentintent"
	"github.com/payd/payd/internal/store"
)

// Session lifetimes Stripe allows (expires_at) and its default.
const (
	minLifetime     = 30 * time.Minute
	maxLifetime     = 24 * time.Hour
	defaultLifetime = 24 * time.Hour
	maxLineItems    = 100
	// Stripe's bounds for adjustable quantities when none are given.
	defaultMaxQuantity = 99
	// MaxQuantity is the largest quantity of a line item.
	MaxQuantity = 999999
)

// unsupported create parameters: refused with the reason, never ignored.
var unsupported = map[string]string{
	"adaptive_pricing":              "Adaptive pricing is not supported by payd.",
	"after_expiration":              "after_expiration (session recovery) is not supported by payd.",
	"branding_settings":             "branding_settings is not supported by payd.",
	"consent_collection":            "consent_collection is not supported by payd.",
	"custom_fields":                 "custom_fields is not supported by payd.",
	"customer_account":              "customer_account is not supported by payd; use customer.",
	"customer_update":               "customer_update is not supported by payd.",
	"discounts":                     "Discounts are not supported by payd.",
	"excluded_payment_method_types": "excluded_payment_method_types is not supported by payd; use payment_method_types.",
	"integration_identifier":        "integration_identifier is not supported by payd.",
	"managed_payments":              "managed_payments is not supported by payd.",
	"name_collection":               "name_collection is not supported by payd.",
	"optional_items":                "optional_items is not supported by payd.",
	"origin_context":                "origin_context is not supported by payd.",
	"payment_method_configuration":  "Choosing a payment method configuration per session is not supported by payd; the account's default configuration applies.",
	"payment_method_data":           "payment_method_data is not supported by payd.",
	"payment_method_options":        "payment_method_options is not supported by payd's Checkout.",
	"permissions":                   "permissions is not supported by payd.",
	"redirect_on_completion":        "redirect_on_completion applies to embedded sessions, which payd does not support.",
	"return_url":                    "return_url applies to embedded sessions, which payd does not support; use success_url.",
	"shipping_options":              "Shipping rates are not supported by payd.",
	"subscription_data":             "Subscriptions are not supported by payd yet.",
	"wallet_options":                "wallet_options is not supported by payd.",
}

// unsupportedTrue are boolean-ish features refused only when switched on.
var unsupportedTrue = map[string]string{
	"allow_promotion_codes":   "Promotion codes are not supported by payd.",
	"automatic_tax":           "Automatic tax is not supported by payd.",
	"invoice_creation":        "Invoice creation is not supported by payd.",
	"phone_number_collection": "Phone number collection is not supported by payd.",
	"tax_id_collection":       "Tax ID collection is not supported by payd.",
}

// Create makes a session. The pipeline: refuse what payd lacks → read the
// mode → price the line items → decide the payment methods → check the
// customer → write the session with checkout.session's first state. No
// intent exists until the customer submits the page, as in Stripe's
// current API versions.
func (s *Service) Create(ctx context.Context, tx store.Tx, account string, p param.Map) ([]byte, error) {
	return s.create(ctx, tx, account, p, Link{})
}

// Link is the Payment Link a session is opened from.
type Link struct {
	ID string
	// ConfirmationMessage is shown on the page once the session is paid
	// (after_completion[hosted_confirmation][custom_message]).
	ConfirmationMessage string
}

// CreateForLink makes the session a Payment Link's page opens: the same
// rules, with payment_link set.
func (s *Service) CreateForLink(ctx context.Context, tx store.Tx, account string, p param.Map, link Link) ([]byte, error) {
	return s.create(ctx, tx, account, p, link)
}

func (s *Service) create(ctx context.Context, tx store.Tx, account string, p param.Map, link Link) ([]byte, error) {
	if err := p.Refuse(unsupported); err != nil {
		return nil, err
	}
	if err := p.RefuseEnabled(unsupportedTrue); err != nil {
		return nil, err
	}
	now := s.Now()
	sessionID := id.New(Prefix)
	cs := &Session{
		ID: sessionID, Object: "checkout.session", AutomaticTax: map[string]any{"enabled": false, "liability": nil, "provider": nil, "status": nil},
		Created: now.Unix(), CustomFields: []any{}, CustomText: map[string]any{"after_submit": nil, "shipping_address": nil, "submit": nil, "terms_of_service_acceptance": nil},
		ExcludedPaymentMethodTypes: []string{}, Metadata: map[string]string{}, PaymentMethodCollection: ptr("always"),
		PaymentMethodOptions: map[string]any{}, PhoneNumberCollection: map[string]any{"enabled": false}, ShippingOptions: []any{},
		Status: Open, TaxIDCollection: map[string]any{"enabled": false, "required": "never"}, UIMode: "hosted_page",
	}
	l := &loaded{s: cs}
	if link.ID != "" {
		cs.PaymentLink = &link.ID
		l.priv.Confirmation = link.ConfirmationMessage
	}
	cs.Mode = p.Str("mode")
	switch cs.Mode {
	case "":
		return nil, errs.Missing("mode")
	case ModeSubscription:
		return nil, errs.Invalid("", "mode", "Subscription mode is not supported by payd yet: it arrives with subscriptions. Use mode=payment for one-time prices or mode=setup to save a payment method.")
	}
	if p.Has("payment_method_collection") {
		return nil, errs.Invalid("", "payment_method_collection", "payment_method_collection can only be set in `subscription` mode.")
	}
	if ui := p.Str("ui_mode"); ui != "" && ui != "hosted" && ui != "hosted_page" {
		return nil, errs.Invalid("", "ui_mode", "ui_mode=%s is not supported by payd; its Checkout is the hosted page (ui_mode=hosted_page).", ui)
	}
	if err := s.applyModeParams(l, p); err != nil {
		return nil, err
	}
	if err := s.applyItems(ctx, tx, account, l, p); err != nil {
		return nil, err
	}
	if err := s.applyTypes(ctx, tx, account, cs, p); err != nil {
		return nil, err
	}
	if d := l.priv.PaymentIntentData; d != nil && d.StatementDescriptor != "" && slices.Contains(cs.PaymentMethodTypes, "card") {
		// The intent the page creates would be refused (see
		// paymentintent.CardDescriptorMessage): refuse the session now.
		return nil, errs.Invalid("", "payment_intent_data[statement_descriptor]", paymentintent.CardDescriptorMessage)
	}
	if err := s.applyCustomer(ctx, tx, account, cs, p); err != nil {
		return nil, err
	}
	if err := applyCollection(cs, p); err != nil {
		return nil, err
	}
	if err := applyURLs(cs, p); err != nil {
		return nil, err
	}
	cs.ExpiresAt = now.Add(defaultLifetime).Unix()
	if at := p.Int("expires_at"); at != nil {
		switch {
		case *at < now.Add(minLifetime).Unix():
			return nil, errs.Invalid("", "expires_at", "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.")
		case *at > now.Add(maxLifetime).Unix():
			return nil, errs.Invalid("", "expires_at", "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.")
		}
		cs.ExpiresAt = *at
	}
	if ref := p.Str("client_reference_id"); ref != "" {
		if len(ref) > 200 {
			return nil, errs.Invalid("", "client_reference_id", "client_reference_id must be at most 200 characters.")
		}
		cs.ClientReferenceID = &ref
	}
	if err := applyCustomText(cs, p.Map("custom_text")); err != nil {
		return nil, err
	}
	p.Optional("locale", &cs.Locale)
	md, err := metadata.Apply(nil, p, "metadata")
	if err != nil {
		return nil, err
	}
	cs.Metadata = md
	cs.URL = ptr(s.PageURL(ctx, sessionID))
	data, err := save(ctx, tx, account, now.Unix(), l, true)
	if err != nil || cs.Mode != ModeSetup {
		return data, err
	}
	// A setup-mode session has its SetupIntent from the start, as on
	// Stripe; the page confirms it. Creating it links it to the session
	// (see SetupIntentChanged), so the session is read back.
	sp := param.Map{"payment_method_types": stringList(cs.PaymentMethodTypes), "usage": "off_session"}
	if cs.Customer != nil {
		sp["customer"] = *cs.Customer
	}
	if d := l.priv.SetupIntentData; d != nil {
		setIf(sp, "description", d.Description)
		if len(d.Metadata) > 0 {
			sp["metadata"] = stringMap(d.Metadata)
		}
	}
	if _, err := s.Setups.CreateOwned(ctx, tx, account, sp, sessionID); err != nil {
		return nil, err
	}
	return Get(ctx, tx, account, sessionID)
}

func stringList(vs []string) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// applyModeParams reads the parameters that belong to one mode only.
func (s *Service) applyModeParams(l *loaded, p param.Map) error {
	cs := l.s
	payment := cs.Mode == ModePayment
	if !payment {
		for _, name := range []string{"payment_intent_data", "submit_type", "line_items"} {
			if p.Has(name) {
				return errs.Invalid("", name, "You can not pass `%s` in `%s` mode.", name, cs.Mode)
			}
		}
	}
	if cs.Mode != ModeSetup && p.Has("setup_intent_data") {
		return errs.Invalid("", "setup_intent_data", "You can not pass `setup_intent_data` in `%s` mode.", cs.Mode)
	}
	if v := p.Str("submit_type"); v != "" {
		if v == "subscribe" {
			return errs.Invalid("", "submit_type", "`submit_type=subscribe` can only be used in `subscription` mode.")
		}
		cs.SubmitType = &v
	} else if payment {
		cs.SubmitType = ptr("auto")
	}
	if d := p.Map("payment_intent_data"); d != nil {
		data, err := intentData(d, "payment_intent_data")
		if err != nil {
			return err
		}
		for _, name := range []string{"application_fee_amount", "on_behalf_of", "transfer_data", "transfer_group", "shipping"} {
			if d.Has(name) {
				return errs.Invalid("", param.Path("payment_intent_data", name), "payment_intent_data[%s] is not supported by payd.", name)
			}
		}
		data.CaptureMethod = d.Str("capture_method")
		data.SetupFutureUsage = d.Str("setup_future_usage")
		data.ReceiptEmail = d.Str("receipt_email")
		data.StatementDescriptor = d.Str("statement_descriptor")
		data.StatementSuffix = d.Str("statement_descriptor_suffix")
		l.priv.PaymentIntentData = data
	}
	if d := p.Map("setup_intent_data"); d != nil {
		data, err := intentData(d, "setup_intent_data")
		if err != nil {
			return err
		}
		if d.Has("on_behalf_of") {
			return errs.Invalid("", "setup_intent_data[on_behalf_of]", "Connect is not supported by payd.")
		}
		l.priv.SetupIntentData = data
	}
	switch cs.Mode {
	case ModePayment:
		cs.PaymentStatus = Unpaid
		cs.TotalDetails = &TotalDetails{}
		cs.Discounts = []any{}
		cs.InvoiceCreation = map[string]any{"enabled": false, "invoice_data": map[string]any{"account_tax_ids": nil,
			"custom_fields": nil, "description": nil, "footer": nil, "issuer": nil, "metadata": map[string]any{}, "rendering_options": nil}}
	case ModeSetup:
		cs.PaymentStatus = NoPaymentRequired
	default:
		return errs.Invalid("", "mode", "Invalid mode: must be one of payment, setup or subscription.")
	}
	return nil
}

func intentData(d param.Map, path string) (*IntentData, error) {
	md, err := metadata.Apply(nil, d, "metadata")
	if e, ok := errs.As(err); ok {
		e.Param = nest(path, e.Param)
		return nil, e
	}
	return &IntentData{Description: d.Str("description"), Metadata: md}, nil
}

// nest puts a param path found inside a nested hash under that hash's own
// path: nest("line_items[0]", "metadata[k]") is "line_items[0][metadata][k]".
func nest(path, p string) string {
	head, rest, found := strings.Cut(p, "[")
	if found {
		rest = "[" + rest
	}
	return path + "[" + head + "]" + rest
}

// applyItems prices the line items: each a price (active, of one currency
// for the whole session, one-time in payment mode) or price_data, with a
// quantity; the totals are their sum.
func (s *Service) applyItems(ctx context.Context, tx store.Tx, account string, l *loaded, p param.Map) error {
	cs := l.s
	items := p.Maps("line_items")
	if cs.Mode != ModePayment {
		if cur := money.Normalize(p.Str("currency")); cur != "" {
			if !money.Valid(cur) {
				return errs.Invalid("", "currency", "Invalid currency: %s.", cur)
			}
			cs.Currency = &cur
		}
		return nil
	}
	if len(items) == 0 {
		return errs.Invalid("", "line_items", "`line_items` is required in `payment` mode.")
	}
	if len(items) > maxLineItems {
		return errs.Invalid("", "line_items", "A Checkout Session can have at most %d line items.", maxLineItems)
	}
	if p.Has("currency") {
		return errs.Invalid("", "currency", "`currency` can only be passed in `setup` mode; in `payment` mode the currency comes from the line items' prices.")
	}
	var total int64
	for i, it := range items {
		path := "line_items[" + strconv.Itoa(i) + "]"
		item, err := s.lineItem(ctx, tx, account, it, path)
		if err != nil {
			return err
		}
		if cs.Currency == nil {
			cs.Currency = &item.Currency
		} else if *cs.Currency != item.Currency {
			return errs.Invalid("", path+"[price]", "All prices on a Checkout Session must have the same currency: %s has %s, the session has %s.", item.Price.ID, item.Currency, *cs.Currency)
		}
		if item.Price.CustomUnitAmount != nil && len(items) > 1 {
			return errs.Invalid("", path+"[price]", "A Checkout Session with a customer-chosen price (custom_unit_amount) can have only one line item.")
		}
		total += item.AmountTotal
		l.priv.Items = append(l.priv.Items, *item)
	}
	cs.AmountSubtotal, cs.AmountTotal = ptr(total), ptr(total)
	return nil
}

// lineItem turns one line_items[] entry into an Item.
func (s *Service) lineItem(ctx context.Context, tx store.Tx, account string, it param.Map, path string) (*Item, error) {
	var price *catalog.Price
	var err error
	switch {
	case it.Has("price") && it.Has("price_data"):
		return nil, errs.Invalid("parameters_exclusive", path+"[price_data]", "You may only specify one of these parameters: price, price_data.")
	case it.Has("price"):
		price, err = catalog.GetPrice(ctx, tx, account, it.Str("price"))
		if e, ok := errs.As(err); ok && e.Type == "invalid_request_error" {
			e.Param = path + "[price]"
		}
		if err != nil {
			return nil, err
		}
		if !price.Active {
			return nil, errs.Invalid("", path+"[price]", "The price specified is inactive. This field only accepts active prices.")
		}
	case it.Has("price_data"):
		if price, err = s.Catalog.InlinePrice(ctx, tx, account, it.Map("price_data"), path+"[price_data]"); err != nil {
			return nil, err
		}
	default:
		return nil, errs.Invalid("", path, "You must specify either `price` or `price_data` for each line item.")
	}
	for _, name := range []string{"dynamic_tax_rates", "tax_rates", "discounts"} {
		if it.Has(name) {
			return nil, errs.Invalid("", path+"["+name+"]", "%s on line items is not supported by payd.", name)
		}
	}
	if price.Recurring != nil {
		return nil, errs.Invalid("", path+"[price]", "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.")
	}
	q := it.Int("quantity")
	if q == nil {
		return nil, errs.Missing(path + "[quantity]")
	}
	if *q < 0 || *q > MaxQuantity {
		return nil, errs.Invalid("", path+"[quantity]", "Quantity must be between 0 and %d.", MaxQuantity)
	}
	md, err := metadata.Apply(nil, it, "metadata")
	if e, ok := errs.As(err); ok {
		e.Param = nest(path, e.Param)
		return nil, e
	}
	item := &Item{ID: id.New("li"), Object: "item", Currency: price.Currency, Metadata: md, Price: price, Quantity: q}
	if adj := it.Map("adjustable_quantity"); adj != nil {
		if aq, err := Adjustable(adj, *q, path); err != nil {
			return nil, err
		} else if aq.Enabled {
			item.AdjustableQuantity = aq
		}
	}
	if name, err := s.productName(ctx, tx, account, price.Product); err == nil {
		item.Description = &name
	} else {
		return nil, err
	}
	unit := int64(0)
	switch {
	case price.UnitAmount != nil:
		unit = *price.UnitAmount
	case price.CustomUnitAmount != nil:
		if *q != 1 {
			return nil, errs.Invalid("", path+"[quantity]", "A line item with a customer-chosen price must have a quantity of 1.")
		}
		if c := price.CustomUnitAmount; c.Preset != nil {
			unit = *c.Preset
		} else if c.Minimum != nil {
			unit = *c.Minimum
		}
	default:
		return nil, errs.Invalid("", path+"[price]", "Prices with unit_amount_decimal and fractional minor units are not supported by payd's Checkout.")
	}
	item.AmountSubtotal = unit * *q
	item.AmountTotal = item.AmountSubtotal
	return item, nil
}

func (s *Service) productName(ctx context.Context, tx store.Tx, account, productID string) (string, error) {
	prod, err := catalog.GetProduct(ctx, tx, account, productID)
	if err != nil {
		return "", err
	}
	return prod.Name, nil
}

// Adjustable reads a line item's adjustable_quantity (sessions and
// Payment Links share it): Stripe's bounds default to 0 and 99, apply only
// when enabled, and the item's quantity (item is the line item's param
// path) must lie within them.
func Adjustable(adj param.Map, q int64, item string) (*AdjustableQuantity, error) {
	path := item + "[adjustable_quantity]"
	aq := &AdjustableQuantity{}
	if b := adj.Bool("enabled"); b != nil {
		aq.Enabled = *b
	}
	if !aq.Enabled {
		for _, name := range []string{"minimum", "maximum"} {
			if adj.Has(name) {
				return nil, errs.Invalid("", path+"["+name+"]", "adjustable_quantity[%s] can only be set when adjustable_quantity[enabled] is true.", name)
			}
		}
		return aq, nil
	}
	lo, hi := int64(0), int64(defaultMaxQuantity)
	if v := adj.Int("minimum"); v != nil {
		lo = *v
	}
	if v := adj.Int("maximum"); v != nil {
		hi = *v
	}
	switch {
	case lo < 0:
		return nil, errs.Invalid("", path+"[minimum]", "adjustable_quantity[minimum] must be at least 0.")
	case hi > MaxQuantity:
		return nil, errs.Invalid("", path+"[maximum]", "adjustable_quantity[maximum] must be at most %d.", MaxQuantity)
	case hi < lo:
		return nil, errs.Invalid("", path+"[maximum]", "adjustable_quantity[maximum] must be greater than or equal to adjustable_quantity[minimum].")
	case q < lo || q > hi:
		return nil, errs.Invalid("", item+"[quantity]",
			"The quantity %d must be between adjustable_quantity[minimum] (%d) and adjustable_quantity[maximum] (%d).", q, lo, hi)
	}
	aq.Minimum, aq.Maximum = &lo, &hi
	return aq, nil
}

// applyTypes decides payment_method_types: the explicit list, each type
// supported and able to take the session's currency, or else the
// account's enabled methods that can.
func (s *Service) applyTypes(ctx context.Context, tx store.Tx, account string, cs *Session, p param.Map) error {
	cur := ""
	if cs.Currency != nil {
		cur = *cs.Currency
	}
	if explicit := p.Strings("payment_method_types"); len(explicit) > 0 {
		for i, t := range explicit {
			path := param.Path("payment_method_types", strconv.Itoa(i))
			if !slices.Contains(customeraction.Supported, t) {
				return errs.Invalid("", path, "The payment method type %q is invalid. payd supports: %s.", t, strings.Join(customeraction.Supported, ", "))
			}
			if cur != "" && !customeraction.Accepts(t, cur) {
				return errs.Invalid("", path, "The payment method type `%s` does not support the currency `%s`.", t, cur)
			}
			if !slices.Contains(cs.PaymentMethodTypes, t) {
				cs.PaymentMethodTypes = append(cs.PaymentMethodTypes, t)
			}
		}
		return nil
	}
	if cur == "" {
		// Stripe's dynamic payment methods choose by currency, so setup
		// mode must name one when it names no methods.
		return errs.Invalid("parameter_missing", "currency",
			"Missing required param: currency. In `setup` mode, `currency` is required when `payment_method_types` is not set.")
	}
	enabled, err := s.Enabled(ctx, tx, account)
	if err != nil {
		return err
	}
	for _, t := range enabled {
		if customeraction.Accepts(t, cur) {
			cs.PaymentMethodTypes = append(cs.PaymentMethodTypes, t)
		}
	}
	if len(cs.PaymentMethodTypes) == 0 {
		return errs.Invalid("", "payment_method_types", "No valid payment method types for this Checkout Session. Please ensure that you have activated payment methods compatible with your chosen currency in your payment method configuration.")
	}
	return nil
}

// applyCustomer checks customer, customer_email and customer_creation.
func (s *Service) applyCustomer(ctx context.Context, tx store.Tx, account string, cs *Session, p param.Map) error {
	if p.Has("customer") && p.Has("customer_email") {
		return errs.Invalid("parameters_exclusive", "customer_email", "You may only specify one of these parameters: customer, customer_email.")
	}
	if c := p.Str("customer"); c != "" {
		if _, err := s.Customers.Live(ctx, tx, account, c, "customer"); err != nil {
			return err
		}
		cs.Customer = &c
		cs.SavedPaymentMethodOptions = &SavedPaymentMethodOptions{AllowRedisplayFilters: []string{"always"}}
	}
	if e := p.Str("customer_email"); e != "" {
		cs.CustomerEmail = &e
	}
	if v := p.Str("customer_creation"); v != "" {
		if cs.Customer != nil {
			return errs.Invalid("", "customer_creation", "You may only specify `customer_creation` when `customer` is not set.")
		}
		cs.CustomerCreation = &v
	} else if cs.Customer == nil {
		cs.CustomerCreation = ptr("if_required")
	}
	if o := p.Map("saved_payment_method_options"); o != nil {
		if cs.Customer == nil {
			return errs.Invalid("", "saved_payment_method_options", "`saved_payment_method_options` can only be used with `customer`.")
		}
		spm := cs.SavedPaymentMethodOptions
		if f := o.Strings("allow_redisplay_filters"); len(f) > 0 {
			spm.AllowRedisplayFilters = f
		}
		o.Optional("payment_method_save", &spm.PaymentMethodSave)
		o.Optional("payment_method_remove", &spm.PaymentMethodRemove)
		if deref(spm.PaymentMethodRemove) == "enabled" {
			return errs.Invalid("", "saved_payment_method_options[payment_method_remove]",
				"Removing saved payment methods from the checkout page is not supported by payd.")
		}
		if deref(spm.PaymentMethodSave) == "enabled" && cs.Mode != ModePayment {
			return errs.Invalid("", "saved_payment_method_options[payment_method_save]",
				"saved_payment_method_options[payment_method_save] can only be used in `payment` mode.")
		}
	}
	return nil
}

// applyCollection reads what the page collects besides payment details.
func applyCollection(cs *Session, p param.Map) error {
	if v := p.Str("billing_address_collection"); v != "" {
		cs.BillingAddressCollection = &v
	}
	if sac := p.Map("shipping_address_collection"); sac != nil {
		countries := sac.Strings("allowed_countries")
		if len(countries) == 0 {
			return errs.Missing("shipping_address_collection[allowed_countries]")
		}
		cs.ShippingAddressCollection = &ShippingAddressCollection{AllowedCountries: countries}
	}
	return nil
}

// applyCustomText keeps the messages the page shows beside the shipping
// address, the button and after it. Terms of service acceptance needs
// consent collection, which payd does not have.
func applyCustomText(cs *Session, ct param.Map) error {
	if ct == nil {
		return nil
	}
	if ct.Map("terms_of_service_acceptance") != nil {
		return errs.Invalid("", "custom_text[terms_of_service_acceptance]", "custom_text[terms_of_service_acceptance] requires consent_collection[terms_of_service], which payd does not support.")
	}
	for _, pos := range []string{"shipping_address", "submit", "after_submit"} {
		if m := ct.Map(pos); m != nil {
			cs.CustomText[pos] = map[string]any{"message": m.Str("message")}
		}
	}
	return nil
}

// CustomTextAt returns the message for a position of custom_text, or "".
func (cs *Session) CustomTextAt(pos string) string {
	m, _ := cs.CustomText[pos].(map[string]any)
	msg, _ := m["message"].(string)
	return msg
}

// applyURLs checks success_url and cancel_url: absolute http(s) URLs.
func applyURLs(cs *Session, p param.Map) error {
	for _, f := range []struct {
		name string
		dst  **string
	}{{"success_url", &cs.SuccessURL}, {"cancel_url", &cs.CancelURL}} {
		v := p.Str(f.name)
		if v == "" {
			continue
		}
		if !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
			return errs.Invalid("url_invalid", f.name, "Not a valid URL")
		}
		*f.dst = &v
	}
	return nil
}
