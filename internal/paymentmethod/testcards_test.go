package paymentmethod

import (
	"slices"
	"testing"
	"time"

	"github.com/payd/payd/internal/errs"
)

func TestLuhn(t *testing.T) {
	for _, tc := range []struct {
		number string
		ok     bool
	}{
		{"4242424242424242", true},
		{"4242424242424241", false}, // Stripe's incorrect_number card
		{"378282246310005", true},
		{"36227206271667", true},
		{"6205500000000000004", true},
		{"79927398713", true},
		{"79927398710", false},
		{"0", false},
		{"", false},
		{"4242x24242424242", false},
	} {
		if got := Luhn(tc.number); got != tc.ok {
			t.Errorf("Luhn(%q) = %v, want %v", tc.number, got, tc.ok)
		}
	}
}

func TestBrand(t *testing.T) {
	for number, want := range map[string]string{
		"4242424242424242":    brandVisa,
		"4000056655665556":    brandVisa,
		"5555555555554444":    brandMastercard,
		"2223003122003222":    brandMastercard,
		"2720990000000007":    brandMastercard,
		"2721000000000000":    brandUnknown,
		"378282246310005":     brandAmex,
		"371449635398431":     brandAmex,
		"6011111111111117":    brandDiscover,
		"6445644564456445":    brandDiscover,
		"6555900000604105":    brandDiscover,
		"3056930009020004":    brandDiners,
		"36227206271667":      brandDiners,
		"38520000023237":      brandDiners,
		"3566002020360505":    brandJCB,
		"3530111333300000":    brandJCB,
		"6200000000000005":    brandUnionPay,
		"6205500000000000004": brandUnionPay,
		"9999999999999995":    brandUnknown,
		"1":                   brandUnknown,
	} {
		if got := Brand(number); got != want {
			t.Errorf("Brand(%s) = %s, want %s", number, got, want)
		}
	}
}

// Every number payd documents must be one it accepts: Luhn-valid and of a
// length its brand issues.
func TestTestCardTable_AllNumbersValid(t *testing.T) {
	check := func(where, number string) {
		t.Helper()
		if !Luhn(number) {
			t.Errorf("%s: %s fails Luhn", where, number)
		}
		if b := Brand(number); !slices.Contains(brandLengths[b], len(number)) {
			t.Errorf("%s: %s (%s) has length %d", where, number, b, len(number))
		}
	}
	for number := range testCards {
		check("testCards", number)
	}
	for name, number := range cardTestIDs {
		check(name, number)
		if _, ok := testCards[number]; !ok {
			t.Errorf("test id %s names %s, which is not in the card table", name, number)
		}
	}
	for iban := range sepaTestIBANs {
		if !ValidIBAN(iban) {
			t.Errorf("test IBAN %s is invalid", iban)
		}
	}
	for _, acct := range achTestIDs {
		if _, ok := achTestAccounts[acct]; !ok {
			t.Errorf("ACH test id names unknown account %s", acct)
		}
	}
	if !abaChecksum(achTestRouting) {
		t.Errorf("test routing number fails its checksum")
	}
}

func TestTestIDs(t *testing.T) {
	for id, want := range map[string]string{
		"pm_card_visa":                                 "4242424242424242",
		"tok_visa":                                     "4242424242424242",
		"pm_card_mastercard":                           "5555555555554444",
		"pm_card_amex":                                 "378282246310005",
		"pm_card_chargeDeclined":                       "4000000000000002",
		"pm_card_visa_chargeDeclined":                  "4000000000000002",
		"pm_card_chargeDeclinedInsufficientFunds":      "4000000000009995",
		"pm_card_visa_chargeDeclinedInsufficientFunds": "4000000000009995",
		"tok_chargeDeclinedInsufficientFunds":          "4000000000009995",
		"pm_card_chargeDeclinedLostCard":               "4000000000009987",
		"pm_card_chargeDeclinedStolenCard":             "4000000000009979",
		"pm_card_chargeDeclinedExpiredCard":            "4000000000000069",
		"pm_card_chargeDeclinedIncorrectCvc":           "4000000000000127",
		"pm_card_chargeDeclinedProcessingError":        "4000000000000119",
		"pm_card_authenticationRequired":               "4000002760003184",
		"pm_card_authenticationRequiredOnSetup":        "4000002500003155",
		"pm_card_threeDSecure2Required":                "4000000000003220",
		"pm_card_threeDSecureRequired":                 "4000000000003063",
		"pm_card_visa_debit":                           "4000056655665556",
		"pm_card_discover":                             "6011111111111117",
		"pm_card_de":                                   "4000002760000016",
		"pm_usBankAccount_success":                     "000123456789",
		"pm_usBankAccount_insufficientFunds":           "000222222227",
		"pm_success_de":                                "DE89370400440532013000",
		"pm_failed_de":                                 "DE62370400440532013001",
	} {
		if got := testIDs[id].number; got != want {
			t.Errorf("%s → %q, want %q", id, got, want)
		}
	}
}

func TestBehaviors(t *testing.T) {
	cases := map[string]struct {
		decline  string
		onAttach bool
		threeDS  string
	}{
		"4242424242424242": {},
		"4000000000000002": {"generic_decline", true, ""},
		"4000000000009995": {"insufficient_funds", true, ""},
		"4000000000000069": {"expired_card", true, ""},
		"4000000000000341": {"generic_decline", false, ""},
		"4000002760003184": {"", false, "required"},
		"4000002500003155": {"", false, "unless_setup"},
		"4000000000003220": {"", false, "required"},
		"4000000000003063": {"", false, "required"},
		"4000000000003055": {"", false, ""},
		"378282246310005":  {"", false, "not_supported"},
	}
	for number, want := range cases {
		b := testCards[number].behavior
		if b.Decline != want.decline || b.DeclineOnAttach != want.onAttach || b.ThreeDS != want.threeDS {
			t.Errorf("%s: %+v, want %+v", number, b, want)
		}
	}
	if got := sepaFailure("DE62370400440532013001"); got != "insufficient_funds" {
		t.Errorf("DE…001: %q", got)
	}
	if got := sepaFailure("DE65370400440000343434"); got != "charge_exceeds_source_limit" {
		t.Errorf("DE…343434: %q", got)
	}
	if got := sepaFailure("DE89370400440532013000"); got != "" {
		t.Errorf("DE…000: %q", got)
	}
}

func TestValidIBAN(t *testing.T) {
	for iban, ok := range map[string]bool{
		"DE89370400440532013000":      true,
		"DE89370400440532013001":      false, // checksum
		"DE8937040044053201300":       false, // length
		"FR1420041010050500013M02606": true,
		"NL39RABO0300065264":          true,
		"US89370400440532013000":      false, // not SEPA
		"DE89370400440532O13000":      false, // letter O for zero: checksum
		"de89370400440532013000":      false, // callers upper-case first
	} {
		if got := ValidIBAN(iban); got != ok {
			t.Errorf("ValidIBAN(%s) = %v, want %v", iban, got, ok)
		}
	}
}

func TestExpiry(t *testing.T) {
	now := time.Date(2026, 5, 15, 0, 0, 0, 0, time.UTC)
	b := builder{now: now}
	for _, tc := range []struct {
		month, year int64
		want        int64
		code        string
	}{
		{12, 2034, 2034, ""},
		{12, 34, 2034, ""},
		{5, 2026, 2026, ""},
		{4, 2026, 0, "invalid_expiry_month"},
		{13, 2030, 0, "invalid_expiry_month"},
		{0, 2030, 0, "invalid_expiry_month"},
		{12, 95, 0, "invalid_expiry_year"}, // 1995, Stripe's example
		{12, 2025, 0, "invalid_expiry_year"},
		{12, 2077, 0, "invalid_expiry_year"},
	} {
		got, err := b.expiry(tc.month, tc.year)
		code := ""
		if e, ok := errs.As(err); ok {
			code = e.Code
			if e.Status != 402 || e.Type != errs.TypeCard {
				t.Errorf("%d/%d: %+v", tc.month, tc.year, e)
			}
		}
		if got != tc.want || code != tc.code {
			t.Errorf("expiry(%d, %d) = %d %q, want %d %q", tc.month, tc.year, got, code, tc.want, tc.code)
		}
	}
}

func TestFingerprint_StablePerAccount(t *testing.T) {
	a := fingerprint("acct_a", "card", "4242424242424242")
	if a != fingerprint("acct_a", "card", "4242424242424242") {
		t.Fatal("fingerprint is not stable")
	}
	if a == fingerprint("acct_b", "card", "4242424242424242") {
		t.Fatal("fingerprint is the same across accounts")
	}
	if a == fingerprint("acct_a", "card", "5555555555554444") {
		t.Fatal("different cards share a fingerprint")
	}
	if len(a) != 16 {
		t.Fatalf("fingerprint %q", a)
	}
}
