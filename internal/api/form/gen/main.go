// Command gen extracts the request-parameter schemas payd validates against
// from Stripe's OpenAPI spec into internal/api/form/schemas.json.
//
// The spec is 8 MB and mostly response shapes and prose; the server only
// needs the parameter shapes of the operations it implements, with every
// $ref already resolved, so they can be embedded and walked without any
// further lookups at request time.
//
// Usage, from the repository root (or via go generate in internal/api/form):
//
//	go run ./internal/api/form/gen
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// prefixes selects the operations payd serves. A path is included when it
// equals a prefix or continues it with "/".
var prefixes = []string{
	"/v1/customers",
	"/v1/events",
	"/v1/payment_methods",
	"/v1/payment_method_configurations",
	"/v1/payment_intents",
	"/v1/setup_intents",
	"/v1/setup_attempts",
	"/v1/charges",
	"/v1/refunds",
	"/v1/disputes",
	"/v1/mandates",
	"/v1/products",
	"/v1/prices",
	"/v1/checkout/sessions",
	"/v1/payment_links",
	"/v1/webhook_endpoints",
	"/v1/confirmation_tokens",
	"/v1/test_helpers/confirmation_tokens",
	"/v1/customer_sessions",
	"/v1/tokens",
}

// emptyable lists parameters the live API lets callers unset with an empty
// string although the spec declares them as plain strings. Stripe's SDK
// maintainers have acknowledged the spec under-declares these (stripe-node
// #1834: `email: ”` clears a customer's email; stripe-node #915:
// `description: null`, sent as "", is valid on customer update). Without
// this, an SDK clearing one of these fields would get parameter_invalid_empty
// from payd but succeed against Stripe.
var emptyable = map[string][]string{
	"POST /v1/customers/{customer}": {"description", "email", "name", "phone"},
}

// schema mirrors form.Schema's JSON shape. It is duplicated rather than
// imported so the generator keeps working while the package it generates for
// does not compile (for example when schemas.json is missing).
type schema struct {
	Type                 string             `json:"type,omitempty"`
	Format               string             `json:"format,omitempty"`
	Enum                 []string           `json:"enum,omitempty"`
	MaxLength            int                `json:"maxLength,omitempty"`
	Properties           map[string]*schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	AdditionalProperties any                `json:"additionalProperties,omitempty"`
	Items                *schema            `json:"items,omitempty"`
	AnyOf                []*schema          `json:"anyOf,omitempty"`
	Bypass               bool               `json:"x-stripeBypassValidation,omitempty"`
}

// ignored are schema keywords that carry documentation or response-side
// meaning only. Anything not listed here or handled in convert stops the
// generator, so a new keyword in a future spec cannot be dropped silently.
var ignored = map[string]bool{
	"description":          true,
	"title":                true,
	"nullable":             true,
	"deprecated":           true,
	"example":              true,
	"x-stripeParam":        true,
	"x-stripeEnum":         true,
	"x-stripeResource":     true,
	"x-stripeOperations":   true,
	"x-expandableFields":   true,
	"x-expansionResources": true,
}

type generator struct {
	components map[string]any
	stack      []string // $refs being resolved, to catch cycles
}

func main() {
	root, err := repoRoot()
	if err != nil {
		log.Fatal(err)
	}
	specPath := flag.String("spec", filepath.Join(root, "spec", "stripe", "spec3.json"), "Stripe OpenAPI spec")
	outPath := flag.String("out", filepath.Join(root, "internal", "api", "form", "schemas.json"), "output file")
	flag.Parse()

	raw, err := os.ReadFile(*specPath)
	if err != nil {
		log.Fatal(err)
	}
	out, err := generate(raw)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*outPath, out, 0o644); err != nil {
		log.Fatal(err)
	}
}

// repoRoot finds the module root so the generator behaves the same whether
// run from the repository root or by go generate inside the package.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("gen: go.mod not found above the working directory")
		}
		dir = parent
	}
}

func generate(raw []byte) ([]byte, error) {
	var spec struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("gen: parsing spec: %w", err)
	}
	g := &generator{components: spec.Components.Schemas}

	ops := map[string]*schema{}
	paths := make([]string, 0, len(spec.Paths))
	for p := range spec.Paths {
		if included(p) {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		item := spec.Paths[p]
		var shared []map[string]any
		if rawParams, ok := item["parameters"]; ok {
			if err := json.Unmarshal(rawParams, &shared); err != nil {
				return nil, fmt.Errorf("gen: %s parameters: %w", p, err)
			}
		}
		for method, rawOp := range item {
			if method == "parameters" {
				continue
			}
			var op map[string]any
			if err := json.Unmarshal(rawOp, &op); err != nil {
				return nil, fmt.Errorf("gen: %s %s: %w", method, p, err)
			}
			key := strings.ToUpper(method) + " " + p
			s, err := g.operation(method, op, shared)
			if err != nil {
				return nil, fmt.Errorf("gen: %s: %w", key, err)
			}
			ops[key] = s
		}
	}
	if err := applyEmptyable(ops); err != nil {
		return nil, err
	}
	if err := addBrowserConfirmationTokens(ops); err != nil {
		return nil, err
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ops); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func included(path string) bool {
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// operation builds the one object schema a request's parameters are checked
// against. POST parameters travel in the form body; GET and DELETE ones in
// the query string, where the spec describes them one parameter at a time.
// Some DELETE operations also declare body parameters, which SDKs may send
// either way, so those are merged in.
func (g *generator) operation(method string, op map[string]any, shared []map[string]any) (*schema, error) {
	obj := &schema{Type: "object", Properties: map[string]*schema{}, AdditionalProperties: false}

	if body := formBody(op); body != nil {
		s, err := g.convert(body)
		if err != nil {
			return nil, fmt.Errorf("request body: %w", err)
		}
		if s.Type != "object" || s.AnyOf != nil {
			return nil, fmt.Errorf("request body is not an object schema")
		}
		if method == "post" {
			if s.Properties == nil {
				s.Properties = map[string]*schema{}
			}
			if s.AdditionalProperties == nil {
				s.AdditionalProperties = false
			}
			obj = s
		} else {
			for k, v := range s.Properties {
				obj.Properties[k] = v
			}
			obj.Required = append(obj.Required, s.Required...)
		}
	}

	params, _ := op["parameters"].([]any)
	all := make([]map[string]any, 0, len(shared)+len(params))
	all = append(all, shared...)
	for _, p := range params {
		m, ok := p.(map[string]any)
		if !ok {
			return nil, errors.New("parameter is not an object")
		}
		all = append(all, m)
	}
	for _, p := range all {
		in, _ := p["in"].(string)
		if in != "query" {
			continue // path parameters come from the URL; headers are not params
		}
		name, _ := p["name"].(string)
		raw, ok := p["schema"].(map[string]any)
		if name == "" || !ok {
			return nil, fmt.Errorf("query parameter %q without a schema", name)
		}
		s, err := g.convert(raw)
		if err != nil {
			return nil, fmt.Errorf("query parameter %s: %w", name, err)
		}
		obj.Properties[name] = s
		if req, _ := p["required"].(bool); req {
			obj.Required = append(obj.Required, name)
		}
	}
	obj.Required = dedupe(obj.Required)
	return obj, nil
}

func formBody(op map[string]any) map[string]any {
	rb, _ := op["requestBody"].(map[string]any)
	content, _ := rb["content"].(map[string]any)
	form, _ := content["application/x-www-form-urlencoded"].(map[string]any)
	s, _ := form["schema"].(map[string]any)
	return s
}

func (g *generator) convert(raw map[string]any) (*schema, error) {
	if ref, ok := raw["$ref"].(string); ok {
		return g.resolve(ref)
	}
	s := &schema{}
	for k, v := range raw {
		switch k {
		case "type":
			t, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("type %v is not a string", v)
			}
			s.Type = t
		case "format":
			s.Format, _ = v.(string)
		case "maxLength":
			n, ok := v.(float64)
			if !ok {
				return nil, fmt.Errorf("maxLength %v is not a number", v)
			}
			s.MaxLength = int(n)
		case "enum":
			list, _ := v.([]any)
			for _, e := range list {
				str, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("enum value %v is not a string", e)
				}
				s.Enum = append(s.Enum, str)
			}
		case "required":
			list, _ := v.([]any)
			for _, e := range list {
				str, _ := e.(string)
				s.Required = append(s.Required, str)
			}
		case "properties":
			props, _ := v.(map[string]any)
			s.Properties = make(map[string]*schema, len(props))
			for name, pv := range props {
				pm, ok := pv.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("property %s is not a schema", name)
				}
				ps, err := g.convert(pm)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", name, err)
				}
				s.Properties[name] = ps
			}
		case "additionalProperties":
			switch ap := v.(type) {
			case bool:
				s.AdditionalProperties = ap
			case map[string]any:
				as, err := g.convert(ap)
				if err != nil {
					return nil, fmt.Errorf("additionalProperties: %w", err)
				}
				s.AdditionalProperties = as
			default:
				return nil, fmt.Errorf("additionalProperties %v", v)
			}
		case "items":
			im, ok := v.(map[string]any)
			if !ok {
				return nil, errors.New("items is not a schema")
			}
			is, err := g.convert(im)
			if err != nil {
				return nil, fmt.Errorf("items: %w", err)
			}
			s.Items = is
		case "anyOf", "oneOf":
			// Form parameters carry no discriminator, so oneOf can only be
			// checked the way anyOf is: first branch that fits.
			list, _ := v.([]any)
			for i, b := range list {
				bm, ok := b.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("%s[%d] is not a schema", k, i)
				}
				bs, err := g.convert(bm)
				if err != nil {
					return nil, fmt.Errorf("%s[%d]: %w", k, i, err)
				}
				s.AnyOf = append(s.AnyOf, bs)
			}
		case "x-stripeBypassValidation":
			s.Bypass, _ = v.(bool)
		default:
			if !ignored[k] {
				return nil, fmt.Errorf("unsupported schema keyword %q", k)
			}
		}
	}
	if s.Type == "" && s.AnyOf == nil {
		// An untyped schema would let anything through, including nested
		// parameters nobody declared; refuse rather than emit one.
		return nil, errors.New("schema has neither type nor anyOf")
	}
	sort.Strings(s.Required)
	return s, nil
}

func (g *generator) resolve(ref string) (*schema, error) {
	const prefix = "#/components/schemas/"
	if !strings.HasPrefix(ref, prefix) {
		return nil, fmt.Errorf("unsupported $ref %s", ref)
	}
	for _, r := range g.stack {
		if r == ref {
			return nil, fmt.Errorf("recursive $ref %s cannot be inlined", ref)
		}
	}
	target, ok := g.components[strings.TrimPrefix(ref, prefix)].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("dangling $ref %s", ref)
	}
	g.stack = append(g.stack, ref)
	defer func() { g.stack = g.stack[:len(g.stack)-1] }()
	return g.convert(target)
}

func applyEmptyable(ops map[string]*schema) error {
	for key, names := range emptyable {
		op, ok := ops[key]
		if !ok {
			return fmt.Errorf("gen: emptyable override for unknown operation %s", key)
		}
		for _, name := range names {
			p, ok := op.Properties[name]
			if !ok {
				return fmt.Errorf("gen: emptyable override for unknown parameter %s on %s", name, key)
			}
			if p.AnyOf != nil || p.Type != "string" {
				return fmt.Errorf("gen: emptyable override on %s %s is stale: the spec now declares it as %+v", key, name, p)
			}
			op.Properties[name] = &schema{AnyOf: []*schema{p, {Type: "string", Enum: []string{""}}}}
		}
	}
	return nil
}

// addBrowserConfirmationTokens defines POST /v1/confirmation_tokens, the
// call behind Stripe.js's stripe.createConfirmationToken(), which Stripe's
// public spec leaves out. It is assembled from the spec's own pieces so it
// validates exactly like them: the test helper's parameters, plus the card
// hash of POST /v1/payment_methods (a browser sends card details with a
// publishable key; the test helper cannot) and the client-key form of an
// intent confirm's mandate_data (online acceptance only: a browser cannot
// vouch for an offline mandate).
func addBrowserConfirmationTokens(ops map[string]*schema) error {
	const key = "POST /v1/confirmation_tokens"
	helper := ops["POST /v1/test_helpers/confirmation_tokens"]
	methods := ops["POST /v1/payment_methods"]
	confirm := ops["POST /v1/payment_intents/{intent}/confirm"]
	if helper == nil || methods == nil || confirm == nil {
		return fmt.Errorf("gen: %s: an operation it is built from is not included", key)
	}
	ct := cloneSchema(helper)
	pmd := ct.Properties["payment_method_data"]
	card := methods.Properties["card"]
	if pmd == nil || card == nil {
		return fmt.Errorf("gen: %s: payment_method_data or card is missing from the spec", key)
	}
	pmd.Properties["card"] = cloneSchema(card)
	var online *schema
	if md := confirm.Properties["mandate_data"]; md != nil {
		for _, b := range md.AnyOf {
			ca := b.Properties["customer_acceptance"]
			if ca != nil && ca.Properties["type"] != nil && len(ca.Properties["type"].Enum) == 1 && ca.Properties["type"].Enum[0] == "online" {
				online = b
			}
		}
	}
	if online == nil {
		return fmt.Errorf("gen: %s: the client-key form of mandate_data is missing from the spec", key)
	}
	ct.Properties["mandate_data"] = cloneSchema(online)
	ops[key] = ct
	return nil
}

// cloneSchema deep-copies s so that an assembled operation never shares
// (and so never changes) the schemas of the operations it borrows from.
func cloneSchema(s *schema) *schema {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // a schema built by convert always marshals
	}
	var out schema
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return &out
}

func dedupe(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	sort.Strings(list)
	out := list[:1]
	for _, s := range list[1:] {
		if s != out[len(out)-1] {
			out = append(out, s)
		}
	}
	return out
}
