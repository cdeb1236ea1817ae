// Package errs holds the typed errors that domain code returns. The API layer
// turns them into Stripe's error envelope in exactly one place, so no handler
// ever picks an HTTP status by itself.
package errs

import (
	"errors"
	"fmt"
	"strings"
)

// Stripe's error types, as they appear in the envelope's "type" field.
const (
	TypeInvalidRequest = "invalid_request_error"
	TypeAPI            = "api_error"
	TypeCard           = "card_error"
	TypeIdempotency    = "idempotency_error"
)

// Error is a Stripe-shaped error. Status is the HTTP status it maps to; the
// remaining fields go into the envelope verbatim.
type Error struct {
	Status      int
	Type        string
	Code        string
	Param       string
	Message     string
	DeclineCode string
	// Extra carries additional envelope fields (payment_intent, …) already
	// rendered as JSON-marshalable values.
	Extra map[string]any
	// MissingID is the id a resource_missing error names; never rendered.
	// It tells the object of the URL (404) from one a parameter refers to
	// (400): see Referenced.
	MissingID string
	// Committed marks an error that is the outcome of an operation whose
	// changes must be kept, such as a declined payment: the transaction
	// commits (with its events) and the error is the response, replayed
	// for its Idempotency-Key like any other.
	Committed bool
}

func (e *Error) Error() string {
	if e.Param != "" {
		return fmt.Sprintf("%s (%s, param %s): %s", e.Type, e.Code, e.Param, e.Message)
	}
	return fmt.Sprintf("%s (%s): %s", e.Type, e.Code, e.Message)
}

// As extracts an *Error from err.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Invalid is a 400 invalid_request_error about one parameter.
func Invalid(code, param, format string, args ...any) *Error {
	return &Error{Status: 400, Type: TypeInvalidRequest, Code: code, Param: param, Message: fmt.Sprintf(format, args...)}
}

// Unknown reports a parameter Stripe does not accept for the operation.
func Unknown(param string) *Error {
	return Invalid("parameter_unknown", param, "Received unknown parameter: %s", param)
}

// Missing reports a required parameter that was not sent.
func Missing(param string) *Error {
	return Invalid("parameter_missing", param, "Missing required param: %s.", param)
}

// NotFound is Stripe's resource_missing for an id that does not exist for
// the caller's account. Objects of other accounts must produce exactly this
// error too. It is a 404 when the id is the object the URL names, and a 400
// when a parameter of the request refers to it (Stripe answers "No such
// price" for line_items[0][price] with 400); the API layer, which knows the
// URL, settles which with Referenced.
func NotFound(objectName, id, param string) *Error {
	return &Error{Status: 404, Type: TypeInvalidRequest, Code: "resource_missing", Param: param,
		Message: fmt.Sprintf("No such %s: '%s'", objectName, id), MissingID: id}
}

// Referenced returns e as a 400 when it is a resource_missing for an id
// that is not one of the URL path's segments: the request referred to an
// object that does not exist, rather than addressing one. Otherwise it
// returns e unchanged.
//
// A param of "id" is kept a 404: Stripe names it so when it resolves a
// parameter as if the URL had addressed the object (a refund's charge).
func Referenced(e *Error, urlPath string) *Error {
	if e.Status != 404 || e.MissingID == "" || e.Param == "id" {
		return e
	}
	for _, seg := range strings.Split(urlPath, "/") {
		if seg == e.MissingID {
			return e
		}
	}
	c := *e
	c.Status = 400
	return &c
}

// NoRoute is the 404 for a URL that matches no endpoint.
func NoRoute(method, path string) *Error {
	return &Error{Status: 404, Type: TypeInvalidRequest,
		Message: fmt.Sprintf("Unrecognized request URL (%s: %s). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.", method, path)}
}

// Unauthorized is the 401 for a missing or unknown key.
func Unauthorized(message string) *Error {
	return &Error{Status: 401, Type: TypeInvalidRequest, Message: message}
}

// Forbidden is the 403 for a key that may not call an endpoint.
func Forbidden(message string) *Error {
	return &Error{Status: 403, Type: TypeInvalidRequest, Code: "secret_key_required", Message: message}
}

// Idempotency is the 400 for a reused key with different parameters.
func Idempotency(message string) *Error {
	return &Error{Status: 400, Type: TypeIdempotency, Message: message}
}

// Conflict is the 409 for a request whose idempotency key is still being
// processed.
func Conflict(message string) *Error {
	return &Error{Status: 409, Type: TypeIdempotency, Code: "idempotency_key_in_use", Message: message}
}

// State reports an operation that the object's current status forbids.
func State(code, format string, args ...any) *Error {
	return &Error{Status: 400, Type: TypeInvalidRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Card is the 402 card_error of a declined payment; its changes commit.
func Card(code, declineCode, param, message string, extra map[string]any) *Error {
	return &Error{Status: 402, Type: TypeCard, Code: code, DeclineCode: declineCode, Param: param,
		Message: message, Extra: extra, Committed: true}
}

// Internal is a 500 whose message never carries internal detail.
func Internal() *Error {
	return &Error{Status: 500, Type: TypeAPI, Message: "An unknown error occurred while processing your request."}
}

// CheckoutOwned refuses an API action on an intent a Checkout Session
// drives, in Stripe's words; objects is "PaymentIntents" or
// "SetupIntents".
func CheckoutOwned(objects string) *Error {
	return Invalid("", "", "You cannot perform this action on %s created by Checkout. Expire the Checkout Session instead.", objects)
}
