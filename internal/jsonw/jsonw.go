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

// Each function appends one field to b and returns the extended slice.
// key is the field's name as it appears in the output, with the
// punctuation before it: `{"id":` for an object's first field,
// `,"amount":` for the others. Keeping the bytes in a local slice rather
// than in a writer the helpers point to spares every append the garbage
// collector's write barrier, which was a third of an encoder's time.

// String appends a string field.
func String(b []byte, key, s string) []byte {
	return AppendString(append(b, key...), s)
}

// OptString appends a nullable string field.
func OptString(b []byte, key string, s *string) []byte {
	b = append(b, key...)
	if s == nil {
		return append(b, "null"...)
	}
	return AppendString(b, *s)
}

// Int appends an integer field.
func Int(b []byte, key string, n int64) []byte {
	return strconv.AppendInt(append(b, key...), n, 10)
}

// OptInt appends a nullable integer field.
func OptInt(b []byte, key string, n *int64) []byte {
	b = append(b, key...)
	if n == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, *n, 10)
}

// Bool appends a boolean field.
func Bool(b []byte, key string, v bool) []byte {
	return strconv.AppendBool(append(b, key...), v)
}

// Strings appends a list of strings; nil is null, as encoding/json has it.
func Strings(b []byte, key string, list []string) []byte {
	return appendStrings(append(b, key...), list)
}

// StringMap appends a map of strings (metadata) with its keys sorted, as
// encoding/json does; nil is null.
func StringMap(b []byte, key string, m map[string]string) []byte {
	return appendStringMap(append(b, key...), m)
}

// Raw appends JSON payd rendered itself (compact, valid, HTML characters
// escaped: what encoding/json makes), as it is. Nil is null, as in
// encoding/json; so is an empty value, which encoding/json refuses and
// which appended as it is would leave the field without a value.
func Raw(b []byte, key string, v json.RawMessage) []byte {
	b = append(b, key...)
	if len(v) == 0 {
		return append(b, "null"...)
	}
	return append(b, v...)
}

// Value appends a field of any value (see AppendValue). The first error
// is kept in *err; only values written through encoding/json can fail.
func Value(b []byte, key string, v any, err *error) []byte {
	b, e := AppendValue(append(b, key...), v)
	if e != nil && *err == nil {
		*err = e
	}
	return b
}

// Appender is a value that appends itself to b as encoding/json would
// write it: a nil pointer as null.
type Appender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// AppendValue appends v: the shapes payd builds by hand (maps of any,
// lists, strings, integers, booleans, nil, Appenders) directly, anything
// else through encoding/json.
func AppendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return AppendString(b, v), nil
	case *string:
		if v == nil {
			return append(b, "null"...), nil
		}
		return AppendString(b, *v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case map[string]any:
		if v == nil {
			return append(b, "null"...), nil
		}
		var buf [8]string
		b = append(b, '{')
		for i, k := range sortedKeys(v, buf[:]) {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(AppendString(b, k), ':')
			var err error
			if b, err = AppendValue(b, v[k]); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = AppendValue(b, e); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case map[string]string:
		return appendStringMap(b, v), nil
	case []string:
		return appendStrings(b, v), nil
	case Appender:
		return v.AppendJSON(b)
	default:
		data, err := json.Marshal(v)
		if err != nil {
			return b, err
		}
		return append(b, data...), nil
	}
}

// sortedKeys returns m's keys in order, in buf when they fit.
func sortedKeys[V any](m map[string]V, buf []string) []string {
	keys := buf[:0]
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
	var buf [8]string
	b = append(b, '{')
	for i, k := range sortedKeys(m, buf[:]) {
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

// plain marks the ASCII bytes a JSON string holds as they are.
var plain = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// AppendString appends s quoted as encoding/json quotes it: HTML
// characters and U+2028/U+2029 escaped as \u00XX and \u20XX, invalid UTF-8
// replaced by U+FFFD.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plain[c] {
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
