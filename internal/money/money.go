// Package money knows currencies: which are zero-decimal, Stripe's minimum
// charge amounts, and how to check a currency code. Amounts are always
// int64 in the currency's minor unit; no float ever touches them.
package money

import (
	"strconv"
	"strings"
)

// zeroDecimal are the currencies whose amounts have no minor unit (an
// amount of 500 jpy is ¥500), from Stripe's currency docs.
var zeroDecimal = map[string]bool{
	"bif": true, "clp": true, "djf": true, "gnf": true, "jpy": true, "kmf": true, "krw": true,
	"mga": true, "pyg": true, "rwf": true, "ugx": true, "vnd": true, "vuv": true, "xaf": true,
	"xof": true, "xpf": true,
}

// ZeroDecimal reports whether cur has no minor unit.
func ZeroDecimal(cur string) bool { return zeroDecimal[cur] }

// minimums are Stripe's minimum charge amounts in the minor unit; other
// currencies need the equivalent of 0.50 USD, approximated as 50 minor
// units (100 for zero-decimal ones is too little, so those are listed).
var minimums = map[string]int64{
	"usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500,
	"dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "mxn": 1000,
	"myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50, "thb": 1000,
	"zar": 800, "krw": 700, "clp": 500, "vnd": 15000,
}

// Minimum is the smallest amount Stripe charges in cur.
func Minimum(cur string) int64 {
	if m, ok := minimums[cur]; ok {
		return m
	}
	return 50
}

// supported lists the presentment currencies payd accepts (Stripe's list
// for a US account).
var supported = strings.Fields(`usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bif bmd bnd bob
brl bsd bwp byn bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd
gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jpy kes kgs khr kmf krw kyd kzt lak lbp lkr lrd lsl mad mdl
mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd pab pen pgk php pkr pln pyg qar ron rsd
rub rwf sar sbd scr sek sgd shp sle sos srd std szl thb tjs top try ttd twd tzs uah ugx uyu uzs vnd vuv wst
xaf xcd xof xpf yer zar zmw`)

var supportedSet = func() map[string]bool {
	m := make(map[string]bool, len(supported))
	for _, c := range supported {
		m[c] = true
	}
	return m
}()

// Valid reports whether cur is a lowercase currency code payd accepts.
func Valid(cur string) bool { return supportedSet[cur] }

// Normalize lowercases a currency code as Stripe does.
func Normalize(cur string) string { return strings.ToLower(strings.TrimSpace(cur)) }

// symbols are the signs Format puts before amounts of the currencies that
// have a well-known one; others are written with their code after.
var symbols = map[string]string{"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "aud": "A$", "cad": "CA$",
	"nzd": "NZ$", "hkd": "HK$"}

// Symbol is the sign of cur where it has a well-known one, or "".
func Symbol(cur string) string { return symbols[cur] }

// Major renders a non-negative amount in major units with the currency's
// decimals ("12.34", "500"), with integer arithmetic only.
func Major(amount int64, cur string) string {
	if ZeroDecimal(cur) {
		return strconv.FormatInt(amount, 10)
	}
	cents := amount % 100
	return strconv.FormatInt(amount/100, 10) + "." + strconv.FormatInt(cents/10, 10) + strconv.FormatInt(cents%10, 10)
}

// Format renders an amount for people, as payd's pages show it: "$12.34",
// "¥500", "12.34 SEK".
func Format(amount int64, cur string) string {
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	n := Major(amount, cur)
	if sym, ok := symbols[cur]; ok {
		return sign + sym + n
	}
	return sign + n + " " + strings.ToUpper(cur)
}
