package api_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/catalog"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/store"
	"github.com/payd/payd/internal/testutil/paydtest"
)

// catalogPrice creates a price, in usd unless p names a currency.
func catalogPrice(t *testing.T, sc *stripe.Client, p *stripe.PriceCreateParams) *stripe.Price {
	t.Helper()
	if p.Currency == nil {
		p.Currency = stripe.String("usd")
	}
	price, err := sc.V1Prices.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return price
}

// rawPrice creates a price from a raw form body (for values stripe-go
// cannot send, such as exact decimal strings) and returns the response.
func rawPrice(t *testing.T, srv *paydtest.Server, body string) paydtest.Response {
	t.Helper()
	return srv.Do("POST", "/v1/prices", srv.Accounts[0].Secret, body)
}

func TestPrices_CreateOneTimeDefaults(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		prod := catalogProduct(t, sc, "P", nil)
		price := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), UnitAmount: stripe.Int64(1000),
			Nickname: stripe.String("one time"), Metadata: map[string]string{"plan": "basic"}})
		if !strings.HasPrefix(price.ID, "price_") || strings.Contains(price.ID[6:], "_") || price.Object != "price" || !price.Active ||
			price.BillingScheme != "per_unit" || price.Currency != "usd" || price.Type != stripe.PriceTypeOneTime ||
			price.UnitAmount != 1000 || price.UnitAmountDecimal != 1000 || price.Recurring != nil || price.CustomUnitAmount != nil ||
			price.TaxBehavior != "unspecified" || price.LookupKey != "" || price.Nickname != "one time" ||
			price.Metadata["plan"] != "basic" || price.Product == nil || price.Product.ID != prod.ID || price.Livemode || price.Created == 0 {
			t.Fatalf("price: %+v", price)
		}
		raw := rawObject(t, srv, "/v1/prices/"+price.ID)
		if raw["unit_amount_decimal"] != "1000" || raw["product"] != prod.ID {
			t.Fatalf("raw: %v", raw)
		}
		for _, k := range []string{"custom_unit_amount", "lookup_key", "recurring", "tiers_mode", "transform_quantity"} {
			if v, ok := raw[k]; !ok || v != nil {
				t.Fatalf("%s = %v (present %v), want null", k, v, ok)
			}
		}
		// Includable fields Stripe leaves out unless asked for.
		for _, k := range []string{"tiers", "currency_options"} {
			if _, ok := raw[k]; ok {
				t.Fatalf("%s rendered: %v", k, raw)
			}
		}

		_, err := sc.V1Prices.Retrieve(ctx, "price_nope", nil)
		if se := stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "price"); se.Msg != "No such price: 'price_nope'" {
			t.Fatalf("message %q", se.Msg)
		}
		_, err = srv.Client(1).V1Prices.Retrieve(ctx, price.ID, nil)
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "price")

		// Prices cannot be deleted through the API: there is no such route.
		r := srv.Do("DELETE", "/v1/prices/"+price.ID, srv.Accounts[0].Secret, "")
		if e := apiError(t, r); r.Status != 404 || !strings.HasPrefix(e.Message, "Unrecognized request URL") {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}

		evs := pmEvents(t, sc, "price.created")
		if len(evs) != 1 || evs[0].Data.Object["id"] != price.ID || evs[0].Data.Object["unit_amount"] != float64(1000) {
			t.Fatalf("price.created: %+v", evs)
		}
	})
}

func TestPrices_Recurring(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		prod := catalogProduct(t, sc, "Sub", nil)
		price := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), UnitAmount: stripe.Int64(900),
			Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("month"), IntervalCount: stripe.Int64(3), UsageType: stripe.String("licensed")}})
		if price.Type != stripe.PriceTypeRecurring || price.Recurring == nil || price.Recurring.Interval != "month" ||
			price.Recurring.IntervalCount != 3 || price.Recurring.UsageType != "licensed" {
			t.Fatalf("price: %+v", price)
		}
		raw := rawObject(t, srv, "/v1/prices/"+price.ID)
		rec := raw["recurring"].(map[string]any)
		if len(rec) != 4 || rec["interval"] != "month" || rec["interval_count"] != float64(3) || rec["usage_type"] != "licensed" || rec["meter"] != nil {
			t.Fatalf("recurring: %v", rec)
		}
		yearly := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), UnitAmount: stripe.Int64(9000),
			Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("year")}})
		if yearly.Recurring.IntervalCount != 1 || yearly.Recurring.UsageType != "licensed" {
			t.Fatalf("defaults: %+v", yearly.Recurring)
		}
		// Three years is the longest period, in any interval.
		catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), UnitAmount: stripe.Int64(1),
			Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("week"), IntervalCount: stripe.Int64(156)}})
		for _, c := range []struct {
			interval string
			count    int64
			code     string
		}{{"month", 37, ""}, {"day", 1096, ""}, {"year", 4, ""}, {"week", 0, "parameter_invalid_integer"}} {
			_, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Currency: stripe.String("usd"), Product: stripe.String(prod.ID),
				UnitAmount: stripe.Int64(1), Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String(c.interval), IntervalCount: stripe.Int64(c.count)}})
			stripeErr(t, err, 400, "invalid_request_error", c.code, "recurring[interval_count]")
		}
		r := rawPrice(t, srv, "currency=usd&unit_amount=1&product="+prod.ID+"&recurring[interval]=fortnight")
		if e := apiError(t, r); r.Status != 400 || e.Param != "recurring[interval]" {
			t.Fatalf("bad interval: %d %s", r.Status, r.Body)
		}
	})
}

func TestPrices_UnitAmountDecimal(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		prod := catalogProduct(t, sc, "Metered-ish", nil)
		cases := []struct {
			sent, decimal string
			unit          any
		}{
			{"123.45", "123.45", nil},
			{"1000.50", "1000.5", nil},
			{"1500", "1500", float64(1500)},
			{"1500.000", "1500", float64(1500)},
			{"0.000000000001", "0.000000000001", nil},
			{"1.5e2", "150", float64(150)},
			{"0", "0", float64(0)},
		}
		for _, c := range cases {
			r := rawPrice(t, srv, "currency=usd&product="+prod.ID+"&unit_amount_decimal="+url.QueryEscape(c.sent))
			if r.Status != 200 {
				t.Fatalf("%s: %d %s", c.sent, r.Status, r.Body)
			}
			var id string
			for _, part := range strings.Split(strings.Trim(r.Body, "{}"), ",") {
				if strings.HasPrefix(part, `"id":`) {
					id = strings.Trim(strings.TrimPrefix(part, `"id":`), `"`)
				}
			}
			raw := rawObject(t, srv, "/v1/prices/"+id)
			if raw["unit_amount_decimal"] != c.decimal || raw["unit_amount"] != c.unit {
				t.Fatalf("%s: unit_amount_decimal=%v unit_amount=%v, want %s %v", c.sent, raw["unit_amount_decimal"], raw["unit_amount"], c.decimal, c.unit)
			}
		}
		// stripe-go sends its float64 exactly enough for this.
		p := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), UnitAmountDecimal: stripe.Float64(0.25)})
		if p.UnitAmountDecimal != 0.25 || p.UnitAmount != 0 {
			t.Fatalf("sdk decimal: %+v", p)
		}

		for _, c := range []struct{ body, code, param, msg string }{
			{"unit_amount_decimal=1.0000000000001", "", "unit_amount_decimal",
				"Invalid decimal: 1.0000000000001; at most 12 decimal places are allowed"},
			{"unit_amount_decimal=-1", "", "unit_amount_decimal", "Invalid decimal: -1; must be greater than or equal to 0"},
			{"unit_amount_decimal=abc", "", "unit_amount_decimal", "Invalid decimal: abc"},
			{"unit_amount=5&unit_amount_decimal=5", "parameters_exclusive", "unit_amount_decimal",
				"You may only specify one of these parameters: unit_amount, unit_amount_decimal."},
			{"unit_amount=-5", "parameter_invalid_integer", "unit_amount", "This value must be greater than or equal to 0."},
			{"", "", "unit_amount", "Prices require an `unit_amount` or `unit_amount_decimal` parameter to be set."},
		} {
			r := rawPrice(t, srv, "currency=usd&product="+prod.ID+"&"+c.body)
			if e := apiError(t, r); r.Status != 400 || e.Type != "invalid_request_error" || e.Code != c.code || e.Param != c.param || e.Message != c.msg {
				t.Fatalf("%s: %d %+v", c.body, r.Status, e)
			}
		}
		// Stripe's answer to a missing amount, through the SDK too.
		_, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Currency: stripe.String("usd"), Product: stripe.String(prod.ID),
			Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")}})
		if se := stripeErr(t, err, 400, "invalid_request_error", "", "unit_amount"); !strings.HasPrefix(se.Msg, "Prices require an `unit_amount`") {
			t.Fatalf("message %q", se.Msg)
		}
	})
}

func TestPrices_ZeroDecimalCurrency(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		prod := catalogProduct(t, sc, "Yen", nil)
		// 500 jpy is ¥500: the amount is stored exactly as given.
		price := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), Currency: stripe.String("JPY"), UnitAmount: stripe.Int64(500)})
		if price.Currency != "jpy" || price.UnitAmount != 500 || price.UnitAmountDecimal != 500 {
			t.Fatalf("jpy price: %+v", price)
		}
		// A customer-chosen amount starts at the currency's minimum charge
		// (¥50), in its own units.
		_, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), Currency: stripe.String("jpy"),
			CustomUnitAmount: &stripe.PriceCreateCustomUnitAmountParams{Enabled: stripe.Bool(true), Minimum: stripe.Int64(49)}})
		if se := stripeErr(t, err, 400, "invalid_request_error", "", "custom_unit_amount[minimum]"); !strings.Contains(se.Msg, "at least 50") {
			t.Fatalf("message %q", se.Msg)
		}
		ok := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), Currency: stripe.String("jpy"),
			CustomUnitAmount: &stripe.PriceCreateCustomUnitAmountParams{Enabled: stripe.Bool(true), Minimum: stripe.Int64(50)}})
		if ok.CustomUnitAmount == nil || ok.CustomUnitAmount.Minimum != 50 {
			t.Fatalf("jpy custom: %+v", ok)
		}
		_, err = sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), Currency: stripe.String("xyz"), UnitAmount: stripe.Int64(5)})
		if se := stripeErr(t, err, 400, "invalid_request_error", "", "currency"); se.Msg != "Invalid currency: xyz." {
			t.Fatalf("message %q", se.Msg)
		}
	})
}

func TestPrices_CustomUnitAmount(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		prod := catalogProduct(t, sc, "Tip jar", nil)
		price := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(prod.ID),
			CustomUnitAmount: &stripe.PriceCreateCustomUnitAmountParams{Enabled: stripe.Bool(true), Minimum: stripe.Int64(100), Maximum: stripe.Int64(10000), Preset: stripe.Int64(500)}})
		raw := rawObject(t, srv, "/v1/prices/"+price.ID)
		cua := raw["custom_unit_amount"].(map[string]any)
		// enabled is an input only; Stripe does not render it.
		if len(cua) != 3 || cua["minimum"] != float64(100) || cua["maximum"] != float64(10000) || cua["preset"] != float64(500) ||
			raw["unit_amount"] != nil || raw["unit_amount_decimal"] != nil || raw["type"] != "one_time" {
			t.Fatalf("custom price: %v", raw)
		}
		open := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(prod.ID),
			CustomUnitAmount: &stripe.PriceCreateCustomUnitAmountParams{Enabled: stripe.Bool(true)}})
		if c := rawObject(t, srv, "/v1/prices/"+open.ID)["custom_unit_amount"].(map[string]any); c["minimum"] != nil || c["maximum"] != nil || c["preset"] != nil {
			t.Fatalf("unbounded custom amount: %v", c)
		}

		custom := func(c stripe.PriceCreateCustomUnitAmountParams) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Currency: stripe.String("usd"), Product: stripe.String(prod.ID), CustomUnitAmount: &c}
		}
		for _, c := range []struct {
			params      *stripe.PriceCreateParams
			code, param string
		}{
			{custom(stripe.PriceCreateCustomUnitAmountParams{Enabled: stripe.Bool(true), Minimum: stripe.Int64(100), Maximum: stripe.Int64(1000), Preset: stripe.Int64(50)}),
				"", "custom_unit_amount[preset]"},
			{custom(stripe.PriceCreateCustomUnitAmountParams{Enabled: stripe.Bool(true), Minimum: stripe.Int64(100), Maximum: stripe.Int64(1000), Preset: stripe.Int64(1001)}),
				"", "custom_unit_amount[preset]"},
			{custom(stripe.PriceCreateCustomUnitAmountParams{Enabled: stripe.Bool(true), Minimum: stripe.Int64(2000), Maximum: stripe.Int64(1000)}),
				"", "custom_unit_amount[minimum]"},
			{custom(stripe.PriceCreateCustomUnitAmountParams{Enabled: stripe.Bool(true), Minimum: stripe.Int64(49)}), "", "custom_unit_amount[minimum]"},
			{custom(stripe.PriceCreateCustomUnitAmountParams{Enabled: stripe.Bool(true), Maximum: stripe.Int64(100_000_000)}), "", "custom_unit_amount[maximum]"},
			{custom(stripe.PriceCreateCustomUnitAmountParams{Enabled: stripe.Bool(false)}), "", "custom_unit_amount[enabled]"},
		} {
			_, err := sc.V1Prices.Create(ctx, c.params)
			stripeErr(t, err, 400, "invalid_request_error", c.code, c.param)
		}
		// Not with a fixed amount, and not for subscriptions.
		withAmount := custom(stripe.PriceCreateCustomUnitAmountParams{Enabled: stripe.Bool(true)})
		withAmount.UnitAmount = stripe.Int64(100)
		_, err := sc.V1Prices.Create(ctx, withAmount)
		if se := stripeErr(t, err, 400, "invalid_request_error", "parameters_exclusive", "unit_amount"); se.Msg != "You may only specify one of these parameters: custom_unit_amount, unit_amount." {
			t.Fatalf("message %q", se.Msg)
		}
		recurring := custom(stripe.PriceCreateCustomUnitAmountParams{Enabled: stripe.Bool(true)})
		recurring.Recurring = &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")}
		_, err = sc.V1Prices.Create(ctx, recurring)
		stripeErr(t, err, 400, "invalid_request_error", "", "custom_unit_amount")
		if n := len(pmEvents(t, sc, "price.created")); n != 2 {
			t.Fatalf("%d price.created events, want 2", n)
		}
	})
}

func TestPrices_ProductOrProductData(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		price := catalogPrice(t, sc, &stripe.PriceCreateParams{UnitAmount: stripe.Int64(2500),
			ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("Inline product"), UnitLabel: stripe.String("seat"),
				StatementDescriptor: stripe.String("INLINE"), Metadata: map[string]string{"from": "price"}}})
		prod, err := sc.V1Products.Retrieve(ctx, price.Product.ID, nil)
		if err != nil || !strings.HasPrefix(prod.ID, "prod_") || prod.Name != "Inline product" || prod.UnitLabel != "seat" ||
			prod.StatementDescriptor != "INLINE" || prod.Metadata["from"] != "price" || !prod.Active || prod.DefaultPrice != nil {
			t.Fatalf("product from product_data: %+v %v", prod, err)
		}
		if got := strings.Join(eventTypes(t, sc), ","); got != "product.created,price.created" {
			t.Fatalf("events %s", got)
		}

		_, err = sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1)})
		if se := stripeErr(t, err, 400, "invalid_request_error", "", "product"); se.Msg != "You must specify either `product` or `product_data` when creating a price." {
			t.Fatalf("message %q", se.Msg)
		}
		_, err = sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1),
			Product: stripe.String(prod.ID), ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("x")}})
		if se := stripeErr(t, err, 400, "invalid_request_error", "", "product"); se.Msg != "You may only specify one of these parameters: product, product_data." {
			t.Fatalf("message %q", se.Msg)
		}
		_, err = sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1), Product: stripe.String("prod_nope")})
		if se := stripeErr(t, err, 400, "invalid_request_error", "resource_missing", "product"); se.Msg != "No such product: 'prod_nope'" {
			t.Fatalf("message %q", se.Msg)
		}
		// Another account's product does not exist for this one.
		_, err = srv.Client(1).V1Prices.Create(ctx, &stripe.PriceCreateParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1), Product: stripe.String(prod.ID)})
		stripeErr(t, err, 400, "invalid_request_error", "resource_missing", "product")
		// Errors inside product_data name their full parameter.
		_, err = sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1),
			ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("x"), StatementDescriptor: stripe.String("1234")}})
		stripeErr(t, err, 400, "invalid_request_error", "", "product_data[statement_descriptor]")

		// An archived product still takes new prices; selling them is
		// what checks active.
		if _, err := sc.V1Products.Update(ctx, prod.ID, &stripe.ProductUpdateParams{Active: stripe.Bool(false)}); err != nil {
			t.Fatal(err)
		}
		onArchived := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), UnitAmount: stripe.Int64(3000)})
		if !onArchived.Active || onArchived.Product.ID != prod.ID {
			t.Fatalf("price on archived product: %+v", onArchived)
		}
		// Deleted products are gone.
		gone := catalogProduct(t, sc, "gone", nil)
		if _, err := sc.V1Products.Delete(ctx, gone.ID, nil); err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1), Product: stripe.String(gone.ID)})
		stripeErr(t, err, 400, "invalid_request_error", "resource_missing", "product")
	})
}

func TestPrices_LookupKeyConflictAndTransfer(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		prod := catalogProduct(t, sc, "Keys", nil)
		holder := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), UnitAmount: stripe.Int64(1000), LookupKey: stripe.String("standard")})
		if holder.LookupKey != "standard" {
			t.Fatalf("lookup key %q", holder.LookupKey)
		}

		_, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Currency: stripe.String("usd"), Product: stripe.String(prod.ID),
			UnitAmount: stripe.Int64(1200), LookupKey: stripe.String("standard")})
		if se := stripeErr(t, err, 400, "invalid_request_error", "", "lookup_key"); se.Msg != "A price (`"+holder.ID+"`) already uses that lookup key." {
			t.Fatalf("message %q", se.Msg)
		}
		// An archived holder still holds its key.
		if _, err := sc.V1Prices.Update(ctx, holder.ID, &stripe.PriceUpdateParams{Active: stripe.Bool(false)}); err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Currency: stripe.String("usd"), Product: stripe.String(prod.ID),
			UnitAmount: stripe.Int64(1200), LookupKey: stripe.String("standard")})
		stripeErr(t, err, 400, "invalid_request_error", "", "lookup_key")

		// transfer_lookup_key moves it: the holder keeps everything else.
		moved := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), UnitAmount: stripe.Int64(1200),
			LookupKey: stripe.String("standard"), TransferLookupKey: stripe.Bool(true)})
		if moved.LookupKey != "standard" {
			t.Fatalf("moved: %+v", moved)
		}
		old, err := sc.V1Prices.Retrieve(ctx, holder.ID, nil)
		if err != nil || old.LookupKey != "" || old.Active || old.UnitAmount != 1000 {
			t.Fatalf("old holder: %+v %v", old, err)
		}
		updates := pmEvents(t, sc, "price.updated")
		if len(updates) != 2 || updates[0].Data.Object["id"] != holder.ID || updates[0].Data.Object["lookup_key"] != nil {
			t.Fatalf("price.updated events: %+v", updates)
		}
		if prev := updates[0].Data.PreviousAttributes; len(prev) != 1 || prev["lookup_key"] != "standard" {
			t.Fatalf("transfer previous_attributes: %v", prev)
		}

		// The same on update; re-sending one's own key is no conflict.
		third := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), UnitAmount: stripe.Int64(1500)})
		_, err = sc.V1Prices.Update(ctx, third.ID, &stripe.PriceUpdateParams{LookupKey: stripe.String("standard")})
		if se := stripeErr(t, err, 400, "invalid_request_error", "", "lookup_key"); se.Msg != "A price (`"+moved.ID+"`) already uses that lookup key." {
			t.Fatalf("message %q", se.Msg)
		}
		up, err := sc.V1Prices.Update(ctx, third.ID, &stripe.PriceUpdateParams{LookupKey: stripe.String("standard"), TransferLookupKey: stripe.Bool(true)})
		if err != nil || up.LookupKey != "standard" {
			t.Fatalf("transfer on update: %+v %v", up, err)
		}
		if again, err := sc.V1Prices.Update(ctx, third.ID, &stripe.PriceUpdateParams{LookupKey: stripe.String("standard")}); err != nil || again.LookupKey != "standard" {
			t.Fatalf("own key: %+v %v", again, err)
		}
		if m, _ := sc.V1Prices.Retrieve(ctx, moved.ID, nil); m.LookupKey != "" {
			t.Fatalf("second holder kept the key: %+v", m)
		}

		// lookup_keys finds the current holder only.
		lp := &stripe.PriceListParams{LookupKeys: []*string{stripe.String("standard"), stripe.String("nope")}}
		var found []string
		for p, err := range sc.V1Prices.List(ctx, lp).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			found = append(found, p.ID)
		}
		if strings.Join(found, ",") != third.ID {
			t.Fatalf("lookup_keys found %v, want %s", found, third.ID)
		}
		// Keys are per account.
		otherProd := catalogProduct(t, srv.Client(1), "other", nil)
		catalogPrice(t, srv.Client(1), &stripe.PriceCreateParams{Product: stripe.String(otherProd.ID), UnitAmount: stripe.Int64(1), LookupKey: stripe.String("standard")})
	})
}

func TestPrices_RefusedPricingModels(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		prod := catalogProduct(t, sc, "Unsupported", nil)
		base := "currency=usd&product=" + prod.ID + "&"
		cases := []struct{ body, param string }{
			{"billing_scheme=tiered&tiers_mode=volume&tiers[0][up_to]=inf&tiers[0][unit_amount]=500&recurring[interval]=month", "billing_scheme"},
			{"unit_amount=5&tiers[0][up_to]=inf&tiers[0][unit_amount]=500", "tiers"},
			{"unit_amount=5&tiers_mode=graduated", "tiers_mode"},
			{"unit_amount=5&transform_quantity[divide_by]=5&transform_quantity[round]=up", "transform_quantity"},
			{"unit_amount=5&recurring[interval]=month&recurring[usage_type]=metered", "recurring[usage_type]"},
			{"unit_amount=5&recurring[interval]=month&recurring[meter]=mtr_123", "recurring[meter]"},
			{"unit_amount=5&currency_options[eur][unit_amount]=4", "currency_options"},
		}
		for _, c := range cases {
			r := rawPrice(t, srv, base+c.body)
			if e := apiError(t, r); r.Status != 400 || e.Type != "invalid_request_error" || e.Param != c.param || !strings.Contains(e.Message, "not supported by payd") {
				t.Fatalf("%s: %d %+v", c.param, r.Status, e)
			}
		}
		// Through stripe-go, as a user's code would send them.
		_, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Currency: stripe.String("usd"), Product: stripe.String(prod.ID),
			BillingScheme: stripe.String("tiered"), TiersMode: stripe.String("graduated"),
			Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")},
			Tiers:     []*stripe.PriceCreateTierParams{{UpToInf: stripe.Bool(true), UnitAmount: stripe.Int64(100)}}})
		var se *stripe.Error
		if !asStripe(err, &se) || se.Type != stripe.ErrorTypeInvalidRequest || se.Param != "billing_scheme" || !strings.Contains(se.Msg, "not supported by payd") {
			t.Fatalf("tiered via sdk: %v", err)
		}
		_, err = sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Currency: stripe.String("usd"), Product: stripe.String(prod.ID), UnitAmount: stripe.Int64(5),
			Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("month"), UsageType: stripe.String("metered")}})
		if se := stripeErr(t, err, 400, "invalid_request_error", "", "recurring[usage_type]"); !strings.Contains(se.Msg, "not supported by payd") {
			t.Fatalf("metered: %q", se.Msg)
		}
		_, err = sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Currency: stripe.String("usd"), Product: stripe.String(prod.ID), UnitAmount: stripe.Int64(5),
			TransformQuantity: &stripe.PriceCreateTransformQuantityParams{DivideBy: stripe.Int64(10), Round: stripe.String("up")}})
		stripeErr(t, err, 400, "invalid_request_error", "", "transform_quantity")
		// per_unit is what payd does, so it is accepted.
		perUnit := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), UnitAmount: stripe.Int64(5), BillingScheme: stripe.String("per_unit")})
		if perUnit.BillingScheme != "per_unit" {
			t.Fatalf("per_unit: %+v", perUnit)
		}
		// currency_options on update too.
		_, err = sc.V1Prices.Update(ctx, perUnit.ID, &stripe.PriceUpdateParams{
			CurrencyOptions: map[string]*stripe.PriceUpdateCurrencyOptionsParams{"eur": {UnitAmount: stripe.Int64(4)}}})
		stripeErr(t, err, 400, "invalid_request_error", "", "currency_options")
		if ids, _ := catalogPage(t, srv, "/v1/prices"); len(ids) != 1 || ids[0] != perUnit.ID {
			t.Fatalf("refused prices were written: %v", ids)
		}
	})
}

func TestPrices_Update(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		prod := catalogProduct(t, sc, "Upd", nil)
		price := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), UnitAmount: stripe.Int64(800), Metadata: map[string]string{"a": "1"}})

		up, err := sc.V1Prices.Update(ctx, price.ID, &stripe.PriceUpdateParams{Nickname: stripe.String("Eight"), Active: stripe.Bool(false),
			Metadata: map[string]string{"a": "", "b": "2"}, TaxBehavior: stripe.String("inclusive")})
		if err != nil || up.Nickname != "Eight" || up.Active || up.Metadata["b"] != "2" || len(up.Metadata) != 1 || up.TaxBehavior != "inclusive" ||
			up.UnitAmount != 800 {
			t.Fatalf("update: %+v %v", up, err)
		}
		evs := pmEvents(t, sc, "price.updated")
		if len(evs) != 1 {
			t.Fatalf("%d price.updated", len(evs))
		}
		prev := evs[0].Data.PreviousAttributes
		md, _ := prev["metadata"].(map[string]any)
		if prev["active"] != true || prev["tax_behavior"] != "unspecified" || md["a"] != "1" || md["b"] != nil || len(prev) != 4 {
			t.Fatalf("previous_attributes: %v", prev)
		}
		if v, ok := prev["nickname"]; !ok || v != nil {
			t.Fatalf("previous nickname: %v", prev)
		}

		// Once inclusive, always inclusive; saying so again is fine.
		_, err = sc.V1Prices.Update(ctx, price.ID, &stripe.PriceUpdateParams{TaxBehavior: stripe.String("exclusive")})
		stripeErr(t, err, 400, "invalid_request_error", "", "tax_behavior")
		if _, err := sc.V1Prices.Update(ctx, price.ID, &stripe.PriceUpdateParams{TaxBehavior: stripe.String("inclusive")}); err != nil {
			t.Fatal(err)
		}
		// Nothing changed: no event.
		if n := len(pmEvents(t, sc, "price.updated")); n != 1 {
			t.Fatalf("%d price.updated after a no-op, want 1", n)
		}
		back, err := sc.V1Prices.Update(ctx, price.ID, &stripe.PriceUpdateParams{Active: stripe.Bool(true)})
		if err != nil || !back.Active {
			t.Fatalf("reactivate: %+v %v", back, err)
		}
		// Fields a price never changes are unknown parameters on update.
		r := srv.Do("POST", "/v1/prices/"+price.ID, srv.Accounts[0].Secret, "unit_amount=5")
		if e := apiError(t, r); r.Status != 400 || e.Code != "parameter_unknown" || e.Param != "unit_amount" {
			t.Fatalf("unit_amount on update: %d %s", r.Status, r.Body)
		}
		_, err = sc.V1Prices.Update(ctx, "price_nope", &stripe.PriceUpdateParams{Nickname: stripe.String("x")})
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "price")
	})
}

func TestPrices_ListFilters(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		a := catalogProduct(t, sc, "a", nil)
		b := catalogProduct(t, sc, "b", nil)
		once := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(a.ID), UnitAmount: stripe.Int64(100), LookupKey: stripe.String("once")})
		monthly := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(a.ID), UnitAmount: stripe.Int64(200),
			Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")}})
		yearlyEUR := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(b.ID), UnitAmount: stripe.Int64(300), Currency: stripe.String("eur"),
			Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("year")}, LookupKey: stripe.String("yearly")})
		archived := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(b.ID), UnitAmount: stripe.Int64(400), Active: stripe.Bool(false)})
		otherProd := catalogProduct(t, srv.Client(1), "other", nil)
		catalogPrice(t, srv.Client(1), &stripe.PriceCreateParams{Product: stripe.String(otherProd.ID), UnitAmount: stripe.Int64(1)})

		cases := []struct {
			query string
			want  []string
		}{
			{"", []string{archived.ID, yearlyEUR.ID, monthly.ID, once.ID}},
			{"active=true", []string{yearlyEUR.ID, monthly.ID, once.ID}},
			{"active=false", []string{archived.ID}},
			{"currency=eur", []string{yearlyEUR.ID}},
			{"currency=usd", []string{archived.ID, monthly.ID, once.ID}},
			{"product=" + a.ID, []string{monthly.ID, once.ID}},
			{"type=one_time", []string{archived.ID, once.ID}},
			{"type=recurring", []string{yearlyEUR.ID, monthly.ID}},
			{"recurring[interval]=month", []string{monthly.ID}},
			{"recurring[interval]=week", []string{}},
			{"recurring[usage_type]=licensed", []string{yearlyEUR.ID, monthly.ID}},
			{"recurring[usage_type]=metered", []string{}},
			{"lookup_keys[]=once&lookup_keys[]=yearly", []string{yearlyEUR.ID, once.ID}},
			{"product=" + b.ID + "&active=true&type=recurring", []string{yearlyEUR.ID}},
			{"created[gte]=" + strconvI(once.Created), []string{archived.ID, yearlyEUR.ID, monthly.ID, once.ID}},
			{"created[gt]=" + strconvI(archived.Created), []string{}},
			{"limit=2&starting_after=" + yearlyEUR.ID, []string{monthly.ID, once.ID}},
		}
		for _, tc := range cases {
			got, _ := catalogPage(t, srv, "/v1/prices?"+tc.query)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("?%s: %v, want %v", tc.query, got, tc.want)
			}
		}
		ids, more := catalogPage(t, srv, "/v1/prices?limit=3")
		if len(ids) != 3 || !more {
			t.Fatalf("limit 3: %v %v", ids, more)
		}

		// An unknown product is an error, not an empty list.
		r := srv.Do("GET", "/v1/prices?product=prod_nope", srv.Accounts[0].Secret, "")
		if e := apiError(t, r); r.Status != 400 || e.Code != "resource_missing" || e.Param != "product" || e.Message != "No such product: 'prod_nope'" {
			t.Fatalf("unknown product: %d %s", r.Status, r.Body)
		}
		var keys []*string
		for i := 0; i < 11; i++ {
			keys = append(keys, stripe.String("k"+strconvI(int64(i))))
		}
		var err error
		for _, err = range sc.V1Prices.List(ctx, &stripe.PriceListParams{LookupKeys: keys}).All(ctx) {
			break
		}
		if se := stripeErr(t, err, 400, "invalid_request_error", "", "lookup_keys"); se.Msg != "You can pass at most 10 lookup_keys, but 11 were given." {
			t.Fatalf("message %q", se.Msg)
		}
	})
}

func TestPrices_ExpandProduct(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		prod := catalogProduct(t, sc, "Expandable", &stripe.ProductCreateParams{Description: stripe.String("desc")})
		price := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), UnitAmount: stripe.Int64(100)})

		rp := &stripe.PriceRetrieveParams{}
		rp.AddExpand("product")
		got, err := sc.V1Prices.Retrieve(ctx, price.ID, rp)
		if err != nil || got.Product == nil || got.Product.ID != prod.ID || got.Product.Name != "Expandable" || got.Product.Description != "desc" {
			t.Fatalf("expanded: %+v %v", got, err)
		}
		lp := &stripe.PriceListParams{}
		lp.AddExpand("data.product")
		for p, err := range sc.V1Prices.List(ctx, lp).All(ctx) {
			if err != nil || p.Product == nil || p.Product.Name != "Expandable" {
				t.Fatalf("list expand: %+v %v", p, err)
			}
		}
		// And back: a product's default price, then that price's product.
		if _, err := sc.V1Products.Update(ctx, prod.ID, &stripe.ProductUpdateParams{DefaultPrice: stripe.String(price.ID)}); err != nil {
			t.Fatal(err)
		}
		pp := &stripe.ProductRetrieveParams{}
		pp.AddExpand("default_price.product")
		gp, err := sc.V1Products.Retrieve(ctx, prod.ID, pp)
		if err != nil || gp.DefaultPrice == nil || gp.DefaultPrice.UnitAmount != 100 || gp.DefaultPrice.Product == nil || gp.DefaultPrice.Product.Name != "Expandable" {
			t.Fatalf("expanded default price: %+v %v", gp, err)
		}
		up := &stripe.PriceUpdateParams{Nickname: stripe.String("n")}
		up.AddExpand("product")
		if u, err := sc.V1Prices.Update(ctx, price.ID, up); err != nil || u.Product.Name != "Expandable" {
			t.Fatalf("expand on update: %+v %v", u, err)
		}
	})
}

// TestPrices_InlinePrice drives catalog.InlinePrice the way Checkout and
// Payment Links do, then looks at what it made through the API.
func TestPrices_InlinePrice(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		svc := &catalog.Service{Now: time.Now}
		account := srv.Accounts[0].Account
		// p is what the API hands the service once a line item's price_data
		// is decoded and validated: typed values under their keys.
		inline := func(p param.Map, path string) (*catalog.Price, error) {
			t.Helper()
			var price *catalog.Price
			err := srv.Store.Update(ctx, func(tx store.Tx) error {
				var err error
				price, err = svc.InlinePrice(ctx, tx, account, p, path)
				return err
			})
			return price, err
		}
		type m = map[string]any

		const path = "line_items[0][price_data]"
		price, err := inline(param.Map{"currency": "usd", "unit_amount": int64(1999),
			"product_data": m{"name": "T-shirt", "images": []any{"https://example.test/t.png"}}}, path)
		if err != nil {
			t.Fatal(err)
		}
		if price.Active || price.UnitAmount == nil || *price.UnitAmount != 1999 || price.Type != catalog.OneTime || price.Currency != "usd" {
			t.Fatalf("inline price: %+v", price)
		}
		got, err := sc.V1Prices.Retrieve(ctx, price.ID, nil)
		if err != nil || got.Active || got.UnitAmount != 1999 || got.Product.ID != price.Product {
			t.Fatalf("retrieve inline: %+v %v", got, err)
		}
		prod, err := sc.V1Products.Retrieve(ctx, price.Product, nil)
		if err != nil || prod.Name != "T-shirt" || len(prod.Images) != 1 || !prod.Active {
			t.Fatalf("inline product: %+v %v", prod, err)
		}
		// No list shows an inline price, whatever the filter.
		for _, q := range []string{"", "active=false", "product=" + prod.ID} {
			if ids, _ := catalogPage(t, srv, "/v1/prices?"+q); len(ids) != 0 {
				t.Fatalf("?%s lists inline prices: %v", q, ids)
			}
		}
		if got := strings.Join(eventTypes(t, sc), ","); got != "product.created,price.created" {
			t.Fatalf("events %s", got)
		}

		recurring, err := inline(param.Map{"currency": "eur", "unit_amount_decimal": "12.5", "product": prod.ID,
			"recurring": m{"interval": "week"}, "tax_behavior": "inclusive"}, path)
		if err != nil || recurring.Type != catalog.RecurringPrice || recurring.UnitAmount != nil || *recurring.UnitAmountDecimal != "12.5" ||
			recurring.Recurring.Interval != "week" || *recurring.TaxBehavior != "inclusive" || recurring.Product != prod.ID {
			t.Fatalf("recurring inline: %+v %v", recurring, err)
		}

		// Errors name the line item's parameters.
		for _, c := range []struct {
			p     param.Map
			param string
		}{
			{param.Map{"currency": "usd", "product_data": m{"name": "x"}}, path + "[unit_amount]"},
			{param.Map{"currency": "zzz", "unit_amount": int64(1), "product_data": m{"name": "x"}}, path + "[currency]"},
			{param.Map{"currency": "usd", "unit_amount": int64(1), "product": "prod_nope"}, path + "[product]"},
			{param.Map{"currency": "usd", "unit_amount": int64(1)}, path + "[product]"},
			{param.Map{"currency": "usd", "unit_amount": int64(-1), "product": prod.ID}, path + "[unit_amount]"},
			{param.Map{"currency": "usd", "unit_amount": int64(1), "product_data": m{"name": "x", "metadata": m{"k": strings.Repeat("v", 501)}}},
				path + "[product_data][metadata][k]"},
		} {
			_, err := inline(c.p, path)
			// As the API answers it, for a request to create a Checkout Session.
			if e, ok := errs.As(err); !ok || errs.Referenced(e, "/v1/checkout/sessions").Status != 400 || e.Param != c.param {
				t.Fatalf("%v: %v, want param %s", c.p, err, c.param)
			}
		}

		// Inline prices are not user-created: their product can be deleted,
		// and the price then expands to the deleted product's stub.
		if _, err := sc.V1Products.Delete(ctx, prod.ID, nil); err != nil {
			t.Fatal(err)
		}
		rp := &stripe.PriceRetrieveParams{}
		rp.AddExpand("product")
		exp, err := sc.V1Prices.Retrieve(ctx, price.ID, rp)
		if err != nil || exp.Product == nil || exp.Product.ID != prod.ID || !exp.Product.Deleted {
			t.Fatalf("expand deleted product: %+v %v", exp, err)
		}
		// Updating an inline price keeps it out of lists.
		if _, err := sc.V1Prices.Update(ctx, price.ID, &stripe.PriceUpdateParams{Metadata: map[string]string{"k": "v"}}); err != nil {
			t.Fatal(err)
		}
		if ids, _ := catalogPage(t, srv, "/v1/prices?active=false"); len(ids) != 0 {
			t.Fatalf("updated inline price is listed: %v", ids)
		}
	})
}

func strconvI(n int64) string { return strconv.FormatInt(n, 10) }
