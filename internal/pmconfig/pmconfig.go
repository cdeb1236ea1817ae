// Package pmconfig implements Stripe's PaymentMethodConfiguration: which
// payment methods automatic payment methods offer when a PaymentIntent or
// SetupIntent (and later a Checkout Session or Payment Link) does not name
// its payment_method_types.
//
// Every account has a default configuration from the start, but reads never
// write: until the account first changes it, the default is rendered from
// code under an id derived from the account, and the first update that
// changes it stores it under that same id. Stripe sends no events about
// configurations (its event list has no payment_method_configuration.*
// type), so nothing here records one.
package pmconfig

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"math/big"

	"github.com/payd/payd/internal/customeraction"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/store"
)

// Table is where configurations live.
const Table = "payment_method_configurations"

// Prefix starts every configuration id.
const Prefix = "pmc"

// DefaultName is the default configuration's name until the account
// renames it.
const DefaultName = "Default"

// Display preference values. A preference may also be None: the account
// states no preference and the method shows payd's default for it.
const (
	On   = "on"
	Off  = "off"
	None = "none"
)

// Configuration is Stripe's payment_method_configuration. Only the
// methods payd supports (customeraction.Supported) have a field: the
// spec makes every per-method hash optional, and rendering methods payd
// cannot process would claim they exist. It has no created field, as
// Stripe's object has none.
type Configuration struct {
	ID            string  `json:"id"`
	Object        string  `json:"object"`
	Active        bool    `json:"active"`
	AmazonPay     Method  `json:"amazon_pay"`
	Application   *string `json:"application"`
	Card          Method  `json:"card"`
	IsDefault     bool    `json:"is_default"`
	Livemode      bool    `json:"livemode"`
	Name          string  `json:"name"`
	Parent        *string `json:"parent"`
	SepaDebit     Method  `json:"sepa_debit"`
	USBankAccount Method  `json:"us_bank_account"`
}

// Method is one payment method's settings in a configuration.
type Method struct {
	// Available is true when the method would be offered: its value is on
	// (every payd method's capability is always active).
	Available         bool              `json:"available"`
	DisplayPreference DisplayPreference `json:"display_preference"`
}

// DisplayPreference is what the account asked for (Preference) and what
// applies (Value). Overridable is for Connect child configurations, which
// payd does not have, so it is always null.
type DisplayPreference struct {
	Overridable *bool  `json:"overridable"`
	Preference  string `json:"preference"`
	Value       string `json:"value"`
}

// method returns the settings of the named method, nil for a method payd
// does not support.
func (c *Configuration) method(name string) *Method {
	switch name {
	case "card":
		return &c.Card
	case "amazon_pay":
		return &c.AmazonPay
	case "us_bank_account":
		return &c.USBankAccount
	case "sepa_debit":
		return &c.SepaDebit
	}
	return nil
}

// prefer sets a method's preference and what follows from it. With no
// preference the method shows payd's default, which is on for every
// method payd supports.
func (m *Method) prefer(preference string) {
	value := preference
	if preference == None {
		value = On
	}
	m.DisplayPreference = DisplayPreference{Preference: preference, Value: value}
	m.Available = value == On
}

// fresh is a configuration with every supported method on, the state of a
// new account's default and of a created configuration before its
// parameters apply.
func fresh(configID, name string, isDefault bool) *Configuration {
	c := &Configuration{ID: configID, Object: "payment_method_configuration", Active: true,
		IsDefault: isDefault, Name: name}
	for _, t := range customeraction.Supported {
		c.method(t).prefer(On)
	}
	return c
}

// DefaultID is the id of account's default configuration, the same before
// and after it is stored, so that a client that read it can update it.
// It is derived from the account id as account ids are from keys: a hash,
// base62, so that it looks like any other id and reveals nothing.
func DefaultID(account string) string {
	sum := sha256.Sum256([]byte("payd-pmc-default:" + account))
	return Prefix + "_" + new(big.Int).SetBytes(sum[:16]).Text(62)
}

// Get returns the stored JSON of a configuration, rendering the account's
// default when it was never changed. The 404 names the path parameter,
// configuration.
func Get(ctx context.Context, tx store.Tx, account, configID string) ([]byte, error) {
	rec, err := tx.Get(ctx, Table, account, configID)
	if errors.Is(err, store.ErrNotFound) && configID == DefaultID(account) {
		return json.Marshal(fresh(configID, DefaultName, true))
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(configID)
	}
	return rec.Data, err
}

func notFound(configID string) error {
	return errs.NotFound("payment_method_configuration", configID, "configuration")
}

// Enabled lists the payment methods account's default configuration shows
// (display value on), in customeraction.Supported order: what automatic
// payment methods may offer before currency and redirects narrow it.
func Enabled(ctx context.Context, tx store.Tx, account string) ([]string, error) {
	data, err := Get(ctx, tx, account, DefaultID(account))
	if err != nil {
		return nil, err
	}
	var c Configuration
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	var out []string
	for _, t := range customeraction.Supported {
		if c.method(t).DisplayPreference.Value == On {
			out = append(out, t)
		}
	}
	return out, nil
}

// Entry is one configuration in a list: its JSON and what list filters
// read.
type Entry struct {
	ID     string
	Active bool
	Data   []byte
}

// All returns every configuration of account, newest first, ending with
// the default (stored or rendered). An account has a handful of
// configurations, and the active filter has no column to run on, so the
// API pages through this list in memory rather than in the store.
func All(ctx context.Context, tx store.Tx, account string) ([]Entry, error) {
	var out []Entry
	defaultID, hasDefault := DefaultID(account), false
	q := store.ListQuery{Account: account, Limit: 100}
	for {
		page, err := tx.List(ctx, Table, q)
		if err != nil {
			return nil, err
		}
		for _, rec := range page.Records {
			var c struct {
				Active bool `json:"active"`
			}
			if err := json.Unmarshal(rec.Data, &c); err != nil {
				return nil, err
			}
			out = append(out, Entry{ID: rec.ID, Active: c.Active, Data: rec.Data})
			hasDefault = hasDefault || rec.ID == defaultID
		}
		if !page.HasMore {
			break
		}
		q.After = page.Records[len(page.Records)-1].ID
	}
	if !hasDefault {
		data, err := json.Marshal(fresh(defaultID, DefaultName, true))
		if err != nil {
			return nil, err
		}
		out = append(out, Entry{ID: defaultID, Active: true, Data: data})
	}
	return out, nil
}

// load returns a configuration for update with its JSON, the "before" an
// update compares with. stored is false for a default not yet written.
func load(ctx context.Context, tx store.Tx, account, configID string) (c *Configuration, before []byte, stored bool, err error) {
	rec, err := tx.GetForUpdate(ctx, Table, account, configID)
	if errors.Is(err, store.ErrNotFound) && configID == DefaultID(account) {
		c = fresh(configID, DefaultName, true)
		before, err = json.Marshal(c)
		return c, before, false, err
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, false, notFound(configID)
	}
	if err != nil {
		return nil, nil, false, err
	}
	c = &Configuration{}
	if err := json.Unmarshal(rec.Data, c); err != nil {
		return nil, nil, false, err
	}
	return c, rec.Data, true, nil
}

// save writes c, inserting it when it was not stored. The default is
// stored with created 0: it has been there since the account was, so it
// sorts after every configuration the account creates.
func save(ctx context.Context, tx store.Tx, c *Configuration, account string, created int64, insert bool) ([]byte, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	isDefault := 0
	if c.IsDefault {
		isDefault, created = 1, 0
	}
	rec := store.Record{ID: c.ID, Account: account, Created: created, Data: data,
		Cols: []store.Col{{Name: "is_default", Value: isDefault}}}
	if insert {
		err = tx.Insert(ctx, Table, rec)
	} else {
		err = tx.Put(ctx, Table, rec)
	}
	return data, err
}
