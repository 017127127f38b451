package commands

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/company"
	"github.com/stockledger/stockledger/domain/stock"
)

// CustomerFacter tells stock commands what they need to know about a customer, from
// the company's own stream.
type CustomerFacter interface {
	CustomerFacts(ctx context.Context, pk int64) (stock.CustomerFacts, error)
}

// CompanyStates reads companies from their streams (CompanyHandlers implements it).
type CompanyStates interface {
	CompanyFacts(ctx context.Context, pk int64) (company.Facts, error)
}

// StockCustomerFacts adapts the company aggregate to CustomerFacter.
func StockCustomerFacts(companies CompanyStates) CustomerFacter { return companyCustomers{companies} }

type companyCustomers struct{ companies CompanyStates }

func (c companyCustomers) CustomerFacts(ctx context.Context, pk int64) (stock.CustomerFacts, error) {
	f, err := c.companies.CompanyFacts(ctx, pk)
	if err != nil {
		return stock.CustomerFacts{}, err
	}
	return stock.CustomerFacts{PK: pk, Exists: f.Exists, IsCustomer: f.IsCustomer, Name: f.Name}, nil
}

// AssignStock gives items to a customer (POST /api/stock/assign/).
type AssignStock struct {
	Items    []int64
	Customer int64
	Notes    string
}

// ReturnStock takes items back from their customers (POST /api/stock/return/).
type ReturnStock struct {
	Items    []StockLine
	Location int64
	Notes    string
	// Merge folds what comes back into the item it was split from, when that item is
	// at the location (StockItem.return_to_stock).
	Merge bool
}

// errNoCustomers: the handlers were built without a way to read customers.
var errNoCustomers = errors.New("stock handlers: no customer facts configured")

// Assign gives every item, whole, to the customer, all or nothing: a refused item is
// reported under its index (items.N.item).
func (h *StockHandlers) Assign(ctx context.Context, cmd AssignStock) (Result, error) {
	if h.customers == nil {
		return Result{}, errNoCustomers
	}
	customer, err := h.customers.CustomerFacts(ctx, cmd.Customer)
	if err != nil {
		return Result{}, fmt.Errorf("assign stock: customer %d: %w", cmd.Customer, err)
	}
	customer.PK = cmd.Customer
	if err := stock.CheckCustomer("customer", customer); err != nil {
		return Result{}, err
	}
	if len(cmd.Items) == 0 {
		return Result{}, domain.Invalid("", msgStockNoItems)
	}
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		items := newStockTxItems(tx, newStockKeys(tx))
		refused := &domain.RuleError{}
		for i, pk := range cmd.Items {
			it, err := items.get(ctx, pk)
			if err != nil {
				return err
			}
			if !it.Exists() {
				refused.Add("items."+strconv.Itoa(i)+".item", msgNoObject(pk))
				continue
			}
			part, err := h.parts.PartFacts(ctx, it.Data().Part)
			if err != nil {
				return fmt.Errorf("part %d: %w", it.Data().Part, err)
			}
			evs, err := it.AssignToCustomer(customer, part, cmd.Notes)
			if err := collect(refused, "items."+strconv.Itoa(i), err); err != nil {
				return err
			}
			if err := items.emit(pk, evs...); err != nil {
				return err
			}
		}
		return refused.Err()
	})
	if err != nil {
		return Result{}, fmt.Errorf("assign stock: %w", err)
	}
	return res, nil
}

// collect adds a rule error's violations under prefix to refused and returns any other
// error.
func collect(refused *domain.RuleError, prefix string, err error) error {
	var rule *domain.RuleError
	if errors.As(err, &rule) {
		refused.Violations = append(refused.Violations, rule.Prefix(prefix).Violations...)
		return nil
	}
	return err
}

// Return takes the items back from their customers into the location, all or nothing.
// Taking back part of an item splits it (a new item comes back). With Merge, what
// comes back is folded into the item it was split from when that one is at the
// location and can take it (InvenTree skips the merge silently otherwise).
func (h *StockHandlers) Return(ctx context.Context, cmd ReturnStock) (Result, error) {
	if h.customers == nil {
		return Result{}, errNoCustomers
	}
	loc, err := h.locationFacts(ctx, cmd.Location)
	if err != nil {
		return Result{}, fmt.Errorf("return stock: %w", err)
	}
	if err := stock.CheckDestination("location", cmd.Location, loc); err != nil {
		return Result{}, err
	}
	if len(cmd.Items) == 0 {
		return Result{}, domain.Invalid("", msgStockNoItems)
	}
	newKeys := h.newKeyPool()
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		newKeys.rewind()
		items := newStockTxItems(tx, newStockKeys(tx))
		refused := &domain.RuleError{}
		for i, line := range cmd.Items {
			prefix := "items." + strconv.Itoa(i)
			it, err := items.get(ctx, line.PK)
			if err != nil {
				return err
			}
			if !it.Exists() {
				refused.Add(prefix+".pk", msgNoObject(line.PK))
				continue
			}
			name := ""
			if c := it.WithCustomer(); c != 0 {
				customer, err := h.customers.CustomerFacts(ctx, c)
				if err != nil {
					return fmt.Errorf("customer %d: %w", c, err)
				}
				name = customer.Name
			}
			var newPK int64
			if it.Exists() && it.ReturnSplitsOn(line.Quantity) {
				if newPK, err = newKeys.next(ctx); err != nil {
					return err
				}
			}
			own, spawned, err := it.ReturnFromCustomer(line.Quantity, cmd.Location, line.Status, newPK, name, cmd.Notes)
			if err := collect(refused, prefix, err); err != nil {
				return err
			}
			if err := items.emit(line.PK, own...); err != nil {
				return err
			}
			back := it
			if spawned != nil {
				if err := items.create(spawned.PK, spawned.Events); err != nil {
					return err
				}
				back = items.items[spawned.PK]
			}
			if cmd.Merge && len(own)+len(spawnedEvents(spawned)) > 0 {
				if err := h.mergeBack(ctx, items, back, it.Parent(), cmd.Location, loc, cmd.Notes); err != nil {
					return err
				}
			}
		}
		return refused.Err()
	})
	if err != nil {
		return Result{}, fmt.Errorf("return stock: %w", err)
	}
	return res, nil
}

// msgNoObject is DRF's refusal of a pk that names no object.
func msgNoObject(pk int64) string {
	return fmt.Sprintf("Invalid pk \"%d\" - object does not exist.", pk)
}

func spawnedEvents(s *stock.Spawned) []domain.Event {
	if s == nil {
		return nil
	}
	return s.Events
}

// mergeBack folds the returned item into parent, the item the returned one came from,
// when parent is at the location and the merge's rules allow it; otherwise nothing.
func (h *StockHandlers) mergeBack(ctx context.Context, items *stockTxItems, back *stock.Item, parent, location int64, loc stock.LocationFacts, notes string) error {
	if parent == 0 || back.Serialized() {
		return nil
	}
	target, err := items.get(ctx, parent)
	if err != nil {
		return err
	}
	if !target.Exists() || target.Data().Location != location {
		return nil
	}
	res, err := stock.Merge([]*stock.Item{target, back}, location, loc, stock.MergeOptions{}, notes)
	var rule *domain.RuleError
	if errors.As(err, &rule) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := items.apply(ctx, target, res.Target); err != nil {
		return err
	}
	return items.apply(ctx, back, res.Merged[0])
}
