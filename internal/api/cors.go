package api

import (
	"net/http"
	"strings"
)

// crossOrigin reports whether path may be called from a page of another
// origin: the API, which a browser library calls with a publishable key
// from the merchant's page, and the authorization endpoint it completes
// a 3-D Secure step through (format=json).
func crossOrigin(path string) bool {
	return strings.HasPrefix(path, "/v1/") || strings.HasPrefix(path, "/_payd/authorize/")
}

// allowCrossOrigin lets browsers on any origin read the response, as
// Stripe's API does: keys, not cookies, authenticate, so there is nothing
// a page could borrow from the browser. A preflight (OPTIONS with
// Access-Control-Request-Method) is answered here with the methods and
// the headers asked for, and allowCrossOrigin reports true; the request
// itself then goes on as usual.
func allowCrossOrigin(w http.ResponseWriter, r *http.Request) (answered bool) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "Request-Id, Stripe-Version, Idempotency-Key, Original-Request, Stripe-Should-Retry")
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
	if asked := r.Header.Get("Access-Control-Request-Headers"); asked != "" {
		h.Set("Access-Control-Allow-Headers", asked)
	}
	h.Set("Access-Control-Max-Age", "600")
	h.Add("Vary", "Access-Control-Request-Headers")
	w.WriteHeader(http.StatusNoContent)
	return true
}
