package form

//go:generate go run ./gen

import (
	_ "embed"
	"encoding/json"
	"errors"
	"sync"
)

// Schema is the subset of an OpenAPI schema that Stripe's request parameters
// use, with every $ref already inlined by the generator so validation never
// has to look anything up.
type Schema struct {
	// Type is object, string, integer, number, boolean or array; empty when
	// the schema is only an AnyOf.
	Type string `json:"type,omitempty"`
	// Format refines Type: unix-time integers, decimal strings (kept as
	// strings so no precision is lost), currency codes.
	Format string `json:"format,omitempty"`
	// Enum lists the accepted strings. An empty string member is Stripe's
	// way of saying the field may be unset.
	Enum       []string           `json:"enum,omitempty"`
	MaxLength  int                `json:"maxLength,omitempty"`
	Properties map[string]*Schema `json:"properties,omitempty"`
	Required   []string           `json:"required,omitempty"`
	// AdditionalProperties makes an object a free-form map (metadata is
	// {type: string}); nil or false means only Properties are accepted.
	AdditionalProperties *Additional `json:"additionalProperties,omitempty"`
	Items                *Schema     `json:"items,omitempty"`
	// AnyOf branches are tried in order. A branch {type: string, enum: [""]}
	// marks the parameter as unsettable with an empty value.
	AnyOf []*Schema `json:"anyOf,omitempty"`
	// Open mirrors x-stripeBypassValidation: the live API accepts values
	// beyond the declared ones (billing_cycle_anchor=now on an integer,
	// payment method types not yet in the enum), so a string that fails the
	// enum or type check is passed through verbatim for the handler to judge.
	Open bool `json:"x-stripeBypassValidation,omitempty"`
}

// Additional is OpenAPI's additionalProperties, which is either a boolean or
// a schema.
type Additional struct {
	Allowed bool
	Schema  *Schema
}

func (a *Additional) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "true":
		*a = Additional{Allowed: true}
		return nil
	case "false":
		*a = Additional{}
		return nil
	}
	var s Schema
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*a = Additional{Allowed: true, Schema: &s}
	return nil
}

func (a Additional) MarshalJSON() ([]byte, error) {
	if a.Schema != nil {
		return json.Marshal(a.Schema)
	}
	if a.Allowed {
		return []byte("true"), nil
	}
	return []byte("false"), nil
}

//go:embed schemas.json
var schemasJSON []byte

var (
	opsOnce sync.Once
	ops     map[string]*Schema
)

// Operation returns the request schema for an operation keyed exactly like
// the spec's paths, e.g. "POST /v1/customers/{customer}". The embedded file
// is decoded on first use and shared read-only afterwards.
func Operation(key string) (*Schema, bool) {
	opsOnce.Do(loadOperations)
	s, ok := ops[key]
	return s, ok
}

func loadOperations() {
	m := map[string]*Schema{}
	if err := json.Unmarshal(schemasJSON, &m); err != nil {
		// The file is generated and embedded at build time; failing to read
		// it is a build defect that no request could recover from.
		panic(errors.Join(errors.New("form: embedded schemas.json is corrupt"), err))
	}
	ops = m
}
