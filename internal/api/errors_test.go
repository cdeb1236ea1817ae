package api_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/api"
	"github.com/payd/payd/internal/store"
	"github.com/payd/payd/internal/testutil/paydtest"
)

// brokenStore fails every transaction with a driver-like error whose text
// must never reach a client.
type brokenStore struct{ store.Store }

var errDriver = errors.New("pq: could not connect to server at 10.1.2.3 user=admin password=hunter2")

func (brokenStore) Update(context.Context, func(store.Tx) error) error { return errDriver }
func (brokenStore) View(context.Context, func(store.Tx) error) error   { return errDriver }

func TestInternalErrorsDoNotLeak(t *testing.T) {
	srv := httptest.NewServer(api.New(api.Config{Store: brokenStore{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer srv.Close()
	sc := paydtest.ClientFor(t, srv.URL, "sk_test_whatever")
	_, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("a@example.com")})
	se := stripeErr(t, err, 500, "api_error", "", "")
	if strings.Contains(se.Msg, "hunter2") || strings.Contains(se.Msg, "10.1.2.3") || strings.Contains(se.Msg, "pq:") {
		t.Fatalf("500 leaks internal text: %q", se.Msg)
	}
}
