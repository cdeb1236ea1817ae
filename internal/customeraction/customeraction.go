// Package customeraction is what PaymentIntents and SetupIntents share
// about a step the customer must take (3-D Secure, a redirect to a payment
// provider): the one-time token of the authorization page, the next_action
// the API answers while the step is pending, and automatic_payment_methods.
package customeraction

import (
	"crypto/subtle"

	"github.com/payd/payd/internal/id"
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
// use_stripe_sdk for a browser library to open url itself. sourcePrefix
// names the attempt object Stripe.js expects ("payatt", "setatt").
func (s *Step) NextAction(url, sourcePrefix string) map[string]any {
	if s.ReturnURL != "" || s.Action == processor.ActionRedirect {
		return map[string]any{"type": "redirect_to_url",
			"redirect_to_url": map[string]any{"url": url, "return_url": s.ReturnURL}}
	}
	return map[string]any{"type": "use_stripe_sdk",
		"use_stripe_sdk": map[string]any{"type": "three_d_secure_redirect", "stripe_js": url, "source": sourcePrefix + "_" + s.Token[:24]}}
}

// AutomaticMethods is an intent's automatic_payment_methods.
type AutomaticMethods struct {
	AllowRedirects string `json:"allow_redirects,omitempty"`
	Enabled        bool   `json:"enabled"`
}
