package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

const triggerSynopsis = `Usage: payd trigger EVENT_TYPE [--api-key KEY]

Makes payd emit an event the way your integration would: by creating the
real objects that cause it (a customer, a PaymentIntent confirmed with one
of Stripe's test cards, a refund, …) through payd's API. It prints each
object it created and the event payd recorded, which payd then delivers to
your webhook endpoints (and to payd listen).
`

const triggerExamples = `Examples:
  payd trigger payment_intent.succeeded
  payd trigger charge.refunded --api-key sk_test_…
`

// fixture makes the objects behind one event type and returns the id of
// the object the event is about (its data.object.id).
type fixture struct {
	about string
	run   func(ctx context.Context, t *trigger) (string, error)
}

// fixtures maps every event type payd trigger can cause to how. Each
// creates fresh objects, so a trigger never depends on earlier state.
var fixtures = map[string]fixture{
	"customer.created": {"create a customer", func(ctx context.Context, t *trigger) (string, error) {
		cus, err := t.customer(ctx)
		return cus.ID, err
	}},
	"customer.updated": {"create a customer, then update its description", func(ctx context.Context, t *trigger) (string, error) {
		cus, err := t.customer(ctx)
		if err != nil {
			return "", err
		}
		_, err = t.step(ctx, "updated", http.MethodPost, "/v1/customers/"+cus.ID,
			url.Values{"description": {"updated by payd trigger"}, "metadata[triggered_by]": {"payd trigger"}})
		return cus.ID, err
	}},
	"customer.deleted": {"create a customer, then delete it", func(ctx context.Context, t *trigger) (string, error) {
		cus, err := t.customer(ctx)
		if err != nil {
			return "", err
		}
		_, err = t.step(ctx, "deleted", http.MethodDelete, "/v1/customers/"+cus.ID, nil)
		return cus.ID, err
	}},
	"payment_method.attached": {"create a customer and attach pm_card_visa to it", func(ctx context.Context, t *trigger) (string, error) {
		cus, err := t.customer(ctx)
		if err != nil {
			return "", err
		}
		var pm object
		if err := t.c.do(ctx, http.MethodPost, "/v1/payment_methods/pm_card_visa/attach", url.Values{"customer": {cus.ID}}, &pm); err != nil {
			return "", fmt.Errorf("attach pm_card_visa: %w", err)
		}
		fmt.Fprintf(t.out, "attached payment_method %s (from pm_card_visa) to customer %s\n", pm.ID, cus.ID)
		return pm.ID, nil
	}},
	"payment_intent.created": {"create a PaymentIntent", func(ctx context.Context, t *trigger) (string, error) {
		pi, err := t.paymentIntent(ctx, nil)
		return pi.ID, err
	}},
	"payment_intent.succeeded": {"create and confirm a PaymentIntent with pm_card_visa", func(ctx context.Context, t *trigger) (string, error) {
		pi, err := t.paidIntent(ctx)
		return pi.ID, err
	}},
	"payment_intent.payment_failed": {"create a PaymentIntent and confirm it with pm_card_chargeDeclined", func(ctx context.Context, t *trigger) (string, error) {
		pi, err := t.declinedIntent(ctx)
		return pi.ID, err
	}},
	"payment_intent.requires_action": {"create a PaymentIntent and confirm it with the 3-D Secure card pm_card_threeDSecure2Required", func(ctx context.Context, t *trigger) (string, error) {
		pi, err := t.paymentIntent(ctx, url.Values{"confirm": {"true"}, "payment_method": {"pm_card_threeDSecure2Required"},
			"return_url": {"https://example.com/payd-trigger/return"}})
		if err != nil {
			return "", err
		}
		if pi.NextAction != nil && pi.NextAction.RedirectToURL != nil {
			fmt.Fprintf(t.out, "  authorize or fail it at %s\n", pi.NextAction.RedirectToURL.URL)
		}
		return pi.ID, nil
	}},
	"payment_intent.canceled": {"create a PaymentIntent, then cancel it", func(ctx context.Context, t *trigger) (string, error) {
		pi, err := t.paymentIntent(ctx, nil)
		if err != nil {
			return "", err
		}
		_, err = t.step(ctx, "canceled", http.MethodPost, "/v1/payment_intents/"+pi.ID+"/cancel", nil)
		return pi.ID, err
	}},
	"setup_intent.created": {"create a SetupIntent", func(ctx context.Context, t *trigger) (string, error) {
		si, err := t.step(ctx, "created", http.MethodPost, "/v1/setup_intents", url.Values{"payment_method_types[]": {"card"}})
		return si.ID, err
	}},
	"setup_intent.succeeded": {"create and confirm a SetupIntent with pm_card_visa", func(ctx context.Context, t *trigger) (string, error) {
		si, err := t.step(ctx, "created and confirmed", http.MethodPost, "/v1/setup_intents", url.Values{
			"payment_method_types[]": {"card"}, "payment_method": {"pm_card_visa"}, "confirm": {"true"}})
		return si.ID, err
	}},
	"charge.succeeded": {"create and confirm a PaymentIntent with pm_card_visa", func(ctx context.Context, t *trigger) (string, error) {
		pi, err := t.paidIntent(ctx)
		return pi.LatestCharge, err
	}},
	"charge.failed": {"create a PaymentIntent and confirm it with pm_card_chargeDeclined", func(ctx context.Context, t *trigger) (string, error) {
		pi, err := t.declinedIntent(ctx)
		return pi.LatestCharge, err
	}},
	"charge.refunded": {"pay a PaymentIntent with pm_card_visa, then refund it", func(ctx context.Context, t *trigger) (string, error) {
		pi, _, err := t.refundedIntent(ctx)
		return pi.LatestCharge, err
	}},
	"refund.created": {"pay a PaymentIntent with pm_card_visa, then refund it", func(ctx context.Context, t *trigger) (string, error) {
		_, re, err := t.refundedIntent(ctx)
		return re.ID, err
	}},
	"product.created": {"create a product", func(ctx context.Context, t *trigger) (string, error) {
		prod, err := t.step(ctx, "created", http.MethodPost, "/v1/products", url.Values{"name": {"payd trigger T-shirt"}})
		return prod.ID, err
	}},
	"price.created": {"create a $20.00 price for a new product", func(ctx context.Context, t *trigger) (string, error) {
		price, err := t.price(ctx)
		return price.ID, err
	}},
	"checkout.session.completed": {"create a Checkout Session for a $20.00 price and pay its page with the 4242 test card", func(ctx context.Context, t *trigger) (string, error) {
		cs, err := t.session(ctx)
		if err != nil {
			return "", err
		}
		return cs.ID, t.payPage(ctx, cs)
	}},
	"payment_link.created": {"create a Payment Link for a $20.00 price", func(ctx context.Context, t *trigger) (string, error) {
		link, err := t.paymentLink(ctx)
		return link.ID, err
	}},
	"payment_link.updated": {"create a Payment Link, then deactivate it", func(ctx context.Context, t *trigger) (string, error) {
		link, err := t.paymentLink(ctx)
		if err != nil {
			return "", err
		}
		_, err = t.step(ctx, "deactivated", http.MethodPost, "/v1/payment_links/"+link.ID, url.Values{"active": {"false"}})
		return link.ID, err
	}},
	"checkout.session.expired": {"create a Checkout Session, then expire it", func(ctx context.Context, t *trigger) (string, error) {
		cs, err := t.session(ctx)
		if err != nil {
			return "", err
		}
		_, err = t.step(ctx, "expired", http.MethodPost, "/v1/checkout/sessions/"+cs.ID+"/expire", nil)
		return cs.ID, err
	}},
}

func triggerTypes() []string {
	var names []string
	for name := range fixtures {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func triggerHelp() string {
	var b strings.Builder
	b.WriteString("Event types:\n")
	for _, name := range triggerTypes() {
		fmt.Fprintf(&b, "  %-32s %s\n", name, fixtures[name].about)
	}
	return b.String() + "\n" + triggerExamples
}

func triggerCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("trigger", triggerSynopsis, triggerHelp(), stderr)
	var api apiFlags
	api.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "payd trigger: name one event type, e.g. payd trigger payment_intent.succeeded\nsupported: %s\n",
			strings.Join(triggerTypes(), ", "))
		return 2
	}
	typ := pos[0]
	fx, ok := fixtures[typ]
	if !ok {
		fmt.Fprintf(stderr, "payd trigger: payd cannot trigger %q yet\nsupported: %s\n", typ, strings.Join(triggerTypes(), ", "))
		return 2
	}
	c, err := api.client()
	if err != nil {
		fmt.Fprintf(stderr, "payd trigger: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	t := &trigger{c: c, out: stdout}
	objectID, err := fx.run(ctx, t)
	if err != nil {
		fmt.Fprintf(stderr, "payd trigger %s: %v\n", typ, err)
		return 1
	}
	ev, err := t.findEvent(ctx, typ, objectID)
	if err != nil {
		fmt.Fprintf(stderr, "payd trigger %s: %v\n", typ, err)
		return 1
	}
	fmt.Fprintf(stdout, "Trigger succeeded! payd recorded %s [%s]\n", typ, ev.ID)
	return 0
}

// trigger runs fixtures against one payd and prints what they create.
type trigger struct {
	c   *client
	out io.Writer
}

// object holds the fields of payd's objects the fixtures look at.
type object struct {
	ID           string `json:"id"`
	Object       string `json:"object"`
	Status       string `json:"status"`
	LatestCharge string `json:"latest_charge"`
	URL          string `json:"url"`
	NextAction   *struct {
		RedirectToURL *struct {
			URL string `json:"url"`
		} `json:"redirect_to_url"`
	} `json:"next_action"`
}

// step calls payd and prints what happened to which object.
func (t *trigger) step(ctx context.Context, verb, method, path string, params url.Values) (object, error) {
	var o object
	if err := t.c.do(ctx, method, path, params, &o); err != nil {
		var apiErr *apiError
		if errors.As(err, &apiErr) {
			err = fmt.Errorf("%s %s: %w", method, path, err)
		}
		return o, err
	}
	line := fmt.Sprintf("%s %s %s", verb, o.Object, o.ID)
	if o.Status != "" {
		line += " (" + o.Status + ")"
	}
	fmt.Fprintln(t.out, line)
	return o, nil
}

func (t *trigger) customer(ctx context.Context) (object, error) {
	return t.step(ctx, "created", http.MethodPost, "/v1/customers", url.Values{
		"description": {"created by payd trigger"}, "email": {"trigger@example.com"}})
}

// paymentIntent creates a card PaymentIntent for $20.00, with extra
// parameters (confirm, payment_method, …) merged in.
func (t *trigger) paymentIntent(ctx context.Context, extra url.Values) (object, error) {
	params := url.Values{"amount": {"2000"}, "currency": {"usd"}, "payment_method_types[]": {"card"},
		"description": {"created by payd trigger"}}
	verb := "created"
	for k, v := range extra {
		params[k] = v
		if k == "confirm" {
			verb = "created and confirmed"
		}
	}
	return t.step(ctx, verb, http.MethodPost, "/v1/payment_intents", params)
}

func (t *trigger) paidIntent(ctx context.Context) (object, error) {
	pi, err := t.paymentIntent(ctx, url.Values{"confirm": {"true"}, "payment_method": {"pm_card_visa"}})
	if err == nil && pi.Status != "succeeded" {
		err = fmt.Errorf("payment_intent %s is %s, not succeeded", pi.ID, pi.Status)
	}
	return pi, err
}

// declinedIntent confirms in a second call so that the PaymentIntent's id
// is known although the confirm answers with a card error.
func (t *trigger) declinedIntent(ctx context.Context) (object, error) {
	pi, err := t.paymentIntent(ctx, nil)
	if err != nil {
		return pi, err
	}
	err = t.c.do(ctx, http.MethodPost, "/v1/payment_intents/"+pi.ID+"/confirm", url.Values{"payment_method": {"pm_card_chargeDeclined"}}, nil)
	var apiErr *apiError
	if !errors.As(err, &apiErr) || apiErr.Type != "card_error" {
		if err == nil {
			err = errors.New("pm_card_chargeDeclined was not declined")
		}
		return pi, fmt.Errorf("confirm %s: %w", pi.ID, err)
	}
	fmt.Fprintf(t.out, "confirmed payment_intent %s with pm_card_chargeDeclined: declined (%s)\n", pi.ID, apiErr.DeclineCode)
	if err := t.c.do(ctx, http.MethodGet, "/v1/payment_intents/"+pi.ID, nil, &pi); err != nil {
		return pi, err
	}
	return pi, nil
}

func (t *trigger) refundedIntent(ctx context.Context) (object, object, error) {
	pi, err := t.paidIntent(ctx)
	if err != nil {
		return pi, object{}, err
	}
	re, err := t.step(ctx, "created", http.MethodPost, "/v1/refunds", url.Values{"payment_intent": {pi.ID}})
	return pi, re, err
}

func (t *trigger) price(ctx context.Context) (object, error) {
	return t.step(ctx, "created", http.MethodPost, "/v1/prices", url.Values{"currency": {"usd"}, "unit_amount": {"2000"},
		"product_data[name]": {"payd trigger T-shirt"}})
}

// paymentLink creates a Payment Link for one $20.00 price.
func (t *trigger) paymentLink(ctx context.Context) (object, error) {
	price, err := t.price(ctx)
	if err != nil {
		return object{}, err
	}
	link, err := t.step(ctx, "created", http.MethodPost, "/v1/payment_links", url.Values{
		"line_items[0][price]": {price.ID}, "line_items[0][quantity]": {"1"}})
	if err == nil {
		fmt.Fprintf(t.out, "  open it at %s\n", link.URL)
	}
	return link, err
}

// session creates a payment-mode Checkout Session for one $20.00 price.
func (t *trigger) session(ctx context.Context) (object, error) {
	price, err := t.price(ctx)
	if err != nil {
		return object{}, err
	}
	return t.step(ctx, "created", http.MethodPost, "/v1/checkout/sessions", url.Values{"mode": {"payment"},
		"line_items[0][price]": {price.ID}, "line_items[0][quantity]": {"1"}, "payment_method_types[]": {"card"},
		"success_url": {"https://example.com/payd-trigger/success?session_id={CHECKOUT_SESSION_ID}"}})
}

// payPage submits the session's hosted page as a customer would, with
// the 4242 test card; payd answers a paid page with a redirect to the
// success_url.
func (t *trigger) payPage(ctx context.Context, cs object) error {
	form := url.Values{"email": {"trigger@example.com"}, "method": {"card"}, "card_number": {"4242424242424242"},
		"expiry": {"12 / 34"}, "cvc": {"123"}, "card_name": {"payd trigger"}, "country": {"US"}, "postal_code": {"94107"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cs.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("pay %s: %w", cs.URL, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("pay %s: the page answered %s, not a redirect to the success_url", cs.URL, resp.Status)
	}
	fmt.Fprintf(t.out, "paid checkout.session %s on its page with the 4242 test card\n", cs.ID)
	return nil
}

// eventSummary is the part of an Event the CLI prints.
type eventSummary struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Created int64  `json:"created"`
	Data    struct {
		Object struct {
			ID string `json:"id"`
		} `json:"object"`
	} `json:"data"`
}

func (e eventSummary) objectID() string { return e.ID }

// findEvent looks up the event the fixture caused. payd records an event in
// the same transaction as the change, so it exists once the call returned;
// finding it proves the trigger did what it says.
func (t *trigger) findEvent(ctx context.Context, typ, objectID string) (eventSummary, error) {
	var page listPage[eventSummary]
	q := url.Values{"types[]": {typ}, "limit": {"100"}}
	if err := t.c.do(ctx, http.MethodGet, "/v1/events", q, &page); err != nil {
		return eventSummary{}, fmt.Errorf("looking up the event: %w", err)
	}
	for _, e := range page.Data {
		if e.Data.Object.ID == objectID {
			return e, nil
		}
	}
	return eventSummary{}, fmt.Errorf("payd recorded no %s event about %s", typ, objectID)
}
