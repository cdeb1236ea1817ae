package search

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// show renders a parsed query compactly: AND[...] or OR[...] of its
// clauses, each as -field[key]op(value), the value quoted unless it is
// null or a number field's.
func show(q *Query) string {
	var parts []string
	for _, c := range q.Clauses {
		s := ""
		if c.Negated {
			s = "-"
		}
		s += c.Field
		if c.Kind == Metadata {
			s += fmt.Sprintf("[%q]", c.Key)
		}
		s += c.Op.String()
		switch {
		case c.Null:
			s += "null"
		case c.Kind == Number:
			s += fmt.Sprint(c.Num)
		default:
			s += fmt.Sprintf("%q", c.Value)
		}
		parts = append(parts, s)
	}
	join := "AND"
	if q.Any {
		join = "OR"
	}
	return join + "[" + strings.Join(parts, " ") + "]"
}

func TestSearchQuery_Parse(t *testing.T) {
	cases := []struct {
		res   Resource
		query string
		want  string
	}{
		{Customers, `email:"jenny@example.com"`, `AND[email:"jenny@example.com"]`},
		{Customers, `email:'jenny@example.com'`, `AND[email:"jenny@example.com"]`},
		{Customers, `  email:"a@b.c"  `, `AND[email:"a@b.c"]`},
		{Customers, `email~"rosen"`, `AND[email~"rosen"]`},
		{Customers, `name~"Zoë"`, `AND[name~"Zoë"]`},
		{Customers, `phone:"+15555550100"`, `AND[phone:"+15555550100"]`},
		{Customers, `-email:"a@b.c"`, `AND[-email:"a@b.c"]`},
		{Customers, `name:null`, `AND[name:null]`},
		{Customers, `name:NULL`, `AND[name:null]`},
		{Customers, `-phone:null`, `AND[-phone:null]`},
		{Customers, `name:"null"`, `AND[name:"null"]`},
		{Customers, `name:"the \"quoted\" text"`, `AND[name:"the \"quoted\" text"]`},
		{Customers, `name:'it\'s'`, `AND[name:"it's"]`},
		{Customers, `name:"back\\slash"`, `AND[name:"back\\slash"]`},
		{Customers, `name:"a:b AND c"`, `AND[name:"a:b AND c"]`},
		{Customers, `metadata["order"]:"6735"`, `AND[metadata["order"]:"6735"]`},
		{Customers, `metadata['order']:'6735'`, `AND[metadata["order"]:"6735"]`},
		{Customers, `metadata["my key"]:"v"`, `AND[metadata["my key"]:"v"]`},
		{Customers, `metadata["order"]:6735`, `AND[metadata["order"]:"6735"]`},
		{Customers, `-metadata["order"]:null`, `AND[-metadata["order"]:null]`},
		{Customers, `created>1700000000`, `AND[created>1700000000]`},
		{PaymentIntents, `amount<1000`, `AND[amount<1000]`},
		{PaymentIntents, `amount>=1000`, `AND[amount>=1000]`},
		{PaymentIntents, `amount<=1000`, `AND[amount<=1000]`},
		{PaymentIntents, `amount:1000`, `AND[amount:1000]`},
		{PaymentIntents, `amount>="10"`, `AND[amount>=10]`},
		{PaymentIntents, `amount>-5`, `AND[amount>-5]`},
		{PaymentIntents, `amount:null`, `AND[amount:null]`},
		{PaymentIntents, `status:"succeeded" AND currency:"usd"`, `AND[status:"succeeded" currency:"usd"]`},
		{PaymentIntents, `status:"succeeded" and currency:"usd"`, `AND[status:"succeeded" currency:"usd"]`},
		{PaymentIntents, `status:"succeeded" currency:"usd"`, `AND[status:"succeeded" currency:"usd"]`},
		{PaymentIntents, `status:"succeeded"   AND   currency:"usd"`, `AND[status:"succeeded" currency:"usd"]`},
		{PaymentIntents, `currency:"usd" OR currency:"eur"`, `OR[currency:"usd" currency:"eur"]`},
		{PaymentIntents, `currency:"usd" or currency:"eur" Or currency:"gbp"`, `OR[currency:"usd" currency:"eur" currency:"gbp"]`},
		{PaymentIntents, `customer:"cus_AbC"`, `AND[customer:"cus_AbC"]`},
		{Charges, `payment_method_details.card.last4:4242`, `AND[payment_method_details.card.last4:"4242"]`},
		{Charges, `payment_method_details.card.last4:0042`, `AND[payment_method_details.card.last4:"0042"]`},
		{Charges, `payment_method_details.card.exp_month:12`, `AND[payment_method_details.card.exp_month:"12"]`},
		{Charges, `billing_details.address.postal_code:"10115"`, `AND[billing_details.address.postal_code:"10115"]`},
		{Charges, `refunded:"true" disputed:"false"`, `AND[refunded:"true" disputed:"false"]`},
		{Charges, `amount>999 AND metadata['order_id']:'6735'`, `AND[amount>999 metadata["order_id"]:"6735"]`},
		{Charges, strings.Repeat(`amount>1 `, MaxClauses), `AND[` + strings.TrimSpace(strings.Repeat(`amount>1 `, MaxClauses)) + `]`},
	}
	for _, c := range cases {
		q, err := Parse(c.res, c.query)
		if err != nil {
			t.Errorf("%s %s: %v", c.res.Name, c.query, err)
			continue
		}
		if got := show(q); got != c.want {
			t.Errorf("%s %s:\n got %s\nwant %s", c.res.Name, c.query, got, c.want)
		}
	}
}

func TestSearchQuery_FieldKinds(t *testing.T) {
	q, err := Parse(Charges, `customer:"cus_1" amount>1 currency:"usd" metadata["k"]:"v"`)
	if err != nil {
		t.Fatal(err)
	}
	want := []Kind{ID, Number, Token, Metadata}
	for i, c := range q.Clauses {
		if c.Kind != want[i] {
			t.Errorf("clause %d (%s): kind %d, want %d", i, c.Field, c.Kind, want[i])
		}
	}
}

func TestSearchQuery_ParseErrors(t *testing.T) {
	cases := []struct {
		res   Resource
		query string
		want  string // a part of the message
	}{
		{Customers, ``, `The search query is empty`},
		{Customers, `   `, `The search query is empty`},
		{Customers, `email`, `Expected an operator (:, ~, >, <, >= or <=) after email, found the end of the query.`},
		{Customers, `email "x"`, `Expected an operator (:, ~, >, <, >= or <=) after email, found " \"x\"".`},
		{Customers, `email="x"`, `Expected an operator (:, ~, >, <, >= or <=) after email, found "=\"x\"".`},
		{Customers, `email:`, `Expected a value right after email:, found the end of the query.`},
		{Customers, `email: "x"`, `Expected a value right after email:, found " \"x\"".`},
		{Customers, `email:"x`, `Unterminated string "\"x": close it with ".`},
		{Customers, `email:'x\'`, `Unterminated string "'x\\'": close it with '.`},
		{Customers, `email:jenny@example.com`, `String values must be quoted: write email:"jenny@example.com" instead of email:jenny@example.com.`},
		{Customers, `metadata["k"]:gold`, `String values must be quoted: write metadata["k"]:"gold" instead of metadata["k"]:gold.`},
		{Customers, `foo:"x"`, "Field `foo` is an unsupported search field for resource `customers`. See https://docs.stripe.com/search#query-fields-for-customers for a list of supported fields."},
		{Customers, `Email:"x"`, "Field `Email` is an unsupported search field for resource `customers`."},
		{Customers, `-description:"x"`, "Field `description` is an unsupported search field for resource `customers`."},
		{PaymentIntents, `email:"x"`, "Field `email` is an unsupported search field for resource `payment_intents`. See https://docs.stripe.com/search#query-fields-for-payment-intents"},
		{Charges, `payment_method_details.card.cvc:"1"`, "Field `payment_method_details.card.cvc` is an unsupported search field for resource `charges`. See https://docs.stripe.com/search#query-fields-for-charges"},
		{Customers, `email:"a" AND name:"b" OR phone:"c"`, `A search query cannot combine AND and OR`},
		{Customers, `email:"a" OR name:"b" AND phone:"c"`, `A search query cannot combine AND and OR`},
		{Customers, `email:"a" name:"b" OR phone:"c"`, `A search query cannot combine AND and OR`},
		{Customers, `email:"a" AND`, `The search query ends with AND: a clause must follow it.`},
		{Customers, `email:"a" or `, `The search query ends with OR: a clause must follow it.`},
		{Customers, `email:"a"name:"b"`, `Expected a space, AND or OR after the clause email:"a", found "name:\"b\"".`},
		{Customers, `name~"am"`, `Substring matching (~) needs at least 3 characters; name~"am" has 2.`},
		{Customers, `name~"zö"`, `Substring matching (~) needs at least 3 characters; name~"zö" has 2.`},
		{Customers, `metadata["k"]~"gold"`, "Field `metadata` does not support substring matching (~), only exact matching (:); email, name, phone do."},
		{Customers, `created~"170"`, "Field `created` does not support substring matching (~)"},
		{PaymentIntents, `currency~"usd"`, "Field `currency` does not support substring matching (~), only exact matching (:); no payment_intents field does."},
		{Customers, `email>5`, "Field `email` does not support the `>` operator; only numeric fields (created) can be compared."},
		{Charges, `status<="x"`, "Field `status` does not support the `<=` operator; only numeric fields (amount, created) can be compared."},
		{PaymentIntents, `amount>"abc"`, "Field `amount` takes a whole number, not \"abc\": amount>\"abc\"."},
		{PaymentIntents, `amount>10.5`, "Field `amount` takes a whole number, not \"10.5\""},
		{PaymentIntents, `amount>100)`, "Field `amount` takes a whole number, not \"100)\""},
		{PaymentIntents, `amount>null`, "null can only be matched with `:` (amount:null), not with `>`: amount>null."},
		{Customers, `email~null`, "null can only be matched with `:` (email:null), not with `~`"},
		{Customers, `metadata:"x"`, `The metadata field takes a key: write metadata["key"]:"value".`},
		{Customers, `name["k"]:"v"`, "Field `name` takes no key in brackets; only metadata does"},
		{Customers, `metadata[k]:"v"`, `Expected a quoted key after metadata[, as in metadata["key"], found "k]:\"v\"".`},
		{Customers, `metadata["k":"v"`, `Expected ] to close the key of metadata["k", found ":\"v\"".`},
		{Customers, `metadata[""]:"v"`, `The key in metadata[""] is empty.`},
		{Customers, `(email:"a")`, `Expected a field name at "(email:\"a\")".`},
		{Customers, `-`, `Expected a field name at the end of the query.`},
		{Customers, `email:"a" AND OR name:"b"`, `Expected an operator (:, ~, >, <, >= or <=) after OR, found " name:\"b\"".`},
		{Charges, strings.Repeat(`amount>1 `, MaxClauses+1), `A search query may combine at most 10 clauses; this one has 11.`},
	}
	for _, c := range cases {
		q, err := Parse(c.res, c.query)
		if err == nil {
			t.Errorf("%s %q: parsed as %s, want an error", c.res.Name, c.query, show(q))
			continue
		}
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("%s %q: error %T, want *Error", c.res.Name, c.query, err)
			continue
		}
		if !strings.Contains(e.Message, c.want) {
			t.Errorf("%s %q:\n got %s\nwant %s", c.res.Name, c.query, e.Message, c.want)
		}
	}
}

const customerJSON = `{"id":"cus_1","object":"customer","email":"Jenny.Rosen@Example.com","name":"Jenny Rosen",
	"phone":null,"description":"","created":1700000000,"metadata":{"tier":"gold","order":"6735"}}`

const chargeJSON = `{"id":"ch_1","object":"charge","amount":2000,"currency":"usd","customer":"cus_AbC",
	"disputed":false,"refunded":true,"status":"succeeded","created":1700000000,
	"billing_details":{"address":{"postal_code":"10115","city":null}},
	"payment_method_details":{"type":"card","card":{"brand":"visa","last4":"4242","exp_month":12,"exp_year":2030,"fingerprint":"Xyz9"}},
	"metadata":{}}`

// A charge paid some other way has no card details.
const bankChargeJSON = `{"id":"ch_2","object":"charge","amount":500,"currency":"eur","customer":null,
	"disputed":false,"refunded":false,"status":"pending","created":1700000100,"billing_details":{"address":null},
	"payment_method_details":{"type":"sepa_debit","sepa_debit":{"last4":"3000"}},"metadata":{"order_id":"6735"}}`

func TestSearchQuery_Match(t *testing.T) {
	cases := []struct {
		res   Resource
		obj   string
		query string
		want  bool
	}{
		// Exact matches ignore case; ids do not.
		{Customers, customerJSON, `email:"jenny.rosen@example.com"`, true},
		{Customers, customerJSON, `email:"JENNY.ROSEN@EXAMPLE.COM"`, true},
		{Customers, customerJSON, `email:"jenny@example.com"`, false},
		{Customers, customerJSON, `email:"rosen@example.com"`, false},
		{Customers, customerJSON, `name:"jenny rosen"`, true},
		{Customers, customerJSON, `name:"Jenny"`, false},
		{Charges, chargeJSON, `currency:"USD"`, true},
		{Charges, chargeJSON, `customer:"cus_AbC"`, true},
		{Charges, chargeJSON, `customer:"cus_abc"`, false},
		// Substrings, ignoring case.
		{Customers, customerJSON, `email~"ROSEN"`, true},
		{Customers, customerJSON, `email~"example.com"`, true},
		{Customers, customerJSON, `email~"xyz"`, false},
		{Customers, customerJSON, `name~"y ro"`, true},
		{Customers, customerJSON, `phone~"555"`, false},
		// Negation.
		{Customers, customerJSON, `-email:"jenny.rosen@example.com"`, false},
		{Customers, customerJSON, `-email:"other@example.com"`, true},
		{Customers, customerJSON, `-email~"rosen"`, false},
		{Charges, chargeJSON, `-currency:"usd"`, false},
		{Charges, bankChargeJSON, `-currency:"usd"`, true},
		// null: absent, null or empty.
		{Customers, customerJSON, `phone:null`, true},
		{Customers, customerJSON, `-phone:null`, false},
		{Customers, customerJSON, `name:null`, false},
		{Customers, customerJSON, `-name:null`, true},
		{Charges, bankChargeJSON, `customer:null`, true},
		{Charges, chargeJSON, `customer:null`, false},
		{Charges, bankChargeJSON, `billing_details.address.postal_code:null`, true},
		{Customers, customerJSON, `metadata["missing"]:null`, true},
		{Customers, customerJSON, `metadata["tier"]:null`, false},
		// Metadata: keys exact, values ignoring case.
		{Customers, customerJSON, `metadata["tier"]:"gold"`, true},
		{Customers, customerJSON, `metadata['tier']:'GOLD'`, true},
		{Customers, customerJSON, `metadata["Tier"]:"gold"`, false},
		{Customers, customerJSON, `metadata["tier"]:"silver"`, false},
		{Customers, customerJSON, `metadata["order"]:6735`, true},
		{Customers, customerJSON, `metadata["missing"]:"x"`, false},
		{Customers, customerJSON, `-metadata["missing"]:"x"`, true},
		{Customers, customerJSON, `-metadata["tier"]:"gold"`, false},
		{Charges, chargeJSON, `metadata["order_id"]:"6735"`, false},
		{Charges, bankChargeJSON, `metadata["order_id"]:"6735"`, true},
		// Numbers.
		{Customers, customerJSON, `created:1700000000`, true},
		{Customers, customerJSON, `created:1700000001`, false},
		{Customers, customerJSON, `created>1699999999`, true},
		{Customers, customerJSON, `created>1700000000`, false},
		{Customers, customerJSON, `created>=1700000000`, true},
		{Customers, customerJSON, `created<1700000000`, false},
		{Customers, customerJSON, `created<1700000001`, true},
		{Customers, customerJSON, `created<=1700000000`, true},
		{Customers, customerJSON, `created<=1699999999`, false},
		{Customers, customerJSON, `-created>1700000000`, true},
		{Charges, chargeJSON, `amount>="2000"`, true},
		{Charges, chargeJSON, `amount:2000`, true},
		{Charges, chargeJSON, `amount:200`, false},
		// Nested fields, numbers and booleans compared as their text.
		{Charges, chargeJSON, `payment_method_details.card.last4:4242`, true},
		{Charges, chargeJSON, `payment_method_details.card.last4:"4242"`, true},
		{Charges, chargeJSON, `payment_method_details.card.last4:"1111"`, false},
		{Charges, chargeJSON, `payment_method_details.card.brand:"VISA"`, true},
		{Charges, chargeJSON, `payment_method_details.card.exp_month:12`, true},
		{Charges, chargeJSON, `payment_method_details.card.exp_year:"2030"`, true},
		{Charges, chargeJSON, `payment_method_details.card.fingerprint:"xyz9"`, true},
		{Charges, chargeJSON, `billing_details.address.postal_code:"10115"`, true},
		{Charges, bankChargeJSON, `billing_details.address.postal_code:"10115"`, false},
		{Charges, bankChargeJSON, `payment_method_details.card.last4:"3000"`, false},
		{Charges, bankChargeJSON, `-payment_method_details.card.last4:"3000"`, true},
		{Charges, chargeJSON, `refunded:"true"`, true},
		{Charges, chargeJSON, `refunded:"false"`, false},
		{Charges, chargeJSON, `disputed:"false"`, true},
		{Charges, chargeJSON, `status:"succeeded"`, true},
		// AND (spelled or implied) needs every clause; OR any.
		{Charges, chargeJSON, `amount>1999 AND currency:"usd"`, true},
		{Charges, chargeJSON, `amount>1999 currency:"eur"`, false},
		{Charges, chargeJSON, `amount>1999 and -refunded:"true"`, false},
		{Charges, chargeJSON, `amount>5000 OR currency:"usd"`, true},
		{Charges, chargeJSON, `amount>5000 OR currency:"eur"`, false},
		{Charges, chargeJSON, `currency:"eur" OR currency:"gbp" OR payment_method_details.card.last4:4242`, true},
	}
	for _, c := range cases {
		q, err := Parse(c.res, c.query)
		if err != nil {
			t.Errorf("%s: %v", c.query, err)
			continue
		}
		// The API decodes with UseNumber; plain decoding (float64) works too.
		for _, useNumber := range []bool{true, false} {
			dec := json.NewDecoder(bytes.NewReader([]byte(c.obj)))
			if useNumber {
				dec.UseNumber()
			}
			var obj map[string]any
			if err := dec.Decode(&obj); err != nil {
				t.Fatal(err)
			}
			if got := q.Match(obj); got != c.want {
				t.Errorf("%s on %s (UseNumber %v): %v, want %v", c.query, obj["id"], useNumber, got, c.want)
			}
		}
	}
}

func TestSearchQuery_RequiredClauses(t *testing.T) {
	for query, want := range map[string]int{
		`customer:"cus_1"`:                      1,
		`customer:"cus_1" AND amount>5`:         2,
		`customer:"cus_1" amount>5 -status:"x"`: 3,
		`customer:"cus_1" OR amount>5`:          0,
	} {
		q, err := Parse(PaymentIntents, query)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(q.Required()); got != want {
			t.Errorf("%s: %d required clauses, want %d", query, got, want)
		}
	}
}
