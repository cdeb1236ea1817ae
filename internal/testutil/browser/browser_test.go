package browser

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// shop serves a page shaped like payd's authorization page (a form with a
// hidden token and two submit buttons) and the merchant page it redirects
// to, so the helpers are tested without payd.
func shop(t *testing.T, extra string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /pay", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><html lang="en"><head><title>Pay</title></head><body><main>
<h1>Complete your payment</h1><div class="amount">€20.00</div>
<noscript>Scripts are off.</noscript>
<script>document.write("<p>Scripts are on.</p>")</script>
<form method="post"><input type="hidden" name="token" value="tok_1">
<button type="submit" name="action" value="authorize">Authorize  Test
 Payment</button>
<button type="submit" name="action" value="fail" aria-label="Fail Test Payment">✗</button>
</form>`+extra+`</main></body></html>`)
	})
	mux.HandleFunc("POST /pay", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.PostForm.Get("token") != "tok_1" {
			http.Error(w, "bad token", http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, "/done?order=7&result="+r.PostForm.Get("action"), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /done", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "thanks")
	})
	mux.HandleFunc("GET /gone", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusGone)
		fmt.Fprint(w, "<!doctype html><p>Link no longer valid</p>")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestClickFollowsFormAndRedirect(t *testing.T) {
	for _, tc := range []struct{ button, result string }{
		{"Authorize Test Payment", "authorize"},
		{"Fail Test Payment", "fail"}, // named by aria-label, not its text
	} {
		t.Run(tc.result, func(t *testing.T) {
			srv := shop(t, "")
			tab := New(t).Tab(t)
			if status := Navigate(tab, t, srv.URL+"/pay"); status != 200 {
				t.Fatalf("status %d", status)
			}
			text := Text(tab, t)
			for _, want := range []string{"Complete your payment", "€20.00", "Scripts are on."} {
				if !strings.Contains(text, want) {
					t.Errorf("text lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, "Scripts are off.") || strings.Contains(text, "tok_1") {
				t.Errorf("text shows what people do not see:\n%s", text)
			}
			if got, want := Buttons(tab, t), []string{"Authorize Test Payment", "Fail Test Payment"}; !slices.Equal(got, want) {
				t.Errorf("buttons %q, want %q", got, want)
			}
			Click(tab, t, tc.button)
			got := WaitURLPrefix(tab, t, srv.URL+"/done?")
			if want := srv.URL + "/done?order=7&result=" + tc.result; got != want {
				t.Errorf("ended at %s, want %s", got, want)
			}
			if text := WaitText(tab, t, "thanks"); text != "thanks" {
				t.Errorf("merchant page reads %q", text)
			}
		})
	}
}

func TestWithoutJavaScript(t *testing.T) {
	srv := shop(t, "")
	tab := New(t).Tab(t)
	DisableJavaScript(tab, t)
	Navigate(tab, t, srv.URL+"/pay")
	text := Text(tab, t)
	if !strings.Contains(text, "Scripts are off.") || strings.Contains(text, "Scripts are on.") {
		t.Fatalf("scripts still ran:\n%s", text)
	}
	Click(tab, t, "Authorize Test Payment")
	WaitURLPrefix(tab, t, srv.URL+"/done?order=7&result=authorize")

	// Tabs do not share settings: a new tab runs scripts again.
	other := New(t).Tab(t)
	Navigate(other, t, srv.URL+"/pay")
	if text := Text(other, t); !strings.Contains(text, "Scripts are on.") {
		t.Fatalf("a new tab inherited disabled scripts:\n%s", text)
	}
}

func TestNavigateStatus(t *testing.T) {
	srv := shop(t, "")
	tab := New(t).Tab(t)
	if status := Navigate(tab, t, srv.URL+"/gone"); status != http.StatusGone {
		t.Fatalf("status %d, want 410", status)
	}
	if text := Text(tab, t); text != "Link no longer valid" {
		t.Fatalf("text %q", text)
	}
	if b := Buttons(tab, t); len(b) != 0 {
		t.Fatalf("buttons %q", b)
	}
}

func TestScreenshot(t *testing.T) {
	srv := shop(t, "")
	tab := New(t).Tab(t)
	Navigate(tab, t, srv.URL+"/pay")
	path := filepath.Join(t.TempDir(), "page.png")
	if err := Screenshot(tab, path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 1000 || string(b[1:4]) != "PNG" {
		t.Fatalf("screenshot: %d bytes, %v", len(b), err)
	}
}

// TestClickFailures checks that a wrong click fails the test, quickly
// enough, with a message that says what the page had instead.
func TestClickFailures(t *testing.T) {
	for _, tc := range []struct {
		name, extra, button string
		want                []string
	}{
		{"missing", "", "Pay €20.00",
			[]string{`"Pay €20.00"`, `its buttons: ["Authorize Test Payment", "Fail Test Payment"]`, "€20.00"}},
		{"ambiguous", `<button>Fail Test Payment</button>`, "Fail Test Payment",
			[]string{`2 controls are named "Fail Test Payment" (button, button)`}},
		{"disabled", `<button disabled>Save</button>`, "Save",
			[]string{`the button "Save" is disabled`}},
		{"button and link", `<a href="/done">Fail Test Payment</a>`, "Fail Test Payment",
			[]string{`2 controls are named "Fail Test Payment" (button, link)`, `its links: ["Fail Test Payment"]`}},
		{"covered", `<button id=c>Covered</button><div style="position:fixed;inset:0;background:#fff8"></div>`, "Covered",
			[]string{"a <div> covers it"}},
		{"hidden", `<button style="display:none">Hidden</button>`, "Hidden",
			[]string{`its buttons: ["Authorize Test Payment", "Fail Test Payment"]`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := shop(t, tc.extra)
			tab := New(t).Tab(t)
			Navigate(tab, t, srv.URL+"/pay")
			defer func(d time.Duration) { WaitTimeout = d }(WaitTimeout)
			WaitTimeout = 2 * time.Second
			start := time.Now()
			msg := fatal(t, func(tb testing.TB) { Click(tab, tb, tc.button) })
			if msg == "" {
				t.Fatal("Click did not fail")
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
			if d := time.Since(start); d > 2*WaitTimeout {
				t.Errorf("took %v to fail", d)
			}
		})
	}
}

func TestExplicitPathMustExist(t *testing.T) {
	t.Setenv(PathEnv, filepath.Join(t.TempDir(), "no-such-chromium"))
	if msg := fatal(t, func(tb testing.TB) { New(tb) }); !strings.Contains(msg, "is not an executable") {
		t.Fatalf("message %q", msg)
	}
}

// TestWithoutBrowser checks the skip policy, as pgtest's: skip (loudly)
// by hand, fail where a skip would hide that nothing was tested.
func TestWithoutBrowser(t *testing.T) {
	defer func(c []string) { candidates = c }(candidates)
	candidates = []string{filepath.Join(t.TempDir(), "no-such-chromium"), "no-such-chromium-on-path"}
	t.Setenv(PathEnv, "")
	banner.Do(func() {}) // keep the banner out of this package's own output
	for _, tc := range []struct {
		ci, require string
		skip        bool
	}{
		{"", "", true},
		{"", "0", true},
		{"true", "", false},
		{"", "1", false},
	} {
		t.Setenv("CI", tc.ci)
		t.Setenv(RequireEnv, tc.require)
		r := &recorder{TB: t}
		msg := run(r, func(tb testing.TB) { New(tb) })
		switch {
		case msg == "":
			t.Errorf("CI=%q %s=%q: New neither skipped nor failed", tc.ci, RequireEnv, tc.require)
		case r.skipped != tc.skip:
			t.Errorf("CI=%q %s=%q: skipped=%v, want %v: %s", tc.ci, RequireEnv, tc.require, r.skipped, tc.skip, msg)
		case !strings.Contains(msg, "no Chromium found"):
			t.Errorf("message %q", msg)
		}
	}
}

func TestReapProfiles(t *testing.T) {
	// A directory of a process that cannot exist (pid above pid_max) goes,
	// this binary's own stays.
	dead, err := os.MkdirTemp("", dirPrefix+"99999999-")
	if err != nil {
		t.Fatal(err)
	}
	mine, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", dirPrefix, os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(mine)
	reapProfiles()
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		os.RemoveAll(dead)
		t.Errorf("dead binary's profile kept: %v", err)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("own profile removed: %v", err)
	}
}

// fatal runs f with a testing.TB whose Fatal records the message instead of
// failing t, and returns the message ("" if f did not fail).
func fatal(t *testing.T, f func(testing.TB)) string {
	return run(&recorder{TB: t}, f)
}

// run runs f with r on a goroutine of its own (Fatal and Skip end it) and
// returns the message r recorded.
func run(r *recorder, f func(testing.TB)) string {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.msg
}

// recorder is a testing.TB whose Fatal and Skip record the message and end
// the calling goroutine instead of ending the test.
type recorder struct {
	testing.TB
	mu      sync.Mutex
	msg     string
	skipped bool
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) { r.Fatal(fmt.Sprintf(format, args...)) }

func (r *recorder) Fatal(args ...any) { r.stop(false, args) }

func (r *recorder) Skip(args ...any) { r.stop(true, args) }

func (r *recorder) stop(skipped bool, args []any) {
	r.mu.Lock()
	r.msg, r.skipped = fmt.Sprint(args...), skipped
	r.mu.Unlock()
	runtime.Goexit()
}

// orderForm serves a form shaped like payd's checkout page (labelled
// fields, a select of countries, payment methods as radio buttons) whose
// POST echoes the fields it received, as name=value pairs, sorted. A
// script counts the input and change events the page sees.
func orderForm(t *testing.T, extra string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /order", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><html lang="en"><head><title>Order</title></head><body><main>
<form method="post" action="/order">
<label for="email">Email</label><input id="email" name="email" type="email" value="old@example.com">
<label>Card number <input name="card" inputmode="numeric"></label>
<label for="qty">Quantity</label><input id="qty" name="qty" type="number" min="1" max="5">
<label for="country">Country or region</label><select id="country" name="country">
<option value="DE">Germany</option><option value="US">United States</option><option value="GB">United Kingdom</option></select>
<fieldset><legend>Payment method</legend>
<label><input type="radio" name="method" value="card" checked> <span>Card</span></label>
<label><input type="radio" name="method" value="amazon_pay"> <span>Amazon Pay</span></label>
</fieldset>
<label><input type="checkbox" name="save" value="yes"> Save for later</label>
<label for="ref">Reference</label><input id="ref" name="ref" readonly value="R-1">
<label for="coupon">Coupon</label><input id="coupon" name="coupon" disabled>
<div style="display:none"><label for="hidden">Hidden field</label><input id="hidden" name="hidden"></div>
`+extra+`
<button>Place order</button>
</form>
<p id="log">no events</p>
<script>
let inputs = 0, changes = 0;
const log = () => { document.getElementById("log").textContent = "input events " + inputs + ", change events " + changes; };
document.addEventListener("input", () => { inputs++; log(); });
document.addEventListener("change", () => { changes++; log(); });
</script></main></body></html>`)
	})
	mux.HandleFunc("POST /order", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		var lines []string
		for k, vs := range r.PostForm {
			for _, v := range vs {
				lines = append(lines, k+"="+v)
			}
		}
		slices.Sort(lines)
		fmt.Fprintf(w, "<!doctype html><p>%s</p>", html.EscapeString(strings.Join(lines, "; ")))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestFillSelectCheck(t *testing.T) {
	for _, js := range []bool{true, false} {
		t.Run(fmt.Sprintf("javascript=%v", js), func(t *testing.T) {
			srv := orderForm(t, "")
			tab := New(t).Tab(t)
			if !js {
				DisableJavaScript(tab, t)
			}
			Navigate(tab, t, srv.URL+"/order")

			// What the page prefilled.
			if got := FieldValue(tab, t, "Email"); got != "old@example.com" {
				t.Errorf("Email reads %q, want the prefilled old@example.com", got)
			}
			if got := FieldValue(tab, t, "Country or region"); got != "DE" {
				t.Errorf("Country or region reads %q, want DE", got)
			}
			if got, want := Radios(tab, t), []string{"Card", "Amazon Pay"}; !slices.Equal(got, want) {
				t.Errorf("radios %q, want %q", got, want)
			}
			if got, want := Fields(tab, t), []string{"Email", "Card number", "Quantity", "Country or region", "Reference", "Coupon"}; !slices.Equal(got, want) {
				t.Errorf("fields %q, want %q", got, want)
			}
			if !Checked(tab, t, "Card") || Checked(tab, t, "Amazon Pay") || Checked(tab, t, "Save for later") {
				t.Error("the page does not start with Card alone checked")
			}

			Fill(tab, t, "Email", "new@example.com") // replaces, not appends
			if js {
				text := WaitText(tab, t, "input events")
				if strings.Contains(text, "input events 0") || strings.Contains(text, "change events 0") {
					t.Errorf("Fill fired no input or change event: %s", text)
				}
			}
			Fill(tab, t, "Card number", "4242424242424242")
			Fill(tab, t, "Quantity", "3")
			Select(tab, t, "Country or region", "United States") // by text
			if got := FieldValue(tab, t, "Country or region"); got != "US" {
				t.Errorf("after choosing United States the select reads %q", got)
			}
			Select(tab, t, "Country or region", "GB") // by value
			Check(tab, t, "Amazon Pay")
			Check(tab, t, "Amazon Pay") // already on: nothing to do
			Check(tab, t, "Save for later")
			if Checked(tab, t, "Card") || !Checked(tab, t, "Amazon Pay") || !Checked(tab, t, "Save for later") {
				t.Error("Check did not move the choice to Amazon Pay and tick Save for later")
			}
			if got := FieldValue(tab, t, "Card number"); got != "4242424242424242" {
				t.Errorf("Card number reads %q", got)
			}
			Click(tab, t, "Place order")
			text := WaitText(tab, t, "email=")
			// Not the disabled Coupon; the hidden field, as browsers do.
			want := "card=4242424242424242; country=GB; email=new@example.com; hidden=; method=amazon_pay; qty=3; ref=R-1; save=yes"
			if text != want {
				t.Errorf("the server received\n%s\nwant\n%s", text, want)
			}
		})
	}
}

func TestFillClears(t *testing.T) {
	srv := orderForm(t, "")
	tab := New(t).Tab(t)
	Navigate(tab, t, srv.URL+"/order")
	Fill(tab, t, "Email", "")
	if got := FieldValue(tab, t, "Email"); got != "" {
		t.Fatalf("Email reads %q after clearing", got)
	}
}

func TestClickRadioAndLink(t *testing.T) {
	srv := orderForm(t, `<a href="/order?again=1">Start again</a>`)
	tab := New(t).Tab(t)
	Navigate(tab, t, srv.URL+"/order")
	Click(tab, t, "Amazon Pay")
	if !Checked(tab, t, "Amazon Pay") {
		t.Error("clicking the radio button did not check it")
	}
	if got, want := Links(tab, t), []string{"Start again"}; !slices.Equal(got, want) {
		t.Errorf("links %q, want %q", got, want)
	}
	Click(tab, t, "Start again")
	WaitURLPrefix(tab, t, srv.URL+"/order?again=1")
}

// TestFormFailures checks that filling what a person could not fill fails
// the test with a message that says why.
func TestFormFailures(t *testing.T) {
	for _, tc := range []struct {
		name, extra string
		do          func(context.Context, testing.TB)
		want        []string
	}{
		{"read-only", "", func(ctx context.Context, t testing.TB) { Fill(ctx, t, "Reference", "R-2") },
			[]string{"the text field is read-only"}},
		{"disabled", "", func(ctx context.Context, t testing.TB) { Fill(ctx, t, "Coupon", "FREE") },
			[]string{"the text field is disabled"}},
		{"hidden", "", func(ctx context.Context, t testing.TB) { Fill(ctx, t, "Hidden field", "x") },
			[]string{`no single text field named "Hidden field"`, `its fields: ["Email", "Card number"`}},
		{"not a text field", "", func(ctx context.Context, t testing.TB) { Fill(ctx, t, "Country or region", "US") },
			[]string{`no single text field named "Country or region"`}},
		{"refused", "", func(ctx context.Context, t testing.TB) { Fill(ctx, t, "Quantity", "many") },
			[]string{`it holds "" after typing`}},
		{"ambiguous", `<label for="e2">Email</label><input id="e2" name="e2">`,
			func(ctx context.Context, t testing.TB) { Fill(ctx, t, "Email", "a@example.com") },
			[]string{`2 controls are named "Email" (textbox, textbox)`}},
		{"no option", "", func(ctx context.Context, t testing.TB) { Select(ctx, t, "Country or region", "France") },
			[]string{`no option matches; its options: "DE" (Germany), "US" (United States), "GB" (United Kingdom)`}},
		{"select missing", "", func(ctx context.Context, t testing.TB) { Select(ctx, t, "Shipping country", "US") },
			[]string{`no single select named "Shipping country"`}},
		{"check missing", "", func(ctx context.Context, t testing.TB) { Check(ctx, t, "PayPal") },
			[]string{`no single radio button or checkbox named "PayPal"`, `its choices: ["Card", "Amazon Pay", "Save for later"]`}},
		{"value missing", "", func(ctx context.Context, t testing.TB) { FieldValue(ctx, t, "IBAN") },
			[]string{`no single field named "IBAN"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := orderForm(t, tc.extra)
			tab := New(t).Tab(t)
			Navigate(tab, t, srv.URL+"/order")
			defer func(d time.Duration) { WaitTimeout = d }(WaitTimeout)
			WaitTimeout = time.Second
			msg := fatal(t, func(tb testing.TB) { tc.do(tab, tb) })
			if msg == "" {
				t.Fatal("it did not fail")
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
		})
	}
}

// TestClickBelowTheFold: a control below the window's bottom edge is
// scrolled to and clicked (hit-testing must allow for the scroll).
func TestClickBelowTheFold(t *testing.T) {
	srv := orderForm(t, `<div style="height:2000px"></div><label><input type="radio" name="method" value="far"> Far away</label>`)
	tab := New(t).Tab(t)
	Navigate(tab, t, srv.URL+"/order")
	Check(tab, t, "Far away")
	Click(tab, t, "Place order")
	if text := WaitText(tab, t, "method="); !strings.Contains(text, "method=far") {
		t.Fatalf("the server received %s", text)
	}
}

// TestTextLeavesOutValues: Text is what the page says, not what its fields
// hold.
func TestTextLeavesOutValues(t *testing.T) {
	srv := orderForm(t, "")
	tab := New(t).Tab(t)
	Navigate(tab, t, srv.URL+"/order")
	Fill(tab, t, "Card number", "4242424242424242")
	text := Text(tab, t)
	if strings.Contains(text, "4242") || strings.Contains(text, "old@example.com") {
		t.Errorf("the text shows field values:\n%s", text)
	}
	if !strings.Contains(text, "Card number") || !strings.Contains(text, "Payment method") {
		t.Errorf("the text lacks the labels:\n%s", text)
	}
}
