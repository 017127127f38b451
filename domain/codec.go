package domain

import (
	"encoding/json"
	"errors"
	"fmt"
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

// JSONEvent is the EventType of an event whose payload has only ever had one shape:
// it is the JSON encoding of E.
func JSONEvent[E Event](name string) EventType {
	return EventType{
		Name:   name,
		Schema: 1,
		Decode: func(schema int, data []byte) (Event, error) {
			if schema != 1 {
				return nil, fmt.Errorf("%s: unknown schema version %d", name, schema)
			}
			var e E
			if err := json.Unmarshal(data, &e); err != nil {
				return nil, fmt.Errorf("decode %s: %w", name, err)
			}
			return e, nil
		},
	}
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

// Decode reads a stored event.
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
