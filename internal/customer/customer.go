// Package customer implements Stripe's Customer resource: its shape, the
// rules for creating, updating and deleting one, and the events each change
// records. It knows nothing of HTTP or SQL.
package customer

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/metadata"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/store"
)

// Table is where customers live.
const Table = "customers"

// Prefix starts every customer id.
const Prefix = "cus"

// Customer is Stripe's customer object as payd renders it.
type Customer struct {
	ID                  string            `json:"id"`
	Object              string            `json:"object"`
	Address             *Address          `json:"address"`
	Balance             int64             `json:"balance"`
	BusinessName        string            `json:"business_name,omitempty"`
	Created             int64             `json:"created"`
	Currency            *string           `json:"currency"`
	DefaultSource       *string           `json:"default_source"`
	Delinquent          bool              `json:"delinquent"`
	Description         *string           `json:"description"`
	Discount            any               `json:"discount"`
	Email               *string           `json:"email"`
	IndividualName      string            `json:"individual_name,omitempty"`
	InvoicePrefix       *string           `json:"invoice_prefix"`
	InvoiceSettings     InvoiceSettings   `json:"invoice_settings"`
	Livemode            bool              `json:"livemode"`
	Metadata            map[string]string `json:"metadata"`
	Name                *string           `json:"name"`
	NextInvoiceSequence int64             `json:"next_invoice_sequence"`
	Phone               *string           `json:"phone"`
	PreferredLocales    []string          `json:"preferred_locales"`
	Shipping            *Shipping         `json:"shipping"`
	TaxExempt           string            `json:"tax_exempt"`
	TestClock           *string           `json:"test_clock"`
}

// Address is Stripe's address hash; every field may be null.
type Address struct {
	City       *string `json:"city"`
	Country    *string `json:"country"`
	Line1      *string `json:"line1"`
	Line2      *string `json:"line2"`
	PostalCode *string `json:"postal_code"`
	State      *string `json:"state"`
}

// Shipping is a customer's shipping details.
type Shipping struct {
	Address        *Address `json:"address"`
	Carrier        *string  `json:"carrier"`
	Name           string   `json:"name"`
	Phone          *string  `json:"phone"`
	TrackingNumber *string  `json:"tracking_number"`
}

// InvoiceSettings are the customer's invoice defaults.
type InvoiceSettings struct {
	CustomFields         []CustomField     `json:"custom_fields"`
	DefaultPaymentMethod *string           `json:"default_payment_method"`
	Footer               *string           `json:"footer"`
	RenderingOptions     *RenderingOptions `json:"rendering_options"`
}

// CustomField is one invoice custom field.
type CustomField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// RenderingOptions control how invoices are rendered.
type RenderingOptions struct {
	AmountTaxDisplay *string `json:"amount_tax_display"`
	Template         *string `json:"template"`
}

// Deleted is what Stripe answers for a deleted customer.
type Deleted struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

// Service holds what customer operations depend on.
type Service struct {
	Now func() time.Time
	// Methods saves payment methods to customers; nil refuses the
	// parameters that need it.
	Methods Methods
}

// Methods is what customers need of PaymentMethods. It is an interface
// because the paymentmethod package builds on this one.
type Methods interface {
	// AttachTo saves the method (or a test id such as pm_card_visa, which
	// becomes a new method) to the customer and returns its id.
	AttachTo(ctx context.Context, tx store.Tx, account, pmID, customerID string) (string, error)
	// CustomerOf names the customer a method is saved to, or nil.
	CustomerOf(ctx context.Context, tx store.Tx, account, pmID, paramName string) (*string, error)
}

// unsupported lists parameters that need resources payd does not have yet;
// they are refused rather than silently accepted.
var unsupported = map[string]string{
	"cash_balance":           "Customer cash balances are not supported by payd.",
	"source":                 "Sources are not supported by payd; use PaymentMethods instead.",
	"default_source":         "Sources are not supported by payd; use PaymentMethods instead.",
	"bank_account":           "Sources are not supported by payd; use PaymentMethods instead.",
	"card":                   "Sources are not supported by payd; use PaymentMethods instead.",
	"default_alipay_account": "Sources are not supported by payd; use PaymentMethods instead.",
	"default_bank_account":   "Sources are not supported by payd; use PaymentMethods instead.",
	"default_card":           "Sources are not supported by payd; use PaymentMethods instead.",
	"tax":                    "Automatic tax is not supported by payd.",
	"tax_id_data":            "Tax IDs are not supported by payd.",
	"test_clock":             "Test clocks are not supported by payd.",
}

// Create makes a customer from validated create parameters.
func (s *Service) Create(ctx context.Context, tx store.Tx, account string, p param.Map) (*Customer, []byte, error) {
	now := s.Now().Unix()
	c := &Customer{
		ID:                  id.New(Prefix),
		Object:              "customer",
		Created:             now,
		InvoiceSettings:     InvoiceSettings{},
		Metadata:            map[string]string{},
		NextInvoiceSequence: 1,
		PreferredLocales:    []string{},
		TaxExempt:           "none",
	}
	prefix := strings.ToUpper(id.Random(8))
	c.InvoicePrefix = &prefix
	if err := apply(c, p); err != nil {
		return nil, nil, err
	}
	pmID := p.Str("payment_method")
	if pmID == "" {
		// A new customer has no saved method a default could name.
		if err := s.checkDefault(ctx, tx, account, c); err != nil {
			return nil, nil, err
		}
		data, err := s.put(ctx, tx, account, c, true)
		if err != nil {
			return nil, nil, err
		}
		if _, err := event.Record(ctx, tx, account, now, "customer.created", data, nil); err != nil {
			return nil, nil, err
		}
		return c, data, nil
	}
	// The customer row exists before its payment method is saved to it;
	// its event is recorded once the default method is known.
	if _, err := s.put(ctx, tx, account, c, true); err != nil {
		return nil, nil, err
	}
	if s.Methods == nil {
		return nil, nil, errs.Invalid("", "payment_method", "PaymentMethods are not available.")
	}
	attached, err := s.Methods.AttachTo(ctx, tx, account, pmID, c.ID)
	if err != nil {
		return nil, nil, err
	}
	if d := c.InvoiceSettings.DefaultPaymentMethod; d != nil && *d == pmID {
		c.InvoiceSettings.DefaultPaymentMethod = &attached
	}
	if err := s.checkDefault(ctx, tx, account, c); err != nil {
		return nil, nil, err
	}
	data, err := s.put(ctx, tx, account, c, false)
	if err != nil {
		return nil, nil, err
	}
	if _, err := event.Record(ctx, tx, account, now, "customer.created", data, nil); err != nil {
		return nil, nil, err
	}
	return c, data, nil
}

// put writes the customer (inserting it when insert) and returns its JSON.
func (s *Service) put(ctx context.Context, tx store.Tx, account string, c *Customer, insert bool) ([]byte, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	if insert {
		return data, tx.InsertNew(ctx, Table, record(account, c, data, false))
	}
	return data, tx.Put(ctx, Table, record(account, c, data, false))
}

// checkDefault accepts invoice_settings[default_payment_method] only for a
// method saved to this customer, as Stripe does.
func (s *Service) checkDefault(ctx context.Context, tx store.Tx, account string, c *Customer) error {
	d := c.InvoiceSettings.DefaultPaymentMethod
	if d == nil {
		return nil
	}
	const param = "invoice_settings[default_payment_method]"
	if s.Methods == nil {
		return errs.Invalid("", param, "PaymentMethods are not available.")
	}
	owner, err := s.Methods.CustomerOf(ctx, tx, account, *d, param)
	if err != nil {
		return err
	}
	if owner == nil || *owner != c.ID {
		return errs.Invalid("", param,
			"The customer does not have a payment method with the ID %s. The payment method must be attached to the customer.", *d)
	}
	return nil
}

// Update applies validated update parameters to an existing, live customer.
func (s *Service) Update(ctx context.Context, tx store.Tx, account, customerID string, p param.Map) (*Customer, []byte, error) {
	rec, c, err := s.load(ctx, tx, account, customerID, true)
	if err != nil {
		return nil, nil, err
	}
	if err := apply(c, p); err != nil {
		return nil, nil, err
	}
	if p.Map("invoice_settings").Has("default_payment_method") {
		if err := s.checkDefault(ctx, tx, account, c); err != nil {
			return nil, nil, err
		}
	}
	data, err := json.Marshal(c)
	if err != nil {
		return nil, nil, err
	}
	if string(data) == string(rec.Data) {
		// Stripe records no event for an update that changes nothing.
		return c, data, nil
	}
	if err := tx.Put(ctx, Table, record(account, c, data, false)); err != nil {
		return nil, nil, err
	}
	if _, err := event.Record(ctx, tx, account, s.Now().Unix(), "customer.updated", data, rec.Data); err != nil {
		return nil, nil, err
	}
	return c, data, nil
}

// Delete marks the customer deleted. The row stays: Stripe still answers a
// retrieve of a deleted customer with the deleted stub.
func (s *Service) Delete(ctx context.Context, tx store.Tx, account, customerID string) ([]byte, error) {
	rec, c, err := s.load(ctx, tx, account, customerID, true)
	if err != nil {
		return nil, err
	}
	if err := tx.Put(ctx, Table, record(account, c, rec.Data, true)); err != nil {
		return nil, err
	}
	if _, err := event.Record(ctx, tx, account, s.Now().Unix(), "customer.deleted", rec.Data, nil); err != nil {
		return nil, err
	}
	return json.Marshal(Deleted{ID: c.ID, Object: "customer", Deleted: true})
}

// ClearDefault forgets pmID as the customer's default payment method, for
// when the method is detached (customer.updated if it was the default).
func (s *Service) ClearDefault(ctx context.Context, tx store.Tx, account, customerID, pmID string) error {
	rec, c, err := s.load(ctx, tx, account, customerID, true)
	if err != nil {
		return err
	}
	if d := c.InvoiceSettings.DefaultPaymentMethod; d == nil || *d != pmID {
		return nil
	}
	c.InvoiceSettings.DefaultPaymentMethod = nil
	data, err := s.put(ctx, tx, account, c, false)
	if err != nil {
		return err
	}
	_, err = event.Record(ctx, tx, account, s.Now().Unix(), "customer.updated", data, rec.Data)
	return err
}

// Retrieve returns the stored customer JSON, or the deleted stub.
func (s *Service) Retrieve(ctx context.Context, tx store.Tx, account, customerID string) ([]byte, error) {
	rec, err := tx.Get(ctx, Table, account, customerID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errs.NotFound("customer", customerID, "id")
	}
	if err != nil {
		return nil, err
	}
	if rec.Deleted {
		return json.Marshal(Deleted{ID: rec.ID, Object: "customer", Deleted: true})
	}
	return rec.Data, nil
}

// Live loads a customer that exists and is not deleted, for other resources
// that refer to one; param names the referring parameter in the error.
func (s *Service) Live(ctx context.Context, tx store.Tx, account, customerID, paramName string) (*Customer, error) {
	_, c, err := s.loadParam(ctx, tx, account, customerID, false, paramName)
	return c, err
}

func (s *Service) load(ctx context.Context, tx store.Tx, account, customerID string, lock bool) (store.Record, *Customer, error) {
	return s.loadParam(ctx, tx, account, customerID, lock, "id")
}

func (s *Service) loadParam(ctx context.Context, tx store.Tx, account, customerID string, lock bool, paramName string) (store.Record, *Customer, error) {
	get := tx.Get
	if lock {
		get = tx.GetForUpdate
	}
	rec, err := get(ctx, Table, account, customerID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && rec.Deleted) {
		return rec, nil, errs.NotFound("customer", customerID, paramName)
	}
	if err != nil {
		return rec, nil, err
	}
	var c Customer
	if err := json.Unmarshal(rec.Data, &c); err != nil {
		return rec, nil, err
	}
	return rec, &c, nil
}

func record(account string, c *Customer, data []byte, deleted bool) store.Record {
	var email any
	if c.Email != nil {
		email = *c.Email
	}
	return store.Record{
		ID: c.ID, Account: account, Created: c.Created, Data: data, Deleted: deleted,
		Cols: []store.Col{{Name: "email", Value: email}},
	}
}

var invoicePrefixRE = regexp.MustCompile(`^[A-Z0-9]{3,12}$`)

// apply sets every field present in p. Nil values (empty strings in the
// request) unset the field.
func apply(c *Customer, p param.Map) error {
	if err := p.Refuse(unsupported); err != nil {
		return err
	}
	p.Optional("description", &c.Description)
	p.Optional("email", &c.Email)
	p.Optional("name", &c.Name)
	p.Optional("phone", &c.Phone)
	if p.Has("business_name") {
		c.BusinessName = p.Str("business_name")
	}
	if p.Has("individual_name") {
		c.IndividualName = p.Str("individual_name")
	}
	if v := p.Int("balance"); v != nil {
		c.Balance = *v
	}
	if p.Has("invoice_prefix") {
		v := p.Str("invoice_prefix")
		if !invoicePrefixRE.MatchString(v) {
			return errs.Invalid("", "invoice_prefix", "Invalid invoice_prefix: must be 3-12 uppercase letters or numbers")
		}
		c.InvoicePrefix = &v
	}
	if v := p.Int("next_invoice_sequence"); v != nil {
		if *v < 1 {
			return errs.Invalid("", "next_invoice_sequence", "Invalid next_invoice_sequence: must be greater than or equal to 1")
		}
		c.NextInvoiceSequence = *v
	}
	if p.Has("preferred_locales") {
		c.PreferredLocales = p.Strings("preferred_locales")
		if c.PreferredLocales == nil {
			c.PreferredLocales = []string{}
		}
	}
	if p.Has("tax_exempt") {
		c.TaxExempt = p.Str("tax_exempt")
		if c.TaxExempt == "" {
			c.TaxExempt = "none"
		}
	}
	if p.Has("address") {
		c.Address = address(p.Map("address"))
	}
	if p.Has("shipping") {
		c.Shipping = nil
		if sp := p.Map("shipping"); sp != nil {
			c.Shipping = &Shipping{Address: address(sp.Map("address")), Name: sp.Str("name"), Phone: sp.String("phone")}
			if c.Shipping.Address == nil {
				c.Shipping.Address = &Address{}
			}
		}
	}
	if p.Has("invoice_settings") {
		if err := invoiceSettings(&c.InvoiceSettings, p.Map("invoice_settings")); err != nil {
			return err
		}
	}
	md, err := metadata.Apply(c.Metadata, p, "metadata")
	if err != nil {
		return err
	}
	c.Metadata = md
	return nil
}

func invoiceSettings(s *InvoiceSettings, p param.Map) error {
	p.Optional("default_payment_method", &s.DefaultPaymentMethod)
	if p.Has("custom_fields") {
		s.CustomFields = nil
		for _, f := range p.Maps("custom_fields") {
			s.CustomFields = append(s.CustomFields, CustomField{Name: f.Str("name"), Value: f.Str("value")})
		}
		if len(s.CustomFields) > 4 {
			return errs.Invalid("", "invoice_settings[custom_fields]", "You can have at most 4 custom fields.")
		}
	}
	p.Optional("footer", &s.Footer)
	if p.Has("rendering_options") {
		s.RenderingOptions = nil
		if r := p.Map("rendering_options"); r != nil {
			s.RenderingOptions = &RenderingOptions{Template: r.String("template")}
			if v := r.Str("amount_tax_display"); v != "" {
				s.RenderingOptions.AmountTaxDisplay = &v
			}
		}
	}
	return nil
}

func address(p param.Map) *Address {
	if p == nil {
		return nil
	}
	return &Address{
		City: p.String("city"), Country: p.String("country"), Line1: p.String("line1"),
		Line2: p.String("line2"), PostalCode: p.String("postal_code"), State: p.String("state"),
	}
}
