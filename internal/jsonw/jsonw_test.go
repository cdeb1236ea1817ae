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

func (n *inner) AppendJSON(w *jsonw.Object) {
	w.String("x", n.X)
	w.Value("y", n.Y)
}

func TestObject_AgreesWithEncodingJSON(t *testing.T) {
	jsoncheck.Agrees(t, func(v *sample) ([]byte, error) {
		var w jsonw.Object
		w.Begin(nil)
		w.String("s", v.S)
		w.OptString("p", v.P)
		w.Int("i", v.I)
		w.OptInt("pi", v.PI)
		w.Bool("b", v.B)
		w.Strings("l", v.L)
		w.StringMap("m", v.M)
		w.Raw("r", v.R)
		w.Value("a", v.A)
		w.Value("ma", v.MA)
		if v.N != nil {
			w.Value("n", v.N) // an Appender among values
		} else {
			w.Null("n")
		}
		return w.End()
	})
}

// A value encoding/json refuses is an error, not a silent gap.
func TestObject_ReportsAnEncodingError(t *testing.T) {
	var w jsonw.Object
	w.Begin(nil)
	w.Value("c", make(chan int))
	if _, err := w.End(); err == nil {
		t.Fatal("no error for a channel")
	}
}
