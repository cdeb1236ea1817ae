package jsonw_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"unicode/utf8"

	"github.com/payd/payd/internal/jsonw"
	"github.com/payd/payd/internal/testutil/jsoncheck"
)

// Every byte value, alone and among others, and random strings of them.
func TestAppendString_AgreesWithEncodingJSON(t *testing.T) {
	var inputs []string
	for c := range 256 {
		inputs = append(inputs, string([]byte{byte(c)}), "a"+string([]byte{byte(c)})+"b")
	}
	inputs = append(inputs, "\u2028", "\u2029", "x\u2028y\u2029z", "\ufffd", string(utf8.RuneError), "\xed\xa0\x80", "😀")
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, r.IntN(24))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		inputs = append(inputs, string(b))
	}
	for _, s := range inputs {
		want, _ := json.Marshal(s)
		if got := jsonw.AppendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	}
}

type sample struct {
	S  string            `json:"s"`
	P  *string           `json:"p"`
	I  int64             `json:"i"`
	PI *int64            `json:"pi"`
	B  bool              `json:"b"`
	L  []string          `json:"l"`
	M  map[string]string `json:"m"`
	R  json.RawMessage   `json:"r"`
	A  any               `json:"a"`
	MA map[string]any    `json:"ma"`
	N  *inner            `json:"n"`
}

type inner struct {
	X string `json:"x"`
	Y any    `json:"y"`
}

func (n *inner) AppendJSON(b []byte) ([]byte, error) {
	if n == nil {
		return append(b, "null"...), nil
	}
	var err error
	b = jsonw.String(b, `{"x":`, n.X)
	b = jsonw.Value(b, `,"y":`, n.Y, &err)
	return append(b, '}'), err
}

func TestFields_AgreeWithEncodingJSON(t *testing.T) {
	jsoncheck.Agrees(t, func(v *sample) ([]byte, error) {
		var err error
		b := jsonw.String(nil, `{"s":`, v.S)
		b = jsonw.OptString(b, `,"p":`, v.P)
		b = jsonw.Int(b, `,"i":`, v.I)
		b = jsonw.OptInt(b, `,"pi":`, v.PI)
		b = jsonw.Bool(b, `,"b":`, v.B)
		b = jsonw.Strings(b, `,"l":`, v.L)
		b = jsonw.StringMap(b, `,"m":`, v.M)
		b = jsonw.Raw(b, `,"r":`, v.R)
		b = jsonw.Value(b, `,"a":`, v.A, &err)
		b = jsonw.Value(b, `,"ma":`, v.MA, &err)
		if v.N != nil {
			b = jsonw.Value(b, `,"n":`, v.N, &err) // an Appender among values
		} else {
			b = append(b, `,"n":null`...)
		}
		return append(b, '}'), err
	})
}

// A value encoding/json refuses is an error, not a silent gap, and the
// first error is the one kept.
func TestValue_ReportsAnEncodingError(t *testing.T) {
	var err error
	b := jsonw.Value(nil, `{"c":`, make(chan int), &err)
	first := err
	jsonw.Value(b, `,"f":`, func() {}, &err)
	if first == nil || err != first {
		t.Fatalf("errors: %v, then %v", first, err)
	}
}

// An empty raw value still leaves valid JSON.
func TestRaw_EmptyIsNull(t *testing.T) {
	b := jsonw.Raw([]byte("{"), `"shipping":`, json.RawMessage{})
	if b = append(b, '}'); !json.Valid(b) || string(b) != `{"shipping":null}` {
		t.Fatalf("got %s", b)
	}
}
