package esdb

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/stockledger/stockledger/eventstore"
)

// The functions in this file translate between the ledger's vocabulary and EventStoreDB's.
// They do no I/O, so every rule that differs between the two stores is unit tested without a
// server.

// expectedRevision maps an append expectation. ESDB counts revisions from 0 while the ledger
// counts versions from 1, so "the stream is at version v" is "its last revision is v-1".
func expectedRevision(e eventstore.Expected) esclient.ExpectedRevision {
	if v, ok := e.Version(); ok {
		return esclient.Revision(v - 1) // Exact never holds 0: Exact(0) is NoStream.
	}
	switch {
	case e.IsNoStream():
		return esclient.NoStream{}
	case e.IsStreamExists():
		return esclient.StreamExists{}
	}
	return esclient.Any{}
}

// versionOf is the ledger version of the event at ESDB revision rev.
func versionOf(rev uint64) uint64 { return rev + 1 }

// streamFrom is where a forward stream read starts to return events with version >= from.
// Versions 0 and 1 both mean the first event.
func streamFrom(from uint64) esclient.StreamPosition {
	if from <= 1 {
		return esclient.Start{}
	}
	return esclient.Revision(from - 1)
}

// noPosition is what ESDB reports for an event whose $all position it did not look up:
// servers before 22.6 do so on stream reads.
const noPosition = math.MaxUint64

// positionOf maps an ESDB log position. An unknown position becomes the zero Position,
// which no event of $all has, rather than a huge one that would sort after every event.
func positionOf(p esclient.Position) eventstore.Position {
	if p.Commit == noPosition || p.Prepare == noPosition {
		return eventstore.Start
	}
	return eventstore.Position{Commit: p.Commit, Prepare: p.Prepare}
}

// allFrom is where a $all read or subscription starts for events after p. Start maps to
// ESDB's own start marker because the log's first records sit at ESDB positions that are
// not (0, 0).
func allFrom(p eventstore.Position) esclient.AllPosition {
	if p == eventstore.Start {
		return esclient.Start{}
	}
	return esclient.Position{Commit: p.Commit, Prepare: p.Prepare}
}

// comesAfter reports whether an event at p belongs to a read "after after". Reading $all from
// a position includes the event at that position, and a resubscription repeats what the
// dropped subscription delivered, so both drop everything up to and including after.
func comesAfter(after, p eventstore.Position) bool {
	return after == eventstore.Start || after.Before(p)
}

// isSystem reports whether an event is ESDB's own bookkeeping ($-prefixed type or stream:
// statistics, projections' links and checkpoints, stream metadata), which the ledger's log
// does not contain.
func isSystem(stream, eventType string) bool {
	return strings.HasPrefix(stream, "$") || strings.HasPrefix(eventType, "$")
}

// envelope is the JSON object stored as an ESDB event's user metadata. ESDB has no field for
// the schema version, so it travels with the metadata; the names are stored contracts.
type envelope struct {
	Schema int `json:"schema"`
	eventstore.Metadata
}

func encodeMetadata(schema int, m eventstore.Metadata) ([]byte, error) {
	b, err := json.Marshal(envelope{Schema: schema, Metadata: m})
	if err != nil {
		return nil, fmt.Errorf("encode metadata: %w", err)
	}
	return b, nil
}

// decodeMetadata reads what encodeMetadata wrote. Empty metadata (an event written by
// another tool) reads as schema 1 with no context, the defaults a NewEvent would have had.
func decodeMetadata(b []byte) (schema int, m eventstore.Metadata, err error) {
	var env envelope
	if len(b) > 0 {
		if err := json.Unmarshal(b, &env); err != nil {
			return 0, eventstore.Metadata{}, fmt.Errorf("decode metadata: %w", err)
		}
	}
	if env.Schema <= 0 {
		env.Schema = 1
	}
	return env.Schema, env.Metadata, nil
}

func toEventData(e eventstore.NewEvent) (esclient.EventData, error) {
	meta, err := encodeMetadata(e.SchemaOrDefault(), e.Metadata)
	if err != nil {
		return esclient.EventData{}, fmt.Errorf("event %s: %w", e.ID, err)
	}
	return esclient.EventData{
		EventID:     e.ID,
		EventType:   e.Type,
		ContentType: esclient.ContentTypeJson,
		Data:        e.Data,
		Metadata:    meta,
	}, nil
}

func toRecorded(ev *esclient.RecordedEvent) (eventstore.Recorded, error) {
	schema, meta, err := decodeMetadata(ev.UserMetadata)
	if err != nil {
		return eventstore.Recorded{}, fmt.Errorf("event %s at %s@%d: %w", ev.EventID, ev.StreamID, versionOf(ev.EventNumber), err)
	}
	return eventstore.Recorded{
		ID:         ev.EventID,
		Stream:     ev.StreamID,
		Version:    versionOf(ev.EventNumber),
		Position:   positionOf(ev.Position),
		Type:       ev.EventType,
		Schema:     schema,
		Data:       json.RawMessage(ev.Data),
		Metadata:   meta,
		RecordedAt: ev.CreatedDate,
	}, nil
}

// errorCode is the client's classification of err, ErrorCodeUnknown for anything else. The
// client wraps its *Error in fmt.Errorf on some paths, so a type assertion would miss it.
func errorCode(err error) esclient.ErrorCode {
	var e *esclient.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return esclient.ErrorCodeUnknown
}

func isStreamNotFound(err error) bool {
	return errorCode(err) == esclient.ErrorCodeResourceNotFound
}

// currentRevisionPattern finds the stream's revision in the client's wrong-expected-version
// error. Client v4 reports it only in the message ("expecting '4' but got '7'", or
// 'no_stream'), not in a field.
var currentRevisionPattern = regexp.MustCompile(`but got '([^']*)'`)

// mapAppendError turns the client's wrong-expected-version error into the ledger's
// *eventstore.WrongVersionError and wraps anything else. actualKnown is false when the error
// is a conflict but the server's answer did not say where the stream is.
func mapAppendError(stream string, expected eventstore.Expected, err error) (mapped error, actualKnown bool) {
	if errorCode(err) != esclient.ErrorCodeWrongExpectedVersion {
		return fmt.Errorf("append %s: %w", stream, err), true
	}
	actual, ok := reportedVersion(err.Error())
	return &eventstore.WrongVersionError{Stream: stream, Expected: expected, Actual: actual}, ok
}

// reportedVersion extracts the stream's current version from a wrong-expected-version
// message: 0 for no stream, the revision plus one otherwise.
func reportedVersion(msg string) (uint64, bool) {
	m := currentRevisionPattern.FindStringSubmatch(msg)
	if m == nil {
		return 0, false
	}
	if m[1] == "no_stream" {
		return 0, true
	}
	rev, err := strconv.ParseUint(m[1], 10, 64)
	if err != nil {
		return 0, false
	}
	return versionOf(rev), true
}

// retryable reports whether a dropped or refused subscription is worth resubscribing. Bad
// credentials, missing permissions, a server without the feature and a closed Store do not
// heal by waiting. A client that closed itself does: Store.call replaces it.
func retryable(err error) bool {
	if errors.Is(err, errClosed) {
		return false
	}
	switch errorCode(err) {
	case esclient.ErrorCodeUnauthenticated, esclient.ErrorCodeAccessDenied, esclient.ErrorCodeUnsupportedFeature:
		return false
	}
	return true
}

const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 10 * time.Second
)

// backoff is the wait before resubscription attempt n (0 for the first after a drop):
// doubling from minBackoff up to maxBackoff, so a server that is down is not hammered and a
// brief blip costs little.
func backoff(n int) time.Duration {
	d := minBackoff
	for i := 0; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// pageSize is the number of events a read returns when the caller gives no limit.
const pageSize = 1000

func readLimit(limit int) int {
	if limit <= 0 {
		return pageSize
	}
	return limit
}
