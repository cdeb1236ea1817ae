package api_test

import (
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/testutil/paydtest"
)

// TestEvents_EachTransition follows the flows whose events no other test
// names, and checks the events each records, in order: manual capture,
// cancel, a delayed debit, a failing refund, a canceled SetupIntent and a
// detached method whose mandate ends.
func TestEvents_EachTransition(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		seen := 0
		// since returns the types recorded since the last call, oldest
		// first.
		since := func() string {
			t.Helper()
			all := eventTypes(t, sc)
			out := all[seen:]
			seen = len(all)
			return strings.Join(out, ",")
		}
		want := func(flow, got, want string) {
			t.Helper()
			if got != want {
				t.Errorf("%s: events\n  %s\nwant\n  %s", flow, got, want)
			}
		}
		card := []*string{stripe.String("card")}

		// Manual capture: authorized, then captured.
		pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String("pm_card_visa"), Confirm: stripe.Bool(true),
			CaptureMethod: stripe.String("manual"), PaymentMethodTypes: card})
		if err != nil || pi.Status != stripe.PaymentIntentStatusRequiresCapture {
			t.Fatalf("authorize: %+v %v", pi, err)
		}
		want("authorize", since(), "payment_intent.created,charge.succeeded,payment_intent.amount_capturable_updated")
		if _, err := sc.V1PaymentIntents.Capture(ctx, pi.ID, nil); err != nil {
			t.Fatal(err)
		}
		want("capture", since(), "charge.captured,payment_intent.succeeded")

		// Cancel.
		pi, err = createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethodTypes: card})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1PaymentIntents.Cancel(ctx, pi.ID, nil); err != nil {
			t.Fatal(err)
		}
		want("cancel", since(), "payment_intent.created,payment_intent.canceled")

		// A delayed debit: processing and pending, then settled.
		pi, err = createPI(t, sc, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(2000), Currency: stripe.String("usd"),
			PaymentMethod: stripe.String("pm_usBankAccount_success"), Confirm: stripe.Bool(true),
			PaymentMethodTypes: []*string{stripe.String("us_bank_account")},
			MandateData: &stripe.PaymentIntentCreateMandateDataParams{CustomerAcceptance: &stripe.PaymentIntentCreateMandateDataCustomerAcceptanceParams{
				Type: stripe.String("offline")}}})
		if err != nil || pi.Status != stripe.PaymentIntentStatusProcessing {
			t.Fatalf("debit: %+v %v", pi, err)
		}
		want("debit", since(), "payment_intent.created,charge.pending,payment_intent.processing")
		if _, err := srv.API.SettleDue(ctx); err != nil {
			t.Fatal(err)
		}
		want("settle", since(), "charge.succeeded,payment_intent.succeeded")

		// A refund that fails after it succeeded gives its amount back to
		// the charge: charge.updated.
		pi, err = createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String("pm_card_refundFail"), Confirm: stripe.Bool(true),
			PaymentMethodTypes: card})
		if err != nil {
			t.Fatal(err)
		}
		since()
		if _, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{PaymentIntent: stripe.String(pi.ID)}); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.API.SettleDueRefunds(ctx); err != nil {
			t.Fatal(err)
		}
		want("failing refund", since(), "refund.created,charge.refunded,refund.updated,refund.failed,charge.refund.updated,charge.updated")

		// A SetupIntent canceled.
		si, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{PaymentMethodTypes: card})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1SetupIntents.Cancel(ctx, si.ID, nil); err != nil {
			t.Fatal(err)
		}
		want("setup cancel", since(), "setup_intent.created,setup_intent.canceled")

		// A saved SEPA method detached: its mandate ends.
		cus, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
		if err != nil {
			t.Fatal(err)
		}
		si, err = sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cus.ID), Confirm: stripe.Bool(true),
			PaymentMethodTypes: []*string{stripe.String("sepa_debit")},
			PaymentMethodData: &stripe.SetupIntentCreatePaymentMethodDataParams{Type: stripe.String("sepa_debit"),
				SEPADebit: &stripe.SetupIntentCreatePaymentMethodDataSEPADebitParams{IBAN: stripe.String("DE89370400440532013000")},
				BillingDetails: &stripe.SetupIntentCreatePaymentMethodDataBillingDetailsParams{
					Name: stripe.String("Jenny Rosen"), Email: stripe.String("jenny@example.com")}},
			MandateData: &stripe.SetupIntentCreateMandateDataParams{CustomerAcceptance: &stripe.SetupIntentCreateMandateDataCustomerAcceptanceParams{
				Type: stripe.String("offline")}}})
		if err != nil || si.Mandate == nil {
			t.Fatalf("sepa setup: %+v %v", si, err)
		}
		since()
		if _, err := sc.V1PaymentMethods.Detach(ctx, si.PaymentMethod.ID, nil); err != nil {
			t.Fatal(err)
		}
		want("detach", since(), "payment_method.detached,mandate.updated")
		m, err := sc.V1Mandates.Retrieve(ctx, si.Mandate.ID, nil)
		if err != nil || m.Status != stripe.MandateStatusInactive {
			t.Fatalf("mandate after detach: %+v %v", m, err)
		}
	})
}
