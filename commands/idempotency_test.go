package commands_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/eventstore"
)

// Under an idempotency key, event ids come from the key, the stream and the event's
// place: the same decision appended again lands on the stored ids (a no-op where they
// are, ErrDuplicateEvent anywhere else), and other keys or streams get other ids.
func TestIdempotencyKeyDerivesEventIDs(t *testing.T) {
	x, store := newExecutor(t, 1)
	ctx := context.Background()
	keyed := commands.WithIdempotencyKey(ctx, "req-1")
	inc := func(ctx context.Context, stream string) error {
		_, err := commands.Execute(ctx, x, stream, fresh, func(c *counter) ([]domain.Event, error) { return c.Increment(1, 100) })
		return err
	}
	if err := inc(keyed, "counter-1"); err != nil {
		t.Fatal(err)
	}
	// The same request on the stream as it is now: the id is stored at version 1, so an
	// append at version 2 is a duplicate, never a second increment.
	if err := inc(keyed, "counter-1"); !errors.Is(err, eventstore.ErrDuplicateEvent) {
		t.Fatalf("a repeated keyed append: %v, want ErrDuplicateEvent", err)
	}
	// Another stream, or another key, is another event.
	if err := inc(keyed, "counter-2"); err != nil {
		t.Fatal(err)
	}
	if err := inc(commands.WithIdempotencyKey(ctx, "req-2"), "counter-1"); err != nil {
		t.Fatal(err)
	}
	one, _ := store.ReadStream(ctx, "counter-1", 1, 10)
	two, _ := store.ReadStream(ctx, "counter-2", 1, 10)
	if len(one) != 2 || len(two) != 1 || one[0].ID == two[0].ID || one[0].ID == one[1].ID {
		t.Fatalf("counter-1 %+v, counter-2 %+v", one, two)
	}
	// Without a key, ids are fresh.
	if err := inc(ctx, "counter-1"); err != nil {
		t.Fatal(err)
	}
}
