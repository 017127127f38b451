package parts

import (
	"encoding/json"

	"github.com/shopspring/decimal"
)

// Category is a part category as InvenTree's CategorySerializer shows it (API 530).
type Category struct {
	PK              int64   `json:"pk"`
	Name            string  `json:"name"`
	Description     string  `json:"description"`
	DefaultLocation *int64  `json:"default_location"`
	DefaultKeywords *string `json:"default_keywords"`
	Level           int     `json:"level"`
	Parent          *int64  `json:"parent"`
	// PartCount counts the parts in this category and every category below it.
	PartCount int64 `json:"part_count"`
	// Subcategories counts every category below this one, not only its children.
	Subcategories int64              `json:"subcategories"`
	Pathstring    string             `json:"pathstring"`
	Path          Detail[[]TreePath] `json:"path,omitzero"` // with path_detail
	// Starred is per user; stars are not modelled yet, so it is always false.
	Starred    bool   `json:"starred"`
	Structural bool   `json:"structural"`
	Icon       string `json:"icon"`
	// ParentDefaultLocation is the nearest default location among the category's
	// ancestors.
	ParentDefaultLocation *int64 `json:"parent_default_location"`
}

// TreePath is one step of a path from the top level: InvenTree's TreePath.
type TreePath struct {
	PK   int64  `json:"pk"`
	Name string `json:"name"`
	Icon string `json:"icon"`
}

// CategoryTreeNode is one row of /api/part/category/tree/ (CategoryTree in API 530).
type CategoryTreeNode struct {
	PK          int64  `json:"pk"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Pathstring  string `json:"pathstring"`
	Parent      *int64 `json:"parent"`
	// TreeID identifies the category's top-level ancestor; it is that ancestor's pk.
	TreeID        int64  `json:"tree_id"`
	Level         int    `json:"level"`
	Icon          string `json:"icon"`
	Structural    bool   `json:"structural"`
	Subcategories int64  `json:"subcategories"`
}

// Part is a part as InvenTree's PartSerializer shows it (API 530), with its stock
// figures from the stock read model, without the fields computed from read models not
// written yet: orders and allocations, pricing, parameters.
type Part struct {
	PK             int64              `json:"pk"`
	Active         bool               `json:"active"`
	Assembly       bool               `json:"assembly"`
	BarcodeHash    string             `json:"barcode_hash"`
	Category       *int64             `json:"category"`
	CategoryDetail Detail[Category]   `json:"category_detail,omitzero"` // with category_detail
	CategoryPath   Detail[[]TreePath] `json:"category_path,omitzero"`   // with path_detail
	CategoryName   *string            `json:"category_name"`
	Component      bool               `json:"component"`
	CreationDate   *string            `json:"creation_date"` // YYYY-MM-DD
	CreationUser   *int64             `json:"creation_user"`
	DefaultExpiry  int64              `json:"default_expiry"`
	// DefaultLocation is the part's own default stock location.
	DefaultLocation *int64  `json:"default_location"`
	Description     string  `json:"description"`
	FullName        string  `json:"full_name"`
	Image           *string `json:"image"`
	IPN             string  `json:"IPN"`
	IsTemplate      bool    `json:"is_template"`
	Keywords        *string `json:"keywords"`
	Link            *string `json:"link"`
	Locked          bool    `json:"locked"`
	MinimumStock    Number  `json:"minimum_stock"`
	MaximumStock    Number  `json:"maximum_stock"`
	Name            string  `json:"name"`
	Notes           *string `json:"notes"`
	Purchaseable    bool    `json:"purchaseable"`
	Revision        string  `json:"revision"`
	RevisionOf      *int64  `json:"revision_of"`
	// RevisionCount counts the parts that are revisions of this one.
	RevisionCount int64  `json:"revision_count"`
	Salable       bool   `json:"salable"`
	Starred       bool   `json:"starred"`
	Thumbnail     string `json:"thumbnail"`
	Testable      bool   `json:"testable"`
	Trackable     bool   `json:"trackable"`
	Units         string `json:"units"`
	VariantOf     *int64 `json:"variant_of"`
	Virtual       bool   `json:"virtual"`
	Consumable    bool   `json:"consumable"`
	// Pricing is not modelled yet.
	PricingMin     *string `json:"pricing_min"`
	PricingMax     *string `json:"pricing_max"`
	PricingUpdated *string `json:"pricing_updated"`
	Responsible    *int64  `json:"responsible"`
	// CategoryDefaultLocation is the category's default location, or the nearest one
	// among its ancestors.
	CategoryDefaultLocation *int64   `json:"category_default_location"`
	Tags                    []string `json:"tags"`
	// Stock figures, from the stock read model (see partFrom): quantities in stock of
	// the part itself, of its variants, of both, at external locations, and what of
	// the total is not allocated; and how many stock items the part has.
	InStock Number `json:"in_stock"`
	// Ordering is what is on order of the part, in its units (see OrderingSQL).
	Ordering         Number `json:"ordering"`
	VariantStock     Number `json:"variant_stock"`
	TotalInStock     Number `json:"total_in_stock"`
	ExternalStock    Number `json:"external_stock"`
	UnallocatedStock Number `json:"unallocated_stock"`
	StockItemCount   int64  `json:"stock_item_count"`
}

// BlankThumbnail is what InvenTree shows for a part without an image
// (InvenTree.helpers.getBlankThumbnail).
const BlankThumbnail = "/static/img/blank_image.thumbnail.png"

// Number is a decimal that encodes as a JSON number, for the fields InvenTree encodes
// as floats (minimum_stock, maximum_stock); the value itself stays exact.
type Number struct {
	decimal.Decimal
}

// MarshalJSON writes the decimal unquoted.
func (n Number) MarshalJSON() ([]byte, error) { return []byte(n.String()), nil }

// UnmarshalJSON reads a JSON number or a decimal string.
func (n *Number) UnmarshalJSON(b []byte) error { return n.Decimal.UnmarshalJSON(b) }

// Detail is a field shown only when asked for with a query flag: omitted when not
// requested (with the omitzero tag), null when requested but empty, as InvenTree does.
type Detail[T any] struct {
	Requested bool
	Value     *T
}

func detail[T any](v *T) Detail[T] { return Detail[T]{Requested: true, Value: v} }

// IsZero reports whether the detail was not requested.
func (d Detail[T]) IsZero() bool { return !d.Requested }

// MarshalJSON writes the value, or null.
func (d Detail[T]) MarshalJSON() ([]byte, error) { return json.Marshal(d.Value) }

// fullName renders InvenTree's default PART_NAME_FORMAT:
// "{{ part.IPN if part.IPN }}{{ ' | ' if part.IPN }}{{ part.name }}{{ ' | ' if part.revision }}{{ part.revision if part.revision }}".
func fullName(name, ipn, revision string) string {
	s := name
	if ipn != "" {
		s = ipn + " | " + s
	}
	if revision != "" {
		s += " | " + revision
	}
	return s
}

// nullable shows an empty text as null, for the fields InvenTree stores as NULL when
// unset (keywords, link, notes, default_keywords).
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
