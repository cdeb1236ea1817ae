package api

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/store"
)

// maxExpandDepth is Stripe's limit on the levels of one expand path.
const maxExpandDepth = 4

// expander loads an object by id, as its rendered JSON.
type expander func(ctx context.Context, tx store.Tx, account, id string) ([]byte, error)

func expandPaths(p param.Map) ([]string, error) {
	paths := p.Strings("expand")
	for _, path := range paths {
		depth := strings.Count(strings.TrimPrefix(path, "data."), ".") + 1
		if depth > maxExpandDepth {
			return nil, errs.Invalid("", "expand", "You cannot expand more than %d levels of a property. Property: %s", maxExpandDepth, path)
		}
		if path == "" {
			return nil, errs.Invalid("", "expand", "You passed an empty string for 'expand'.")
		}
	}
	return paths, nil
}

// expandResult replaces the ids named by the request's expand[] paths with
// the objects they refer to. A list takes paths under its data. prefix. Any
// field whose value is a known object id is expandable; anything else is
// refused, never ignored.
func (s *Server) expandResult(c *call, res result) ([]byte, error) {
	if len(c.expand) == 0 {
		return res.body, nil
	}
	if c.publishable {
		// A browser may see the method it pays with; an expanded charge,
		// customer or mandate would show it the merchant's own data.
		for _, path := range c.expand {
			if !publicExpandable[path] {
				return nil, cannotExpand(path)
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(res.body))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	for _, path := range c.expand {
		segs := strings.Split(path, ".")
		var target any = doc
		if res.list {
			if segs[0] != "data" || len(segs) < 2 {
				return nil, cannotExpand(path)
			}
			target, segs = doc["data"], segs[1:]
		}
		if err := s.expandAt(c, target, segs, path); err != nil {
			return nil, err
		}
	}
	return json.Marshal(doc)
}

func (s *Server) expandAt(c *call, v any, segs []string, full string) error {
	switch node := v.(type) {
	case nil:
		return nil
	case []any:
		for _, el := range node {
			if err := s.expandAt(c, el, segs, full); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		field, ok := node[segs[0]]
		if !ok {
			return cannotExpand(full)
		}
		if id, isID := field.(string); isID {
			obj, err := s.load(c, id)
			if err != nil {
				return err
			}
			if obj == nil {
				return cannotExpand(full)
			}
			node[segs[0]] = obj
			field = obj
		} else if _, isObj := field.(map[string]any); !isObj && field != nil && len(segs) == 1 {
			return cannotExpand(full)
		}
		if len(segs) == 1 {
			return nil
		}
		return s.expandAt(c, field, segs[1:], full)
	}
	return cannotExpand(full)
}

// load fetches the object an id refers to, or nil when no expander knows
// its prefix.
func (s *Server) load(c *call, id string) (map[string]any, error) {
	prefix, _, ok := strings.Cut(id, "_")
	if !ok {
		return nil, nil
	}
	ex := s.expanders[prefix+"_"]
	if ex == nil {
		return nil, nil
	}
	body, err := ex(c.ctx, c.tx, c.account, id)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// publicExpandable are the paths a publishable key may expand.
var publicExpandable = map[string]bool{"payment_method": true}

func cannotExpand(path string) error {
	return errs.Invalid("", "expand", "This property cannot be expanded (%s).", path)
}
