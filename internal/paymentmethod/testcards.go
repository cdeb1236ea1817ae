package paymentmethod

import (
	"strings"

	"github.com/payd/payd/internal/processor"
)

// This file is payd's copy of Stripe's test-mode tables
// (docs.stripe.com/testing and the ACH and SEPA Direct Debit testing
// sections): which card numbers, bank accounts and test ids exist and what
// each does when used. The numbers are public test values; a number that
// reaches payd is turned into derived fields and a processor.Behavior here
// and is never stored.

// testCard is what a test card number means beyond what its digits say.
// Zero values mean "like any card": credit, US, approved, checks pass.
type testCard struct {
	funding string // credit (default), debit, prepaid
	country string // issuer country; "" means the brand's default
	// networks lists the networks of a co-branded card, the first being
	// the brand; nil means the brand's own network only.
	networks []string
	behavior processor.Behavior
	// Check outcomes when the customer supplied the checked value; ""
	// means pass.
	cvc, line1, postal string
	// setUp: the card behaves as already set up for off-session use.
	setUp bool
}

// Decline codes of Stripe's "Declined payments" table. Those cards cannot
// be attached to a customer either.
func declines(code string) testCard {
	return testCard{behavior: processor.Behavior{Decline: code, DeclineOnAttach: true}}
}

// testCards are the card numbers with documented behaviour. Any other
// Luhn-valid number is an approved card of the brand its prefix names.
var testCards = map[string]testCard{
	// Cards by brand.
	"4242424242424242":    {},
	"4000056655665556":    {funding: "debit"},
	"5555555555554444":    {},
	"2223003122003222":    {},
	"5200828282828210":    {funding: "debit"},
	"5105105105105100":    {funding: "prepaid"},
	"378282246310005":     {behavior: processor.Behavior{ThreeDS: "not_supported"}},
	"371449635398431":     {},
	"6011111111111117":    {},
	"6011000990139424":    {},
	"6011981111111113":    {funding: "debit"},
	"3056930009020004":    {},
	"36227206271667":      {},
	"3566002020360505":    {},
	"6200000000000005":    {},
	"6200000000000047":    {funding: "debit"},
	"6205500000000000004": {},
	// Co-branded cards.
	"4000002500001001": {country: "FR", networks: []string{"visa", "cartes_bancaires"}},
	"5555552500001001": {country: "FR", networks: []string{"mastercard", "cartes_bancaires"}},
	"4000050360000001": {country: "AU", networks: []string{"visa", "eftpos_au"}},
	"5555050360000080": {country: "AU", networks: []string{"mastercard", "eftpos_au"}},

	// Declined payments.
	"4000000000000002": declines("generic_decline"),
	"4000000000009995": declines("insufficient_funds"),
	"4000000000009987": declines("lost_card"),
	"4000000000009979": declines("stolen_card"),
	"4000000000000069": declines("expired_card"),
	"4000000000000127": declines("incorrect_cvc"),
	"4000000000000119": declines("processing_error"),
	"4000000000006975": declines("card_velocity_exceeded"),
	// Attaching succeeds, charging fails.
	"4000000000000341": {behavior: processor.Behavior{Decline: "generic_decline"}},

	// Fraud prevention. Radar's default rule blocks "highest" risk before
	// the network sees the payment (outcome type blocked, declined as
	// fraudulent); "elevated" risk goes through, flagged.
	"4100000000000019": {behavior: processor.Behavior{Risk: "highest"}},
	"4000000000004954": {behavior: processor.Behavior{Risk: "highest"}},
	"4000000000009235": {behavior: processor.Behavior{Risk: "elevated"}},
	"4000000000000101": {cvc: "fail"},
	"4000000000000036": {postal: "fail"},
	"4000000000000028": {line1: "fail"},
	"4000000000000010": {line1: "fail", postal: "fail"},
	"4000000000000044": {line1: "unavailable", postal: "unavailable"},

	// Refunds: the payment succeeds; a refund stays pending until the
	// settle delay has passed, or succeeds and then fails.
	"4000000000007726": {behavior: processor.Behavior{Refund: "pending"}},
	"4000000000005126": {behavior: processor.Behavior{Refund: "fail"}},
	// Disputes: the payment succeeds and its charge is disputed at once.
	"4000000000000259": {behavior: processor.Behavior{Dispute: "fraudulent"}},
	"4000000000002685": {behavior: processor.Behavior{Dispute: "product_not_received"}},
	"4000000000001976": {behavior: processor.Behavior{Dispute: "general", DisputeInquiry: true}},
	// Early fraud warnings, multiple disputes and balances: the payment
	// itself succeeds (payd models none of them).
	"4000000000005423": {},
	"4000000404000079": {},
	"4000000000000077": {},
	"4000003720000278": {country: "IE"},

	// 3D Secure.
	"4000002500003155": {behavior: processor.Behavior{ThreeDS: "unless_setup", ThreeDSVersion: "2"}, country: "FR"},
	"4000002760003184": {behavior: processor.Behavior{ThreeDS: "required", ThreeDSVersion: "2"}, country: "DE"},
	"4000003800000446": {behavior: processor.Behavior{ThreeDS: "unless_setup", ThreeDSVersion: "2"}, country: "IT", setUp: true},
	"4000008260003178": {behavior: processor.Behavior{ThreeDS: "required", ThreeDSVersion: "2", Decline: "insufficient_funds"}, country: "GB"},
	"4000000000003220": {behavior: processor.Behavior{ThreeDS: "required", ThreeDSVersion: "2"}},
	"4000000000003063": {behavior: processor.Behavior{ThreeDS: "required", ThreeDSVersion: "1"}},
	"4000008400001629": {behavior: processor.Behavior{ThreeDS: "required", ThreeDSVersion: "2", Decline: "generic_decline"}},
	"4000008400001280": {behavior: processor.Behavior{ThreeDS: "required", ThreeDSVersion: "2", Decline: "generic_decline"}},
	"4000000000003055": {},
	"4000000000003097": {},
	"4000000000003238": {behavior: processor.Behavior{ThreeDS: "required", ThreeDSVersion: "2"}},
	"4000000000003246": {behavior: processor.Behavior{ThreeDS: "required", ThreeDSVersion: "2"}},
	"4000000000003253": {behavior: processor.Behavior{ThreeDS: "required", ThreeDSVersion: "2"}},
}

// countryCards are Stripe's "Cards by country": approved cards whose
// issuer is in the given country. The key is the test id suffix
// (pm_card_<key>, tok_<key>).
var countryCards = map[string]struct{ number, country, funding string }{
	"us": {"4242424242424242", "US", ""}, "ar": {"4000000320000021", "AR", ""},
	"br": {"4000000760000002", "BR", ""}, "ca": {"4000001240000000", "CA", ""},
	"cl": {"4000001520000001", "CL", ""}, "co": {"4000001700000003", "CO", ""},
	"cr": {"4000001880000005", "CR", ""}, "ec": {"4000002180000000", "EC", ""},
	"mx": {"4000004840008001", "MX", ""}, "pa": {"4000005910000000", "PA", ""},
	"py": {"4000006000000066", "PY", ""}, "pe": {"4000006040000068", "PE", ""},
	"uy": {"4000008580000003", "UY", ""}, "ae": {"4000007840000001", "AE", ""},
	"ae_mastercard": {"5200007840000022", "AE", ""}, "at": {"4000000400000008", "AT", ""},
	"be": {"4000000560000004", "BE", ""}, "bg": {"4000001000000000", "BG", ""},
	"by": {"4000001120000005", "BY", ""}, "hr": {"4000001910000009", "HR", ""},
	"cy": {"4000001960000008", "CY", ""}, "cz": {"4000002030000002", "CZ", ""},
	"dk": {"4000002080000001", "DK", ""}, "ee": {"4000002330000009", "EE", ""},
	"fi": {"4000002460000001", "FI", ""}, "fr": {"4000002500000003", "FR", ""},
	"de": {"4000002760000016", "DE", ""}, "gi": {"4000002920000005", "GI", ""},
	"gr": {"4000003000000030", "GR", ""}, "hu": {"4000003480000005", "HU", ""},
	"ie": {"4000003720000005", "IE", ""}, "it": {"4000003800000008", "IT", ""},
	"lv": {"4000004280000005", "LV", ""}, "li": {"4000004380000004", "LI", ""},
	"lt": {"4000004400000000", "LT", ""}, "lu": {"4000004420000006", "LU", ""},
	"mt": {"4000004700000007", "MT", ""}, "nl": {"4000005280000002", "NL", ""},
	"no": {"4000005780000007", "NO", ""}, "pl": {"4000006160000005", "PL", ""},
	"pt": {"4000006200000007", "PT", ""}, "ro": {"4000006420000001", "RO", ""},
	"sa": {"4000006820000007", "SA", ""}, "si": {"4000007050000006", "SI", ""},
	"sk": {"4000007030000001", "SK", ""}, "es": {"4000007240000007", "ES", ""},
	"se": {"4000007520000008", "SE", ""}, "ch": {"4000007560000009", "CH", ""},
	"gb": {"4000008260000000", "GB", ""}, "gb_debit": {"4000058260000005", "GB", "debit"},
	"gb_mastercard": {"5555558265554449", "GB", ""}, "au": {"4000000360000006", "AU", ""},
	"cn": {"4000001560000002", "CN", ""}, "hk": {"4000003440000004", "HK", ""},
	"in": {"4000003560000008", "IN", ""}, "jp": {"4000003920000003", "JP", ""},
	"jp_jcb": {"3530111333300000", "JP", ""}, "my": {"4000004580000002", "MY", ""},
	"nz": {"4000005540000008", "NZ", ""}, "sg": {"4000007020000003", "SG", ""},
	"tw": {"4000001580000008", "TW", ""}, "th_credit": {"4000007640000003", "TH", ""},
	"th_debit": {"4000057640000008", "TH", "debit"},
}

func init() {
	for _, c := range countryCards {
		if _, ok := testCards[c.number]; !ok {
			testCards[c.number] = testCard{country: c.country, funding: c.funding}
		}
	}
}

// cardTestIDs name test cards by Stripe's PaymentMethod and Token ids. Each
// name X is reachable as pm_card_X and tok_X; names marked visa also as
// pm_card_visa_X and tok_visa_X, the spellings Stripe's tables use.
var cardTestIDs = map[string]string{
	"visa": "4242424242424242", "visa_debit": "4000056655665556",
	"mastercard": "5555555555554444", "mastercard_debit": "5200828282828210",
	"mastercard_prepaid": "5105105105105100", "amex": "378282246310005",
	"discover": "6011111111111117", "diners": "3056930009020004",
	"jcb": "3566002020360505", "unionpay": "6200000000000005",
	"visa_cartesBancaires": "4000002500001001", "mastercard_cartesBancaires": "5555552500001001",

	"chargeDeclined":                      "4000000000000002",
	"chargeDeclinedInsufficientFunds":     "4000000000009995",
	"chargeDeclinedLostCard":              "4000000000009987",
	"chargeDeclinedStolenCard":            "4000000000009979",
	"chargeDeclinedExpiredCard":           "4000000000000069",
	"chargeDeclinedIncorrectCvc":          "4000000000000127",
	"chargeDeclinedProcessingError":       "4000000000000119",
	"chargeDeclinedVelocityLimitExceeded": "4000000000006975",
	"chargeCustomerFail":                  "4000000000000341",

	"radarBlock": "4100000000000019", "chargeDeclinedFraudulent": "4100000000000019", "riskLevelHighest": "4000000000004954",
	"riskLevelElevated": "4000000000009235", "cvcCheckFail": "4000000000000101",
	"avsZipFail": "4000000000000036", "avsLine1Fail": "4000000000000028",
	"avsFail": "4000000000000010", "avsUnchecked": "4000000000000044",

	"createDispute": "4000000000000259", "createDisputeProductNotReceived": "4000000000002685",
	"createDisputeInquiry": "4000000000001976", "createIssuerFraudRecord": "4000000000005423",
	"createMultipleDisputes": "4000000404000079", "pendingRefund": "4000000000007726",
	"refundFail": "4000000000005126", "bypassPending": "4000000000000077",
	"bypassPendingInternational": "4000003720000278",

	"authenticationRequired":                                "4000002760003184",
	"authenticationRequiredOnSetup":                         "4000002500003155",
	"authenticationRequiredSetupForOffSession":              "4000003800000446",
	"authenticationRequiredChargeDeclinedInsufficientFunds": "4000008260003178",
	"threeDSecure2Required":                                 "4000000000003220",
	"threeDSecureRequired":                                  "4000000000003063",
	"threeDSecureOptional":                                  "4000000000003055",
	"threeDSecureRequiredChargeDeclined":                    "4000008400001629",
	"threeDSecureRequiredProcessingError":                   "4000008400001280",
	"amex_threeDSecureNotSupported":                         "378282246310005",
}

// visaAliases are the names Stripe also spells with a visa_ infix.
var visaAliases = []string{
	"chargeDeclined", "chargeDeclinedInsufficientFunds", "chargeDeclinedLostCard",
	"chargeDeclinedStolenCard", "chargeDeclinedExpiredCard", "chargeDeclinedIncorrectCvc",
	"chargeDeclinedProcessingError", "chargeDeclinedVelocityLimitExceeded",
}

// testIDs maps every materializable test id to the card number, bank
// account or IBAN it stands for.
var testIDs = map[string]testSource{}

// testSource is what a test id creates.
type testSource struct {
	typ    string // card, us_bank_account, sepa_debit
	number string // card number, account number or IBAN
}

func init() {
	addCard := func(name, number string) {
		testIDs["pm_card_"+name] = testSource{TypeCard, number}
		testIDs["tok_"+name] = testSource{TypeCard, number}
	}
	for name, number := range cardTestIDs {
		addCard(name, number)
	}
	for _, name := range visaAliases {
		addCard("visa_"+name, cardTestIDs[name])
	}
	for name, c := range countryCards {
		addCard(name, c.number)
	}
	for name, number := range achTestIDs {
		testIDs["pm_usBankAccount_"+name] = testSource{TypeUSBankAccount, number}
	}
	for iban, t := range sepaTestIBANs {
		if t.id != "" {
			testIDs["pm_"+t.id+"_"+strings.ToLower(iban[:2])] = testSource{TypeSEPADebit, iban}
		}
	}
}

// Brand names as the card.brand field spells them.
const (
	brandVisa       = "visa"
	brandMastercard = "mastercard"
	brandAmex       = "amex"
	brandDiscover   = "discover"
	brandDiners     = "diners"
	brandJCB        = "jcb"
	brandUnionPay   = "unionpay"
	brandUnknown    = "unknown"
)

// displayBrands spells each brand as card.display_brand does.
var displayBrands = map[string]string{
	brandVisa: "visa", brandMastercard: "mastercard", brandAmex: "american_express",
	brandDiscover: "discover", brandDiners: "diners_club", brandJCB: "jcb",
	brandUnionPay: "union_pay", brandUnknown: "other",
}

// brandCountries are issuer countries of brands whose test cards are not
// issued in the US (Stripe's note on JCB and UnionPay cross-border fees).
var brandCountries = map[string]string{brandJCB: "JP", brandUnionPay: "CN"}

// brandLengths are the number lengths each brand issues.
var brandLengths = map[string][]int{
	brandVisa:       {13, 16, 19},
	brandMastercard: {16},
	brandAmex:       {15},
	brandDiscover:   {16, 17, 18, 19},
	brandDiners:     {14, 15, 16, 17, 18, 19},
	brandJCB:        {16, 17, 18, 19},
	brandUnionPay:   {16, 17, 18, 19},
	brandUnknown:    {12, 13, 14, 15, 16, 17, 18, 19},
}

// Brand names the card brand of a number from its issuer prefix (IIN
// ranges as the networks publish them).
func Brand(number string) string {
	p := func(n int) int {
		if len(number) < n {
			return -1
		}
		v := 0
		for _, c := range number[:n] {
			v = v*10 + int(c-'0')
		}
		return v
	}
	switch {
	case p(1) == 4:
		return brandVisa
	case p(2) >= 51 && p(2) <= 55, p(4) >= 2221 && p(4) <= 2720:
		return brandMastercard
	case p(2) == 34, p(2) == 37:
		return brandAmex
	case p(4) == 6011, p(3) >= 644 && p(3) <= 649, p(2) == 65:
		return brandDiscover
	case p(2) == 62, p(2) == 81:
		return brandUnionPay
	case p(4) >= 3528 && p(4) <= 3589:
		return brandJCB
	case p(2) == 36, p(2) == 38, p(2) == 39, p(3) >= 300 && p(3) <= 305, p(4) == 3095:
		return brandDiners
	}
	return brandUnknown
}

// Luhn reports whether number (digits only) passes the Luhn checksum that
// every card number carries in its last digit.
func Luhn(number string) bool {
	if len(number) < 2 {
		return false
	}
	sum := 0
	double := false
	for i := len(number) - 1; i >= 0; i-- {
		c := number[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// network is the card network a brand's charges run on, as
// payment_method_details.card.network names it.
func network(brand string) string {
	return brand
}

// ACH Direct Debit test accounts (routing number 110000000): what a debit
// of each account number settles with. Any other valid account succeeds.
var achTestAccounts = map[string]string{
	"000123456789": "",
	"000111111113": "account_closed",
	"000111111116": "no_account",
	"000222222227": "insufficient_funds",
	"000333333335": "debit_not_authorized",
	"000444444440": "invalid_currency",
	"000555555559": "",
	"000666666661": "",
	"000000000009": "",
}

// achTestIDs are Stripe's pm_usBankAccount_<name> test ids.
var achTestIDs = map[string]string{
	"success": "000123456789", "accountClosed": "000111111113", "noAccount": "000111111116",
	"insufficientFunds": "000222222227", "debitNotAuthorized": "000333333335",
	"invalidCurrency": "000444444440", "dispute": "000555555559",
	"failMicrodeposits": "000666666661", "processing": "000000000009",
}

// achTestRouting is the routing number of Stripe's test bank.
const achTestRouting = "110000000"

// sepaTest is what a SEPA Direct Debit test IBAN does.
type sepaTest struct {
	id      string // test id stem: pm_<id>_<country>
	failure string // settle failure code, "" for success
}

// sepaTestIBANs are Stripe's SEPA Direct Debit test IBANs that need
// naming; besides these, any valid IBAN whose account number ends in
// 2222227, 343434 or 121212 fails with insufficient_funds,
// charge_exceeds_source_limit or charge_exceeds_weekly_limit as Stripe's
// per-country tables have it. Stripe documents the "failed" IBANs only as
// ending in requires_payment_method; payd reports insufficient_funds.
var sepaTestIBANs = map[string]sepaTest{
	"AT611904300234573201": {"success", ""}, "AT321904300235473204": {"successDelayed", ""},
	"AT861904300235473202": {"failed", "insufficient_funds"}, "AT051904300235473205": {"failedDelayed", "insufficient_funds"},
	"AT591904300235473203": {"disputed", ""},
	"BE62510007547061":     {"success", ""}, "BE78510007547064": {"successDelayed", ""},
	"BE68539007547034": {"failed", "insufficient_funds"}, "BE51510007547065": {"failedDelayed", "insufficient_funds"},
	"BE08510007547063":      {"disputed", ""},
	"HR7624020064583467589": {"success", ""}, "HR6323600002337876649": {"successDelayed", ""},
	"HR2725000096983499248": {"failed", "insufficient_funds"}, "HR6723600004878117427": {"failedDelayed", "insufficient_funds"},
	"HR8724840081455523553": {"disputed", ""},
	"EE382200221020145685":  {"success", ""}, "EE222200221020145682": {"successDelayed", ""},
	"EE762200221020145680": {"failed", "insufficient_funds"}, "EE922200221020145683": {"failedDelayed", "insufficient_funds"},
	"EE492200221020145681": {"disputed", ""},
	"FI2112345600000785":   {"success", ""}, "FI3712345600000788": {"successDelayed", ""},
	"FI9112345600000786": {"failed", "insufficient_funds"}, "FI1012345600000789": {"failedDelayed", "insufficient_funds"},
	"FI6412345600000787":          {"disputed", ""},
	"FR1420041010050500013M02606": {"success", ""}, "FR3020041010050500013M02609": {"successDelayed", ""},
	"FR8420041010050500013M02607": {"failed", "insufficient_funds"}, "FR7920041010050500013M02600": {"failedDelayed", "insufficient_funds"},
	"FR5720041010050500013M02608": {"disputed", ""},
	"DE89370400440532013000":      {"success", ""}, "DE08370400440532013003": {"successDelayed", ""},
	"DE62370400440532013001": {"failed", "insufficient_funds"}, "DE78370400440532013004": {"failedDelayed", "insufficient_funds"},
	"DE35370400440532013002":  {"disputed", ""},
	"GI60MPFS599327643783385": {"success", ""}, "GI08RRNW626436291644533": {"successDelayed", ""},
	"GI41SAFA461293238477751": {"failed", "insufficient_funds"}, "GI50LROG772261344693297": {"failedDelayed", "insufficient_funds"},
	"GI26KJBC361883934534696": {"disputed", ""},
	"IE29AIBK93115212345678":  {"success", ""}, "IE24AIBK93115212345671": {"successDelayed", ""},
	"IE02AIBK93115212345679": {"failed", "insufficient_funds"}, "IE94AIBK93115212345672": {"failedDelayed", "insufficient_funds"},
	"IE51AIBK93115212345670": {"disputed", ""},
	"LI0508800636123378777":  {"success", ""}, "LI4408800387787111369": {"successDelayed", ""},
	"LI1208800143823175626": {"failed", "insufficient_funds"}, "LI4908800356441975566": {"failedDelayed", "insufficient_funds"},
	"LI7708800125525347723": {"disputed", ""},
	"LT121000011101001000":  {"success", ""}, "LT281000011101001003": {"successDelayed", ""},
	"LT821000011101001001": {"failed", "insufficient_funds"}, "LT981000011101001004": {"failedDelayed", "insufficient_funds"},
	"LT551000011101001002": {"disputed", ""},
	"LU280019400644750000": {"success", ""}, "LU440019400644750003": {"successDelayed", ""},
	"LU980019400644750001": {"failed", "insufficient_funds"}, "LU170019400644750004": {"failedDelayed", "insufficient_funds"},
	"LU710019400644750002": {"disputed", ""},
	"NL39RABO0300065264":   {"success", ""}, "NL55RABO0300065267": {"successDelayed", ""},
	"NL91ABNA0417164300": {"failed", "insufficient_funds"}, "NL28RABO0300065268": {"failedDelayed", "insufficient_funds"},
	"NL82RABO0300065266": {"disputed", ""},
}

// sepaFailure is the settle failure of a SEPA debit from iban.
func sepaFailure(iban string) string {
	if t, ok := sepaTestIBANs[iban]; ok {
		return t.failure
	}
	switch {
	case strings.HasSuffix(iban, "2222227"):
		return "insufficient_funds"
	case strings.HasSuffix(iban, "343434"):
		return "charge_exceeds_source_limit"
	case strings.HasSuffix(iban, "121212"):
		return "charge_exceeds_weekly_limit"
	}
	return ""
}
