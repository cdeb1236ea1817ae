package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/metadata"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/store"
)

// Stripe's documented limits on a product's lists.
const (
	maxImages            = 8
	maxMarketingFeatures = 15
	maxFeatureName       = 80
)

// Product is Stripe's product object. It carries only the fields of the
// pinned spec: the live API's undeclared type, attributes and tax_details
// are left out.
type Product struct {
	ID                  string             `json:"id"`
	Object              string             `json:"object"`
	Active              bool               `json:"active"`
	Created             int64              `json:"created"`
	DefaultPrice        *string            `json:"default_price"`
	Description         *string            `json:"description"`
	Images              []string           `json:"images"`
	Livemode            bool               `json:"livemode"`
	MarketingFeatures   []MarketingFeature `json:"marketing_features"`
	Metadata            map[string]string  `json:"metadata"`
	Name                string             `json:"name"`
	PackageDimensions   *PackageDimensions `json:"package_dimensions"`
	Shippable           *bool              `json:"shippable"`
	StatementDescriptor *string            `json:"statement_descriptor"`
	TaxCode             *string            `json:"tax_code"`
	UnitLabel           *string            `json:"unit_label"`
	Updated             int64              `json:"updated"`
	URL                 *string            `json:"url"`
}

// MarketingFeature is one line of a product's feature list.
type MarketingFeature struct {
	Name string `json:"name"`
}

// PackageDimensions are a product's shipping dimensions, in inches and
// ounces. They are measurements, not money, so floats are right here.
type PackageDimensions struct {
	Height float64 `json:"height"`
	Length float64 `json:"length"`
	Weight float64 `json:"weight"`
	Width  float64 `json:"width"`
}

// GetProduct loads a product that exists and is not deleted, for the
// resources that refer to one.
func GetProduct(ctx context.Context, tx store.Tx, account, productID string) (*Product, error) {
	_, p, err := loadProduct(ctx, tx, account, productID, false, "product")
	return p, err
}

// ProductJSON is GET /v1/products/{id}: the stored product. A deleted
// product is gone: Stripe answers its id with a 404 naming id, not with
// the deleted stub customers get.
func ProductJSON(ctx context.Context, tx store.Tx, account, productID string) ([]byte, error) {
	rec, _, err := loadProduct(ctx, tx, account, productID, false, "id")
	return rec.Data, err
}

// ExpandProduct renders a product for expand[]: a deleted one becomes
// Stripe's deleted_product stub, which price.product may hold when an
// inline price outlived its product.
func ExpandProduct(ctx context.Context, tx store.Tx, account, productID string) ([]byte, error) {
	rec, err := tx.Get(ctx, ProductTable, account, productID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errs.NotFound("product", productID, "id")
	}
	if err != nil {
		return nil, err
	}
	if rec.Deleted {
		return json.Marshal(Deleted{ID: rec.ID, Object: "product", Deleted: true})
	}
	return rec.Data, nil
}

func loadProduct(ctx context.Context, tx store.Tx, account, productID string, lock bool, paramName string) (store.Record, *Product, error) {
	get := tx.Get
	if lock {
		get = tx.GetForUpdate
	}
	rec, err := get(ctx, ProductTable, account, productID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && rec.Deleted) {
		return rec, nil, errs.NotFound("product", productID, paramName)
	}
	if err != nil {
		return rec, nil, err
	}
	var p Product
	if err := json.Unmarshal(rec.Data, &p); err != nil {
		return rec, nil, err
	}
	return rec, &p, nil
}

// newProduct starts a product from create parameters (POST /v1/products,
// or the product_data of a price): the caller's id when it gives one, the
// given fields, and Stripe's defaults for the rest.
func newProduct(p param.Map, path string, now int64) (*Product, error) {
	prod := &Product{
		ID: id.New(ProductPrefix), Object: "product", Active: true, Created: now, Updated: now,
		Images: []string{}, MarketingFeatures: []MarketingFeature{}, Metadata: map[string]string{},
	}
	if v := p.String("id"); v != nil {
		prod.ID = *v
	}
	if err := applyProduct(prod, p, path); err != nil {
		return nil, err
	}
	return prod, nil
}

// applyProduct sets the fields create and update share. An empty string
// (a nil value after decoding) unsets the fields that allow it.
func applyProduct(prod *Product, p param.Map, path string) error {
	if v := p.String("name"); v != nil {
		prod.Name = *v
	}
	if v := p.Bool("active"); v != nil {
		prod.Active = *v
	}
	p.Optional("description", &prod.Description)
	p.Optional("tax_code", &prod.TaxCode)
	p.Optional("unit_label", &prod.UnitLabel)
	p.Optional("url", &prod.URL)
	if p.Has("statement_descriptor") {
		p.Optional("statement_descriptor", &prod.StatementDescriptor)
		if prod.StatementDescriptor != nil {
			if err := checkDescriptor(*prod.StatementDescriptor, param.Path(path, "statement_descriptor")); err != nil {
				return err
			}
		}
	}
	if v := p.Bool("shippable"); v != nil {
		prod.Shippable = v
	}
	if p.Has("images") {
		prod.Images = p.Strings("images")
		if prod.Images == nil {
			prod.Images = []string{}
		}
		if len(prod.Images) > maxImages {
			return errs.Invalid("", param.Path(path, "images"),
				"A product can have at most %d images, but %d were given.", maxImages, len(prod.Images))
		}
	}
	if p.Has("marketing_features") {
		prod.MarketingFeatures = []MarketingFeature{}
		features := p.Maps("marketing_features")
		if len(features) > maxMarketingFeatures {
			return errs.Invalid("", param.Path(path, "marketing_features"),
				"A product can have at most %d marketing features, but %d were given.", maxMarketingFeatures, len(features))
		}
		for i, f := range features {
			name := f.Str("name")
			if utf8.RuneCountInString(name) > maxFeatureName {
				return errs.Invalid("", param.Path(path, "marketing_features")+"["+strconv.Itoa(i)+"][name]",
					"A marketing feature name can be at most %d characters long.", maxFeatureName)
			}
			prod.MarketingFeatures = append(prod.MarketingFeatures, MarketingFeature{Name: name})
		}
	}
	if p.Has("package_dimensions") {
		prod.PackageDimensions = nil
		if d := p.Map("package_dimensions"); d != nil {
			prod.PackageDimensions = &PackageDimensions{
				Height: number(d, "height"), Length: number(d, "length"), Weight: number(d, "weight"), Width: number(d, "width"),
			}
		}
	}
	md, err := applyMetadata(prod.Metadata, p, path)
	if err != nil {
		return err
	}
	prod.Metadata = md
	return nil
}

// checkDescriptor applies Stripe's rules for a statement descriptor that
// the schema cannot express (its 22-character limit the schema enforces).
func checkDescriptor(s, paramName string) error {
	if i := strings.IndexAny(s, `<>\"'`); i >= 0 {
		return errs.Invalid("", paramName, "The statement descriptor cannot include %c.", s[i])
	}
	for _, r := range s {
		if r < unicode.MaxASCII && unicode.IsLetter(r) {
			return nil
		}
	}
	return errs.Invalid("", paramName, "The statement descriptor must contain at least one Latin character.")
}

// applyMetadata is metadata.Apply for a metadata hash nested under path,
// so that errors name its full parameter (product_data[metadata][k]).
func applyMetadata(current map[string]string, p param.Map, path string) (map[string]string, error) {
	full := param.Path(path, "metadata")
	if !p.Has("metadata") {
		return metadata.Apply(current, param.Map{}, full)
	}
	return metadata.Apply(current, param.Map{full: p["metadata"]}, full)
}

// number reads a decoded number (float64 after validation).
func number(m param.Map, key string) float64 {
	switch v := m[key].(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	}
	return 0
}

// CreateProduct answers POST /v1/products. default_price_data makes the
// product's first price in the same transaction; product.created (whose
// object already names that default_price) is recorded before the price's
// price.created, the order Stripe sends them in.
func (s *Service) CreateProduct(ctx context.Context, tx store.Tx, account string, p param.Map) ([]byte, error) {
	now := s.Now().Unix()
	prod, err := newProduct(p, "", now)
	if err != nil {
		return nil, err
	}
	var price *Price
	if dp := p.Map("default_price_data"); dp != nil {
		if price, _, err = s.draft(ctx, tx, account, dp, "default_price_data", prod, now); err != nil {
			return nil, err
		}
		prod.DefaultPrice = &price.ID
	}
	data, err := insertProduct(ctx, tx, account, now, prod)
	if err != nil {
		return nil, err
	}
	if price != nil {
		if _, err := insertPrice(ctx, tx, account, now, price, false); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// insertProduct writes a new product and records product.created. An id
// already taken (only possible for an id the caller chose) is Stripe's
// "Product already exists."
func insertProduct(ctx context.Context, tx store.Tx, account string, now int64, prod *Product) ([]byte, error) {
	data, err := json.Marshal(prod)
	if err != nil {
		return nil, err
	}
	err = tx.Insert(ctx, ProductTable, productRecord(account, prod, data, false))
	if errors.Is(err, store.ErrConflict) {
		return nil, errs.Invalid("resource_already_exists", "id", "Product already exists.")
	}
	if err != nil {
		return nil, err
	}
	if _, err := event.Record(ctx, tx, account, now, "product.created", data, nil); err != nil {
		return nil, err
	}
	return data, nil
}

func productRecord(account string, prod *Product, data []byte, deleted bool) store.Record {
	var shippable any
	if prod.Shippable != nil {
		shippable = boolCol(*prod.Shippable)
	}
	return store.Record{ID: prod.ID, Account: account, Created: prod.Created, Data: data, Deleted: deleted,
		Cols: []store.Col{
			{Name: "active", Value: boolCol(prod.Active)},
			{Name: "shippable", Value: shippable},
			{Name: "url", Value: nullable(prod.URL)},
		}}
}

// UpdateProduct answers POST /v1/products/{id}. A new default_price must
// be an active price of this product. An update that changes nothing
// records no event and leaves updated alone.
func (s *Service) UpdateProduct(ctx context.Context, tx store.Tx, account, productID string, p param.Map) ([]byte, error) {
	rec, prod, err := loadProduct(ctx, tx, account, productID, true, "id")
	if err != nil {
		return nil, err
	}
	if err := applyProduct(prod, p, ""); err != nil {
		return nil, err
	}
	if p.Has("default_price") {
		prod.DefaultPrice = nil
		if priceID := p.Str("default_price"); priceID != "" {
			if err := checkDefaultPrice(ctx, tx, account, prod.ID, priceID); err != nil {
				return nil, err
			}
			prod.DefaultPrice = &priceID
		}
	}
	if after, err := json.Marshal(prod); err != nil || string(after) == string(rec.Data) {
		return rec.Data, err
	}
	prod.Updated = s.Now().Unix()
	data, err := json.Marshal(prod)
	if err != nil {
		return nil, err
	}
	if err := tx.Put(ctx, ProductTable, productRecord(account, prod, data, false)); err != nil {
		return nil, err
	}
	if _, err := event.Record(ctx, tx, account, prod.Updated, "product.updated", data, rec.Data); err != nil {
		return nil, err
	}
	return data, nil
}

// checkDefaultPrice says why priceID cannot be productID's default price,
// or nil.
func checkDefaultPrice(ctx context.Context, tx store.Tx, account, productID, priceID string) error {
	price, err := GetPrice(ctx, tx, account, priceID)
	if e, ok := errs.As(err); ok && e.Status == 404 {
		return errs.NotFound("price", priceID, "default_price")
	}
	if err != nil {
		return err
	}
	if price.Product != productID {
		return errs.Invalid("", "default_price",
			"The price %s belongs to product %s; a product's default price must be one of its own prices.", price.ID, price.Product)
	}
	if !price.Active {
		return errs.Invalid("", "default_price", "The price specified is inactive. This field only accepts active prices.")
	}
	return nil
}

// DeleteProduct answers DELETE /v1/products/{id}. Stripe deletes only a
// product no user-created price names (inline prices, which no list
// shows, do not count); archive the others with active=false instead.
// product.deleted carries the product as it was, made inactive.
func (s *Service) DeleteProduct(ctx context.Context, tx store.Tx, account, productID string) ([]byte, error) {
	_, prod, err := loadProduct(ctx, tx, account, productID, true, "id")
	if err != nil {
		return nil, err
	}
	page, err := tx.List(ctx, PriceTable, store.ListQuery{Account: account, Limit: 1,
		Filters: []store.Filter{{Col: "product", Values: []any{prod.ID}}}})
	if err != nil {
		return nil, err
	}
	if len(page.Records) > 0 {
		return nil, errs.Invalid("", "", "This product cannot be deleted because it has one or more user-created prices.")
	}
	prod.Active = false
	data, err := json.Marshal(prod)
	if err != nil {
		return nil, err
	}
	if err := tx.Put(ctx, ProductTable, productRecord(account, prod, data, true)); err != nil {
		return nil, err
	}
	if _, err := event.Record(ctx, tx, account, s.Now().Unix(), "product.deleted", data, nil); err != nil {
		return nil, err
	}
	return json.Marshal(Deleted{ID: prod.ID, Object: "product", Deleted: true})
}
