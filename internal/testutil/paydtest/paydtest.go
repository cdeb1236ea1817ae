// Package paydtest starts a real payd (the real router over a real store)
// for tests, and hands out official stripe-go clients whose every response
// is validated against Stripe's OpenAPI spec.
package paydtest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/account"
	"github.com/payd/payd/internal/api"
	"github.com/payd/payd/internal/store"
	"github.com/payd/payd/internal/store/postgres"
	"github.com/payd/payd/internal/store/sqlite"
	"github.com/payd/payd/internal/testutil/pgtest"
	"github.com/payd/payd/internal/testutil/specvalidate"
)

// Engine opens a fresh store for a test.
type Engine struct {
	Name string
	// Open returns a new, empty store; DB returns the URL it opened, so a
	// test can open a second handle (a second node, a restart).
	Open func(t testing.TB) (store.Store, string)
	// Reopen opens another handle on the same database.
	Reopen func(t testing.TB, url string) store.Store
}

// Engines are both storage engines; tests run against each.
var Engines = []Engine{
	{
		Name: "sqlite",
		Open: func(t testing.TB) (store.Store, string) {
			path := filepath.Join(t.TempDir(), "payd.db")
			return openSQLite(t, path), path
		},
		Reopen: func(t testing.TB, path string) store.Store { return openSQLite(t, path) },
	},
	{
		Name: "postgres",
		Open: func(t testing.TB) (store.Store, string) {
			url := pgtest.URL(t)
			return openPostgres(t, url), url
		},
		Reopen: func(t testing.TB, url string) store.Store { return openPostgres(t, url) },
	},
}

func openSQLite(t testing.TB, path string) store.Store {
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func openPostgres(t testing.TB, url string) store.Store {
	st, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Each runs fn once per engine as a subtest.
func Each(t *testing.T, fn func(t *testing.T, e Engine)) {
	for _, e := range Engines {
		t.Run(e.Name, func(t *testing.T) { fn(t, e) })
	}
}

// Server is one running payd.
type Server struct {
	URL      string
	Store    store.Store
	Accounts []account.Pair
	// API is the handler, for what a running payd does in the background
	// (settling delayed debits): tests call it when they need it.
	API *api.Server
	t   testing.TB
	srv *httptest.Server
}

// Keys declared by every test server: two accounts, so isolation can be
// checked everywhere.
var Keys = []account.Pair{
	{Secret: "sk_test_BQokikJOvBiI2HlWgH4olfQ2", Publishable: "pk_test_TYooMQauvdEDq54NiTphI7jx"},
	{Secret: "sk_test_otherAccount0000000000", Publishable: "pk_test_otherAccount0000000000"},
}

// Clock is a test server's clock: the wall clock shifted by what Advance
// added. It keeps running, so objects made one after another keep their
// order, yet a test can jump past a deadline (a session's expiry, the
// prefill window) in an instant. Safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now is the clock's time; give it to api.Config.Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock d ahead.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// Options changes how Start and New serve; the zero value is their default.
type Options struct {
	// Clock, if set, is the server's clock instead of the wall clock.
	Clock *Clock
}

// Start serves the API over st with the two test accounts.
func Start(t testing.TB, st store.Store) *Server {
	return StartWith(t, st, Options{})
}

// StartWith is Start with options.
func StartWith(t testing.TB, st store.Store, opts Options) *Server {
	now := time.Now
	if opts.Clock != nil {
		now = opts.Clock.Now
	}
	accts, err := account.Ensure(context.Background(), st, Keys, now())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	// Delayed debits settle as soon as a test asks (SettleDue).
	h := api.New(api.Config{Store: st, Logger: log, Now: now, DebitSettleDelay: time.Nanosecond})
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnContext = api.ConnContext // as server.Run does
	srv.Listener = api.Listener(srv.Listener)
	srv.Start()
	t.Cleanup(srv.Close)
	return &Server{URL: srv.URL, Store: st, Accounts: accts, API: h, t: t, srv: srv}
}

// New opens a fresh store on e and starts a server on it.
func New(t testing.TB, e Engine) *Server {
	return NewWith(t, e, Options{})
}

// NewWith is New with options.
func NewWith(t testing.TB, e Engine, opts Options) *Server {
	st, _ := e.Open(t)
	return StartWith(t, st, opts)
}

// NewWithClock starts a server on a fresh store of e whose clock is
// clock, for tests of what happens with time (expiry, prefill windows).
func NewWithClock(t testing.TB, e Engine, clock *Clock) *Server {
	return NewWith(t, e, Options{Clock: clock})
}

// Close stops the server (the store stays open).
func (s *Server) Close() { s.srv.Close() }

// Client is a stripe-go client for account i's secret key.
func (s *Server) Client(i int) *stripe.Client {
	return s.ClientKey(s.Accounts[i].Secret)
}

// ClientKey is a stripe-go client for any key.
func (s *Server) ClientKey(key string) *stripe.Client {
	return ClientFor(s.t, s.URL, key)
}

// ClientFor is a stripe-go client for key against the payd at url, with
// every response validated against Stripe's spec.
func ClientFor(t testing.TB, url, key string) *stripe.Client {
	cfg := &stripe.BackendConfig{
		URL:               stripe.String(url),
		HTTPClient:        specvalidate.Client(t),
		MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
		EnableTelemetry:   stripe.Bool(false),
	}
	return stripe.NewClient(key, stripe.WithBackends(stripe.NewBackendsWithConfig(cfg)))
}

// Response is a raw HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Do sends a raw request with key as Bearer (none when empty) through the
// validating transport; body is a form-encoded string.
func (s *Server) Do(method, path, key, body string, header ...string) Response {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := specvalidate.Client(s.t).Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
