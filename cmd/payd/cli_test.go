package main_test

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"
)

// These tests run payd's client commands (listen, trigger, events) as
// processes against a real payd serve, the way a developer does.

// cli runs "payd args…" against p and returns its combined output.
func cli(t *testing.T, p *proc, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "PAYD_API_KEY="+p.secret, "PAYD_API_BASE="+p.url)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

var recorded = regexp.MustCompile(`payd recorded (\S+) \[(evt_\w+)\]`)

// trigger runs "payd trigger typ" and returns the id of the event it made.
func trigger(t *testing.T, p *proc, typ string) string {
	t.Helper()
	out, err := cli(t, p, "trigger", typ)
	m := recorded.FindStringSubmatch(out)
	if err != nil || m == nil || m[1] != typ {
		t.Fatalf("payd trigger %s: %v\n%s", typ, err, out)
	}
	return m[2]
}

// lineProc is a long-running client command (listen, events tail) whose
// stdout lines the test waits for.
type lineProc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  strings.Builder
	more chan struct{} // closed and replaced on every line
	done chan error
}

func startLines(t *testing.T, env []string, args ...string) *lineProc {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	lp := &lineProc{cmd: cmd, more: make(chan struct{}), done: make(chan error, 1)}
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = writerFunc(func(b []byte) (int, error) {
		lp.mu.Lock()
		defer lp.mu.Unlock()
		return lp.out.Write(b)
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lp.mu.Lock()
			lp.out.WriteString(sc.Text() + "\n")
			close(lp.more)
			lp.more = make(chan struct{})
			lp.mu.Unlock()
		}
	}()
	go func() {
		<-scanned
		lp.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-lp.done
		lp.done <- nil
		if t.Failed() {
			t.Logf("payd %s output:\n%s", args[0], lp.output())
		}
	})
	return lp
}

func (lp *lineProc) output() string {
	lp.mu.Lock()
	defer lp.mu.Unlock()
	return lp.out.String()
}

// waitFor waits until the output matches re and returns the match.
func (lp *lineProc) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		lp.mu.Lock()
		m := re.FindStringSubmatch(lp.out.String())
		more := lp.more
		lp.mu.Unlock()
		if m != nil {
			return m
		}
		select {
		case <-more:
		case err := <-lp.done:
			lp.done <- err
			if m := re.FindStringSubmatch(lp.output()); m != nil {
				return m
			}
			t.Fatalf("exited (%v) without printing %s:\n%s", err, re, lp.output())
		case <-deadline:
			t.Fatalf("no %s after 30s:\n%s", re, lp.output())
		}
	}
}

// interrupt sends SIGINT and returns the exit error.
func (lp *lineProc) interrupt(t *testing.T) error {
	t.Helper()
	lp.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-lp.done:
		lp.done <- err
		return err
	case <-time.After(15 * time.Second):
		t.Fatalf("still running 15s after SIGINT:\n%s", lp.output())
		return nil
	}
}

var readyLine = regexp.MustCompile(`Ready! Your webhook signing secret is (whsec_\S+) \(\^C to quit\)`)

// delivery is one POST the application under test received.
type delivery struct {
	body []byte
	sig  string
}

// appReceiver is the application payd listen forwards to. It answers with
// status (200 unless the test changes it).
type appReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []delivery
	status int
	more   chan struct{}
}

func newAppReceiver(t *testing.T) *appReceiver {
	a := &appReceiver{status: 200, more: make(chan struct{})}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.got = append(a.got, delivery{b, r.Header.Get("Stripe-Signature")})
		status := a.status
		close(a.more)
		a.more = make(chan struct{})
		a.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(a.Close)
	return a
}

// waitEvent waits until the app has received the event n times, checks
// every copy with stripe-go's ConstructEvent and returns the verified event.
func (a *appReceiver) waitEvent(t *testing.T, secret, evtID string, n int) stripe.Event {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		a.mu.Lock()
		var copies []delivery
		for _, d := range a.got {
			if strings.Contains(string(d.body), `"id":"`+evtID+`"`) {
				copies = append(copies, d)
			}
		}
		more := a.more
		a.mu.Unlock()
		if len(copies) >= n {
			var ev stripe.Event
			for _, d := range copies {
				var err error
				if ev, err = webhook.ConstructEvent(d.body, d.sig, secret); err != nil {
					t.Fatalf("%s forwarded with a signature ConstructEvent refuses: %v\n%s", evtID, err, d.body)
				}
			}
			if ev.ID != evtID {
				t.Fatalf("verified event is %s, want %s", ev.ID, evtID)
			}
			return ev
		}
		select {
		case <-more:
		case <-deadline:
			t.Fatalf("the app received %s %d times, want %d", evtID, len(copies), n)
		}
	}
}

func listEndpoints(t *testing.T, p *proc) []map[string]any {
	t.Helper()
	status, body := p.do(t, "GET", "/v1/webhook_endpoints", "")
	if status != 200 {
		t.Fatalf("list webhook endpoints: %d %s", status, body)
	}
	var page struct{ Data []map[string]any }
	json.Unmarshal([]byte(body), &page)
	return page.Data
}

// TestListenTrigger_EndToEnd is the developer's loop: payd serve, payd
// listen forwarding to an application, payd trigger. The application
// receives each event with a signature stripe-go accepts for the secret
// listen printed; listen shows each event and the application's answer;
// resend delivers again; ^C removes the endpoint.
func TestListenTrigger_EndToEnd(t *testing.T) {
	p := start(t, t.TempDir(), nil)
	app := newAppReceiver(t)
	listen := startLines(t, []string{"PAYD_API_KEY=" + p.secret, "XDG_CACHE_HOME=" + t.TempDir()},
		"listen", "--forward-to", app.URL+"/webhook", "--api-base", p.url)
	secret := listen.waitFor(t, readyLine)[1]
	out, err := cli(t, p, "listen", "--forward-to", app.URL, "--api-key", "sk_test_wrong")
	if err == nil || !strings.Contains(out, "the API key was refused: pass --api-key or set PAYD_API_KEY") {
		t.Fatalf("listen with a wrong key: %v\n%s", err, out)
	}
	eps := listEndpoints(t, p)
	if len(eps) != 1 || eps[0]["description"] != "payd listen" || eps[0]["secret"] != nil {
		t.Fatalf("after listen is ready, endpoints = %v", eps)
	}

	created := trigger(t, p, "customer.created")
	succeeded := trigger(t, p, "payment_intent.succeeded")
	if ev := app.waitEvent(t, secret, created, 1); ev.Type != "customer.created" {
		t.Fatalf("type %s", ev.Type)
	}
	if ev := app.waitEvent(t, secret, succeeded, 1); ev.Type != "payment_intent.succeeded" {
		t.Fatalf("type %s", ev.Type)
	}
	for _, ev := range []struct{ typ, id string }{{"customer.created", created}, {"payment_intent.succeeded", succeeded}} {
		listen.waitFor(t, regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d   --> `+regexp.QuoteMeta(ev.typ+" ["+ev.id+"]")))
		listen.waitFor(t, regexp.MustCompile(`<--  \[200\] POST `+regexp.QuoteMeta(app.URL+"/webhook ["+ev.id+"]")))
	}

	// A resend reaches the application again, and resend shows the attempt.
	out, err = cli(t, p, "events", "resend", created)
	if err != nil || !strings.Contains(out, "Resending "+created) || !strings.Contains(out, "[200]") {
		t.Fatalf("payd events resend: %v\n%s", err, out)
	}
	app.waitEvent(t, secret, created, 2)
	out, err = cli(t, p, "events", "deliveries", created)
	if err != nil || strings.Count(out, "[200]") < 2 {
		t.Fatalf("payd events deliveries: %v\n%s", err, out)
	}

	if err := listen.interrupt(t); err != nil {
		t.Fatalf("listen after SIGINT: %v\n%s", err, listen.output())
	}
	if eps := listEndpoints(t, p); len(eps) != 0 {
		t.Fatalf("endpoints left after ^C: %v", eps)
	}
}

// TestTrigger_EveryEventType runs every fixture: each must create its
// objects and find the event it promises.
func TestTrigger_EveryEventType(t *testing.T) {
	p := start(t, t.TempDir(), nil)
	out, _ := cli(t, p, "trigger", "--help")
	types := regexp.MustCompile(`(?m)^  ([a-z_]+(?:\.[a-z_]+)+) `).FindAllStringSubmatch(out, -1)
	if len(types) < 21 || !strings.Contains(out, "checkout.session.completed") || !strings.Contains(out, "payment_link.updated") {
		t.Fatalf("trigger --help lists %d event types:\n%s", len(types), out)
	}
	for _, m := range types {
		trigger(t, p, m[1])
	}
	out, _ = cli(t, p, "trigger", "payment_intent.requires_action")
	if !strings.Contains(out, "/_payd/authorize/pi_") {
		t.Fatalf("requires_action does not print where to authorize:\n%s", out)
	}
}

// TestEventsTail_PrintsNewEventsOnly starts tail after some history and
// sees only what happens next, filtered by --types.
func TestEventsTail_PrintsNewEventsOnly(t *testing.T) {
	p := start(t, t.TempDir(), nil)
	old := trigger(t, p, "customer.created")
	env := []string{"PAYD_API_KEY=" + p.secret, "PAYD_API_BASE=" + p.url}
	all := startLines(t, env, "events", "tail")
	charges := startLines(t, env, "events", "tail", "--types", "charge.*")
	all.waitFor(t, regexp.MustCompile(`Ready! Tailing`))
	charges.waitFor(t, regexp.MustCompile(`Ready! Tailing`))

	created := trigger(t, p, "customer.created")
	refunded := trigger(t, p, "charge.refunded")
	all.waitFor(t, regexp.MustCompile(`customer.created \[`+created+`\] cus_`))
	all.waitFor(t, regexp.MustCompile(`charge.refunded \[`+refunded+`\] ch_`))
	charges.waitFor(t, regexp.MustCompile(`charge.refunded \[`+refunded+`\]`))
	// Let a few more polls run: nothing may be printed twice.
	time.Sleep(2500 * time.Millisecond)
	if err := all.interrupt(t); err != nil {
		t.Fatalf("tail after SIGINT: %v", err)
	}
	charges.interrupt(t)
	got := all.output()
	if strings.Contains(got, old) {
		t.Fatalf("tail printed an event from before it started:\n%s", got)
	}
	if strings.Count(got, created) != 1 || strings.Count(got, refunded) != 1 {
		t.Fatalf("tail printed an event twice:\n%s", got)
	}
	if c := charges.output(); strings.Contains(c, "customer.") || strings.Contains(c, "payment_intent.") || !strings.Contains(c, "charge.succeeded") {
		t.Fatalf("--types charge.* printed:\n%s", c)
	}
}

// TestCLI_HelpAndErrorsNameTheFix checks every command's --help and that
// each mistake is answered with what to do about it.
func TestCLI_HelpAndErrorsNameTheFix(t *testing.T) {
	for _, args := range [][]string{
		{"help"}, {"listen", "--help"}, {"trigger", "--help"}, {"events", "--help"},
		{"events", "tail", "--help"}, {"events", "resend", "--help"}, {"events", "deliveries", "--help"},
		{"help", "listen"},
	} {
		out, err := exec.Command(binary, args...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Usage:") {
			t.Errorf("payd %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if out, _ := exec.Command(binary, "help").CombinedOutput(); !strings.Contains(string(out), "payd listen --forward-to") {
		t.Errorf("payd help does not list listen:\n%s", out)
	}

	p := start(t, t.TempDir(), nil)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // a port where nothing listens
	for _, c := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"listen"}, "payd listen: --forward-to is required, e.g. --forward-to http://localhost:3000/webhook"},
		{nil, []string{"listen", "--forward-to", "ftp://x"}, "is not an http(s) URL"},
		{[]string{"PAYD_API_KEY="}, []string{"trigger", "customer.created", "--api-base", p.url}, "no API key: pass --api-key or set PAYD_API_KEY (payd serve prints the keys)"},
		{nil, []string{"trigger", "customer.created", "--api-base", p.url, "--api-key", "sk_test_wrong"},
			"the API key was refused: pass --api-key or set PAYD_API_KEY (payd serve prints the keys)"},
		{nil, []string{"events", "tail", "--api-base", p.url, "--api-key", "sk_test_wrong"}, "the API key was refused"},
		{nil, []string{"trigger", "customer.created", "--api-base", closed.URL, "--api-key", p.secret},
			"is payd running at " + closed.URL + "? start it with payd serve"},
		{nil, []string{"trigger", "invoice.paid", "--api-key", p.secret}, "supported: charge.failed, charge.refunded"},
		{nil, []string{"trigger"}, "name one event type, e.g. payd trigger payment_intent.succeeded"},
		{nil, []string{"events", "resend", "cus_123"}, `"cus_123" is not an event id (evt_…)`},
		{nil, []string{"events", "resend", "evt_123", "--endpoint", "https://x"}, "is not a webhook endpoint id (we_…)"},
		{nil, []string{"events", "frobnicate"}, `unknown command "frobnicate"`},
	} {
		cmd := exec.Command(binary, c.args...)
		cmd.Env = append(append(os.Environ(), "PAYD_API_KEY=", "PAYD_API_BASE="), c.env...)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) {
			t.Errorf("payd %s: exit %v, want a message containing %q, got:\n%s", strings.Join(c.args, " "), err, c.want, out)
		}
	}
	if out, _ := exec.Command(binary, "trigger", "--help").CombinedOutput(); strings.Contains(string(out), p.secret) {
		t.Errorf("--help prints the key")
	}
}

// fakePayd serves just the webhook endpoints API, so that payd listen's own
// behaviour (re-signing, 502 on a failed forward, refusing unsigned posts,
// reusing a leftover endpoint) is tested without depending on payd's
// delivery worker.
type fakePayd struct {
	*httptest.Server
	mu        sync.Mutex
	endpoints map[string]map[string]any
	secrets   map[string]string
	n         int
}

func newFakePayd(t *testing.T) *fakePayd {
	f := &fakePayd{endpoints: map[string]map[string]any{}, secrets: map[string]string{}}
	mux := http.NewServeMux()
	write := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("POST /v1/webhook_endpoints", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		f.mu.Lock()
		defer f.mu.Unlock()
		f.n++
		id := fmt.Sprintf("we_fake%d", f.n)
		b := make([]byte, 16)
		rand.Read(b)
		secret := "whsec_" + hex.EncodeToString(b)
		ep := map[string]any{"id": id, "object": "webhook_endpoint", "url": r.Form.Get("url"),
			"enabled_events": r.Form["enabled_events[]"], "description": r.Form.Get("description"), "status": "enabled"}
		f.endpoints[id], f.secrets[id] = ep, secret
		withSecret := map[string]any{"secret": secret}
		for k, v := range ep {
			withSecret[k] = v
		}
		write(w, withSecret)
	})
	mux.HandleFunc("GET /v1/webhook_endpoints", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		data := []any{}
		for _, ep := range f.endpoints {
			data = append(data, ep)
		}
		write(w, map[string]any{"object": "list", "data": data, "has_more": false})
	})
	mux.HandleFunc("POST /v1/webhook_endpoints/{id}", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		f.mu.Lock()
		defer f.mu.Unlock()
		ep := f.endpoints[r.PathValue("id")]
		if ep == nil {
			http.NotFound(w, r)
			return
		}
		ep["url"], ep["enabled_events"] = r.Form.Get("url"), r.Form["enabled_events[]"]
		write(w, ep)
	})
	mux.HandleFunc("DELETE /v1/webhook_endpoints/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.endpoints, r.PathValue("id"))
		write(w, map[string]any{"id": r.PathValue("id"), "object": "webhook_endpoint", "deleted": true})
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// only returns the one endpoint and its secret.
func (f *fakePayd) only(t *testing.T) (map[string]any, string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.endpoints) != 1 {
		t.Fatalf("%d endpoints, want 1: %v", len(f.endpoints), f.endpoints)
	}
	for id, ep := range f.endpoints {
		return ep, f.secrets[id]
	}
	return nil, ""
}

// deliver POSTs an event to url as payd does, signed with secret.
func deliver(t *testing.T, url, secret, evtID string) int {
	t.Helper()
	body := fmt.Sprintf(`{"id":%q,"object":"event","api_version":%q,"created":%d,"data":{"object":{"id":"cus_1","object":"customer"}},"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":"customer.created"}`,
		evtID, stripe.APIVersion, time.Now().Unix())
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if secret != "" {
		s := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: []byte(body), Secret: secret, Timestamp: time.Now().Add(-time.Hour)})
		req.Header.Set("Stripe-Signature", s.Header)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestListen_FakePayd(t *testing.T) {
	f := newFakePayd(t)
	app := newAppReceiver(t)
	cache := t.TempDir()
	env := []string{"PAYD_API_KEY=sk_test_fake", "PAYD_API_BASE=" + f.URL, "XDG_CACHE_HOME=" + cache}
	listen := startLines(t, env, "listen", "--forward-to", app.URL, "--events", "customer.created, charge.refunded")
	secret := listen.waitFor(t, readyLine)[1]
	ep, epSecret := f.only(t)
	if secret != epSecret || ep["description"] != "payd listen" || fmt.Sprint(ep["enabled_events"]) != "[customer.created charge.refunded]" {
		t.Fatalf("listen registered %v (secret %s), printed %s", ep, epSecret, secret)
	}
	url := ep["url"].(string)

	// Signed an hour ago (a late retry): forwarded with a fresh signature
	// that ConstructEvent's 5-minute tolerance accepts.
	if status := deliver(t, url, secret, "evt_one"); status != 200 {
		t.Fatalf("delivery answered %d", status)
	}
	app.waitEvent(t, secret, "evt_one", 1)

	// The application failing makes listen answer 502, so payd retries.
	app.mu.Lock()
	app.status = 500
	app.mu.Unlock()
	if status := deliver(t, url, secret, "evt_two"); status != 502 {
		t.Fatalf("a forward answered 500 gave payd %d, want 502", status)
	}
	listen.waitFor(t, regexp.MustCompile(`<--  \[500\] POST `+regexp.QuoteMeta(app.URL)+` \[evt_two\]`))

	// Without payd's signature nothing is forwarded.
	if status := deliver(t, url, "whsec_wrong", "evt_forged"); status != 400 {
		t.Fatalf("a forged delivery answered %d, want 400", status)
	}
	if status := deliver(t, url, "", "evt_unsigned"); status != 400 {
		t.Fatalf("an unsigned delivery answered %d, want 400", status)
	}
	app.mu.Lock()
	n := len(app.got)
	app.mu.Unlock()
	if n != 2 || strings.Contains(listen.output(), "evt_forged") {
		t.Fatalf("the app got %d posts, want 2 (forged ones dropped)\n%s", n, listen.output())
	}

	// A second listen while the first runs gets its own endpoint.
	second := startLines(t, env, "listen", "--forward-to", app.URL)
	if s := second.waitFor(t, readyLine)[1]; s == secret {
		t.Fatal("a second listen took over the running one's endpoint")
	}
	if err := second.interrupt(t); err != nil {
		t.Fatal(err)
	}

	// A listen killed without cleanup leaves its endpoint; the next one
	// reuses it, with the same secret and the new receiver.
	listen.cmd.Process.Kill()
	<-listen.done
	listen.done <- nil
	again := startLines(t, env, "listen", "--forward-to", app.URL)
	if s := again.waitFor(t, readyLine)[1]; s != secret {
		t.Fatalf("after a crash listen printed a new secret %s, want the reused %s", s, secret)
	}
	ep2, _ := f.only(t)
	if ep2["id"] != ep["id"] || ep2["url"] == url || fmt.Sprint(ep2["enabled_events"]) != "[*]" {
		t.Fatalf("leftover endpoint not reused: before %v, after %v", ep, ep2)
	}
	if err := again.interrupt(t); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	left := len(f.endpoints)
	f.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d endpoints left after ^C", left)
	}
}
