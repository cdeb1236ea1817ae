// Package jsoncheck proves a hand-written JSON encoder (see jsonw) writes
// what encoding/json writes: it fills every exported field of a value, in
// many different ways, and compares the two renderings byte for byte. A
// field added to a type but not to its encoder makes the check fail.
package jsoncheck

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
)

// Rounds is how many differently filled values Agrees tries.
const Rounds = 300

// Agrees checks that enc renders values of T as encoding/json.Marshal
// does: round 0 is the zero value, round 1 fills everything, the others
// leave a random part of the fields zero or nil.
func Agrees[T any](t *testing.T, enc func(*T) ([]byte, error)) {
	t.Helper()
	for round := range Rounds {
		v := new(T)
		f := filler{r: rand.New(rand.NewPCG(uint64(round), 7)), full: round == 1}
		if round > 0 {
			f.fill(reflect.ValueOf(v).Elem(), 0)
		}
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("round %d: encoding/json: %v", round, err)
		}
		got, err := enc(v)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("round %d: the encoder and encoding/json differ:\n got %s\nwant %s", round, got, want)
		}
	}
}

// Strings that need every kind of escape encoding/json makes.
var strs = []string{"", "plain", "pi_3MtwBwLkdIwHu7ix28a3tqPa", `quote " and \ backslash`,
	"<b>&amp;</b>", "line\nbreak\ttab\rreturn\bback\fform", "\x00\x01\x1f ctl", "é ü 日本",
	"sep\u2028para\u2029", "bad \xff utf8 \xc3", "emoji 😀"}

type filler struct {
	r    *rand.Rand
	full bool
}

// skip says whether to leave a field at its zero value.
func (f *filler) skip() bool { return !f.full && f.r.IntN(3) == 0 }

func (f *filler) str() string {
	if f.full {
		return strs[4]
	}
	return strs[f.r.IntN(len(strs))]
}

func (f *filler) fill(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(f.str())
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt([]int64{0, 1, -7, 2000, 1 << 40}[f.r.IntN(5)])
	case reflect.Bool:
		v.SetBool(f.full || f.r.IntN(2) == 0)
	case reflect.Float64:
		v.SetFloat([]float64{0, 1.5, 1e21, -0.25}[f.r.IntN(4)])
	case reflect.Pointer:
		if f.skip() {
			return
		}
		p := reflect.New(v.Type().Elem())
		f.fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Struct:
		for i := range v.NumField() {
			if !v.Type().Field(i).IsExported() || f.skip() {
				continue
			}
			f.fill(v.Field(i), depth+1)
		}
	case reflect.Slice:
		if f.skip() {
			return
		}
		if v.Type() == reflect.TypeFor[json.RawMessage]() {
			raw := []string{"null", `{"a":"x","b":[1,true,null]}`, `"s"`, "{}"}
			v.SetBytes([]byte(raw[f.r.IntN(len(raw))]))
			return
		}
		n := f.r.IntN(3)
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			f.fill(s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Map:
		if f.skip() {
			return
		}
		m := reflect.MakeMap(v.Type())
		for range f.r.IntN(4) {
			k := reflect.New(v.Type().Key()).Elem()
			f.fill(k, depth+1)
			e := reflect.New(v.Type().Elem()).Elem()
			f.fill(e, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Interface:
		if f.skip() || depth > 6 {
			return
		}
		if x := f.anyValue(depth); x != nil {
			v.Set(reflect.ValueOf(x))
		}
	}
}

// anyValue is one of the shapes payd puts in fields of type any.
func (f *filler) anyValue(depth int) any {
	if depth > 8 {
		return f.str()
	}
	switch f.r.IntN(9) {
	case 0:
		return f.str()
	case 1:
		return int64(f.r.IntN(5000))
	case 2:
		return f.r.IntN(2) == 0
	case 3:
		return 2.5
	case 4:
		m := map[string]any{}
		for range f.r.IntN(4) {
			m[f.str()] = f.anyValue(depth + 1)
		}
		return m
	case 5:
		return []any{f.str(), nil, int64(3)}
	case 6:
		return map[string]string{f.str(): f.str(), "k": "v"}
	case 7:
		s := f.str()
		return &s
	default:
		return nil
	}
}
