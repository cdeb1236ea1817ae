package api

import (
	"bytes"
	"encoding/json"
	"testing"
)

// The url is quoted as JSON quotes it (strconv.Quote's \x escapes are not
// JSON), so the envelope stays valid whatever the path held.
func TestListBody_IsValidJSON(t *testing.T) {
	for _, url := range []string{"/v1/payment_intents", "/v1/customers/cus_é\x01<x>\xff/payment_methods"} {
		body := listBody(url, true, [][]byte{[]byte(`{"id":"a"}`), []byte(`{"id":"b"}`)})
		var got struct {
			Object  string            `json:"object"`
			Data    []json.RawMessage `json:"data"`
			HasMore bool              `json:"has_more"`
			URL     string            `json:"url"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("%q: %v: %s", url, err, body)
		}
		want, _ := json.Marshal(url)
		if got.Object != "list" || len(got.Data) != 2 || !got.HasMore || !bytes.HasSuffix(body, append([]byte(`,"url":`), append(want, '}')...)) {
			t.Fatalf("%q: %s", url, body)
		}
	}
}
