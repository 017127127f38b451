package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	gojson "github.com/goccy/go-json"
)

// EventType describes one stored event type: its name, the current version of its
// payload's shape, and how to read a payload of any version. Each aggregate package
// lists its types in an explicit table; nothing is registered by reflection.
type EventType struct {
	// Name is the stored type string. A contract: never rename it.
	Name string
	// Schema is the version new events are written with, starting at 1.
	Schema int
	// Decode reads a payload written with the given schema version and returns the
	// event in its current shape (upcasting older versions).
	Decode func(schema int, data []byte) (Event, error)
}

// Upcaster rewrites a payload written with one schema version into the shape of the
// next version. It sees the JSON as it was stored and returns JSON; it may only use
// what the payload holds, and must accept every payload its version could have
// written, since stored events are never rewritten.
type Upcaster func(data []byte) ([]byte, error)

// JSONEvent is the EventType of an event whose payload has only ever had one shape:
// it is the JSON encoding of E.
func JSONEvent[E Event](name string) EventType {
	return EvolvedEvent[E](name)
}

// EvolvedEvent is the EventType of an event whose payload changed shape over time. Its
// current shape, schema len(upcasters)+1, is the JSON encoding of E; upcasters[i]
// turns a schema i+1 payload into schema i+2. A stored payload is brought up to the
// current shape one version at a time, then decoded, so every reader (aggregate loads,
// projections, the audit log) sees only the current shape. A version newer than the
// current one was written by a later Stockledger, and is refused rather than guessed.
func EvolvedEvent[E Event](name string, upcasters ...Upcaster) EventType {
	current := len(upcasters) + 1
	return EventType{
		Name:   name,
		Schema: current,
		Decode: func(schema int, data []byte) (Event, error) {
			if schema < 1 || schema > current {
				return nil, fmt.Errorf("%s: unknown schema version %d (this version reads 1 to %d)", name, schema, current)
			}
			for v := schema; v < current; v++ {
				up, err := upcasters[v-1](data)
				if err != nil {
					return nil, fmt.Errorf("upcast %s from schema %d: %w", name, v, err)
				}
				data = up
			}
			// go-json reads the same JSON into the same values as encoding/json, about
			// three times as fast: every load of a stream and every projector and
			// rebuild decodes through here.
			var e E
			if err := gojson.Unmarshal(data, &e); err != nil {
				return nil, fmt.Errorf("decode %s: %w", name, err)
			}
			return e, nil
		},
	}
}

// UpcastObject is an Upcaster that edits the payload's members: edit gets the JSON
// object as a map from member name to raw value and changes it in place.
func UpcastObject(edit func(members map[string]json.RawMessage) error) Upcaster {
	return func(data []byte) ([]byte, error) {
		var members map[string]json.RawMessage
		if err := json.Unmarshal(data, &members); err != nil {
			return nil, err
		}
		if members == nil {
			return nil, errors.New("payload is not a JSON object")
		}
		if err := edit(members); err != nil {
			return nil, err
		}
		return json.Marshal(members)
	}
}

// RawOr is a member's raw value, or def when the member is absent or null: the reading
// of an omitted ("omitempty") member.
func RawOr(members map[string]json.RawMessage, name string, def json.RawMessage) json.RawMessage {
	v, ok := members[name]
	if !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
		return def
	}
	return v
}

// ErrUnknownEvent is a stored type no table knows.
var ErrUnknownEvent = errors.New("unknown event type")

// Codec decodes stored events of every type it was built with.
type Codec struct {
	types map[string]EventType
}

// NewCodec builds a Codec from aggregate packages' tables; a name may appear once.
func NewCodec(tables ...[]EventType) (*Codec, error) {
	c := &Codec{types: map[string]EventType{}}
	for _, table := range tables {
		for _, t := range table {
			if t.Name == "" || t.Schema < 1 || t.Decode == nil {
				return nil, fmt.Errorf("event type %q: name, schema and decoder are required", t.Name)
			}
			if _, dup := c.types[t.Name]; dup {
				return nil, fmt.Errorf("event type %q listed twice", t.Name)
			}
			c.types[t.Name] = t
		}
	}
	return c, nil
}

// Decode reads a stored event, upcast to its current shape.
func (c *Codec) Decode(typ string, schema int, data []byte) (Event, error) {
	t, ok := c.types[typ]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownEvent, typ)
	}
	return t.Decode(schema, data)
}

// Schema is the version new events of typ are written with (1 for an unknown type).
func (c *Codec) Schema(typ string) int {
	if t, ok := c.types[typ]; ok {
		return t.Schema
	}
	return 1
}
