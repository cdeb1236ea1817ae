// Package paymentmethod implements Stripe's PaymentMethod resource: turning
// card numbers, bank accounts and wallet choices into stored methods,
// attaching them to customers, and telling the processor how each one
// behaves. Raw card numbers and CVCs live only in the request that carries
// them: what is stored is what Stripe would render (brand, last4, a salted
// fingerprint) plus the test behaviour in the row's private state. It knows
// nothing of HTTP or SQL.
package paymentmethod

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/payd/payd/internal/customer"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/mandate"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/processor"
	"github.com/payd/payd/internal/store"
)

// Table is where payment methods live.
const Table = "payment_methods"

// Prefix starts every payment method id.
const Prefix = "pm"

// The types payd supports.
const (
	TypeCard          = "card"
	TypeAmazonPay     = "amazon_pay"
	TypeUSBankAccount = "us_bank_account"
	TypeSEPADebit     = "sepa_debit"
)

// Types lists the supported types, for messages.
var Types = []string{TypeAmazonPay, TypeCard, TypeSEPADebit, TypeUSBankAccount}

// Values of allow_redisplay.
const (
	RedisplayAlways      = "always"
	RedisplayLimited     = "limited"
	RedisplayUnspecified = "unspecified"
)

// PaymentMethod is Stripe's payment_method object as payd renders it.
// Exactly one of the type hashes is set, the one Type names.
type PaymentMethod struct {
	ID              string            `json:"id"`
	Object          string            `json:"object"`
	AllowRedisplay  string            `json:"allow_redisplay"`
	AmazonPay       *AmazonPay        `json:"amazon_pay,omitempty"`
	BillingDetails  BillingDetails    `json:"billing_details"`
	Card            *Card             `json:"card,omitempty"`
	Created         int64             `json:"created"`
	Customer        *string           `json:"customer"`
	CustomerAccount *string           `json:"customer_account"`
	Livemode        bool              `json:"livemode"`
	Metadata        map[string]string `json:"metadata"`
	SEPADebit       *SEPADebit        `json:"sepa_debit,omitempty"`
	Type            string            `json:"type"`
	USBankAccount   *USBankAccount    `json:"us_bank_account,omitempty"`

	// priv is the server-side state stored beside the rendered object.
	priv private
	// fresh: this transaction created the method (see MarkConsumed).
	fresh bool
	// unsaved: created by ChooseUnsaved and not inserted yet (see Flush).
	unsaved bool
}

// BillingDetails is the billing_details hash. Stripe always renders the
// address as an object, its fields null when unknown.
type BillingDetails struct {
	Address customer.Address `json:"address"`
	Email   *string          `json:"email"`
	Name    *string          `json:"name"`
	Phone   *string          `json:"phone"`
	TaxID   *string          `json:"tax_id"`
}

// Card is payment_method.card.
type Card struct {
	Brand             string             `json:"brand"`
	Checks            *Checks            `json:"checks"`
	Country           *string            `json:"country"`
	DisplayBrand      *string            `json:"display_brand"`
	ExpMonth          int64              `json:"exp_month"`
	ExpYear           int64              `json:"exp_year"`
	Fingerprint       *string            `json:"fingerprint"`
	Funding           string             `json:"funding"`
	GeneratedFrom     any                `json:"generated_from"`
	Last4             string             `json:"last4"`
	Networks          *Networks          `json:"networks"`
	RegulatedStatus   *string            `json:"regulated_status"`
	ThreeDSecureUsage *ThreeDSecureUsage `json:"three_d_secure_usage"`
	Wallet            any                `json:"wallet"`
}

// Checks are the address and CVC verification results: null when the
// value was not given, "unchecked" until the card is verified (attached or
// charged), then pass, fail or unavailable.
type Checks struct {
	AddressLine1Check      *string `json:"address_line1_check"`
	AddressPostalCodeCheck *string `json:"address_postal_code_check"`
	CVCCheck               *string `json:"cvc_check"`
}

// Networks are the networks a card can be charged on.
type Networks struct {
	Available []string `json:"available"`
	Preferred *string  `json:"preferred"`
}

// ThreeDSecureUsage says whether the card supports 3-D Secure.
type ThreeDSecureUsage struct {
	Supported bool `json:"supported"`
}

// AmazonPay is the (empty) amazon_pay hash.
type AmazonPay struct{}

// USBankAccount is payment_method.us_bank_account.
type USBankAccount struct {
	AccountHolderType           *string         `json:"account_holder_type"`
	AccountType                 *string         `json:"account_type"`
	BankName                    *string         `json:"bank_name"`
	FinancialConnectionsAccount *string         `json:"financial_connections_account"`
	Fingerprint                 *string         `json:"fingerprint"`
	Last4                       *string         `json:"last4"`
	Networks                    *USBankNetworks `json:"networks"`
	RoutingNumber               *string         `json:"routing_number"`
	StatusDetails               any             `json:"status_details"`
}

// USBankNetworks are the networks a US bank account can be debited on.
type USBankNetworks struct {
	Preferred *string  `json:"preferred"`
	Supported []string `json:"supported"`
}

// SEPADebit is payment_method.sepa_debit.
type SEPADebit struct {
	BankCode      *string            `json:"bank_code"`
	BranchCode    *string            `json:"branch_code"`
	Country       *string            `json:"country"`
	Fingerprint   *string            `json:"fingerprint"`
	GeneratedFrom *SEPAGeneratedFrom `json:"generated_from"`
	Last4         *string            `json:"last4"`
}

// SEPAGeneratedFrom names what generated a SEPA method; payd's are always
// entered directly.
type SEPAGeneratedFrom struct {
	Charge       *string `json:"charge"`
	SetupAttempt *string `json:"setup_attempt"`
}

// private is what payd keeps about a method beyond what Stripe renders:
// how it behaves in test mode and what it has been through.
type private struct {
	Behavior processor.Behavior `json:"behavior"`
	// Verification outcomes decided by the test card, applied when the card
	// is verified and the customer supplied the checked value; "" is pass.
	CVC    string `json:"cvc,omitempty"`
	Line1  string `json:"line1,omitempty"`
	Postal string `json:"postal,omitempty"`
	// SetUpOffSession and Mandate record a completed setup for future use.
	SetUpOffSession bool   `json:"set_up_off_session,omitempty"`
	Mandate         string `json:"mandate,omitempty"`
	// Detached methods, and methods consumed by a payment without a
	// customer, may never be used again.
	Detached bool `json:"detached,omitempty"`
	Consumed bool `json:"consumed,omitempty"`
}

// Service holds what payment method operations depend on.
type Service struct {
	Now       func() time.Time
	Customers *customer.Service
	// Processor verifies cards on attach; nil means the built-in test
	// processor, which decides from the card's recorded behaviour alone.
	Processor processor.Processor
}

func (s *Service) processor() processor.Processor {
	if s.Processor != nil {
		return s.Processor
	}
	return &processor.Test{Now: s.Now}
}

// Stripe's messages for the attachment rules.
const (
	msgAlreadyAttached = "The payment method you provided has already been attached to a customer."
	msgNotAttached     = "The payment method you provided is not attached to a customer so detachment is impossible."
	msgAttachConsumed  = "This PaymentMethod was previously used without being attached to a Customer or was detached from a Customer, and may not be used again."
	msgReuse           = "The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must attach it to a Customer first."
	msgUpdateDetached  = "You must save this PaymentMethod to a customer before you update it."
)

// Get loads the payment method id names. Test ids such as pm_card_visa are
// not materialized (that needs a write); they are as missing as any other
// unknown id.
func (s *Service) Get(ctx context.Context, tx store.Tx, account, pmID, paramName string) (*PaymentMethod, error) {
	pm, _, err := s.load(ctx, tx, account, pmID, paramName, false)
	return pm, err
}

// Resolve loads the payment method id names for use in a payment or an
// attachment. Stripe's test ids (pm_card_visa, tok_visa,
// pm_usBankAccount_success, pm_success_de, …) create a new PaymentMethod
// with a fresh id on every use, as Stripe does.
func (s *Service) Resolve(ctx context.Context, tx store.Tx, account, pmID, paramName string) (*PaymentMethod, error) {
	pm, err := s.resolve(ctx, tx, account, pmID, paramName)
	if err == nil {
		err = s.Flush(ctx, tx, account, pm)
	}
	return pm, err
}

// resolve is Resolve leaving a method made from a test id unsaved.
func (s *Service) resolve(ctx context.Context, tx store.Tx, account, pmID, paramName string) (*PaymentMethod, error) {
	if src, ok := testIDs[pmID]; ok {
		return s.materialize(ctx, tx, account, src)
	}
	return s.Get(ctx, tx, account, pmID, paramName)
}

// Flush inserts pm if ChooseUnsaved made it and it has not been inserted
// yet; any other method (or nil) is left as it is.
func (s *Service) Flush(ctx context.Context, tx store.Tx, account string, pm *PaymentMethod) error {
	if pm == nil || !pm.unsaved {
		return nil
	}
	if err := s.insert(ctx, tx, account, pm); err != nil {
		return err
	}
	pm.unsaved = false
	return nil
}

// Retrieve returns the stored JSON, for expanding payment_method fields.
func (s *Service) Retrieve(ctx context.Context, tx store.Tx, account, pmID string) ([]byte, error) {
	rec, err := tx.Get(ctx, Table, account, pmID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(pmID, "id")
	}
	if err != nil {
		return nil, err
	}
	return rec.Data, nil
}

// Attach saves pm to a live customer. A card is verified first, as Stripe
// does: the cards of its "declined payments" table fail here with their
// card error, and the address and CVC checks get their results.
func (s *Service) Attach(ctx context.Context, tx store.Tx, account, pmID, customerID string) (*PaymentMethod, error) {
	pm, err := s.lockOrResolve(ctx, tx, account, pmID)
	if err != nil {
		return nil, err
	}
	if pm.priv.Detached || pm.priv.Consumed {
		return nil, errs.Invalid("", "", msgAttachConsumed)
	}
	if _, err := s.Customers.Live(ctx, tx, account, customerID, "customer"); err != nil {
		return nil, err
	}
	if pm.Customer != nil {
		if *pm.Customer == customerID {
			// Saving a method twice to the same customer changes nothing;
			// setup flows may attach one that is already theirs.
			return pm, nil
		}
		return nil, errs.Invalid("", "", msgAlreadyAttached)
	}
	if pm.Type == TypeCard {
		o := s.processor().Setup(ctx, processor.Request{Method: pm.Processor(), Authenticated: true})
		if o.Result == processor.Declined {
			return nil, &errs.Error{Status: 402, Type: errs.TypeCard, Code: o.Code, DeclineCode: o.DeclineCode, Message: o.Message}
		}
		pm.Card.Checks = pm.verifiedChecks()
	}
	pm.Customer = &customerID
	data, err := s.save(ctx, tx, account, pm)
	if err != nil {
		return nil, err
	}
	if _, err := event.Record(ctx, tx, account, s.Now().Unix(), "payment_method.attached", data, nil); err != nil {
		return nil, err
	}
	return pm, nil
}

// Detach removes pm from its customer, for good: Stripe never lets a
// detached method be used or attached again.
func (s *Service) Detach(ctx context.Context, tx store.Tx, account, pmID string) (*PaymentMethod, error) {
	pm, rec, err := s.load(ctx, tx, account, pmID, "payment_method", true)
	if err != nil {
		return nil, err
	}
	if pm.Customer == nil {
		return nil, errs.Invalid("", "", msgNotAttached)
	}
	if err := s.Customers.ClearDefault(ctx, tx, account, *pm.Customer, pm.ID); err != nil && !isNotFound(err) {
		return nil, err
	}
	pm.Customer = nil
	pm.priv.Detached = true
	data, err := s.save(ctx, tx, account, pm)
	if err != nil {
		return nil, err
	}
	if _, err := event.Record(ctx, tx, account, s.Now().Unix(), "payment_method.detached", data, rec.Data); err != nil {
		return nil, err
	}
	// A detached method can no longer be charged, so its mandate ends too.
	if m := pm.priv.Mandate; m != "" {
		if err := mandate.Deactivate(ctx, tx, account, m, s.Now()); err != nil {
			return nil, err
		}
	}
	return pm, nil
}

// MarkSetUp records that pm was set up for future use. offSession exempts
// cards such as 4000 0025 0000 3155 from authentication on later
// off-session payments; mandate is the mandate authorizing off-session
// charges of a redirect method, "" if none. Nothing rendered changes, so no
// event is recorded.
func (s *Service) MarkSetUp(ctx context.Context, tx store.Tx, account, pmID string, offSession bool, mandate string) error {
	pm, _, err := s.load(ctx, tx, account, pmID, "payment_method", true)
	if err != nil {
		return err
	}
	pm.priv.SetUpOffSession = pm.priv.SetUpOffSession || offSession
	if mandate != "" {
		pm.priv.Mandate = mandate
	}
	_, err = s.save(ctx, tx, account, pm)
	return err
}

// SetAllowRedisplay changes allow_redisplay, as Checkout and the Payment
// Element do when the customer agrees to save a method, recording
// payment_method.updated when the value changes.
func (s *Service) SetAllowRedisplay(ctx context.Context, tx store.Tx, account, pmID, value string) (*PaymentMethod, error) {
	pm, rec, err := s.load(ctx, tx, account, pmID, "payment_method", true)
	if err != nil {
		return nil, err
	}
	if pm.AllowRedisplay == value {
		return pm, nil
	}
	pm.AllowRedisplay = value
	data, err := s.save(ctx, tx, account, pm)
	if err != nil {
		return nil, err
	}
	if _, err := event.Record(ctx, tx, account, s.Now().Unix(), "payment_method.updated", data, rec.Data); err != nil {
		return nil, err
	}
	return pm, nil
}

// MarkConsumed records that a payment used pm without a customer to save
// it to: Stripe refuses any further use of such a method (see Usable).
// Methods attached to a customer stay reusable.
// Only the private state changes, so only it is written (the object and
// its index entries stay). pm is the caller's copy: one this transaction
// created is used as it is (no other transaction can see it yet); any
// other is read again under its row lock, so that a concurrent change is
// not overwritten.
func (s *Service) MarkConsumed(ctx context.Context, tx store.Tx, account string, pm *PaymentMethod) error {
	if pm.unsaved {
		// Not inserted yet: Flush will insert it as spent.
		if pm.Customer == nil {
			pm.priv.Consumed = true
		}
		return nil
	}
	if !pm.fresh {
		var err error
		if pm, _, err = s.load(ctx, tx, account, pm.ID, "payment_method", true); err != nil {
			return err
		}
	}
	if pm.Customer != nil || pm.priv.Consumed {
		return nil
	}
	pm.priv.Consumed = true
	priv, err := json.Marshal(pm.priv)
	if err != nil {
		return err
	}
	return tx.SetPrivate(ctx, Table, account, pm.ID, priv)
}

// Usable reports, with Stripe's error naming paramName, whether pm may be
// used for another payment: not once detached, nor after a payment
// consumed it without a customer.
func (pm *PaymentMethod) Usable(paramName string) error {
	if pm.priv.Detached || (pm.priv.Consumed && pm.Customer == nil) {
		return errs.Invalid("", paramName, msgReuse)
	}
	return nil
}

// Processor returns what the processor needs to decide a payment with pm.
func (pm *PaymentMethod) Processor() processor.Method {
	return processor.Method{
		ID: pm.ID, Type: pm.Type, Behavior: pm.priv.Behavior,
		SetUpOffSession: pm.priv.SetUpOffSession, Mandate: pm.priv.Mandate != "",
	}
}

// Mandate is the mandate recorded by MarkSetUp, "" if none.
func (pm *PaymentMethod) Mandate() string { return pm.priv.Mandate }

// lockOrResolve loads pmID locked for an update, materializing a test id
// into a fresh method (which nobody else can see yet, so needs no lock).
func (s *Service) lockOrResolve(ctx context.Context, tx store.Tx, account, pmID string) (*PaymentMethod, error) {
	if _, ok := testIDs[pmID]; ok {
		return s.Resolve(ctx, tx, account, pmID, "payment_method")
	}
	pm, _, err := s.load(ctx, tx, account, pmID, "payment_method", true)
	return pm, err
}

func (s *Service) load(ctx context.Context, tx store.Tx, account, pmID, paramName string, lock bool) (*PaymentMethod, store.Record, error) {
	get := tx.Get
	if lock {
		get = tx.GetForUpdate
	}
	rec, err := get(ctx, Table, account, pmID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, rec, notFound(pmID, paramName)
	}
	if err != nil {
		return nil, rec, err
	}
	pm, err := decode(rec)
	return pm, rec, err
}

// Decode reads a stored payment method row, for code that lists them.
func Decode(rec store.Record) (*PaymentMethod, error) { return decode(rec) }

func decode(rec store.Record) (*PaymentMethod, error) {
	var pm PaymentMethod
	if err := json.Unmarshal(rec.Data, &pm); err != nil {
		return nil, err
	}
	if len(rec.Private) > 0 {
		if err := json.Unmarshal(rec.Private, &pm.priv); err != nil {
			return nil, err
		}
	}
	return &pm, nil
}

func notFound(pmID, paramName string) error {
	return errs.NotFound("PaymentMethod", pmID, paramName)
}

// insert stores a new method. No event: Stripe has no payment_method.created.
func (s *Service) insert(ctx context.Context, tx store.Tx, account string, pm *PaymentMethod) error {
	rec, err := record(account, pm)
	if err != nil {
		return err
	}
	pm.fresh = true
	return tx.InsertNew(ctx, Table, rec)
}

// save replaces an existing method's row and returns its rendered JSON.
func (s *Service) save(ctx context.Context, tx store.Tx, account string, pm *PaymentMethod) ([]byte, error) {
	rec, err := record(account, pm)
	if err != nil {
		return nil, err
	}
	return rec.Data, tx.Put(ctx, Table, rec)
}

func record(account string, pm *PaymentMethod) (store.Record, error) {
	data, err := marshal(pm)
	if err != nil {
		return store.Record{}, err
	}
	priv, err := json.Marshal(pm.priv)
	if err != nil {
		return store.Record{}, err
	}
	var cus any
	if pm.Customer != nil {
		cus = *pm.Customer
	}
	return store.Record{
		ID: pm.ID, Account: account, Created: pm.Created, Data: data, Private: priv,
		Cols: []store.Col{{Name: "customer", Value: cus}, {Name: "type", Value: pm.Type}},
	}, nil
}

// newMethod is a method of typ with Stripe's defaults.
func (s *Service) newMethod(typ string) *PaymentMethod {
	return &PaymentMethod{
		ID: id.New(Prefix), Object: "payment_method", AllowRedisplay: RedisplayUnspecified,
		Created: s.Now().Unix(), Metadata: map[string]string{}, Type: typ,
	}
}

func str(s string) *string { return &s }

// Choose applies an intent's payment_method or payment_method_data
// parameter, which PaymentIntents and SetupIntents take alike: it creates
// or resolves the method and returns it (nil to clear the intent's), and
// whether the parameters named a method at all.
func (s *Service) Choose(ctx context.Context, tx store.Tx, account string, p param.Map) (*PaymentMethod, bool, error) {
	pm, given, err := s.ChooseUnsaved(ctx, tx, account, p)
	if err == nil {
		err = s.Flush(ctx, tx, account, pm)
	}
	return pm, given, err
}

// ChooseUnsaved is Choose, except that a method it makes from a test id
// (pm_card_visa, …) is not inserted yet: a payment that spends it then
// writes it once, as spent, instead of inserting it and updating it. The
// caller must Flush it (MarkConsumed does not) before anything reads it
// by id and before its transaction commits, if the method is to remain.
func (s *Service) ChooseUnsaved(ctx context.Context, tx store.Tx, account string, p param.Map) (*PaymentMethod, bool, error) {
	switch {
	case p.Has("payment_method") && p.Has("payment_method_data"):
		return nil, true, errs.Invalid("parameters_exclusive", "payment_method_data",
			"You may only specify one of these parameters: payment_method, payment_method_data.")
	case p.Has("payment_method_data"):
		pm, err := s.Create(ctx, tx, account, p.Map("payment_method_data"), "payment_method_data")
		return pm, true, err
	case p.Has("payment_method"):
		v := p.Str("payment_method")
		if v == "" {
			return nil, true, nil
		}
		pm, err := s.resolve(ctx, tx, account, v, "payment_method")
		return pm, true, err
	}
	return nil, false, nil
}

// AttachTo is Attach for the Customers API (customer.Methods).
func (s *Service) AttachTo(ctx context.Context, tx store.Tx, account, pmID, customerID string) (string, error) {
	pm, err := s.Attach(ctx, tx, account, pmID, customerID)
	if err != nil {
		return "", err
	}
	return pm.ID, nil
}

// CustomerOf names the customer pm is saved to (customer.Methods).
func (s *Service) CustomerOf(ctx context.Context, tx store.Tx, account, pmID, paramName string) (*string, error) {
	pm, err := s.Get(ctx, tx, account, pmID, paramName)
	if err != nil {
		return nil, err
	}
	return pm.Customer, nil
}

// isNotFound reports a 404, such as for a customer deleted meanwhile.
func isNotFound(err error) bool {
	e, ok := errs.As(err)
	return ok && e.Status == 404
}
