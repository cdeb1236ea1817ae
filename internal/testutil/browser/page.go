package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The helpers below take a tab's context (Tab) and fail the test themselves,
// with what the page showed, so tests read as a list of steps. They work
// with JavaScript disabled: they use the DevTools protocol (accessibility
// tree, DOM geometry, real mouse events), not scripts in the page.

// pollEvery is how often waits look again. Pages here are local and small.
const pollEvery = 50 * time.Millisecond

// DisableJavaScript turns off the page's scripts in this tab, for this and
// later pages: the hosted pages must work for people who block scripts.
// Call it before Navigate.
func DisableJavaScript(ctx context.Context, t testing.TB) {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
	if err != nil {
		t.Fatalf("browser: disabling JavaScript: %v", err)
	}
}

// Navigate opens url in the tab, waits (up to WaitTimeout) for the page to
// load and returns the HTTP status of the document (a page can look fine
// and still say 410).
func Navigate(ctx context.Context, t testing.TB, url string) int {
	t.Helper()
	nctx, cancel := context.WithTimeout(ctx, WaitTimeout)
	defer cancel()
	resp, err := chromedp.Run(nctx, chromedp.NavigateResponse(url))
	if err != nil {
		t.Fatalf("browser: opening %s: %v", url, err)
	}
	if resp == nil {
		t.Fatalf("browser: opening %s: no response", url)
	}
	return int(resp.Status)
}

// Click clicks the control whose accessible name is name (a button, a
// link, a radio button or a checkbox) the way a person does: it waits (up
// to WaitTimeout) for exactly one such control, enabled, scrolls it into
// view and presses and releases the mouse at its centre. The name is what
// people see or hear (the button's text, aria-label, the <label> of a
// radio button, …), matched exactly after whitespace is collapsed.
//
// It fails the test if no such control appears, if several do (a test that
// cannot tell which one it means would not catch the wrong one), if it is
// disabled, or if something else covers its centre.
//
// Click does not wait for what the click causes: follow it with
// WaitURLPrefix or WaitText (or use Check for a radio button).
func Click(ctx context.Context, t testing.TB, name string) {
	t.Helper()
	name = collapse(name)
	var found *accessibility.Node
	err := poll(ctx, func(ctx context.Context) error {
		n, err := find1(ctx, clickRoles, name)
		if err != nil {
			return err
		}
		if axBool(n, "disabled") {
			return fmt.Errorf("the %s %q is disabled", axString(n.Role), name)
		}
		found = n
		return nil
	})
	if err != nil {
		t.Fatalf("browser: clicking %q: %v%s", name, err, describe(ctx))
	}
	err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		id := found.BackendDOMNodeID
		if _, err := cdp.Call(ctx, tg, dom.ScrollIntoViewIfNeeded, dom.ScrollIntoViewIfNeededParams{BackendNodeID: id}); err != nil {
			return err
		}
		quads, err := cdp.Call(ctx, tg, dom.GetContentQuads, dom.GetContentQuadsParams{BackendNodeID: id})
		if err != nil {
			return err
		}
		if len(quads.Quads) == 0 || len(quads.Quads[0]) != 8 {
			return errors.New("it has no box on screen")
		}
		var x, y float64
		for i, q := 0, quads.Quads[0]; i < 8; i += 2 {
			x, y = x+q[i]/4, y+q[i+1]/4
		}
		if err := covered(ctx, tg, id, x, y); err != nil {
			return err
		}
		_, err = chromedp.MouseClickXY(x, y)(ctx, tg)
		return err
	}))
	if err != nil {
		t.Fatalf("browser: clicking %q: %v%s", name, err, describe(ctx))
	}
}

// covered reports whether the element at (x, y) is something other than
// the node or its content: a person clicking there would hit the other
// element.
//
// x and y are in the viewport, as mouse events are; DOM.getNodeForLocation
// takes document coordinates, so the page's scroll offset is added (a
// button below the fold is scrolled to before it is clicked).
func covered(ctx context.Context, tg *chromedp.Target, id cdp.BackendNodeID, x, y float64) error {
	m, err := cdp.Call(ctx, tg, page.GetLayoutMetrics, cdp.Empty{})
	if err != nil {
		return err
	}
	vp := m.CSSVisualViewport
	if vp == nil {
		return errors.New("no viewport metrics")
	}
	if x < 0 || y < 0 || x >= vp.ClientWidth || y >= vp.ClientHeight {
		return fmt.Errorf("its centre (%.0f, %.0f) is outside the window", x, y)
	}
	hit, err := cdp.Call(ctx, tg, dom.GetNodeForLocation, dom.GetNodeForLocationParams{X: int64(x + vp.PageX), Y: int64(y + vp.PageY)})
	if err != nil {
		return err
	}
	if hit.BackendNodeID == id {
		return nil
	}
	depth := int64(-1)
	self, err := cdp.Call(ctx, tg, dom.DescribeNode, dom.DescribeNodeParams{BackendNodeID: id, Depth: &depth})
	if err != nil {
		return err
	}
	if contains(self.Node, hit.BackendNodeID) {
		return nil
	}
	desc, err := cdp.Call(ctx, tg, dom.DescribeNode, dom.DescribeNodeParams{BackendNodeID: hit.BackendNodeID})
	if err != nil || desc.Node == nil {
		return fmt.Errorf("something else covers it at (%.0f, %.0f)", x, y)
	}
	return fmt.Errorf("a <%s> covers it at (%.0f, %.0f)", strings.ToLower(desc.Node.NodeName), x, y)
}

// contains reports whether the node or a descendant is id.
func contains(n *cdp.Node, id cdp.BackendNodeID) bool {
	if n == nil {
		return false
	}
	if n.BackendNodeID == id {
		return true
	}
	return slices.ContainsFunc(n.Children, func(c *cdp.Node) bool { return contains(c, id) })
}

// WaitURLPrefix waits (up to WaitTimeout) until the tab shows a fully
// loaded page whose address starts with prefix, and returns the address.
// Use it after a Click that submits a form or follows a redirect.
func WaitURLPrefix(ctx context.Context, t testing.TB, prefix string) string {
	t.Helper()
	var url string
	err := poll(ctx, func(ctx context.Context) error {
		u, loaded, err := location(ctx)
		if err != nil {
			return err
		}
		if !loaded || !strings.HasPrefix(u, prefix) {
			return errNotYet
		}
		url = u
		return nil
	})
	if err != nil {
		t.Fatalf("browser: waiting for a page at %s…: %v%s", prefix, err, describe(ctx))
	}
	return url
}

// WaitText waits (up to WaitTimeout) until the page's text (Text) contains
// substr, and returns the text. Use it when a click changes the page but not
// its address.
func WaitText(ctx context.Context, t testing.TB, substr string) string {
	t.Helper()
	var text string
	err := poll(ctx, func(ctx context.Context) error {
		s, err := pageText(ctx)
		if err != nil {
			return err
		}
		if !strings.Contains(s, substr) {
			return errNotYet
		}
		text = s
		return nil
	})
	if err != nil {
		t.Fatalf("browser: waiting for %q on the page: %v%s", substr, err, describe(ctx))
	}
	return text
}

// Text returns the text of the current page as people read it: the
// accessibility tree's text runs in document order, one per line. Hidden
// elements, form values and markup are not in it.
func Text(ctx context.Context, t testing.TB) string {
	t.Helper()
	s, err := pageText(ctx)
	if err != nil {
		t.Fatalf("browser: reading the page: %v", err)
	}
	return s
}

// Buttons returns the accessible names of the page's buttons, in document
// order.
func Buttons(ctx context.Context, t testing.TB) []string {
	t.Helper()
	nodes, err := axTree(ctx)
	if err != nil {
		t.Fatalf("browser: reading the page: %v", err)
	}
	var names []string
	for _, n := range inOrder(nodes) {
		if !n.Ignored && axString(n.Role) == "button" {
			names = append(names, collapse(axString(n.Name)))
		}
	}
	return names
}

// URL returns the address of the current page.
func URL(ctx context.Context, t testing.TB) string {
	t.Helper()
	u, _, err := location(ctx)
	if err != nil {
		t.Fatalf("browser: reading the address: %v", err)
	}
	return u
}

// Screenshot saves a PNG of the whole page to path, to see what a test saw.
// A failed test gets one automatically (see Tab).
func Screenshot(ctx context.Context, path string) error {
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

// poll calls f until it returns nil, for at most WaitTimeout. errNotYet
// and errors from the browser both mean "look again" (a page being replaced
// answers with errors for a moment); when time is up the last real error is
// reported.
func poll(ctx context.Context, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, WaitTimeout)
	defer cancel()
	var last error
	for {
		err := f(ctx)
		if err == nil {
			return nil
		}
		if !errors.Is(err, errNotYet) && ctx.Err() == nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("gave up (%v): %w", context.Cause(ctx), last)
			}
			return fmt.Errorf("gave up (%v)", context.Cause(ctx))
		case <-time.After(pollEvery):
		}
	}
}

// location returns the address of the document the tab shows and whether
// it has fully loaded. It evaluates in the page through DevTools, which
// works with the page's JavaScript disabled.
func location(ctx context.Context) (url string, loaded bool, err error) {
	v, err := chromedp.Run(ctx, chromedp.EvaluateAsDevTools[[]string](`[document.location.href, document.readyState]`))
	if err != nil {
		return "", false, err
	}
	if len(v) != 2 {
		return "", false, fmt.Errorf("unexpected location %q", v)
	}
	return v[0], v[1] == "complete", nil
}

// pageText reads the page's text runs from the accessibility tree.
func pageText(ctx context.Context) (string, error) {
	nodes, err := axTree(ctx)
	if err != nil {
		return "", err
	}
	// What a field holds is its value, not text of the page (Chromium
	// exposes a text field's value as text inside it): leave it out, so
	// Text is what the page says, whatever was typed.
	inField := map[accessibility.NodeID]bool{}
	byID := make(map[accessibility.NodeID]*accessibility.Node, len(nodes))
	for _, n := range nodes {
		byID[n.NodeID] = n
	}
	var mark func(n *accessibility.Node)
	mark = func(n *accessibility.Node) {
		for _, id := range n.ChildIDs {
			if c, ok := byID[id]; ok && !inField[id] {
				inField[id] = true
				mark(c)
			}
		}
	}
	for _, n := range nodes {
		if slices.Contains(fieldRoles, axString(n.Role)) {
			mark(n)
		}
	}
	var lines []string
	for _, n := range inOrder(nodes) {
		if !n.Ignored && !inField[n.NodeID] && axString(n.Role) == "StaticText" {
			if s := collapse(axString(n.Name)); s != "" {
				lines = append(lines, s)
			}
		}
	}
	return strings.Join(lines, "\n"), nil
}

// describe summarises the page for a failure message.
func describe(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	var b strings.Builder
	if u, _, err := location(ctx); err == nil {
		fmt.Fprintf(&b, "\nthe tab is at %s", u)
	}
	if nodes, err := axTree(ctx); err == nil {
		list := func(roles ...string) string {
			var names []string
			for _, n := range inOrder(nodes) {
				if !n.Ignored && slices.Contains(roles, axString(n.Role)) {
					names = append(names, fmt.Sprintf("%q", collapse(axString(n.Name))))
				}
			}
			return strings.Join(names, ", ")
		}
		fmt.Fprintf(&b, "\nits buttons: [%s]", list("button"))
		for _, kind := range []struct {
			what  string
			roles []string
		}{{"links", []string{"link"}}, {"choices", checkRoles}, {"fields", fieldRoles}} {
			if l := list(kind.roles...); l != "" {
				fmt.Fprintf(&b, "\nits %s: [%s]", kind.what, l)
			}
		}
	}
	if text, err := pageText(ctx); err == nil {
		fmt.Fprintf(&b, "\nits text:\n%s", indent(text))
	}
	return b.String()
}

// axTree fetches the main frame's accessibility tree.
func axTree(ctx context.Context) ([]*accessibility.Node, error) {
	res, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) (accessibility.GetFullAXTreeResult, error) {
		return cdp.Call(ctx, tg, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	})
	return res.Nodes, err
}

// inOrder returns the tree's nodes depth first, in document order (the
// protocol lists them in no useful order).
func inOrder(nodes []*accessibility.Node) []*accessibility.Node {
	byID := make(map[accessibility.NodeID]*accessibility.Node, len(nodes))
	for _, n := range nodes {
		byID[n.NodeID] = n
	}
	out := make([]*accessibility.Node, 0, len(nodes))
	var walk func(n *accessibility.Node)
	walk = func(n *accessibility.Node) {
		out = append(out, n)
		for _, id := range n.ChildIDs {
			if c, ok := byID[id]; ok {
				walk(c)
			}
		}
	}
	for _, n := range nodes {
		if _, hasParent := byID[n.ParentID]; !hasParent {
			walk(n)
		}
	}
	return out
}

func axString(v *accessibility.Value) string {
	if v == nil || len(v.Value) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(v.Value, &s) != nil {
		return ""
	}
	return s
}

// axBool reports whether the node has the boolean property name set.
func axBool(n *accessibility.Node, name string) bool {
	i := slices.IndexFunc(n.Properties, func(p *accessibility.Property) bool { return string(p.Name) == name })
	if i < 0 || n.Properties[i].Value == nil {
		return false
	}
	var b bool
	return json.Unmarshal(n.Properties[i].Value.Value, &b) == nil && b
}

func collapse(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// alive reports whether process pid may still exist: only a definite "no
// such process" counts as gone, so a profile is never removed under a
// running browser.
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return !errors.Is(err, os.ErrProcessDone)
	}
	err = p.Signal(syscall.Signal(0))
	return !errors.Is(err, os.ErrProcessDone) && !errors.Is(err, syscall.ESRCH)
}
