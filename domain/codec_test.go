package domain

import (
	"errors"
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
