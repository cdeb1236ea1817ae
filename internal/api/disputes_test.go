package api_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/testutil/paydtest"
)

// disputedPayment pays 2000 usd with pm (a test id or a created method)
// and returns the succeeded intent and the one dispute of its charge.
func disputedPayment(t *testing.T, sc *stripe.Client, pm string) (*stripe.PaymentIntent, *stripe.Dispute) {
	t.Helper()
	pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{
		PaymentMethodTypes: []*string{stripe.String("card")},
		PaymentMethod:      stripe.String(pm), Confirm: stripe.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	if pi.Status != stripe.PaymentIntentStatusSucceeded || pi.LatestCharge == nil {
		t.Fatalf("intent %s, want succeeded with a charge", pi.Status)
	}
	ds := listDisputes(t, sc, &stripe.DisputeListParams{Charge: stripe.String(pi.LatestCharge.ID)})
	if len(ds) != 1 {
		t.Fatalf("%d disputes of the charge, want 1", len(ds))
	}
	return pi, ds[0]
}

func listDisputes(t *testing.T, sc *stripe.Client, p *stripe.DisputeListParams) []*stripe.Dispute {
	t.Helper()
	var out []*stripe.Dispute
	for d, err := range sc.V1Disputes.List(ctx, p).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func TestDisputes_TestCardsOpenDisputes(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		for _, tc := range []struct {
			pm, number string
			reason     stripe.DisputeReason
			status     stripe.DisputeStatus
			caseType   stripe.DisputePaymentMethodDetailsCardCaseType
			events     []string
		}{
			{"pm_card_createDispute", "4000000000000259", "fraudulent", stripe.DisputeStatusNeedsResponse, "chargeback",
				[]string{"charge.dispute.created", "charge.dispute.funds_withdrawn"}},
			{"pm_card_createDisputeProductNotReceived", "4000000000002685", "product_not_received", stripe.DisputeStatusNeedsResponse, "chargeback",
				[]string{"charge.dispute.created", "charge.dispute.funds_withdrawn"}},
			{"pm_card_createDisputeInquiry", "4000000000001976", "general", stripe.DisputeStatusWarningNeedsResponse, "inquiry",
				[]string{"charge.dispute.created"}},
		} {
			pmByNumber, err := sc.V1PaymentMethods.Create(ctx, cardParams(tc.number, "123"))
			if err != nil {
				t.Fatal(err)
			}
			for _, pm := range []string{tc.pm, pmByNumber.ID} {
				before := len(eventTypes(t, sc))
				start := time.Now().Unix()
				pi, d := disputedPayment(t, sc, pm)
				if d.Reason != tc.reason || d.Status != tc.status || d.Amount != 2000 || d.Currency != "usd" ||
					d.Charge == nil || d.Charge.ID != pi.LatestCharge.ID || d.PaymentIntent == nil || d.PaymentIntent.ID != pi.ID ||
					d.Livemode || len(d.Metadata) != 0 || len(d.BalanceTransactions) != 0 || d.IsChargeRefundable != (tc.caseType == "inquiry") {
					t.Fatalf("%s: dispute %+v", pm, d)
				}
				if d.PaymentMethodDetails == nil || d.PaymentMethodDetails.Card == nil || d.PaymentMethodDetails.Card.CaseType != tc.caseType ||
					d.PaymentMethodDetails.Card.Brand != "visa" {
					t.Fatalf("%s: payment_method_details %+v", pm, d.PaymentMethodDetails)
				}
				due := d.EvidenceDetails.DueBy - start
				if due < 7*24*3600 || due > 8*24*3600 || d.EvidenceDetails.HasEvidence || d.EvidenceDetails.SubmissionCount != 0 ||
					d.Evidence.UncategorizedText != "" {
					t.Fatalf("%s: evidence %+v %+v", pm, d.EvidenceDetails, d.Evidence)
				}
				ch, err := sc.V1Charges.Retrieve(ctx, pi.LatestCharge.ID, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !ch.Disputed || ch.Status != stripe.ChargeStatusSucceeded {
					t.Fatalf("%s: charge disputed=%v status=%s", pm, ch.Disputed, ch.Status)
				}
				got := eventTypes(t, sc)[before:]
				want := append([]string{"payment_intent.created", "charge.succeeded", "payment_intent.succeeded"}, tc.events...)
				if !slices.Equal(got, want) {
					t.Fatalf("%s: events %v, want %v", pm, got, want)
				}
			}
		}
	})
}

func TestDisputes_NormalCardOpensNone(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{
			PaymentMethodTypes: []*string{stripe.String("card")},
			PaymentMethod:      stripe.String("pm_card_visa"), Confirm: stripe.Bool(true),
		})
		if err != nil {
			t.Fatal(err)
		}
		if ds := listDisputes(t, sc, &stripe.DisputeListParams{}); len(ds) != 0 {
			t.Fatalf("%d disputes, want none", len(ds))
		}
		ch, err := sc.V1Charges.Retrieve(ctx, pi.LatestCharge.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Disputed {
			t.Fatal("charge disputed")
		}
	})
}

func TestDisputes_RetrieveListAndOtherAccount(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		pi1, d1 := disputedPayment(t, sc, "pm_card_createDispute")
		pi2, d2 := disputedPayment(t, sc, "pm_card_createDisputeInquiry")

		got, err := sc.V1Disputes.Retrieve(ctx, d1.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != d1.ID || got.Object != "dispute" || got.Reason != "fraudulent" {
			t.Fatalf("retrieved %+v", got)
		}
		all := listDisputes(t, sc, &stripe.DisputeListParams{})
		if len(all) != 2 || all[0].ID != d2.ID || all[1].ID != d1.ID {
			t.Fatalf("list %v", all)
		}
		byPI := listDisputes(t, sc, &stripe.DisputeListParams{PaymentIntent: stripe.String(pi1.ID)})
		if len(byPI) != 1 || byPI[0].ID != d1.ID {
			t.Fatalf("by payment_intent %v", byPI)
		}
		byCharge := listDisputes(t, sc, &stripe.DisputeListParams{Charge: stripe.String(pi2.LatestCharge.ID)})
		if len(byCharge) != 1 || byCharge[0].ID != d2.ID {
			t.Fatalf("by charge %v", byCharge)
		}
		future := listDisputes(t, sc, &stripe.DisputeListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThan: time.Now().Unix() + 3600}})
		if len(future) != 0 {
			t.Fatalf("created in the future: %v", future)
		}

		// Expansion of the charge and of the dispute from an event.
		p := &stripe.DisputeRetrieveParams{}
		p.AddExpand("charge")
		exp, err := sc.V1Disputes.Retrieve(ctx, d1.ID, p)
		if err != nil {
			t.Fatal(err)
		}
		if exp.Charge == nil || !exp.Charge.Disputed || exp.Charge.Amount != 2000 {
			t.Fatalf("expanded charge %+v", exp.Charge)
		}

		other := srv.Client(1)
		_, err = other.V1Disputes.Retrieve(ctx, d1.ID, nil)
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "dispute")
		if ds := listDisputes(t, other, &stripe.DisputeListParams{}); len(ds) != 0 {
			t.Fatalf("other account lists %d disputes", len(ds))
		}
		_, err = other.V1Disputes.Close(ctx, d1.ID, nil)
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "dispute")
	})
}

func TestDisputes_WinningEvidenceWins(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		_, d := disputedPayment(t, sc, "pm_card_createDispute")
		before := len(eventTypes(t, sc))
		d, err := sc.V1Disputes.Update(ctx, d.ID, &stripe.DisputeUpdateParams{
			Evidence: &stripe.DisputeUpdateEvidenceParams{
				UncategorizedText: stripe.String("winning_evidence"), CustomerName: stripe.String("Jenny Rosen")},
			Metadata: map[string]string{"case": "7"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != stripe.DisputeStatusWon || d.Evidence.UncategorizedText != "winning_evidence" || d.Evidence.CustomerName != "Jenny Rosen" ||
			!d.EvidenceDetails.HasEvidence || d.EvidenceDetails.SubmissionCount != 1 || d.Metadata["case"] != "7" {
			t.Fatalf("dispute %+v %+v", d, d.EvidenceDetails)
		}
		got := eventTypes(t, sc)[before:]
		want := []string{"charge.dispute.updated", "charge.dispute.closed", "charge.dispute.funds_reinstated"}
		if !slices.Equal(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
		// A closed dispute takes no more evidence and cannot be closed,
		// but its metadata may change.
		_, err = sc.V1Disputes.Update(ctx, d.ID, &stripe.DisputeUpdateParams{
			Evidence: &stripe.DisputeUpdateEvidenceParams{ProductDescription: stripe.String("A mug")}})
		stripeErr(t, err, 400, "invalid_request_error", "", "")
		_, err = sc.V1Disputes.Close(ctx, d.ID, nil)
		se := stripeErr(t, err, 400, "invalid_request_error", "", "")
		if se.Msg != "This dispute is already closed." {
			t.Fatalf("message %q", se.Msg)
		}
		d, err = sc.V1Disputes.Update(ctx, d.ID, &stripe.DisputeUpdateParams{Metadata: map[string]string{"case": "8"}})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != stripe.DisputeStatusWon || d.Metadata["case"] != "8" {
			t.Fatalf("dispute %+v", d)
		}
	})
}

func TestDisputes_LosingEvidenceLoses(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		_, d := disputedPayment(t, sc, "pm_card_createDisputeProductNotReceived")
		before := len(eventTypes(t, sc))
		d, err := sc.V1Disputes.Update(ctx, d.ID, &stripe.DisputeUpdateParams{
			Evidence: &stripe.DisputeUpdateEvidenceParams{UncategorizedText: stripe.String("losing_evidence")}})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != stripe.DisputeStatusLost {
			t.Fatalf("status %s", d.Status)
		}
		got := eventTypes(t, sc)[before:]
		if want := []string{"charge.dispute.updated", "charge.dispute.closed"}; !slices.Equal(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
	})
}

func TestDisputes_StagedThenSubmittedEvidence(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		_, d := disputedPayment(t, sc, "pm_card_createDispute")
		d, err := sc.V1Disputes.Update(ctx, d.ID, &stripe.DisputeUpdateParams{
			Evidence: &stripe.DisputeUpdateEvidenceParams{ProductDescription: stripe.String("A mug")}, Submit: stripe.Bool(false)})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != stripe.DisputeStatusNeedsResponse || !d.EvidenceDetails.HasEvidence || d.EvidenceDetails.SubmissionCount != 0 ||
			d.Evidence.ProductDescription != "A mug" {
			t.Fatalf("staged %+v %+v", d, d.EvidenceDetails)
		}
		d, err = sc.V1Disputes.Update(ctx, d.ID, &stripe.DisputeUpdateParams{Submit: stripe.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != stripe.DisputeStatusUnderReview || d.EvidenceDetails.SubmissionCount != 1 {
			t.Fatalf("submitted %+v %+v", d, d.EvidenceDetails)
		}
		// Under review: no more evidence, and no accepting the loss.
		_, err = sc.V1Disputes.Update(ctx, d.ID, &stripe.DisputeUpdateParams{
			Evidence: &stripe.DisputeUpdateEvidenceParams{UncategorizedText: stripe.String("winning_evidence")}})
		se := stripeErr(t, err, 400, "invalid_request_error", "", "")
		if se.Msg != "This dispute's evidence could not be updated because it has a status of under_review." {
			t.Fatalf("message %q", se.Msg)
		}
		_, err = sc.V1Disputes.Close(ctx, d.ID, nil)
		stripeErr(t, err, 400, "invalid_request_error", "", "")
		// File evidence needs a file upload, which payd does not have.
		_, d2 := disputedPayment(t, sc, "pm_card_createDispute")
		_, err = sc.V1Disputes.Update(ctx, d2.ID, &stripe.DisputeUpdateParams{
			Evidence: &stripe.DisputeUpdateEvidenceParams{Receipt: stripe.String("file_123")}})
		stripeErr(t, err, 400, "invalid_request_error", "", "evidence[receipt]")
	})
}

func TestDisputes_CloseAccepts(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		_, d := disputedPayment(t, sc, "pm_card_createDispute")
		before := len(eventTypes(t, sc))
		d, err := sc.V1Disputes.Close(ctx, d.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != stripe.DisputeStatusLost {
			t.Fatalf("status %s", d.Status)
		}
		if got := eventTypes(t, sc)[before:]; !slices.Equal(got, []string{"charge.dispute.closed"}) {
			t.Fatalf("events %v", got)
		}
		_, err = sc.V1Disputes.Close(ctx, d.ID, nil)
		stripeErr(t, err, 400, "invalid_request_error", "", "")

		_, inq := disputedPayment(t, sc, "pm_card_createDisputeInquiry")
		inq, err = sc.V1Disputes.Close(ctx, inq.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if inq.Status != stripe.DisputeStatusWarningClosed {
			t.Fatalf("inquiry closed as %s", inq.Status)
		}

		_, err = sc.V1Disputes.Close(ctx, "du_missing", nil)
		stripeErr(t, err, 404, "invalid_request_error", "resource_missing", "dispute")
	})
}

func TestDisputes_InquiryWinningEvidenceClosesWarning(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		_, d := disputedPayment(t, sc, "pm_card_createDisputeInquiry")
		before := len(eventTypes(t, sc))
		d, err := sc.V1Disputes.Update(ctx, d.ID, &stripe.DisputeUpdateParams{
			Evidence: &stripe.DisputeUpdateEvidenceParams{UncategorizedText: stripe.String("winning_evidence")}})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != stripe.DisputeStatusWarningClosed {
			t.Fatalf("status %s", d.Status)
		}
		if got := eventTypes(t, sc)[before:]; !slices.Equal(got, []string{"charge.dispute.updated", "charge.dispute.closed"}) {
			t.Fatalf("events %v", got)
		}
	})
}

// TestDisputes_ChargebackBlocksRefunds: a chargeback took the money back,
// so its charge cannot be refunded (Stripe's charge_disputed); an
// inquiry's charge still can.
func TestDisputes_ChargebackBlocksRefunds(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		pi, _ := disputedPayment(t, sc, "pm_card_createDispute")
		_, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{PaymentIntent: stripe.String(pi.ID)})
		se := stripeErr(t, err, 400, "invalid_request_error", "charge_disputed", "")
		if se.Msg != "Charge "+pi.LatestCharge.ID+" has been charged back; cannot issue a refund." {
			t.Fatalf("message: %s", se.Msg)
		}
		pi, _ = disputedPayment(t, sc, "pm_card_createDisputeInquiry")
		r, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{PaymentIntent: stripe.String(pi.ID)})
		if err != nil || r.Status != stripe.RefundStatusSucceeded {
			t.Fatalf("inquiry refund: %+v %v", r, err)
		}
	})
}

// TestDisputes_ManualCaptureDisputedOnCapture: a dispute test card's
// authorization is not disputed until it is captured, and then for the
// amount captured.
func TestDisputes_ManualCaptureDisputedOnCapture(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethodTypes: []*string{stripe.String("card")},
			PaymentMethod: stripe.String("pm_card_createDispute"), Confirm: stripe.Bool(true), CaptureMethod: stripe.String("manual")})
		if err != nil || pi.Status != stripe.PaymentIntentStatusRequiresCapture {
			t.Fatalf("authorize: %+v %v", pi, err)
		}
		if ds := listDisputes(t, sc, &stripe.DisputeListParams{PaymentIntent: stripe.String(pi.ID)}); len(ds) != 0 {
			t.Fatalf("disputed before capture: %+v", ds)
		}
		if _, err := sc.V1PaymentIntents.Capture(ctx, pi.ID, &stripe.PaymentIntentCaptureParams{AmountToCapture: stripe.Int64(1500)}); err != nil {
			t.Fatal(err)
		}
		ds := listDisputes(t, sc, &stripe.DisputeListParams{PaymentIntent: stripe.String(pi.ID)})
		if len(ds) != 1 || ds[0].Amount != 1500 || ds[0].Reason != "fraudulent" || ds[0].Status != stripe.DisputeStatusNeedsResponse {
			t.Fatalf("after capture: %+v", ds)
		}
		types := eventTypes(t, sc)
		if got := strings.Join(types[len(types)-4:], ","); got != "charge.captured,payment_intent.succeeded,charge.dispute.created,charge.dispute.funds_withdrawn" {
			t.Fatalf("events: %s", got)
		}
	})
}
