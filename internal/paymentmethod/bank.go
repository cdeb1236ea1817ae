package paymentmethod

import (
	"math/big"
	"strings"

	"github.com/payd/payd/internal/errs"
)

// usBankAccount validates a US bank account and fills pm.USBankAccount.
// Only the last four digits and a fingerprint of the account number are
// kept; the routing number is public bank data and rendered as Stripe does.
func (b *builder) usBankAccount(pm *PaymentMethod, routing, account, holderType, accountType string) error {
	routingPath := b.path("us_bank_account", "routing_number")
	if len(routing) != 9 || !digits(routing) {
		return errs.Invalid("routing_number_invalid", routingPath, "Routing number must have 9 digits.")
	}
	if !abaChecksum(routing) {
		return errs.Invalid("routing_number_invalid", routingPath, "The routing number you provided is invalid.")
	}
	if len(account) < 4 || len(account) > 17 || !digits(account) {
		return errs.Invalid("account_number_invalid", b.path("us_bank_account", "account_number"),
			"The account number you provided is invalid: it must have between 4 and 17 digits.")
	}
	if accountType == "" {
		accountType = "checking"
	}
	u := &USBankAccount{
		AccountType:   str(accountType),
		Fingerprint:   str(fingerprint(b.account, "us_bank_account", routing+"/"+account)),
		Last4:         str(account[len(account)-4:]),
		Networks:      &USBankNetworks{Preferred: str("ach"), Supported: []string{"ach", "us_domestic_wire"}},
		RoutingNumber: str(routing),
	}
	if holderType != "" {
		u.AccountHolderType = str(holderType)
	}
	if routing == achTestRouting {
		u.BankName = str("STRIPE TEST BANK")
	}
	pm.USBankAccount = u
	pm.priv.Behavior.SettleFailure = achTestAccounts[account]
	return nil
}

// abaChecksum is the routing number check digit rule (weights 3, 7, 1).
func abaChecksum(r string) bool {
	w := [3]int{3, 7, 1}
	sum := 0
	for i, c := range r {
		sum += int(c-'0') * w[i%3]
	}
	return sum%10 == 0
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// ibanLengths are the IBAN lengths of the countries in the SEPA scheme.
var ibanLengths = map[string]int{
	"AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
	"EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28,
	"IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31,
	"NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
	"VA": 22,
}

// ibanCodes says where each country's BBAN keeps its bank and branch codes
// (offsets into the BBAN, which starts after the four IBAN check
// characters), for the bank_code and branch_code fields.
var ibanCodes = map[string][4]int{
	"AT": {0, 5, 0, 0}, "BE": {0, 3, 0, 0}, "DE": {0, 8, 0, 0}, "EE": {0, 2, 0, 0},
	"ES": {0, 4, 4, 8}, "FI": {0, 3, 0, 0}, "FR": {0, 5, 5, 10}, "GB": {0, 4, 4, 10},
	"GI": {0, 4, 0, 0}, "HR": {0, 7, 0, 0}, "IE": {0, 4, 4, 10}, "IT": {1, 6, 6, 11},
	"LI": {0, 5, 0, 0}, "LT": {0, 5, 0, 0}, "LU": {0, 3, 0, 0}, "NL": {0, 4, 0, 0},
	"PT": {0, 4, 4, 8},
}

// ValidIBAN reports whether iban (upper case, no spaces) is a well-formed
// IBAN of a SEPA country with a correct mod-97 checksum.
func ValidIBAN(iban string) bool {
	if len(iban) < 5 {
		return false
	}
	n, ok := ibanLengths[iban[:2]]
	if !ok || len(iban) != n {
		return false
	}
	var num strings.Builder
	for _, c := range iban[4:] + iban[:4] {
		switch {
		case c >= '0' && c <= '9':
			num.WriteRune(c)
		case c >= 'A' && c <= 'Z':
			num.WriteString(itoa(int(c-'A') + 10))
		default:
			return false
		}
	}
	v, ok := new(big.Int).SetString(num.String(), 10)
	return ok && new(big.Int).Mod(v, big.NewInt(97)).Int64() == 1
}

func itoa(n int) string {
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}

// sepaDebit validates an IBAN and fills pm.SEPADebit. Only the country,
// bank codes, last four characters and a fingerprint are kept.
func (b *builder) sepaDebit(pm *PaymentMethod, iban string) error {
	iban = strings.ToUpper(strings.ReplaceAll(iban, " ", ""))
	if !ValidIBAN(iban) {
		return errs.Invalid("invalid_bank_account_iban", b.path("sepa_debit", "iban"), "The IBAN you provided is invalid.")
	}
	country := iban[:2]
	bban := iban[4:]
	bank, branch := "", ""
	if c, ok := ibanCodes[country]; ok {
		bank = bban[c[0]:c[1]]
		if c[3] > 0 {
			branch = bban[c[2]:c[3]]
		}
	}
	pm.SEPADebit = &SEPADebit{
		BankCode:      str(bank),
		BranchCode:    str(branch),
		Country:       str(country),
		Fingerprint:   str(fingerprint(b.account, "sepa_debit", iban)),
		GeneratedFrom: &SEPAGeneratedFrom{},
		Last4:         str(iban[len(iban)-4:]),
	}
	pm.priv.Behavior.SettleFailure = sepaFailure(iban)
	return nil
}
