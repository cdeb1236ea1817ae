package form

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/payd/payd/internal/errs"
)

// Stripe's wording for each rejection, with where it was confirmed, so the
// messages SDK users see match the live API. Where no code is listed, Stripe
// sends none.
//
//   - Malformed encoding: "Invalid request (check your POST parameters): …",
//     no param (async-stripe #922, 2026).
//   - "You passed an empty string for 'X'. …", parameter_invalid_empty
//     (stripe-php #588, stripe-python #433, stripe-java tests).
//   - "Invalid integer: 10.99", parameter_invalid_integer (stripe-cli #585,
//     react-stripe-js #408).
//   - "Invalid boolean: True", no code (stripe-python #487, 2018).
//   - "Invalid reason: must be one of duplicate, fraudulent, or
//     requested_by_customer", no code, probed at 2026-08-26.dahlia; nested
//     params are named by full path ("Invalid payment_method_data[type]: …").
//   - "Invalid string: Lottery Re...iting line; must be at most 40
//     characters" (polar #5429, 2025; classmethod.jp 2024).
//   - "Invalid array", param expand (stripe-cli #47).
//   - "Invalid object", param shipping[address] (stripe-postman #17, 2021).
//   - "Invalid string: {…}" for a hash where a string belongs
//     (stripe-dotnet #178).
//   - "Invalid decimal: 0,6; …" for a number (stripe-dotnet #437).
//   - "Invalid value type: ["37018189"] must be a string", param metadata,
//     for a nested metadata value (stripe-cli #1064, 2023).
//
// Decode's conflict, nesting-depth and array-index messages, and "Invalid
// decimal" for decimal-format strings, have no recorded live counterpart;
// they follow the same style and always name the parameter.

func invalidRequest(param, format string, args ...any) *errs.Error {
	return errs.Invalid("", param, format, args...)
}

func malformed() *errs.Error {
	return &errs.Error{Status: 400, Type: errs.TypeInvalidRequest,
		Message: "Invalid request (check your POST parameters): For assistance, contact support at https://support.stripe.com/contact/."}
}

func invalidEmpty(param string) *errs.Error {
	return errs.Invalid("parameter_invalid_empty", param,
		"You passed an empty string for '%s'. We assume empty values are an attempt to unset a parameter; however '%s' cannot be unset. You should remove '%s' from your request or supply a non-empty value.",
		param, param, param)
}

func invalidInteger(param, shown string) *errs.Error {
	return errs.Invalid("parameter_invalid_integer", param, "Invalid integer: %s", shown)
}

func invalidBoolean(param, shown string) *errs.Error {
	return invalidRequest(param, "Invalid boolean: %s", shown)
}

func invalidDecimal(param, shown string) *errs.Error {
	return invalidRequest(param, "Invalid decimal: %s", shown)
}

func invalidString(param, shown string) *errs.Error {
	return invalidRequest(param, "Invalid string: %s", shown)
}

func invalidObject(param string) *errs.Error { return invalidRequest(param, "Invalid object") }

func invalidArray(param string) *errs.Error { return invalidRequest(param, "Invalid array") }

func tooLong(param, value string, max int) *errs.Error {
	return invalidRequest(param, "Invalid string: %s; must be at most %d characters", elide(value), max)
}

func indexTooLarge(param string) *errs.Error {
	return invalidRequest(param, "Invalid array index in %s: indexes must be at most %d.", param, maxIndex)
}

func invalidEnum(param string, values []string) *errs.Error {
	return invalidRequest(param, "Invalid %s: must be one of %s", param, humanList(values))
}

// humanList joins values the way Stripe lists them: "a", "a or b",
// "a, b, or c". The empty string is left out since it stands for "unset"
// rather than a choice.
func humanList(values []string) string {
	shown := make([]string, 0, len(values))
	for _, v := range values {
		if v != "" {
			shown = append(shown, v)
		}
	}
	switch len(shown) {
	case 0:
		return ""
	case 1:
		return shown[0]
	case 2:
		return shown[0] + " or " + shown[1]
	}
	return strings.Join(shown[:len(shown)-1], ", ") + ", or " + shown[len(shown)-1]
}

// elide shortens a long value to its first and last ten characters, as
// Stripe does when echoing an over-long string back.
func elide(s string) string {
	if utf8.RuneCountInString(s) <= 20 {
		return s
	}
	r := []rune(s)
	return string(r[:10]) + "..." + string(r[len(r)-10:])
}

// inspect renders a decoded hash or array in the Ruby-inspect notation
// Stripe's "Invalid string: {…}" messages use. Output is capped so an
// oversized body cannot produce an oversized error.
func inspect(e *entry) string {
	var b strings.Builder
	writeInspect(&b, e)
	if b.Len() > 500 {
		s := b.String()
		cut := 500
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return s[:cut] + "..."
	}
	return b.String()
}

func writeInspect(b *strings.Builder, e *entry) {
	if b.Len() > 500 {
		return
	}
	c := e.child
	if c == nil {
		b.WriteString(strconv.Quote(e.value))
		return
	}
	if c.list {
		b.WriteByte('[')
		for i := range c.ents {
			if i > 0 {
				b.WriteString(", ")
			}
			writeInspect(b, &c.ents[i])
		}
		b.WriteByte(']')
		return
	}
	b.WriteByte('{')
	for i := range c.ents {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(c.ents[i].key))
		b.WriteString("=>")
		writeInspect(b, &c.ents[i])
	}
	b.WriteByte('}')
}
