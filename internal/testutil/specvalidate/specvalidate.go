// Package specvalidate checks payd's HTTP responses against Stripe's official
// OpenAPI spec (spec/stripe/spec3.json).
//
// payd's contract is "the official Stripe SDKs run against it unchanged". The
// SDKs are lenient decoders, so a response with a wrong type, a missing
// required field or an undocumented enum value usually slips through an SDK
// test silently and breaks some other client later. Wrapping every test's
// HTTP client in [Transport] turns each such drift into a test failure at the
// request that produced it.
//
// Only responses are validated, never requests: tests send malformed requests
// on purpose, and the SDKs' requests are Stripe's problem, not ours.
//
// The spec is 8 MB; it is parsed and the router is built once per test binary
// (~0.4 s of CPU, ~2 s under -race) and shared by all tests, which may run
// in parallel. Validating a typical single-object response then costs about
// 50 µs (~0.4 ms under -race), a 100-item list about 1.5 ms.
package specvalidate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// SpecEnv names an environment variable that, when set, overrides where the
// spec is read from. By default it is spec/stripe/spec3.json in the module
// root, found by walking up from the working directory to go.mod (go test
// runs each package's tests in that package's directory).
const SpecEnv = "PAYD_STRIPE_SPEC"

// bodyExcerpt is how much of a failing response body goes into the failure
// message: enough to recognise the object, short enough to keep logs usable.
const bodyExcerpt = 2048

// spec is the parsed document and its router, shared by the whole binary.
type spec struct {
	doc    *openapi3.T
	router routers.Router
}

var (
	loadOnce   sync.Once
	loaded     *spec
	loadErr    error
	specSource string // the file the spec was read from, for messages
	loadTime   time.Duration
)

// load parses the spec and builds the router the first time it is called.
func load() (*spec, error) {
	loadOnce.Do(func() {
		start := time.Now()
		loaded, loadErr = loadSpec()
		loadTime = time.Since(start)
		if loadErr != nil {
			loadErr = fmt.Errorf("specvalidate: loading Stripe's OpenAPI spec %s: %w", specSource, loadErr)
		}
	})
	return loaded, loadErr
}

func loadSpec() (*spec, error) {
	path, err := specPath()
	specSource = path
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	data, err := responsesOnly(raw)
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, err
	}
	// The spec pins Stripe's hosts (https://api.stripe.com/ globally, and
	// https://files.stripe.com/ on POST /v1/files and GET /v1/quotes/{quote}/pdf).
	// payd runs on http://127.0.0.1:PORT, so drop every servers entry: with
	// none, the router matches paths on any scheme and host.
	doc.Servers = nil
	for _, item := range doc.Paths.Map() {
		item.Servers = nil
		for _, op := range item.Operations() {
			op.Servers = nil
		}
	}
	// gorillamux rather than legacy: legacy.NewRouter insists on running
	// doc.Validate first (about 3 s on this spec, every test binary) and
	// quietly matches "/v1/customers/" as "/v1/customers". gorillamux builds
	// in ~20 ms and finds a route among the 419 paths in 5-30 µs, which is
	// noise next to an HTTP round trip. It orders literal paths before
	// templated ones, so /v1/customers/search is not taken for
	// /v1/customers/{customer}.
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("building router: %w", err)
	}
	return &spec{doc: doc, router: router}, nil
}

// responsesOnly drops from the spec what response validation never reads:
// request bodies, parameters and the prose of "description" fields, 7 of
// its 8 MB. kin-openapi's loader is then about 5x cheaper, which matters
// under go test -race, where loading the full spec costs ~7 s of CPU in every
// test binary that validates (about 1 s without -race).
func responsesOnly(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // numbers (maxLength, enums) go back out byte for byte
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	paths, _ := doc["paths"].(map[string]any)
	for _, item := range paths {
		item, _ := item.(map[string]any)
		delete(item, "parameters")
		for _, op := range item {
			if op, ok := op.(map[string]any); ok {
				delete(op, "parameters")
				delete(op, "requestBody")
			}
		}
	}
	dropDescriptions(doc)
	return json.Marshal(doc)
}

// dropDescriptions removes every string-valued "description" key. A
// property that happens to be called "description" (customer.description)
// is a schema object, not a string, and stays.
func dropDescriptions(v any) {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["description"].(string); ok {
			delete(v, "description")
		}
		for _, e := range v {
			dropDescriptions(e)
		}
	case []any:
		for _, e := range v {
			dropDescriptions(e)
		}
	}
}

// specPath finds the spec: $PAYD_STRIPE_SPEC, else spec/stripe/spec3.json in
// the nearest directory upwards that holds go.mod.
func specPath() (string, error) {
	if p := os.Getenv(SpecEnv); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "spec", "stripe", "spec3.json"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod found above the working directory; set " + SpecEnv)
		}
		dir = parent
	}
}

// Stripe's spec uses four formats: unix-time, currency, decimal and binary.
// None is an OpenAPI-defined format, and kin-openapi ignores formats it has
// no validator for, so out of the box all four pass anything of the right
// JSON type. Three of them are cheap to check and catch real bugs, so they
// get validators scoped to this package's validations (not kin-openapi's
// global registry, so nothing else in the binary is affected). Any format
// Stripe adds later stays unchecked rather than failing.
var formatOptions = []openapi3.SchemaValidationOption{
	// Stripe documents currencies as "three-letter ISO currency code, in
	// lowercase"; "USD" is a bug.
	openapi3.WithStringFormatValidator("currency", openapi3.NewRegexpFormatValidator(`^[a-z]{3}$`)),
	// decimal_string: a base-10 number in a string ("1000", "12.5").
	openapi3.WithStringFormatValidator("decimal", openapi3.NewRegexpFormatValidator(`^-?[0-9]+(\.[0-9]+)?$`)),
	// Seconds since the epoch. The upper bound (year 5138) catches
	// milliseconds (time.UnixMilli) passed off as seconds.
	openapi3.WithIntegerFormatValidator("unix-time", openapi3.NewRangeFormatValidator[int64](0, 1e11-1)),
}

// schemaOptions are the options of every schema validation done here.
//
// Nothing is switched off: types, required properties, enums, nullable,
// maxLength, patterns and additionalProperties:false are all enforced.
//   - x-stripeBypassValidation (on ~180 enums and 12 anyOfs of component
//     schemas) is ignored, i.e. the enum is enforced: it tells Stripe's SDK
//     generators that the live API may return values outside the enum; payd
//     must not.
//   - additionalProperties absent means extra properties are allowed (JSON
//     Schema's rule, which kin-openapi follows). Note that all 594
//     additionalProperties:false in this spec are in request bodies, so in
//     responses an unknown property never fails.
//   - required is checked in responses too; kin-openapi only exempts
//     writeOnly properties, which Stripe's spec does not use.
//
// MultiErrors reports every problem in a response at once instead of only
// the first.
func schemaOptions() []openapi3.SchemaValidationOption {
	opts := []openapi3.SchemaValidationOption{openapi3.VisitAsResponse(), openapi3.MultiErrors()}
	return append(opts, formatOptions...)
}

// Transport wraps base (http.DefaultTransport when nil) so that every
// response to a request under /v1/ is validated against Stripe's spec, and a
// mismatch is reported with t.Errorf. The response body is read in full and
// replaced, so the caller reads it as usual.
//
// Paths outside /v1/ (payd's own /_payd/ endpoints, hosted pages) are passed
// through unchecked. A /v1/ path the spec does not define is fine only when
// payd answers 404, and that 404 must be Stripe's error envelope.
func Transport(t testing.TB, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{t: t, base: base}
}

// Client returns an http.Client whose transport is Transport(t, nil). Hand it
// to the SDK, e.g. stripe.BackendConfig{HTTPClient: specvalidate.Client(t)}.
func Client(t testing.TB) *http.Client {
	return &http.Client{Transport: Transport(t, nil)}
}

type transport struct {
	t    testing.TB
	base http.RoundTripper
}

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := tr.base.RoundTrip(req)
	if err != nil || !strings.HasPrefix(req.URL.Path, "/v1/") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("specvalidate: reading response body of %s %s: %w", req.Method, req.URL.Path, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := CheckResponse(req, resp.StatusCode, resp.Header, body); err != nil {
		tr.t.Errorf("%s %s -> %d: %v\nbody: %s", req.Method, req.URL.Path, resp.StatusCode, err, excerpt(body))
	}
	return resp, nil
}

// CheckResponse validates one response to req (status, Content-Type, body)
// against the spec and returns what is wrong, or nil. It is the error-valued
// core of Transport, for callers that are not tests; requests outside /v1/
// are not checked.
func CheckResponse(req *http.Request, status int, header http.Header, body []byte) error {
	s, err := load()
	if err != nil {
		return err
	}
	if !strings.HasPrefix(req.URL.Path, "/v1/") || req.Method == http.MethodHead {
		return nil // HEAD has no body to check
	}
	switch status {
	case http.StatusMovedPermanently, http.StatusNotModified, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return nil // kin-openapi skips these too: nothing in the spec to check
	}
	route, pathParams, err := s.router.FindRoute(req)
	if err != nil {
		if !errors.Is(err, routers.ErrPathNotFound) && !errors.Is(err, routers.ErrMethodNotAllowed) {
			return fmt.Errorf("finding the operation: %w", err)
		}
		// Stripe answers an unknown URL, or a known one with the wrong
		// method, with 404 and its usual error envelope; so must payd.
		if status != http.StatusNotFound {
			return fmt.Errorf("the spec has no operation %s %s, so the status should be 404", req.Method, req.URL.Path)
		}
		if err := checkJSONContentType(header); err != nil {
			return err
		}
		if err := checkSchema(s, "error", body); err != nil {
			return fmt.Errorf("404 for an unknown operation is not Stripe's error envelope:\n%w", err)
		}
		return nil
	}
	if ct := header.Get("Content-Type"); isJSON(ct) && !json.Valid(body) {
		// kin-openapi decodes only the first JSON value of a body, so
		// trailing garbage would otherwise go unnoticed.
		return errors.New("the body is not one valid JSON document")
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    req,
			PathParams: pathParams,
			Route:      route,
		},
		Status: status,
		Header: header,
		Options: &openapi3filter.Options{
			// Every Stripe operation documents 200 and default, so this
			// never fires today; it keeps an undocumented status from
			// passing silently should a later spec drop "default".
			IncludeResponseStatus:   true,
			MultiError:              true,
			SchemaValidationOptions: formatOptions,
		},
	}
	input.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		detail := describe(err)
		var re *openapi3filter.ResponseError
		if errors.As(err, &re) && re.Err != nil {
			detail = "  " + re.Reason + ":\n" + describe(re.Err)
		}
		return fmt.Errorf("response does not match Stripe's spec for %s (%s):\n%s",
			route.Operation.OperationID, route.Path, detail)
	}
	return nil
}

// ValidateJSON validates a JSON document against
// #/components/schemas/<schemaName> (for example "event" for a webhook
// payload) and reports a mismatch with t.Errorf. For "event" it also
// validates data.object against the schema its "object" field names, since
// the spec types data.object as any object.
func ValidateJSON(t testing.TB, schemaName string, body []byte) {
	t.Helper()
	if err := CheckJSON(schemaName, body); err != nil {
		t.Errorf("JSON does not match Stripe's schema %q:\n%v\nbody: %s", schemaName, err, excerpt(body))
	}
}

// CheckJSON is the error-valued form of ValidateJSON.
func CheckJSON(schemaName string, body []byte) error {
	s, err := load()
	if err != nil {
		return err
	}
	return checkSchema(s, schemaName, body)
}

func checkSchema(s *spec, schemaName string, body []byte) error {
	ref := s.doc.Components.Schemas[schemaName]
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("the spec has no schema #/components/schemas/%s", schemaName)
	}
	if !json.Valid(body) {
		return errors.New("the body is not one valid JSON document")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // as openapi3filter does: integers stay exact
	var value any
	if err := dec.Decode(&value); err != nil {
		return err
	}
	if err := ref.Value.VisitJSON(value, schemaOptions()...); err != nil {
		return errors.New(describe(err))
	}
	if schemaName == "event" {
		return checkEventObject(s, value)
	}
	return nil
}

// checkEventObject validates an event's data.object against the schema named
// by its "object" field ("customer", "checkout.session", …): in the spec,
// data.object is a bare {"type":"object"}, so validating the envelope alone
// would let any payload through. Objects with no schema of that name are
// left alone.
func checkEventObject(s *spec, event any) error {
	data, _ := event.(map[string]any)["data"].(map[string]any)
	obj, _ := data["object"].(map[string]any)
	name, _ := obj["object"].(string)
	ref := s.doc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		return nil
	}
	if err := ref.Value.VisitJSON(obj, schemaOptions()...); err != nil {
		var lines []string
		describeInto(&lines, err, "/data/object", 0)
		sort.Strings(lines)
		return fmt.Errorf("  data.object does not match schema %q:\n    %s", name, strings.Join(dedupe(lines), "\n    "))
	}
	return nil
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

func checkJSONContentType(header http.Header) error {
	if ct := header.Get("Content-Type"); !isJSON(ct) {
		return fmt.Errorf("Content-Type is %q, want application/json", ct)
	}
	return nil
}

func excerpt(body []byte) string {
	if len(body) <= bodyExcerpt {
		return string(body)
	}
	return fmt.Sprintf("%s… (%d bytes in all)", body[:bodyExcerpt], len(body))
}

// describe renders a validation error as one line per problem,
// "/json/pointer: reason (value: …)".
//
// kin-openapi's own messages dump the whole failing schema, which for a
// Stripe object is thousands of lines, and for anyOf (every expandable field:
// id string | object | deleted object) say only "doesn't match any schema
// from anyOf". describe instead re-validates the value against the anyOf
// branches it could have meant and reports why those fail, so an error deep
// inside an expanded object points at the actual field.
func describe(err error) string {
	lines := []string{}
	describeInto(&lines, err, "", 0)
	sort.Strings(lines)
	lines = dedupe(lines)
	return "  " + strings.Join(lines, "\n  ")
}

func describeInto(lines *[]string, err error, prefix string, depth int) {
	switch e := err.(type) {
	case *openapi3filter.ResponseError:
		*lines = append(*lines, e.Error())
	case openapi3.MultiError:
		for _, inner := range e {
			describeInto(lines, inner, prefix, depth)
		}
	case *openapi3.SchemaError:
		path := prefix + "/" + strings.Join(e.JSONPointer(), "/")
		if e.SchemaField == "anyOf" && depth < 8 {
			if branches := candidateBranches(e.Schema, e.Value); len(branches) > 0 {
				for _, b := range branches {
					if berr := b.Value.VisitJSON(e.Value, schemaOptions()...); berr != nil {
						describeInto(lines, berr, strings.TrimSuffix(path, "/"), depth+1)
					}
				}
				return
			}
			*lines = append(*lines, fmt.Sprintf("%s: a JSON %s matches none of %s", path, jsonKind(e.Value), branchNames(e.Schema)))
			return
		}
		reason := e.Reason
		if reason == "" {
			reason = fmt.Sprintf("doesn't match schema keyword %q", e.SchemaField)
		}
		if e.SchemaField == "required" || e.SchemaField == "properties" {
			// The value is the whole enclosing object; printing it adds nothing.
			*lines = append(*lines, fmt.Sprintf("%s: %s", path, reason))
			return
		}
		*lines = append(*lines, fmt.Sprintf("%s: %s (value: %s)", path, reason, shortValue(e.Value)))
	default:
		*lines = append(*lines, err.Error())
	}
}

// candidateBranches picks the anyOf branches a value was plausibly meant to
// match, so that only their errors are reported: those whose type admits
// the value's JSON type; of those, for a Stripe object, the ones whose
// "object" enum names the value's "object" field; of those, the deleted_*
// variants only when the value says "deleted": true (customer and
// deleted_customer share object "customer", and GET /v1/customers/{id}
// answers anyOf both).
func candidateBranches(schema *openapi3.Schema, value any) []*openapi3.SchemaRef {
	if schema == nil {
		return nil
	}
	kind := jsonKind(value)
	var byType []*openapi3.SchemaRef
	for _, b := range schema.AnyOf {
		if b == nil || b.Value == nil {
			continue
		}
		if b.Value.Type.Permits(kind) || kind == "number" && b.Value.Type.Permits("integer") {
			byType = append(byType, b)
		}
	}
	m, ok := value.(map[string]any)
	if !ok {
		return byType
	}
	obj, _ := m["object"].(string)
	byObject := narrow(byType, func(b *openapi3.Schema) bool { return objectEnumHas(b, obj) })
	deleted := m["deleted"] == true
	return narrow(byObject, func(b *openapi3.Schema) bool { return (b.Properties["deleted"] != nil) == deleted })
}

// narrow keeps the branches that satisfy keep, or all of them if none does.
func narrow(branches []*openapi3.SchemaRef, keep func(*openapi3.Schema) bool) []*openapi3.SchemaRef {
	var out []*openapi3.SchemaRef
	for _, b := range branches {
		if keep(b.Value) {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return branches
	}
	return out
}

func objectEnumHas(s *openapi3.Schema, object string) bool {
	p := s.Properties["object"]
	if p == nil || p.Value == nil {
		return false
	}
	for _, e := range p.Value.Enum {
		if e == object {
			return true
		}
	}
	return false
}

func branchNames(s *openapi3.Schema) string {
	var names []string
	for _, b := range s.AnyOf {
		switch {
		case b.Ref != "":
			names = append(names, strings.TrimPrefix(b.Ref, "#/components/schemas/"))
		case b.Value != nil && b.Value.Type != nil:
			names = append(names, strings.Join(b.Value.Type.Slice(), "|"))
		default:
			names = append(names, "(schema)")
		}
	}
	return "[" + strings.Join(names, ", ") + "]"
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number, float64, int, int64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

var spaces = regexp.MustCompile(`\s+`)

func shortValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := spaces.ReplaceAllString(string(b), " ")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

func dedupe(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}
