package form

import (
	"reflect"
	"testing"

	"github.com/payd/payd/internal/errs"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want []Pair
	}{
		{``, nil},
		{`a=b&c=d&e=f`, []Pair{{"a", "b"}, {"c", "d"}, {"e", "f"}}},
		{`a=b&a=c`, []Pair{{"a", "b"}, {"a", "c"}}},
		{`x=%20&%20=x`, []Pair{{"x", " "}, {" ", "x"}}},
		{`x=+&+=x`, []Pair{{"x", " "}, {" ", "x"}}},
		{`x=%2c&%2C=x`, []Pair{{"x", ","}, {",", "x"}}},
		{`a%5Bb%5D=c`, []Pair{{"a[b]", "c"}}},
		{`a=b%3Dc%26d`, []Pair{{"a", "b=c&d"}}},
		{`a=b=c`, []Pair{{"a", "b=c"}}},
		{`flag`, []Pair{{"flag", ""}}},
		{`a=`, []Pair{{"a", ""}}},
		{`a=1&&b=2&`, []Pair{{"a", "1"}, {"b", "2"}}},
		{`=x&a=1`, []Pair{{"a", "1"}}},
		{`a=1;b=2`, []Pair{{"a", "1;b=2"}}},
		{`name=%C3%A9t%C3%A9`, []Pair{{"name", "été"}}},
		{`?a=b`, []Pair{{"?a", "b"}}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseMalformed(t *testing.T) {
	for _, in := range []string{`%`, `a=%`, `a=%4`, `a=%zz`, `%g0=1`, `a=b&c=%2`, `a=%ff`, `%c3=x`} {
		_, err := Parse(in)
		e, ok := errs.As(err)
		if !ok || e.Status != 400 || e.Type != errs.TypeInvalidRequest || e.Param != "" {
			t.Errorf("Parse(%q): got %v, want a 400 invalid_request_error", in, err)
		}
	}
}

func TestParseKeepsStringsWithoutEscapes(t *testing.T) {
	// The common case must not copy: the value aliases the input.
	in := "email=jenny@example.com"
	got, _ := Parse(in)
	if got[0].Value != "jenny@example.com" {
		t.Fatal(got)
	}
	if allocs := testing.AllocsPerRun(100, func() { Parse(in) }); allocs > 1 {
		t.Errorf("Parse allocated %v times for an escape-free body, want 1", allocs)
	}
}
