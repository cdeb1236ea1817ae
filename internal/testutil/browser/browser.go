// Package browser drives a real, headless Chromium for tests of payd's
// hosted pages (the test authorization page, checkout, payment links).
//
// Raw HTTP tests prove what the server sends; only a browser proves that a
// person can use it: that the buttons are really buttons with the names the
// product promises, that the form submits without JavaScript, that the
// redirects end at the merchant with the right query string. So tests here
// find and click things the way people (and screen readers) see them: by
// role and accessible name, computed by Chromium's accessibility tree, never
// by CSS classes or ids that a redesign may rename.
//
// # One browser per test binary
//
// Starting Chromium costs about half a second; a tab costs a fifth of that.
// So the first New starts one Chromium for the whole test binary and every
// test gets its own tab in its own browser context (Tab: no cookies, storage
// or cache shared with other tests), closed when the test ends.
//
// Nothing stops that Chromium explicitly, because without TestMain there is
// no hook that runs when the last test is over. It ends with the test binary
// instead, by two independent mechanisms: chromedp talks to it over a pipe
// (--remote-debugging-pipe), and Chromium shuts down when that pipe closes,
// which the kernel does when the test binary exits however it exits (pass,
// fail, panic, timeout, SIGKILL); on Linux chromedp also starts it with
// PR_SET_PDEATHSIG=SIGKILL. Its helper processes (zygote, renderers) follow
// their parent. The one thing left behind is its profile directory, so the
// directories are named after the test binary's pid and each start removes
// those whose binary is gone. The pipe also means Chromium opens no
// debugging port at all: nothing listens but the tests' own loopback
// servers.
//
// # Without Chromium
//
// Chromium is $PAYD_TEST_CHROMIUM, else /usr/bin/chromium (or chromium,
// chromium-browser, google-chrome on $PATH). ./scripts/test.sh installs it
// and sets the variable. Without one the tests skip with a loud banner, so a
// plain `go test ./...` on a laptop still works, except in CI ($CI non-empty)
// or with PAYD_REQUIRE_BROWSER=1, where a skip would hide that nothing was
// tested: there they fail. This mirrors internal/testutil/pgtest.
package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Environment variables read by this package.
const (
	// PathEnv names the Chromium (or Chrome) executable to run.
	PathEnv = "PAYD_TEST_CHROMIUM"
	// RequireEnv set to 1 turns a missing browser into a failure.
	RequireEnv = "PAYD_REQUIRE_BROWSER"
)

// DefaultPath is where Debian's chromium package puts the browser, and what
// scripts/test.sh installs.
const DefaultPath = "/usr/bin/chromium"

// candidates are the browsers looked for when $PAYD_TEST_CHROMIUM is unset,
// in order: absolute paths as they are, other names on $PATH.
var candidates = []string{DefaultPath, "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// Timeouts. Generous for a 2-core CI machine under -race, yet far inside go
// test's own timeout, so a page that never arrives fails its test with a
// message (and a screenshot) instead of hanging the whole run.
var (
	// TabTimeout bounds everything one tab does, from Tab to the test's end.
	TabTimeout = 60 * time.Second
	// WaitTimeout bounds each wait of Navigate, Click, Fill, Select,
	// Check, FieldValue, WaitURLPrefix and WaitText.
	WaitTimeout = 15 * time.Second
	// openTimeout bounds Chromium's start (up to its first blank page) and
	// the opening of each tab: work the browser does, not the pages.
	openTimeout = 30 * time.Second
)

// dirPrefix starts the name of every profile directory this package makes,
// followed by the pid of the test binary that owns it.
const dirPrefix = "payd-chromium-"

// Browser is the test binary's Chromium. Get it with New; use it through
// tabs (Tab).
type Browser struct {
	// ctx is the chromedp context of the browser itself (its first,
	// blank tab); every Tab derives from it. Done once Chromium is gone.
	ctx context.Context
}

var (
	mu       sync.Mutex
	shared   *Browser // the running browser, if any
	startErr error    // why the first start failed: later tests fail fast
	banner   sync.Once
)

// New returns the test binary's Chromium, starting it on first use. It skips
// the test when there is no Chromium, or fails it in CI or when
// $PAYD_REQUIRE_BROWSER=1.
//
// A browser that crashed is replaced, so one crash fails one test, not all
// that follow; a browser that cannot start at all fails every test at once
// with the same reason, without retrying for each.
func New(t testing.TB) *Browser {
	t.Helper()
	path := execPath(t)
	mu.Lock()
	defer mu.Unlock()
	if startErr != nil {
		t.Fatalf("browser: Chromium (%s) did not start: %v", path, startErr)
	}
	if shared != nil && shared.ctx.Err() == nil {
		return shared
	}
	if shared != nil {
		t.Logf("browser: Chromium died (%v); starting a new one", context.Cause(shared.ctx))
	}
	b, err := start(path)
	if err != nil {
		startErr = err
		t.Fatalf("browser: Chromium (%s) did not start: %v", path, err)
	}
	shared = b
	return b
}

// execPath finds the browser, or skips or fails the test.
func execPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(PathEnv); p != "" {
		// Named explicitly: if it is not there, that is a broken setup
		// wherever this runs, not a reason to skip.
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("browser: %s=%s is not an executable: %v", PathEnv, p, err)
		}
		return p
	}
	for _, name := range candidates {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "no Chromium found (" + PathEnv + " unset, no " + DefaultPath + " and none on $PATH). " +
		"./scripts/test.sh installs it and sets " + PathEnv + "; or `apt-get install chromium`"
	if os.Getenv("CI") != "" || os.Getenv(RequireEnv) == "1" {
		t.Fatal("browser: a browser is required here (CI or " + RequireEnv + "=1) but " + msg)
	}
	banner.Do(func() {
		fmt.Fprintln(os.Stderr, "\n"+strings.Repeat("!", 78)+
			"\n!!! BROWSER TESTS SKIPPED: "+msg+"\n"+strings.Repeat("!", 78))
	})
	t.Skip("!!! BROWSER TEST SKIPPED: " + msg)
	return ""
}

// start launches Chromium and waits for its first page. Its contexts derive
// from context.Background on purpose: the browser outlives the test that
// happened to start it (see the package comment for how it ends).
func start(path string) (*Browser, error) {
	reapProfiles()
	dir, err := os.MkdirTemp("", dirPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, err
	}
	// Chromium also writes outside its profile (crash reports under
	// ~/.config/chromium, dconf and font caches): point $HOME there too, so
	// tests never touch the home directory of the person running them.
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// The defaults already hold --headless, --no-first-run,
	// --disable-background-networking and --disable-sync, and Puppeteer's
	// other quieting flags (no popup blocking, no re-POST prompt, no
	// background throttling of tabs).
	opts := slices.Concat(chromedp.DefaultExecAllocatorOptions[:], []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.Env("HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache")),
		chromedp.NoSandbox, // containers and root: the sandbox needs namespaces they lack
		chromedp.WindowSize(1024, 768),
		// The network is closed except for loopback: Chromium must not try
		// to reach Google's services (refused connections, retries, noise).
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("no-proxy-server", true), // only loopback is ever visited
		// No crash reporter (Debian's build starts crashpad regardless;
		// $HOME above keeps its database in the profile).
		chromedp.Flag("disable-crash-reporter", true),
	})
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	// chromedp logs protocol events it cannot decode (a Chromium newer than
	// its protocol tables) through log.Printf: noise in test output.
	bctx, _ := chromedp.NewContext(actx, chromedp.WithErrorf(func(string, ...any) {}))
	// The first Do starts Chromium and ties its life to bctx, so it cannot
	// carry a timeout itself; bound it from outside.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(bctx) }()
	select {
	case err = <-started:
	case <-time.After(openTimeout):
		err = fmt.Errorf("no first page after %v", openTimeout)
	}
	if err != nil {
		acancel() // kills the process and waits for it
		os.RemoveAll(dir)
		return nil, err
	}
	return &Browser{ctx: bctx}, nil
}

// reapProfiles removes the profile directories of test binaries that are
// gone (they cannot remove their own: see the package comment).
func reapProfiles() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		pidStr, _, ok := strings.Cut(strings.TrimPrefix(filepath.Base(dir), dirPrefix), "-")
		pid, err := strconv.Atoi(pidStr)
		if !ok || err != nil || pid == os.Getpid() || alive(pid) {
			continue
		}
		os.RemoveAll(dir)
	}
}

// Tab opens a new tab in its own browser context (a fresh profile: no
// cookies, storage or cache from other tests) and returns its context, for
// the helpers of this package and for chromedp.Run. It is bounded by
// TabTimeout and closed when the test ends; if the test failed, the page's
// address, text and a screenshot are logged first.
//
// A test may open several tabs, e.g. to act on a page that another tab made
// stale. Use each tab from one goroutine.
func (b *Browser) Tab(t testing.TB) context.Context {
	t.Helper()
	tab, closeTab := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	// The first Run opens the tab and binds its life to the context given,
	// so it gets tab itself, not the timeout below (which would close the
	// tab before the failure report could look at it).
	opened := make(chan error, 1)
	go func() { opened <- chromedp.Do(tab) }()
	select {
	case err := <-opened:
		if err != nil {
			closeTab()
			t.Fatalf("browser: opening a tab: %v", err)
		}
	case <-time.After(openTimeout):
		closeTab()
		t.Fatalf("browser: no new tab after %v", openTimeout)
	}
	ctx, cancel := context.WithTimeout(tab, TabTimeout)
	t.Cleanup(func() {
		cancel()
		if t.Failed() {
			report(t, tab)
		}
		closeTab()
	})
	return ctx
}

// report logs where a failed test's tab ended up and what it showed, and
// saves a screenshot. The screenshot goes to a directory that outlives the
// test (t.TempDir is deleted when the test ends, which would leave the
// logged path pointing nowhere).
func report(t testing.TB, tab context.Context) {
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	defer cancel()
	if u, _, err := location(ctx); err == nil {
		t.Logf("browser: the tab was at %s", u)
	}
	if text, err := pageText(ctx); err == nil {
		t.Logf("browser: the page read:\n%s", indent(text))
	}
	dir := filepath.Join(os.TempDir(), "payd-browser-failures")
	name := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_")
	path := filepath.Join(dir, name+"-"+time.Now().Format("150405.000")+".png")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("browser: no screenshot: %v", err)
		return
	}
	if err := Screenshot(ctx, path); err != nil {
		t.Logf("browser: no screenshot: %v", err)
		return
	}
	t.Logf("browser: screenshot of the tab: %s", path)
}

func indent(s string) string {
	return "\t" + strings.ReplaceAll(s, "\n", "\n\t")
}

// errNotYet tells poll to look again.
var errNotYet = errors.New("not yet")
