package catalog

import (
	"strings"
	"testing"
)

func TestDecimalAmount(t *testing.T) {
	whole := func(n int64) *int64 { return &n }
	cases := []struct {
		in    string
		canon string
		whole *int64
		err   string
	}{
		{in: "0", canon: "0", whole: whole(0)},
		{in: "-0", canon: "0", whole: whole(0)},
		// Found by FuzzDecimalAmount: a zero with a fraction was "0.0".
		{in: "0e-2", canon: "0", whole: whole(0)},
		{in: "0.000", canon: "0", whole: whole(0)},
		{in: "+7", canon: "7", whole: whole(7)},
		{in: "1500", canon: "1500", whole: whole(1500)},
		{in: "001500", canon: "1500", whole: whole(1500)},
		{in: "1500.000", canon: "1500", whole: whole(1500)},
		{in: "1000.50", canon: "1000.5"},
		{in: "123.45", canon: "123.45"},
		{in: ".5", canon: "0.5"},
		{in: "5.", canon: "5", whole: whole(5)},
		{in: "0.000000000001", canon: "0.000000000001"},
		{in: "1.5e2", canon: "150", whole: whole(150)},
		{in: "15E-1", canon: "1.5"},
		{in: "1e-12", canon: "0.000000000001"},
		{in: "999999999999999999", canon: "999999999999999999", whole: whole(999999999999999999)},
		{in: "1e-13", err: "at most 12 decimal places"},
		{in: "0.0000000000001", err: "at most 12 decimal places"},
		{in: "1.0000000000001", err: "at most 12 decimal places"},
		{in: "-1", err: "greater than or equal to 0"},
		{in: "-0.5", err: "greater than or equal to 0"},
		{in: "1e19", err: "too large"},
		{in: "1e1000", err: "exponent"},
		{in: "", err: "not a decimal"},
		{in: "abc", err: "not a decimal"},
		{in: "1.2.3", err: "not a decimal"},
	}
	for _, c := range cases {
		canon, w, err := decimalAmount(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || canon != c.canon || (w == nil) != (c.whole == nil) || (w != nil && *w != *c.whole) {
			t.Errorf("%q: %q %v %v, want %q %v", c.in, canon, deref(w), err, c.canon, deref(c.whole))
		}
	}
}

// FuzzDecimalAmount checks that whatever decimalAmount accepts, it renders
// in a canonical form it reads back unchanged.
func FuzzDecimalAmount(f *testing.F) {
	for _, s := range []string{"0", "1000.50", "1.5e2", ".5", "-0", "1e-12"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		canon, w, err := decimalAmount(s)
		if err != nil {
			return
		}
		again, w2, err := decimalAmount(canon)
		if err != nil || again != canon || (w == nil) != (w2 == nil) {
			t.Fatalf("%q → %q → %q %v", s, canon, again, err)
		}
		if strings.ContainsAny(canon, "eE+-") || strings.HasSuffix(canon, ".") ||
			(strings.Contains(canon, ".") && strings.HasSuffix(canon, "0")) {
			t.Fatalf("%q → non-canonical %q", s, canon)
		}
	})
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
