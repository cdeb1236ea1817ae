package mandate_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/mandate"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/store"
	"github.com/payd/payd/internal/store/sqlite"
)

func open(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "payd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	err = st.Update(context.Background(), func(tx store.Tx) error {
		return tx.EnsureAccount(context.Background(), store.Account{ID: "acct_1", Created: 1})
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestCreate_FromPaymentIntentParams is the call a PaymentIntent confirmed
// with setup_future_usage=off_session makes: the mandate_data hash as the
// request carried it.
func TestCreate_FromPaymentIntentParams(t *testing.T) {
	st := open(t)
	ctx := mandate.WithBaseURL(context.Background(), "https://payd.example")
	now := time.Unix(1700000000, 0)
	var m *mandate.Mandate
	err := st.Update(ctx, func(tx store.Tx) error {
		var err error
		m, err = mandate.Create(ctx, tx, "acct_1", "pm_1", "sepa_debit",
			param.Map{"type": "online", "online": map[string]any{"ip_address": "203.0.113.1", "user_agent": "UA"}}, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := m.PaymentMethodDetails["sepa_debit"].(map[string]any)
	url, _ := d["url"].(string)
	if m.Status != mandate.Active || m.Type != "multi_use" || *m.CustomerAcceptance.AcceptedAt != now.Unix() ||
		*m.CustomerAcceptance.Online.IPAddress != "203.0.113.1" || !strings.HasPrefix(url, "https://payd.example"+mandate.PagePath+m.ID+"?token=") {
		t.Fatalf("mandate: %+v", m)
	}
	// The page opens with the url's token only.
	err = st.View(ctx, func(tx store.Tx) error {
		token := url[strings.Index(url, "token=")+len("token="):]
		if _, err := mandate.Page(ctx, tx, m.ID, token); err != nil {
			return err
		}
		if _, err := mandate.Page(ctx, tx, m.ID, "wrong"); err == nil {
			t.Error("page opened with a wrong token")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestParseAcceptance_Refusals(t *testing.T) {
	const path = "mandate_data[customer_acceptance]"
	cases := []struct {
		in    param.Map
		param string
	}{
		{param.Map{"type": "online"}, path + "[online]"},
		{param.Map{}, path + "[type]"},
		{param.Map{"type": "offline", "online": map[string]any{"ip_address": "1.2.3.4"}}, path + "[online]"},
	}
	for _, tc := range cases {
		_, err := mandate.ParseAcceptance(tc.in, path)
		if e, ok := errs.As(err); !ok || e.Param != tc.param || e.Status != 400 {
			t.Errorf("%v: %v, want an error on %s", tc.in, err, tc.param)
		}
	}
	if a, err := mandate.ParseAcceptance(param.Map{"type": "offline"}, path); err != nil || a.Offline == nil || a.Online != nil {
		t.Errorf("offline: %+v %v", a, err)
	}
}

// TestDeactivate_RecordsMandateUpdated: Stripe's only mandate event.
func TestDeactivate_RecordsMandateUpdated(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	now := time.Unix(1700000000, 0)
	err := st.Update(ctx, func(tx store.Tx) error {
		m, err := mandate.CreateAccepted(ctx, tx, "acct_1", "pm_1", "amazon_pay", mandate.Acceptance{Type: "offline", Offline: &struct{}{}}, now)
		if err != nil {
			return err
		}
		if err := mandate.Deactivate(ctx, tx, "acct_1", m.ID, now); err != nil {
			return err
		}
		if err := mandate.Deactivate(ctx, tx, "acct_1", m.ID, now); err != nil { // no second event
			return err
		}
		page, err := tx.List(ctx, event.Table, store.ListQuery{Account: "acct_1", Limit: 10})
		if err != nil {
			return err
		}
		if len(page.Records) != 1 {
			t.Fatalf("%d events, want 1", len(page.Records))
		}
		var ev event.Event
		json.Unmarshal(page.Records[0].Data, &ev)
		if ev.Type != "mandate.updated" || ev.Data.PreviousAttributes["status"] != "active" || !strings.Contains(string(ev.Data.Object), `"status":"inactive"`) {
			t.Fatalf("event: %+v", ev)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
