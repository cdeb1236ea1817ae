package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const listenSynopsis = `Usage: payd listen --forward-to URL [--events TYPES] [--api-key KEY]

Receives payd's webhooks on a local port and forwards each event to your
application, signed with the secret it prints, like "stripe listen".

payd listen starts a receiver on 127.0.0.1, registers a webhook endpoint
(description "payd listen") that points payd at it, prints the endpoint's
signing secret, then for each event prints its type and id, POSTs the exact
payload to --forward-to with a fresh Stripe-Signature, and prints the status
your application answered. A forward that fails (no 2xx) is answered to payd
with 502, so payd retries it on its schedule. ^C deletes the endpoint.

payd must be able to reach 127.0.0.1 here: run listen on payd's machine.
`

const listenExamples = `Examples:
  payd listen --forward-to http://localhost:3000/webhook
  payd listen --forward-to localhost:3000/webhook --events payment_intent.succeeded,charge.refunded
`

// listenDescription marks the endpoints payd listen creates, so that a later
// run can find the one a crashed run left behind.
const listenDescription = "payd listen"

// listenHeader is set on the receiver's answer to GET: a second payd listen
// uses it to tell an endpoint whose listener is still running (leave it
// alone) from one left behind (reuse it).
const listenHeader = "Payd-Listen"

func listenCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("listen", listenSynopsis, listenExamples, stderr)
	var api apiFlags
	api.register(fs)
	forwardTo := fs.String("forward-to", "", "the `URL` to POST each event to, e.g. http://localhost:3000/webhook (required)")
	events := fs.String("events", "*", "comma-separated event `TYPES` to receive; * for all, customer.* for a family")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "payd listen: unexpected argument %q (did you mean --forward-to %s?)\n", pos[0], pos[0])
		return 2
	}
	target, err := forwardURL(*forwardTo)
	if err != nil {
		fmt.Fprintf(stderr, "payd listen: %v\n", err)
		return 2
	}
	types := splitList(*events)
	if len(types) == 0 {
		fmt.Fprintln(stderr, "payd listen: --events is empty; pass * for every event, e.g. --events '*'")
		return 2
	}
	c, err := api.client()
	if err != nil {
		fmt.Fprintf(stderr, "payd listen: %v\n", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(stderr, "payd listen: starting the local receiver: %v\n", err)
		return 1
	}
	receiverURL := "http://" + ln.Addr().String() + "/"
	cache := openSecretCache()
	ep, err := registerEndpoint(ctx, c, cache, receiverURL, types)
	if err != nil {
		ln.Close()
		if ctx.Err() != nil {
			return 0
		}
		fmt.Fprintf(stderr, "payd listen: registering the webhook endpoint: %v\n", err)
		return 1
	}

	out := &lockedWriter{w: stdout}
	r := &receiver{
		secret:    ep.Secret,
		forwardTo: target,
		out:       out,
		errOut:    &lockedWriter{w: stderr},
		http:      &http.Client{Timeout: 30 * time.Second},
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(out, "Ready! Your webhook signing secret is %s (^C to quit)\n", ep.Secret)

	code := 0
	select {
	case <-ctx.Done():
	case err := <-served:
		fmt.Fprintf(stderr, "payd listen: the local receiver stopped: %v\n", err)
		code = 1
	}
	// Delete first so payd stops sending, then let forwards in flight finish.
	cleanup, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.do(cleanup, http.MethodDelete, "/v1/webhook_endpoints/"+ep.ID, nil, nil); err != nil {
		fmt.Fprintf(stderr, "payd listen: deleting webhook endpoint %s: %v\n", ep.ID, err)
		code = 1
	} else {
		cache.drop(ep.ID)
	}
	shut, cancelShut := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelShut()
	if err := srv.Shutdown(shut); err != nil {
		srv.Close()
	}
	return code
}

// forwardURL checks --forward-to. Like stripe listen it accepts
// "localhost:3000/webhook" and means http.
func forwardURL(s string) (string, error) {
	if s == "" {
		return "", errors.New("--forward-to is required, e.g. --forward-to http://localhost:3000/webhook")
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--forward-to %q is not an http(s) URL, e.g. --forward-to http://localhost:3000/webhook", s)
	}
	return u.String(), nil
}

type webhookEndpoint struct {
	ID            string   `json:"id"`
	URL           string   `json:"url"`
	Description   string   `json:"description"`
	Secret        string   `json:"secret"`
	Status        string   `json:"status"`
	EnabledEvents []string `json:"enabled_events"`
}

func (e webhookEndpoint) objectID() string { return e.ID }

// registerEndpoint points a webhook endpoint at the receiver. It reuses an
// endpoint a previous payd listen left behind (killed before it could clean
// up) when it still knows that endpoint's secret, so the secret the
// application was given keeps working; leftovers whose secret is lost are
// deleted, since nothing can verify their deliveries.
func registerEndpoint(ctx context.Context, c *client, cache secretCache, receiverURL string, types []string) (webhookEndpoint, error) {
	params := url.Values{"url": {receiverURL}, "enabled_events[]": types}
	existing, err := listAll[webhookEndpoint](ctx, c, "/v1/webhook_endpoints", nil)
	if err != nil {
		return webhookEndpoint{}, err
	}
	secrets := cache.load()
	for _, ep := range existing {
		if ep.Description != listenDescription || listenerAlive(ctx, ep.URL) {
			continue
		}
		secret, ok := secrets[ep.ID]
		if !ok {
			if err := c.do(ctx, http.MethodDelete, "/v1/webhook_endpoints/"+ep.ID, nil, nil); err != nil {
				return webhookEndpoint{}, err
			}
			continue
		}
		update := url.Values{"disabled": {"false"}}
		for k, v := range params {
			update[k] = v
		}
		var got webhookEndpoint
		if err := c.do(ctx, http.MethodPost, "/v1/webhook_endpoints/"+ep.ID, update, &got); err != nil {
			return webhookEndpoint{}, err
		}
		got.Secret = secret
		return got, nil
	}
	params.Set("description", listenDescription)
	var ep webhookEndpoint
	if err := c.do(ctx, http.MethodPost, "/v1/webhook_endpoints", params, &ep); err != nil {
		return webhookEndpoint{}, err
	}
	if !strings.HasPrefix(ep.Secret, "whsec_") {
		return ep, fmt.Errorf("payd returned no signing secret for %s", ep.ID)
	}
	cache.put(ep.ID, ep.Secret)
	return ep, nil
}

// listenerAlive reports whether a payd listen still answers at u.
func listenerAlive(ctx context.Context, u string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.Header.Get(listenHeader) != ""
}

// receiver takes payd's deliveries and forwards them.
type receiver struct {
	secret    string
	forwardTo string
	out       *lockedWriter
	errOut    *lockedWriter
	http      *http.Client
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method == http.MethodGet {
		w.Header().Set(listenHeader, "1")
		fmt.Fprintf(w, "payd listen: forwarding webhooks to %s\n", r.forwardTo)
		return
	}
	if req.Method != http.MethodPost {
		http.Error(w, "payd listen takes POSTed events", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, 16<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// Only payd knows the secret: anything else that finds the port is not
	// forwarded under the application's trust.
	if !validSignature(req.Header.Get("Stripe-Signature"), body, r.secret) {
		r.errOut.printf("%s   payd listen: ignored a POST without a valid Stripe-Signature\n", clock(time.Now()))
		http.Error(w, "invalid Stripe-Signature", http.StatusBadRequest)
		return
	}
	var ev struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, "not an event: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.out.printf("%s   --> %s [%s]\n", clock(time.Now()), ev.Type, ev.ID)
	status, err := r.forward(req, body)
	if err != nil {
		r.out.printf("%s  <--  [ERROR] POST %s [%s]: %v\n", clock(time.Now()), r.forwardTo, ev.ID, err)
		http.Error(w, fmt.Sprintf("payd listen could not forward to %s: %v", r.forwardTo, err), http.StatusBadGateway)
		return
	}
	r.out.printf("%s  <--  [%d] POST %s [%s]\n", clock(time.Now()), status, r.forwardTo, ev.ID)
	if status/100 != 2 {
		http.Error(w, fmt.Sprintf("%s answered %d", r.forwardTo, status), http.StatusBadGateway)
		return
	}
	fmt.Fprintf(w, "%s answered %d\n", r.forwardTo, status)
}

// forward POSTs the payload unchanged, signed now: the application checks
// the timestamp, and a retry can come long after payd first signed it.
// The request's context ends the forward when payd stops waiting.
func (r *receiver) forward(in *http.Request, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(in.Context(), http.MethodPost, r.forwardTo, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if ua := in.Header.Get("User-Agent"); ua != "" {
		req.Header.Set("User-Agent", ua)
	}
	req.Header.Set("Stripe-Signature", signature(r.secret, time.Now(), body))
	resp, err := r.http.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// signature is Stripe's webhook signature header: t=<unix>,v1=<hex
// HMAC-SHA256 of "t.payload" keyed with the endpoint secret>.
func signature(secret string, t time.Time, payload []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(signPayload(secret, ts, payload))
}

func signPayload(secret, ts string, payload []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(payload)
	return m.Sum(nil)
}

// validSignature checks any v1 signature in header. It does not bound the
// timestamp's age: the receiver only needs to know the POST came from payd,
// and it re-signs with a fresh timestamp before forwarding anyway.
func validSignature(header string, payload []byte, secret string) bool {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	if ts == "" {
		return false
	}
	want := signPayload(secret, ts, payload)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return true
		}
	}
	return false
}

// lockedWriter keeps lines from concurrent deliveries whole.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (l *lockedWriter) printf(format string, args ...any) { fmt.Fprintf(l, format, args...) }

// secretCache remembers the signing secrets of the endpoints payd listen
// created, in the user's cache directory. payd, like Stripe, shows a secret
// only when the endpoint is created, so without this a leftover endpoint
// could not be reused. A missing or unreadable cache only means a new
// endpoint and a new secret.
type secretCache struct{ path string }

func openSecretCache() secretCache {
	dir, err := os.UserCacheDir()
	if err != nil {
		return secretCache{}
	}
	return secretCache{path: filepath.Join(dir, "payd", "listen-secrets.json")}
}

func (s secretCache) load() map[string]string {
	m := map[string]string{}
	if s.path == "" {
		return m
	}
	if b, err := os.ReadFile(s.path); err == nil {
		json.Unmarshal(b, &m)
	}
	return m
}

func (s secretCache) put(id, secret string) {
	m := s.load()
	m[id] = secret
	s.save(m)
}

func (s secretCache) drop(id string) {
	m := s.load()
	if _, ok := m[id]; ok {
		delete(m, id)
		s.save(m)
	}
}

// save writes through a rename so a concurrent reader never sees half a file.
func (s secretCache) save(m map[string]string) {
	if s.path == "" {
		return
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return
	}
	b, _ := json.Marshal(m)
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".listen-secrets-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	if cerr := tmp.Close(); werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		os.Remove(tmp.Name())
	}
}
