package form

import (
	"math/rand/v2"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/payd/payd/internal/errs"
)

// TestRandomSchemaBodies complements the fuzzer, which rarely stumbles on
// real parameter names: it builds bodies from paths that exist in each
// operation's schema, with values of every shape, and checks the same
// contract: no panic, only 400 *errs.Error, only documented output types.
func TestRandomSchemaBodies(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	values := []string{"", "true", "false", "abc", "0", "-1", "42", "1.5", "1e3", "+5", "now", "usd", "*",
		strings.Repeat("x", 5001), "99999999999999999999"}
	n := 40
	if testing.Short() {
		n = 5
	}
	for _, key := range opKeys() {
		s, _ := Operation(key)
		for i := 0; i < n; i++ {
			var pairs []string
			for j := r.IntN(8); j >= 0; j-- {
				path, enum := randomPath(r, s, "", 0)
				if path == "" {
					continue
				}
				v := values[r.IntN(len(values))]
				if len(enum) > 0 && r.IntN(2) == 0 {
					v = enum[r.IntN(len(enum))]
				}
				pairs = append(pairs, url.QueryEscape(path)+"="+url.QueryEscape(v))
			}
			raw := strings.Join(pairs, "&")
			out, err := DecodeRequest(raw, key)
			if err != nil {
				e, ok := err.(*errs.Error)
				if !ok || e.Status != 400 || e.Type != errs.TypeInvalidRequest || e.Message == "" {
					t.Fatalf("%s %q: %v", key, raw, err)
				}
				continue
			}
			checkTree(t, out)
		}
	}
}

// randomPath walks s to a random depth, choosing among declared
// properties, array index styles, map keys and the occasional unknown name.
func randomPath(r *rand.Rand, s *Schema, prefix string, depth int) (string, []string) {
	if len(s.AnyOf) > 0 {
		return randomPath(r, s.AnyOf[r.IntN(len(s.AnyOf))], prefix, depth)
	}
	wrap := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "[" + k + "]"
	}
	switch s.Type {
	case "object":
		if prefix != "" && r.IntN(6) == 0 {
			return prefix, nil // a string where a hash belongs
		}
		names := make([]string, 0, len(s.Properties))
		for k := range s.Properties {
			names = append(names, k)
		}
		sort.Strings(names)
		if len(names) == 0 || r.IntN(12) == 0 {
			if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
				return randomPath(r, s.AdditionalProperties.Schema, wrap("k"+itoaSmall(r)), depth+1)
			}
			return wrap("bogus"), nil
		}
		name := names[r.IntN(len(names))]
		return randomPath(r, s.Properties[name], wrap(name), depth+1)
	case "array":
		idx := []string{"", "0", "1", "7", "10001", "x"}[r.IntN(6)]
		if s.Items == nil {
			return prefix + "[" + idx + "]", nil
		}
		return randomPath(r, s.Items, prefix+"["+idx+"]", depth+1)
	}
	if r.IntN(10) == 0 {
		return prefix + "[z]", nil // a hash where a scalar belongs
	}
	return prefix, s.Enum
}

func itoaSmall(r *rand.Rand) string { return string(rune('a' + r.IntN(26))) }
