package commands_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/eventstore/postgres"
	"github.com/stockledger/stockledger/internal/sequence"
	stockproj "github.com/stockledger/stockledger/projections/stock"
)

// countingStore is the fixture's store, counting its stream reads.
type countingStore struct {
	*postgres.Store
	single, multi atomic.Int32
}

func (s *countingStore) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Recorded, error) {
	s.single.Add(1)
	return s.Store.ReadStream(ctx, stream, from, limit)
}

func (s *countingStore) ReadStreams(ctx context.Context, streams []string, limit int) ([]eventstore.Recorded, error) {
	s.multi.Add(1)
	return s.Store.ReadStreams(ctx, streams, limit)
}

// A transfer reads its destination and its items in one round trip, and decides as it
// would with a read each.
func TestTransferReadsItsStreamsAtOnce(t *testing.T) {
	f := newStockFixture(t, stock.Settings{})
	f.parts.set(1, stock.PartFacts{})
	a, b := f.location("A", 0), f.location("B", 0)
	x := f.create(stock.NewStock{Part: 1, Quantity: stockDec("10"), Location: a})[0]
	y := f.create(stock.NewStock{Part: 1, Quantity: stockDec("5"), Location: a})[0]

	store := &countingStore{Store: f.Store}
	codec, err := domain.NewCodec(stock.Events())
	if err != nil {
		t.Fatal(err)
	}
	x2, err := commands.New(commands.Config{Store: store, Codec: codec, Keys: sequence.New(f.Pool)})
	if err != nil {
		t.Fatal(err)
	}
	rm, err := stockproj.NewReadModel(f.Pool, stockproj.ReadModelConfig{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := commands.NewStockHandlers(commands.StockConfig{Executor: x2, Parts: f.parts, Lookup: rm})
	if err != nil {
		t.Fatal(err)
	}

	res, err := h.Transfer(f.ctx, commands.TransferStock{Items: []commands.StockLine{stockLine(x, "4"), stockLine(y, "5")}, Location: b})
	f.ok(res, err)
	if single, multi := store.single.Load(), store.multi.Load(); single != 0 || multi != 1 {
		t.Errorf("the transfer read streams %d times one by one and %d times together; want 0 and 1", single, multi)
	}
	if it := f.load(x); !it.Data().Quantity.Equal(stockDec("6")) || it.Data().Location != a {
		t.Errorf("x holds %s at %d, want 6 at %d", it.Data().Quantity, it.Data().Location, a)
	}
	if it := f.load(y); it.Data().Location != b {
		t.Errorf("y is at %d, want %d", it.Data().Location, b)
	}

	// A bad destination is refused before any line, from the same read.
	store.multi.Store(0)
	_, err = h.Transfer(f.ctx, commands.TransferStock{Items: []commands.StockLine{stockLine(x, "1"), stockLine(999, "1")}, Location: 998})
	stockWant(t, err, "location", `Invalid pk "998"`)
	if store.single.Load() != 0 || store.multi.Load() != 1 {
		t.Errorf("the refused transfer read %d + %d times, want one read of all", store.single.Load(), store.multi.Load())
	}
	// With no items, the destination is still refused first.
	_, err = h.Transfer(f.ctx, commands.TransferStock{Location: 998})
	stockWant(t, err, "location", `Invalid pk "998"`)
	_, err = h.Transfer(f.ctx, commands.TransferStock{Location: b})
	stockWant(t, err, "", "A list of stock items must be provided")
}
