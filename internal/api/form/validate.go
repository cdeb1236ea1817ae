package form

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/payd/payd/internal/errs"
)

// Validate checks a decoded tree against an operation's schema and coerces
// its leaves: integers become int64, booleans bool, numbers float64; strings
// (including decimal-format ones, so no precision is lost) stay strings. An
// empty string the schema lets the caller unset becomes a nil value under its
// key; metadata values of "" stay "" because they delete that one key.
//
// A map carries no request order, so Validate visits keys sorted; with
// DecodeRequest the first offending parameter in request order is reported.
func Validate(s *Schema, tree map[string]any) (map[string]any, error) {
	return validateRoot(s, fromMap(tree))
}

func validateRoot(s *Schema, root *node) (map[string]any, error) {
	if s == nil || s.Type != "object" {
		return nil, errs.Internal() // a schema that is not an object is a generator bug
	}
	v := &validator{}
	v.segs = v.buf[:0]
	out, err := v.object(s, &entry{child: root})
	if err != nil {
		return nil, err
	}
	return out.(map[string]any), nil
}

// validator tracks the bracket path of the value being checked as a stack
// rendered only when an error needs it, so valid requests pay nothing for
// error reporting and the path costs one allocation per request, not one per
// parameter.
type validator struct {
	segs []pathSeg
	buf  [maxDepth + 2]pathSeg
}

type pathSeg struct {
	key   string
	pos   int
	isPos bool
}

func (v *validator) push(key string) { v.segs = append(v.segs, pathSeg{key: key}) }

func (v *validator) pushPos(i int) { v.segs = append(v.segs, pathSeg{pos: i, isPos: true}) }

func (v *validator) pop() { v.segs = v.segs[:len(v.segs)-1] }

// path renders the current position, e.g. items[0][price].
func (v *validator) path() string {
	if len(v.segs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(v.segs[0].key)
	for _, sg := range v.segs[1:] {
		b.WriteByte('[')
		if sg.isPos {
			b.WriteString(itoa(sg.pos))
		} else {
			b.WriteString(sg.key)
		}
		b.WriteByte(']')
	}
	return b.String()
}

// child renders the path of a key under the current position.
func (v *validator) child(key string) string {
	v.push(key)
	s := v.path()
	v.pop()
	return s
}

func (v *validator) value(s *Schema, e *entry) (any, error) {
	if len(s.AnyOf) > 0 {
		return v.anyOf(s, e)
	}
	switch s.Type {
	case "object":
		return v.object(s, e)
	case "array":
		return v.array(s, e)
	case "string":
		return v.str(s, e)
	case "integer":
		return v.integer(s, e)
	case "number":
		return v.number(s, e)
	case "boolean":
		return v.boolean(s, e)
	}
	// A schema without a type constrains nothing; the generator refuses to
	// emit one, so this only serves hand-written schemas.
	return e.toAny(), nil
}

// anyOf picks the first branch that accepts the value. When none does, the
// error worth showing is the one from the branch shaped like what was sent:
// for address[line1]=x that is the object branch's complaint, not "must be
// one of ”" from the unset marker.
func (v *validator) anyOf(s *Schema, e *entry) (any, error) {
	if e.child == nil && e.value == "" {
		for _, b := range s.AnyOf {
			if b.unsettable() {
				return nil, nil
			}
		}
	}
	var first, shaped error
	for _, b := range s.AnyOf {
		if b.unsetMarker() {
			continue
		}
		out, err := v.value(b, e)
		if err == nil {
			return out, nil
		}
		if first == nil {
			first = err
		}
		if shaped == nil && b.fits(e) {
			shaped = err
		}
	}
	if shaped != nil {
		return nil, shaped
	}
	if first != nil {
		return nil, first
	}
	return v.value(s.AnyOf[0], e)
}

// unsetMarker reports whether s is the {type: string, enum: [""]} branch
// Stripe adds to parameters that may be cleared.
func (s *Schema) unsetMarker() bool {
	return len(s.Enum) == 1 && s.Enum[0] == "" && (s.Type == "string" || s.Type == "")
}

func (s *Schema) unsettable() bool {
	return (s.Type == "string" || s.Type == "") && slices.Contains(s.Enum, "")
}

// fits reports whether a value has the shape s describes, independent of
// whether its contents are valid.
func (s *Schema) fits(e *entry) bool {
	switch s.Type {
	case "object":
		return e.child != nil && !e.child.list
	case "array":
		if e.child == nil {
			return false
		}
		if e.child.list {
			return true
		}
		_, ok := e.child.indexOrder()
		return ok
	case "string", "integer", "number", "boolean":
		return e.child == nil
	case "":
		for _, b := range s.AnyOf {
			if !b.unsetMarker() && b.fits(e) {
				return true
			}
		}
	}
	return false
}

func (v *validator) object(s *Schema, e *entry) (any, error) {
	if e.child == nil {
		if e.value == "" {
			return nil, invalidEmpty(v.path())
		}
		return nil, invalidObject(v.path())
	}
	n := e.child
	if n.list {
		return nil, invalidObject(v.path())
	}
	out := make(map[string]any, len(n.ents))
	for i := range n.ents {
		c := &n.ents[i]
		sub, ok := s.Properties[c.key]
		if !ok {
			if s.AdditionalProperties == nil || !s.AdditionalProperties.Allowed {
				return nil, errs.Unknown(v.child(c.key))
			}
			sub = s.AdditionalProperties.Schema
			if sub == nil {
				out[c.key] = c.toAny()
				continue
			}
			if sub.Type == "string" {
				if c.child != nil {
					// Stripe names the map, not the key, for a nested
					// metadata value (stripe-cli #1064).
					return nil, invalidRequest(v.path(), "Invalid value type: %s must be a string", inspect(c))
				}
				if c.value == "" {
					// metadata[key]= deletes one key: a meaningful empty value.
					out[c.key] = ""
					continue
				}
			}
		}
		v.push(c.key)
		val, err := v.value(sub, c)
		v.pop()
		if err != nil {
			return nil, err
		}
		out[c.key] = val
	}
	for _, r := range s.Required {
		if _, ok := out[r]; !ok {
			return nil, errs.Missing(v.child(r))
		}
	}
	return out, nil
}

func (v *validator) array(s *Schema, e *entry) (any, error) {
	if e.child == nil {
		if e.value == "" {
			return nil, invalidEmpty(v.path())
		}
		return nil, invalidArray(v.path())
	}
	n := e.child
	out := make([]any, 0, len(n.ents))
	if n.list {
		for i := range n.ents {
			v.pushPos(i)
			val, err := v.element(s.Items, &n.ents[i])
			v.pop()
			if err != nil {
				return nil, err
			}
			out = append(out, val)
		}
		return out, nil
	}
	// a[0]=x&a[1]=y: a hash whose keys must all be indexes.
	idx := make([]int, len(n.ents))
	for i := range n.ents {
		at, ok := arrayIndex(n.ents[i].key)
		if !ok {
			return nil, invalidArray(v.path())
		}
		if at > maxIndex {
			return nil, indexTooLarge(v.child(n.ents[i].key))
		}
		idx[i] = at
	}
	order := make([]int, len(n.ents))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return idx[a] - idx[b] })
	for _, j := range order {
		c := &n.ents[j]
		v.push(c.key)
		val, err := v.element(s.Items, c)
		v.pop()
		if err != nil {
			return nil, err
		}
		out = append(out, val)
	}
	return out, nil
}

func (v *validator) element(items *Schema, e *entry) (any, error) {
	if items == nil {
		return e.toAny(), nil
	}
	return v.value(items, e)
}

func (v *validator) str(s *Schema, e *entry) (any, error) {
	if e.child != nil {
		return nil, invalidString(v.path(), inspect(e))
	}
	x := e.value
	if x == "" {
		if slices.Contains(s.Enum, "") {
			return nil, nil
		}
		return nil, invalidEmpty(v.path())
	}
	if len(s.Enum) > 0 && !slices.Contains(s.Enum, x) {
		if s.Open {
			return x, nil
		}
		return nil, invalidEnum(v.path(), s.Enum)
	}
	if s.MaxLength > 0 && len(x) > s.MaxLength && utf8.RuneCountInString(x) > s.MaxLength {
		return nil, tooLong(v.path(), x, s.MaxLength)
	}
	if s.Format == "decimal" && !isDecimal(x) {
		if s.Open {
			return x, nil
		}
		return nil, invalidDecimal(v.path(), x)
	}
	return x, nil
}

func (v *validator) integer(s *Schema, e *entry) (any, error) {
	if e.child != nil {
		return nil, invalidInteger(v.path(), inspect(e))
	}
	x := e.value
	if x == "" {
		return nil, invalidEmpty(v.path())
	}
	if x[0] != '+' {
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return n, nil
		}
	}
	if s.Open {
		return x, nil
	}
	return nil, invalidInteger(v.path(), x)
}

func (v *validator) number(s *Schema, e *entry) (any, error) {
	if e.child != nil {
		return nil, invalidDecimal(v.path(), inspect(e))
	}
	x := e.value
	if x == "" {
		return nil, invalidEmpty(v.path())
	}
	if isDecimal(x) {
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return f, nil
		}
	}
	if s.Open {
		return x, nil
	}
	return nil, invalidDecimal(v.path(), x)
}

func (v *validator) boolean(s *Schema, e *entry) (any, error) {
	if e.child != nil {
		return nil, invalidBoolean(v.path(), inspect(e))
	}
	switch e.value {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "":
		return nil, invalidEmpty(v.path())
	}
	if s.Open {
		return e.value, nil
	}
	return nil, invalidBoolean(v.path(), e.value)
}

// isDecimal accepts plain decimal notation with an optional sign, fraction
// and exponent ("105.5", "-1", ".5", "1e-3") and nothing strconv would also
// take, such as "Inf", "NaN", hex floats or digit separators.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// fromMap turns a caller-built tree back into nodes so Validate and
// DecodeRequest share one implementation. Keys are sorted to make error
// reporting deterministic.
func fromMap(m map[string]any) *node {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	n := &node{ents: make([]entry, 0, len(keys))}
	for _, k := range keys {
		n.add(fromAny(k, m[k]))
	}
	return n
}

func fromAny(key string, v any) entry {
	switch x := v.(type) {
	case string:
		return entry{key: key, value: x}
	case nil:
		return entry{key: key}
	case map[string]any:
		return entry{key: key, child: fromMap(x)}
	case []any:
		c := &node{list: true, ents: make([]entry, 0, len(x))}
		for _, item := range x {
			c.ents = append(c.ents, fromAny("", item))
		}
		return entry{key: key, child: c}
	case []string:
		c := &node{list: true, ents: make([]entry, 0, len(x))}
		for _, item := range x {
			c.ents = append(c.ents, entry{value: item})
		}
		return entry{key: key, child: c}
	case bool:
		return entry{key: key, value: strconv.FormatBool(x)}
	case int64:
		return entry{key: key, value: strconv.FormatInt(x, 10)}
	case int:
		return entry{key: key, value: strconv.Itoa(x)}
	case float64:
		return entry{key: key, value: strconv.FormatFloat(x, 'f', -1, 64)}
	}
	return entry{key: key, value: fmt.Sprint(v)}
}
