// Package jsonw writes JSON objects field by field, byte for byte as
// encoding/json renders the same values. The objects every payment writes
// (an intent, its charge, its PaymentMethod) have forty-odd fields each,
// and encoding/json's reflection over them was an eighth of a
// create-and-confirm's CPU; written out by hand they cost a fraction of
// that. Each hand-written encoder is checked against encoding/json by
// jsoncheck, over values that fill every field, so the two cannot drift.
package jsonw

import (
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Object is a JSON object being written. The zero value is not ready:
// start with Begin.
type Object struct {
	b     []byte
	first bool
	err   error
}

// Begin starts an object at the end of b.
func (w *Object) Begin(b []byte) {
	w.b, w.first, w.err = append(b, '{'), true, nil
}

// End closes the object and returns the bytes, or the first error a
// value met (only values written through encoding/json can fail).
func (w *Object) End() ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	return append(w.b, '}'), nil
}

// key writes a field's name. Names are payd's own: plain ASCII, written
// as they are.
func (w *Object) key(k string) {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

// Open starts a nested object under k; Close ends it.
func (w *Object) Open(k string) {
	w.key(k)
	w.b = append(w.b, '{')
	w.first = true
}

// Close ends the object Open started.
func (w *Object) Close() {
	w.b = append(w.b, '}')
	w.first = false
}

// Null writes k: null.
func (w *Object) Null(k string) {
	w.key(k)
	w.b = append(w.b, "null"...)
}

// String writes a string field.
func (w *Object) String(k, s string) {
	w.key(k)
	w.b = AppendString(w.b, s)
}

// OptString writes a nullable string field.
func (w *Object) OptString(k string, s *string) {
	w.key(k)
	if s == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = AppendString(w.b, *s)
}

// Int writes an integer field.
func (w *Object) Int(k string, n int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, n, 10)
}

// OptInt writes a nullable integer field.
func (w *Object) OptInt(k string, n *int64) {
	w.key(k)
	if n == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = strconv.AppendInt(w.b, *n, 10)
}

// Bool writes a boolean field.
func (w *Object) Bool(k string, v bool) {
	w.key(k)
	w.b = strconv.AppendBool(w.b, v)
}

// Strings writes a list of strings; nil is null, as encoding/json has it.
func (w *Object) Strings(k string, list []string) {
	w.key(k)
	w.b = appendStrings(w.b, list)
}

// StringMap writes a map of strings (metadata) with its keys sorted, as
// encoding/json does; nil is null.
func (w *Object) StringMap(k string, m map[string]string) {
	w.key(k)
	w.b = appendStringMap(w.b, m)
}

// Raw writes JSON payd rendered itself (compact, valid, HTML characters
// escaped: what encoding/json makes), as it is; nil is null.
func (w *Object) Raw(k string, v json.RawMessage) {
	w.key(k)
	if v == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, v...)
}

// Value writes any value: the shapes payd builds by hand (maps of any,
// lists, strings, integers, booleans, nil, Appenders) directly, anything
// else through encoding/json.
func (w *Object) Value(k string, v any) {
	w.key(k)
	w.value(v)
}

// Appender is a value that writes its fields as encoding/json would write
// the value. A nil pointer must not be passed as one.
type Appender interface {
	AppendJSON(w *Object)
}

// Append writes a as a field of w, as an object.
func (w *Object) Append(k string, a Appender) {
	w.Open(k)
	a.AppendJSON(w)
	w.Close()
}

func (w *Object) value(v any) {
	switch v := v.(type) {
	case nil:
		w.b = append(w.b, "null"...)
	case string:
		w.b = AppendString(w.b, v)
	case bool:
		w.b = strconv.AppendBool(w.b, v)
	case int64:
		w.b = strconv.AppendInt(w.b, v, 10)
	case int:
		w.b = strconv.AppendInt(w.b, int64(v), 10)
	case *string:
		if v == nil {
			w.b = append(w.b, "null"...)
			return
		}
		w.b = AppendString(w.b, *v)
	case map[string]any:
		if v == nil {
			w.b = append(w.b, "null"...)
			return
		}
		w.b = append(w.b, '{')
		for i, k := range sortedKeys(v) {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = AppendString(w.b, k)
			w.b = append(w.b, ':')
			w.value(v[k])
		}
		w.b = append(w.b, '}')
	case []any:
		if v == nil {
			w.b = append(w.b, "null"...)
			return
		}
		w.b = append(w.b, '[')
		for i, e := range v {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.value(e)
		}
		w.b = append(w.b, ']')
	case map[string]string:
		w.b = appendStringMap(w.b, v)
	case []string:
		w.b = appendStrings(w.b, v)
	case Appender:
		w.b = append(w.b, '{')
		w.first = true
		v.AppendJSON(w)
		w.b = append(w.b, '}')
		w.first = false
	default:
		data, err := json.Marshal(v)
		if err != nil {
			if w.err == nil {
				w.err = err
			}
			return
		}
		w.b = append(w.b, data...)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func appendStrings(b []byte, list []string) []byte {
	if list == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, s)
	}
	return append(b, ']')
}

func appendStringMap(b []byte, m map[string]string) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, k)
		b = append(b, ':')
		b = AppendString(b, m[k])
	}
	return append(b, '}')
}

const hex = "0123456789abcdef"

// AppendString appends s quoted as encoding/json quotes it: HTML
// characters and U+2028/U+2029 escaped as \u00XX and \u20XX, invalid UTF-8
// replaced by U+FFFD.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
