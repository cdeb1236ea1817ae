package api

import (
	"github.com/payd/payd/internal/catalog"
	"github.com/payd/payd/internal/store"
)

// catalogRoutes registers Products and Prices, secret key only.
func (s *Server) catalogRoutes() {
	h := catalogHandlers{catalog: s.catalog}
	s.handle("GET /v1/products/search", secretOnly, searchIn(productSearch))
	s.handle("POST /v1/products", secretOnly, h.createProduct)
	s.handle("GET /v1/products", secretOnly, h.listProducts)
	s.handle("GET /v1/products/{id}", secretOnly, h.retrieveProduct)
	s.handle("POST /v1/products/{id}", secretOnly, h.updateProduct)
	s.handle("DELETE /v1/products/{id}", secretOnly, h.deleteProduct)

	s.handle("GET /v1/prices/search", secretOnly, searchIn(priceSearch))
	s.handle("POST /v1/prices", secretOnly, h.createPrice)
	s.handle("GET /v1/prices", secretOnly, h.listPrices)
	s.handle("GET /v1/prices/{price}", secretOnly, h.retrievePrice)
	s.handle("POST /v1/prices/{price}", secretOnly, h.updatePrice)
}

// catalogHandlers holds what the Products and Prices endpoints need.
type catalogHandlers struct {
	catalog *catalog.Service
}

func (h catalogHandlers) createProduct(c *call) (result, error) {
	data, err := h.catalog.CreateProduct(c.ctx, c.tx, c.account, c.params)
	return result{body: data}, err
}

func (h catalogHandlers) retrieveProduct(c *call) (result, error) {
	data, err := catalog.ProductJSON(c.ctx, c.tx, c.account, c.path("id"))
	return result{body: data}, err
}

func (h catalogHandlers) updateProduct(c *call) (result, error) {
	data, err := h.catalog.UpdateProduct(c.ctx, c.tx, c.account, c.path("id"), c.params)
	return result{body: data}, err
}

func (h catalogHandlers) deleteProduct(c *call) (result, error) {
	data, err := h.catalog.DeleteProduct(c.ctx, c.tx, c.account, c.path("id"))
	return result{body: data}, err
}

func (h catalogHandlers) listProducts(c *call) (result, error) {
	q, err := listQuery(c)
	if err != nil {
		return result{}, err
	}
	h.filterBool(&q, c, "active", "active")
	h.filterBool(&q, c, "shippable", "shippable")
	filterString(&q, c.params, "url", "url")
	if c.params.Has("ids") {
		ids := c.params.Strings("ids")
		values := make([]any, len(ids))
		for i, id := range ids {
			values[i] = id
		}
		q.Filters = append(q.Filters, store.Filter{Col: "id", Values: values})
	}
	return list(c, catalog.ProductTable, "product", "/v1/products", q)
}

// filterBool adds an equality filter on a boolean column, which the
// catalog tables store as INTEGER 0/1.
func (catalogHandlers) filterBool(q *store.ListQuery, c *call, name, col string) {
	if v := c.params.Bool(name); v != nil {
		n := int64(0)
		if *v {
			n = 1
		}
		q.Filters = append(q.Filters, store.Filter{Col: col, Values: []any{n}})
	}
}
