package api

import (
	"errors"
	"strings"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/event"
	"github.com/payd/payd/internal/store"
)

func (s *Server) retrieveEvent(c *call) (result, error) {
	id := c.path("id")
	rec, err := c.tx.Get(c.ctx, event.Table, c.account, id)
	if errors.Is(err, store.ErrNotFound) {
		return result{}, errs.NotFound("event", id, "id")
	}
	return result{body: rec.Data}, err
}

func (s *Server) listEvents(c *call) (result, error) {
	q, err := listQuery(c)
	if err != nil {
		return result{}, err
	}
	if c.params.Has("delivery_success") {
		return result{}, errs.Invalid("", "delivery_success", "Filtering events by delivery_success is not supported by payd yet.")
	}
	types := c.params.Strings("types")
	if c.params.Has("type") && len(types) > 0 {
		return result{}, errs.Invalid("parameters_exclusive", "types", "You may only specify one of these parameters: type, types.")
	}
	if t := c.params.Str("type"); t != "" {
		if err := eventTypeFilter(&q, []string{t}); err != nil {
			return result{}, err
		}
	} else if len(types) > 0 {
		if len(types) > 20 {
			return result{}, errs.Invalid("", "types", "You may filter by at most 20 event types.")
		}
		if err := eventTypeFilter(&q, types); err != nil {
			return result{}, err
		}
	}
	return list(c, event.Table, "event", "/v1/events", q)
}

// likeEscaper escapes LIKE's wildcards and its escape character.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// eventTypeFilter turns type names, where * is a wildcard as in Stripe's
// "customer.*", into a filter on the type column.
func eventTypeFilter(q *store.ListQuery, types []string) error {
	f := store.Filter{Col: "type"}
	for _, t := range types {
		if !strings.Contains(t, "*") {
			f.Values = append(f.Values, t)
			continue
		}
		esc := likeEscaper.Replace(t)
		f.Patterns = append(f.Patterns, strings.ReplaceAll(esc, "*", "%"))
	}
	q.Filters = append(q.Filters, f)
	return nil
}
