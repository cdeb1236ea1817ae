// Package param reads request parameters after the API layer has decoded
// and validated them against Stripe's schema for the operation. Values are
// already typed (string, int64, bool, map, slice); a key present with a nil
// value means the caller sent an empty string to unset the field.
package param

import (
	"slices"

	"github.com/payd/payd/internal/errs"
)

// Map is one validated level of parameters.
type Map map[string]any

// Has reports whether key was sent at all.
func (m Map) Has(key string) bool {
	_, ok := m[key]
	return ok
}

// Without returns a copy of m (one level deep) without key: for passing
// parameters on without one the caller has dealt with, leaving m itself as
// it was (a write transaction may run its function again on the same
// parameters).
func (m Map) Without(key string) Map {
	out := make(Map, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// Unset reports whether key was sent as an empty string (Stripe's "unset").
func (m Map) Unset(key string) bool {
	v, ok := m[key]
	return ok && (v == nil || v == "")
}

// String returns the string at key, or nil when absent or unset.
func (m Map) String(key string) *string {
	if s, ok := m[key].(string); ok {
		return &s
	}
	return nil
}

// Str returns the string at key or "".
func (m Map) Str(key string) string {
	s, _ := m[key].(string)
	return s
}

// Int returns the integer at key, or nil.
func (m Map) Int(key string) *int64 {
	if n, ok := m[key].(int64); ok {
		return &n
	}
	return nil
}

// Bool returns the boolean at key, or nil.
func (m Map) Bool(key string) *bool {
	if b, ok := m[key].(bool); ok {
		return &b
	}
	return nil
}

// Map returns the nested hash at key, or nil.
func (m Map) Map(key string) Map {
	switch v := m[key].(type) {
	case map[string]any:
		return Map(v)
	case Map:
		return v
	}
	return nil
}

// Strings returns the array of strings at key, or nil.
func (m Map) Strings(key string) []string {
	arr, ok := m[key].([]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(arr))
	for _, v := range arr {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Maps returns the array of hashes at key, or nil.
func (m Map) Maps(key string) []Map {
	arr, ok := m[key].([]any)
	if !ok {
		return nil
	}
	out := make([]Map, 0, len(arr))
	for _, v := range arr {
		if h, ok := v.(map[string]any); ok {
			out = append(out, Map(h))
		}
	}
	return out
}

// Path joins a parent param path and a child key in bracket notation:
// Path("address", "line1") == "address[line1]".
func Path(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "[" + key + "]"
}

// Optional applies an optional string field: absent leaves *dst alone, an
// empty string (Stripe's unset) makes it null, anything else sets it.
func (m Map) Optional(key string, dst **string) {
	if !m.Has(key) {
		return
	}
	*dst = m.String(key)
	if *dst != nil && **dst == "" {
		*dst = nil
	}
}

// Refuse answers the first parameter of m (in name order, so the answer
// does not depend on map iteration) that payd does not support, with the
// reason given; nil when none was sent. Such parameters are refused,
// never silently ignored.
func (m Map) Refuse(unsupported map[string]string) error {
	names := make([]string, 0, len(unsupported))
	for name := range unsupported {
		if m.Has(name) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	return errs.Invalid("", names[0], "%s", unsupported[names[0]])
}

// RefuseEnabled answers the first feature of unsupported (in name order)
// that m turns on, as name=true or name[enabled]=true, with the reason
// given; turning a feature off asks for nothing payd lacks.
func (m Map) RefuseEnabled(unsupported map[string]string) error {
	names := make([]string, 0, len(unsupported))
	for name := range unsupported {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if b := m.Bool(name); b != nil && *b {
			return errs.Invalid("", name, "%s", unsupported[name])
		}
		if sub := m.Map(name); sub != nil {
			if b := sub.Bool("enabled"); b != nil && *b {
				return errs.Invalid("", Path(name, "enabled"), "%s", unsupported[name])
			}
		}
	}
	return nil
}
