// Package customersession implements Stripe's CustomerSession: a
// short-lived client secret that lets a browser component (the Payment
// Element above all) act for one customer, listing, saving and removing
// that customer's payment methods as the session's features allow. Stripe's
// API can only create sessions; the browser presents the secret, so payd
// stores them to be found by secret (ByClientSecret). Stripe records no
// events for CustomerSessions. It knows nothing of HTTP or SQL.
package customersession

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/payd/payd/internal/customer"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/store"
)

// Table is where sessions live.
const Table = "customer_sessions"

// Prefix names a session's row. Stripe's object has no id, so the row id
// is never rendered; it is embedded in the client secret instead.
const Prefix = "cuss"

// secretPrefix starts every client secret, as Stripe's do.
const secretPrefix = "cuss_secret_"

// secretRandom is the length of the secret's random tail. With the
// embedded row id the part after the prefix is 46 characters, the length of
// Stripe's own secrets.
const secretRandom = 22

// Lifetime is how long a session's secret works.
const Lifetime = 30 * time.Minute

// Values of the enabled/disabled features.
const (
	Enabled  = "enabled"
	Disabled = "disabled"
)

// maxRedisplayLimit is Stripe's cap on payment_method_redisplay_limit.
const maxRedisplayLimit = 10

// CustomerSession is Stripe's customer_session object.
type CustomerSession struct {
	ClientSecret    string     `json:"client_secret"`
	Components      Components `json:"components"`
	Created         int64      `json:"created"`
	Customer        string     `json:"customer"`
	CustomerAccount *string    `json:"customer_account"`
	ExpiresAt       int64      `json:"expires_at"`
	Livemode        bool       `json:"livemode"`
	Object          string     `json:"object"`
}

// Components says which browser components the session serves. Stripe
// renders all of them, disabled ones included.
type Components struct {
	ActiveEntitlements   Toggle               `json:"active_entitlements"`
	BuyButton            Toggle               `json:"buy_button"`
	CustomerPortal       Toggle               `json:"customer_portal"`
	CustomerSheet        CustomerSheet        `json:"customer_sheet"`
	MobilePaymentElement MobilePaymentElement `json:"mobile_payment_element"`
	PaymentElement       PaymentElement       `json:"payment_element"`
	PricingTable         Toggle               `json:"pricing_table"`
}

// Toggle is a component with no features.
type Toggle struct {
	Enabled bool `json:"enabled"`
}

// PaymentElement configures the web Payment Element.
type PaymentElement struct {
	Enabled bool `json:"enabled"`
	// Features is null unless the element is enabled or features were sent.
	Features *PaymentElementFeatures `json:"features"`
}

// PaymentElementFeatures are the saved-method features of the Payment
// Element, with Stripe's documented defaults filled in.
type PaymentElementFeatures struct {
	// AllowRedisplayFilters lists the allow_redisplay values of the saved
	// methods shown; default ["always"].
	AllowRedisplayFilters []string `json:"payment_method_allow_redisplay_filters"`
	Redisplay             string   `json:"payment_method_redisplay"`
	// RedisplayLimit caps how many saved methods are shown; default 3.
	RedisplayLimit *int64 `json:"payment_method_redisplay_limit"`
	Remove         string `json:"payment_method_remove"`
	Save           string `json:"payment_method_save"`
	// SaveUsage is the setup_future_usage a PaymentIntent confirm uses when
	// the customer ticks "save"; null leaves the intent's own.
	SaveUsage *string `json:"payment_method_save_usage"`
}

// CustomerSheet configures the mobile customer sheet.
type CustomerSheet struct {
	Enabled  bool                   `json:"enabled"`
	Features *CustomerSheetFeatures `json:"features"`
}

// CustomerSheetFeatures are as sent; unsent ones are null.
type CustomerSheetFeatures struct {
	AllowRedisplayFilters []string `json:"payment_method_allow_redisplay_filters"`
	Remove                *string  `json:"payment_method_remove"`
}

// MobilePaymentElement configures the mobile Payment Element.
type MobilePaymentElement struct {
	Enabled  bool                          `json:"enabled"`
	Features *MobilePaymentElementFeatures `json:"features"`
}

// MobilePaymentElementFeatures are as sent; unsent ones are null.
type MobilePaymentElementFeatures struct {
	AllowRedisplayFilters      []string `json:"payment_method_allow_redisplay_filters"`
	Redisplay                  *string  `json:"payment_method_redisplay"`
	Remove                     *string  `json:"payment_method_remove"`
	Save                       *string  `json:"payment_method_save"`
	SaveAllowRedisplayOverride *string  `json:"payment_method_save_allow_redisplay_override"`
}

// Expired reports whether the session's secret no longer works at now.
// Callers of ByClientSecret must check it.
func (cs *CustomerSession) Expired(now time.Time) bool { return now.Unix() > cs.ExpiresAt }

// Service holds what creating sessions depends on.
type Service struct {
	Now       func() time.Time
	Customers *customer.Service
}

// unsupportedComponents are components for products payd does not have;
// asking to enable one is refused rather than answered with a session that
// enables nothing.
var unsupportedComponents = []struct{ name, msg string }{
	{"active_entitlements", "Entitlements are not supported by payd."},
	{"customer_portal", "The customer portal is not supported by payd."},
}

// Create makes a session for a live customer of the account from the
// validated parameters of POST /v1/customer_sessions.
func (s *Service) Create(ctx context.Context, tx store.Tx, account string, p param.Map) ([]byte, error) {
	if p.Has("customer_account") {
		return nil, errs.Invalid("", "customer_account",
			"customer_account is not supported by payd: it has no Accounts v2 customers; use customer.")
	}
	custID := p.Str("customer")
	if custID == "" {
		return nil, errs.Missing("customer")
	}
	comps, err := components(p.Map("components"))
	if err != nil {
		return nil, err
	}
	if _, err := s.Customers.Live(ctx, tx, account, custID, "customer"); err != nil {
		return nil, err
	}
	now := s.Now().Unix()
	rowID := id.New(Prefix)
	cs := &CustomerSession{
		ClientSecret: secretPrefix + strings.TrimPrefix(rowID, Prefix+"_") + id.Random(secretRandom),
		Components:   comps, Created: now, Customer: custID,
		ExpiresAt: now + int64(Lifetime/time.Second), Object: "customer_session",
	}
	data, err := json.Marshal(cs)
	if err != nil {
		return nil, err
	}
	err = tx.InsertNew(ctx, Table, store.Record{ID: rowID, Account: account, Created: now, Data: data,
		Cols: []store.Col{{Name: "customer", Value: custID}}})
	return data, err
}

// components reads components[…], refusing what payd cannot serve and a
// session that enables nothing (Stripe requires at least one component).
func components(p param.Map) (Components, error) {
	var c Components
	for _, u := range unsupportedComponents {
		if enabled(p.Map(u.name)) {
			return c, errs.Invalid("", "components["+u.name+"][enabled]", "%s", u.msg)
		}
	}
	c.BuyButton.Enabled = enabled(p.Map("buy_button"))
	c.PricingTable.Enabled = enabled(p.Map("pricing_table"))

	pe := p.Map("payment_element")
	c.PaymentElement.Enabled = enabled(pe)
	if c.PaymentElement.Enabled || pe.Has("features") {
		f, err := paymentElementFeatures(pe.Map("features"))
		if err != nil {
			return c, err
		}
		c.PaymentElement.Features = f
	}

	cs := p.Map("customer_sheet")
	c.CustomerSheet.Enabled = enabled(cs)
	if f := cs.Map("features"); f != nil {
		c.CustomerSheet.Features = &CustomerSheetFeatures{
			AllowRedisplayFilters: f.Strings("payment_method_allow_redisplay_filters"),
			Remove:                f.String("payment_method_remove"),
		}
	}

	mpe := p.Map("mobile_payment_element")
	c.MobilePaymentElement.Enabled = enabled(mpe)
	if f := mpe.Map("features"); f != nil {
		c.MobilePaymentElement.Features = &MobilePaymentElementFeatures{
			AllowRedisplayFilters:      f.Strings("payment_method_allow_redisplay_filters"),
			Redisplay:                  f.String("payment_method_redisplay"),
			Remove:                     f.String("payment_method_remove"),
			Save:                       f.String("payment_method_save"),
			SaveAllowRedisplayOverride: f.String("payment_method_save_allow_redisplay_override"),
		}
	}

	if !c.BuyButton.Enabled && !c.PricingTable.Enabled && !c.PaymentElement.Enabled &&
		!c.CustomerSheet.Enabled && !c.MobilePaymentElement.Enabled {
		return c, errs.Invalid("", "components", "At least one component must be enabled.")
	}
	return c, nil
}

func enabled(p param.Map) bool {
	on := p.Bool("enabled")
	return on != nil && *on
}

// paymentElementFeatures applies Stripe's defaults to what was sent.
func paymentElementFeatures(p param.Map) (*PaymentElementFeatures, error) {
	const path = "components[payment_element][features]"
	f := &PaymentElementFeatures{
		AllowRedisplayFilters: []string{"always"}, Redisplay: Disabled, RedisplayLimit: ptr(int64(3)),
		Remove: Disabled, Save: Disabled, SaveUsage: p.String("payment_method_save_usage"),
	}
	if p.Has("payment_method_allow_redisplay_filters") {
		f.AllowRedisplayFilters = p.Strings("payment_method_allow_redisplay_filters")
	}
	if n := p.Int("payment_method_redisplay_limit"); n != nil {
		if *n < 1 || *n > maxRedisplayLimit {
			return nil, errs.Invalid("parameter_invalid_integer", path+"[payment_method_redisplay_limit]",
				"payment_method_redisplay_limit must be between 1 and %d.", maxRedisplayLimit)
		}
		f.RedisplayLimit = n
	}
	for _, o := range []struct {
		key string
		dst *string
	}{{"payment_method_redisplay", &f.Redisplay}, {"payment_method_remove", &f.Remove}, {"payment_method_save", &f.Save}} {
		key, dst, v := o.key, o.dst, p.Str(o.key)
		switch v {
		case "":
		case Enabled, Disabled:
			*dst = v
		default:
			// The spec lets the live API take values beyond its enum; payd
			// knows only these two.
			return nil, errs.Invalid("", path+"["+key+"]", "Invalid %s: must be one of enabled or disabled.", key)
		}
	}
	return f, nil
}

// ByClientSecret finds the session a browser presents by its client secret,
// in whichever account it belongs to; the secret is the only credential the
// browser has besides a publishable key. It does not judge expiry: callers
// check cs.Expired with their clock. An unknown or mismatched secret is one
// error whose message never echoes the secret.
func ByClientSecret(ctx context.Context, tx store.Tx, secret string) (account string, cs *CustomerSession, err error) {
	unknown := errs.Invalid("", "customer_session_client_secret",
		"The customer_session_client_secret provided does not match any CustomerSession.")
	rest, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok || len(rest) != id.Length+secretRandom {
		return "", nil, unknown
	}
	rowID := Prefix + "_" + rest[:id.Length]
	account, err = tx.AccountOf(ctx, Table, rowID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, unknown
	}
	if err != nil {
		return "", nil, err
	}
	rec, err := tx.Get(ctx, Table, account, rowID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, unknown
	}
	if err != nil {
		return "", nil, err
	}
	cs = &CustomerSession{}
	if err := json.Unmarshal(rec.Data, cs); err != nil {
		return "", nil, err
	}
	if subtle.ConstantTimeCompare([]byte(cs.ClientSecret), []byte(secret)) != 1 {
		return "", nil, unknown
	}
	return account, cs, nil
}

func ptr[T any](v T) *T { return &v }
