package api_test

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/testutil/paydtest"
)

// catalogProduct creates a product named name, with extra fields when
// given.
func catalogProduct(t *testing.T, sc *stripe.Client, name string, extra *stripe.ProductCreateParams) *stripe.Product {
	t.Helper()
	p := extra
	if p == nil {
		p = &stripe.ProductCreateParams{}
	}
	p.Name = stripe.String(name)
	prod, err := sc.V1Products.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return prod
}

// catalogPage reads one raw list page: the ids in order and has_more.
func catalogPage(t *testing.T, srv *paydtest.Server, path string) ([]string, bool) {
	t.Helper()
	r := srv.Do("GET", path, srv.Accounts[0].Secret, "")
	var page struct {
		Object  string `json:"object"`
		URL     string `json:"url"`
		HasMore bool   `json:"has_more"`
		Data    []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.Body), &page); err != nil || r.Status != 200 || page.Object != "list" {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	ids := make([]string, len(page.Data))
	for i, d := range page.Data {
		ids[i] = d.ID
	}
	return ids, page.HasMore
}

// rawObject fetches an object as a JSON map, to see nulls and absent
// fields that stripe-go's structs hide.
func rawObject(t *testing.T, srv *paydtest.Server, path string) map[string]any {
	t.Helper()
	r := srv.Do("GET", path, srv.Accounts[0].Secret, "")
	var obj map[string]any
	if err := json.Unmarshal([]byte(r.Body), &obj); err != nil || r.Status != 200 {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	return obj
}

func TestProducts_CreateDefaultsAndRetrieve(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)

		prod := catalogProduct(t, sc, "Widget", nil)
		if !strings.HasPrefix(prod.ID, "prod_") || strings.Contains(prod.ID[5:], "_") || prod.Object != "product" ||
			prod.Name != "Widget" || !prod.Active || len(prod.Images) != 0 || len(prod.MarketingFeatures) != 0 ||
			len(prod.Metadata) != 0 || prod.DefaultPrice != nil || prod.Livemode || prod.Created == 0 || prod.Updated != prod.Created {
			t.Fatalf("created product: %+v", prod)
		}
		raw := rawObject(t, srv, "/v1/products/"+prod.ID)
		for _, k := range []string{"default_price", "description", "package_dimensions", "shippable", "statement_descriptor", "tax_code", "unit_label", "url"} {
			if v, ok := raw[k]; !ok || v != nil {
				t.Fatalf("%s = %v (present %v), want null", k, v, ok)
			}
		}
		// The live API's undeclared fields stay out of the spec-shaped body.
		for _, k := range []string{"type", "attributes", "tax_details"} {
			if _, ok := raw[k]; ok {
				t.Fatalf("undeclared field %s in %v", k, raw)
			}
		}

		full := catalogProduct(t, sc, "Full", &stripe.ProductCreateParams{
			Active:              stripe.Bool(false),
			Description:         stripe.String("A full product"),
			Images:              []*string{stripe.String("https://example.test/a.png"), stripe.String("https://example.test/b.png")},
			MarketingFeatures:   []*stripe.ProductCreateMarketingFeatureParams{{Name: stripe.String("Fast")}, {Name: stripe.String("Cheap")}},
			Metadata:            map[string]string{"sku": "F-1"},
			PackageDimensions:   &stripe.ProductCreatePackageDimensionsParams{Height: stripe.Float64(1.5), Length: stripe.Float64(2), Weight: stripe.Float64(3.25), Width: stripe.Float64(4)},
			Shippable:           stripe.Bool(true),
			StatementDescriptor: stripe.String("FULL DESC"),
			TaxCode:             stripe.String("txcd_10103000"),
			UnitLabel:           stripe.String("widget"),
			URL:                 stripe.String("https://example.test/full"),
		})
		got, err := sc.V1Products.Retrieve(ctx, full.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []*stripe.Product{full, got} {
			if p.Active || p.Description != "A full product" || len(p.Images) != 2 || p.Images[1] != "https://example.test/b.png" ||
				len(p.MarketingFeatures) != 2 || p.MarketingFeatures[0].Name != "Fast" || p.Metadata["sku"] != "F-1" ||
				p.PackageDimensions == nil || p.PackageDimensions.Height != 1.5 || p.PackageDimensions.Weight != 3.25 ||
				!p.Shippable || p.StatementDescriptor != "FULL DESC" || p.TaxCode == nil || p.TaxCode.ID != "txcd_10103000" ||
				p.UnitLabel != "widget" || p.URL != "https://example.test/full" {
				t.Fatalf("full product: %+v", p)
			}
		}

		// Unknown ids, and other accounts' products, are Stripe's 404 on id.
		_, err = sc.V1Products.Retrieve(ctx, "prod_nope", nil)
		if se := stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "id"); se.Msg != "No such product: 'prod_nope'" {
			t.Fatalf("message %q", se.Msg)
		}
		_, err = srv.Client(1).V1Products.Retrieve(ctx, full.ID, nil)
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "id")

		_, err = sc.V1Products.Create(ctx, &stripe.ProductCreateParams{})
		if se := stripeErr(t, err, 400, "invalid_request_error", "parameter_missing", "name"); se.Msg != "Missing required param: name." {
			t.Fatalf("message %q", se.Msg)
		}
		if got := strings.Join(eventTypes(t, sc), ","); got != "product.created,product.created" {
			t.Fatalf("events %s", got)
		}
	})
}

func TestProducts_CallerChosenID(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		prod := catalogProduct(t, sc, "Gold", &stripe.ProductCreateParams{ID: stripe.String("gold-plan")})
		if prod.ID != "gold-plan" {
			t.Fatalf("id %q", prod.ID)
		}
		if got, err := sc.V1Products.Retrieve(ctx, "gold-plan", nil); err != nil || got.Name != "Gold" {
			t.Fatalf("retrieve: %+v %v", got, err)
		}
		_, err := sc.V1Products.Create(ctx, &stripe.ProductCreateParams{ID: stripe.String("gold-plan"), Name: stripe.String("Again")})
		if se := stripeErr(t, err, 400, "invalid_request_error", "resource_already_exists", "id"); se.Msg != "Product already exists." {
			t.Fatalf("message %q", se.Msg)
		}
		if n := len(pmEvents(t, sc, "product.created")); n != 1 {
			t.Fatalf("%d product.created events, want 1", n)
		}
	})
}

func TestProducts_DefaultPriceData(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		params := &stripe.ProductCreateParams{
			Name: stripe.String("Priced"),
			DefaultPriceData: &stripe.ProductCreateDefaultPriceDataParams{
				Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1500),
				Recurring:   &stripe.ProductCreateDefaultPriceDataRecurringParams{Interval: stripe.String("month"), IntervalCount: stripe.Int64(2)},
				TaxBehavior: stripe.String("exclusive"), Metadata: map[string]string{"tier": "pro"},
			},
		}
		params.AddExpand("default_price")
		prod, err := sc.V1Products.Create(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		dp := prod.DefaultPrice
		if dp == nil || !strings.HasPrefix(dp.ID, "price_") || dp.UnitAmount != 1500 || dp.Currency != "usd" || !dp.Active ||
			dp.Type != stripe.PriceTypeRecurring || dp.Recurring == nil || dp.Recurring.Interval != "month" || dp.Recurring.IntervalCount != 2 ||
			dp.TaxBehavior != "exclusive" || dp.Metadata["tier"] != "pro" || dp.Product == nil || dp.Product.ID != prod.ID {
			t.Fatalf("expanded default price: %+v", dp)
		}
		price, err := sc.V1Prices.Retrieve(ctx, dp.ID, nil)
		if err != nil || price.UnitAmount != 1500 || price.Product.ID != prod.ID {
			t.Fatalf("price: %+v %v", price, err)
		}
		// product.created first, already naming its default price, then
		// price.created: the order Stripe sends them in.
		if got := strings.Join(eventTypes(t, sc), ","); got != "product.created,price.created" {
			t.Fatalf("events %s", got)
		}
		created := pmEvents(t, sc, "product.created")[0]
		if created.Data.Object["default_price"] != dp.ID {
			t.Fatalf("product.created default_price %v, want %s", created.Data.Object["default_price"], dp.ID)
		}

		// Errors inside default_price_data name their full parameter, and
		// write nothing.
		for _, c := range []struct {
			data        *stripe.ProductCreateDefaultPriceDataParams
			code, param string
		}{
			{&stripe.ProductCreateDefaultPriceDataParams{Currency: stripe.String("usd")}, "", "default_price_data[unit_amount]"},
			{&stripe.ProductCreateDefaultPriceDataParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(-1)},
				"parameter_invalid_integer", "default_price_data[unit_amount]"},
			{&stripe.ProductCreateDefaultPriceDataParams{Currency: stripe.String("xyz"), UnitAmount: stripe.Int64(1)}, "", "default_price_data[currency]"},
			{&stripe.ProductCreateDefaultPriceDataParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(100),
				CurrencyOptions: map[string]*stripe.ProductCreateDefaultPriceDataCurrencyOptionsParams{"eur": {UnitAmount: stripe.Int64(90)}}},
				"", "default_price_data[currency_options]"},
		} {
			_, err := sc.V1Products.Create(ctx, &stripe.ProductCreateParams{Name: stripe.String("Bad"), DefaultPriceData: c.data})
			stripeErr(t, err, 400, "invalid_request_error", c.code, c.param)
		}
		if ids, _ := catalogPage(t, srv, "/v1/products"); len(ids) != 1 || ids[0] != prod.ID {
			t.Fatalf("products after refusals: %v", ids)
		}
		if ids, _ := catalogPage(t, srv, "/v1/prices"); len(ids) != 1 || ids[0] != dp.ID {
			t.Fatalf("prices after refusals: %v", ids)
		}
	})
}

func TestProducts_UpdateRecordsPreviousAttributes(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		prod := catalogProduct(t, sc, "Before", &stripe.ProductCreateParams{
			Description: stripe.String("old"), URL: stripe.String("https://example.test/old"), Metadata: map[string]string{"keep": "1", "drop": "2"},
			Images: []*string{stripe.String("https://example.test/x.png")}, Shippable: stripe.Bool(true),
		})

		up, err := sc.V1Products.Update(ctx, prod.ID, &stripe.ProductUpdateParams{
			Name: stripe.String("After"), Description: stripe.String(""), Active: stripe.Bool(false),
			Metadata:  map[string]string{"drop": "", "new": "3"},
			UnitLabel: stripe.String("seat"), Shippable: stripe.Bool(false),
		})
		if err != nil {
			t.Fatal(err)
		}
		if up.Name != "After" || up.Description != "" || up.Active || up.Metadata["keep"] != "1" || up.Metadata["new"] != "3" ||
			len(up.Metadata) != 2 || up.UnitLabel != "seat" || up.Shippable || up.URL != "https://example.test/old" ||
			up.Updated < prod.Updated {
			t.Fatalf("updated product: %+v", up)
		}
		raw := rawObject(t, srv, "/v1/products/"+prod.ID)
		if v, ok := raw["description"]; !ok || v != nil || len(raw["images"].([]any)) != 1 {
			t.Fatalf("raw after update: %v", raw)
		}

		evs := pmEvents(t, sc, "product.updated")
		if len(evs) != 1 {
			t.Fatalf("%d product.updated events", len(evs))
		}
		prev := evs[0].Data.PreviousAttributes
		md, _ := prev["metadata"].(map[string]any)
		if prev["name"] != "Before" || prev["description"] != "old" || prev["active"] != true || prev["unit_label"] != nil ||
			prev["shippable"] != true || md["drop"] != "2" || md["new"] != nil || len(md) != 2 || prev["url"] != nil {
			t.Fatalf("previous_attributes: %v", prev)
		}
		if _, ok := prev["unit_label"]; !ok {
			t.Fatalf("previous_attributes lacks unit_label: %v", prev)
		}
		if _, ok := prev["url"]; ok {
			t.Fatalf("unchanged url in previous_attributes: %v", prev)
		}

		// Unsetting with an empty value through the form, as any client may.
		r := srv.Do("POST", "/v1/products/"+prod.ID, srv.Accounts[0].Secret, "url=&images=&unit_label=&metadata=")
		if r.Status != 200 {
			t.Fatalf("unset: %d %s", r.Status, r.Body)
		}
		raw = rawObject(t, srv, "/v1/products/"+prod.ID)
		if raw["url"] != nil || raw["unit_label"] != nil || len(raw["images"].([]any)) != 0 || len(raw["metadata"].(map[string]any)) != 0 {
			t.Fatalf("after unset: %v", raw)
		}

		// Nothing changes, nothing is recorded.
		if _, err := sc.V1Products.Update(ctx, prod.ID, &stripe.ProductUpdateParams{Name: stripe.String("After")}); err != nil {
			t.Fatal(err)
		}
		if n := len(pmEvents(t, sc, "product.updated")); n != 2 {
			t.Fatalf("%d product.updated events after a no-op, want 2", n)
		}

		_, err = sc.V1Products.Update(ctx, "prod_nope", &stripe.ProductUpdateParams{Name: stripe.String("x")})
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "id")
	})
}

func TestProducts_UpdateDefaultPrice(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		prod := catalogProduct(t, sc, "A", nil)
		other := catalogProduct(t, sc, "B", nil)
		mine := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), UnitAmount: stripe.Int64(500)})
		archived := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), UnitAmount: stripe.Int64(600), Active: stripe.Bool(false)})
		theirs := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(other.ID), UnitAmount: stripe.Int64(700)})

		_, err := sc.V1Products.Update(ctx, prod.ID, &stripe.ProductUpdateParams{DefaultPrice: stripe.String("price_nope")})
		if se := stripeErr(t, err, 400, "invalid_request_error", "resource_missing", "default_price"); se.Msg != "No such price: 'price_nope'" {
			t.Fatalf("message %q", se.Msg)
		}
		_, err = sc.V1Products.Update(ctx, prod.ID, &stripe.ProductUpdateParams{DefaultPrice: stripe.String(theirs.ID)})
		if se := stripeErr(t, err, 400, "invalid_request_error", "", "default_price"); !strings.Contains(se.Msg, other.ID) {
			t.Fatalf("message %q", se.Msg)
		}
		_, err = sc.V1Products.Update(ctx, prod.ID, &stripe.ProductUpdateParams{DefaultPrice: stripe.String(archived.ID)})
		if se := stripeErr(t, err, 400, "invalid_request_error", "", "default_price"); se.Msg != "The price specified is inactive. This field only accepts active prices." {
			t.Fatalf("message %q", se.Msg)
		}

		up, err := sc.V1Products.Update(ctx, prod.ID, &stripe.ProductUpdateParams{DefaultPrice: stripe.String(mine.ID)})
		if err != nil || up.DefaultPrice == nil || up.DefaultPrice.ID != mine.ID {
			t.Fatalf("set default: %+v %v", up, err)
		}
		prev := pmEvents(t, sc, "product.updated")[0].Data.PreviousAttributes
		if v, ok := prev["default_price"]; !ok || v != nil {
			t.Fatalf("previous_attributes: %v", prev)
		}

		// The default price cannot be archived; another one can.
		_, err = sc.V1Prices.Update(ctx, mine.ID, &stripe.PriceUpdateParams{Active: stripe.Bool(false)})
		if se := stripeErr(t, err, 400, "invalid_request_error", "", "active"); se.Msg != "This price cannot be archived because it is the default price of its product." {
			t.Fatalf("message %q", se.Msg)
		}
		if p, err := sc.V1Prices.Retrieve(ctx, mine.ID, nil); err != nil || !p.Active {
			t.Fatalf("refused archive changed the price: %+v %v", p, err)
		}
	})
}

func TestProducts_ListFiltersAndPagination(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		a := catalogProduct(t, sc, "a", &stripe.ProductCreateParams{Shippable: stripe.Bool(true), URL: stripe.String("https://example.test/a")})
		b := catalogProduct(t, sc, "b", &stripe.ProductCreateParams{Active: stripe.Bool(false)})
		c := catalogProduct(t, sc, "c", &stripe.ProductCreateParams{Shippable: stripe.Bool(false)})
		d := catalogProduct(t, sc, "d", nil)
		gone := catalogProduct(t, sc, "gone", nil)
		if _, err := sc.V1Products.Delete(ctx, gone.ID, nil); err != nil {
			t.Fatal(err)
		}
		catalogProduct(t, srv.Client(1), "other account", nil)

		cases := []struct {
			query string
			want  []string
		}{
			{"", []string{d.ID, c.ID, b.ID, a.ID}},
			{"active=true", []string{d.ID, c.ID, a.ID}},
			{"active=false", []string{b.ID}},
			{"shippable=true", []string{a.ID}},
			{"shippable=false", []string{c.ID}},
			{"url=" + url.QueryEscape("https://example.test/a"), []string{a.ID}},
			{"url=" + url.QueryEscape("https://example.test/zzz"), []string{}},
			{"ids[]=" + a.ID + "&ids[]=" + c.ID + "&ids[]=prod_nope", []string{c.ID, a.ID}},
			{"ids[]=" + a.ID + "&active=false", []string{}},
			{"ids[]=" + gone.ID, []string{}},
			{"created[gte]=" + strconv.FormatInt(a.Created, 10), []string{d.ID, c.ID, b.ID, a.ID}},
			{"created[lt]=" + strconv.FormatInt(a.Created, 10), []string{}},
		}
		for _, tc := range cases {
			got, more := catalogPage(t, srv, "/v1/products?"+tc.query)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") || more {
				t.Fatalf("?%s: %v (has_more %v), want %v", tc.query, got, more, tc.want)
			}
		}

		// Pages of two, forwards and back.
		page, more := catalogPage(t, srv, "/v1/products?limit=2")
		if strings.Join(page, ",") != d.ID+","+c.ID || !more {
			t.Fatalf("page 1: %v %v", page, more)
		}
		page, more = catalogPage(t, srv, "/v1/products?limit=2&starting_after="+c.ID)
		if strings.Join(page, ",") != b.ID+","+a.ID || more {
			t.Fatalf("page 2: %v %v", page, more)
		}
		page, more = catalogPage(t, srv, "/v1/products?limit=2&ending_before="+b.ID)
		if strings.Join(page, ",") != d.ID+","+c.ID || more {
			t.Fatalf("page before b: %v %v", page, more)
		}

		// stripe-go's iterator walks every page.
		var all []string
		lp := &stripe.ProductListParams{Active: stripe.Bool(true)}
		lp.Limit = stripe.Int64(1)
		for p, err := range sc.V1Products.List(ctx, lp).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, p.ID)
		}
		if strings.Join(all, ",") != d.ID+","+c.ID+","+a.ID {
			t.Fatalf("iterated %v", all)
		}

		r := srv.Do("GET", "/v1/products?starting_after=prod_nope", srv.Accounts[0].Secret, "")
		if e := apiError(t, r); r.Status != 400 || e.Param != "starting_after" || e.Message != "No such product: 'prod_nope'" {
			t.Fatalf("unknown cursor: %d %+v", r.Status, e)
		}
	})
}

func TestProducts_Delete(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		prod := catalogProduct(t, sc, "Gone", &stripe.ProductCreateParams{Metadata: map[string]string{"k": "v"}})

		r := srv.Do("DELETE", "/v1/products/"+prod.ID, srv.Accounts[0].Secret, "")
		if r.Status != 200 || r.Body != `{"id":"`+prod.ID+`","object":"product","deleted":true}` {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		// Gone for good: a 404 naming id, not a deleted stub.
		_, err := sc.V1Products.Retrieve(ctx, prod.ID, nil)
		if se := stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "id"); se.Msg != "No such product: '"+prod.ID+"'" {
			t.Fatalf("message %q", se.Msg)
		}
		_, err = sc.V1Products.Delete(ctx, prod.ID, nil)
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "id")
		_, err = sc.V1Products.Update(ctx, prod.ID, &stripe.ProductUpdateParams{Name: stripe.String("back")})
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "id")

		// product.deleted carries the product as it was, made inactive.
		evs := pmEvents(t, sc, "product.deleted")
		if len(evs) != 1 || evs[0].Data.Object["id"] != prod.ID || evs[0].Data.Object["active"] != false ||
			evs[0].Data.Object["name"] != "Gone" || evs[0].Data.Object["object"] != "product" {
			t.Fatalf("product.deleted: %+v", evs)
		}

		// A product with a price cannot be deleted: Stripe's words, no code,
		// no param, and nothing changes.
		priced := catalogProduct(t, sc, "Priced", nil)
		price := catalogPrice(t, sc, &stripe.PriceCreateParams{Product: stripe.String(priced.ID), UnitAmount: stripe.Int64(100)})
		// Archiving the price does not make the product deletable.
		if _, err := sc.V1Prices.Update(ctx, price.ID, &stripe.PriceUpdateParams{Active: stripe.Bool(false)}); err != nil {
			t.Fatal(err)
		}
		r = srv.Do("DELETE", "/v1/products/"+priced.ID, srv.Accounts[0].Secret, "")
		if e := apiError(t, r); r.Status != 400 || e.Type != "invalid_request_error" || e.Code != "" || e.Param != "" ||
			e.Message != "This product cannot be deleted because it has one or more user-created prices." {
			t.Fatalf("delete priced: %d %s", r.Status, r.Body)
		}
		if got, err := sc.V1Products.Retrieve(ctx, priced.ID, nil); err != nil || !got.Active {
			t.Fatalf("refused delete changed the product: %+v %v", got, err)
		}
		if n := len(pmEvents(t, sc, "product.deleted")); n != 1 {
			t.Fatalf("%d product.deleted events, want 1", n)
		}
	})
}

func TestProducts_FieldRules(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		nine := make([]*string, 9)
		for i := range nine {
			nine[i] = stripe.String("https://example.test/" + strconv.Itoa(i) + ".png")
		}
		features := make([]*stripe.ProductCreateMarketingFeatureParams, 16)
		for i := range features {
			features[i] = &stripe.ProductCreateMarketingFeatureParams{Name: stripe.String("f")}
		}
		cases := []struct {
			params *stripe.ProductCreateParams
			param  string
			msg    string
		}{
			{&stripe.ProductCreateParams{Images: nine}, "images", "A product can have at most 8 images, but 9 were given."},
			{&stripe.ProductCreateParams{MarketingFeatures: features}, "marketing_features", "A product can have at most 15 marketing features, but 16 were given."},
			{&stripe.ProductCreateParams{MarketingFeatures: []*stripe.ProductCreateMarketingFeatureParams{{Name: stripe.String(strings.Repeat("x", 81))}}},
				"marketing_features[0][name]", "A marketing feature name can be at most 80 characters long."},
			{&stripe.ProductCreateParams{StatementDescriptor: stripe.String("12345")}, "statement_descriptor",
				"The statement descriptor must contain at least one Latin character."},
			{&stripe.ProductCreateParams{StatementDescriptor: stripe.String("ACME <3")}, "statement_descriptor",
				"The statement descriptor cannot include <."},
		}
		for _, c := range cases {
			c.params.Name = stripe.String("x")
			_, err := sc.V1Products.Create(ctx, c.params)
			if se := stripeErr(t, err, 400, "invalid_request_error", "", c.param); se.Msg != c.msg {
				t.Fatalf("%s: %q", c.param, se.Msg)
			}
		}
		if ids, _ := catalogPage(t, srv, "/v1/products"); len(ids) != 0 {
			t.Fatalf("refused products were written: %v", ids)
		}
	})
}
