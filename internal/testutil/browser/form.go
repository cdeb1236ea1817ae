package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Form fields are found like buttons: by role and accessible name, which for
// an <input> is its <label>'s text (or aria-label), as a screen reader
// announces it. A field that is hidden (display:none, e.g. the fields of a
// payment method that is not chosen) is not in the accessibility tree, so it
// cannot be filled, as a person could not fill it.
//
// Values are written through the browser's input pipeline (Input.insertText,
// the way an IME or a paste delivers text), so the page sees the input
// events a person's typing causes. Clearing a field and choosing an option
// of a <select> go through the DOM from DevTools, which works with the
// page's JavaScript disabled; they fire input and change events themselves.

// Roles of the controls each helper acts on, as Chromium's accessibility
// tree names them.
var (
	// textRoles are the fields Fill types into.
	textRoles = []string{"textbox", "searchbox", "spinbutton"}
	// selectRoles are <select>s: a drop-down is a combobox, a list box
	// (multiple, or size > 1) a listbox.
	selectRoles = []string{"combobox", "listbox"}
	// fieldRoles are the controls whose value FieldValue reads.
	fieldRoles = slices.Concat(textRoles, selectRoles)
	// checkRoles are the controls Check turns on.
	checkRoles = []string{"radio", "checkbox", "switch", "menuitemradio", "menuitemcheckbox"}
	// clickRoles are the controls Click presses.
	clickRoles = slices.Concat([]string{"button", "link"}, checkRoles)
)

// Fill types value into the text field whose accessible name (its label) is
// label, replacing what it held: it waits (up to WaitTimeout) for exactly
// one such field, enabled and editable, focuses it, clears it and inserts
// value as typed text. It fails the test if the field does not then hold
// exactly value (a maxlength or a number field that refuses the text).
//
// An empty value clears the field.
func Fill(ctx context.Context, t testing.TB, label, value string) {
	t.Helper()
	n, err := field(ctx, "text field", textRoles, label)
	if err == nil {
		err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			id := n.BackendDOMNodeID
			if _, err := cdp.Call(ctx, tg, dom.ScrollIntoViewIfNeeded, dom.ScrollIntoViewIfNeededParams{BackendNodeID: id}); err != nil {
				return err
			}
			if _, err := cdp.Call(ctx, tg, dom.Focus, dom.FocusParams{BackendNodeID: id}); err != nil {
				return err
			}
			if _, err := callOn[string](ctx, tg, id, `function() {
				if (this.value !== "") {
					this.value = "";
					this.dispatchEvent(new Event("input", {bubbles: true}));
				}
				return "";
			}`); err != nil {
				return err
			}
			if value != "" {
				if _, err := cdp.Call(ctx, tg, input.InsertText, input.InsertTextParams{Text: value}); err != nil {
					return err
				}
			}
			got, err := callOn[string](ctx, tg, id, `function() {
				this.dispatchEvent(new Event("change", {bubbles: true}));
				return this.value;
			}`)
			if err != nil {
				return err
			}
			if got != value {
				return fmt.Errorf("it holds %q after typing", got)
			}
			return nil
		}))
	}
	if err != nil {
		t.Fatalf("browser: filling in %q with %q: %v%s", label, value, err, describe(ctx))
	}
}

// Select chooses, in the <select> whose accessible name is label, the
// option whose value is value or, if none has that value, whose text is
// value (e.g. "US" or "United States"), and fires input and change events.
// It waits (up to WaitTimeout) for exactly one such select, enabled; it
// fails the test if no option matches or several do.
func Select(ctx context.Context, t testing.TB, label, value string) {
	t.Helper()
	n, err := field(ctx, "select", selectRoles, label)
	if err == nil {
		err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			id := n.BackendDOMNodeID
			if _, err := cdp.Call(ctx, tg, dom.ScrollIntoViewIfNeeded, dom.ScrollIntoViewIfNeededParams{BackendNodeID: id}); err != nil {
				return err
			}
			msg, err := callOn[string](ctx, tg, id, `function(want) {
				if (this.tagName !== "SELECT") return "it is a <" + this.tagName.toLowerCase() + ">, not a <select>";
				const all = Array.from(this.options);
				let hits = all.filter(o => o.value === want);
				if (hits.length === 0) hits = all.filter(o => o.text.replace(/\s+/g, " ").trim() === want);
				if (hits.length !== 1) {
					const some = all.slice(0, 12).map(o => JSON.stringify(o.value) + " (" + o.text.trim() + ")");
					if (all.length > some.length) some.push("…");
					return (hits.length ? hits.length + " options match" : "no option matches") + "; its options: " + some.join(", ");
				}
				if (hits[0].disabled) return "the option is disabled";
				if (!hits[0].selected) {
					hits[0].selected = true;
					this.dispatchEvent(new Event("input", {bubbles: true}));
					this.dispatchEvent(new Event("change", {bubbles: true}));
				}
				return "";
			}`, collapse(value))
			if err != nil {
				return err
			}
			if msg != "" {
				return errors.New(msg)
			}
			return nil
		}))
	}
	if err != nil {
		t.Fatalf("browser: selecting %q in %q: %v%s", value, label, err, describe(ctx))
	}
}

// FieldValue returns the current value of the text field or select whose
// accessible name is label (for a select, the chosen option's value),
// waiting (up to WaitTimeout) for exactly one such field. Use it to check
// what a page prefilled.
func FieldValue(ctx context.Context, t testing.TB, label string) string {
	t.Helper()
	var v string
	n, err := find(ctx, "field", fieldRoles, label)
	if err == nil {
		v, err = chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) (string, error) {
			return callOn[string](ctx, tg, n.BackendDOMNodeID, `function() { return String(this.value); }`)
		})
	}
	if err != nil {
		t.Fatalf("browser: reading the field %q: %v%s", label, err, describe(ctx))
	}
	return v
}

// Check turns on the radio button or checkbox whose accessible name is name
// by clicking it (see Click), unless it is on already, and waits until it
// is on. The name of an <input> inside a <label> is the label's text.
func Check(ctx context.Context, t testing.TB, name string) {
	t.Helper()
	n, err := find(ctx, "radio button or checkbox", checkRoles, name)
	if err == nil && axBool(n, "disabled") {
		err = errors.New("it is disabled")
	}
	if err != nil {
		t.Fatalf("browser: checking %q: %v%s", name, err, describe(ctx))
	}
	if axChecked(n) {
		return
	}
	Click(ctx, t, name)
	err = poll(ctx, func(ctx context.Context) error {
		n, err := find1(ctx, checkRoles, collapse(name))
		if err != nil {
			return err
		}
		if !axChecked(n) {
			return errNotYet
		}
		return nil
	})
	if err != nil {
		t.Fatalf("browser: checking %q: it did not turn on: %v%s", name, err, describe(ctx))
	}
}

// Checked reports whether the radio button or checkbox named name is on,
// waiting (up to WaitTimeout) for exactly one such control.
func Checked(ctx context.Context, t testing.TB, name string) bool {
	t.Helper()
	n, err := find(ctx, "radio button or checkbox", checkRoles, name)
	if err != nil {
		t.Fatalf("browser: reading %q: %v%s", name, err, describe(ctx))
	}
	return axChecked(n)
}

// Radios returns the accessible names of the page's visible radio buttons,
// in document order.
func Radios(ctx context.Context, t testing.TB) []string {
	t.Helper()
	return names(ctx, t, "radio")
}

// Fields returns the accessible names of the page's visible text fields and
// selects, in document order.
func Fields(ctx context.Context, t testing.TB) []string {
	t.Helper()
	return names(ctx, t, fieldRoles...)
}

// Links returns the accessible names of the page's links, in document
// order.
func Links(ctx context.Context, t testing.TB) []string {
	t.Helper()
	return names(ctx, t, "link")
}

func names(ctx context.Context, t testing.TB, roles ...string) []string {
	t.Helper()
	nodes, err := axTree(ctx)
	if err != nil {
		t.Fatalf("browser: reading the page: %v", err)
	}
	var out []string
	for _, n := range inOrder(nodes) {
		if !n.Ignored && slices.Contains(roles, axString(n.Role)) {
			out = append(out, collapse(axString(n.Name)))
		}
	}
	return out
}

// field finds a field to write to: one, enabled, not read-only.
func field(ctx context.Context, what string, roles []string, label string) (*accessibility.Node, error) {
	n, err := find(ctx, what, roles, label)
	switch {
	case err != nil:
		return nil, err
	case axBool(n, "disabled"):
		return nil, fmt.Errorf("the %s is disabled", what)
	case axBool(n, "readonly"):
		return nil, fmt.Errorf("the %s is read-only", what)
	}
	return n, nil
}

// find waits (up to WaitTimeout) for exactly one control with one of roles
// whose accessible name is name (whitespace collapsed). what names the kind
// of control in errors.
func find(ctx context.Context, what string, roles []string, name string) (*accessibility.Node, error) {
	name = collapse(name)
	var found *accessibility.Node
	err := poll(ctx, func(ctx context.Context) error {
		n, err := find1(ctx, roles, name)
		if err != nil {
			return err
		}
		found = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("no single %s named %q: %w", what, name, err)
	}
	return found, nil
}

// find1 looks once: errNotYet if there is no such control, an error if
// there are several.
func find1(ctx context.Context, roles []string, name string) (*accessibility.Node, error) {
	nodes, err := axTree(ctx)
	if err != nil {
		return nil, err
	}
	var matches []*accessibility.Node
	var kinds []string
	for _, n := range inOrder(nodes) {
		if role := axString(n.Role); !n.Ignored && slices.Contains(roles, role) && collapse(axString(n.Name)) == name {
			matches = append(matches, n)
			kinds = append(kinds, role)
		}
	}
	switch len(matches) {
	case 0:
		return nil, errNotYet
	case 1:
		return matches[0], nil
	}
	return nil, fmt.Errorf("%d controls are named %q (%s)", len(matches), name, strings.Join(kinds, ", "))
}

// axChecked reports whether a radio button or checkbox is on. The protocol
// gives "checked" as a tristate: "true", "false" or "mixed".
func axChecked(n *accessibility.Node) bool {
	i := slices.IndexFunc(n.Properties, func(p *accessibility.Property) bool { return p.Name == "checked" })
	if i < 0 || n.Properties[i].Value == nil {
		return false
	}
	raw := n.Properties[i].Value.Value
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s == "true"
	}
	var b bool
	return json.Unmarshal(raw, &b) == nil && b
}

// callOn calls the JavaScript function declaration fn with the DOM node id
// as this and args as its arguments, and returns its result by value. It
// runs from DevTools, so it works with the page's scripts disabled.
func callOn[T any](ctx context.Context, tg *chromedp.Target, id cdp.BackendNodeID, fn string, args ...any) (T, error) {
	var zero T
	obj, err := cdp.Call(ctx, tg, dom.ResolveNode, dom.ResolveNodeParams{BackendNodeID: id})
	if err != nil {
		return zero, err
	}
	if obj.Object == nil || obj.Object.ObjectID == "" {
		return zero, errors.New("the element is gone")
	}
	defer cdp.Call(ctx, tg, runtime.ReleaseObject, runtime.ReleaseObjectParams{ObjectID: obj.Object.ObjectID})
	var callArgs []*runtime.CallArgument
	for _, a := range args {
		b, err := json.Marshal(a)
		if err != nil {
			return zero, err
		}
		callArgs = append(callArgs, &runtime.CallArgument{Value: b})
	}
	byValue := true
	res, err := cdp.Call(ctx, tg, runtime.CallFunctionOn, runtime.CallFunctionOnParams{
		FunctionDeclaration: fn,
		ObjectID:            obj.Object.ObjectID,
		Arguments:           callArgs,
		ReturnByValue:       &byValue,
	})
	if err != nil {
		return zero, err
	}
	if res.ExceptionDetails != nil {
		return zero, fmt.Errorf("in the page: %s", res.ExceptionDetails.Text)
	}
	var v T
	if res.Result == nil || json.Unmarshal(res.Result.Value, &v) != nil {
		return zero, fmt.Errorf("unexpected result %+v", res.Result)
	}
	return v, nil
}
