package api

import (
	"github.com/payd/payd/internal/catalog"
	"github.com/payd/payd/internal/money"
	"github.com/payd/payd/internal/store"
)

func (h catalogHandlers) createPrice(c *call) (result, error) {
	data, err := h.catalog.CreatePrice(c.ctx, c.tx, c.account, c.params)
	return result{body: data}, err
}

func (h catalogHandlers) retrievePrice(c *call) (result, error) {
	data, err := catalog.PriceJSON(c.ctx, c.tx, c.account, c.path("price"))
	return result{body: data}, err
}

func (h catalogHandlers) updatePrice(c *call) (result, error) {
	data, err := h.catalog.UpdatePrice(c.ctx, c.tx, c.account, c.path("price"), c.params)
	return result{body: data}, err
}

// listPrices lists the account's prices, inline ones never (the store
// keeps them out of lists). Without active it lists archived prices too.
// An unknown product is an error, as in Stripe, rather than an empty list.
func (h catalogHandlers) listPrices(c *call) (result, error) {
	q, err := listQuery(c)
	if err != nil {
		return result{}, err
	}
	p := c.params
	h.filterBool(&q, c, "active", "active")
	if cur := p.String("currency"); cur != nil {
		q.Filters = append(q.Filters, store.Filter{Col: "currency", Values: []any{money.Normalize(*cur)}})
	}
	if productID := p.String("product"); productID != nil {
		if _, err := catalog.GetProduct(c.ctx, c.tx, c.account, *productID); err != nil {
			return result{}, err
		}
		q.Filters = append(q.Filters, store.Filter{Col: "product", Values: []any{*productID}})
	}
	filterString(&q, p, "type", "type")
	if p.Has("lookup_keys") {
		keys := p.Strings("lookup_keys")
		if err := catalog.CheckLookupKeys(keys); err != nil {
			return result{}, err
		}
		values := make([]any, len(keys))
		for i, k := range keys {
			values[i] = k
		}
		q.Filters = append(q.Filters, store.Filter{Col: "lookup_key", Values: values})
	}
	if r := p.Map("recurring"); r != nil {
		q.Filters = append(q.Filters, store.Filter{Col: "type", Values: []any{catalog.RecurringPrice}})
		if interval := r.String("interval"); interval != nil {
			q.Filters = append(q.Filters, store.Filter{Col: "recurring_interval", Values: []any{*interval}})
		}
		// Every payd price is licensed and none has a meter, so asking
		// for metered usage or a meter matches nothing.
		if r.Str("usage_type") == "metered" || r.Has("meter") {
			q.Filters = append(q.Filters, store.Filter{Col: "recurring_interval"})
		}
	}
	return list(c, catalog.PriceTable, "price", "/v1/prices", q)
}
