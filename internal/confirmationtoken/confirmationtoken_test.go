package confirmationtoken_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payd/payd/internal/confirmationtoken"
	"github.com/payd/payd/internal/customer"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/paymentmethod"
	"github.com/payd/payd/internal/store"
	"github.com/payd/payd/internal/testutil/paydtest"
)

var ctx = context.Background()

const account = "acct_ctoken_test"

// t0 is the fixed clock every token here is created at.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

type fixture struct {
	st        store.Store
	tokens    *confirmationtoken.Service
	methods   *paymentmethod.Service
	customers *customer.Service
}

func newFixture(t *testing.T, e paydtest.Engine) *fixture {
	st, _ := e.Open(t)
	now := func() time.Time { return t0 }
	customers := &customer.Service{Now: now}
	methods := &paymentmethod.Service{Now: now, Customers: customers}
	return &fixture{st: st, customers: customers, methods: methods,
		tokens: &confirmationtoken.Service{Now: now, Methods: methods}}
}

// create makes a token from p in its own transaction and returns its id.
func (f *fixture) create(t *testing.T, p param.Map, publishable bool) (string, error) {
	t.Helper()
	var id string
	err := f.st.Update(ctx, func(tx store.Tx) error {
		data, err := f.tokens.Create(ctx, tx, account, p, publishable)
		if err != nil {
			return err
		}
		var v struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(data, &v); err != nil {
			return err
		}
		id = v.ID
		return nil
	})
	return id, err
}

func (f *fixture) consume(tokenID string, now time.Time) (*confirmationtoken.Use, error) {
	var u *confirmationtoken.Use
	err := f.st.Update(ctx, func(tx store.Tx) error {
		var err error
		u, err = confirmationtoken.Consume(ctx, tx, account, tokenID, "confirmation_token", now)
		return err
	})
	return u, err
}

// wantErr checks a Stripe-shaped error by status, code and param.
func wantErr(t *testing.T, err error, status int, code, paramName, substr string) {
	t.Helper()
	e, ok := errs.As(err)
	if !ok {
		t.Fatalf("got %v, want an *errs.Error", err)
	}
	if e.Status != status || e.Code != code || e.Param != paramName || !strings.Contains(e.Message, substr) {
		t.Fatalf("got %d %s %s %q, want %d %s %s containing %q", e.Status, e.Code, e.Param, e.Message, status, code, paramName, substr)
	}
}

func fullToken() param.Map {
	return param.Map{
		"payment_method":     "pm_card_visa",
		"return_url":         "https://example.com/return",
		"setup_future_usage": "off_session",
		"shipping": map[string]any{"name": "Jenny Rosen", "phone": "+15555550100",
			"address": map[string]any{"line1": "1234 Main Street", "country": "US"}},
		"mandate_data": map[string]any{"customer_acceptance": map[string]any{"type": "online",
			"online": map[string]any{"ip_address": "203.0.113.9", "user_agent": "Mozilla/5.0"}}},
	}
}

func TestConsume_SingleUse(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		f := newFixture(t, e)
		id, err := f.create(t, fullToken(), false)
		if err != nil {
			t.Fatal(err)
		}
		u, err := f.consume(id, t0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(u.PaymentMethod, "pm_") || u.PaymentMethod == "pm_card_visa" ||
			u.ReturnURL != "https://example.com/return" || u.SetupFutureUsage != "off_session" {
			t.Fatalf("use: %+v", u)
		}
		// Shipping and mandate_data come back as the request parameters a
		// confirm would have taken.
		addr, _ := u.Shipping["address"].(map[string]any)
		if u.Shipping["name"] != "Jenny Rosen" || u.Shipping["phone"] != "+15555550100" || addr["line1"] != "1234 Main Street" ||
			addr["country"] != "US" || len(addr) != 2 {
			t.Fatalf("shipping: %#v", u.Shipping)
		}
		ca := param.Map(u.MandateData).Map("customer_acceptance")
		if ca.Str("type") != "online" || ca.Map("online").Str("ip_address") != "203.0.113.9" || ca.Map("online").Str("user_agent") != "Mozilla/5.0" {
			t.Fatalf("mandate_data: %#v", u.MandateData)
		}
		// The method the preview showed is the one the confirm gets.
		err = f.st.View(ctx, func(tx store.Tx) error {
			pm, err := f.methods.Get(ctx, tx, account, u.PaymentMethod, "payment_method")
			if err != nil {
				return err
			}
			if pm.Card == nil || pm.Card.Last4 != "4242" {
				t.Errorf("method: %+v", pm)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		_, err = f.consume(id, t0.Add(2*time.Minute))
		wantErr(t, err, 400, "", "confirmation_token", "ConfirmationToken "+id+" has already been used")

		// The confirm records the intent it made.
		err = f.st.Update(ctx, func(tx store.Tx) error {
			return confirmationtoken.SetIntent(ctx, tx, account, id, "payment_intent", "pi_123")
		})
		if err != nil {
			t.Fatal(err)
		}
		err = f.st.View(ctx, func(tx store.Tx) error {
			data, err := confirmationtoken.Get(ctx, tx, account, id, "id")
			if err != nil {
				return err
			}
			if !strings.Contains(string(data), `"payment_intent":"pi_123"`) || !strings.Contains(string(data), `"setup_intent":null`) {
				t.Errorf("after SetIntent: %s", data)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestConsume_RacingConfirmsSpendOnce(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		f := newFixture(t, e)
		id, err := f.create(t, param.Map{"payment_method": "pm_card_visa"}, false)
		if err != nil {
			t.Fatal(err)
		}
		const n = 8
		results := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.consume(id, t0)
				results <- err
			}()
		}
		wg.Wait()
		close(results)
		spent := 0
		for err := range results {
			if err == nil {
				spent++
			} else if e, ok := errs.As(err); !ok || !strings.Contains(e.Message, "already been used") {
				t.Errorf("racing consume: %v", err)
			}
		}
		if spent != 1 {
			t.Fatalf("%d confirms spent the token, want 1", spent)
		}
	})
}

func TestConsume_RolledBackConfirmLeavesTokenUsable(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		f := newFixture(t, e)
		id, err := f.create(t, param.Map{"payment_method": "pm_card_visa"}, false)
		if err != nil {
			t.Fatal(err)
		}
		failed := errors.New("confirm failed after consuming")
		err = f.st.Update(ctx, func(tx store.Tx) error {
			if _, err := confirmationtoken.Consume(ctx, tx, account, id, "confirmation_token", t0); err != nil {
				return err
			}
			return failed
		})
		if !errors.Is(err, failed) {
			t.Fatal(err)
		}
		if _, err := f.consume(id, t0); err != nil {
			t.Fatalf("after rollback: %v", err)
		}
	})
}

func TestConsume_ExpiresAfterTwelveHours(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		f := newFixture(t, e)
		id, err := f.create(t, param.Map{"payment_method": "pm_card_visa"}, false)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.consume(id, t0.Add(12*time.Hour+time.Second))
		wantErr(t, err, 400, "", "confirmation_token", "ConfirmationToken "+id+" has expired")
		// The last second of the 12 hours still counts.
		if _, err := f.consume(id, t0.Add(12*time.Hour)); err != nil {
			t.Fatalf("at expires_at: %v", err)
		}
	})
}

func TestConsume_UnknownToken(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		f := newFixture(t, e)
		_, err := f.consume("ctoken_nope", t0)
		wantErr(t, err, 404, "resource_missing", "confirmation_token", "No such confirmationtoken: 'ctoken_nope'")
		// Another account's token is just as unknown.
		id, err := f.create(t, param.Map{"payment_method": "pm_card_visa"}, false)
		if err != nil {
			t.Fatal(err)
		}
		err = f.st.Update(ctx, func(tx store.Tx) error {
			_, err := confirmationtoken.Consume(ctx, tx, "acct_other", id, "confirmation_token", t0)
			return err
		})
		wantErr(t, err, 404, "resource_missing", "confirmation_token", "No such confirmationtoken")
	})
}

// A publishable key must not turn a customer's saved method into a token:
// the preview would show its billing details to anyone holding the key.
func TestCreate_PublishableRefusesSavedMethod(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		f := newFixture(t, e)
		var pmID string
		err := f.st.Update(ctx, func(tx store.Tx) error {
			c, _, err := f.customers.Create(ctx, tx, account, param.Map{})
			if err != nil {
				return err
			}
			pm, err := f.methods.Attach(ctx, tx, account, "pm_card_visa", c.ID)
			if err != nil {
				return err
			}
			pmID = pm.ID
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.create(t, param.Map{"payment_method": pmID}, true)
		wantErr(t, err, 400, "", "payment_method", "saved to a customer")
		// The merchant's server may: the test helper uses its secret key.
		if _, err := f.create(t, param.Map{"payment_method": pmID}, false); err != nil {
			t.Fatal(err)
		}
	})
}
