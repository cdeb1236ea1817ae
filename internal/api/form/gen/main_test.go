package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestSchemasUpToDate fails when schemas.json was edited by hand or the
// generator changed without regenerating, either of which would make the
// embedded schemas disagree with the spec they claim to come from.
func TestSchemasUpToDate(t *testing.T) {
	root := filepath.Join("..", "..", "..", "..")
	spec, err := os.ReadFile(filepath.Join(root, "spec", "stripe", "spec3.json"))
	if err != nil {
		t.Skipf("spec not available: %v", err)
	}
	want, err := generate(spec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", "schemas.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("internal/api/form/schemas.json is stale; run go generate ./internal/api/form")
	}
}

func TestIncluded(t *testing.T) {
	for path, want := range map[string]bool{
		"/v1/customers":                        true,
		"/v1/customers/{customer}/tax_ids":     true,
		"/v1/customer_sessions":                true,
		"/v1/test_helpers/confirmation_tokens": true,
		"/v1/customersx":                       false,
		"/v1/invoices":                         false,
		"/v1/test_helpers/test_clocks":         false,
	} {
		if got := included(path); got != want {
			t.Errorf("included(%q) = %v", path, got)
		}
	}
}
