// Package api is payd's HTTP surface: one route table, Stripe's conventions
// (auth, form decoding, the error envelope, idempotency, expansion, lists)
// applied the same way to every resource, and one small file per resource.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/payd/payd/internal/catalog"
	"github.com/payd/payd/internal/charge"
	"github.com/payd/payd/internal/checkout"
	"github.com/payd/payd/internal/customer"
	"github.com/payd/payd/internal/dispute"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/mandate"
	"github.com/payd/payd/internal/paymentintent"
	"github.com/payd/payd/internal/paymentlink"
	"github.com/payd/payd/internal/paymentmethod"
	"github.com/payd/payd/internal/pmconfig"
	"github.com/payd/payd/internal/processor"
	"github.com/payd/payd/internal/refund"
	"github.com/payd/payd/internal/setupintent"
	"github.com/payd/payd/internal/store"
	"github.com/payd/payd/internal/version"
)

// Config is everything the API needs, parsed once by main.
type Config struct {
	Store  store.Store
	Logger *slog.Logger
	// Now is the clock; tests may fix it.
	Now func() time.Time
	// IdempotencyLease is how long a request may hold its Idempotency-Key
	// before another request may assume it died and take the key over.
	IdempotencyLease time.Duration
	// Processor moves the money; nil means the built-in test processor
	// with DebitSettleDelay.
	Processor        processor.Processor
	DebitSettleDelay time.Duration
}

// Server holds the API's dependencies; handlers are its methods.
type Server struct {
	store          store.Store
	log            *slog.Logger
	now            func() time.Time
	lease          time.Duration
	customers      *customer.Service
	paymentMethods *paymentmethod.Service
	intents        *paymentintent.Service
	setups         *setupintent.Service
	refunds        *refund.Service
	catalog        *catalog.Service
	checkout       *checkout.Service
	paymentLinks   *paymentlink.Service
	expanders      map[string]expander
	keys           keyCache
	mux            *http.ServeMux
}

// New builds the server and its route table.
func New(cfg Config) *Server {
	s := &Server{store: cfg.Store, log: cfg.Logger, now: cfg.Now, lease: cfg.IdempotencyLease}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.lease == 0 {
		s.lease = time.Minute
	}
	proc := cfg.Processor
	if proc == nil {
		delay := cfg.DebitSettleDelay
		if delay == 0 {
			delay = processor.DefaultSettleDelay
		}
		proc = &processor.Test{SettleDelay: delay, Now: s.now}
	}
	s.customers = &customer.Service{Now: s.now}
	s.paymentMethods = &paymentmethod.Service{Now: s.now, Customers: s.customers, Processor: proc}
	s.customers.Methods = s.paymentMethods
	s.intents = &paymentintent.Service{Now: s.now, Processor: proc, Methods: s.paymentMethods,
		Customers: s.customers, AuthorizeURL: authorizeURL}
	s.setups = &setupintent.Service{Now: s.now, Processor: proc, Methods: s.paymentMethods,
		Customers: s.customers, AuthorizeURL: authorizeURL}
	s.catalog = &catalog.Service{Now: s.now}
	s.checkout = &checkout.Service{Now: s.now, Catalog: s.catalog, Customers: s.customers, Methods: s.paymentMethods,
		Intents: s.intents, Setups: s.setups, Enabled: pmconfig.Enabled, PageURL: checkoutPageURL, ReturnURL: checkoutReturnURL}
	s.intents.Owners, s.setups.Owners = s.checkout, s.checkout
	s.paymentLinks = &paymentlink.Service{Now: s.now, Checkout: s.checkout, URL: paymentLinkURL}
	s.checkout.OnComplete = s.paymentLinks.SessionCompleted
	s.expanders = map[string]expander{
		setupintent.Prefix + "_":        setupintent.Get,
		setupintent.AttemptPrefix + "_": setupintent.GetAttempt,
		mandate.Prefix + "_":            mandate.Get,
		customer.Prefix + "_":           s.customers.Retrieve,
		paymentintent.Prefix + "_":      paymentintent.Get,
		charge.Prefix + "_":             getter(charge.Table, "charge"),
		refund.Prefix + "_":             getter(refund.Table, "refund"),
		dispute.Prefix + "_":            getter(dispute.Table, "dispute"),

		catalog.ProductPrefix + "_": catalog.ExpandProduct,
		catalog.PricePrefix + "_":   catalog.PriceJSON,
		"cs_":                       checkout.Get,
		paymentlink.Prefix + "_":    paymentlink.Get,
	}
	s.routes()
	return s
}

// access says which keys may call an endpoint.
type access int

const (
	secretOnly access = iota
	publishableToo
)

// routes is the one table of every endpoint payd serves. Patterns are the
// spec's own path templates, so each also names the operation whose
// parameter schema validates the request.
func (s *Server) routes() {
	s.mux = http.NewServeMux()
	s.handle("POST /v1/customers", secretOnly, s.createCustomer)
	s.handle("GET /v1/customers", secretOnly, s.listCustomers)
	s.handle("GET /v1/customers/search", secretOnly, searchIn(customerSearch))
	s.handle("GET /v1/customers/{customer}", secretOnly, s.retrieveCustomer)
	s.handle("POST /v1/customers/{customer}", secretOnly, s.updateCustomer)
	s.handle("DELETE /v1/customers/{customer}", secretOnly, s.deleteCustomer)
	s.handle("GET /v1/customers/{customer}/payment_methods", secretOnly, s.listCustomerPaymentMethods)

	s.handle("GET /v1/events", secretOnly, s.listEvents)
	s.handle("GET /v1/events/{id}", secretOnly, s.retrieveEvent)

	s.paymentMethodRoutes()
	s.paymentIntentRoutes()
	s.setupIntentRoutes()
	s.refundRoutes()
	s.disputeRoutes()
	s.catalogRoutes()
	s.paymentMethodConfigRoutes()
	s.checkoutRoutes()
	s.paymentLinkRoutes()
	s.confirmationTokenRoutes()
	s.webhookRoutes()
	s.pageRoutes()

	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errs.NoRoute(r.Method, r.URL.Path))
	})
}

// ServeHTTP stamps every response with a Request-Id and turns panics into
// Stripe's opaque 500.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := "req_" + id.Random(14)
	h := w.Header()
	h.Set("Request-Id", reqID)
	h.Set("Stripe-Version", version.APIVersion)
	if r.Header.Get("Origin") != "" && crossOrigin(r.URL.Path) {
		if allowCrossOrigin(w, r) {
			return // a preflight, answered
		}
	}
	ctx := context.WithValue(r.Context(), requestIDKey{}, reqID)
	ctx = context.WithValue(ctx, baseURLKey{}, baseURL(r))
	ctx = mandate.WithBaseURL(ctx, baseURL(r))
	r = r.WithContext(ctx)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic serving request", "request_id", reqID, "method", r.Method, "path", r.URL.Path, "panic", v)
			s.writeError(w, r, errs.Internal())
		}
	}()
	s.mux.ServeHTTP(w, r)
}

type requestIDKey struct{}

func requestID(ctx context.Context) string {
	v, _ := ctx.Value(requestIDKey{}).(string)
	return v
}

// isWrite reports whether a method changes state (and so may carry an
// Idempotency-Key and runs in a write transaction).
func isWrite(method string) bool {
	return method == http.MethodPost || method == http.MethodDelete
}

type baseURLKey struct{}

// baseURL is the scheme and host the client used to reach payd, so that
// links payd hands out (authorization pages) point back to where it is.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// authorizeURL is the page where a customer completes an intent's action.
func authorizeURL(ctx context.Context, intentID, token string) string {
	base, _ := ctx.Value(baseURLKey{}).(string)
	return base + "/_payd/authorize/" + intentID + "?token=" + token
}

// getter is an expander for a table whose rows are served as stored.
func getter(table, objectName string) expander {
	return func(ctx context.Context, tx store.Tx, account, id string) ([]byte, error) {
		rec, err := tx.Get(ctx, table, account, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errs.NotFound(objectName, id, "id")
		}
		return rec.Data, err
	}
}
