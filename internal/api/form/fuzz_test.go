package form

import (
	"sort"
	"testing"

	"github.com/payd/payd/internal/errs"
)

// opKeys lists every embedded operation so the fuzzer can exercise all of
// their schemas, not just one.
func opKeys() []string {
	opsOnce.Do(loadOperations)
	keys := make([]string, 0, len(ops))
	for k := range ops {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func FuzzDecodeRequest(f *testing.F) {
	keys := opKeys()
	at := func(key string) uint16 {
		i := sort.SearchStrings(keys, key)
		if i == len(keys) || keys[i] != key {
			f.Fatalf("no operation %s", key)
		}
		return uint16(i)
	}
	cust, upd, list := at("POST /v1/customers"), at("POST /v1/customers/{customer}"), at("GET /v1/customers")
	pi, cs, prod := at("POST /v1/payment_intents"), at("POST /v1/checkout/sessions"), at("POST /v1/products")
	seeds := []struct {
		raw string
		op  uint16
	}{
		{customerBody, cust},
		{"", cust},
		{"address[foo]=x", cust},
		{"metadata[k]=v&metadata[gone]=&metadata=", cust},
		{"address=&metadata=&description=", upd},
		{"invoice_settings[custom_fields][0][name]=a&invoice_settings[custom_fields][0][value]=b", cust},
		{"preferred_locales[]=en&preferred_locales[]=fr&expand[0]=x", cust},
		{"a=1&a[b]=2", cust},
		{"a[]=1&a[0]=2", cust},
		{"expand[99999999999999999999]=x", cust},
		{"balance=-9223372036854775808", cust},
		{"%zz=1&b=%", cust},
		{"limit=5&created[gte]=123", list},
		{"created=123&created[lt]=1", list},
		{"obj[][k1]=v1&obj[][k2][]=v2&obj[][k1]=x", cust},
		{"amount=1&currency=usd&payment_method_options[card][installments][plan][type]=fixed_count&off_session=one_off", pi},
		{"mode=payment&line_items[1][price]=p&line_items[0][quantity]=2&line_items[0][price_data][product_data][name]=x", cs},
		{"name=x&package_dimensions[height]=1e400&package_dimensions[width]=-.5", prod},
		{"email[a][b][c][d][e][f][g][h][i][j][k][l][m][n][o][p][q]=1", cust},
		{"tax_id_data[][type]=eu_vat&tax_id_data[][value]=1&tax_id_data[][type]=x", cust},
		{"metadata[k][]=v&name[]=a", cust},
	}
	for _, s := range seeds {
		f.Add(s.raw, s.op)
	}
	f.Fuzz(func(t *testing.T, raw string, op uint16) {
		key := keys[int(op)%len(keys)]
		out, err := DecodeRequest(raw, key)
		if err != nil {
			e, ok := err.(*errs.Error)
			if !ok {
				t.Fatalf("%s %q: error %T %v is not an *errs.Error", key, raw, err, err)
			}
			if e.Status != 400 || e.Type != errs.TypeInvalidRequest || e.Message == "" {
				t.Fatalf("%s %q: got %+v, want a 400 invalid_request_error with a message", key, raw, e)
			}
			return
		}
		checkTree(t, out)
		// The schema-free stages must hold the same contract.
		if pairs, err := Parse(raw); err == nil {
			if _, err := Decode(pairs); err != nil {
				if e, ok := err.(*errs.Error); !ok || e.Status != 400 {
					t.Fatalf("Decode(%q): %v", raw, err)
				}
			}
		}
	})
}

// checkTree asserts the output holds only the documented leaf types.
func checkTree(t *testing.T, v any) {
	switch x := v.(type) {
	case nil, string, int64, bool, float64:
	case map[string]any:
		for _, c := range x {
			checkTree(t, c)
		}
	case []any:
		for _, c := range x {
			checkTree(t, c)
		}
	default:
		t.Fatalf("unexpected %T in output", v)
	}
}
