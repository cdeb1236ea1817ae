package main_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/payd/payd/internal/testutil/pgtest"
)

// These tests run the real binary as separate processes: the command line
// contract, two nodes on one PostgreSQL, graceful shutdown and kill -9.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "payd-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "payd")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build payd: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type proc struct {
	cmd    *exec.Cmd
	url    string
	secret string
	out    *strings.Builder
	mu     *sync.Mutex
	done   chan error
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)
var secretKey = regexp.MustCompile(`secret key:\s+(\S+)`)

// start runs "payd serve args…" in dir and waits until it prints its
// address and keys.
func start(t *testing.T, dir string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	stdout, _ := cmd.StdoutPipe()
	p := &proc{cmd: cmd, out: &strings.Builder{}, mu: &sync.Mutex{}, done: make(chan error, 1)}
	cmd.Stderr = writerFunc(func(b []byte) (int, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.out.Write(b)
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.out.WriteString(line + "\n")
			if m := listening.FindStringSubmatch(line); m != nil {
				p.url = m[1]
			}
			if m := secretKey.FindStringSubmatch(line); m != nil && p.secret == "" {
				p.secret = m[1]
			}
			if strings.HasPrefix(line, "try: ") { // the last line payd prints when ready
				close(ready)
			}
			p.mu.Unlock()
		}
	}()
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("payd output:\n%s", p.output())
		}
	})
	select {
	case <-ready:
	case err := <-p.done:
		t.Fatalf("payd exited before it was ready: %v\n%s", err, p.output())
	case <-time.After(30 * time.Second):
		t.Fatalf("payd not ready after 30s:\n%s", p.output())
	}
	return p
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func (p *proc) do(t *testing.T, method, path, body string, header ...string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, p.url+path, rd)
	req.SetBasicAuth(p.secret, "")
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

var customerID = regexp.MustCompile(`"id":"(cus_[^"]+)"`)

func TestServe_ZeroConfigCreatesAccountOnce(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir, nil)
	if _, err := os.Stat(filepath.Join(dir, "payd.db")); err != nil {
		t.Fatalf("no payd.db in the working directory: %v", err)
	}
	if !strings.HasPrefix(p.secret, "sk_test_") || !strings.Contains(p.output(), "publishable key: pk_test_") {
		t.Fatalf("keys not printed:\n%s", p.output())
	}
	status, body := p.do(t, "POST", "/v1/customers", "email=jenny@example.com")
	if status != 200 {
		t.Fatalf("create: %d %s", status, body)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-p.done; err != nil {
		t.Fatalf("SIGTERM: exit %v\n%s", err, p.output())
	}
	p.done <- nil // for cleanup
	// A second start reuses the account and its keys and sees the data.
	q := start(t, dir, nil)
	if q.secret != p.secret {
		t.Fatalf("restart made new keys: %s vs %s", q.secret, p.secret)
	}
	if _, body := q.do(t, "GET", "/v1/customers", ""); !strings.Contains(body, "jenny@example.com") {
		t.Fatalf("data lost across restart: %s", body)
	}
}

func TestServe_DeclaredKeysAndEnv(t *testing.T) {
	dir := t.TempDir()
	docs := "sk_test_BQokikJOvBiI2HlWgH4olfQ2:pk_test_TYooMQauvdEDq54NiTphI7jx"
	other := "sk_test_second000000000000000:pk_test_second000000000000000"
	p := start(t, dir, []string{"PAYD_KEYS=" + docs + "," + other, "PAYD_DB=sqlite:" + filepath.Join(dir, "env.db")})
	if p.secret != "sk_test_BQokikJOvBiI2HlWgH4olfQ2" || !strings.Contains(p.output(), "sk_test_second000000000000000") {
		t.Fatalf("declared keys not used:\n%s", p.output())
	}
	if _, err := os.Stat(filepath.Join(dir, "env.db")); err != nil {
		t.Fatal("PAYD_DB ignored")
	}
	_, body := p.do(t, "POST", "/v1/customers", "email=a@example.com")
	id := customerID.FindStringSubmatch(body)
	if id == nil {
		t.Fatalf("create: %s", body)
	}
	// The second pair is its own account.
	q := *p
	q.secret = "sk_test_second000000000000000"
	if status, _ := q.do(t, "GET", "/v1/customers/"+id[1], ""); status != 404 {
		t.Fatalf("second account sees the first's customer: %d", status)
	}
}

func TestServe_BadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--db", "mysql://x"},
		{"serve", "--key", "nonsense"},
		{"serve", "--log-level", "loud"},
		{"frobnicate"},
	} {
		out, err := exec.Command(binary, args...).CombinedOutput()
		if err == nil {
			t.Fatalf("%v: exit 0\n%s", args, out)
		}
		if len(out) == 0 {
			t.Fatalf("%v: no message", args)
		}
	}
	out, err := exec.Command(binary, "version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "2026-08-26.dahlia") {
		t.Fatalf("version: %v %s", err, out)
	}
}

// TestServe_KillNineLosesNoAcknowledgedWrite creates customers, kills the
// process without warning, and checks that every acknowledged one is there.
func TestServe_KillNineLosesNoAcknowledgedWrite(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir, nil)
	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("POST", p.url+"/v1/customers", strings.NewReader("email=k@example.com"))
				req.SetBasicAuth(p.secret, "")
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the process is gone
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if m := customerID.FindSubmatch(b); resp.StatusCode == 200 && m != nil {
					mu.Lock()
					acked = append(acked, string(m[1]))
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(700 * time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.done <- nil
	close(stop)
	wg.Wait()
	if len(acked) < 50 {
		t.Fatalf("only %d creates acknowledged before the kill", len(acked))
	}
	q := start(t, dir, nil)
	for _, id := range acked {
		if status, body := q.do(t, "GET", "/v1/customers/"+id, ""); status != 200 || strings.Contains(body, `"deleted"`) {
			t.Fatalf("acknowledged %s lost after kill -9: %d %s", id, status, body)
		}
	}
	t.Logf("%d acknowledged creates, all present after kill -9", len(acked))
}

// TestServe_TwoProcessesOnePostgres runs two payd processes on one
// database: both serve the same accounts and data, and an Idempotency-Key
// used on both creates one object.
func TestServe_TwoProcessesOnePostgres(t *testing.T) {
	db := pgtest.URL(t)
	keys := "sk_test_BQokikJOvBiI2HlWgH4olfQ2:pk_test_TYooMQauvdEDq54NiTphI7jx"
	// Start both at once: migrations and account provisioning must not race.
	var a, b *proc
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a = start(t, t.TempDir(), nil, "--db", db, "--key", keys) }()
	go func() { defer wg.Done(); b = start(t, t.TempDir(), nil, "--db", db, "--key", keys) }()
	wg.Wait()
	if t.Failed() {
		return
	}
	for i := 0; i < 20; i++ {
		node := a
		if i%2 == 1 {
			node = b
		}
		if status, body := node.do(t, "POST", "/v1/customers", "email=n"+fmt.Sprint(i)+"@example.com"); status != 200 {
			t.Fatalf("create: %d %s", status, body)
		}
	}
	for _, node := range []*proc{a, b} {
		_, body := node.do(t, "GET", "/v1/customers?limit=100", "")
		if n := strings.Count(body, `"object":"customer"`); n != 20 {
			t.Fatalf("a node lists %d customers, want 20", n)
		}
	}
	var results sync.Map
	var wg2 sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			node := a
			if i%2 == 1 {
				node = b
			}
			status, body := node.do(t, "POST", "/v1/customers", "email=idem@example.com", "Idempotency-Key", "across-nodes")
			if status == 200 {
				results.Store(customerID.FindStringSubmatch(body)[1], true)
			} else if status != 409 {
				t.Errorf("status %d: %s", status, body)
			}
		}()
	}
	wg2.Wait()
	ids := 0
	results.Range(func(any, any) bool { ids++; return true })
	_, body := b.do(t, "GET", "/v1/customers?email="+url.QueryEscape("idem@example.com"), "")
	if n := strings.Count(body, `"object":"customer"`); n != 1 || ids != 1 {
		t.Fatalf("one key on two nodes: %d customers stored, %d distinct ids answered", n, ids)
	}
}
