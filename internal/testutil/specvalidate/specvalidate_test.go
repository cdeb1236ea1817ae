package specvalidate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// recorder is a testing.TB that records Errorf calls instead of failing, so
// these tests can assert that the validator fires. Everything else (Helper,
// Cleanup, Logf, …) goes to the real test through the embedded TB.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) Error(args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprint(args...))
}

func (r *recorder) Helper() {}

func (r *recorder) errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

// validCustomer is a customer as Stripe returns it: the four properties the
// spec requires (id, object, created, livemode) plus the usual optional ones.
const validCustomer = `{
  "id": "cus_123",
  "object": "customer",
  "address": null,
  "balance": 0,
  "created": 1700000000,
  "currency": null,
  "default_source": null,
  "delinquent": false,
  "description": null,
  "discount": null,
  "email": "jenny@example.com",
  "invoice_prefix": "7D3C9B1",
  "invoice_settings": {"custom_fields": null, "default_payment_method": null, "footer": null, "rendering_options": null},
  "livemode": false,
  "metadata": {"order": "42"},
  "name": "Jenny Rosen",
  "next_invoice_sequence": 1,
  "phone": null,
  "preferred_locales": [],
  "shipping": null,
  "tax_exempt": "none",
  "test_clock": null
}`

// customerWith returns validCustomer with the top-level fields in set
// replaced (or added) and those in drop removed.
func customerWith(t *testing.T, set map[string]any, drop ...string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(validCustomer), &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		m[k] = v
	}
	for _, k := range drop {
		delete(m, k)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const validCard = `{"id":"card_1","object":"card","brand":"Visa","exp_month":12,"exp_year":2030,"funding":"credit","last4":"4242","customer":"cus_123","metadata":{}}`

type fakeResponse struct {
	status      int
	contentType string
	body        string
}

// serve starts a server that answers every request with resp.
func serve(t *testing.T, resp fakeResponse) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct := resp.contentType
		if ct == "" {
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(resp.status)
		io.WriteString(w, resp.body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestTransport(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		path   string
		resp   fakeResponse
		// want are substrings of the reported error; none means it must pass.
		want []string
	}{
		{"valid customer", "GET", "/v1/customers/cus_123",
			fakeResponse{200, "", validCustomer}, nil},
		{"charset parameter is fine", "GET", "/v1/customers/cus_123",
			fakeResponse{200, "application/json; charset=utf-8", validCustomer}, nil},
		{"created is a string", "GET", "/v1/customers/cus_123",
			fakeResponse{200, "", customerWith(t, map[string]any{"created": "yesterday"})},
			[]string{"/created", "yesterday"}},
		{"missing required livemode", "GET", "/v1/customers/cus_123",
			fakeResponse{200, "", customerWith(t, nil, "livemode")},
			[]string{`/livemode: property "livemode" is missing`}},
		{"missing required id", "GET", "/v1/customers/cus_123",
			fakeResponse{200, "", customerWith(t, nil, "id")},
			[]string{`property "id" is missing`}},
		{"enum violation", "GET", "/v1/customers/cus_123",
			fakeResponse{200, "", customerWith(t, map[string]any{"tax_exempt": "sometimes"})},
			[]string{"/tax_exempt", "sometimes"}},
		{"object name wrong", "GET", "/v1/customers/cus_123",
			fakeResponse{200, "", customerWith(t, map[string]any{"object": "customers"})},
			[]string{"/object"}},
		{"null where nullable", "GET", "/v1/customers/cus_123",
			fakeResponse{200, "", customerWith(t, map[string]any{"email": nil, "tax_exempt": nil})}, nil},
		{"null where not nullable", "GET", "/v1/customers/cus_123",
			fakeResponse{200, "", customerWith(t, map[string]any{"balance": nil})},
			[]string{"/balance"}},
		{"integer as float", "GET", "/v1/customers/cus_123",
			fakeResponse{200, "", customerWith(t, map[string]any{"balance": 1.5})},
			[]string{"/balance", "integer"}},
		{"maxLength", "GET", "/v1/customers/cus_123",
			fakeResponse{200, "", customerWith(t, map[string]any{"metadata": map[string]any{"k": strings.Repeat("x", 501)}})},
			[]string{"/metadata/k", "maximum string length is 500"}},
		{"all problems at once", "GET", "/v1/customers/cus_123",
			fakeResponse{200, "", customerWith(t, map[string]any{"created": "yesterday", "livemode": "no"})},
			[]string{"/created", "/livemode"}},
		{"created in milliseconds", "GET", "/v1/customers/cus_123",
			fakeResponse{200, "", customerWith(t, map[string]any{"created": 1700000000000})},
			[]string{"/created", `format "unix-time"`}},
		{"unknown extra property is allowed", "GET", "/v1/customers/cus_123",
			fakeResponse{200, "", customerWith(t, map[string]any{"payd_extra": 1})}, nil},
		{"expandable field as id", "GET", "/v1/customers/cus_123",
			fakeResponse{200, "", customerWith(t, map[string]any{"default_source": "card_1"})}, nil},
		{"expandable field expanded", "GET", "/v1/customers/cus_123",
			fakeResponse{200, "", customerWith(t, map[string]any{"default_source": json.RawMessage(validCard)})}, nil},
		{"expandable field expanded but broken", "GET", "/v1/customers/cus_123",
			fakeResponse{200, "", customerWith(t, map[string]any{"default_source": json.RawMessage(strings.Replace(validCard, `"exp_month":12`, `"exp_month":"12"`, 1))})},
			// describe digs into the anyOf branch the object names ("card").
			[]string{"/default_source/exp_month"}},
		{"expandable field of the wrong type", "GET", "/v1/customers/cus_123",
			fakeResponse{200, "", customerWith(t, map[string]any{"default_source": 7})},
			[]string{"/default_source: a JSON number matches none of"}},
		{"deleted customer", "DELETE", "/v1/customers/cus_123",
			fakeResponse{200, "", `{"id":"cus_123","object":"customer","deleted":true}`}, nil},
		{"deleted customer with a customer body", "DELETE", "/v1/customers/cus_123",
			fakeResponse{200, "", validCustomer}, []string{"deleted"}},
		{"list", "GET", "/v1/customers",
			fakeResponse{200, "", `{"object":"list","data":[` + validCustomer + `],"has_more":false,"url":"/v1/customers"}`}, nil},
		{"list with bad url", "GET", "/v1/customers",
			fakeResponse{200, "", `{"object":"list","data":[],"has_more":false,"url":"/customers"}`},
			[]string{"/url", "regular expression"}},
		{"list with a bad item", "GET", "/v1/customers",
			fakeResponse{200, "", `{"object":"list","data":[` + customerWith(t, nil, "created") + `],"has_more":false,"url":"/v1/customers"}`},
			[]string{`/data/0/created: property "created" is missing`}},
		{"search is not taken for {customer}", "GET", "/v1/customers/search",
			fakeResponse{200, "", `{"object":"search_result","data":[],"has_more":false,"next_page":null,"url":"/v1/customers/search"}`}, nil},
		{"error envelope", "GET", "/v1/customers/cus_123",
			fakeResponse{400, "", `{"error":{"type":"invalid_request_error","message":"x"}}`}, nil},
		{"error envelope, full", "GET", "/v1/customers/cus_nope",
			fakeResponse{404, "", `{"error":{"type":"invalid_request_error","code":"resource_missing","param":"id","message":"No such customer: 'cus_nope'","doc_url":"https://stripe.com/docs/error-codes/resource-missing"}}`}, nil},
		{"error envelope with bogus type", "GET", "/v1/customers/cus_123",
			fakeResponse{400, "", `{"error":{"type":"bogus","message":"x"}}`},
			[]string{"/error/type", "bogus"}},
		{"error envelope without type", "GET", "/v1/customers/cus_123",
			fakeResponse{402, "", `{"error":{"message":"x"}}`},
			[]string{`/error/type: property "type" is missing`}},
		{"error status with an object body", "GET", "/v1/customers/cus_123",
			fakeResponse{400, "", validCustomer},
			[]string{`/error: property "error" is missing`}},
		{"undocumented success status", "GET", "/v1/customers/cus_123",
			fakeResponse{201, "", validCustomer},
			[]string{`/error: property "error" is missing`}},
		{"wrong content type", "GET", "/v1/customers/cus_123",
			fakeResponse{200, "text/plain", validCustomer},
			[]string{"text/plain"}},
		{"trailing garbage", "GET", "/v1/customers/cus_123",
			fakeResponse{200, "", validCustomer + `{}`},
			[]string{"not one valid JSON document"}},
		{"not JSON at all", "GET", "/v1/customers/cus_123",
			fakeResponse{200, "", `<html>`},
			[]string{"not one valid JSON document"}},
		{"unknown route answered 404 with envelope", "GET", "/v1/nope",
			fakeResponse{404, "", `{"error":{"type":"invalid_request_error","message":"Unrecognized request URL (GET: /v1/nope)."}}`}, nil},
		{"unknown route answered 200", "GET", "/v1/nope",
			fakeResponse{200, "", `{}`},
			[]string{"no operation GET /v1/nope", "404"}},
		{"unknown route answered 404 without envelope", "GET", "/v1/nope",
			fakeResponse{404, "text/plain", `404 page not found`},
			[]string{"application/json"}},
		{"unknown route answered 404 with bogus envelope", "GET", "/v1/nope",
			fakeResponse{404, "", `{"error":{"type":"bogus","message":"x"}}`},
			[]string{"/error/type"}},
		{"wrong method answered 404", "PUT", "/v1/customers/cus_123",
			fakeResponse{404, "", `{"error":{"type":"invalid_request_error","message":"Unrecognized request URL (PUT: /v1/customers/cus_123)."}}`}, nil},
		{"wrong method answered 200", "PUT", "/v1/customers/cus_123",
			fakeResponse{200, "", validCustomer},
			[]string{"no operation PUT"}},
		{"files route despite its own server in the spec", "GET", "/v1/files/file_1",
			fakeResponse{200, "", `{"id":"file_1","object":"file","created":1700000000,"purpose":"dispute_evidence","size":3,"filename":null,"title":null,"type":null,"url":null,"expires_at":null,"links":null}`}, nil},
		{"HEAD has no body", "HEAD", "/v1/customers/cus_123",
			fakeResponse{200, "", ""}, nil},
		{"not under /v1 is not validated", "GET", "/_payd/health",
			fakeResponse{200, "text/plain", `ok`}, nil},
		{"hosted page is not validated", "GET", "/checkout/cs_123",
			fakeResponse{200, "text/html", `<html></html>`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, tc.resp)
			rec := &recorder{TB: t}
			// A transport of its own: the parallel subtests' servers, as
			// they close, close http.DefaultTransport's idle connections,
			// which can break a HEAD whose connection has just gone idle.
			base := &http.Transport{}
			t.Cleanup(base.CloseIdleConnections)
			client := &http.Client{Transport: Transport(rec, base)}
			req, err := http.NewRequestWithContext(context.Background(), tc.method, srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if string(body) != tc.resp.body {
				t.Errorf("caller read %q, server sent %q", body, tc.resp.body)
			}
			errs := rec.errors()
			if len(tc.want) == 0 {
				if len(errs) > 0 {
					t.Errorf("want no validation error, got:\n%s", strings.Join(errs, "\n"))
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("want exactly one validation error, got %d:\n%s", len(errs), strings.Join(errs, "\n"))
			}
			msg := errs[0]
			// The message names the request and quotes the body.
			for _, w := range append([]string{tc.method + " " + tc.path, fmt.Sprintf("-> %d", tc.resp.status), "body: "}, tc.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("error does not mention %q:\n%s", w, msg)
				}
			}
			t.Logf("reported as expected:\n%s", msg)
		})
	}
}

// TestBodyExcerpt checks that a huge failing body is cut in the report.
func TestBodyExcerpt(t *testing.T) {
	t.Parallel()
	big := customerWith(t, map[string]any{"created": "yesterday", "description": strings.Repeat("d", 4000)})
	srv := serve(t, fakeResponse{200, "", big})
	rec := &recorder{TB: t}
	resp, err := (&http.Client{Transport: Transport(rec, nil)}).Get(srv.URL + "/v1/customers/cus_123")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	errs := rec.errors()
	if len(errs) != 1 {
		t.Fatalf("want one error, got %v", errs)
	}
	if len(errs[0]) > 3500 || !strings.Contains(errs[0], fmt.Sprintf("(%d bytes in all)", len(big))) {
		t.Errorf("body not cut to an excerpt (%d bytes):\n%s", len(errs[0]), errs[0])
	}
}

// TestClientPassesValidResponses uses the real Client helper end to end.
func TestClientPassesValidResponses(t *testing.T) {
	t.Parallel()
	srv := serve(t, fakeResponse{200, "", validCustomer})
	resp, err := Client(t).Get(srv.URL + "/v1/customers/cus_123")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || c.ID != "cus_123" {
		t.Fatalf("decoding body after validation: %v, %+v", err, c)
	}
}

func TestValidateJSON(t *testing.T) {
	t.Parallel()
	event := func(object string) string {
		return `{"id":"evt_1","object":"event","api_version":"2026-08-26.dahlia","created":1700000000,"livemode":false,"pending_webhooks":1,"request":{"id":"req_1","idempotency_key":null},"type":"customer.created","data":{"object":` + object + `}}`
	}
	price := func(currency, decimal string) string {
		return `{"id":"price_1","object":"price","active":true,"billing_scheme":"per_unit","created":1700000000,"currency":"` + currency +
			`","livemode":false,"metadata":{},"product":"prod_1","type":"one_time","unit_amount":1250,"unit_amount_decimal":"` + decimal + `"}`
	}
	tests := []struct {
		name, schema, body string
		want               []string
	}{
		{"customer", "customer", validCustomer, nil},
		{"price", "price", price("usd", "1250.5"), nil},
		{"uppercase currency", "price", price("USD", "1250"), []string{"/currency", `format "currency"`}},
		{"decimal that is not a number", "price", price("usd", "12,50"), []string{"/unit_amount_decimal", `format "decimal"`}},
		{"customer with bad created", "customer", customerWith(t, map[string]any{"created": "yesterday"}), []string{"/created"}},
		{"error envelope", "error", `{"error":{"type":"card_error","code":"card_declined","decline_code":"generic_decline","message":"Your card was declined."}}`, nil},
		{"event", "event", event(validCustomer), nil},
		{"event with missing type", "event", strings.Replace(event(validCustomer), `"type":"customer.created",`, "", 1), []string{`/type: property "type" is missing`}},
		{"event whose object is broken", "event", event(customerWith(t, map[string]any{"created": "yesterday"})), []string{"/data/object/created", `schema "customer"`}},
		{"event with an object payd has no schema for", "event", event(`{"object":"something_new","x":1}`), nil},
		{"unknown schema", "no_such_schema", `{}`, []string{"no schema #/components/schemas/no_such_schema"}},
		{"invalid JSON", "customer", `{"id":`, []string{"not one valid JSON document"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{TB: t}
			ValidateJSON(rec, tc.schema, []byte(tc.body))
			errs := rec.errors()
			if len(tc.want) == 0 {
				if len(errs) > 0 {
					t.Errorf("want no error, got:\n%s", strings.Join(errs, "\n"))
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("want one error, got %d: %v", len(errs), errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs[0], w) {
					t.Errorf("error does not mention %q:\n%s", w, errs[0])
				}
			}
		})
	}
}

// TestTiming reports what the validator costs; see the package doc.
func TestTiming(t *testing.T) {
	if _, err := load(); err != nil {
		t.Fatal(err)
	}
	t.Logf("spec loaded and router built in %v", loadTime)
	req := httptest.NewRequest("GET", "http://127.0.0.1:1/v1/customers/cus_123", nil)
	h := http.Header{"Content-Type": {"application/json"}}
	const n = 200
	start := time.Now()
	for range n {
		if err := CheckResponse(req, 200, h, []byte(validCustomer)); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("validating a customer response takes %v", time.Since(start)/n)
}

// TestSpecAssumptions checks what this package relies on in the spec, so
// that a spec update breaking it fails here rather than as odd messages in
// other packages' tests. (kin-openapi's full doc.Validate would cover more
// but costs ~3 s, ~25 s under -race, on every run.)
func TestSpecAssumptions(t *testing.T) {
	s, err := load()
	if err != nil {
		t.Fatal(err)
	}
	ops := 0
	for path, item := range s.doc.Paths.Map() {
		if !strings.HasPrefix(path, "/v1/") {
			t.Errorf("path %s is outside /v1/, which Transport does not validate", path)
		}
		for method, op := range item.Operations() {
			ops++
			// Unknown statuses fall back to "default", which must be the
			// error envelope.
			def := op.Responses.Default()
			if def == nil || def.Value == nil || def.Value.Content.Get("application/json") == nil ||
				def.Value.Content.Get("application/json").Schema.Ref != "#/components/schemas/error" {
				t.Errorf("%s %s: default response is not the error schema", method, path)
			}
			if op.Responses.Status(200) == nil {
				t.Errorf("%s %s: no 200 response", method, path)
			}
		}
	}
	if len(s.doc.Paths.Map()) < 400 || ops < 500 {
		t.Errorf("spec has %d paths and %d operations, expected Stripe's ~419 and ~594", len(s.doc.Paths.Map()), ops)
	}
	// Every pattern must compile with Go's regexp, or validating it fails.
	seen := map[*openapi3.Schema]bool{}
	var walk func(where string, ref *openapi3.SchemaRef)
	walk = func(where string, ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		v := ref.Value
		seen[v] = true
		if v.Pattern != "" {
			if _, err := regexp.Compile(v.Pattern); err != nil {
				t.Errorf("%s: pattern %q: %v", where, v.Pattern, err)
			}
		}
		for name, p := range v.Properties {
			walk(where+"."+name, p)
		}
		walk(where+"[]", v.Items)
		walk(where+"{}", v.AdditionalProperties.Schema)
		for _, group := range []openapi3.SchemaRefs{v.AnyOf, v.OneOf, v.AllOf} {
			for _, b := range group {
				walk(where+"|", b)
			}
		}
	}
	for name, ref := range s.doc.Components.Schemas {
		walk(name, ref)
	}
	for path, item := range s.doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status, resp := range op.Responses.Map() {
				for _, mt := range resp.Value.Content {
					walk(method+" "+path+" "+status, mt.Schema)
				}
			}
		}
	}
	t.Logf("%d schemas checked", len(seen))
}

func BenchmarkCheckResponse(b *testing.B) {
	if _, err := load(); err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "http://127.0.0.1:1/v1/customers/cus_123", nil)
	h := http.Header{"Content-Type": {"application/json"}}
	body := []byte(validCustomer)
	for b.Loop() {
		if err := CheckResponse(req, 200, h, body); err != nil {
			b.Fatal(err)
		}
	}
}
