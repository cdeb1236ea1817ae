package pmconfig

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/payd/payd/internal/customeraction"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/param"
	"github.com/payd/payd/internal/store"
)

// Service runs configuration operations inside the caller's transaction.
type Service struct {
	Now func() time.Time
}

// settings are the parameters of create and update that are not a payment
// method's hash.
var settings = map[string]bool{"name": true, "active": true, "parent": true, "expand": true}

// refuseUnsupported answers the first payment method hash (in name order)
// for a method payd cannot process. The spec accepts a hash for every
// method Stripe has; turning one on here would promise payments payd
// cannot take, and turning one off would pretend to change something.
func refuseUnsupported(p param.Map) error {
	var names []string
	for name := range p {
		if !settings[name] && !slices.Contains(customeraction.Supported, name) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	return errs.Invalid("", names[0], "payd does not support the payment method %s, so it cannot be configured. payd supports: %s.",
		names[0], strings.Join(customeraction.Supported, ", "))
}

// apply sets the name and the display preferences present in p.
func apply(c *Configuration, p param.Map) error {
	if p.Has("name") {
		name := p.Str("name")
		if name == "" {
			return errs.Invalid("", "name", "A payment method configuration's name cannot be empty.")
		}
		c.Name = name
	}
	for _, t := range customeraction.Supported {
		pref := p.Map(t).Map("display_preference")
		if !pref.Has("preference") {
			continue
		}
		switch v := pref.Str("preference"); v {
		case On, Off, None:
			c.method(t).prefer(v)
		default:
			// The schema's enum keeps anything else out; an empty value
			// (Stripe's unset) is the one left to refuse.
			return errs.Invalid("", param.Path(param.Path(t, "display_preference"), "preference"),
				"Invalid preference: must be one of on, off or none.")
		}
	}
	return nil
}

// Create makes an additional, non-default configuration. Its methods start
// on, as the default's do, before the parameters apply.
func (s *Service) Create(ctx context.Context, tx store.Tx, account string, p param.Map) ([]byte, error) {
	if p.Has("parent") {
		return nil, errs.Invalid("", "parent", "Child configurations (parent) are for Connect platforms, which payd does not have.")
	}
	if err := refuseUnsupported(p); err != nil {
		return nil, err
	}
	if !p.Has("name") {
		return nil, errs.Missing("name")
	}
	c := fresh(id.New(Prefix), "", false)
	if err := apply(c, p); err != nil {
		return nil, err
	}
	return save(ctx, tx, c, account, s.Now().Unix(), true)
}

// Update changes a configuration's name, active flag and display
// preferences. The first update that changes the default stores it; an
// update that changes nothing writes nothing.
func (s *Service) Update(ctx context.Context, tx store.Tx, account, configID string, p param.Map) ([]byte, error) {
	if err := refuseUnsupported(p); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		c, before, stored, err := load(ctx, tx, account, configID)
		if err != nil {
			return nil, err
		}
		if err := apply(c, p); err != nil {
			return nil, err
		}
		if active := p.Bool("active"); active != nil {
			if c.IsDefault && !*active {
				// payd's guess at Stripe's answer: the default is what
				// every intent without payment_method_types uses, so it
				// cannot be switched off; turn its methods off instead.
				return nil, errs.Invalid("", "active", "The default payment method configuration cannot be deactivated.")
			}
			c.Active = *active
		}
		after, err := json.Marshal(c)
		if err != nil || string(after) == string(before) {
			return before, err
		}
		data, err := save(ctx, tx, c, account, s.Now().Unix(), !stored)
		if errors.Is(err, store.ErrConflict) && attempt == 0 {
			// A concurrent first update stored the default between load
			// and insert; apply this one on top of it, under its lock.
			continue
		}
		return data, err
	}
}
