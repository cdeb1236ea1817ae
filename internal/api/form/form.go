// Package form decodes Stripe-style application/x-www-form-urlencoded
// parameters and checks them against the operation's request schema.
//
// Decoding happens in stages so each can be tested and reused on its own:
// Parse keeps the flat pairs in request order, Decode assembles the bracket
// syntax (a[b][c], a[], a[0]) into nested values, and Validate coerces those
// against the schema generated from Stripe's OpenAPI spec. DecodeRequest runs
// all three and is what handlers call. Every rejection is a 400
// *errs.Error carrying the full bracket path of the offending parameter, the
// way Stripe reports it, so SDKs surface the same param and message.
package form

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/payd/payd/internal/errs"
)

// Pair is one key/value as sent, before any bracket nesting is interpreted.
type Pair struct {
	Key   string
	Value string
}

const (
	// maxDepth bounds bracket nesting. Stripe's deepest real parameters
	// (payment_method_options[…][mandate_options][…]) use five or six levels;
	// the cap exists so a hostile key cannot make decoding recurse without
	// bound.
	maxDepth = 16
	// maxIndex is the largest array index accepted. Arrays are compacted by
	// sorting their indexes, so the cap is about rejecting nonsense rather
	// than about memory.
	maxIndex = 10000
)

// Parse splits a body or query string into ordered pairs. It decodes '+' and
// %XX like url.ParseQuery but keeps request order, which Decode needs for
// "a[][x]" grouping and Validate needs to report the first bad parameter
// deterministically. Pairs with an empty key are dropped, as Rack does.
func Parse(raw string) ([]Pair, error) {
	if raw == "" {
		return nil, nil
	}
	pairs := make([]Pair, 0, strings.Count(raw, "&")+1)
	for raw != "" {
		var seg string
		if i := strings.IndexByte(raw, '&'); i >= 0 {
			seg, raw = raw[:i], raw[i+1:]
		} else {
			seg, raw = raw, ""
		}
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		key, ok := unescape(k)
		if !ok {
			return nil, malformed()
		}
		val, ok := unescape(v)
		if !ok {
			return nil, malformed()
		}
		if !utf8.ValidString(key) || !utf8.ValidString(val) {
			return nil, malformed()
		}
		if key == "" {
			continue
		}
		pairs = append(pairs, Pair{Key: key, Value: val})
	}
	return pairs, nil
}

// unescape is url.QueryUnescape without its allocation for the common case
// of a component that needs no decoding.
func unescape(s string) (string, bool) {
	n := 0
	plus := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '%':
			if i+2 >= len(s) || !ishex(s[i+1]) || !ishex(s[i+2]) {
				return "", false
			}
			n++
			i += 2
		case '+':
			plus = true
		}
	}
	if n == 0 && !plus {
		return s, true
	}
	b := make([]byte, 0, len(s)-2*n)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '%':
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		case '+':
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return string(b), true
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}

// node is a decoded container. Keeping hashes as ordered entries (rather
// than a Go map) preserves request order for error reporting, and keeping
// integer keys as text defers the array-or-hash question to the schema:
// metadata[0]=x is a hash key, items[0][price]=x an array element.
type node struct {
	list  bool           // built from a[] appends; otherwise a hash
	ents  []entry        // hash entries in first-seen order, or list items
	index map[string]int // key → ents position, built once a hash grows
}

// entry is one slot of a node: a leaf string when child is nil.
type entry struct {
	key   string // hash key; empty for list items
	value string
	child *node
	// seq is the index of the pair that created the entry. Everything
	// beneath an entry comes from that pair or later ones, which lets
	// Validate report the earliest offending parameter in request order.
	seq int
}

// indexThreshold is the hash size at which lookups switch from a linear
// scan to a map, so a body with thousands of keys under one hash stays
// linear.
const indexThreshold = 16

func (n *node) find(key string) int {
	if n.index != nil {
		if i, ok := n.index[key]; ok {
			return i
		}
		return -1
	}
	for i := range n.ents {
		if n.ents[i].key == key {
			return i
		}
	}
	return -1
}

func (n *node) add(e entry) int {
	n.ents = append(n.ents, e)
	i := len(n.ents) - 1
	if n.index != nil {
		n.index[e.key] = i
	} else if !n.list && len(n.ents) > indexThreshold {
		n.index = make(map[string]int, 2*len(n.ents))
		for j := range n.ents {
			n.index[n.ents[j].key] = j
		}
	}
	return i
}

// segment is one bracket group of a key. end is the offset just past it in
// the key, so an error can name the key prefix up to the problem.
type segment struct {
	text   string
	end    int
	append bool // "[]"
}

// splitKey parses name[a][b][] into its segments. A key that does not follow
// the bracket grammar exactly is treated as a literal top-level name, which
// the schema then rejects as an unknown parameter naming the key verbatim.
func splitKey(key string, buf []segment) []segment {
	open := strings.IndexByte(key, '[')
	if open <= 0 || strings.IndexByte(key[:open], ']') >= 0 {
		return append(buf, segment{text: key, end: len(key)})
	}
	buf = append(buf, segment{text: key[:open], end: open})
	rest := open
	for rest < len(key) {
		if key[rest] != '[' {
			return append(buf[:0], segment{text: key, end: len(key)})
		}
		closeAt := strings.IndexByte(key[rest+1:], ']')
		if closeAt < 0 {
			return append(buf[:0], segment{text: key, end: len(key)})
		}
		inner := key[rest+1 : rest+1+closeAt]
		if strings.IndexByte(inner, '[') >= 0 {
			return append(buf[:0], segment{text: key, end: len(key)})
		}
		rest += closeAt + 2
		buf = append(buf, segment{text: inner, end: rest, append: closeAt == 0})
	}
	return buf
}

type decoder struct {
	root node
	segs []segment
	seq  int
}

func (d *decoder) put(key, value string) error {
	d.segs = splitKey(key, d.segs[:0])
	if len(d.segs)-1 > maxDepth {
		return invalidRequest(key, "Invalid parameter %s: parameters can be nested at most %d levels deep.", key, maxDepth)
	}
	n := &d.root
	for i, sg := range d.segs {
		last := i == len(d.segs)-1
		var want bool // whether the next container must be a list
		if !last {
			want = d.segs[i+1].append
		}
		if n.list {
			// sg is "[]": append, unless this continues the previous element
			// the way Rack groups a[][x]=1&a[][y]=2 into one hash.
			if last {
				n.add(entry{value: value, seq: d.seq})
				return nil
			}
			if k := len(n.ents) - 1; !want && k >= 0 && n.ents[k].child != nil && !n.ents[k].child.list && !hasPath(n.ents[k].child, d.segs[i+1:]) {
				n = n.ents[k].child
				continue
			}
			c := &node{list: want}
			n.add(entry{child: c, seq: d.seq})
			n = c
			continue
		}
		at := n.find(sg.text)
		if last {
			if at < 0 {
				n.add(entry{key: sg.text, value: value, seq: d.seq})
				return nil
			}
			if n.ents[at].child != nil {
				return conflict(key[:sg.end], n.ents[at].child.list, "value")
			}
			n.ents[at].value = value // a repeated scalar: last one wins, as in Rack
			return nil
		}
		if at < 0 {
			c := &node{list: want}
			n.add(entry{key: sg.text, child: c, seq: d.seq})
			n = c
			continue
		}
		c := n.ents[at].child
		if c == nil {
			return conflict(key[:sg.end], want, "value")
		}
		if c.list != want {
			return conflict(key[:sg.end], want, kindName(c.list))
		}
		n = c
	}
	return nil
}

// hasPath reports whether a hash already holds the leaf the remaining
// segments lead to. Paths through "[]" never count, so they keep extending
// the current element (Rack's params_hash_has_key?).
func hasPath(n *node, segs []segment) bool {
	for _, sg := range segs {
		if sg.append || n == nil || n.list {
			return false
		}
		at := n.find(sg.text)
		if at < 0 {
			return false
		}
		n = n.ents[at].child
	}
	return true
}

func kindName(list bool) string {
	if list {
		return "array"
	}
	return "hash"
}

func conflict(param string, list bool, other string) *errs.Error {
	return invalidRequest(param, "Invalid parameter %s: it was sent both as %s and as %s; send only one.", param, article(kindName(list)), article(other))
}

func article(s string) string {
	if s == "array" {
		return "an array"
	}
	return "a " + s
}

func decodeNodes(pairs []Pair) (*node, error) {
	d := &decoder{segs: make([]segment, 0, 8)}
	d.root.ents = make([]entry, 0, len(pairs))
	for i, p := range pairs {
		d.seq = i
		if err := d.put(p.Key, p.Value); err != nil {
			return nil, err
		}
	}
	return &d.root, nil
}

// Decode assembles pairs into nested values without a schema: a[b]=x makes a
// map, a[]=x and a[0]=x make arrays (indexes sorted numerically, gaps
// closed), and every leaf is a string. A hash whose keys are not all small
// canonical integers stays a map, so metadata[12345]=x keeps its key.
func Decode(pairs []Pair) (map[string]any, error) {
	root, err := decodeNodes(pairs)
	if err != nil {
		return nil, err
	}
	return root.toMap(), nil
}

func (n *node) toMap() map[string]any {
	out := make(map[string]any, len(n.ents))
	for i := range n.ents {
		out[n.ents[i].key] = n.ents[i].toAny()
	}
	return out
}

func (e *entry) toAny() any {
	c := e.child
	if c == nil {
		return e.value
	}
	if c.list {
		out := make([]any, len(c.ents))
		for i := range c.ents {
			out[i] = c.ents[i].toAny()
		}
		return out
	}
	if order, ok := c.indexOrder(); ok {
		out := make([]any, len(order))
		for i, j := range order {
			out[i] = c.ents[j].toAny()
		}
		return out
	}
	return c.toMap()
}

// indexOrder returns the entry positions sorted by integer key when every
// key is an array index, so a[2]=z&a[0]=x reads as [x, z].
func (n *node) indexOrder() ([]int, bool) {
	if n.list || len(n.ents) == 0 {
		return nil, false
	}
	idx := make([]int, len(n.ents))
	for i := range n.ents {
		v, ok := arrayIndex(n.ents[i].key)
		if !ok || v > maxIndex {
			return nil, false
		}
		idx[i] = v
	}
	order := make([]int, len(n.ents))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return idx[a] - idx[b] })
	return order, true
}

// arrayIndex accepts only canonical non-negative integers, so "01" or "+1"
// are hash keys rather than aliases of index 1. Values past maxIndex are
// reported as maxIndex+1 or more without overflowing.
func arrayIndex(s string) (int, bool) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v <= maxIndex {
			v = v*10 + int(c-'0')
		}
	}
	return v, true
}

// DecodeRequest is Parse, Decode and Validate for the operation keyed like
// "POST /v1/customers/{customer}". An unknown key is a wiring bug in payd,
// not a client error: a plain error, which the server logs and answers as
// a 500.
func DecodeRequest(raw string, schemaKey string) (map[string]any, error) {
	s, ok := Operation(schemaKey)
	if !ok {
		return nil, fmt.Errorf("form: no parameter schema for %s (add its path to gen/main.go)", schemaKey)
	}
	pairs, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	root, err := decodeNodes(pairs)
	if err != nil {
		return nil, err
	}
	return validateRoot(s, root)
}
