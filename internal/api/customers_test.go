package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/testutil/paydtest"
)

var ctx = context.Background()

// stripeErr asserts err is a Stripe API error with the given status, type,
// code and param.
func stripeErr(t *testing.T, err error, status int, typ, code, param string) *stripe.Error {
	t.Helper()
	var se *stripe.Error
	if !errors.As(err, &se) {
		t.Fatalf("got %v (%T), want *stripe.Error", err, err)
	}
	if se.HTTPStatusCode != status || string(se.Type) != typ || string(se.Code) != code || se.Param != param {
		t.Fatalf("got status=%d type=%s code=%s param=%s (%q), want %d %s %s %s",
			se.HTTPStatusCode, se.Type, se.Code, se.Param, se.Msg, status, typ, code, param)
	}
	if !strings.HasPrefix(se.RequestID, "req_") {
		t.Fatalf("error without Request-Id: %q", se.RequestID)
	}
	return se
}

func TestCustomers_CreateRetrieveUpdateDelete(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)

		c, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
			Email:            stripe.String("jenny.rosen@example.com"),
			Name:             stripe.String("Jenny Rosen"),
			Description:      stripe.String("first customer"),
			Phone:            stripe.String("+15555550100"),
			PreferredLocales: []*string{stripe.String("de"), stripe.String("en")},
			Balance:          stripe.Int64(-500),
			Address: &stripe.AddressParams{
				Line1: stripe.String("1 Main St"), City: stripe.String("Berlin"),
				PostalCode: stripe.String("10115"), Country: stripe.String("DE"),
			},
			Shipping: &stripe.CustomerCreateShippingParams{
				Name:    stripe.String("Jenny Rosen"),
				Address: &stripe.AddressParams{Line1: stripe.String("2 Side St"), Country: stripe.String("DE")},
			},
			InvoiceSettings: &stripe.CustomerCreateInvoiceSettingsParams{
				Footer: stripe.String("Thanks"),
				CustomFields: []*stripe.CustomerCreateInvoiceSettingsCustomFieldParams{
					{Name: stripe.String("VAT"), Value: stripe.String("DE123")},
				},
			},
			TaxExempt: stripe.String("exempt"),
			Metadata:  map[string]string{"order": "6735", "tier": "gold"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(c.ID, "cus_") || strings.Contains(c.ID[4:], "_") {
			t.Fatalf("id %q", c.ID)
		}
		if c.Email != "jenny.rosen@example.com" || c.Name != "Jenny Rosen" || c.Balance != -500 ||
			c.Address.City != "Berlin" || c.Shipping.Address.Line1 != "2 Side St" || c.Livemode || c.Created == 0 ||
			c.Metadata["order"] != "6735" || len(c.PreferredLocales) != 2 || c.InvoiceSettings.Footer != "Thanks" ||
			c.InvoiceSettings.CustomFields[0].Value != "DE123" || c.TaxExempt != "exempt" || c.InvoicePrefix == "" ||
			c.NextInvoiceSequence != 1 {
			t.Fatalf("created customer: %+v", c)
		}

		got, err := sc.V1Customers.Retrieve(ctx, c.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.Email != c.Email || got.Metadata["tier"] != "gold" || got.Deleted {
			t.Fatalf("retrieved %+v", got)
		}

		// Update: metadata merges, "" deletes a key, "" unsets a field.
		up := &stripe.CustomerUpdateParams{Name: stripe.String("Jenny R.")}
		up.AddMetadata("tier", "")
		up.AddMetadata("new", "yes")
		up.AddExtra("description", "")
		up.AddExtra("address", "")
		u, err := sc.V1Customers.Update(ctx, c.ID, up)
		if err != nil {
			t.Fatal(err)
		}
		if u.Name != "Jenny R." || u.Description != "" || u.Address != nil || u.Metadata["order"] != "6735" ||
			u.Metadata["new"] != "yes" || len(u.Metadata) != 2 || u.Email != c.Email {
			t.Fatalf("updated %+v", u)
		}
		raw := srv.Do("GET", "/v1/customers/"+c.ID, srv.Accounts[0].Secret, "")
		if !strings.Contains(raw.Body, `"description":null`) || !strings.Contains(raw.Body, `"address":null`) {
			t.Fatalf("unset fields must be null: %s", raw.Body)
		}

		d, err := sc.V1Customers.Delete(ctx, c.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Deleted || d.ID != c.ID {
			t.Fatalf("deleted %+v", d)
		}
		// Stripe still answers a retrieve of a deleted customer with the stub.
		gone, err := sc.V1Customers.Retrieve(ctx, c.ID, nil)
		if err != nil || !gone.Deleted {
			t.Fatalf("retrieve deleted: %+v %v", gone, err)
		}
		_, err = sc.V1Customers.Update(ctx, c.ID, &stripe.CustomerUpdateParams{Name: stripe.String("x")})
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "id")
		_, err = sc.V1Customers.Delete(ctx, c.ID, nil)
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "id")
		for c := range sc.V1Customers.List(ctx, &stripe.CustomerListParams{}).All(ctx) {
			t.Fatalf("deleted customer listed: %s", c.ID)
		}
	})
}

func TestCustomers_ParameterErrors(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sk := srv.Accounts[0].Secret
		cases := []struct {
			method, path, body string
			status             int
			code, param        string
		}{
			{"POST", "/v1/customers", "emial=x@example.com", 400, "parameter_unknown", "emial"},
			{"POST", "/v1/customers", "address[line9]=x", 400, "parameter_unknown", "address[line9]"},
			{"POST", "/v1/customers", "balance=12abc", 400, "parameter_invalid_integer", "balance"},
			{"POST", "/v1/customers", "shipping[name]=x", 400, "parameter_missing", "shipping[address]"},
			{"POST", "/v1/customers", "email=", 400, "parameter_invalid_empty", "email"},
			{"POST", "/v1/customers", "tax_exempt=sometimes", 400, "", "tax_exempt"},
			{"POST", "/v1/customers", "source=tok_visa", 400, "", "source"},
			{"POST", "/v1/customers", "payment_method=pm_nope", 400, "resource_missing", "payment_method"},
			{"POST", "/v1/customers", "test_clock=clock_1", 400, "", "test_clock"},
			{"POST", "/v1/customers", "invoice_prefix=ab", 400, "", "invoice_prefix"},
			{"POST", "/v1/customers", "metadata[" + strings.Repeat("k", 41) + "]=v", 400, "", "metadata"},
			{"POST", "/v1/customers", "metadata[k]=" + strings.Repeat("v", 501), 400, "", "metadata[k]"},
			{"GET", "/v1/customers?limit=0", "", 400, "parameter_invalid_integer", "limit"},
			{"GET", "/v1/customers?limit=101", "", 400, "parameter_invalid_integer", "limit"},
			{"GET", "/v1/customers?limit=ten", "", 400, "parameter_invalid_integer", "limit"},
			{"GET", "/v1/customers?colour=red", "", 400, "parameter_unknown", "colour"},
			{"GET", "/v1/customers?starting_after=cus_nope", "", 400, "resource_missing", "starting_after"},
			{"GET", "/v1/customers?expand[]=email", "", 400, "", "expand"},
			{"GET", "/v1/customers/cus_nope", "", 404, "resource_missing", "id"},
			{"POST", "/v1/customers/cus_nope", "name=x", 404, "resource_missing", "id"},
			{"DELETE", "/v1/customers/cus_nope", "", 404, "resource_missing", "id"},
			{"GET", "/v1/events/evt_nope", "", 404, "resource_missing", "id"},
		}
		var metadata51 []string
		for i := 0; i < 51; i++ {
			metadata51 = append(metadata51, fmt.Sprintf("metadata[k%d]=v", i))
		}
		cases = append(cases, struct {
			method, path, body string
			status             int
			code, param        string
		}{"POST", "/v1/customers", strings.Join(metadata51, "&"), 400, "", "metadata"})
		for _, tc := range cases {
			r := srv.Do(tc.method, tc.path, sk, tc.body)
			var env struct {
				Error struct{ Type, Code, Param, Message string }
			}
			if err := json.Unmarshal([]byte(r.Body), &env); err != nil {
				t.Fatalf("%s %s: %v: %s", tc.method, tc.path, err, r.Body)
			}
			if r.Status != tc.status || env.Error.Type != "invalid_request_error" || env.Error.Code != tc.code ||
				env.Error.Param != tc.param || env.Error.Message == "" {
				t.Errorf("%s %s %.60s: got %d %+v, want %d code=%q param=%q", tc.method, tc.path, tc.body, r.Status, env.Error, tc.status, tc.code, tc.param)
			}
		}
		// Nothing was created by any of the rejected requests.
		n := 0
		for range srv.Client(0).V1Customers.List(ctx, &stripe.CustomerListParams{}).All(ctx) {
			n++
		}
		if n != 0 {
			t.Fatalf("%d customers exist after only invalid requests", n)
		}
	})
}

func TestCustomers_ListPaginationAndFilters(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		var ids []string
		for i := 0; i < 25; i++ {
			email := "other@example.com"
			if i%5 == 0 {
				email = "five@example.com"
			}
			c, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String(email)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		// The other account's customers never show up.
		if _, err := srv.Client(1).V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("five@example.com")}); err != nil {
			t.Fatal(err)
		}

		// Auto-pagination through stripe-go walks every page, newest first.
		var got []string
		params := &stripe.CustomerListParams{}
		params.Limit = stripe.Int64(7)
		for c, err := range sc.V1Customers.List(ctx, params).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, c.ID)
		}
		if len(got) != 25 {
			t.Fatalf("listed %d, want 25", len(got))
		}
		for i := range got {
			if got[i] != ids[24-i] {
				t.Fatalf("position %d: got %s, want %s (newest first)", i, got[i], ids[24-i])
			}
		}

		// ending_before pages backwards.
		r := srv.Do("GET", "/v1/customers?limit=3&ending_before="+ids[10], srv.Accounts[0].Secret, "")
		var page struct {
			Object  string
			URL     string
			HasMore bool `json:"has_more"`
			Data    []struct{ ID string }
		}
		json.Unmarshal([]byte(r.Body), &page)
		if page.Object != "list" || page.URL != "/v1/customers" || !page.HasMore || len(page.Data) != 3 ||
			page.Data[0].ID != ids[13] || page.Data[2].ID != ids[11] {
			t.Fatalf("ending_before page: %s", r.Body)
		}

		// email filter.
		n := 0
		for c, err := range sc.V1Customers.List(ctx, &stripe.CustomerListParams{Email: stripe.String("five@example.com")}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if c.Email != "five@example.com" {
				t.Fatalf("email filter returned %s", c.Email)
			}
			n++
		}
		if n != 5 {
			t.Fatalf("email filter: %d, want 5", n)
		}

		// created filters: everything was created now; a window in the
		// future is empty and one around now is full.
		first, _ := sc.V1Customers.Retrieve(ctx, ids[0], nil)
		count := func(rq *stripe.RangeQueryParams) int {
			n := 0
			for _, err := range sc.V1Customers.List(ctx, &stripe.CustomerListParams{CreatedRange: rq}).All(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			return n
		}
		if n := count(&stripe.RangeQueryParams{GreaterThan: first.Created + 3600}); n != 0 {
			t.Fatalf("created[gt]=future: %d", n)
		}
		if n := count(&stripe.RangeQueryParams{GreaterThanOrEqual: first.Created - 5, LesserThan: first.Created + 3600}); n != 25 {
			t.Fatalf("created window: %d", n)
		}

		// The customer's payment methods list exists and is empty.
		pms := 0
		for _, err := range sc.V1Customers.ListPaymentMethods(ctx, &stripe.CustomerListPaymentMethodsParams{Customer: stripe.String(ids[0])}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			pms++
		}
		if pms != 0 {
			t.Fatalf("payment methods: %d", pms)
		}
	})
}

func TestExpand(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sk := srv.Accounts[0].Secret
		c, err := srv.Client(0).V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("a@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		// Null expandable fields stay null; lists take the data. prefix.
		r := srv.Do("GET", "/v1/customers/"+c.ID+"?expand[]=test_clock&expand[]=invoice_settings.default_payment_method", sk, "")
		if r.Status != 200 || !strings.Contains(r.Body, `"test_clock":null`) {
			t.Fatalf("expand null: %d %s", r.Status, r.Body)
		}
		r = srv.Do("GET", "/v1/customers?expand[]=data.test_clock", sk, "")
		if r.Status != 200 {
			t.Fatalf("list expand: %d %s", r.Status, r.Body)
		}
		for _, bad := range []string{"test_clock", "data.email", "data.a.b.c.d.e"} {
			r = srv.Do("GET", "/v1/customers?expand[]="+bad, sk, "")
			if r.Status != 400 || !strings.Contains(r.Body, `"param":"expand"`) {
				t.Fatalf("expand %s: %d %s", bad, r.Status, r.Body)
			}
		}
		r = srv.Do("GET", "/v1/customers/"+c.ID+"?expand[]=email", sk, "")
		if r.Status != 400 {
			t.Fatalf("expand scalar: %d %s", r.Status, r.Body)
		}
	})
}

func TestCustomers_DeleteDetachesPaymentMethods(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		c, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("a@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		pm, err := sc.V1PaymentMethods.Attach(ctx, "pm_card_visa", &stripe.PaymentMethodAttachParams{Customer: stripe.String(c.ID)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1Customers.Delete(ctx, c.ID, nil); err != nil {
			t.Fatal(err)
		}
		got, err := sc.V1PaymentMethods.Retrieve(ctx, pm.ID, nil)
		if err != nil || got.Customer != nil {
			t.Fatalf("payment method after customer delete: %+v %v", got, err)
		}
		types := eventTypes(t, sc)
		if strings.Join(types[len(types)-2:], ",") != "payment_method.detached,customer.deleted" {
			t.Fatalf("events: %v", types)
		}
	})
}

func TestCustomers_PaymentMethodAndDefault(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		c, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{PaymentMethod: stripe.String("pm_card_visa"),
			InvoiceSettings: &stripe.CustomerCreateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String("pm_card_visa")}})
		if err != nil {
			t.Fatal(err)
		}
		def := c.InvoiceSettings.DefaultPaymentMethod
		if def == nil || !strings.HasPrefix(def.ID, "pm_") || def.ID == "pm_card_visa" {
			t.Fatalf("default: %+v", c.InvoiceSettings)
		}
		pm, err := sc.V1PaymentMethods.Retrieve(ctx, def.ID, nil)
		if err != nil || pm.Customer == nil || pm.Customer.ID != c.ID {
			t.Fatalf("attached: %+v %v", pm, err)
		}
		// The default must be one of the customer's own methods.
		other, _ := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{PaymentMethod: stripe.String("pm_card_mastercard")})
		otherPM := ""
		for p, err := range sc.V1Customers.ListPaymentMethods(ctx, &stripe.CustomerListPaymentMethodsParams{Customer: stripe.String(other.ID)}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			otherPM = p.ID
		}
		_, err = sc.V1Customers.Update(ctx, c.ID, &stripe.CustomerUpdateParams{
			InvoiceSettings: &stripe.CustomerUpdateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(otherPM)}})
		stripeErr(t, err, 400, "invalid_request_error", "", "invoice_settings[default_payment_method]")
		// Detaching the default clears it.
		if _, err := sc.V1PaymentMethods.Detach(ctx, def.ID, nil); err != nil {
			t.Fatal(err)
		}
		got, _ := sc.V1Customers.Retrieve(ctx, c.ID, nil)
		if got.InvoiceSettings.DefaultPaymentMethod != nil {
			t.Fatalf("default after detach: %+v", got.InvoiceSettings.DefaultPaymentMethod)
		}
	})
}
