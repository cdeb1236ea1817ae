// Package search is Stripe's Search Query Language: Parse turns a query
// such as `email~"jenny" AND metadata["tier"]:"gold"` into clauses checked
// against the resource's query fields, and Match evaluates them against an
// object decoded from its stored JSON. It knows neither HTTP nor storage.
package search

import (
	"slices"
	"strings"
)

// Kind is what a query field holds, which decides the operators it takes.
type Kind int

const (
	// Text fields match exactly or by substring (~), ignoring case.
	Text Kind = iota + 1
	// Token fields match exactly, ignoring case.
	Token
	// ID fields hold object ids and match exactly, case and all: an id
	// names one object, and the store's list filters compare them so.
	ID
	// Number fields match exactly or by comparison (>, <, >=, <=).
	Number
	// Metadata is the metadata field: it takes a key (metadata["key"])
	// and matches its value exactly, ignoring case.
	Metadata
)

// Resource is one searchable resource and its query fields, as Stripe's
// docs list them (https://docs.stripe.com/search#query-fields-for-…).
type Resource struct {
	// Name is the resource as Stripe's errors name it ("customers").
	Name string
	// Anchor is the resource's section of Stripe's search docs.
	Anchor string
	Fields map[string]Kind
}

// Customers are searched by https://docs.stripe.com/search#query-fields-for-customers.
var Customers = Resource{Name: "customers", Anchor: "query-fields-for-customers", Fields: map[string]Kind{
	"created":  Number,
	"email":    Text,
	"metadata": Metadata,
	"name":     Text,
	"phone":    Text,
}}

// PaymentIntents are searched by https://docs.stripe.com/search#query-fields-for-payment-intents.
var PaymentIntents = Resource{Name: "payment_intents", Anchor: "query-fields-for-payment-intents", Fields: map[string]Kind{
	"amount":   Number,
	"created":  Number,
	"currency": Token,
	"customer": ID,
	"metadata": Metadata,
	"status":   Token,
}}

// Charges are searched by https://docs.stripe.com/search#query-fields-for-charges.
var Charges = Resource{Name: "charges", Anchor: "query-fields-for-charges", Fields: map[string]Kind{
	"amount":                                Number,
	"billing_details.address.postal_code":   Token,
	"created":                               Number,
	"currency":                              Token,
	"customer":                              ID,
	"disputed":                              Token,
	"metadata":                              Metadata,
	"payment_method_details.card.brand":     Token,
	"payment_method_details.card.exp_month": Token,
	"payment_method_details.card.exp_year":  Token,
	"payment_method_details.card.fingerprint": Token,
	"payment_method_details.card.last4":       Token,
	"refunded":                                Token,
	"status":                                  Token,
}}

// Prices are searched by https://docs.stripe.com/search#query-fields-for-prices.
var Prices = Resource{Name: "prices", Anchor: "query-fields-for-prices", Fields: map[string]Kind{
	"active":     Token,
	"currency":   Token,
	"lookup_key": Token,
	"metadata":   Metadata,
	"product":    ID,
	"type":       Token,
}}

// Products are searched by https://docs.stripe.com/search#query-fields-for-products.
var Products = Resource{Name: "products", Anchor: "query-fields-for-products", Fields: map[string]Kind{
	"active":      Token,
	"description": Text,
	"metadata":    Metadata,
	"name":        Text,
	"shippable":   Token,
	"url":         Token,
}}

// fieldNames lists the resource's fields of the given kinds, sorted, for
// messages that say what would have worked.
func (r Resource) fieldNames(kinds ...Kind) string {
	var names []string
	for name, k := range r.Fields {
		for _, want := range kinds {
			if k == want {
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
