package paymentmethod

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/metadata"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/store"
)

// Create makes a PaymentMethod from create parameters: those of POST
// /v1/payment_methods, or an intent's payment_method_data, which has the
// same shape minus customer and payment_method. paramPrefix is prepended to
// every parameter an error names ("payment_method_data" gives
// payment_method_data[card][number]).
func (s *Service) Create(ctx context.Context, tx store.Tx, account string, p param.Map, paramPrefix string) (*PaymentMethod, error) {
	b := builder{s: s, account: account, p: p, prefix: paramPrefix, now: s.Now()}
	pm, err := b.build()
	if err != nil {
		return nil, err
	}
	if err := s.insert(ctx, tx, account, pm); err != nil {
		return nil, err
	}
	return pm, nil
}

// materialize creates the method a test id stands for, unsaved (see
// Flush).
func (s *Service) materialize(ctx context.Context, tx store.Tx, account string, src testSource) (*PaymentMethod, error) {
	b := builder{s: s, account: account, now: s.Now()}
	pm := s.newMethod(src.typ)
	var err error
	switch src.typ {
	case TypeCard:
		// Stripe's test PaymentMethods carry a CVC and expire a year out.
		cvc := "123"
		err = b.card(pm, src.number, int64(b.now.Month()), int64(b.now.Year()+1), &cvc, nil)
	case TypeUSBankAccount:
		err = b.usBankAccount(pm, achTestRouting, src.number, "individual", "checking")
	case TypeSEPADebit:
		err = b.sepaDebit(pm, src.number)
	}
	if err != nil {
		return nil, err
	}
	pm.fresh, pm.unsaved = true, true
	return pm, nil
}

// builder turns one set of create parameters into a method.
type builder struct {
	s       *Service
	account string
	p       param.Map
	prefix  string
	now     time.Time
}

// path names a parameter in errors: path("card", "number") is
// card[number], or payment_method_data[card][number] under that prefix.
func (b *builder) path(keys ...string) string {
	out := b.prefix
	for _, k := range keys {
		out = param.Path(out, k)
	}
	return out
}

// typeHashes are the spec's per-type parameter hashes; one that is not
// the method's type is refused rather than ignored.
var typeHashes = map[string]bool{
	"acss_debit": true, "affirm": true, "afterpay_clearpay": true, "alipay": true, "alma": true,
	"amazon_pay": true, "au_becs_debit": true, "bacs_debit": true, "bancontact": true, "billie": true,
	"bizum": true, "blik": true, "boleto": true, "card": true, "cashapp": true, "crypto": true,
	"custom": true, "customer_balance": true, "eps": true, "fpx": true, "giropay": true, "grabpay": true,
	"ideal": true, "interac_present": true, "kakao_pay": true, "klarna": true, "konbini": true,
	"kr_card": true, "link": true, "mb_way": true, "mobilepay": true, "multibanco": true,
	"naver_pay": true, "nz_bank_account": true, "oxxo": true, "p24": true, "pay_by_bank": true,
	"payco": true, "paynow": true, "paypal": true, "payto": true, "pix": true, "promptpay": true,
	"revolut_pay": true, "samsung_pay": true, "satispay": true, "scalapay": true, "sepa_debit": true,
	"sofort": true, "sunbit": true, "swish": true, "twint": true, "upi": true, "us_bank_account": true,
	"wechat_pay": true, "zip": true,
}

// prefixed moves an error that names a parameter of p (metadata[k]) under
// the builder's prefix (payment_method_data[metadata][k]).
func (b *builder) prefixed(err error) error {
	e, ok := errs.As(err)
	if !ok || b.prefix == "" || e.Param == "" {
		return err
	}
	head, rest, _ := strings.Cut(e.Param, "[")
	if rest != "" {
		rest = "[" + rest
	}
	e.Param = b.path(head) + rest
	return e
}

func (b *builder) build() (*PaymentMethod, error) {
	p := b.p
	typ := p.Str("type")
	if typ == "" {
		return nil, errs.Missing(b.path("type"))
	}
	if !slices.Contains(Types, typ) {
		return nil, errs.Invalid("", b.path("type"),
			"PaymentMethods of type %s are not supported by payd; it supports %s.", typ, strings.Join(Types, ", "))
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case k == "type", k == "billing_details", k == "metadata", k == "allow_redisplay", k == typ:
		case k == "expand" && b.prefix == "":
		case k == "radar_options":
			// A Radar session only feeds Stripe's fraud models; payd's test
			// processor has none, so the session changes nothing.
		case (k == "customer" || k == "payment_method") && b.prefix == "":
			return nil, errs.Invalid("", k,
				"Cloning a customer's PaymentMethod (customer, payment_method) is for connected accounts, which payd does not have.")
		case typeHashes[k]:
			return nil, errs.Invalid("", b.path(k),
				"You passed %s, but this PaymentMethod's type is %s: a PaymentMethod takes only the hash of its own type.", b.path(k), typ)
		default:
			return nil, errs.Unknown(b.path(k))
		}
	}

	pm := b.s.newMethod(typ)
	if v := p.Str("allow_redisplay"); v != "" {
		pm.AllowRedisplay = v
	}
	pm.BillingDetails = billingDetails(BillingDetails{}, p.Map("billing_details"))
	md, err := metadata.Apply(pm.Metadata, p, "metadata")
	if err != nil {
		return nil, b.prefixed(err)
	}
	pm.Metadata = md

	switch typ {
	case TypeCard:
		c := p.Map("card")
		if c == nil {
			return nil, errs.Missing(b.path("card"))
		}
		if tok := c.Str("token"); tok != "" {
			src, ok := testIDs[tok]
			if !ok || src.typ != TypeCard || !strings.HasPrefix(tok, "tok_") {
				return nil, errs.NotFound("token", tok, b.path("card", "token"))
			}
			cvc := "123"
			err = b.card(pm, src.number, int64(b.now.Month()), int64(b.now.Year()+1), &cvc, nil)
			break
		}
		// The schema requires these on the API; payment_method_data of
		// other callers may not have been held to it.
		for _, k := range []string{"number", "exp_month", "exp_year"} {
			if !c.Has(k) {
				return nil, errs.Missing(b.path("card", k))
			}
		}
		var month, year int64
		if v := c.Int("exp_month"); v != nil {
			month = *v
		}
		if v := c.Int("exp_year"); v != nil {
			year = *v
		}
		var preferred *string
		if n := c.Map("networks"); n != nil {
			preferred = n.String("preferred")
		}
		err = b.card(pm, c.Str("number"), month, year, c.String("cvc"), preferred)
	case TypeAmazonPay:
		pm.AmazonPay = &AmazonPay{}
	case TypeUSBankAccount:
		u := p.Map("us_bank_account")
		if u == nil {
			return nil, errs.Missing(b.path("us_bank_account"))
		}
		if u.Has("financial_connections_account") {
			return nil, errs.Invalid("", b.path("us_bank_account", "financial_connections_account"),
				"Financial Connections accounts are not supported by payd; pass routing_number and account_number.")
		}
		for _, k := range []string{"routing_number", "account_number"} {
			if u.Str(k) == "" {
				return nil, errs.Missing(b.path("us_bank_account", k))
			}
		}
		if err := b.requireBilling(pm, TypeUSBankAccount, "name"); err != nil {
			return nil, err
		}
		err = b.usBankAccount(pm, u.Str("routing_number"), u.Str("account_number"),
			u.Str("account_holder_type"), u.Str("account_type"))
	case TypeSEPADebit:
		sp := p.Map("sepa_debit")
		if sp == nil || sp.Str("iban") == "" {
			return nil, errs.Missing(b.path("sepa_debit", "iban"))
		}
		if err := b.requireBilling(pm, TypeSEPADebit, "name", "email"); err != nil {
			return nil, err
		}
		err = b.sepaDebit(pm, sp.Str("iban"))
	}
	if err != nil {
		return nil, err
	}
	return pm, nil
}

// requireBilling enforces the billing details a type cannot be debited
// without (a bank debit names its account holder; SEPA mandates also need
// an email to notify).
func (b *builder) requireBilling(pm *PaymentMethod, typ string, fields ...string) error {
	for _, f := range fields {
		var v *string
		switch f {
		case "name":
			v = pm.BillingDetails.Name
		case "email":
			v = pm.BillingDetails.Email
		}
		if v == nil {
			p := b.path("billing_details", f)
			return errs.Invalid("", p, "The payment method `%s` requires the parameter: %s.", typ, p)
		}
	}
	return nil
}

// billingDetails applies a billing_details hash to bd: each field sent
// replaces the old one ("" clears it); address fields merge one by one and
// address="" clears them all.
func billingDetails(bd BillingDetails, p param.Map) BillingDetails {
	if p == nil {
		return bd
	}
	setStr(p, "email", &bd.Email)
	setStr(p, "name", &bd.Name)
	setStr(p, "phone", &bd.Phone)
	setStr(p, "tax_id", &bd.TaxID)
	if p.Has("address") {
		a := p.Map("address")
		if a == nil {
			bd.Address = BillingDetails{}.Address
		} else {
			setStr(a, "city", &bd.Address.City)
			setStr(a, "country", &bd.Address.Country)
			setStr(a, "line1", &bd.Address.Line1)
			setStr(a, "line2", &bd.Address.Line2)
			setStr(a, "postal_code", &bd.Address.PostalCode)
			setStr(a, "state", &bd.Address.State)
		}
	}
	return bd
}

func setStr(p param.Map, key string, dst **string) {
	if !p.Has(key) {
		return
	}
	*dst = p.String(key)
	if *dst != nil && **dst == "" {
		*dst = nil
	}
}

// cardError is the 402 card_error Stripe answers for card data it cannot
// accept. The message never repeats the data.
func cardError(code, paramPath, message string) error {
	return &errs.Error{Status: 402, Type: errs.TypeCard, Code: code, Param: paramPath, Message: message}
}

// numberSeparators drops the spaces and dashes people type in card
// numbers. Built once: a Replacer builds its tables on first use, which
// cost more than the rest of creating the method.
var numberSeparators = strings.NewReplacer(" ", "", "-", "")

// card validates a card and fills pm.Card and the private behaviour from
// it. number and cvc go no further than this function.
func (b *builder) card(pm *PaymentMethod, number string, month, year int64, cvc, preferred *string) error {
	number = numberSeparators.Replace(number)
	for _, c := range number {
		if c < '0' || c > '9' {
			return cardError("invalid_number", b.path("card", "number"), "Your card number is invalid.")
		}
	}
	brand := Brand(number)
	if !slices.Contains(brandLengths[brand], len(number)) {
		return cardError("invalid_number", b.path("card", "number"), "Your card number is invalid.")
	}
	if !Luhn(number) {
		return cardError("incorrect_number", b.path("card", "number"), "Your card number is incorrect.")
	}
	year, err := b.expiry(month, year)
	if err != nil {
		return err
	}
	if cvc != nil && !validCVC(*cvc) {
		return cardError("invalid_cvc", b.path("card", "cvc"), "Your card's security code is invalid.")
	}

	t := testCards[number]
	funding := t.funding
	if funding == "" {
		funding = "credit"
	}
	country := t.country
	if country == "" {
		country = brandCountries[brand]
	}
	if country == "" {
		country = "US"
	}
	networks := t.networks
	if networks == nil {
		networks = []string{network(brand)}
	}
	nets := &Networks{Available: append([]string(nil), networks...)}
	if preferred != nil && *preferred != "" {
		if slices.Contains(networks, *preferred) {
			nets.Preferred = str(*preferred)
		} else {
			nets.Preferred = str("invalid_preference")
		}
	}
	c := &Card{
		Brand:             brand,
		Checks:            &Checks{},
		Country:           str(country),
		DisplayBrand:      str(displayBrands[brand]),
		ExpMonth:          month,
		ExpYear:           year,
		Fingerprint:       str(fingerprint(b.account, "card", number)),
		Funding:           funding,
		Last4:             number[len(number)-4:],
		Networks:          nets,
		RegulatedStatus:   str("unregulated"),
		ThreeDSecureUsage: &ThreeDSecureUsage{Supported: t.behavior.ThreeDS != "not_supported"},
	}
	pm.Card = c
	pm.priv.Behavior = t.behavior
	pm.priv.SetUpOffSession = t.setUp
	pm.priv.Line1, pm.priv.Postal = t.line1, t.postal
	if cvc != nil {
		pm.priv.CVC = t.cvc
		if pm.priv.CVC == "" {
			pm.priv.CVC = "pass"
		}
		if t.cvc == "fail" {
			// Radar's default rule blocks payments whose CVC check fails.
			pm.priv.Behavior.Decline = "incorrect_cvc"
		}
	}
	c.Checks = pm.checks(false)
	return nil
}

// expiry validates an expiry date, reading two-digit years as Stripe does
// (the nearest year no more than 50 years ahead), and returns the
// four-digit year.
func (b *builder) expiry(month, year int64) (int64, error) {
	if month < 1 || month > 12 {
		return 0, cardError("invalid_expiry_month", b.path("card", "exp_month"), "Your card's expiration month is invalid.")
	}
	now := int64(b.now.Year())
	if year >= 0 && year < 100 {
		year += 2000
		if year > now+50 {
			year -= 100
		}
	}
	if year < now || year > now+50 {
		return 0, cardError("invalid_expiry_year", b.path("card", "exp_year"), "Your card's expiration year is invalid.")
	}
	if year == now && month < int64(b.now.Month()) {
		return 0, cardError("invalid_expiry_month", b.path("card", "exp_month"), "Your card's expiration month is invalid.")
	}
	return year, nil
}

func validCVC(cvc string) bool {
	if len(cvc) < 3 || len(cvc) > 4 {
		return false
	}
	for _, c := range cvc {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// fingerprint identifies an account number within one payd account without
// revealing it: an HMAC keyed per account, so the same card has the same
// fingerprint on every method of that account and an unrelated one
// elsewhere.
func fingerprint(account, kind, value string) string {
	m := hmac.New(sha256.New, []byte("payd/fingerprint/v1/"+account))
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	sum := m.Sum(nil)
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	out := make([]byte, 16)
	for i := range out {
		out[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	return string(out)
}

// checks renders the checks hash: null for values the customer did not
// give, "unchecked" until verified, then the card's outcome.
func (pm *PaymentMethod) checks(verified bool) *Checks {
	outcome := func(given bool, result string) *string {
		switch {
		case !given:
			return nil
		case !verified:
			return str("unchecked")
		case result == "":
			return str("pass")
		}
		return str(result)
	}
	a := pm.BillingDetails.Address
	return &Checks{
		AddressLine1Check:      outcome(a.Line1 != nil, pm.priv.Line1),
		AddressPostalCodeCheck: outcome(a.PostalCode != nil, pm.priv.Postal),
		CVCCheck:               outcome(pm.priv.CVC != "", pm.priv.CVC),
	}
}

// verifiedChecks are the checks after the card was verified.
func (pm *PaymentMethod) verifiedChecks() *Checks { return pm.checks(true) }

// Update applies POST /v1/payment_methods/{id} parameters to a method
// saved to a customer and records payment_method.updated when something
// changed.
func (s *Service) Update(ctx context.Context, tx store.Tx, account, pmID string, p param.Map) (*PaymentMethod, []byte, error) {
	pm, rec, err := s.load(ctx, tx, account, pmID, "payment_method", true)
	if err != nil {
		return nil, nil, err
	}
	if pm.Customer == nil {
		return nil, nil, errs.Invalid("", "", msgUpdateDetached)
	}
	b := builder{s: s, account: account, p: p, now: s.Now()}
	for _, k := range []string{"card", "us_bank_account", "payto"} {
		if p.Has(k) && k != pm.Type {
			return nil, nil, errs.Invalid("", k,
				"You passed %s, but this PaymentMethod's type is %s: a PaymentMethod takes only the hash of its own type.", k, pm.Type)
		}
	}
	if v := p.Str("allow_redisplay"); v != "" {
		pm.AllowRedisplay = v
	}
	pm.BillingDetails = billingDetails(pm.BillingDetails, p.Map("billing_details"))
	if pm.Metadata, err = metadata.Apply(pm.Metadata, p, "metadata"); err != nil {
		return nil, nil, err
	}
	if c := p.Map("card"); c != nil {
		month, year := pm.Card.ExpMonth, pm.Card.ExpYear
		if v := c.Int("exp_month"); v != nil {
			month = *v
		}
		if v := c.Int("exp_year"); v != nil {
			year = *v
		}
		if year, err = b.expiry(month, year); err != nil {
			return nil, nil, err
		}
		pm.Card.ExpMonth, pm.Card.ExpYear = month, year
		if n := c.Map("networks"); n != nil && n.Has("preferred") {
			pm.Card.Networks.Preferred = nil
			if v := n.Str("preferred"); v != "" {
				pm.Card.Networks.Preferred = str("invalid_preference")
				if slices.Contains(pm.Card.Networks.Available, v) {
					pm.Card.Networks.Preferred = str(v)
				}
			}
		}
	}
	if u := p.Map("us_bank_account"); u != nil {
		if v := u.Str("account_holder_type"); v != "" {
			pm.USBankAccount.AccountHolderType = str(v)
		}
		if v := u.Str("account_type"); v != "" {
			pm.USBankAccount.AccountType = str(v)
		}
	}
	data, err := s.save(ctx, tx, account, pm)
	if err != nil {
		return nil, nil, err
	}
	if string(data) == string(rec.Data) {
		// Stripe records no event for an update that changes nothing.
		return pm, data, nil
	}
	if _, err := event.Record(ctx, tx, account, s.Now().Unix(), "payment_method.updated", data, rec.Data); err != nil {
		return nil, nil, err
	}
	return pm, data, nil
}
