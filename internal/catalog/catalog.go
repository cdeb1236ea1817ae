// Package catalog implements Stripe's Products and Prices: what is sold and
// what it costs. A price belongs to one product, never changes its amount,
// currency or recurrence once made, and is archived (active=false) rather
// than deleted; a product can only be deleted while no price names it.
//
// payd supports Stripe's per-unit pricing: a fixed unit_amount (or a
// decimal one), or an amount the customer chooses (custom_unit_amount),
// one-time or licensed recurring. Tiers, quantity transforms, metered usage
// and per-currency options are refused by name rather than stored and
// ignored. The package knows nothing of HTTP or SQL.
package catalog

import (
	"time"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/param"
)

// Where products and prices live.
const (
	ProductTable = "products"
	PriceTable   = "prices"
)

// Id prefixes.
const (
	ProductPrefix = "prod"
	PricePrefix   = "price"
)

// Service runs catalog operations inside the caller's transaction.
type Service struct {
	Now func() time.Time
}

// Deleted is what Stripe answers for a deleted product.
type Deleted struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

// exclusive is Stripe's answer to two parameters that may not be sent
// together; it names the second.
func exclusive(path, first, second string) *errs.Error {
	return errs.Invalid("parameters_exclusive", param.Path(path, second),
		"You may only specify one of these parameters: %s, %s.", first, second)
}

// boolCol is a boolean as the catalog tables store it: INTEGER 0/1 on both
// engines, so one filter value works for either.
func boolCol(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func nullable(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func ptr[T any](v T) *T { return &v }
