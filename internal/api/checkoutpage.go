package api

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/payd/payd/internal/checkout"
	"github.com/payd/payd/internal/customer"
	"github.com/payd/payd/internal/money"
	"github.com/payd/payd/internal/store"
	"github.com/payd/payd/web"
)

// checkoutPageRoutes registers the hosted checkout page: the form, its
// submission, and the return from the authorization page.
func (s *Server) checkoutPageRoutes() {
	s.mux.HandleFunc("GET /_payd/checkout/{session}", s.checkoutPage)
	s.mux.HandleFunc("POST /_payd/checkout/{session}", s.checkoutSubmit)
	s.mux.HandleFunc("GET /_payd/checkout/{session}/return", s.checkoutReturn)
}

// methodLabels are the payment methods' names as Stripe shows them.
var methodLabels = map[string]string{"card": "Card", "amazon_pay": "Amazon Pay", "us_bank_account": "US bank account", "sepa_debit": "SEPA Direct Debit"}

// countries the billing country list offers, by code; a shipping list
// shows the session's own allowed countries.
var countries = map[string]string{
	"AT": "Austria", "AU": "Australia", "BE": "Belgium", "BR": "Brazil", "CA": "Canada", "CH": "Switzerland", "CZ": "Czechia",
	"DE": "Germany", "DK": "Denmark", "ES": "Spain", "FI": "Finland", "FR": "France", "GB": "United Kingdom", "GR": "Greece",
	"HK": "Hong Kong", "IE": "Ireland", "IN": "India", "IT": "Italy", "JP": "Japan", "LU": "Luxembourg", "MX": "Mexico",
	"NL": "Netherlands", "NO": "Norway", "NZ": "New Zealand", "PL": "Poland", "PT": "Portugal", "SE": "Sweden", "SG": "Singapore",
	"US": "United States", "ZA": "South Africa",
}

type countryOption struct {
	Code, Name string
	Selected   bool
}

func countryOptions(codes []string, selected string) []countryOption {
	opts := make([]countryOption, 0, len(codes))
	for _, c := range codes {
		name := countries[c]
		if name == "" {
			name = c
		}
		opts = append(opts, countryOption{Code: c, Name: name, Selected: c == selected})
	}
	sort.Slice(opts, func(i, j int) bool { return opts[i].Name < opts[j].Name })
	return opts
}

var allCountries = func() []string {
	codes := make([]string, 0, len(countries))
	for c := range countries {
		codes = append(codes, c)
	}
	return codes
}()

// checkoutForm is what the customer typed, echoed back when the page
// shows an error. Card number and CVC are never echoed.
type checkoutForm struct {
	Expiry, CardName, BankName, SEPAName, RoutingNumber, AccountNumber, IBAN string
	Line1, Line2, City, State, PostalCode, Country                           string
	ShippingName, ShippingLine1, ShippingLine2, ShippingCity                 string
	ShippingState, ShippingPostalCode, ShippingCountry                       string
	Email, Method, SavedMethod, CustomAmount                                 string
	Save                                                                     bool
	Quantities                                                               map[string]string
}

type checkoutView struct {
	Lang, Title, Heading, Mode, Total, Submit, Action, CancelURL, Banner, Email string
	Currency                                                                    string
	Items                                                                       []itemView
	CustomAmount                                                                *customAmountView
	Methods                                                                     []methodView
	Saved                                                                       *savedView
	UseSaved, Shipping, BillingRequired, OffersSave, Save                       bool
	ShippingText, SubmitText, AfterSubmitText                                   string
	Countries, ShippingCountries                                                []countryOption
	Form                                                                        checkoutForm
	Errors                                                                      map[string]string
}

type itemView struct {
	ID, Name, Amount   string
	Quantity, Min, Max int64
	// Unit and Minor are the unit price and the line's amount in minor
	// units, for the page's live total when a quantity changes.
	Unit, Minor        int64
	Adjustable, Custom bool
}

type customAmountView struct{ Currency, Value, Hint string }

type methodView struct {
	Type, Label string
	Checked     bool
}

type savedView struct{ ID, Label, Expiry string }

// statusView is the page of a session that is no longer open.
type statusView struct {
	Title, Amount, Message, Link, LinkText string
}

func (s *Server) checkoutPage(w http.ResponseWriter, r *http.Request) {
	pg, err := s.loadCheckoutPage(r, r.PathValue("session"))
	if err != nil {
		s.pageError(w, err)
		return
	}
	s.renderCheckout(w, r, pg, nil, http.StatusOK)
}

// loadCheckoutPage reads what a session's page shows.
func (s *Server) loadCheckoutPage(r *http.Request, sessionID string) (pg *checkout.Page, err error) {
	err = s.store.View(r.Context(), func(tx store.Tx) error {
		pg, err = s.checkout.LoadPage(r.Context(), tx, sessionID)
		return err
	})
	return pg, err
}

// pageError shows a page for a session that cannot be found or read.
func (s *Server) pageError(w http.ResponseWriter, err error) {
	if errors.Is(err, checkout.ErrNoSession) {
		renderTemplate(w, http.StatusNotFound, "checkout-status.html", statusView{Title: "Page not found",
			Message: "There is no checkout session at this address. Ask the merchant for a new link."})
		return
	}
	s.log.Error("checkout page", "err", err)
	renderTemplate(w, http.StatusInternalServerError, "checkout-status.html", statusView{Title: "Something went wrong",
		Message: "This page could not be loaded. Try again in a moment."})
}

// pageState is what a page shows for the customer's input so far.
type pageState struct {
	form   checkoutForm
	errors map[string]string
	banner string
}

func (s *Server) renderCheckout(w http.ResponseWriter, r *http.Request, pg *checkout.Page, st *pageState, status int) {
	cs := pg.Session
	amount := ""
	if cs.AmountTotal != nil && cs.Currency != nil {
		amount = money.Format(*cs.AmountTotal, *cs.Currency)
	}
	switch {
	case cs.Status == checkout.Complete:
		v := statusView{Title: "Thanks for your payment", Amount: amount,
			Message: "Your payment was received. A receipt is on its way from the merchant."}
		if cs.PaymentStatus == checkout.Unpaid {
			v.Message = "Your payment is being processed. The merchant will confirm it when it completes."
		}
		if cs.Mode == checkout.ModeSetup {
			v = statusView{Title: "Your payment method is saved", Message: "You can close this page and return to the merchant."}
		}
		if msg := pg.ConfirmationMessage; msg != "" {
			v.Message = msg
		}
		renderTemplate(w, status, "checkout-status.html", v)
		return
	case cs.Status == checkout.Expired || pg.Lapsed:
		v := statusView{Title: "This checkout session has expired", Message: "Nothing was charged. Return to the merchant to start again."}
		if cs.CancelURL != nil {
			v.Link, v.LinkText = *cs.CancelURL, "Return to the merchant"
		}
		renderTemplate(w, http.StatusGone, "checkout-status.html", v)
		return
	}
	if st == nil {
		st = &pageState{}
	}
	v := checkoutView{Lang: "en", Mode: cs.Mode, Currency: strings.ToUpper(deref(cs.Currency)), Total: amount, Action: "/_payd/checkout/" + cs.ID, Email: pg.Email,
		Banner: st.banner, Errors: st.errors, Form: st.form}
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	if cs.Locale != nil && *cs.Locale != "auto" {
		v.Lang = *cs.Locale
	}
	if cs.CancelURL != nil {
		v.CancelURL = *cs.CancelURL
	}
	v.BillingRequired = cs.BillingAddressCollection != nil && *cs.BillingAddressCollection == "required"
	for _, it := range pg.Items {
		iv := itemView{ID: it.ID, Amount: money.Format(it.AmountTotal, it.Currency), Custom: it.Price.CustomUnitAmount != nil,
			Unit: it.UnitAmount(), Minor: it.AmountTotal}
		if it.Description != nil {
			iv.Name = *it.Description
		}
		if it.Quantity != nil {
			iv.Quantity = *it.Quantity
		}
		if q, ok := st.form.Quantities[it.ID]; ok {
			iv.Quantity, _ = strconv.ParseInt(q, 10, 64)
		}
		if aq := it.AdjustableQuantity; aq != nil {
			iv.Adjustable, iv.Min, iv.Max = true, *aq.Minimum, *aq.Maximum
		}
		if c := it.Price.CustomUnitAmount; c != nil {
			ca := &customAmountView{Currency: strings.ToUpper(it.Currency), Value: st.form.CustomAmount}
			if ca.Value == "" && c.Preset != nil {
				ca.Value = majorUnits(*c.Preset, it.Currency)
			}
			var hint []string
			if c.Minimum != nil {
				hint = append(hint, "at least "+money.Format(*c.Minimum, it.Currency))
			}
			if c.Maximum != nil {
				hint = append(hint, "at most "+money.Format(*c.Maximum, it.Currency))
			}
			if len(hint) > 0 {
				ca.Hint = "Enter " + strings.Join(hint, " and ") + "."
			}
			v.CustomAmount = ca
		}
		v.Items = append(v.Items, iv)
	}
	v.Heading = "Pay"
	if len(v.Items) > 0 {
		v.Heading = "Pay for " + v.Items[0].Name
		if len(v.Items) > 1 {
			v.Heading = "Your order"
		}
	}
	chosen := st.form.Method
	if chosen == "" && len(cs.PaymentMethodTypes) > 0 {
		chosen = cs.PaymentMethodTypes[0]
	}
	for _, t := range cs.PaymentMethodTypes {
		v.Methods = append(v.Methods, methodView{Type: t, Label: methodLabels[t], Checked: t == chosen})
	}
	country := st.form.Country
	if pf := pg.Prefill; pf != nil {
		if pm := pf.Method; pm != nil && pm.Card != nil {
			v.Saved = &savedView{ID: pm.ID, Label: brandName(pm.Card.Brand) + " •••• " + pm.Card.Last4,
				Expiry: fmt.Sprintf("%02d/%02d", pm.Card.ExpMonth, pm.Card.ExpYear%100)}
			v.UseSaved = st.form.SavedMethod != "" || st.errors == nil
			if st.errors == nil && st.banner == "" {
				v.Email = pf.Email
				v.Form.CardName = pf.Name
				v.Form.PostalCode = deref(pf.Address.PostalCode)
				v.Form.Line1, v.Form.Line2 = deref(pf.Address.Line1), deref(pf.Address.Line2)
				v.Form.City, v.Form.State = deref(pf.Address.City), deref(pf.Address.State)
				country = deref(pf.Address.Country)
			}
		}
		if sh := pf.Shipping; sh != nil && st.form.ShippingName == "" {
			a := sh.Address
			v.Form.ShippingName, v.Form.ShippingLine1, v.Form.ShippingLine2 = sh.Name, deref(a.Line1), deref(a.Line2)
			v.Form.ShippingCity, v.Form.ShippingState, v.Form.ShippingPostalCode = deref(a.City), deref(a.State), deref(a.PostalCode)
			v.Form.ShippingCountry = deref(a.Country)
		}
	}
	if st.form.Email != "" {
		v.Email = st.form.Email
	}
	if country == "" {
		country = "US"
	}
	v.Countries = countryOptions(allCountries, country)
	if sac := cs.ShippingAddressCollection; sac != nil {
		v.Shipping = true
		v.ShippingCountries = countryOptions(sac.AllowedCountries, v.Form.ShippingCountry)
	}
	v.ShippingText, v.SubmitText, v.AfterSubmitText = cs.CustomTextAt("shipping_address"), cs.CustomTextAt("submit"), cs.CustomTextAt("after_submit")
	v.OffersSave, v.Save = cs.OffersSave(), st.form.Save
	v.Submit = submitLabel(cs, amount)
	v.Title = v.Submit
	renderTemplate(w, status, "checkout.html", v)
}

// submitLabel names the button as Stripe's page does: Pay (or Book,
// Donate) with the amount, Save in setup mode.
func submitLabel(cs *checkout.Session, amount string) string {
	if cs.Mode == checkout.ModeSetup {
		return "Save payment details"
	}
	verb := "Pay"
	if cs.SubmitType != nil {
		switch *cs.SubmitType {
		case "book":
			verb = "Book"
		case "donate":
			verb = "Donate"
		}
	}
	if amount == "" {
		return verb
	}
	return verb + " " + amount
}

func brandName(brand string) string {
	switch brand {
	case "amex":
		return "American Express"
	case "mastercard":
		return "Mastercard"
	case "diners":
		return "Diners Club"
	case "unionpay":
		return "UnionPay"
	}
	if brand == "" {
		return "Card"
	}
	return strings.ToUpper(brand[:1]) + brand[1:]
}

// majorUnits renders minor units as a plain number to type ("12.50").
func majorUnits(amount int64, cur string) string {
	s := money.Format(amount, cur)
	return strings.TrimFunc(s, func(r rune) bool { return !(r >= '0' && r <= '9') && r != '.' })
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func optional(v string) *string {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	return &v
}

// readCheckoutForm reads the posted page into the form echo and the
// submission the checkout service takes.
func readCheckoutForm(r *http.Request) (checkoutForm, checkout.Submission) {
	f := r.PostForm
	form := checkoutForm{Expiry: f.Get("expiry"), CardName: f.Get("card_name"), BankName: f.Get("bank_name"), SEPAName: f.Get("sepa_name"),
		RoutingNumber: f.Get("routing_number"), AccountNumber: f.Get("account_number"), IBAN: f.Get("iban"),
		Line1: f.Get("line1"), Line2: f.Get("line2"), City: f.Get("city"), State: f.Get("state"), PostalCode: f.Get("postal_code"),
		Country: f.Get("country"), ShippingName: f.Get("shipping_name"), ShippingLine1: f.Get("shipping_line1"),
		ShippingLine2: f.Get("shipping_line2"), ShippingCity: f.Get("shipping_city"), ShippingState: f.Get("shipping_state"),
		ShippingPostalCode: f.Get("shipping_postal_code"), ShippingCountry: f.Get("shipping_country"),
		Email: f.Get("email"), Method: f.Get("method"), SavedMethod: f.Get("saved_method"), CustomAmount: f.Get("custom_amount"),
		Save:       f.Get("save") == "on",
		Quantities: map[string]string{}}
	sub := checkout.Submission{Method: form.Method, Email: form.Email, CardNumber: f.Get("card_number"), Expiry: form.Expiry,
		CVC: f.Get("cvc"), RoutingNumber: form.RoutingNumber, AccountNumber: form.AccountNumber, IBAN: form.IBAN,
		ShippingName: form.ShippingName, CustomAmount: form.CustomAmount, Quantities: map[string]int64{},
		IP: clientIP(r), UserAgent: r.UserAgent(), Save: form.Save}
	if form.Method == "card" {
		sub.SavedMethod = form.SavedMethod
	}
	switch form.Method {
	case "card":
		sub.Name = form.CardName
	case "us_bank_account":
		sub.Name = form.BankName
	case "sepa_debit":
		sub.Name = form.SEPAName
	}
	sub.Billing = customer.Address{Country: optional(form.Country), PostalCode: optional(form.PostalCode), Line1: optional(form.Line1),
		Line2: optional(form.Line2), City: optional(form.City), State: optional(form.State)}
	sub.Shipping = customer.Address{Country: optional(form.ShippingCountry), PostalCode: optional(form.ShippingPostalCode),
		Line1: optional(form.ShippingLine1), Line2: optional(form.ShippingLine2), City: optional(form.ShippingCity), State: optional(form.ShippingState)}
	for key, vals := range f {
		if itemID, ok := strings.CutPrefix(key, "quantity_"); ok && len(vals) > 0 {
			form.Quantities[itemID] = vals[0]
			if q, err := strconv.ParseInt(strings.TrimSpace(vals[0]), 10, 64); err == nil {
				sub.Quantities[itemID] = q
			} else {
				sub.Quantities[itemID] = -1
			}
		}
	}
	return form, sub
}

// checkoutSubmit pays the session from its page. The whole submission is
// one transaction under the session's row lock, so a double click pays
// once: the second sees the session complete (or its payment waiting on
// the customer) and follows it.
func (s *Server) checkoutSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	sessionID := r.PathValue("session")
	form, sub := readCheckoutForm(r)
	var res checkout.Result
	err := s.store.Update(r.Context(), func(tx store.Tx) error {
		var err error
		res, err = s.checkout.Submit(r.Context(), tx, sessionID, sub)
		return err
	})
	var fe *checkout.FormError
	switch {
	case errors.As(err, &fe):
		st := &pageState{form: form, errors: map[string]string{fe.Field: fe.Message}}
		if fe.Field == "session" {
			st = nil
		}
		s.rerender(w, r, sessionID, st, http.StatusBadRequest)
		return
	case err != nil:
		s.pageError(w, err)
		return
	case res.Declined != "":
		form.SavedMethod = ""
		s.rerender(w, r, sessionID, &pageState{form: form, banner: res.Declined, errors: map[string]string{}}, http.StatusPaymentRequired)
		return
	case res.Redirect == "":
		s.rerender(w, r, sessionID, nil, http.StatusOK)
		return
	}
	http.Redirect(w, r, res.Redirect, http.StatusSeeOther)
}

// rerender shows the session's page again, with the customer's input and
// what went wrong.
func (s *Server) rerender(w http.ResponseWriter, r *http.Request, sessionID string, st *pageState, status int) {
	pg, err := s.loadCheckoutPage(r, sessionID)
	if err != nil {
		s.pageError(w, err)
		return
	}
	s.renderCheckout(w, r, pg, st, status)
}

// checkoutReturn is where the authorization page sends the customer: a
// completed session goes on to success_url; otherwise the page shows again
// with what happened to the attempt.
func (s *Server) checkoutReturn(w http.ResponseWriter, r *http.Request) {
	pg, err := s.loadCheckoutPage(r, r.PathValue("session"))
	if err != nil {
		s.pageError(w, err)
		return
	}
	if pg.Session.Status == checkout.Complete {
		if u := checkout.SuccessURL(pg.Session); u != "" {
			http.Redirect(w, r, u, http.StatusSeeOther)
			return
		}
	}
	st := &pageState{banner: "The payment was not authorized. Try again or choose another payment method.", errors: map[string]string{}}
	if pg.Session.Mode == checkout.ModeSetup {
		st.banner = "The payment method was not authorized. Try again or choose another payment method."
	}
	// The customer comes back from another page, so the form has nothing
	// to echo: fill in what they entered before leaving (kept on the
	// session), so that trying again does not mean typing it all again.
	st.form.Method = pg.LastMethod
	if d := pg.Session.CustomerDetails; d != nil {
		f := &st.form
		f.Email = deref(d.Email)
		f.CardName, f.BankName, f.SEPAName = deref(d.Name), deref(d.Name), deref(d.Name)
		if a := d.Address; a != nil {
			f.Country, f.PostalCode, f.Line1, f.Line2 = deref(a.Country), deref(a.PostalCode), deref(a.Line1), deref(a.Line2)
			f.City, f.State = deref(a.City), deref(a.State)
		}
	}
	if cd := pg.Session.CollectedInformation; cd != nil && cd.ShippingDetails != nil {
		sd, f := cd.ShippingDetails, &st.form
		f.ShippingName, f.ShippingCountry, f.ShippingPostalCode = sd.Name, deref(sd.Address.Country), deref(sd.Address.PostalCode)
		f.ShippingLine1, f.ShippingLine2 = deref(sd.Address.Line1), deref(sd.Address.Line2)
		f.ShippingCity, f.ShippingState = deref(sd.Address.City), deref(sd.Address.State)
	}
	if pg.Session.Status != checkout.Open {
		st = nil
	}
	s.renderCheckout(w, r, pg, st, http.StatusOK)
}

// renderTemplate writes a page from the web templates. It renders into a
// buffer first, so a template error never sends half a page.
func renderTemplate(w http.ResponseWriter, status int, name string, v any) {
	var buf bytes.Buffer
	if err := web.Templates.ExecuteTemplate(&buf, name, v); err != nil {
		http.Error(w, "page could not be rendered", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; form-action *; img-src data:; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
