package event

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/payd/payd/internal/testutil/jsoncheck"
)

// TestMarshal_MatchesEncodingJSON pins the hand-written rendering to what
// encoding/json makes of the same Event.
func TestMarshal_MatchesEncodingJSON(t *testing.T) {
	rid, key := "req_1", `key "with" \ quotes`
	for _, e := range []Event{
		{ID: "evt_1", Object: "event", APIVersion: "2026-08-26.dahlia", Created: 1700000000, Type: "customer.created",
			Data: Data{Object: json.RawMessage(`{"id":"cus_1","object":"customer"}`)}, Request: &Request{}},
		{ID: "evt_2", Object: "event", APIVersion: "2026-08-26.dahlia", Created: 1, Type: "customer.updated", PendingWebhooks: 3,
			Data:    Data{Object: json.RawMessage(`{"id":"cus_1"}`), PreviousAttributes: map[string]any{"name": nil, "metadata": map[string]any{"a": "1"}}},
			Request: &Request{ID: &rid, IdempotencyKey: &key}},
		{ID: "evt_3", Object: "event", APIVersion: "v", Created: -5, Type: "a<b>&c\u2028é\x01",
			Data: Data{Object: json.RawMessage(`null`)}, Request: &Request{IdempotencyKey: &key}},
		{ID: "evt_4", Object: "event", Type: "t", Data: Data{Object: json.RawMessage(`{}`)}},
	} {
		want, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	}
}

func TestMarshal_AgreesWithEncodingJSON(t *testing.T) {
	jsoncheck.Agrees(t, func(e *Event) ([]byte, error) { return e.marshal() })
}
