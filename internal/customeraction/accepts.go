package customeraction

import "slices"

// Accepts reports whether a payment method type can take payments in
// currency; methods without a currency list take any.
func Accepts(methodType, currency string) bool {
	allowed := currencies[methodType]
	return allowed == nil || slices.Contains(allowed, currency)
}
