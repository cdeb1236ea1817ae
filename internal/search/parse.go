package search

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Op is a clause's operator.
type Op int

const (
	Eq       Op = iota + 1 // field:value
	Contains               // field~"sub"
	Gt                     // field>n
	Lt                     // field<n
	Gte                    // field>=n
	Lte                    // field<=n
)

func (o Op) String() string {
	switch o {
	case Eq:
		return ":"
	case Contains:
		return "~"
	case Gt:
		return ">"
	case Lt:
		return "<"
	case Gte:
		return ">="
	case Lte:
		return "<="
	}
	return "?"
}

// Stripe's limits on a query.
const (
	// MaxClauses is the most clauses one query may combine.
	MaxClauses = 10
	// MinSubstring is the fewest characters a substring (~) value has.
	MinSubstring = 3
)

// Clause is one `[-]field op value` of a query.
type Clause struct {
	// Negated is a leading -: the clause matches what its plain form
	// does not (a missing field included).
	Negated bool
	Field   string
	// Key is the key of a metadata clause (metadata["key"]).
	Key  string
	Kind Kind
	Op   Op
	// Null is the value null: the field is absent or empty.
	Null bool
	// Value is the value's text; Num is the value of a Number field.
	Value string
	Num   int64
}

// Query is a parsed search query.
type Query struct {
	Clauses []Clause
	// Any says the clauses are joined by OR, so one match is enough;
	// otherwise (AND, or clauses separated by spaces) all must match.
	Any bool
}

// Required returns the clauses every match satisfies: all of them when
// they are joined by AND, none when by OR. A scan may use them to read
// fewer rows; Match stays the judge.
func (q *Query) Required() []Clause {
	if q.Any {
		return nil
	}
	return q.Clauses
}

// Error is a query Stripe would refuse; Message says why, for the caller.
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

func errorf(format string, args ...any) *Error {
	return &Error{Message: fmt.Sprintf(format, args...)}
}

// Parse reads src as a query over res: clauses `[-]field op value`, joined
// by spaces, AND or OR (either case, as Stripe accepts them), never both
// AND and OR.
func Parse(res Resource, src string) (*Query, error) {
	p := &parser{res: res, src: src}
	return p.query()
}

type parser struct {
	res Resource
	src string
	pos int
}

func (p *parser) query() (*Query, error) {
	p.skipSpace()
	if p.eof() {
		return nil, errorf("The search query is empty: write at least one clause, such as created>1700000000. See https://docs.stripe.com/search#search-query-language.")
	}
	q := &Query{}
	joiner := ""
	for {
		start := p.pos
		c, err := p.clause()
		if err != nil {
			return nil, err
		}
		q.Clauses = append(q.Clauses, c)
		text := p.src[start:p.pos]
		before := p.pos
		p.skipSpace()
		if p.eof() {
			break
		}
		if p.pos == before {
			return nil, errorf("Expected a space, AND or OR after the clause %s, found %s.", text, p.near())
		}
		j, err := p.keyword()
		if err != nil {
			return nil, err
		}
		if joiner == "" {
			joiner = j
		} else if joiner != j {
			return nil, errorf("A search query cannot combine AND and OR: use one of them throughout (clauses separated only by a space are joined with AND).")
		}
	}
	if len(q.Clauses) > MaxClauses {
		return nil, errorf("A search query may combine at most %d clauses; this one has %d.", MaxClauses, len(q.Clauses))
	}
	q.Any = joiner == "OR"
	return q, nil
}

// keyword reads the AND or OR between two clauses, with the space after
// it; a clause that follows a bare space is joined by AND.
func (p *parser) keyword() (string, error) {
	end := p.pos
	for end < len(p.src) && isLetter(p.src[end]) {
		end++
	}
	word := strings.ToUpper(p.src[p.pos:end])
	if word != "AND" && word != "OR" {
		return "AND", nil
	}
	if end < len(p.src) && !isSpace(p.src[end]) {
		// A field that happens to start with the letters (none does
		// today); the clause reader judges it.
		return "AND", nil
	}
	p.pos = end
	p.skipSpace()
	if p.eof() {
		return "", errorf("The search query ends with %s: a clause must follow it.", word)
	}
	return word, nil
}

func (p *parser) clause() (Clause, error) {
	start := p.pos
	var c Clause
	if p.peek() == '-' {
		c.Negated = true
		p.pos++
	}
	nameStart := p.pos
	for !p.eof() && isFieldChar(p.src[p.pos]) {
		p.pos++
	}
	c.Field = p.src[nameStart:p.pos]
	if c.Field == "" {
		return c, errorf("Expected a field name at %s. Clauses look like field:\"value\"; see https://docs.stripe.com/search#search-query-language.", p.near())
	}
	hasKey := false
	if p.peek() == '[' {
		key, err := p.metadataKey(start)
		if err != nil {
			return c, err
		}
		c.Key, hasKey = key, true
	}
	c.Op = p.op()
	if c.Op == 0 {
		return c, errorf("Expected an operator (:, ~, >, <, >= or <=) after %s, found %s.", p.src[start:p.pos], p.near())
	}
	kind, ok := p.res.Fields[c.Field]
	if !ok {
		return c, errorf("Field `%s` is an unsupported search field for resource `%s`. See https://docs.stripe.com/search#%s for a list of supported fields.",
			c.Field, p.res.Name, p.res.Anchor)
	}
	c.Kind = kind
	if kind == Metadata && !hasKey {
		return c, errorf("The metadata field takes a key: write metadata[\"key\"]:\"value\".")
	}
	if kind != Metadata && hasKey {
		return c, errorf("Field `%s` takes no key in brackets; only metadata does (metadata[\"key\"]:\"value\").", c.Field)
	}
	valueStart := p.pos
	value, quoted, err := p.value()
	if err != nil {
		return c, err
	}
	if !quoted && value == "" {
		return c, errorf("Expected a value right after %s, found %s.", p.src[start:valueStart], p.near())
	}
	return c, p.check(&c, value, quoted, p.src[start:p.pos])
}

// check settles the clause's value against its field and operator.
func (p *parser) check(c *Clause, value string, quoted bool, text string) error {
	if !quoted && strings.EqualFold(value, "null") {
		if c.Op != Eq {
			return errorf("null can only be matched with `:` (%s:null), not with `%s`: %s.", fieldText(c), c.Op, text)
		}
		c.Null = true
		return nil
	}
	switch c.Op {
	case Contains:
		if c.Kind != Text {
			if names := p.res.fieldNames(Text); names != "" {
				return errorf("Field `%s` does not support substring matching (~), only exact matching (:); %s do.", c.Field, names)
			}
			return errorf("Field `%s` does not support substring matching (~), only exact matching (:); no %s field does.", c.Field, p.res.Name)
		}
	case Gt, Lt, Gte, Lte:
		if c.Kind != Number {
			return errorf("Field `%s` does not support the `%s` operator; only numeric fields (%s) can be compared.", c.Field, c.Op, p.res.fieldNames(Number))
		}
	}
	c.Value = value
	if c.Kind == Number {
		// Quotes are optional around numbers (amount>="10").
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return errorf("Field `%s` takes a whole number, not %q: %s.", c.Field, value, text)
		}
		c.Num = n
		return nil
	}
	if !quoted && !isNumber(value) {
		return errorf("String values must be quoted: write %s%s\"%s\" instead of %s.", fieldText(c), c.Op, value, text)
	}
	if n := utf8.RuneCountInString(value); c.Op == Contains && n < MinSubstring {
		return errorf("Substring matching (~) needs at least %d characters; %s has %d.", MinSubstring, text, n)
	}
	return nil
}

func fieldText(c *Clause) string {
	if c.Kind == Metadata {
		return "metadata[\"" + c.Key + "\"]"
	}
	return c.Field
}

// metadataKey reads the ["key"] or ['key'] of the clause that starts at
// start.
func (p *parser) metadataKey(start int) (string, error) {
	p.pos++ // [
	if q := p.peek(); q != '"' && q != '\'' {
		return "", errorf("Expected a quoted key after %s, as in metadata[\"key\"], found %s.", p.src[start:p.pos], p.near())
	}
	key, _, err := p.quoted()
	if err != nil {
		return "", err
	}
	if p.peek() != ']' {
		return "", errorf("Expected ] to close the key of %s, found %s.", p.src[start:p.pos], p.near())
	}
	p.pos++
	if key == "" {
		return "", errorf("The key in %s is empty.", p.src[start:p.pos])
	}
	return key, nil
}

func (p *parser) op() Op {
	var op Op
	switch p.peek() {
	case ':':
		op = Eq
	case '~':
		op = Contains
	case '>':
		op = Gt
	case '<':
		op = Lt
	default:
		return 0
	}
	p.pos++
	if p.peek() == '=' {
		switch op {
		case Gt:
			op = Gte
			p.pos++
		case Lt:
			op = Lte
			p.pos++
		}
	}
	return op
}

// value reads a quoted string or a bare word (a number or null); it ends
// at the next space.
func (p *parser) value() (string, bool, error) {
	if q := p.peek(); q == '"' || q == '\'' {
		return p.quoted()
	}
	start := p.pos
	for !p.eof() && !isSpace(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos], false, nil
}

// quoted reads a string in the quote at p.pos; a backslash escapes the
// character after it (\" \' \\).
func (p *parser) quoted() (string, bool, error) {
	start := p.pos
	quote := p.src[p.pos]
	p.pos++
	var b strings.Builder
	for {
		if p.eof() {
			return "", true, errorf("Unterminated string %s: close it with %c.", clip(p.src[start:]), quote)
		}
		ch := p.src[p.pos]
		switch {
		case ch == '\\' && p.pos+1 < len(p.src):
			b.WriteByte(p.src[p.pos+1])
			p.pos += 2
		case ch == quote:
			p.pos++
			return b.String(), true, nil
		default:
			b.WriteByte(ch)
			p.pos++
		}
	}
}

func (p *parser) skipSpace() {
	for !p.eof() && isSpace(p.src[p.pos]) {
		p.pos++
	}
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.src[p.pos]
}

// near quotes what follows the position, for messages.
func (p *parser) near() string {
	if p.eof() {
		return "the end of the query"
	}
	return clip(p.src[p.pos:])
}

// clip quotes s, cut to a readable length.
func clip(s string) string {
	const max = 24
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return strconv.Quote(s)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isFieldChar(c byte) bool { return isLetter(c) || '0' <= c && c <= '9' || c == '_' || c == '.' }

// isNumber reports whether s is a number Stripe takes unquoted: digits,
// with an optional sign and fraction.
func isNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(s, ".")
	return digits(whole) && (!hasFrac || digits(frac))
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
