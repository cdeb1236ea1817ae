package api

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/payd/payd/internal/money"
	"github.com/payd/payd/internal/paymentintent"
	"github.com/payd/payd/internal/processor"
	"github.com/payd/payd/internal/setupintent"
	"github.com/payd/payd/internal/store"
)

// pageRoutes registers payd's own pages, outside Stripe's /v1: the test
// authorization page that redirect methods and 3-D Secure send the
// customer to, for PaymentIntents and SetupIntents alike.
func (s *Server) pageRoutes() {
	s.mux.HandleFunc("GET /_payd/authorize/{intent}", s.authorizePage)
	s.mux.HandleFunc("POST /_payd/authorize/{intent}", s.authorizeSubmit)
}

var authorizeTmpl = template.Must(template.New("authorize").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · payd test mode</title>
<style>
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1f36;background:#f6f8fa}
body{margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;border-radius:12px;box-shadow:0 4px 24px rgba(26,31,54,.08);padding:32px;max-width:420px;width:calc(100% - 48px)}
.badge{display:inline-block;font-size:12px;font-weight:600;letter-spacing:.04em;text-transform:uppercase;color:#a0521b;background:#fff4e5;border-radius:4px;padding:2px 8px}
h1{font-size:20px;margin:16px 0 4px}p{color:#4f566b;line-height:1.5}
.amount{font-size:32px;font-weight:600;margin:8px 0 24px;color:#1a1f36}
form{display:flex;gap:12px;flex-wrap:wrap}
button{flex:1;font:inherit;font-weight:600;border-radius:8px;padding:12px 16px;cursor:pointer;border:1px solid transparent}
.ok{background:#635bff;color:#fff}.ok:hover{background:#5249e0}
.fail{background:#fff;color:#c0123c;border-color:#e3e8ee}.fail:hover{border-color:#c0123c}
</style></head><body><main>
<span class="badge">Test mode</span>
<h1>{{.Title}}</h1>
{{if .Amount}}<div class="amount">{{.Amount}}</div>{{end}}
<p>{{.Message}}</p>
{{if .Token}}<form method="post">
<input type="hidden" name="token" value="{{.Token}}">
<button class="ok" type="submit" name="action" value="authorize">Authorize Test Payment</button>
<button class="fail" type="submit" name="action" value="fail">Fail Test Payment</button>
</form>{{end}}
</main></body></html>`))

type authorizeView struct {
	Title, Amount, Message, Token string
}

func (s *Server) authorizePage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	var a pending
	err := s.store.View(r.Context(), func(tx store.Tx) error {
		var err error
		a, err = s.pendingAction(r.Context(), tx, r.PathValue("intent"), token)
		return err
	})
	v := authorizeView{Title: "Complete your payment", Token: token}
	if a.currency != "" { // SetupIntents have no amount
		v.Amount = money.Format(a.amount, a.currency)
	}
	if a.setup {
		v.Title = "Set up your payment method"
	}
	switch {
	case isStale(err):
		v = authorizeView{Title: "Link no longer valid",
			Message: "This authorization link has already been used or was replaced by a newer attempt. Nothing was charged by opening it."}
		renderPage(w, http.StatusGone, v)
		return
	case err != nil:
		v = authorizeView{Title: "Payment not found", Message: "There is no payment waiting for authorization at this address."}
		renderPage(w, http.StatusNotFound, v)
		return
	}
	if a.kind == processor.ActionThreeDS {
		v.Title = "3D Secure test authentication"
		v.Message = "This page stands in for the card issuer's 3D Secure challenge. Choose how the authentication ends."
	} else {
		v.Message = "This page stands in for the payment provider. Choose how the authorization ends."
	}
	renderPage(w, http.StatusOK, v)
}

// pending is a customer's step as the page needs it, for either kind of
// intent: PaymentIntents (pi_) and SetupIntents (seti_) share the page.
type pending struct {
	setup                                   bool
	intentID, clientSecret, kind, returnURL string
	amount                                  int64
	currency                                string
}

func isSetupIntent(intentID string) bool {
	return strings.HasPrefix(intentID, setupintent.Prefix+"_")
}

// pendingAction dispatches on the id's prefix to the intent's service.
func (s *Server) pendingAction(ctx context.Context, tx store.Tx, intentID, token string) (pending, error) {
	if isSetupIntent(intentID) {
		a, _, err := s.setups.PendingAction(ctx, tx, intentID, token)
		return pending{setup: true, intentID: a.IntentID, clientSecret: a.ClientSecret, kind: a.Kind, returnURL: a.ReturnURL}, err
	}
	a, _, err := s.intents.PendingAction(ctx, tx, intentID, token)
	return pending{intentID: a.IntentID, clientSecret: a.ClientSecret, kind: a.Kind, returnURL: a.ReturnURL,
		amount: a.Amount, currency: a.Currency}, err
}

// finishAction finishes the step on the intent the id names. A SetupIntent
// also learns the customer's browser, which a redirect method's mandate
// records as the online acceptance.
func (s *Server) finishAction(r *http.Request, tx store.Tx, intentID, token string, approve bool) ([]byte, error) {
	ctx := r.Context()
	if isSetupIntent(intentID) {
		client := setupintent.Client{IPAddress: clientIP(r), UserAgent: r.UserAgent()}
		return s.setups.Authenticate(ctx, tx, intentID, token, approve, client)
	}
	return s.intents.Authenticate(ctx, tx, intentID, token, approve)
}

func isStale(err error) bool {
	return errors.Is(err, paymentintent.ErrStaleAction) || errors.Is(err, setupintent.ErrStaleAction)
}

// authorizeSubmit finishes the action, then sends the customer back to the
// return_url with Stripe's query parameters. A JSON client (the browser
// library completing use_stripe_sdk) asks with format=json.
func (s *Server) authorizeSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	token, approve := r.PostForm.Get("token"), r.PostForm.Get("action") == "authorize"
	wantJSON := r.PostForm.Get("format") == "json"
	intentID := r.PathValue("intent")
	var a pending
	var data []byte
	err := s.store.Update(r.Context(), func(tx store.Tx) error {
		var err error
		if a, err = s.pendingAction(r.Context(), tx, intentID, token); err != nil {
			return err
		}
		data, err = s.finishAction(r, tx, intentID, token, approve)
		return err
	})
	if err != nil {
		if wantJSON {
			s.writeError(w, r, err)
			return
		}
		if isStale(err) {
			renderPage(w, http.StatusGone, authorizeView{Title: "Link no longer valid",
				Message: "This payment was already authorized or failed through this link; it was not processed again."})
			return
		}
		s.log.Error("authorize", "err", err)
		renderPage(w, http.StatusInternalServerError, authorizeView{Title: "Something went wrong", Message: "The payment could not be updated. Try again."})
		return
	}
	var intent struct {
		Status string `json:"status"`
	}
	json.Unmarshal(data, &intent)
	if wantJSON {
		writeJSON(w, r, http.StatusOK, publicView(data))
		return
	}
	if a.returnURL == "" {
		title := "Authentication complete"
		if intent.Status == string(paymentintent.RequiresPaymentMethod) {
			title = "Authentication failed"
		}
		renderPage(w, http.StatusOK, authorizeView{Title: title, Message: "You can close this window and return to the merchant."})
		return
	}
	object := "payment_intent"
	if a.setup {
		object = "setup_intent"
	}
	http.Redirect(w, r, returnURL(a.returnURL, object, a.intentID, a.clientSecret, redirectStatus(intent.Status)), http.StatusSeeOther)
}

// redirectStatus is the redirect_status Stripe appends to return_url. The
// statuses it names are spelled the same by SetupIntents.
func redirectStatus(status string) string {
	switch paymentintent.Status(status) {
	case paymentintent.Succeeded, paymentintent.RequiresCapture:
		return "succeeded"
	case paymentintent.Processing:
		return "processing"
	}
	return "failed"
}

// returnURL appends Stripe's parameters to the merchant's return_url, as
// Stripe does: its own query string stays exactly as written, in its
// order and encoding, before them. object is payment_intent or
// setup_intent, which name the parameters (setup_intent,
// setup_intent_client_secret).
func returnURL(base, object, intentID, secret, status string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	ours := object + "=" + url.QueryEscape(intentID) +
		"&" + object + "_client_secret=" + url.QueryEscape(secret) +
		"&redirect_status=" + url.QueryEscape(status)
	if u.RawQuery != "" {
		ours = u.RawQuery + "&" + ours
	}
	u.RawQuery, u.ForceQuery = ours, false
	return u.String()
}

func renderPage(w http.ResponseWriter, status int, v authorizeView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	authorizeTmpl.Execute(w, v)
}
