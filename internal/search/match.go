package search

import (
	"cmp"
	"encoding/json"
	"strconv"
	"strings"
)

// Match reports whether obj, a stored object decoded from its JSON
// (numbers as json.Number or float64), satisfies the query.
func (q *Query) Match(obj map[string]any) bool {
	for _, c := range q.Clauses {
		ok := c.Match(obj)
		if q.Any && ok {
			return true
		}
		if !q.Any && !ok {
			return false
		}
	}
	return !q.Any
}

// Match reports whether obj satisfies the clause alone.
func (c Clause) Match(obj map[string]any) bool {
	return c.test(c.lookup(obj)) != c.Negated
}

// lookup finds the clause's field in obj: nil when it, or an object on
// the way to it, is absent or null.
func (c Clause) lookup(obj map[string]any) any {
	var v any = obj
	for seg := range strings.SplitSeq(c.Field, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[seg]
	}
	if c.Kind == Metadata {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[c.Key]
	}
	return v
}

// test is the clause's plain (un-negated) verdict on a field's value.
// Exact matches ignore case, as Stripe's `:` does ("currency:"eur" matches
// EUR"), except on ids; so do substring matches.
func (c Clause) test(v any) bool {
	if c.Null {
		return v == nil || v == ""
	}
	if c.Kind == Number {
		order, ok := compare(v, c.Num)
		if !ok {
			return false
		}
		switch c.Op {
		case Eq:
			return order == 0
		case Gt:
			return order > 0
		case Lt:
			return order < 0
		case Gte:
			return order >= 0
		case Lte:
			return order <= 0
		}
		return false
	}
	s, ok := text(v)
	if !ok {
		return false
	}
	switch {
	case c.Op == Contains:
		return strings.Contains(strings.ToLower(s), strings.ToLower(c.Value))
	case c.Kind == ID:
		return s == c.Value
	default:
		return strings.EqualFold(s, c.Value)
	}
}

// compare orders a JSON number against n.
func compare(v any, n int64) (int, bool) {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return cmp.Compare(i, n), true
		}
		f, err := v.Float64()
		if err != nil {
			return 0, false
		}
		return cmp.Compare(f, float64(n)), true
	case float64:
		return cmp.Compare(v, float64(n)), true
	}
	return 0, false
}

// text is a scalar JSON value as the text a clause compares: strings as
// they are, numbers and booleans as JSON writes them (exp_month:12,
// refunded:"true").
func text(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}
