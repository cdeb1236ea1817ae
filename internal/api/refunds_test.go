package api_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/testutil/paydtest"
)

// paidIntent confirms a card payment of amount (usd) and returns the
// intent and its charge id.
func paidIntent(t *testing.T, sc *stripe.Client, amount int64, extra *stripe.PaymentIntentCreateParams) (*stripe.PaymentIntent, string) {
	t.Helper()
	p := extra
	if p == nil {
		p = &stripe.PaymentIntentCreateParams{}
	}
	p.Amount, p.PaymentMethod, p.Confirm = stripe.Int64(amount), stripe.String("pm_card_visa"), stripe.Bool(true)
	p.PaymentMethodTypes = []*string{stripe.String("card")}
	pi, err := createPI(t, sc, p)
	if err != nil {
		t.Fatal(err)
	}
	if pi.LatestCharge == nil {
		t.Fatalf("no charge: %+v", pi)
	}
	return pi, pi.LatestCharge.ID
}

// chargeTotals reads a charge's refund bookkeeping.
func chargeTotals(t *testing.T, sc *stripe.Client, chargeID string) (int64, bool) {
	t.Helper()
	ch, err := sc.V1Charges.Retrieve(ctx, chargeID, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ch.AmountRefunded, ch.Refunded
}

func TestRefunds_FullRefundByPaymentIntent(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		pi, chID := paidIntent(t, sc, 2000, nil)

		r, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{PaymentIntent: stripe.String(pi.ID)})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(r.ID, "re_") || r.Object != "refund" || r.Amount != 2000 || r.Currency != "usd" ||
			r.Status != stripe.RefundStatusSucceeded || r.Charge == nil || r.Charge.ID != chID ||
			r.PaymentIntent == nil || r.PaymentIntent.ID != pi.ID || r.Reason != "" || r.BalanceTransaction != nil {
			t.Fatalf("refund: %+v", r)
		}
		if d := r.DestinationDetails; d == nil || d.Type != "card" || d.Card == nil || d.Card.Type != "refund" ||
			d.Card.ReferenceStatus != "pending" || d.Card.ReferenceType != "acquirer_reference_number" {
			t.Fatalf("destination_details: %+v", r.DestinationDetails)
		}
		if refunded, full := chargeTotals(t, sc, chID); refunded != 2000 || !full {
			t.Fatalf("charge after full refund: amount_refunded=%d refunded=%v", refunded, full)
		}
		want := "payment_intent.created,charge.succeeded,payment_intent.succeeded,refund.created,charge.refunded"
		if got := strings.Join(eventTypes(t, sc), ","); got != want {
			t.Fatalf("events %s, want %s", got, want)
		}
		// charge.refunded carries what changed.
		evs := sc.V1Events.List(ctx, &stripe.EventListParams{Type: stripe.String("charge.refunded")})
		for ev, err := range evs.All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			prev := ev.Data.PreviousAttributes
			if prev["amount_refunded"] != float64(0) || prev["refunded"] != false {
				t.Fatalf("charge.refunded previous_attributes: %v", prev)
			}
		}

		// Retrieve answers the same refund; its charge expands.
		rp := &stripe.RefundRetrieveParams{}
		rp.AddExpand("charge")
		got, err := sc.V1Refunds.Retrieve(ctx, r.ID, rp)
		if err != nil || got.ID != r.ID || got.Charge == nil || got.Charge.AmountRefunded != 2000 || !got.Charge.Refunded {
			t.Fatalf("retrieve: %+v %v", got, err)
		}

		// Nothing is left: Stripe's charge_already_refunded.
		_, err = sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{PaymentIntent: stripe.String(pi.ID)})
		se := stripeErr(t, err, 400, "invalid_request_error", "charge_already_refunded", "")
		if se.Msg != "Charge "+chID+" has already been refunded." {
			t.Fatalf("message: %q", se.Msg)
		}
		_, err = sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(chID), Amount: stripe.Int64(1)})
		stripeErr(t, err, 400, "invalid_request_error", "charge_already_refunded", "")
	})
}

func TestRefunds_PartialByChargeThenOverRefund(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		pi, chID := paidIntent(t, sc, 2000, nil)

		r1, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(chID), Amount: stripe.Int64(500),
			Reason: stripe.String("requested_by_customer"), Metadata: map[string]string{"ticket": "T-1"}})
		if err != nil {
			t.Fatal(err)
		}
		if r1.Amount != 500 || r1.PaymentIntent == nil || r1.PaymentIntent.ID != pi.ID || r1.Reason != stripe.RefundReasonRequestedByCustomer ||
			r1.Metadata["ticket"] != "T-1" {
			t.Fatalf("first refund: %+v", r1)
		}
		if refunded, full := chargeTotals(t, sc, chID); refunded != 500 || full {
			t.Fatalf("after 500: amount_refunded=%d refunded=%v", refunded, full)
		}
		if _, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(chID), Amount: stripe.Int64(700)}); err != nil {
			t.Fatal(err)
		}
		if refunded, full := chargeTotals(t, sc, chID); refunded != 1200 || full {
			t.Fatalf("after 700: amount_refunded=%d refunded=%v", refunded, full)
		}

		// More than remains: param amount, no code, Stripe's dollar form.
		_, err = sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(chID), Amount: stripe.Int64(900)})
		se := stripeErr(t, err, 400, "invalid_request_error", "", "amount")
		if se.Msg != "Refund amount ($9.00) is greater than unrefunded amount on charge ($8.00)" {
			t.Fatalf("message: %q", se.Msg)
		}
		if refunded, full := chargeTotals(t, sc, chID); refunded != 1200 || full {
			t.Fatalf("a refused refund changed the charge: amount_refunded=%d refunded=%v", refunded, full)
		}

		// No amount refunds what remains.
		r3, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(chID)})
		if err != nil || r3.Amount != 800 {
			t.Fatalf("remainder: %+v %v", r3, err)
		}
		if refunded, full := chargeTotals(t, sc, chID); refunded != 2000 || !full {
			t.Fatalf("after remainder: amount_refunded=%d refunded=%v", refunded, full)
		}
		want := "payment_intent.created,charge.succeeded,payment_intent.succeeded," +
			"refund.created,charge.refunded,refund.created,charge.refunded,refund.created,charge.refunded"
		if got := strings.Join(eventTypes(t, sc), ","); got != want {
			t.Fatalf("events %s, want %s", got, want)
		}
		_, err = sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(chID), Amount: stripe.Int64(1)})
		stripeErr(t, err, 400, "invalid_request_error", "charge_already_refunded", "")
	})
}

func TestRefunds_ChargesThatCannotBeRefunded(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)

		// An authorization still held: cancel the intent instead.
		held, chID := paidIntent(t, sc, 3300, &stripe.PaymentIntentCreateParams{CaptureMethod: stripe.String("manual")})
		if held.Status != stripe.PaymentIntentStatusRequiresCapture {
			t.Fatalf("status %s", held.Status)
		}
		uncaptured := "This uncaptured Charge was created by a PaymentIntent (" + held.ID + "). You must cancel the PaymentIntent" +
			" to reverse the authorization instead of refunding the Charge directly. For more information, see" +
			" https://stripe.com/docs/payments/place-a-hold-on-a-payment-method"
		for _, p := range []*stripe.RefundCreateParams{{PaymentIntent: stripe.String(held.ID)}, {Charge: stripe.String(chID), Amount: stripe.Int64(100)}} {
			_, err := sc.V1Refunds.Create(ctx, p)
			if se := stripeErr(t, err, 400, "invalid_request_error", "", ""); se.Msg != uncaptured {
				t.Fatalf("message: %q", se.Msg)
			}
		}
		if refunded, full := chargeTotals(t, sc, chID); refunded != 0 || full {
			t.Fatalf("held charge changed: %d %v", refunded, full)
		}

		// Once canceled, the released authorization is no successful charge.
		if _, err := sc.V1PaymentIntents.Cancel(ctx, held.ID, nil); err != nil {
			t.Fatal(err)
		}
		_, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(chID)})
		if se := stripeErr(t, err, 400, "invalid_request_error", "", ""); se.Msg != "This PaymentIntent ("+held.ID+") does not have a successful charge to refund." {
			t.Fatalf("canceled: %q", se.Msg)
		}

		// An intent never confirmed has no charge.
		open, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethodTypes: []*string{stripe.String("card")}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{PaymentIntent: stripe.String(open.ID)})
		if se := stripeErr(t, err, 400, "invalid_request_error", "", ""); se.Msg != "This PaymentIntent ("+open.ID+") does not have a successful charge to refund." {
			t.Fatalf("unconfirmed: %q", se.Msg)
		}

		// A declined charge has nothing to give back.
		_, err = createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String("pm_card_chargeDeclined"),
			Confirm: stripe.Bool(true), PaymentMethodTypes: []*string{stripe.String("card")}})
		declined := stripeErr(t, err, 402, "card_error", "card_declined", "")
		for _, p := range []*stripe.RefundCreateParams{{Charge: stripe.String(declined.ChargeID)}, {PaymentIntent: stripe.String(declined.PaymentIntent.ID)}} {
			_, err = sc.V1Refunds.Create(ctx, p)
			if se := stripeErr(t, err, 400, "invalid_request_error", "", ""); !strings.Contains(se.Msg, "does not have a successful charge to refund") {
				t.Fatalf("declined: %q", se.Msg)
			}
		}

		// Before any refund the message names the charge amount.
		_, whole := paidIntent(t, sc, 2000, nil)
		_, err = sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(whole), Amount: stripe.Int64(3000)})
		if se := stripeErr(t, err, 400, "invalid_request_error", "", "amount"); se.Msg != "Refund amount ($30.00) is greater than charge amount ($20.00)" {
			t.Fatalf("never refunded: %q", se.Msg)
		}

		// A partial capture released the rest, which already counts as
		// refunded: what remains is what was captured.
		part, partCh := paidIntent(t, sc, 5000, &stripe.PaymentIntentCreateParams{CaptureMethod: stripe.String("manual")})
		if _, err := sc.V1PaymentIntents.Capture(ctx, part.ID, &stripe.PaymentIntentCaptureParams{AmountToCapture: stripe.Int64(3000)}); err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(partCh), Amount: stripe.Int64(3001)})
		if se := stripeErr(t, err, 400, "invalid_request_error", "", "amount"); se.Msg != "Refund amount ($30.01) is greater than unrefunded amount on charge ($30.00)" {
			t.Fatalf("partial capture: %q", se.Msg)
		}
		r, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{PaymentIntent: stripe.String(part.ID)})
		if err != nil || r.Amount != 3000 {
			t.Fatalf("refund of partial capture: %+v %v", r, err)
		}
		if refunded, full := chargeTotals(t, sc, partCh); refunded != 5000 || !full {
			t.Fatalf("partial capture refunded: %d %v", refunded, full)
		}
	})
}

func TestRefunds_ParameterErrors(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		pi, chID := paidIntent(t, sc, 2000, nil)

		_, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Amount: stripe.Int64(100)})
		if se := stripeErr(t, err, 400, "invalid_request_error", "", ""); se.Msg != "One of the following params should be provided for this request: payment_intent or charge." {
			t.Fatalf("neither: %q", se.Msg)
		}
		_, err = sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(chID), PaymentIntent: stripe.String(pi.ID)})
		stripeErr(t, err, 400, "invalid_request_error", "parameters_exclusive", "payment_intent")
		_, err = sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(chID), Amount: stripe.Int64(0)})
		stripeErr(t, err, 400, "invalid_request_error", "parameter_invalid_integer", "amount")
		_, err = sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(chID), Reason: stripe.String("expired_uncaptured_charge")})
		stripeErr(t, err, 400, "invalid_request_error", "", "reason")
		_, err = sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String("ch_missing")})
		if se := stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "id"); se.Msg != "No such charge: 'ch_missing'" {
			t.Fatalf("missing charge: %q", se.Msg)
		}
		_, err = sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{PaymentIntent: stripe.String("pi_missing")})
		stripeErr(t, err, 400, "invalid_request_error", "resource_missing", "payment_intent")

		// What payd does not have is refused, never ignored.
		refused := []struct {
			p     *stripe.RefundCreateParams
			param string
		}{
			{&stripe.RefundCreateParams{InstructionsEmail: stripe.String("jenny@example.com")}, "instructions_email"},
			{&stripe.RefundCreateParams{Origin: stripe.String("customer_balance")}, "origin"},
			{&stripe.RefundCreateParams{Customer: stripe.String("cus_x")}, "customer"},
			{&stripe.RefundCreateParams{RefundApplicationFee: stripe.Bool(true)}, "refund_application_fee"},
			{&stripe.RefundCreateParams{ReverseTransfer: stripe.Bool(true)}, "reverse_transfer"},
		}
		for _, tc := range refused {
			tc.p.Charge = stripe.String(chID)
			_, err := sc.V1Refunds.Create(ctx, tc.p)
			stripeErr(t, err, 400, "invalid_request_error", "", tc.param)
		}
		if refunded, _ := chargeTotals(t, sc, chID); refunded != 0 {
			t.Fatalf("a refused refund changed the charge: %d", refunded)
		}
		// A false Connect flag asks for nothing payd lacks.
		if _, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(chID), Amount: stripe.Int64(100),
			ReverseTransfer: stripe.Bool(false)}); err != nil {
			t.Fatal(err)
		}

		// Secret key only.
		pk := srv.ClientKey(srv.Accounts[0].Publishable)
		_, err = pk.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(chID)})
		stripeErr(t, err, 403, "invalid_request_error", "secret_key_required", "")
		for _, err := range pk.V1Refunds.List(ctx, &stripe.RefundListParams{}).All(ctx) {
			stripeErr(t, err, 403, "invalid_request_error", "secret_key_required", "")
			break
		}
	})
}

func TestRefunds_UpdateMetadataAndCancel(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		_, chID := paidIntent(t, sc, 2200, nil)
		r, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(chID), Metadata: map[string]string{"a": "1"}})
		if err != nil {
			t.Fatal(err)
		}
		up := &stripe.RefundUpdateParams{}
		up.AddMetadata("b", "2")
		got, err := sc.V1Refunds.Update(ctx, r.ID, up)
		if err != nil || got.Metadata["a"] != "1" || got.Metadata["b"] != "2" {
			t.Fatalf("update: %+v %v", got, err)
		}
		// The same update again changes nothing and records nothing.
		if _, err := sc.V1Refunds.Update(ctx, r.ID, up); err != nil {
			t.Fatal(err)
		}
		types := eventTypes(t, sc)
		if got := strings.Join(types[len(types)-3:], ","); got != "refund.created,charge.refunded,refund.updated" {
			t.Fatalf("events end %s", got)
		}
		for ev, err := range sc.V1Events.List(ctx, &stripe.EventListParams{Type: stripe.String("refund.updated")}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			prev, _ := ev.Data.PreviousAttributes["metadata"].(map[string]any)
			if len(ev.Data.PreviousAttributes) != 1 || len(prev) != 1 || prev["b"] != nil {
				t.Fatalf("refund.updated previous_attributes: %v", ev.Data.PreviousAttributes)
			}
			if _, has := prev["b"]; !has {
				t.Fatalf("refund.updated previous_attributes: %v", ev.Data.PreviousAttributes)
			}
		}

		// A card refund has succeeded: nothing to cancel.
		_, err = sc.V1Refunds.Cancel(ctx, r.ID, nil)
		if se := stripeErr(t, err, 400, "invalid_request_error", "", ""); se.Msg != "Canceling this refund is unsupported." {
			t.Fatalf("cancel: %q", se.Msg)
		}
		_, err = sc.V1Refunds.Update(ctx, "re_missing", up)
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "refund")
		_, err = sc.V1Refunds.Cancel(ctx, "re_missing", nil)
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "refund")
	})
}

func TestRefunds_ListFiltersAndIsolation(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		piA, chA := paidIntent(t, sc, 5000, nil)
		piB, chB := paidIntent(t, sc, 3000, nil)
		a1, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(chA), Amount: stripe.Int64(1000)})
		if err != nil {
			t.Fatal(err)
		}
		a2, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{PaymentIntent: stripe.String(piA.ID), Amount: stripe.Int64(1500)})
		if err != nil {
			t.Fatal(err)
		}
		b1, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{PaymentIntent: stripe.String(piB.ID), Amount: stripe.Int64(700)})
		if err != nil {
			t.Fatal(err)
		}
		ids := func(p *stripe.RefundListParams) string {
			var out []string
			for r, err := range sc.V1Refunds.List(ctx, p).All(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, r.ID)
			}
			return strings.Join(out, ",")
		}
		if got, want := ids(&stripe.RefundListParams{}), b1.ID+","+a2.ID+","+a1.ID; got != want {
			t.Fatalf("all: %s, want %s", got, want)
		}
		if got, want := ids(&stripe.RefundListParams{Charge: stripe.String(chA)}), a2.ID+","+a1.ID; got != want {
			t.Fatalf("by charge: %s, want %s", got, want)
		}
		if got, want := ids(&stripe.RefundListParams{PaymentIntent: stripe.String(piB.ID)}), b1.ID; got != want {
			t.Fatalf("by intent: %s, want %s", got, want)
		}
		if got := ids(&stripe.RefundListParams{Charge: stripe.String(chB), PaymentIntent: stripe.String(piA.ID)}); got != "" {
			t.Fatalf("contradictory filters: %s", got)
		}
		// Nothing was created after the newest refund's second (comparing
		// with an older one would depend on where the second boundary fell).
		if got := ids(&stripe.RefundListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThan: b1.Created}}); got != "" {
			t.Fatalf("created > newest: %s", got)
		}
		if got, want := ids(&stripe.RefundListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: a1.Created},
			ListParams: stripe.ListParams{Limit: stripe.Int64(1)}}), b1.ID+","+a2.ID+","+a1.ID; got != want {
			t.Fatalf("created >= and pages of one: %s, want %s", got, want)
		}

		// Another account sees none of it.
		other := srv.Client(1)
		_, err = other.V1Refunds.Retrieve(ctx, a1.ID, nil)
		if se := stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "refund"); se.Msg != "No such refund: '"+a1.ID+"'" {
			t.Fatalf("other account: %q", se.Msg)
		}
		_, err = other.V1Refunds.Update(ctx, a1.ID, &stripe.RefundUpdateParams{Metadata: map[string]string{"x": "y"}})
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "refund")
		_, err = other.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(chA)})
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "id")
		_, err = other.V1Refunds.Create(ctx, &stripe.RefundCreateParams{PaymentIntent: stripe.String(piB.ID)})
		stripeErr(t, err, 400, "invalid_request_error", "resource_missing", "payment_intent")
		for _, err := range other.V1Refunds.List(ctx, &stripe.RefundListParams{}).All(ctx) {
			t.Fatalf("other account lists a refund (err %v)", err)
		}
		if refunded, _ := chargeTotals(t, sc, chA); refunded != 2500 {
			t.Fatalf("charge A: %d", refunded)
		}
	})
}

// TestRefunds_ConcurrentPartialRefunds races refunds of one charge: the
// charge's row lock lets exactly as many through as the captured amount
// covers, and the rest get the over-refund error.
func TestRefunds_ConcurrentPartialRefunds(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		_, chID := paidIntent(t, sc, 2000, nil)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, tooLarge := 0, 0
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(chID), Amount: stripe.Int64(300)})
				mu.Lock()
				defer mu.Unlock()
				var se *stripe.Error
				switch {
				case err == nil:
					ok++
				case asStripe(err, &se) && se.HTTPStatusCode == 400 && se.Param == "amount" &&
					strings.HasPrefix(se.Msg, "Refund amount ($3.00) is greater than unrefunded amount on charge ($"):
					tooLarge++
				default:
					t.Errorf("refund: %v", err)
				}
			}()
		}
		wg.Wait()
		var sum int64
		n := 0
		for r, err := range sc.V1Refunds.List(ctx, &stripe.RefundListParams{Charge: stripe.String(chID)}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			sum += r.Amount
			n++
		}
		refunded, full := chargeTotals(t, sc, chID)
		if ok != 6 || tooLarge != 4 || n != 6 || sum != 1800 || refunded != 1800 || full {
			t.Fatalf("%d ok, %d too large, %d listed summing %d, charge amount_refunded=%d refunded=%v", ok, tooLarge, n, sum, refunded, full)
		}
	})
}

// Stripe's refund test cards: pm_card_pendingRefund's refunds stay pending
// until they settle, then succeed; pm_card_refundFail's succeed, then fail,
// and their amount goes back onto the charge.
func TestRefunds_PendingAndFailingTestCards(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		pay := func(pm string) string {
			t.Helper()
			pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String(pm), Confirm: stripe.Bool(true),
				PaymentMethodTypes: []*string{stripe.String("card")}})
			if err != nil || pi.Status != stripe.PaymentIntentStatusSucceeded {
				t.Fatalf("%s: %+v %v", pm, pi, err)
			}
			return pi.LatestCharge.ID
		}
		settle := func(want int) {
			t.Helper()
			if n, err := srv.API.SettleDueRefunds(ctx); err != nil || n != want {
				t.Fatalf("settled %d (%v), want %d", n, err, want)
			}
		}
		eventsOf := func(typ, refundID string) int {
			t.Helper()
			n := 0
			for ev, err := range sc.V1Events.List(ctx, &stripe.EventListParams{Type: stripe.String(typ)}).All(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				if ev.Data.Object["id"] == refundID {
					n++
				}
			}
			return n
		}

		// An ordinary card's refund is final at once: nothing to settle.
		if _, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(pay("pm_card_visa"))}); err != nil {
			t.Fatal(err)
		}
		settle(0)

		pendingCh := pay("pm_card_pendingRefund")
		pending, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(pendingCh)})
		if err != nil || pending.Status != stripe.RefundStatusPending || pending.PendingReason != "processing" {
			t.Fatalf("pending refund: %+v %v", pending, err)
		}
		// The amount is booked while the refund waits.
		if refunded, full := chargeTotals(t, sc, pendingCh); refunded != 2000 || !full {
			t.Fatalf("pending: amount_refunded=%d refunded=%v", refunded, full)
		}

		failCh := pay("pm_card_refundFail")
		failing, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(failCh), Amount: stripe.Int64(500)})
		if err != nil || failing.Status != stripe.RefundStatusSucceeded {
			t.Fatalf("failing refund: %+v %v", failing, err)
		}

		settle(2)
		settle(0) // settled once only
		got, err := sc.V1Refunds.Retrieve(ctx, pending.ID, nil)
		if err != nil || got.Status != stripe.RefundStatusSucceeded || got.PendingReason != "" {
			t.Fatalf("settled pending refund: %+v %v", got, err)
		}
		if eventsOf("refund.updated", pending.ID) != 1 || eventsOf("refund.failed", pending.ID) != 0 {
			t.Fatal("pending refund's events")
		}
		got, err = sc.V1Refunds.Retrieve(ctx, failing.ID, nil)
		if err != nil || got.Status != stripe.RefundStatusFailed || got.FailureReason != "unknown" {
			t.Fatalf("failed refund: %+v %v", got, err)
		}
		for _, typ := range []string{"refund.updated", "refund.failed", "charge.refund.updated"} {
			if eventsOf(typ, failing.ID) != 1 {
				t.Fatalf("failed refund: no %s", typ)
			}
		}
		// The failed amount is refundable again.
		if refunded, full := chargeTotals(t, sc, failCh); refunded != 0 || full {
			t.Fatalf("after the failure: amount_refunded=%d refunded=%v", refunded, full)
		}
		again, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(failCh)})
		if err != nil || again.Amount != 2000 {
			t.Fatalf("refund again: %+v %v", again, err)
		}
	})
}
