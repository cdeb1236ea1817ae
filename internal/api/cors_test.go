package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/testutil/browser"
	"github.com/payd/payd/internal/testutil/paydtest"
)

// TestCORS_KeyParameterAndPreflight: a browser library on the merchant's
// page sends its publishable key as the key parameter, which keeps its
// requests simple (no preflight); a request with an Authorization header
// is preflighted, and payd answers it. Every API response may be read
// from any origin.
func TestCORS_KeyParameterAndPreflight(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		acct := srv.Accounts[0]
		pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethodTypes: []*string{stripe.String("card")},
			Metadata: map[string]string{"internal": "x"}})
		if err != nil {
			t.Fatal(err)
		}
		origin := []string{"Origin", "https://shop.example"}

		// Retrieve and confirm with the key as a parameter.
		q := url.Values{"key": {acct.Publishable}, "client_secret": {pi.ClientSecret}}
		res := srv.Do("GET", "/v1/payment_intents/"+pi.ID+"?"+q.Encode(), "", "", origin...)
		if res.Status != 200 || res.Header.Get("Access-Control-Allow-Origin") != "*" || strings.Contains(res.Body, `"internal"`) {
			t.Fatalf("retrieve with key=: %d %v %s", res.Status, res.Header, res.Body)
		}
		body := url.Values{"key": {acct.Publishable}, "client_secret": {pi.ClientSecret}, "payment_method": {"pm_card_visa"}}
		res = srv.Do("POST", "/v1/payment_intents/"+pi.ID+"/confirm", "", body.Encode(), origin...)
		var got struct{ Status string }
		json.Unmarshal([]byte(res.Body), &got)
		if res.Status != 200 || got.Status != "succeeded" || res.Header.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(res.Header.Get("Access-Control-Expose-Headers"), "Request-Id") {
			t.Fatalf("confirm with key=: %d %v %s", res.Status, res.Header, res.Body)
		}

		// A secret key is not taken as a parameter, a publishable one
		// only where it is allowed, and no key is still no key.
		body = url.Values{"key": {acct.Secret}, "email": {"jenny@example.com"}}
		res = srv.Do("POST", "/v1/customers", "", body.Encode(), origin...)
		if e := apiError(t, res); res.Status != 401 || !strings.Contains(e.Message, "Authorization header") {
			t.Fatalf("secret key as key=: %d %s", res.Status, res.Body)
		}
		body = url.Values{"key": {acct.Publishable}, "email": {"jenny@example.com"}}
		res = srv.Do("POST", "/v1/customers", "", body.Encode(), origin...)
		if e := apiError(t, res); res.Status != 403 || e.Code != "secret_key_required" {
			t.Fatalf("publishable key= on a secret-only endpoint: %d %s", res.Status, res.Body)
		}
		res = srv.Do("POST", "/v1/customers", "", "email=jenny%40example.com", origin...)
		if res.Status != 401 {
			t.Fatalf("no key: %d %s", res.Status, res.Body)
		}
		for c, err := range sc.V1Customers.List(ctx, nil).All(ctx) {
			t.Fatalf("a refused request made a customer: %+v %v", c, err)
		}
		// With the header, a key parameter is an unknown parameter.
		res = srv.Do("GET", "/v1/payment_intents/"+pi.ID+"?key=x", acct.Secret, "")
		if e := apiError(t, res); res.Status != 400 || e.Param != "key" {
			t.Fatalf("key= beside the header: %d %s", res.Status, res.Body)
		}

		// The preflight of a request with an Authorization header.
		req, _ := http.NewRequest("OPTIONS", srv.URL+"/v1/payment_intents/"+pi.ID+"/confirm", nil)
		req.Header.Set("Origin", "https://shop.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type, stripe-version")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if resp.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
			h.Get("Access-Control-Allow-Headers") != "authorization, content-type, stripe-version" {
			t.Fatalf("preflight: %d %v", resp.StatusCode, h)
		}
		// Pages are not the API: no cross-origin reads of them.
		res = srv.Do("GET", "/_payd/checkout/cs_test_nope", "", "", origin...)
		if res.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("a page allows cross-origin reads: %v", res.Header)
		}
	})
}

// TestBrowser_CrossOriginConfirm: a script on the merchant's own page (an
// origin other than payd's) retrieves and confirms a PaymentIntent with
// the publishable key and client secret, once as a simple request (key
// parameter) and once with an Authorization header (preflighted), as a
// browser library does. Chromium enforces CORS: without payd's headers
// both fetches fail.
func TestBrowser_CrossOriginConfirm(t *testing.T) {
	paydtest.Each(t, func(t *testing.T, e paydtest.Engine) {
		b := browser.New(t)
		srv := paydtest.New(t, e)
		sc := srv.Client(0)
		pi, err := createPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethodTypes: []*string{stripe.String("card")}})
		if err != nil {
			t.Fatal(err)
		}
		pk := srv.Accounts[0].Publishable
		page := fmt.Sprintf(`<!doctype html><title>shop</title><p id="out">waiting</p><script>
const api = %q, id = %q, secret = %q, pk = %q;
const out = document.getElementById("out");
(async () => {
  try {
    const r1 = await fetch(api + "/v1/payment_intents/" + id + "?client_secret=" + encodeURIComponent(secret),
      {headers: {"Authorization": "Bearer " + pk}});
    const pi1 = await r1.json();
    const r2 = await fetch(api + "/v1/payment_intents/" + id + "/confirm", {method: "POST",
      headers: {"Content-Type": "application/x-www-form-urlencoded"},
      body: new URLSearchParams({key: pk, client_secret: secret, payment_method: "pm_card_visa"})});
    const pi2 = await r2.json();
    out.textContent = "retrieved " + pi1.status + ", confirmed " + pi2.status + " (" + r2.headers.get("Request-Id") + ")";
  } catch (e) {
    out.textContent = "failed: " + e;
  }
})();
</script>`, srv.URL, pi.ID, pi.ClientSecret, pk)
		shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(page))
		}))
		t.Cleanup(shop.Close)
		tab := b.Tab(t)
		if status := browser.Navigate(tab, t, shop.URL+"/pay"); status != http.StatusOK {
			t.Fatalf("shop page: %d", status)
		}
		text := browser.WaitText(tab, t, "confirmed")
		if !strings.Contains(text, "retrieved requires_payment_method, confirmed succeeded (req_") {
			t.Fatalf("the page says: %s", text)
		}
		got, err := sc.V1PaymentIntents.Retrieve(ctx, pi.ID, nil)
		if err != nil || got.Status != stripe.PaymentIntentStatusSucceeded {
			t.Fatalf("after the browser's confirm: %+v %v", got, err)
		}
	})
}
