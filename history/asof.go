package history

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/part"
	"github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/projections/levels"
	"github.com/stockledger/stockledger/projections/parts"
	stockrm "github.com/stockledger/stockledger/projections/stock"
)

// Stream categories of the aggregates Service renders (commands.StockItemCategory and
// PartStreamCategory; stored in stream names).
const (
	stockItemCategory = "stockitem"
	partCategory      = "part"
)

// StockItems renders stock items from their state (projections/stock.ReadModel).
type StockItems interface {
	RenderItem(ctx context.Context, st stockrm.ItemState, f stockrm.ItemFilter) ([]byte, error)
	// PartVariants is a part with the parts below it in its variant tree, nil when the
	// read model holds no such part.
	PartVariants(ctx context.Context, part int64) ([]int64, error)
}

// StockFigures tells a part's stock figures at a moment (projections/levels.ReadModel).
type StockFigures interface {
	PartFigures(ctx context.Context, part int64, variants []int64, at time.Time) (levels.Figures, error)
}

// Config configures a Service.
type Config struct {
	// Log holds the streams. Required.
	Log Log
	// Codec reads every event type. Required.
	Codec Codec
	// Stock renders stock items. Required.
	Stock StockItems
	// Parts is the parts read model's database, to render parts. Required.
	Parts parts.DB
	// Figures gives parts' stock figures at a moment. Required.
	Figures StockFigures
}

// Service answers "as of" questions about stock items and parts.
type Service struct {
	cfg Config
}

// NewService checks cfg and returns a Service.
func NewService(cfg Config) (*Service, error) {
	var errs []error
	if cfg.Log == nil {
		errs = append(errs, errors.New("no log"))
	}
	if cfg.Codec == nil {
		errs = append(errs, errors.New("no codec"))
	}
	if cfg.Stock == nil {
		errs = append(errs, errors.New("no stock item renderer"))
	}
	if cfg.Parts == nil {
		errs = append(errs, errors.New("no parts database"))
	}
	if cfg.Figures == nil {
		errs = append(errs, errors.New("no stock figures"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return &Service{cfg: cfg}, nil
}

// StockItem is stock item pk as it stood at instant at, rendered as /api/stock/{id}/
// renders it with f's details; a domain.NotFoundError when it did not exist then.
func (s *Service) StockItem(ctx context.Context, pk int64, at time.Time, f stockrm.ItemFilter) ([]byte, error) {
	st, err := s.ItemState(ctx, pk, at)
	if err != nil {
		return nil, err
	}
	return s.cfg.Stock.RenderItem(ctx, st, f)
}

// ItemState folds stock item pk up to instant at into what its rendering needs.
//
// The counts are the read model's: tracking entries are those of the item's own
// events, installed items those its stream says are installed. Child items are the
// items split or serialized off it up to then; a child deleted or merged away
// afterwards says so only in its own stream, so it is still counted. The parent is
// the read model's too (see liveParent).
func (s *Service) ItemState(ctx context.Context, pk int64, at time.Time) (stockrm.ItemState, error) {
	item := &stock.Item{}
	steps, err := Replay(ctx, s.cfg.Log, s.cfg.Codec, eventstore.Stream(stockItemCategory, pk), at, item)
	if err != nil {
		return stockrm.ItemState{}, err
	}
	if !item.Exists() {
		return stockrm.ItemState{}, &domain.NotFoundError{Kind: "StockItem", ID: pk}
	}
	st := stockrm.ItemState{PK: pk, ItemData: item.Data(), InStock: item.InStock(), InstalledItems: len(item.Installed())}
	if st.Parent, err = s.liveParent(ctx, st.Parent, at); err != nil {
		return stockrm.ItemState{}, err
	}
	for i, step := range steps {
		if i == 0 {
			st.Created = step.Recorded.RecordedAt
		}
		switch e := step.Event.(type) {
		case stock.ItemComponentInstalled, stock.ItemComponentRemoved:
			// Recorded on the assembly without changing its own fields.
		case stock.ItemSplit:
			st.ChildItems++
			st.Updated = step.Recorded.RecordedAt
		case stock.ItemSerialized:
			st.ChildItems += len(e.NewItems)
			st.Updated = step.Recorded.RecordedAt
		default:
			st.Updated = step.Recorded.RecordedAt
		}
		n, err := trackingEntries(step.Event)
		if err != nil {
			return stockrm.ItemState{}, fmt.Errorf("stock item %d, event %d: %w", pk, step.Recorded.Version, err)
		}
		st.TrackingItems += n
	}
	return st, nil
}

// maxParentHops bounds liveParent's walk up the parents, so that a corrupt log cannot
// make it loop.
const maxParentHops = 100

// liveParent is the item's parent as the read model shows it at instant at: a parent
// deleted by then hands its children to its own parent (StockItem.delete), which the
// children's streams do not record.
func (s *Service) liveParent(ctx context.Context, parent int64, at time.Time) (int64, error) {
	for range maxParentHops {
		if parent == 0 {
			return 0, nil
		}
		p := &stock.Item{}
		if _, err := Replay(ctx, s.cfg.Log, s.cfg.Codec, eventstore.Stream(stockItemCategory, parent), at, p); err != nil {
			return 0, err
		}
		if p.Exists() || p.PK() == 0 {
			return parent, nil
		}
		parent = p.Data().Parent
	}
	return parent, nil
}

// trackingEntries counts the stock tracking entries an event stands for: every stock
// item event carries them in its "tracking" member.
func trackingEntries(ev domain.Event) (int, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return 0, err
	}
	var t struct {
		Tracking []json.RawMessage `json:"tracking"`
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return 0, err
	}
	return len(t.Tracking), nil
}

// Part is part pk as it stood at instant at, rendered as /api/part/{id}/ renders it
// with d's details, its stock figures those of then; a domain.NotFoundError when it
// did not exist then.
func (s *Service) Part(ctx context.Context, pk int64, at time.Time, d parts.PartDetail) (parts.Part, error) {
	p := &part.Part{}
	steps, err := Replay(ctx, s.cfg.Log, s.cfg.Codec, eventstore.Stream(partCategory, pk), at, p)
	if err != nil {
		return parts.Part{}, err
	}
	if !p.Exists() {
		return parts.Part{}, &domain.NotFoundError{Kind: "Part", ID: pk}
	}
	st := parts.PartState{ID: pk, PartFields: p.Fields()}
	if created, ok := steps[0].Event.(part.PartCreated); ok {
		st.CreatedAt = created.CreatedAt
	}
	// The variant tree is the one of now, as are the category details.
	variants, err := s.cfg.Stock.PartVariants(ctx, pk)
	if err != nil {
		return parts.Part{}, err
	}
	variants = slices.DeleteFunc(variants, func(v int64) bool { return v == pk })
	figures, err := s.cfg.Figures.PartFigures(ctx, pk, variants, at)
	if err != nil {
		return parts.Part{}, err
	}
	st.InStock, st.VariantStock, st.ExternalStock = figures.InStock, figures.VariantStock, figures.ExternalStock
	st.StockItemCount = figures.Items
	return parts.PartAt(ctx, s.cfg.Parts, st, d)
}
