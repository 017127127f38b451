// Package part holds InvenTree's parts and part categories: the Category and Part
// aggregates, the Reservation aggregate that keeps names unique across aggregates, their
// events and their rules.
//
// Rules come from InvenTree 1.5 (API 530): part/models.py (Part.delete, Part.clean,
// Part.validate_unique, Part.validate_revision, PartCategory.clean),
// InvenTree/models.py (InvenTreeTree: delete options, validate_unique, pathstring) and
// the field definitions of the API schema. Each rule's comment names its source.
//
// References to other aggregates are primary keys; 0 means "none" (keys start at 1).
// Decisions that need facts about another aggregate (is the target category structural,
// what are its ancestors) take them as plain values that the command read from that
// aggregate's stream.
package part

import "github.com/stockledger/stockledger/domain"

// Event type names. They are stored: never rename one.
const (
	TypeCategoryCreated       = "PartCategoryCreated"
	TypeCategoryUpdated       = "PartCategoryUpdated"
	TypeCategoryParentChanged = "PartCategoryParentChanged"
	TypeCategoryDeleted       = "PartCategoryDeleted"

	TypePartCreated         = "PartCreated"
	TypePartUpdated         = "PartUpdated"
	TypePartCategoryChanged = "PartCategoryChanged"
	TypePartDeleted         = "PartDeleted"

	TypeUniqueKeyReserved = "PartUniqueKeyReserved"
	TypeUniqueKeyReleased = "PartUniqueKeyReleased"
)

// Events lists every event type this package defines, for the codec.
func Events() []domain.EventType {
	return []domain.EventType{
		domain.JSONEvent[CategoryCreated](TypeCategoryCreated),
		domain.JSONEvent[CategoryUpdated](TypeCategoryUpdated),
		domain.JSONEvent[CategoryParentChanged](TypeCategoryParentChanged),
		domain.JSONEvent[CategoryDeleted](TypeCategoryDeleted),
		domain.JSONEvent[PartCreated](TypePartCreated),
		domain.JSONEvent[PartUpdated](TypePartUpdated),
		domain.JSONEvent[PartCategoryChanged](TypePartCategoryChanged),
		domain.JSONEvent[PartDeleted](TypePartDeleted),
		domain.JSONEvent[UniqueKeyReserved](TypeUniqueKeyReserved),
		domain.JSONEvent[UniqueKeyReleased](TypeUniqueKeyReleased),
	}
}
