package catalog

import (
	"errors"
	"strconv"
	"strings"
)

// maxDecimalPlaces is Stripe's limit on unit_amount_decimal.
const maxDecimalPlaces = 12

// maxWholeDigits keeps a decimal amount within what an int64 of minor
// units can hold.
const maxWholeDigits = 18

// decimalAmount reads unit_amount_decimal, a non-negative amount in minor
// units with at most 12 decimal places, working on its digits as text so
// that no float ever rounds it. It returns the amount in plain notation
// without redundant zeros ("1000.50" → "1000.5", "1.5e2" → "150") and,
// when the amount is whole, that integer too.
func decimalAmount(s string) (string, *int64, error) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	mantissa, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || e > 100 || e < -100 {
			return "", nil, errors.New("the exponent is out of range")
		}
		mantissa, exp = s[:i], e
	}
	whole, frac, _ := strings.Cut(mantissa, ".")
	digits := whole + frac
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return "", nil, errors.New("not a decimal number")
	}
	// The value is digits × 10^-scale.
	scale := len(frac) - exp
	if scale < 0 {
		digits += strings.Repeat("0", -scale)
		scale = 0
	}
	for scale > 0 && strings.HasSuffix(digits, "0") {
		digits, scale = digits[:len(digits)-1], scale-1
	}
	if digits == "" {
		digits, scale = "0", 0
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	intPart, fracPart := strings.TrimLeft(digits[:len(digits)-scale], "0"), digits[len(digits)-scale:]
	if intPart == "" {
		intPart = "0"
	}
	if neg && (intPart != "0" || fracPart != "") {
		return "", nil, errors.New("must be greater than or equal to 0")
	}
	if scale > maxDecimalPlaces {
		return "", nil, errors.New("at most 12 decimal places are allowed")
	}
	if len(intPart) > maxWholeDigits {
		return "", nil, errors.New("the amount is too large")
	}
	if fracPart != "" {
		return intPart + "." + fracPart, nil, nil
	}
	n, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return "", nil, errors.New("the amount is too large")
	}
	return intPart, &n, nil
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
