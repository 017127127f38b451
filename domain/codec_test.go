package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

type thingNamed struct {
	Name string `json:"name"`
}

func (thingNamed) EventType() string { return "ThingNamed" }

func TestCodec(t *testing.T) {
	c, err := NewCodec([]EventType{JSONEvent[thingNamed]("ThingNamed")})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := c.Decode("ThingNamed", 1, []byte(`{"name":"bolt"}`))
	if err != nil || ev.(thingNamed).Name != "bolt" {
		t.Fatalf("Decode = %v, %v", ev, err)
	}
	if _, err := c.Decode("Nope", 1, []byte(`{}`)); !errors.Is(err, ErrUnknownEvent) {
		t.Fatalf("unknown type: err = %v", err)
	}
	if _, err := c.Decode("ThingNamed", 2, []byte(`{}`)); err == nil {
		t.Fatal("an unknown schema version decoded")
	}
	if _, err := NewCodec([]EventType{JSONEvent[thingNamed]("ThingNamed")}, []EventType{JSONEvent[thingNamed]("ThingNamed")}); err == nil {
		t.Fatal("a type listed twice was accepted")
	}
}

// thingPriced is in its third shape: schema 1 was {"name"}, schema 2 added "price" as
// a number of cents, schema 3 has it as a decimal string with its currency.
type thingPriced struct {
	Name     string `json:"name"`
	Price    string `json:"price"`
	Currency string `json:"currency"`
}

func (thingPriced) EventType() string { return "ThingPriced" }

func TestEvolvedEvent(t *testing.T) {
	v1to2 := UpcastObject(func(m map[string]json.RawMessage) error {
		m["cents"] = RawOr(m, "cents", json.RawMessage(`0`))
		return nil
	})
	v2to3 := UpcastObject(func(m map[string]json.RawMessage) error {
		var cents int64
		if err := json.Unmarshal(m["cents"], &cents); err != nil {
			return err
		}
		delete(m, "cents")
		m["price"], _ = json.Marshal(fmt.Sprintf("%d.%02d", cents/100, cents%100))
		m["currency"] = json.RawMessage(`"USD"`)
		return nil
	})
	typ := EvolvedEvent[thingPriced]("ThingPriced", v1to2, v2to3)
	if typ.Schema != 3 {
		t.Fatalf("schema %d, want 3", typ.Schema)
	}
	c, err := NewCodec([]EventType{typ})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		schema int
		data   string
		want   thingPriced
		err    bool
	}{
		{"schema 1, two upcasts", 1, `{"name":"bolt"}`, thingPriced{"bolt", "0.00", "USD"}, false},
		{"schema 2, one upcast", 2, `{"name":"bolt","cents":1250}`, thingPriced{"bolt", "12.50", "USD"}, false},
		{"current schema, as stored", 3, `{"name":"bolt","price":"1.5","currency":"EUR"}`, thingPriced{"bolt", "1.5", "EUR"}, false},
		{"a later version's schema", 4, `{"name":"bolt"}`, thingPriced{}, true},
		{"no schema", 0, `{"name":"bolt"}`, thingPriced{}, true},
		{"an upcaster fails", 2, `{"name":"bolt","cents":"many"}`, thingPriced{}, true},
		{"not an object", 1, `[1]`, thingPriced{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := c.Decode("ThingPriced", tc.schema, []byte(tc.data))
			if tc.err {
				if err == nil {
					t.Fatalf("decoded %+v, want an error", ev)
				}
				return
			}
			if err != nil || ev.(thingPriced) != tc.want {
				t.Fatalf("Decode = %+v, %v; want %+v", ev, err, tc.want)
			}
		})
	}
}
