package stock

import (
	"encoding/json"
	"fmt"

	"github.com/stockledger/stockledger/domain"
)

// The upcasters below bring stored payloads of older schema versions to the current
// shape of their event. Each is named for its event and the version it reads; once an
// event has been written with a version, its upcaster stays for as long as the log
// may hold it (that is, for good).

// upcastItemMoved1 reads a schema 1 StockItemMoved, {"from": F, "to": T} with either
// left out for "no location", as schema 2's {"location": {"old": F, "new": T}}.
var upcastItemMoved1 = domain.UpcastObject(func(m map[string]json.RawMessage) error {
	var loc Change[int64]
	for _, f := range []struct {
		member string
		dst    *int64
	}{{"from", &loc.Old}, {"to", &loc.New}} {
		if err := json.Unmarshal(domain.RawOr(m, f.member, json.RawMessage(`0`)), f.dst); err != nil {
			return fmt.Errorf("%q: %w", f.member, err)
		}
		delete(m, f.member)
	}
	b, err := json.Marshal(loc)
	if err != nil {
		return err
	}
	m["location"] = b
	return nil
})
