package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/payd/payd/internal/api/form"
	"github.com/payd/payd/internal/bufpool"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/store"
)

// apiVersionRE accepts the shape of every Stripe API version name
// ("2020-08-27", "2026-08-26.dahlia"); payd answers in its own version.
var apiVersionRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$`)

// maxBody bounds a request body; Stripe's own limit is of this order.
const maxBody = 1 << 20

// call is one authenticated, validated API request inside its transaction.
type call struct {
	// publishable is set when the request authenticated with a
	// publishable key (only endpoints that allow it get such calls).
	publishable bool
	ctx         context.Context
	tx          store.Tx
	account     string
	params      param.Map
	expand      []string
	r           *http.Request
}

// path returns a path parameter of the route.
func (c *call) path(name string) string { return c.r.PathValue(name) }

// result is a handler's successful answer: the JSON body of the object or
// list, before expansion.
type result struct {
	body []byte
	list bool
	// buf, when set, is the pooled storage of body, returned by free once
	// the response is written.
	buf *[]byte
}

// free returns the result's pooled buffer, if it has one; body must not
// be used after.
func (r result) free() {
	if r.buf != nil {
		bufpool.Put(r.buf)
	}
}

type handlerFunc func(c *call) (result, error)

// handle registers one endpoint and wraps it in the pipeline every endpoint
// shares: authenticate → decode and validate → (claim idempotency key) →
// run in a transaction → expand → store the idempotent response → write.
// Parameters are validated against the spec's schema for the operation the
// pattern names.
func (s *Server) handle(pattern string, acc access, fn handlerFunc) {
	decode := func(raw string) (map[string]any, error) { return form.DecodeRequest(raw, pattern) }
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, acc, fn, decode)
	})
}

// ownPrefix is where payd's own API lives: endpoints Stripe does not have,
// kept out of /v1 so that nothing there ever differs from Stripe.
const ownPrefix = "/_payd/"

// handleOwn registers one of payd's own endpoints under ownPrefix with the
// same pipeline as handle. Stripe's spec has no schema for them, so each
// brings its own; a /v1 route can never take this path and skip the spec.
func (s *Server) handleOwn(pattern string, acc access, schema *form.Schema, fn handlerFunc) {
	if _, path, _ := strings.Cut(pattern, " "); !strings.HasPrefix(path, ownPrefix) {
		panic("api: handleOwn is for " + ownPrefix + " routes, got " + pattern)
	}
	decode := func(raw string) (map[string]any, error) {
		pairs, err := form.Parse(raw)
		if err != nil {
			return nil, err
		}
		tree, err := form.Decode(pairs)
		if err != nil {
			return nil, err
		}
		return form.Validate(schema, tree)
	}
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, acc, fn, decode)
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, acc access, fn handlerFunc, decode func(raw string) (map[string]any, error)) {
	ctx := r.Context()
	// The key comes in the Authorization header, or else, from a browser
	// library, as the key parameter (read with the parameters below).
	header := apiKey(r)
	var key store.APIKey
	var err error
	if header != "" {
		if key, err = s.authorize(ctx, header, acc); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if v := r.Header.Get("Stripe-Version"); v != "" && !apiVersionRE.MatchString(v) {
		s.writeError(w, r, errs.Invalid("", "", "Invalid Stripe API version: %s", v))
		return
	}
	if r.Header.Get("Stripe-Account") != "" {
		s.writeError(w, r, errs.Invalid("", "", "The Stripe-Account header is not supported: payd has no connected accounts."))
		return
	}
	raw := r.URL.RawQuery
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			s.writeError(w, r, errs.Invalid("", "", "The request body could not be read or is larger than %d bytes.", maxBody))
			return
		}
		raw = string(body)
		if r.URL.RawQuery != "" {
			// Stripe reads parameters from the body of a POST; a query
			// string would be silently ignored, so refuse it.
			s.writeError(w, r, errs.Invalid("", "", "Parameters for POST requests must be sent in the request body, not in the URL query string."))
			return
		}
	}
	if header == "" {
		var given string
		raw, given = takeKeyParam(raw)
		if key, err = s.authorizeParam(ctx, given, acc); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	tree, err := decode(raw)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	params := param.Map(tree)
	expand, err := expandPaths(params)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c := &call{account: key.Account, params: params, expand: expand, r: r, publishable: key.Kind == store.KeyPublishable}

	if !isWrite(r.Method) {
		var res result
		var out []byte
		err := s.store.View(ctx, func(tx store.Tx) error {
			c.ctx, c.tx = ctx, tx
			var err error
			if res, err = fn(c); err != nil {
				return err
			}
			out, err = s.expandResult(c, res)
			return err
		})
		defer res.free()
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, r, http.StatusOK, out)
		return
	}

	// Stripe honours Idempotency-Key on POST only; on DELETE it has no
	// effect there either.
	var idemKey string
	if r.Method == http.MethodPost {
		idemKey = r.Header.Get("Idempotency-Key")
	}
	ctx = event.WithRequest(ctx, requestID(ctx), idemKey)
	if idemKey != "" {
		replay, err := s.claimIdempotencyKey(ctx, key.Account, idemKey, r.Method, r.URL.Path, tree)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if replay != nil {
			w.Header().Set("Idempotent-Replayed", "true")
			writeJSON(w, r, replay.status, replay.body)
			return
		}
	}
	var out []byte
	var committed *errs.Error
	err = s.store.Update(ctx, func(tx store.Tx) error {
		c.ctx, c.tx = ctx, tx
		committed = nil
		res, err := fn(c)
		if e, ok := errs.As(err); ok && e.Committed {
			// A declined payment: keep its state and events, answer the
			// error, and remember it for the key like a success.
			committed = e
			if idemKey != "" {
				return tx.FinishIdempotencyKey(ctx, key.Account, idemKey, e.Status, errorBody(e))
			}
			return nil
		}
		if err != nil {
			return err
		}
		if out, err = s.expandResult(c, res); err != nil {
			return err
		}
		if idemKey != "" {
			return tx.FinishIdempotencyKey(ctx, key.Account, idemKey, http.StatusOK, out)
		}
		return nil
	})
	if err == nil && committed != nil {
		err = committed
	}
	if err != nil {
		if idemKey != "" && committed == nil {
			// Nothing was committed, so a retry with the same key must be
			// free to run again.
			s.releaseIdempotencyKey(ctx, key.Account, idemKey)
		}
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, out)
}

// errorBody renders Stripe's error envelope.
func errorBody(e *errs.Error) []byte {
	body := map[string]any{"type": e.Type, "message": e.Message}
	if e.Code != "" {
		body["code"] = e.Code
		body["doc_url"] = "https://stripe.com/docs/error-codes/" + strings.ReplaceAll(e.Code, "_", "-")
	}
	if e.Param != "" {
		body["param"] = e.Param
	}
	if e.DeclineCode != "" {
		body["decline_code"] = e.DeclineCode
	}
	for k, v := range e.Extra {
		body[k] = v
	}
	out, _ := json.Marshal(map[string]any{"error": body})
	return out
}

func writeJSON(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	// A known length lets the body go out in one write instead of chunks.
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	c, _ := r.Context().Value(connKey{}).(*heldConn)
	f, _ := w.(http.Flusher)
	if c == nil || f == nil || len(body) < connBuffer {
		w.Write(body)
		return
	}
	// Larger than net/http's buffer: without holding, the response would
	// leave in several writes (see heldConn).
	c.writeHeld(func() {
		w.Write(body)
		f.Flush()
	})
}

// connBuffer is the size of net/http's buffer in front of a connection.
const connBuffer = 4 << 10

type connKey struct{}

// ConnContext is the http.Server hook that gives handlers their
// connection (one that Listener accepted), for writeJSON.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// writeError renders err in Stripe's envelope. Only *errs.Error reaches the
// client as written; anything else is logged and becomes an opaque 500.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := errs.As(err)
	if !ok {
		if errors.Is(err, context.Canceled) {
			return
		}
		s.log.Error("request failed", "request_id", w.Header().Get("Request-Id"), "method", r.Method, "path", r.URL.Path, "err", err)
		e = errs.Internal()
	}
	e = errs.Referenced(e, r.URL.Path)
	out := errorBody(e)
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="Stripe"`)
	}
	writeJSON(w, r, e.Status, out)
}

// requestHash identifies a request's inputs for idempotency: the same key
// may only be replayed for the same method, path and parameters.
func requestHash(method, path string, tree map[string]any) string {
	canon, _ := json.Marshal(redactSecrets(tree)) // map keys marshal sorted: canonical
	h := sha256.New()
	h.Write([]byte(method + " " + path + "\n"))
	h.Write(canon)
	return hex.EncodeToString(h.Sum(nil))
}

// secretParams are values that must never be stored, even hashed: an
// unsalted hash of a card number is as good as the number. They enter the
// idempotency hash only as their length and last four characters.
var secretParams = map[string]bool{"number": true, "cvc": true, "iban": true, "account_number": true}

// redactSecrets returns a copy of tree with secret parameters replaced.
func redactSecrets(tree map[string]any) map[string]any {
	out := make(map[string]any, len(tree))
	for k, v := range tree {
		switch v := v.(type) {
		case map[string]any:
			out[k] = redactSecrets(v)
		case []any:
			arr := make([]any, len(v))
			for i, el := range v {
				if m, ok := el.(map[string]any); ok {
					arr[i] = redactSecrets(m)
				} else {
					arr[i] = el
				}
			}
			out[k] = arr
		case string:
			if secretParams[k] {
				last := v
				if len(last) > 4 {
					last = last[len(last)-4:]
				}
				if k == "cvc" {
					last = ""
				}
				out[k] = "redacted:" + strconv.Itoa(len(v)) + ":" + last
			} else {
				out[k] = v
			}
		default:
			out[k] = v
		}
	}
	return out
}
