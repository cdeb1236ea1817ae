package param

import "testing"

func TestWithout(t *testing.T) {
	m := Map{"client_secret": "pi_1_secret_2", "return_url": "https://example.com", "metadata": map[string]any{"a": "b"}}
	got := m.Without("client_secret")
	if got.Has("client_secret") || got.Str("return_url") != "https://example.com" || got.Map("metadata").Str("a") != "b" || len(got) != 2 {
		t.Fatalf("Without = %v", got)
	}
	if m.Str("client_secret") != "pi_1_secret_2" || len(m) != 3 {
		t.Fatalf("Without changed its receiver: %v", m)
	}
}
