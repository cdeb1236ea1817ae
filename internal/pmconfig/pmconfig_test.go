package pmconfig

import (
	"encoding/json"
	"regexp"
	"slices"
	"testing"

	"github.com/payd/payd/internal/customeraction"
)

// A method added to customeraction.Supported must be configurable, or
// Enabled would never offer it; a configuration field for a method payd
// does not process would render a method that cannot be paid with.
func TestConfiguration_HasExactlyTheSupportedMethods(t *testing.T) {
	c := fresh("pmc_x", DefaultName, true)
	for _, m := range customeraction.Supported {
		if c.method(m) == nil {
			t.Fatalf("%s is supported but has no configuration field", m)
		}
	}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatal(err)
	}
	settings := []string{"id", "object", "active", "application", "is_default", "livemode", "name", "parent"}
	for name := range fields {
		if !slices.Contains(settings, name) && !slices.Contains(customeraction.Supported, name) {
			t.Fatalf("field %s is neither a setting nor a supported method", name)
		}
		if !slices.Contains(settings, name) && c.method(name) == nil {
			t.Fatalf("field %s has no method() case", name)
		}
	}
	if len(fields) != len(settings)+len(customeraction.Supported) {
		t.Fatalf("fields: %s", data)
	}
}

func TestDefaultID_StableShapedAndPerAccount(t *testing.T) {
	re := regexp.MustCompile(`^pmc_[0-9A-Za-z]{16,}$`)
	a, b := DefaultID("acct_a"), DefaultID("acct_b")
	if !re.MatchString(a) || !re.MatchString(b) {
		t.Fatalf("ids %q %q", a, b)
	}
	if a == b || DefaultID("acct_a") != a {
		t.Fatalf("ids not per account and stable: %q %q", a, b)
	}
}

func TestPrefer(t *testing.T) {
	for _, tc := range []struct{ pref, value string }{{On, On}, {Off, Off}, {None, On}} {
		var m Method
		m.prefer(tc.pref)
		if m.DisplayPreference.Preference != tc.pref || m.DisplayPreference.Value != tc.value ||
			m.Available != (tc.value == On) || m.DisplayPreference.Overridable != nil {
			t.Fatalf("prefer(%s): %+v", tc.pref, m)
		}
	}
}
