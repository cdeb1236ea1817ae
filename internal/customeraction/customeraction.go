// Package customeraction is what PaymentIntents and SetupIntents share
// about a step the customer must take (3-D Secure, a redirect to a payment
// provider): the one-time token of the authorization page, the next_action
// the API answers while the step is pending, and automatic_payment_methods.
package customeraction

import (
	"crypto/subtle"
	"slices"
	"strconv"
	"strings"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/processor"
)

// Step is the pending step, kept in an intent's private state.
type Step struct {
	// Action is processor.ActionThreeDS or processor.ActionRedirect.
	Action string `json:"action,omitempty"`
	// Token is the one-time secret of the authorization page.
	Token string `json:"token,omitempty"`
	// ReturnURL is where the page sends the customer afterwards.
	ReturnURL string `json:"return_url,omitempty"`
	// Authenticated: the customer completed the step of this attempt.
	Authenticated bool `json:"authenticated,omitempty"`
}

// Begin starts a step of kind and returns its fresh token.
func (s *Step) Begin(kind string) string {
	s.Action, s.Token = kind, id.Random(32)
	return s.Token
}

// End forgets the step, so its link acts no more.
func (s *Step) End() { s.Action, s.Token = "", "" }

// Valid reports whether token is the current step's, in constant time.
func (s *Step) Valid(token string) bool {
	return s.Token != "" && subtle.ConstantTimeCompare([]byte(s.Token), []byte(token)) == 1
}

// NextAction is the intent's next_action for the step: a redirect when the
// caller gave a return_url (or the method is a redirect anyway), otherwise
// use_stripe_sdk for a browser library to open url itself. source is the
// id of the attempt the step belongs to, which Stripe.js is given.
func (s *Step) NextAction(url, source string) map[string]any {
	if s.ReturnURL != "" || s.Action == processor.ActionRedirect {
		return map[string]any{"type": "redirect_to_url",
			"redirect_to_url": map[string]any{"url": url, "return_url": s.ReturnURL}}
	}
	return map[string]any{"type": "use_stripe_sdk",
		"use_stripe_sdk": map[string]any{"type": "three_d_secure_redirect", "stripe_js": url, "source": source}}
}

// Source is an attempt id for a step whose intent keeps no attempt
// objects (PaymentIntents: "payatt"), derived from the step's token.
func (s *Step) Source(prefix string) string { return prefix + "_" + s.Token[:24] }

// AutomaticMethods is an intent's automatic_payment_methods.
type AutomaticMethods struct {
	AllowRedirects string `json:"allow_redirects,omitempty"`
	Enabled        bool   `json:"enabled"`
}

// Methods payd's processor supports, in the order automatic payment
// methods offers them, and the currencies each accepts (nil: all).
var (
	Supported  = []string{"card", "amazon_pay", "us_bank_account", "sepa_debit"}
	currencies = map[string][]string{
		"amazon_pay":      {"aud", "gbp", "dkk", "eur", "hkd", "jpy", "nzd", "nok", "zar", "sek", "chf", "usd"},
		"us_bank_account": {"usd"},
		"sepa_debit":      {"eur"},
	}
	// Redirect methods send the customer to another page.
	Redirect = map[string]bool{"amazon_pay": true}
)

// Types decides an intent's payment_method_types from the explicit list or
// from automatic_payment_methods, the default when neither is given (as in
// Stripe's current API versions). Automatic methods offer what the
// account's default payment method configuration enables (enabled, see
// pmconfig.Enabled) and the currency and allow_redirects permit; an
// explicit list is taken as given, whatever the configuration says, and
// checked against the currency. currency "" (SetupIntents) filters and
// checks nothing. apm is nil when the types were explicit.
func Types(p param.Map, currency string, enabled []string) (types []string, apm *AutomaticMethods, err error) {
	explicit := p.Strings("payment_method_types")
	if len(explicit) > 0 && p.Has("automatic_payment_methods") {
		return nil, nil, errs.Invalid("parameters_exclusive", "automatic_payment_methods",
			"You may only specify one of these parameters: automatic_payment_methods, payment_method_types.")
	}
	if len(explicit) > 0 {
		for i, t := range explicit {
			if !slices.Contains(Supported, t) {
				return nil, nil, errs.Invalid("", param.Path("payment_method_types", strconv.Itoa(i)),
					"The payment method type %q is invalid. Please ensure the provided type is activated in your dashboard (https://dashboard.stripe.com/account/payments/settings) and your account is enabled for any preview features that you are trying to use. payd supports: %s.", t, strings.Join(Supported, ", "))
			}
			if allowed := currencies[t]; currency != "" && allowed != nil && !slices.Contains(allowed, currency) {
				return nil, nil, errs.Invalid("payment_intent_invalid_parameter", "currency",
					"The currency provided (%s) is invalid. Payments with %s support the following currencies: %s.", currency, t, strings.Join(allowed, ", "))
			}
			if !slices.Contains(types, t) {
				types = append(types, t)
			}
		}
		return types, nil, nil
	}
	apm = &AutomaticMethods{Enabled: true, AllowRedirects: "always"}
	if a := p.Map("automatic_payment_methods"); a != nil {
		if b := a.Bool("enabled"); b != nil && !*b {
			return nil, nil, errs.Invalid("", "payment_method_types",
				"You must either pass payment_method_types or enable automatic_payment_methods.")
		}
		if v := a.Str("allow_redirects"); v != "" {
			apm.AllowRedirects = v
		}
	}
	for _, t := range Supported {
		if !slices.Contains(enabled, t) {
			continue
		}
		if allowed := currencies[t]; currency != "" && allowed != nil && !slices.Contains(allowed, currency) {
			continue
		}
		if Redirect[t] && apm.AllowRedirects == "never" {
			continue
		}
		types = append(types, t)
	}
	if len(types) == 0 {
		if currency == "" {
			return nil, nil, NoValidTypes("Setup Intent")
		}
		return nil, nil, NoValidTypes("Payment Intent")
	}
	return types, apm, nil
}

// NoValidTypes is Stripe's answer when automatic payment methods leave
// nothing to offer; object names what was being made ("Payment Intent",
// "Setup Intent", "Checkout Session", …). The Payment Intent wording is
// Stripe's as reported by its users; the others follow it, and Stripe's
// code and param for it are not known, so it has neither.
func NoValidTypes(object string) *errs.Error {
	return errs.Invalid("", "", "No valid payment method types for this %s. Please ensure that you have activated payment methods compatible with your chosen currency in your dashboard (https://dashboard.stripe.com/settings/payment_methods) or specify payment_method_types", object)
}

// BankAccountOptions takes, from given (payment_method_options
// [us_bank_account]), the options Stripe's ACH guides send into opts (the
// intent's rendered options of that type) and returns the rest; path
// names the parameter, for errors. payd verifies bank accounts at once,
// with no Financial Connections session, so the options are recorded as
// asked; microdeposits, which would wait for the customer, are refused.
func BankAccountOptions(opts, given map[string]any, path string) (rest map[string]any, err error) {
	rest = map[string]any{}
	for key, val := range given {
		switch key {
		case "verification_method":
			switch v, _ := val.(string); v {
			case "automatic", "instant":
				opts[key] = v
			case "microdeposits":
				return nil, errs.Invalid("", param.Path(path, key),
					"verification_method=microdeposits is not supported by payd: its bank accounts are verified instantly and never wait for microdeposits. Use automatic or instant.")
			}
		case "financial_connections":
			asked, _ := val.(map[string]any)
			fc := map[string]any{"permissions": []any{"payment_method"}, "prefetch": []any{}}
			for k, v := range asked {
				if perms, _ := v.([]any); k == "permissions" && !slices.Contains(perms, any("payment_method")) {
					return nil, errs.Invalid("", param.Path(param.Path(path, key), k),
						"The `payment_method` permission must be included in financial_connections[permissions].")
				}
				fc[k] = v // permissions, prefetch, filters, return_url: the request's schema allows no other
			}
			opts[key] = fc
		default:
			rest[key] = val
		}
	}
	return rest, nil
}
