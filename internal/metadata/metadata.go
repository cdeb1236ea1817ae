// Package metadata applies Stripe's metadata parameter to an object's
// metadata with Stripe's limits, so every resource enforces them the same way.
package metadata

import (
	"fmt"
	"unicode/utf8"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/param"
)

// Stripe's documented limits.
const (
	MaxKeys        = 50
	MaxKeyLength   = 40
	MaxValueLength = 500
)

// Apply merges p[key] into current and returns the result (never nil). An
// empty string for the whole hash clears it; an empty value deletes that key;
// other keys are kept, as Stripe does on update.
func Apply(current map[string]string, p param.Map, key string) (map[string]string, error) {
	out := make(map[string]string, len(current))
	for k, v := range current {
		out[k] = v
	}
	if !p.Has(key) {
		return out, nil
	}
	if p.Unset(key) {
		return map[string]string{}, nil
	}
	for k, v := range p.Map(key) {
		s, ok := v.(string)
		if !ok {
			return nil, errs.Invalid("", param.Path(key, k), "Invalid val: metadata values must be strings")
		}
		if utf8.RuneCountInString(k) > MaxKeyLength {
			return nil, errs.Invalid("", key, "Invalid key: %s must be a string under %d characters", k, MaxKeyLength+1)
		}
		if utf8.RuneCountInString(s) > MaxValueLength {
			return nil, errs.Invalid("", param.Path(key, k), "Invalid val: %s must be a string under %d characters", truncate(s), MaxValueLength+1)
		}
		if s == "" {
			delete(out, k)
			continue
		}
		out[k] = s
	}
	if len(out) > MaxKeys {
		return nil, errs.Invalid("", key, "Metadata can have up to %d keys, but you've set %d.", MaxKeys, len(out))
	}
	return out, nil
}

func truncate(s string) string {
	if len(s) > 60 {
		return fmt.Sprintf("%s...", s[:60])
	}
	return s
}
