// Package history answers questions about the past from the log itself: what an
// aggregate was at a given moment, and which events made it so. It serves the API's
// as_of and `stockledger replay`.
//
// A moment is a recorded time: an aggregate "as of" T is the fold of its stream's
// events recorded at or before T, by the domain's own Apply, so the past is computed
// with the rules of the present (and older event shapes are upcast by the codec as
// everywhere else). The state is then rendered by the read models' own renderers, so
// that an answer "as of" a moment has exactly the shape of the answer about now.
package history

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/eventstore"
)

// Log is the part of the event store history reads.
type Log interface {
	ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Recorded, error)
}

// Codec reads stored events in their current shape (*domain.Codec).
type Codec interface {
	Decode(typ string, schema int, data []byte) (domain.Event, error)
}

// Aggregate is a domain aggregate: it folds events.
type Aggregate interface {
	Apply(domain.Event)
}

// Step is one event of a replay, as stored and as decoded.
type Step struct {
	Recorded eventstore.Recorded
	Event    domain.Event
}

// pageSize is how many events a replay reads at a time.
const pageSize = 1000

// Replay folds the events of stream recorded at or before at into agg, in stream
// order, and returns them; a zero at folds them all. The replay stops at the first
// event recorded after at: a state at a moment is a prefix of its stream.
func Replay(ctx context.Context, log Log, codec Codec, stream string, at time.Time, agg Aggregate) ([]Step, error) {
	if log == nil || codec == nil {
		return nil, errors.New("replay: no log or no codec")
	}
	var steps []Step
	from := uint64(1)
	for {
		page, err := log.ReadStream(ctx, stream, from, pageSize)
		if err != nil {
			return nil, fmt.Errorf("replay %s: %w", stream, err)
		}
		for _, rec := range page {
			if !at.IsZero() && rec.RecordedAt.After(at) {
				return steps, nil
			}
			ev, err := codec.Decode(rec.Type, rec.Schema, rec.Data)
			if err != nil {
				return nil, fmt.Errorf("replay %s: event %d: %w", stream, rec.Version, err)
			}
			agg.Apply(ev)
			steps = append(steps, Step{Recorded: rec, Event: ev})
			from = rec.Version + 1
		}
		if len(page) < pageSize {
			return steps, nil
		}
	}
}
