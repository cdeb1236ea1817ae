package form

import (
	"fmt"
	"math"
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
	out, f := v.object(s, &entry{child: root})
	if f != nil {
		return nil, f.err
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
			b.WriteString(strconv.Itoa(sg.pos))
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

// failure is a rejection together with where in the request it arose, so
// that of several problems the one sent first is reported, as Stripe's
// "first bad parameter" errors read. A missing parameter was never sent and
// ranks after every present one.
type failure struct {
	err *errs.Error
	seq int
}

const missingSeq = math.MaxInt

func fail(err *errs.Error, e *entry) *failure { return &failure{err: err, seq: e.seq} }

func (v *validator) value(s *Schema, e *entry) (any, *failure) {
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
// for address[foo]=x that is the object branch's unknown-parameter error,
// not the enum complaint of the unset marker.
func (v *validator) anyOf(s *Schema, e *entry) (any, *failure) {
	if e.child == nil && e.value == "" {
		for _, b := range s.AnyOf {
			if b.unsettable() {
				return nil, nil
			}
		}
	}
	var first, shaped *failure
	for _, b := range s.AnyOf {
		if b.unsetMarker() {
			continue
		}
		out, f := v.value(b, e)
		if f == nil {
			return out, nil
		}
		if first == nil {
			first = f
		}
		if shaped == nil && b.fits(e) {
			shaped = f
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

func (v *validator) object(s *Schema, e *entry) (any, *failure) {
	if e.child == nil {
		if e.value == "" {
			return nil, fail(invalidEmpty(v.path()), e)
		}
		return nil, fail(invalidObject(v.path()), e)
	}
	n := e.child
	if n.list {
		return nil, fail(invalidObject(v.path()), e)
	}
	out := make(map[string]any, len(n.ents))
	var bad *failure
	for i := range n.ents {
		c := &n.ents[i]
		if bad != nil && bad.seq < c.seq {
			break // entries are in request order; nothing later can be earlier
		}
		val, f := v.property(s, c)
		if f != nil {
			if bad == nil || f.seq < bad.seq {
				bad = f
			}
			continue
		}
		out[c.key] = val
	}
	if bad != nil {
		return nil, bad
	}
	for _, r := range s.Required {
		if _, ok := out[r]; !ok {
			return nil, &failure{err: errs.Missing(v.child(r)), seq: missingSeq}
		}
	}
	return out, nil
}

func (v *validator) property(s *Schema, c *entry) (any, *failure) {
	sub, ok := s.Properties[c.key]
	if !ok {
		if s.AdditionalProperties == nil || !s.AdditionalProperties.Allowed {
			return nil, fail(errs.Unknown(v.child(c.key)), c)
		}
		sub = s.AdditionalProperties.Schema
		if sub == nil {
			return c.toAny(), nil
		}
		if sub.Type == "string" {
			if c.child != nil {
				// Stripe names the map, not the key, for a nested metadata
				// value (stripe-cli #1064).
				return nil, fail(invalidRequest(v.path(), "Invalid value type: %s must be a string", inspect(c)), c)
			}
			if c.value == "" {
				// metadata[key]= deletes one key: a meaningful empty value.
				return "", nil
			}
		}
	}
	v.push(c.key)
	val, f := v.value(sub, c)
	v.pop()
	return val, f
}

func (v *validator) array(s *Schema, e *entry) (any, *failure) {
	if e.child == nil {
		if e.value == "" {
			return nil, fail(invalidEmpty(v.path()), e)
		}
		return nil, fail(invalidArray(v.path()), e)
	}
	n := e.child
	out := make([]any, 0, len(n.ents))
	var bad *failure
	if n.list {
		for i := range n.ents {
			c := &n.ents[i]
			if bad != nil && bad.seq < c.seq {
				break
			}
			v.pushPos(i)
			val, f := v.element(s.Items, c)
			v.pop()
			if f != nil {
				if bad == nil || f.seq < bad.seq {
					bad = f
				}
				continue
			}
			out = append(out, val)
		}
		if bad != nil {
			return nil, bad
		}
		return out, nil
	}
	// a[0]=x&a[1]=y: a hash whose keys must all be indexes.
	idx := make([]int, len(n.ents))
	for i := range n.ents {
		at, ok := arrayIndex(n.ents[i].key)
		if !ok {
			return nil, fail(invalidArray(v.path()), &n.ents[i])
		}
		if at > maxIndex {
			return nil, fail(indexTooLarge(v.child(n.ents[i].key)), &n.ents[i])
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
		if bad != nil && bad.seq < c.seq {
			continue // sorted by index, not by arrival, so keep looking
		}
		v.push(c.key)
		val, f := v.element(s.Items, c)
		v.pop()
		if f != nil {
			if bad == nil || f.seq < bad.seq {
				bad = f
			}
			continue
		}
		out = append(out, val)
	}
	if bad != nil {
		return nil, bad
	}
	return out, nil
}

func (v *validator) element(items *Schema, e *entry) (any, *failure) {
	if items == nil {
		return e.toAny(), nil
	}
	return v.value(items, e)
}

func (v *validator) str(s *Schema, e *entry) (any, *failure) {
	if e.child != nil {
		return nil, fail(invalidString(v.path(), inspect(e)), e)
	}
	x := e.value
	if x == "" {
		if slices.Contains(s.Enum, "") {
			return nil, nil
		}
		return nil, fail(invalidEmpty(v.path()), e)
	}
	if len(s.Enum) > 0 && !slices.Contains(s.Enum, x) {
		if s.Open {
			return x, nil
		}
		return nil, fail(invalidEnum(v.path(), s.Enum), e)
	}
	if s.MaxLength > 0 && len(x) > s.MaxLength && utf8.RuneCountInString(x) > s.MaxLength {
		return nil, fail(tooLong(v.path(), x, s.MaxLength), e)
	}
	if s.Format == "decimal" && !isDecimal(x) {
		if s.Open {
			return x, nil
		}
		return nil, fail(invalidDecimal(v.path(), x), e)
	}
	return x, nil
}

func (v *validator) integer(s *Schema, e *entry) (any, *failure) {
	if e.child != nil {
		return nil, fail(invalidInteger(v.path(), inspect(e)), e)
	}
	x := e.value
	if x == "" {
		return nil, fail(invalidEmpty(v.path()), e)
	}
	if x[0] != '+' {
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return n, nil
		}
	}
	if s.Open {
		return x, nil
	}
	return nil, fail(invalidInteger(v.path(), x), e)
}

func (v *validator) number(s *Schema, e *entry) (any, *failure) {
	if e.child != nil {
		return nil, fail(invalidDecimal(v.path(), inspect(e)), e)
	}
	x := e.value
	if x == "" {
		return nil, fail(invalidEmpty(v.path()), e)
	}
	if isDecimal(x) {
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return f, nil
		}
	}
	if s.Open {
		return x, nil
	}
	return nil, fail(invalidDecimal(v.path(), x), e)
}

func (v *validator) boolean(s *Schema, e *entry) (any, *failure) {
	if e.child != nil {
		return nil, fail(invalidBoolean(v.path(), inspect(e)), e)
	}
	switch e.value {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "":
		return nil, fail(invalidEmpty(v.path()), e)
	}
	if s.Open {
		return e.value, nil
	}
	return nil, fail(invalidBoolean(v.path(), e.value), e)
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
// DecodeRequest share one implementation. Keys are sorted and numbered in
// that order, which stands in for request order when reporting errors.
func fromMap(m map[string]any) *node {
	seq := 0
	return fromMapSeq(m, &seq)
}

func fromMapSeq(m map[string]any, seq *int) *node {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	n := &node{ents: make([]entry, 0, len(keys))}
	for _, k := range keys {
		n.add(fromAny(k, m[k], seq))
	}
	return n
}

func fromAny(key string, v any, seq *int) entry {
	e := entry{key: key, seq: *seq}
	*seq++
	switch x := v.(type) {
	case string:
		e.value = x
	case nil:
	case map[string]any:
		e.child = fromMapSeq(x, seq)
	case []any:
		c := &node{list: true, ents: make([]entry, 0, len(x))}
		for _, item := range x {
			c.ents = append(c.ents, fromAny("", item, seq))
		}
		e.child = c
	case []string:
		c := &node{list: true, ents: make([]entry, 0, len(x))}
		for _, item := range x {
			c.ents = append(c.ents, fromAny("", item, seq))
		}
		e.child = c
	case bool:
		e.value = strconv.FormatBool(x)
	case int64:
		e.value = strconv.FormatInt(x, 10)
	case int:
		e.value = strconv.Itoa(x)
	case float64:
		e.value = strconv.FormatFloat(x, 'f', -1, 64)
	default:
		e.value = fmt.Sprint(v)
	}
	return e
}
