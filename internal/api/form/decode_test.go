package form

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/payd/payd/internal/errs"
)

type m = map[string]any
type l = []any

func mustDecode(t *testing.T, raw string) map[string]any {
	t.Helper()
	pairs, err := Parse(raw)
	if err != nil {
		t.Fatalf("Parse(%q): %v", raw, err)
	}
	out, err := Decode(pairs)
	if err != nil {
		t.Fatalf("Decode(%q): %v", raw, err)
	}
	return out
}

func TestDecode(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]any
	}{
		{``, m{}},
		{`foo=bar`, m{"foo": "bar"}},
		{`a=1&b=2&c=3`, m{"a": "1", "b": "2", "c": "3"}},
		{`a=1&a=2`, m{"a": "2"}}, // last one wins, as in Rack
		{`map[key1]=value1&map[key2]=value2`, m{"map": m{"key1": "value1", "key2": "value2"}}},
		{`a[b][c]=x&a[b][d]=y&a[e]=z`, m{"a": m{"b": m{"c": "x", "d": "y"}, "e": "z"}}},
		{`arr[]=value1`, m{"arr": l{"value1"}}},
		{`a[]=x&a[]=y`, m{"a": l{"x", "y"}}},
		{`a[0]=x`, m{"a": l{"x"}}},
		{`expand[0]=a&expand[1]=b`, m{"expand": l{"a", "b"}}},
		// Sparse and unordered indexes sort numerically and close gaps.
		{`a[10]=z&a[2]=y&a[0]=x`, m{"a": l{"x", "y", "z"}}},
		{`a[0][b]=1&a[0][c]=2&a[1][b]=3`, m{"a": l{m{"b": "1", "c": "2"}, m{"b": "3"}}}},
		{`items[1][price]=p2&items[0][price]=p1&items[0][quantity]=2`, m{"items": l{m{"price": "p1", "quantity": "2"}, m{"price": "p2"}}}},
		// Rack-style grouping of a[][x]: a new element starts when a key repeats.
		{`obj[][k1]=v1&obj[][k2]=v2`, m{"obj": l{m{"k1": "v1", "k2": "v2"}}}},
		{`obj[][k1]=v1&obj[][k1]=v2`, m{"obj": l{m{"k1": "v1"}, m{"k1": "v2"}}}},
		{`obj[][k1][]=a&obj[][k1][]=b&obj[][k2][x]=c&obj[][k3]=d`, m{"obj": l{m{"k1": l{"a", "b"}, "k2": m{"x": "c"}, "k3": "d"}}}},
		{`arr[][]=v`, m{"arr": l{l{"v"}}}},
		{`obj[k][]=a&obj[k][]=b`, m{"obj": m{"k": l{"a", "b"}}}},
		// Keys that are not all canonical indexes keep a hash.
		{`metadata[0]=a&metadata[foo]=b`, m{"metadata": m{"0": "a", "foo": "b"}}},
		{`metadata[01]=a`, m{"metadata": m{"01": "a"}}},
		{`metadata[12345]=a`, m{"metadata": m{"12345": "a"}}},
		{`a[-1]=x`, m{"a": m{"-1": "x"}}},
		// Malformed bracket syntax is a literal name, left for the schema to reject.
		{`a[b=1`, m{"a[b": "1"}},
		{`a[b]c=1`, m{"a[b]c": "1"}},
		{`[a]=1`, m{"[a]": "1"}},
		{`a]=1`, m{"a]": "1"}},
		{`a[b[c]]=1`, m{"a[b[c]]": "1"}},
		{`a[]b=1`, m{"a[]b": "1"}},
		{`a[ ]=1`, m{"a": m{" ": "1"}}},
		{`a%5B0%5D=x`, m{"a": l{"x"}}},
	}
	for _, tt := range tests {
		if got := mustDecode(t, tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Decode(%q)\n got  %#v\n want %#v", tt.in, got, tt.want)
		}
	}
}

func TestDecodeConflicts(t *testing.T) {
	tests := []struct {
		in    string
		param string
	}{
		{`a=1&a[b]=2`, "a"},
		{`a[b]=2&a=1`, "a"},
		{`a[]=1&a[b]=2`, "a"},
		{`a[b]=2&a[]=1`, "a"},
		{`a[]=1&a[0]=2`, "a"},
		{`a[0]=2&a[]=1`, "a"},
		{`a[]=1&a=2`, "a"},
		{`a=2&a[]=1`, "a"},
		{`a[b][c]=1&a[b]=2`, "a[b]"},
		{`a[b]=1&a[b][c]=2`, "a[b]"},
		{`x[y][]=1&x[y][z]=2`, "x[y]"},
		{`a` + strings.Repeat("[b]", maxDepth+1) + `=1`, "a" + strings.Repeat("[b]", maxDepth+1)},
	}
	for _, tt := range tests {
		pairs, err := Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Decode(pairs)
		e, ok := errs.As(err)
		if !ok || e.Status != 400 || e.Type != errs.TypeInvalidRequest || e.Param != tt.param || e.Message == "" {
			t.Errorf("Decode(%q): got %#v, want a 400 naming %q", tt.in, err, tt.param)
		}
	}
	// Exactly maxDepth levels is still fine.
	mustDecode(t, `a`+strings.Repeat("[b]", maxDepth)+`=1`)
}

func TestDecodeLargeHashStaysLinear(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 20000; i++ {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString("metadata[k")
		b.WriteString(strconv.Itoa(i))
		b.WriteString("]=v")
	}
	got := mustDecode(t, b.String())
	if n := len(got["metadata"].(map[string]any)); n != 20000 {
		t.Fatalf("got %d keys", n)
	}
}
