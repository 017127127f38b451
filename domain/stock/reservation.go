package stock

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"

	"github.com/stockledger/stockledger/domain"
)

// Reservation holds one unique key (a serial number within its scope, a location name
// under its parent) for the aggregate that uses it. Uniqueness across aggregates cannot
// be decided by any one item or location, so each key has a stream of its own: whoever
// claims it appends to that stream at the version it read, and of two concurrent
// claims exactly one commits (the other conflicts, reloads and sees the key taken).
// Claims of different keys never contend, unlike a lock on the whole part tree.
type Reservation struct {
	key    string
	holder int64
}

// KeyReserved records that Holder (an item or location pk) now holds Key.
type KeyReserved struct {
	Key    string `json:"key"`
	Holder int64  `json:"holder"`
}

// KeyReleased records that Holder gave Key up.
type KeyReleased struct {
	Key    string `json:"key"`
	Holder int64  `json:"holder"`
}

func (KeyReserved) EventType() string { return TypeKeyReserved }
func (KeyReleased) EventType() string { return TypeKeyReleased }

// ErrKeyTaken means another aggregate holds the key.
var ErrKeyTaken = errors.New("key already reserved")

// Apply folds a reservation event.
func (r *Reservation) Apply(e domain.Event) {
	switch e := e.(type) {
	case KeyReserved:
		r.key, r.holder = e.Key, e.Holder
	case KeyReleased:
		if r.holder == e.Holder {
			r.holder = 0
		}
	}
}

// Holder is the pk holding the key, 0 when it is free.
func (r *Reservation) Holder() int64 { return r.holder }

// Reserve claims key for holder. Claiming a key one already holds decides nothing.
func (r *Reservation) Reserve(key string, holder int64) ([]domain.Event, error) {
	switch r.holder {
	case holder:
		return nil, nil
	case 0:
		return []domain.Event{KeyReserved{Key: key, Holder: holder}}, nil
	}
	return nil, ErrKeyTaken
}

// Release gives the key up if holder holds it.
func (r *Reservation) Release(holder int64) []domain.Event {
	if r.holder == 0 || r.holder != holder {
		return nil
	}
	return []domain.Event{KeyReleased{Key: r.key, Holder: holder}}
}

// Reservation stream categories. Stored in stream names: never rename one.
const (
	SerialCategory       = "stockserial"
	LocationNameCategory = "stocklocname"
)

// SerialStream is the reservation stream of a serial number within a uniqueness scope
// (a part variant tree's root pk, or 0 when serials are globally unique).
func SerialStream(scope int64, serial string) string {
	return SerialCategory + "-" + strconv.FormatInt(scope, 10) + "-" + streamKey(serial)
}

// LocationNameStream is the reservation stream of a location name among the children
// of parent (0: the top level). InvenTree: names are unique under one parent
// (InvenTreeTree.validate_unique).
func LocationNameStream(parent int64, name string) string {
	return LocationNameCategory + "-" + strconv.FormatInt(parent, 10) + "-" + streamKey(name)
}

// KeyStream is the reservation stream of key in category, for uniqueness rules of other
// aggregates that reuse Reservation (a purchase order reference, a supplier part's
// SKU): the category names the rule, the key is free text.
func KeyStream(category, key string) string {
	// A stream id starts with a letter or digit; a hashed key starts with '_'.
	return category + "-k" + streamKey(key)
}

// streamKey turns free text into the tail of a stream name. Text that already fits
// (letters, digits, '_', '.', ':', '-', starting with a letter or digit, at most 100
// bytes) is kept as it is, so streams stay readable; anything else becomes '_' and the
// SHA-256 of the text, which cannot collide with kept text because kept text never
// starts with '_'.
func streamKey(s string) string {
	if len(s) > 0 && len(s) <= 100 && plainKey(s) {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return "_" + hex.EncodeToString(sum[:])
}

func plainKey(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i == 0 && !alnum {
			return false
		}
		if !alnum && c != '_' && c != '.' && c != ':' && c != '-' {
			return false
		}
	}
	return true
}
