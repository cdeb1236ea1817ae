package catalog

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/money"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/store"
)

// Price types; a price is recurring exactly when it has recurring terms.
const (
	OneTime        = "one_time"
	RecurringPrice = "recurring"
)

// Tax behaviors. unspecified may later become inclusive or exclusive;
// those two are final.
const (
	TaxInclusive   = "inclusive"
	TaxExclusive   = "exclusive"
	TaxUnspecified = "unspecified"
)

// Bounds payd puts on amounts. maxUnitAmount is payd's own guard against
// overflow in totals (quantity × unit amount), not a recorded Stripe
// limit; maxCustomAmount is the largest amount a payment may have, which
// is what a customer-chosen amount becomes.
const (
	maxUnitAmount   = 999_999_999_999
	maxCustomAmount = 99_999_999
	maxLookupKeys   = 10
)

// maxIntervals is Stripe's longest billing period, three years, in each
// interval.
var maxIntervals = map[string]int64{"day": 1095, "week": 156, "month": 36, "year": 3}

// Price is Stripe's price object. Tiers and currency options are
// includable fields Stripe leaves out unless asked; payd has neither, so
// they never appear, and tiers_mode and transform_quantity are always
// null.
type Price struct {
	ID                string             `json:"id"`
	Object            string             `json:"object"`
	Active            bool               `json:"active"`
	BillingScheme     string             `json:"billing_scheme"`
	Created           int64              `json:"created"`
	Currency          string             `json:"currency"`
	CustomUnitAmount  *CustomUnitAmount  `json:"custom_unit_amount"`
	Livemode          bool               `json:"livemode"`
	LookupKey         *string            `json:"lookup_key"`
	Metadata          map[string]string  `json:"metadata"`
	Nickname          *string            `json:"nickname"`
	Product           string             `json:"product"`
	Recurring         *Recurring         `json:"recurring"`
	TaxBehavior       *string            `json:"tax_behavior"`
	TiersMode         *string            `json:"tiers_mode"`
	TransformQuantity *TransformQuantity `json:"transform_quantity"`
	Type              string             `json:"type"`
	UnitAmount        *int64             `json:"unit_amount"`
	UnitAmountDecimal *string            `json:"unit_amount_decimal"`
}

// CustomUnitAmount bounds the amount a customer may choose. Stripe takes
// an enabled flag on input but does not render it.
type CustomUnitAmount struct {
	Maximum *int64 `json:"maximum"`
	Minimum *int64 `json:"minimum"`
	Preset  *int64 `json:"preset"`
}

// Recurring is a recurring price's billing period. Only licensed usage
// exists in payd, so meter is always null.
type Recurring struct {
	Interval      string  `json:"interval"`
	IntervalCount int64   `json:"interval_count"`
	Meter         *string `json:"meter"`
	UsageType     string  `json:"usage_type"`
}

// TransformQuantity is Stripe's quantity transform; payd never sets one.
type TransformQuantity struct {
	DivideBy int64  `json:"divide_by"`
	Round    string `json:"round"`
}

// private is a price's server-side state.
type private struct {
	// Inline marks a price made from a line item's price_data. Stripe keeps
	// such prices out of every list; payd stores them with the store's
	// deleted flag set, which hides them from lists while Get still finds
	// them. Prices have no delete in Stripe's API, so for a price the flag
	// means nothing else.
	Inline bool `json:"inline,omitempty"`
}

// GetPrice loads a price, inline ones included.
func GetPrice(ctx context.Context, tx store.Tx, account, priceID string) (*Price, error) {
	_, price, err := loadPrice(ctx, tx, account, priceID, false)
	return price, err
}

// PriceJSON is the stored JSON of a price, for retrieve and expand[].
func PriceJSON(ctx context.Context, tx store.Tx, account, priceID string) ([]byte, error) {
	rec, _, err := loadPrice(ctx, tx, account, priceID, false)
	return rec.Data, err
}

func loadPrice(ctx context.Context, tx store.Tx, account, priceID string, lock bool) (store.Record, *Price, error) {
	get := tx.Get
	if lock {
		get = tx.GetForUpdate
	}
	rec, err := get(ctx, PriceTable, account, priceID)
	if errors.Is(err, store.ErrNotFound) {
		return rec, nil, errs.NotFound("price", priceID, "price")
	}
	if err != nil {
		return rec, nil, err
	}
	var price Price
	if err := json.Unmarshal(rec.Data, &price); err != nil {
		return rec, nil, err
	}
	return rec, &price, nil
}

// unsupportedPricing refuses, by name, the pricing models payd does not
// have, so that a caller never gets a price that silently charges
// something other than what was asked.
func unsupportedPricing(p param.Map, path string) error {
	at := func(key string) string { return param.Path(path, key) }
	if p.Str("billing_scheme") == "tiered" {
		return errs.Invalid("", at("billing_scheme"),
			"Tiered pricing (billing_scheme=tiered) is not supported by payd: it prices per unit only (billing_scheme=per_unit).")
	}
	if p.Has("tiers") {
		return errs.Invalid("", at("tiers"), "tiers is not supported by payd: it has no tiered pricing.")
	}
	if p.Has("tiers_mode") {
		return errs.Invalid("", at("tiers_mode"), "tiers_mode is not supported by payd: it has no tiered pricing.")
	}
	if p.Has("transform_quantity") {
		return errs.Invalid("", at("transform_quantity"), "transform_quantity is not supported by payd: it bills the quantity as given.")
	}
	if p.Has("currency_options") {
		return errs.Invalid("", at("currency_options"), "currency_options is not supported by payd: a price has exactly one currency.")
	}
	if r := p.Map("recurring"); r != nil {
		if r.Str("usage_type") == "metered" {
			return errs.Invalid("", param.Path(at("recurring"), "usage_type"),
				"Metered prices (recurring[usage_type]=metered) are not supported by payd: it has no usage-based billing.")
		}
		if r.Has("meter") {
			return errs.Invalid("", param.Path(at("recurring"), "meter"),
				"recurring[meter] is not supported by payd: it has no billing meters.")
		}
	}
	return nil
}

// draft decides a new price from create parameters found under path
// ("" for POST /v1/prices, "default_price_data", or a line item's
// price_data), without writing anything. owner is the product the price
// belongs to when the caller already knows it; otherwise product or
// product_data names it, and a product that product_data asks for is
// returned unwritten. The price starts active.
func (s *Service) draft(ctx context.Context, tx store.Tx, account string, p param.Map, path string, owner *Product, now int64) (*Price, *Product, error) {
	at := func(key string) string { return param.Path(path, key) }
	if err := unsupportedPricing(p, path); err != nil {
		return nil, nil, err
	}
	price := &Price{
		ID: id.New(PricePrefix), Object: "price", Active: true, BillingScheme: "per_unit", Created: now,
		Metadata: map[string]string{}, Type: OneTime, TaxBehavior: ptr(TaxUnspecified),
	}
	price.Currency = money.Normalize(p.Str("currency"))
	if !money.Valid(price.Currency) {
		return nil, nil, errs.Invalid("", at("currency"), "Invalid currency: %s.", p.Str("currency"))
	}
	if r := p.Map("recurring"); r != nil {
		rec, err := recurring(r, at("recurring"))
		if err != nil {
			return nil, nil, err
		}
		price.Recurring, price.Type = rec, RecurringPrice
	}
	if err := amount(price, p, path); err != nil {
		return nil, nil, err
	}
	if v := p.String("tax_behavior"); v != nil {
		price.TaxBehavior = v
	}
	p.Optional("nickname", &price.Nickname)
	md, err := applyMetadata(price.Metadata, p, path)
	if err != nil {
		return nil, nil, err
	}
	price.Metadata = md

	var created *Product
	switch {
	case owner != nil:
		price.Product = owner.ID
	case p.Has("product") && p.Has("product_data"):
		return nil, nil, errs.Invalid("", at("product"), "You may only specify one of these parameters: product, product_data.")
	case p.Has("product"):
		// An archived product may still get prices: Stripe keeps
		// active=false for "not for sale", which is for the places that
		// sell (Checkout, Payment Links) to enforce, not for the catalog.
		productID := p.Str("product")
		prod, err := GetProduct(ctx, tx, account, productID)
		if e, ok := errs.As(err); ok && e.Status == 404 {
			return nil, nil, errs.NotFound("product", productID, at("product"))
		}
		if err != nil {
			return nil, nil, err
		}
		price.Product = prod.ID
	case p.Has("product_data"):
		if created, err = newProduct(p.Map("product_data"), at("product_data"), now); err != nil {
			return nil, nil, err
		}
		price.Product = created.ID
	default:
		return nil, nil, errs.Invalid("", at("product"), "You must specify either `product` or `product_data` when creating a price.")
	}
	return price, created, nil
}

// recurring reads a price's billing period.
func recurring(r param.Map, path string) (*Recurring, error) {
	rec := &Recurring{Interval: r.Str("interval"), IntervalCount: 1, UsageType: "licensed"}
	if n := r.Int("interval_count"); n != nil {
		if *n < 1 {
			return nil, errs.Invalid("parameter_invalid_integer", param.Path(path, "interval_count"),
				"This value must be greater than or equal to 1.")
		}
		rec.IntervalCount = *n
	}
	if max, ok := maxIntervals[rec.Interval]; ok && rec.IntervalCount > max {
		return nil, errs.Invalid("", param.Path(path, "interval_count"),
			"Invalid recurring[interval_count]: the maximum billing period is three years (3 years, 36 months, 156 weeks or 1095 days).")
	}
	return rec, nil
}

// amount sets what one unit costs: exactly one of unit_amount,
// unit_amount_decimal and custom_unit_amount. A whole decimal amount is
// also the integer unit_amount, as Stripe renders it; a fractional one
// leaves unit_amount null.
func amount(price *Price, p param.Map, path string) error {
	at := func(key string) string { return param.Path(path, key) }
	hasInt, hasDec, hasCustom := p.Has("unit_amount"), p.Has("unit_amount_decimal"), p.Has("custom_unit_amount")
	switch {
	case hasInt && hasDec:
		return exclusive(path, "unit_amount", "unit_amount_decimal")
	case hasCustom && hasInt:
		return exclusive(path, "custom_unit_amount", "unit_amount")
	case hasCustom && hasDec:
		return exclusive(path, "custom_unit_amount", "unit_amount_decimal")
	case hasInt:
		n := *p.Int("unit_amount")
		if err := bounded(n, 0, maxUnitAmount, at("unit_amount")); err != nil {
			return err
		}
		price.UnitAmount, price.UnitAmountDecimal = &n, ptr(itoa64(n))
	case hasDec:
		raw := p.Str("unit_amount_decimal")
		canon, whole, err := decimalAmount(raw)
		if err != nil {
			return errs.Invalid("", at("unit_amount_decimal"), "Invalid decimal: %s; %s", raw, err)
		}
		if whole != nil {
			if err := bounded(*whole, 0, maxUnitAmount, at("unit_amount_decimal")); err != nil {
				return err
			}
		}
		price.UnitAmount, price.UnitAmountDecimal = whole, &canon
	case hasCustom:
		c, err := customAmount(p.Map("custom_unit_amount"), price, at("custom_unit_amount"))
		if err != nil {
			return err
		}
		price.CustomUnitAmount = c
	default:
		return errs.Invalid("", at("unit_amount"), "Prices require an `unit_amount` or `unit_amount_decimal` parameter to be set.")
	}
	return nil
}

// customAmount reads a customer-chosen amount's bounds. Stripe lets the
// customer choose only for one-time payments, requires the minimum to be
// at least what a payment may be, and starts the chooser (preset) inside
// the bounds.
func customAmount(c param.Map, price *Price, path string) (*CustomUnitAmount, error) {
	at := func(key string) string { return param.Path(path, key) }
	if e := c.Bool("enabled"); e == nil || !*e {
		return nil, errs.Invalid("", at("enabled"),
			"custom_unit_amount[enabled] must be true; to charge a fixed amount, send unit_amount instead of custom_unit_amount.")
	}
	if price.Recurring != nil {
		return nil, errs.Invalid("", path,
			"custom_unit_amount cannot be combined with recurring: a customer-chosen amount is for one-time prices only.")
	}
	out := &CustomUnitAmount{Maximum: c.Int("maximum"), Minimum: c.Int("minimum"), Preset: c.Int("preset")}
	floor := money.Minimum(price.Currency)
	for _, f := range []struct {
		key string
		v   *int64
	}{{"minimum", out.Minimum}, {"maximum", out.Maximum}, {"preset", out.Preset}} {
		if f.v == nil {
			continue
		}
		if *f.v < floor {
			return nil, errs.Invalid("", at(f.key),
				"custom_unit_amount[%s] must be at least %d, the minimum charge amount in %s (in the currency's smallest unit).", f.key, floor, price.Currency)
		}
		if *f.v > maxCustomAmount {
			return nil, errs.Invalid("", at(f.key),
				"custom_unit_amount[%s] must be at most %d (in the currency's smallest unit).", f.key, int64(maxCustomAmount))
		}
	}
	if out.Minimum != nil && out.Maximum != nil && *out.Minimum > *out.Maximum {
		return nil, errs.Invalid("", at("minimum"),
			"custom_unit_amount[minimum] (%d) must be less than or equal to custom_unit_amount[maximum] (%d).", *out.Minimum, *out.Maximum)
	}
	if out.Preset != nil {
		if out.Minimum != nil && *out.Preset < *out.Minimum {
			return nil, errs.Invalid("", at("preset"),
				"custom_unit_amount[preset] (%d) must be greater than or equal to custom_unit_amount[minimum] (%d).", *out.Preset, *out.Minimum)
		}
		if out.Maximum != nil && *out.Preset > *out.Maximum {
			return nil, errs.Invalid("", at("preset"),
				"custom_unit_amount[preset] (%d) must be less than or equal to custom_unit_amount[maximum] (%d).", *out.Preset, *out.Maximum)
		}
	}
	return out, nil
}

func bounded(n, min, max int64, paramName string) error {
	if n < min {
		return errs.Invalid("parameter_invalid_integer", paramName, "This value must be greater than or equal to %d.", min)
	}
	if n > max {
		return errs.Invalid("parameter_invalid_integer", paramName, "This value must be less than or equal to %d.", max)
	}
	return nil
}

// CreatePrice answers POST /v1/prices. A lookup_key another price holds
// is refused unless transfer_lookup_key moves it here, in which case the
// holder loses it (price.updated) before this price is written.
func (s *Service) CreatePrice(ctx context.Context, tx store.Tx, account string, p param.Map) ([]byte, error) {
	now := s.Now().Unix()
	price, created, err := s.draft(ctx, tx, account, p, "", nil, now)
	if err != nil {
		return nil, err
	}
	if v := p.Bool("active"); v != nil {
		price.Active = *v
	}
	if key := p.String("lookup_key"); key != nil {
		if err := claimLookupKey(ctx, tx, account, now, *key, price.ID, transfer(p)); err != nil {
			return nil, err
		}
		price.LookupKey = key
	}
	if created != nil {
		if _, err := insertProduct(ctx, tx, account, now, created); err != nil {
			return nil, err
		}
	}
	return insertPrice(ctx, tx, account, now, price, false)
}

// InlinePrice creates the Price a checkout or payment-link line item's
// price_data describes (currency, product or product_data, unit_amount or
// unit_amount_decimal, recurring, tax_behavior). As in Stripe the inline
// price is a real, retrievable Price with active=false that no list shows;
// product_data creates a real Product. Errors name parameters under path
// (e.g. "line_items[0][price_data][currency]"). Both objects get their
// .created events like any other.
func (s *Service) InlinePrice(ctx context.Context, tx store.Tx, account string, p param.Map, path string) (*Price, error) {
	now := s.Now().Unix()
	price, created, err := s.draft(ctx, tx, account, p, path, nil, now)
	if err != nil {
		return nil, err
	}
	price.Active = false
	if created != nil {
		if _, err := insertProduct(ctx, tx, account, now, created); err != nil {
			return nil, err
		}
	}
	if _, err := insertPrice(ctx, tx, account, now, price, true); err != nil {
		return nil, err
	}
	return price, nil
}

func transfer(p param.Map) bool {
	t := p.Bool("transfer_lookup_key")
	return t != nil && *t
}

// holderOf finds the price holding lookup key key, or nil. Every price
// counts, archived ones too: Stripe's uniqueness covers them all.
func holderOf(ctx context.Context, tx store.Tx, account, key string) (*store.Record, error) {
	page, err := tx.List(ctx, PriceTable, store.ListQuery{Account: account, Limit: 1,
		Filters: []store.Filter{{Col: "lookup_key", Values: []any{key}}}})
	if err != nil || len(page.Records) == 0 {
		return nil, err
	}
	return &page.Records[0], nil
}

// claimLookupKey makes key free for price self: a key self already holds
// is no conflict; one another price holds is Stripe's refusal, or with
// transfer is taken from the holder, whose price.updated records the loss.
func claimLookupKey(ctx context.Context, tx store.Tx, account string, now int64, key, self string, transfer bool) error {
	found, err := holderOf(ctx, tx, account, key)
	if err != nil || found == nil || found.ID == self {
		return err
	}
	if !transfer {
		return keyTaken(found.ID)
	}
	rec, holder, err := loadPrice(ctx, tx, account, found.ID, true)
	if err != nil {
		return err
	}
	holder.LookupKey = nil
	_, err = savePrice(ctx, tx, account, now, holder, rec, "price.updated")
	return err
}

func keyTaken(holderID string) error {
	return errs.Invalid("", "lookup_key", "A price (`%s`) already uses that lookup key.", holderID)
}

// insertPrice writes a new price and records price.created. Only the
// lookup key can collide (ids are random): a price that took the key
// after claimLookupKey looked gets Stripe's refusal too.
func insertPrice(ctx context.Context, tx store.Tx, account string, now int64, price *Price, inline bool) ([]byte, error) {
	data, err := json.Marshal(price)
	if err != nil {
		return nil, err
	}
	rec := priceRecord(account, price, data)
	if inline {
		rec.Deleted = true
		if rec.Private, err = json.Marshal(private{Inline: true}); err != nil {
			return nil, err
		}
	}
	if err := keyConflict(ctx, tx, account, price, tx.Insert(ctx, PriceTable, rec)); err != nil {
		return nil, err
	}
	if _, err := event.Record(ctx, tx, account, now, "price.created", data, nil); err != nil {
		return nil, err
	}
	return data, nil
}

// keyConflict turns a write's unique-key violation on lookup_key (a
// concurrent request took the key between the check and the write) into
// Stripe's answer for a taken key; other errors pass through.
func keyConflict(ctx context.Context, tx store.Tx, account string, price *Price, err error) error {
	if !errors.Is(err, store.ErrConflict) || price.LookupKey == nil {
		return err
	}
	found, ferr := holderOf(ctx, tx, account, *price.LookupKey)
	if ferr != nil || found == nil {
		return errs.Invalid("", "lookup_key", "A price already uses that lookup key.")
	}
	return keyTaken(found.ID)
}

// savePrice rewrites an existing price, keeping the row's deleted flag
// and private state (an inline price stays inline), and records typ with
// the previous JSON.
func savePrice(ctx context.Context, tx store.Tx, account string, now int64, price *Price, before store.Record, typ string) ([]byte, error) {
	data, err := json.Marshal(price)
	if err != nil {
		return nil, err
	}
	rec := priceRecord(account, price, data)
	rec.Deleted, rec.Private = before.Deleted, before.Private
	if err := keyConflict(ctx, tx, account, price, tx.Put(ctx, PriceTable, rec)); err != nil {
		return nil, err
	}
	if _, err := event.Record(ctx, tx, account, now, typ, data, before.Data); err != nil {
		return nil, err
	}
	return data, nil
}

func priceRecord(account string, price *Price, data []byte) store.Record {
	var interval any
	if price.Recurring != nil {
		interval = price.Recurring.Interval
	}
	return store.Record{ID: price.ID, Account: account, Created: price.Created, Data: data,
		Cols: []store.Col{
			{Name: "product", Value: price.Product},
			{Name: "active", Value: boolCol(price.Active)},
			{Name: "currency", Value: price.Currency},
			{Name: "type", Value: price.Type},
			{Name: "recurring_interval", Value: interval},
			{Name: "lookup_key", Value: nullable(price.LookupKey)},
		}}
}

// UpdatePrice answers POST /v1/prices/{price}. Amount, currency and
// recurrence never change; what may: active (but not archiving the
// product's default price), nickname, metadata, lookup_key, and
// tax_behavior while it is still unspecified. An update that changes
// nothing records no event.
func (s *Service) UpdatePrice(ctx context.Context, tx store.Tx, account, priceID string, p param.Map) ([]byte, error) {
	if p.Has("currency_options") {
		return nil, errs.Invalid("", "currency_options", "currency_options is not supported by payd: a price has exactly one currency.")
	}
	rec, price, err := loadPrice(ctx, tx, account, priceID, true)
	if err != nil {
		return nil, err
	}
	now := s.Now().Unix()
	if v := p.Bool("active"); v != nil {
		if !*v && price.Active {
			if err := notDefault(ctx, tx, account, price); err != nil {
				return nil, err
			}
		}
		price.Active = *v
	}
	p.Optional("nickname", &price.Nickname)
	md, err := applyMetadata(price.Metadata, p, "")
	if err != nil {
		return nil, err
	}
	price.Metadata = md
	if v := p.String("tax_behavior"); v != nil && *v != *price.TaxBehavior {
		if *price.TaxBehavior != TaxUnspecified {
			return nil, errs.Invalid("", "tax_behavior",
				"This price's tax_behavior is %s; once a price's tax behavior is inclusive or exclusive, it cannot be changed.", *price.TaxBehavior)
		}
		price.TaxBehavior = v
	}
	if key := p.String("lookup_key"); key != nil && (price.LookupKey == nil || *price.LookupKey != *key) {
		if err := claimLookupKey(ctx, tx, account, now, *key, price.ID, transfer(p)); err != nil {
			return nil, err
		}
		price.LookupKey = key
	}
	if after, err := json.Marshal(price); err != nil || string(after) == string(rec.Data) {
		return rec.Data, err
	}
	return savePrice(ctx, tx, account, now, price, rec, "price.updated")
}

// notDefault refuses to archive the price its product offers by default.
func notDefault(ctx context.Context, tx store.Tx, account string, price *Price) error {
	prod, err := GetProduct(ctx, tx, account, price.Product)
	if e, ok := errs.As(err); ok && e.Status == 404 {
		return nil
	}
	if err != nil {
		return err
	}
	if prod.DefaultPrice != nil && *prod.DefaultPrice == price.ID {
		return errs.Invalid("", "active", "This price cannot be archived because it is the default price of its product.")
	}
	return nil
}

// CheckLookupKeys checks the lookup_keys filter of GET /v1/prices.
func CheckLookupKeys(keys []string) error {
	if len(keys) > maxLookupKeys {
		return errs.Invalid("", "lookup_keys", "You can pass at most %d lookup_keys, but %d were given.", maxLookupKeys, len(keys))
	}
	return nil
}
