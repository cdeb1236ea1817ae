package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/payd/payd/internal/customer"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/money"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/paymentintent"
	"github.com/payd/payd/internal/paymentmethod"
	"github.com/payd/payd/internal/setupintent"
	"github.com/payd/payd/internal/store"
)

// prefillWindow is how long after creation a session's page may show the
// customer's saved card (seed 002: 30 minutes, then never again).
const prefillWindow = 30 * time.Minute

// maxCustomAmount is Stripe's largest amount (eight digits).
const maxCustomAmount = 99_999_999

// Page is what the hosted page shows for a session.
type Page struct {
	Account string
	Session *Session
	Items   []Item
	// Email is the address known before the customer types one: the
	// session's customer_email or its customer's email.
	Email   string
	Prefill *Prefill
	// Lapsed: the session is open in storage but past expires_at (the
	// sweeper has not reached it yet); the page treats it as expired.
	Lapsed bool
	// ConfirmationMessage replaces the page's thanks once paid.
	ConfirmationMessage string
	// LastMethod is the payment method type the customer last tried.
	LastMethod string
}

// Prefill is what the page fills in from the customer's saved details.
type Prefill struct {
	// Method is the saved card shown (nil: none qualifies).
	Method   *paymentmethod.PaymentMethod
	Email    string
	Name     string
	Address  customer.Address
	Shipping *customer.Shipping
}

// ErrNoSession is a page address naming no session.
var ErrNoSession = errors.New("checkout: no such session")

// LoadPage reads a session for its page; the page address carries no key,
// so the account is the session's own.
func (s *Service) LoadPage(ctx context.Context, tx store.Tx, sessionID string) (*Page, error) {
	account, err := tx.AccountOf(ctx, Table, sessionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, err
	}
	l, err := load(ctx, tx, account, sessionID, false)
	if err != nil {
		return nil, err
	}
	return s.page(ctx, tx, account, l)
}

func (s *Service) page(ctx context.Context, tx store.Tx, account string, l *loaded) (*Page, error) {
	pg := &Page{Account: account, Session: l.s, Items: l.priv.Items, ConfirmationMessage: l.priv.Confirmation, LastMethod: l.priv.Method}
	now := s.Now()
	pg.Lapsed = l.s.Status == Open && now.Unix() >= l.s.ExpiresAt
	if l.s.CustomerEmail != nil {
		pg.Email = *l.s.CustomerEmail
	}
	if l.s.Customer == nil || l.s.Status != Open {
		return pg, nil
	}
	cus, err := s.Customers.Live(ctx, tx, account, *l.s.Customer, "customer")
	if e, ok := errs.As(err); ok && e.Code == "resource_missing" {
		return pg, nil // deleted since: nothing to prefill from
	}
	if err != nil {
		return nil, err
	}
	if cus.Email != nil {
		pg.Email = *cus.Email
	}
	pf, err := s.prefill(ctx, tx, account, l.s, cus, now)
	if err != nil {
		return nil, err
	}
	pg.Prefill = pf
	return pg, nil
}

// prefill applies seed 002's rules. Within 30 minutes of creation, in
// payment mode, the customer's newest saved card whose allow_redisplay
// the session shows and whose billing details cover what
// billing_address_collection needs fills email, name, card and billing
// address; shipping fills from customer.shipping when its country is one
// the session ships to. Setup mode prefills nothing.
func (s *Service) prefill(ctx context.Context, tx store.Tx, account string, cs *Session, cus *customer.Customer, now time.Time) (*Prefill, error) {
	if cs.Mode == ModeSetup || now.Sub(time.Unix(cs.Created, 0)) >= prefillWindow {
		return nil, nil
	}
	pf := &Prefill{}
	if sac := cs.ShippingAddressCollection; sac != nil && cus.Shipping != nil && cus.Shipping.Address != nil &&
		cus.Shipping.Address.Country != nil && slices.Contains(sac.AllowedCountries, *cus.Shipping.Address.Country) {
		pf.Shipping = cus.Shipping
	}
	filters := []string{paymentmethod.RedisplayAlways}
	if cs.SavedPaymentMethodOptions != nil && len(cs.SavedPaymentMethodOptions.AllowRedisplayFilters) > 0 {
		filters = cs.SavedPaymentMethodOptions.AllowRedisplayFilters
	}
	if slices.Contains(cs.PaymentMethodTypes, paymentmethod.TypeCard) {
		page, err := tx.List(ctx, paymentmethod.Table, store.ListQuery{Account: account, Limit: 100, DataOnly: true,
			Filters: []store.Filter{{Col: "customer", Values: []any{cus.ID}}, {Col: "type", Values: []any{paymentmethod.TypeCard}}}})
		if err != nil {
			return nil, err
		}
		for _, rec := range page.Records { // newest first
			pm, err := paymentmethod.Decode(rec)
			if err != nil {
				return nil, err
			}
			if slices.Contains(filters, pm.AllowRedisplay) && billingComplete(pm.BillingDetails, cs.BillingAddressCollection) {
				pf.Method = pm
				bd := pm.BillingDetails
				pf.Email, pf.Name, pf.Address = deref(bd.Email), deref(bd.Name), bd.Address
				break
			}
		}
	}
	if pf.Method == nil && pf.Shipping == nil {
		return nil, nil
	}
	return pf, nil
}

// billingComplete says whether billing details hold what
// billing_address_collection needs: auto (the default) wants email, name
// and country, plus the postal code in the US, Canada and the UK;
// required wants email, name and the whole address.
func billingComplete(bd paymentmethod.BillingDetails, collection *string) bool {
	a := bd.Address
	if deref(bd.Email) == "" || deref(bd.Name) == "" || deref(a.Country) == "" {
		return false
	}
	if collection != nil && *collection == "required" {
		return deref(a.Line1) != "" && deref(a.City) != "" && deref(a.PostalCode) != "" && deref(a.State) != ""
	}
	return !postalRequired(deref(a.Country)) || deref(a.PostalCode) != ""
}

// postalRequired names the countries whose billing address needs a postal
// code even when Checkout collects only the country.
func postalRequired(country string) bool {
	return country == "US" || country == "CA" || country == "GB"
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Submission is what the customer sent from the page.
type Submission struct {
	Method      string
	SavedMethod string
	Email, Name string
	// Card fields as typed: number, "MM / YY", CVC.
	CardNumber, Expiry, CVC string
	Billing                 customer.Address
	ShippingName            string
	Shipping                customer.Address
	RoutingNumber           string
	AccountNumber           string
	IBAN                    string
	// Quantities of adjustable line items, by item id; CustomAmount is a
	// customer-chosen price in major units ("12.50").
	Quantities   map[string]int64
	CustomAmount string
	// IP and UserAgent record the customer's acceptance of a mandate.
	IP, UserAgent string
	// Save is the customer's consent to save the method for later
	// (offered when saved_payment_method_options[payment_method_save] is
	// enabled).
	Save bool
}

// OffersSave says whether the page asks the customer whether to save the
// payment method: payment mode, a customer, and payment_method_save
// enabled.
func (cs *Session) OffersSave() bool {
	o := cs.SavedPaymentMethodOptions
	return cs.Mode == ModePayment && cs.Customer != nil && o != nil && deref(o.PaymentMethodSave) == "enabled"
}

// FormError is a problem with what the customer entered, for the page to
// show beside Field; nothing of the submission is kept.
type FormError struct {
	Field, Message string
}

func (e *FormError) Error() string { return e.Field + ": " + e.Message }

// Result is where the page goes after a submission that was kept: the
// success page, the authorization page, or back to the form with a
// decline message.
type Result struct {
	Redirect string
	Declined string
}

// Submit pays (or sets up) a session from its page, in one transaction:
// check the form → record the customer's details → create the customer
// when the session asks → create or retry the intent, confirmed. The
// intent's owner hook completes the session in the same transaction. A
// decline is kept (the attempt is part of the payment's history) and
// reported in Result; a form error keeps nothing.
func (s *Service) Submit(ctx context.Context, tx store.Tx, sessionID string, sub Submission) (Result, error) {
	account, err := tx.AccountOf(ctx, Table, sessionID)
	if errors.Is(err, store.ErrNotFound) {
		return Result{}, ErrNoSession
	}
	if err != nil {
		return Result{}, err
	}
	l, err := load(ctx, tx, account, sessionID, true)
	if err != nil {
		return Result{}, err
	}
	cs := l.s
	switch {
	case cs.Status == Complete:
		// A second submission of a paid page: nothing more to do.
		return Result{Redirect: SuccessURL(cs)}, nil
	case cs.Status == Expired || s.Now().Unix() >= cs.ExpiresAt:
		return Result{}, &FormError{Field: "session", Message: "This Checkout Session has expired."}
	}
	if next, done, err := s.inFlight(ctx, tx, account, cs); err != nil || done {
		return next, err
	}
	// Only a submission with the prefilled card needs the prefill (to
	// check that card is still the one the page may offer).
	var prefilled *paymentmethod.PaymentMethod
	if sub.SavedMethod != "" {
		pg, err := s.page(ctx, tx, account, l)
		if err != nil {
			return Result{}, err
		}
		if pg.Prefill != nil {
			prefilled = pg.Prefill.Method
		}
	}
	if err := s.checkForm(cs, prefilled, &sub); err != nil {
		return Result{}, err
	}
	if err := s.applyAmounts(l, sub); err != nil {
		return Result{}, err
	}
	s.recordDetails(cs, sub)
	l.priv.Method = sub.Method
	if err := s.createCustomer(ctx, tx, account, l, sub); err != nil {
		return Result{}, err
	}
	if _, err := save(ctx, tx, account, s.Now().Unix(), l, false); err != nil {
		return Result{}, err
	}
	var data []byte
	if cs.Mode == ModeSetup {
		data, err = s.confirmSetup(ctx, tx, account, l, sub)
	} else {
		data, err = s.confirmPayment(ctx, tx, account, l, sub)
	}
	if e, ok := errs.As(err); ok {
		if e.Committed {
			return Result{Declined: e.Message}, nil
		}
		return Result{}, formError(e)
	}
	if err != nil {
		return Result{}, err
	}
	intent, err := readIntent(data)
	if err != nil {
		return Result{}, err
	}
	if u := intent.redirect(); u != "" {
		return Result{Redirect: u}, nil
	}
	if intent.LastPaymentError != nil {
		return Result{Declined: intent.LastPaymentError.Message}, nil
	}
	final, err := load(ctx, tx, account, sessionID, false)
	if err != nil {
		return Result{}, err
	}
	if final.s.Status != Complete {
		return Result{}, nil // not paid: the page shows the session as it is
	}
	return Result{Redirect: SuccessURL(final.s)}, nil
}

// inFlight handles a submission while the session's intent is already
// waiting on the customer (a second click during a redirect): it sends
// the customer to the pending step again instead of paying twice.
func (s *Service) inFlight(ctx context.Context, tx store.Tx, account string, cs *Session) (Result, bool, error) {
	var data []byte
	var err error
	switch {
	case cs.PaymentIntent != nil:
		data, err = paymentintent.Get(ctx, tx, account, *cs.PaymentIntent)
	case cs.SetupIntent != nil:
		data, err = setupintent.Get(ctx, tx, account, *cs.SetupIntent)
	default:
		return Result{}, false, nil
	}
	if err != nil {
		return Result{}, false, err
	}
	intent, err := readIntent(data)
	if err != nil {
		return Result{}, false, err
	}
	if u := intent.redirect(); intent.Status == "requires_action" && u != "" {
		return Result{Redirect: u}, true, nil
	}
	return Result{}, false, nil
}

// intentView is what the page needs of a PaymentIntent or SetupIntent
// (both spell these fields alike): where the customer must go next, and
// why the last attempt failed.
type intentView struct {
	Status     string `json:"status"`
	NextAction *struct {
		RedirectToURL *struct {
			URL string `json:"url"`
		} `json:"redirect_to_url"`
	} `json:"next_action"`
	LastPaymentError *struct {
		Message string `json:"message"`
	} `json:"last_payment_error"`
	LastSetupError *struct {
		Message string `json:"message"`
	} `json:"last_setup_error"`
}

func readIntent(data []byte) (*intentView, error) {
	var v intentView
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	if v.LastPaymentError == nil {
		v.LastPaymentError = v.LastSetupError
	}
	return &v, nil
}

// redirect is the URL of the customer's pending redirect step, or "".
func (v *intentView) redirect() string {
	if v.NextAction != nil && v.NextAction.RedirectToURL != nil {
		return v.NextAction.RedirectToURL.URL
	}
	return ""
}

// SuccessURL is where a completed session sends the customer: its
// success_url with {CHECKOUT_SESSION_ID} replaced, or its own page, which
// then shows the confirmation.
func SuccessURL(cs *Session) string {
	if cs.SuccessURL == nil {
		return ""
	}
	return strings.ReplaceAll(*cs.SuccessURL, "{CHECKOUT_SESSION_ID}", cs.ID)
}

// checkForm validates the submission against what the session collects.
func (s *Service) checkForm(cs *Session, prefilled *paymentmethod.PaymentMethod, sub *Submission) error {
	sub.Email = strings.TrimSpace(sub.Email)
	if sub.Email == "" || !strings.Contains(sub.Email, "@") {
		return &FormError{Field: "email", Message: "Enter a valid email address."}
	}
	if sub.SavedMethod != "" {
		if prefilled == nil || prefilled.ID != sub.SavedMethod {
			return &FormError{Field: "method", Message: "That saved card can no longer be used here. Enter your card details."}
		}
		sub.Method = paymentmethod.TypeCard
	}
	if !slices.Contains(cs.PaymentMethodTypes, sub.Method) {
		return &FormError{Field: "method", Message: "Choose a payment method."}
	}
	if sub.SavedMethod == "" {
		switch sub.Method {
		case paymentmethod.TypeCard:
			if strings.TrimSpace(sub.CardNumber) == "" {
				return &FormError{Field: "card_number", Message: "Your card number is incomplete."}
			}
			if _, _, ok := parseExpiry(sub.Expiry); !ok {
				return &FormError{Field: "expiry", Message: "Your card's expiration date is incomplete."}
			}
			if strings.TrimSpace(sub.CVC) == "" {
				return &FormError{Field: "cvc", Message: "Your card's security code is incomplete."}
			}
			if strings.TrimSpace(sub.Name) == "" {
				return &FormError{Field: "name", Message: "Enter the name on your card."}
			}
		case paymentmethod.TypeUSBankAccount:
			if strings.TrimSpace(sub.Name) == "" {
				return &FormError{Field: "name", Message: "Enter the account holder's name."}
			}
			if sub.RoutingNumber == "" {
				return &FormError{Field: "routing_number", Message: "Enter your routing number."}
			}
			if sub.AccountNumber == "" {
				return &FormError{Field: "account_number", Message: "Enter your account number."}
			}
		case paymentmethod.TypeSEPADebit:
			if strings.TrimSpace(sub.Name) == "" {
				return &FormError{Field: "name", Message: "Enter the account holder's name."}
			}
			if sub.IBAN == "" {
				return &FormError{Field: "iban", Message: "Enter your IBAN."}
			}
		}
		if err := checkBilling(cs, sub); err != nil {
			return err
		}
	}
	if cs.ShippingAddressCollection != nil {
		a := sub.Shipping
		switch {
		case strings.TrimSpace(sub.ShippingName) == "":
			return &FormError{Field: "shipping_name", Message: "Enter the name to ship to."}
		case deref(a.Line1) == "":
			return &FormError{Field: "shipping_line1", Message: "Enter the shipping address."}
		case deref(a.City) == "":
			return &FormError{Field: "shipping_city", Message: "Enter the shipping city."}
		case !slices.Contains(cs.ShippingAddressCollection.AllowedCountries, deref(a.Country)):
			return &FormError{Field: "shipping_country", Message: "We can't ship to that country."}
		case postalRequired(deref(a.Country)) && deref(a.PostalCode) == "":
			return &FormError{Field: "shipping_postal_code", Message: "Enter the shipping postal code."}
		}
	}
	return nil
}

// checkBilling asks for the billing address billing_address_collection
// needs: a card's country (and postal code where it is required) always,
// the full address when collection is required.
func checkBilling(cs *Session, sub *Submission) error {
	a := sub.Billing
	required := cs.BillingAddressCollection != nil && *cs.BillingAddressCollection == "required"
	if sub.Method != paymentmethod.TypeCard && !required {
		return nil
	}
	if deref(a.Country) == "" {
		return &FormError{Field: "country", Message: "Choose your country or region."}
	}
	if !required {
		if postalRequired(deref(a.Country)) && deref(a.PostalCode) == "" {
			return &FormError{Field: "postal_code", Message: "Your postal code is incomplete."}
		}
		return nil
	}
	switch {
	case deref(a.Line1) == "":
		return &FormError{Field: "line1", Message: "Enter your billing address."}
	case deref(a.City) == "":
		return &FormError{Field: "city", Message: "Enter your city."}
	case deref(a.PostalCode) == "":
		return &FormError{Field: "postal_code", Message: "Your postal code is incomplete."}
	case deref(a.State) == "":
		return &FormError{Field: "state", Message: "Enter your state, province or region."}
	}
	return nil
}

// parseExpiry reads "MM / YY", "MM/YY", "MMYY" or "MM/YYYY".
func parseExpiry(v string) (month, year int64, ok bool) {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, v)
	if len(digits) != 4 && len(digits) != 6 {
		return 0, 0, false
	}
	m, _ := strconv.ParseInt(digits[:2], 10, 64)
	y, _ := strconv.ParseInt(digits[2:], 10, 64)
	if len(digits) == 4 {
		y += 2000
	}
	return m, y, m >= 1 && m <= 12
}

// applyAmounts takes the customer's quantities and chosen amount, within
// the session's bounds, and recomputes the totals.
func (s *Service) applyAmounts(l *loaded, sub Submission) error {
	cs := l.s
	if cs.Mode != ModePayment {
		return nil
	}
	var total int64
	for i := range l.priv.Items {
		it := &l.priv.Items[i]
		if q, ok := sub.Quantities[it.ID]; ok && it.AdjustableQuantity != nil {
			aq := it.AdjustableQuantity
			if q < *aq.Minimum || q > *aq.Maximum {
				return &FormError{Field: "quantity_" + it.ID, Message: "Choose a quantity between " + strconv.FormatInt(*aq.Minimum, 10) + " and " + strconv.FormatInt(*aq.Maximum, 10) + "."}
			}
			it.Quantity = &q
		}
		unit := it.UnitAmount()
		if c := it.Price.CustomUnitAmount; c != nil {
			amount, ok := parseAmount(sub.CustomAmount, it.Currency)
			lo, hi := money.Minimum(it.Currency), int64(maxCustomAmount)
			if c.Minimum != nil {
				lo = *c.Minimum
			}
			if c.Maximum != nil {
				hi = *c.Maximum
			}
			switch {
			case !ok:
				return &FormError{Field: "custom_amount", Message: "Enter an amount."}
			case amount < lo:
				return &FormError{Field: "custom_amount", Message: "Enter an amount of at least " + money.Format(lo, it.Currency) + "."}
			case amount > hi:
				return &FormError{Field: "custom_amount", Message: "Enter an amount of at most " + money.Format(hi, it.Currency) + "."}
			}
			unit = amount
		}
		it.AmountSubtotal = unit * *it.Quantity
		it.AmountTotal = it.AmountSubtotal
		total += it.AmountTotal
	}
	if total < money.Minimum(*cs.Currency) {
		return &FormError{Field: "total", Message: "The total must be at least " + money.Format(money.Minimum(*cs.Currency), *cs.Currency) + "."}
	}
	cs.AmountSubtotal, cs.AmountTotal = &total, &total
	return nil
}

// parseAmount reads an amount typed in major units ("12", "12.5",
// "12.50") into minor units with integer arithmetic only.
func parseAmount(v, cur string) (int64, bool) {
	v = strings.TrimSpace(strings.ReplaceAll(v, ",", ""))
	whole, frac, hasFrac := strings.Cut(v, ".")
	decimals := 2
	if money.ZeroDecimal(cur) {
		decimals = 0
	}
	if whole == "" || len(frac) > decimals || (hasFrac && decimals == 0) {
		return 0, false
	}
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || n < 0 || n > maxCustomAmount {
		return 0, false
	}
	frac += strings.Repeat("0", decimals-len(frac))
	for range decimals {
		n *= 10
	}
	if frac != "" {
		f, err := strconv.ParseInt(frac, 10, 64)
		if err != nil {
			return 0, false
		}
		n += f
	}
	return n, true
}

// recordDetails stores what the customer entered as customer_details and
// the collected shipping details.
func (s *Service) recordDetails(cs *Session, sub Submission) {
	d := &CustomerDetails{Email: ptr(sub.Email), TaxExempt: "none", TaxIDs: []any{}}
	if n := strings.TrimSpace(sub.Name); n != "" {
		d.Name = &n
	}
	if deref(sub.Billing.Country) != "" {
		a := sub.Billing
		d.Address = &a
	} else {
		d.Address = &customer.Address{}
	}
	cs.CustomerDetails = d
	if cs.ShippingAddressCollection != nil {
		cs.CollectedInformation = &CollectedInformation{ShippingDetails: &ShippingDetails{Address: sub.Shipping, Name: strings.TrimSpace(sub.ShippingName)}}
	}
}

// createCustomer makes the session's Customer when it asks for one:
// customer_creation=always, or if_required when the payment saves its
// method for later.
func (s *Service) createCustomer(ctx context.Context, tx store.Tx, account string, l *loaded, sub Submission) error {
	cs := l.s
	if cs.Customer != nil || cs.CustomerCreation == nil {
		return nil
	}
	need := *cs.CustomerCreation == "always"
	if d := l.priv.PaymentIntentData; d != nil && d.SetupFutureUsage != "" {
		need = true
	}
	if !need {
		return nil
	}
	p := param.Map{"email": sub.Email}
	if n := strings.TrimSpace(sub.Name); n != "" {
		p["name"] = n
	}
	if a := cs.CustomerDetails.Address; a != nil && a.Country != nil {
		p["address"] = addressParams(*a)
	}
	if cs.CollectedInformation != nil && cs.CollectedInformation.ShippingDetails != nil {
		sd := cs.CollectedInformation.ShippingDetails
		p["shipping"] = map[string]any{"name": sd.Name, "address": addressParams(sd.Address)}
	}
	c, _, err := s.Customers.Create(ctx, tx, account, p)
	if err != nil {
		return err
	}
	cs.Customer = &c.ID
	return nil
}

func addressParams(a customer.Address) map[string]any {
	m := map[string]any{}
	for k, v := range map[string]*string{"line1": a.Line1, "line2": a.Line2, "city": a.City, "state": a.State, "postal_code": a.PostalCode, "country": a.Country} {
		if v != nil && *v != "" {
			m[k] = *v
		}
	}
	return m
}

// methodParams turns the submission into the intent's payment_method or
// payment_method_data, and the mandate a debit needs.
func methodParams(p param.Map, sub Submission) {
	if sub.SavedMethod != "" {
		p["payment_method"] = sub.SavedMethod
		return
	}
	bd := map[string]any{"email": sub.Email}
	if n := strings.TrimSpace(sub.Name); n != "" {
		bd["name"] = n
	}
	if a := addressParams(sub.Billing); len(a) > 0 {
		bd["address"] = a
	}
	data := map[string]any{"type": sub.Method, "billing_details": bd}
	switch sub.Method {
	case paymentmethod.TypeCard:
		month, year, _ := parseExpiry(sub.Expiry)
		data["card"] = map[string]any{"number": strings.ReplaceAll(sub.CardNumber, " ", ""), "exp_month": month, "exp_year": year, "cvc": strings.TrimSpace(sub.CVC)}
	case paymentmethod.TypeUSBankAccount:
		data["us_bank_account"] = map[string]any{"routing_number": strings.TrimSpace(sub.RoutingNumber),
			"account_number": strings.TrimSpace(sub.AccountNumber), "account_holder_type": "individual"}
	case paymentmethod.TypeSEPADebit:
		data["sepa_debit"] = map[string]any{"iban": strings.ReplaceAll(sub.IBAN, " ", "")}
	}
	p["payment_method_data"] = data
	if sub.Method == paymentmethod.TypeUSBankAccount || sub.Method == paymentmethod.TypeSEPADebit {
		p["mandate_data"] = map[string]any{"customer_acceptance": map[string]any{"type": "online",
			"online": map[string]any{"ip_address": sub.IP, "user_agent": sub.UserAgent}}}
	}
}

// confirmPayment creates the session's PaymentIntent, confirmed, or
// retries the one a declined attempt left.
func (s *Service) confirmPayment(ctx context.Context, tx store.Tx, account string, l *loaded, sub Submission) ([]byte, error) {
	cs := l.s
	p := param.Map{"confirm": true, "return_url": s.ReturnURL(ctx, cs.ID)}
	methodParams(p, sub)
	if sub.Save && cs.OffersSave() && sub.SavedMethod == "" {
		// Saved with the customer's consent, so shown to them again.
		p["setup_future_usage"] = "on_session"
		p["payment_method_data"].(map[string]any)["allow_redisplay"] = paymentmethod.RedisplayAlways
	}
	if cs.PaymentIntent != nil {
		upd := param.Map{"amount": *cs.AmountTotal, "payment_method_types": []any{sub.Method}}
		if _, err := s.Intents.Update(ctx, tx, account, *cs.PaymentIntent, upd); err != nil {
			return nil, err
		}
		return s.Intents.ConfirmFor(ctx, tx, account, *cs.PaymentIntent, p, cs.ID)
	}
	p["amount"], p["currency"] = *cs.AmountTotal, *cs.Currency
	p["payment_method_types"] = []any{sub.Method}
	if cs.Customer != nil {
		p["customer"] = *cs.Customer
	}
	if d := l.priv.PaymentIntentData; d != nil {
		setIf(p, "capture_method", d.CaptureMethod)
		setIf(p, "setup_future_usage", d.SetupFutureUsage)
		setIf(p, "description", d.Description)
		setIf(p, "receipt_email", d.ReceiptEmail)
		setIf(p, "statement_descriptor", d.StatementDescriptor)
		setIf(p, "statement_descriptor_suffix", d.StatementSuffix)
		if len(d.Metadata) > 0 {
			p["metadata"] = stringMap(d.Metadata)
		}
	}
	return s.Intents.CreateOwned(ctx, tx, account, p, cs.ID)
}

// confirmSetup confirms the session's SetupIntent (created with the
// session) with what the customer entered; a failed attempt leaves it to
// be confirmed again.
func (s *Service) confirmSetup(ctx context.Context, tx store.Tx, account string, l *loaded, sub Submission) ([]byte, error) {
	cs := l.s
	p := param.Map{"confirm": true, "return_url": s.ReturnURL(ctx, cs.ID)}
	methodParams(p, sub)
	if sub.Method == paymentmethod.TypeAmazonPay {
		p["mandate_data"] = map[string]any{"customer_acceptance": map[string]any{"type": "online",
			"online": map[string]any{"ip_address": sub.IP, "user_agent": sub.UserAgent}}}
	}
	if cs.Customer != nil {
		// A customer the page created now owns what is set up.
		si, err := setupintent.Get(ctx, tx, account, *cs.SetupIntent)
		if err != nil {
			return nil, err
		}
		var owner struct {
			Customer *string `json:"customer"`
		}
		if err := json.Unmarshal(si, &owner); err != nil {
			return nil, err
		}
		if owner.Customer == nil {
			if _, err := s.Setups.Update(ctx, tx, account, *cs.SetupIntent, param.Map{"customer": *cs.Customer}); err != nil {
				return nil, err
			}
		}
	}
	return s.Setups.ConfirmFor(ctx, tx, account, *cs.SetupIntent, p, cs.ID)
}

func setIf(p param.Map, key, v string) {
	if v != "" {
		p[key] = v
	}
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// formError maps an API error from creating the payment method or intent
// to the page field it is about.
func formError(e *errs.Error) error {
	field := "form"
	switch p := e.Param; {
	case strings.HasSuffix(p, "[number]"):
		field = "card_number"
	case strings.HasSuffix(p, "[exp_month]"), strings.HasSuffix(p, "[exp_year]"):
		field = "expiry"
	case strings.HasSuffix(p, "[cvc]"):
		field = "cvc"
	case strings.HasSuffix(p, "[routing_number]"):
		field = "routing_number"
	case strings.HasSuffix(p, "[account_number]"):
		field = "account_number"
	case strings.HasSuffix(p, "[iban]"):
		field = "iban"
	case strings.Contains(p, "[name]"):
		field = "name"
	case strings.Contains(p, "[email]"), p == "receipt_email":
		field = "email"
	}
	return &FormError{Field: field, Message: e.Message}
}
