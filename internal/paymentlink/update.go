package paymentlink

import (
	"context"
	"slices"
	"strconv"

	"github.com/payd/payd/internal/checkout"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/store"
)

// Update changes a link: active (deactivate, reactivate), what happens
// after payment, what the page collects, the quantities of its line
// items, its restrictions and metadata. The url never changes. An update
// that changes nothing records no event.
func (s *Service) Update(ctx context.Context, tx store.Tx, account, linkID string, p param.Map) ([]byte, error) {
	if err := refuseUnsupported(p); err != nil {
		return nil, err
	}
	ld, err := load(ctx, tx, account, linkID, true)
	if err != nil {
		return nil, err
	}
	l := ld.l
	if v := p.Bool("active"); v != nil {
		l.Active = *v
	}
	if err := updateItems(ld, p.Maps("line_items")); err != nil {
		return nil, err
	}
	hadRestrictions := l.Restrictions != nil
	var count int64
	if hadRestrictions {
		count = l.Restrictions.CompletedSessions.Count
	}
	if err := apply(ld, p); err != nil {
		return nil, err
	}
	if r := l.Restrictions; r != nil {
		if !hadRestrictions {
			// The count covers the sessions completed before the limit
			// was set; from now on SessionCompleted keeps it. The link's
			// row lock, held since load, orders this count against
			// sessions completing meanwhile.
			if count, err = completedSessions(ctx, tx, account, linkID); err != nil {
				return nil, err
			}
		}
		r.CompletedSessions.Count = count
		if l.Active && count >= r.CompletedSessions.Limit {
			param := "restrictions[completed_sessions][limit]"
			if !p.Has("restrictions") {
				param = "active"
			}
			return nil, errs.Invalid("", param,
				"This payment link has %d completed sessions, which reaches its limit of %d (restrictions[completed_sessions][limit]). Raise the limit or remove the restrictions to keep the link active.",
				count, r.CompletedSessions.Limit)
		}
	}
	if unchanged, err := ld.unchanged(); err != nil || unchanged {
		return ld.before, err
	}
	return save(ctx, tx, account, s.Now().Unix(), ld, false, EventUpdated)
}

// updateItems applies line_items[][id|quantity|adjustable_quantity] to
// the link's existing items; items not named keep their settings.
func updateItems(ld *loaded, updates []param.Map) error {
	for i, u := range updates {
		path := "line_items[" + strconv.Itoa(i) + "]"
		itemID := u.Str("id")
		at := slices.IndexFunc(ld.priv.Items, func(it checkout.Item) bool { return it.ID == itemID })
		if at < 0 {
			return errs.Invalid("resource_missing", path+"[id]", "No such line item: '%s'", itemID)
		}
		it := &ld.priv.Items[at]
		q := *it.Quantity
		if v := u.Int("quantity"); v != nil {
			q = *v
			switch {
			case q < 1:
				return errs.Invalid("parameter_invalid_integer", path+"[quantity]", "This value must be greater than or equal to 1.")
			case q > checkout.MaxQuantity:
				return errs.Invalid("parameter_invalid_integer", path+"[quantity]", "This value must be less than or equal to %d.", checkout.MaxQuantity)
			case it.Price.CustomUnitAmount != nil && q != 1:
				return errs.Invalid("", path+"[quantity]", "A line item with a customer-chosen price (custom_unit_amount) must have a quantity of 1.")
			}
		}
		aq := it.AdjustableQuantity
		if adj := u.Map("adjustable_quantity"); adj != nil {
			next, err := checkout.Adjustable(adj, q, path)
			if err != nil {
				return err
			}
			if next.Enabled && it.Price.CustomUnitAmount != nil {
				return errs.Invalid("", path+"[adjustable_quantity][enabled]",
					"The quantity of a line item with a customer-chosen price (custom_unit_amount) cannot be adjustable.")
			}
			aq = nil
			if next.Enabled {
				aq = next
			}
		} else if aq != nil && (q < *aq.Minimum || q > *aq.Maximum) {
			return errs.Invalid("", path+"[quantity]",
				"The quantity %d must be between adjustable_quantity[minimum] (%d) and adjustable_quantity[maximum] (%d).", q, *aq.Minimum, *aq.Maximum)
		}
		unit := it.UnitAmount()
		it.Quantity, it.AdjustableQuantity = &q, aq
		it.AmountSubtotal = unit * q
		it.AmountTotal = it.AmountSubtotal
	}
	return nil
}

// completedSessions counts the link's completed Checkout Sessions.
func completedSessions(ctx context.Context, tx store.Tx, account, linkID string) (int64, error) {
	q := store.ListQuery{Account: account, Limit: 100, Filters: []store.Filter{
		{Col: "payment_link", Values: []any{linkID}}, {Col: "status", Values: []any{string(checkout.Complete)}}}}
	var n int64
	for {
		page, err := tx.List(ctx, checkout.Table, q)
		if err != nil {
			return 0, err
		}
		n += int64(len(page.Records))
		if !page.HasMore || len(page.Records) == 0 {
			return n, nil
		}
		q.After = page.Records[len(page.Records)-1].ID
	}
}

// SessionCompleted is checkout's OnComplete hook: a session opened from a
// link completed, inside its completing transaction. A link with
// restrictions counts it, and the completion that reaches the limit
// deactivates the link with payment_link.updated, as Stripe does. The
// link's row is locked even when it has no restrictions, so that an
// update setting them counts this session exactly once.
func (s *Service) SessionCompleted(ctx context.Context, tx store.Tx, account string, cs *checkout.Session) error {
	if cs.PaymentLink == nil {
		return nil
	}
	ld, err := load(ctx, tx, account, *cs.PaymentLink, true)
	if err != nil {
		return err
	}
	r := ld.l.Restrictions
	if r == nil {
		return nil
	}
	r.CompletedSessions.Count++
	typ := ""
	if ld.l.Active && r.CompletedSessions.Count >= r.CompletedSessions.Limit {
		ld.l.Active, typ = false, EventUpdated
	}
	_, err = save(ctx, tx, account, s.Now().Unix(), ld, false, typ)
	return err
}
