package part

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
)

// Field limits of a part (part/models.py Part and the API 530 schema).
const (
	MaxName        = 100
	MaxDescription = 250
	MaxIPN         = 100
	MaxRevision    = 100
	MaxKeywords    = 250
	MaxUnits       = 20
	MaxLink        = 2000
	MaxNotes       = 50000
)

// Messages InvenTree answers with for part rules.
const (
	// Part.delete.
	MsgDeleteLocked = "Cannot delete this part as it is locked"
	MsgDeleteActive = "Cannot delete this part as it is still active"
	// Part.clean, on "category".
	MsgStructuralCategory = "Parts cannot be assigned to structural part categories!"
	// Part.validate_revision, on "revision_of" unless noted.
	MsgRevisionOfSelf      = "Part cannot be a revision of itself"
	MsgRevisionOfRevision  = "Cannot make a revision of a part which is already a revision"
	MsgRevisionCodeMissing = "Revision code must be specified" // on "revision"
	MsgRevisionOfTemplate  = "Cannot make a revision of a template part"
	MsgRevisionTemplate    = "Parent part must point to the same template"
	// Part.validate_unique, as non-field errors.
	MsgDuplicatePart     = "Part with this Name, IPN and Revision already exists."
	MsgDuplicateRevision = "Duplicate part revision already exists."
)

// PartFields are a part's stored fields, as a client sets them.
type PartFields struct {
	Name            string          `json:"name"`
	Description     string          `json:"description"`
	IPN             string          `json:"ipn"`
	Revision        string          `json:"revision"`
	Keywords        string          `json:"keywords"`
	Category        int64           `json:"category"`         // 0: no category
	DefaultLocation int64           `json:"default_location"` // stock location; 0: none
	DefaultExpiry   int64           `json:"default_expiry"`   // days
	Units           string          `json:"units"`
	MinimumStock    decimal.Decimal `json:"minimum_stock"`
	MaximumStock    decimal.Decimal `json:"maximum_stock"`
	Active          bool            `json:"active"`
	Assembly        bool            `json:"assembly"`
	Component       bool            `json:"component"`
	IsTemplate      bool            `json:"is_template"`
	Purchaseable    bool            `json:"purchaseable"`
	Salable         bool            `json:"salable"`
	Trackable       bool            `json:"trackable"`
	Testable        bool            `json:"testable"`
	Virtual         bool            `json:"virtual"`
	Locked          bool            `json:"locked"`
	Consumable      bool            `json:"consumable"`
	Link            string          `json:"link"`
	Notes           string          `json:"notes"`
	VariantOf       int64           `json:"variant_of"`    // the template part; 0: none
	RevisionOf      int64           `json:"revision_of"`   // 0: none
	Responsible     int64           `json:"responsible"`   // owner; 0: none
	CreationUser    int64           `json:"creation_user"` // user; 0: none
}

// DefaultPartFields are InvenTree's defaults for a new part with its default settings
// (PART_COMPONENT and PART_PURCHASEABLE on, PART_TEMPLATE, PART_ASSEMBLY, PART_SALABLE,
// PART_TRACKABLE and PART_VIRTUAL off; active on). api/ starts from these and sets what
// the request gives.
func DefaultPartFields() PartFields {
	return PartFields{Active: true, Component: true, Purchaseable: true}
}

// normalize applies InvenTree's cleaning: Part.clean strips the IPN.
func (f PartFields) normalize() PartFields {
	f.IPN = strings.TrimSpace(f.IPN)
	return f
}

func (f PartFields) validate() *domain.RuleError {
	errs := &domain.RuleError{}
	checkRequired(errs, "name", f.Name)
	checkLength(errs, "name", f.Name, MaxName)
	checkLength(errs, "description", f.Description, MaxDescription)
	checkLength(errs, "IPN", f.IPN, MaxIPN)
	checkLength(errs, "revision", f.Revision, MaxRevision)
	checkLength(errs, "keywords", f.Keywords, MaxKeywords)
	checkLength(errs, "units", f.Units, MaxUnits)
	checkLength(errs, "link", f.Link, MaxLink)
	checkLength(errs, "notes", f.Notes, MaxNotes)
	if f.DefaultExpiry < 0 {
		errs.Add("default_expiry", msgNegative)
	}
	if f.MinimumStock.IsNegative() {
		errs.Add("minimum_stock", msgNegative)
	}
	if f.MaximumStock.IsNegative() {
		errs.Add("maximum_stock", msgNegative)
	}
	return errs
}

// NameKey is the key InvenTree keeps unique across all parts: name, IPN and revision
// together, compared exactly, and only when the IPN or the revision is set
// (Part.validate_unique). ok is false when the part needs no reservation.
func (f PartFields) NameKey() (key string, ok bool) {
	f = f.normalize()
	if f.IPN == "" && f.Revision == "" {
		return "", false
	}
	return strconv.Quote(f.Name) + "/" + strconv.Quote(f.IPN) + "/" + strconv.Quote(f.Revision), true
}

// RevisionKey is the key InvenTree keeps unique among the revisions of one part: the
// revised part and the revision code (Part.validate_unique). ok is false when the part
// is not a revision.
func (f PartFields) RevisionKey() (key string, ok bool) {
	if f.RevisionOf == 0 || f.Revision == "" {
		return "", false
	}
	return strconv.FormatInt(f.RevisionOf, 10) + "/" + strconv.Quote(f.Revision), true
}

// PartPatch is a partial update: nil fields are left as they are.
type PartPatch struct {
	Name            *string
	Description     *string
	IPN             *string
	Revision        *string
	Keywords        *string
	Category        *int64
	DefaultLocation *int64
	DefaultExpiry   *int64
	Units           *string
	MinimumStock    *decimal.Decimal
	MaximumStock    *decimal.Decimal
	Active          *bool
	Assembly        *bool
	Component       *bool
	IsTemplate      *bool
	Purchaseable    *bool
	Salable         *bool
	Trackable       *bool
	Testable        *bool
	Virtual         *bool
	Locked          *bool
	Consumable      *bool
	Link            *string
	Notes           *string
	VariantOf       *int64
	RevisionOf      *int64
	Responsible     *int64
	CreationUser    *int64
}

// Apply returns f with the patch's fields set.
func (p PartPatch) Apply(f PartFields) PartFields {
	set(&f.Name, p.Name)
	set(&f.Description, p.Description)
	set(&f.IPN, p.IPN)
	set(&f.Revision, p.Revision)
	set(&f.Keywords, p.Keywords)
	set(&f.Category, p.Category)
	set(&f.DefaultLocation, p.DefaultLocation)
	set(&f.DefaultExpiry, p.DefaultExpiry)
	set(&f.Units, p.Units)
	set(&f.MinimumStock, p.MinimumStock)
	set(&f.MaximumStock, p.MaximumStock)
	set(&f.Active, p.Active)
	set(&f.Assembly, p.Assembly)
	set(&f.Component, p.Component)
	set(&f.IsTemplate, p.IsTemplate)
	set(&f.Purchaseable, p.Purchaseable)
	set(&f.Salable, p.Salable)
	set(&f.Trackable, p.Trackable)
	set(&f.Testable, p.Testable)
	set(&f.Virtual, p.Virtual)
	set(&f.Locked, p.Locked)
	set(&f.Consumable, p.Consumable)
	set(&f.Link, p.Link)
	set(&f.Notes, p.Notes)
	set(&f.VariantOf, p.VariantOf)
	set(&f.RevisionOf, p.RevisionOf)
	set(&f.Responsible, p.Responsible)
	set(&f.CreationUser, p.CreationUser)
	return f
}

// PartRef is what a decision needs to know about another part, as the command read it
// from that part's stream.
type PartRef struct {
	ID         int64
	Exists     bool // created and not deleted
	IsTemplate bool
	VariantOf  int64
	RevisionOf int64
	// VariantAncestors are the part's templates, nearest first: the part it is a variant
	// of, that part's template, up to the top of the variant tree.
	VariantAncestors []int64
}

// PartFacts are what a part decision needs to know about the aggregates its fields
// name, each described as the fields (after the change) name it.
type PartFacts struct {
	Category   CategoryRef // needed when Category is set
	VariantOf  PartRef     // needed when VariantOf is set
	RevisionOf PartRef     // needed when RevisionOf is set
}

// PartCreated: a part was created.
type PartCreated struct {
	ID int64 `json:"id"`
	PartFields
	// CreatedAt is when the part was created; InvenTree shows its date as creation_date.
	CreatedAt time.Time `json:"created_at"`
}

// PartUpdated: some of a part's fields were edited; only changed fields are set. A
// category change here is a user's edit; see PartCategoryChanged for moves caused by a
// category deletion.
type PartUpdated struct {
	ID              int64                    `json:"id"`
	Name            *Change[string]          `json:"name,omitempty"`
	Description     *Change[string]          `json:"description,omitempty"`
	IPN             *Change[string]          `json:"ipn,omitempty"`
	Revision        *Change[string]          `json:"revision,omitempty"`
	Keywords        *Change[string]          `json:"keywords,omitempty"`
	Category        *Change[int64]           `json:"category,omitempty"`
	DefaultLocation *Change[int64]           `json:"default_location,omitempty"`
	DefaultExpiry   *Change[int64]           `json:"default_expiry,omitempty"`
	Units           *Change[string]          `json:"units,omitempty"`
	MinimumStock    *Change[decimal.Decimal] `json:"minimum_stock,omitempty"`
	MaximumStock    *Change[decimal.Decimal] `json:"maximum_stock,omitempty"`
	Active          *Change[bool]            `json:"active,omitempty"`
	Assembly        *Change[bool]            `json:"assembly,omitempty"`
	Component       *Change[bool]            `json:"component,omitempty"`
	IsTemplate      *Change[bool]            `json:"is_template,omitempty"`
	Purchaseable    *Change[bool]            `json:"purchaseable,omitempty"`
	Salable         *Change[bool]            `json:"salable,omitempty"`
	Trackable       *Change[bool]            `json:"trackable,omitempty"`
	Testable        *Change[bool]            `json:"testable,omitempty"`
	Virtual         *Change[bool]            `json:"virtual,omitempty"`
	Locked          *Change[bool]            `json:"locked,omitempty"`
	Consumable      *Change[bool]            `json:"consumable,omitempty"`
	Link            *Change[string]          `json:"link,omitempty"`
	Notes           *Change[string]          `json:"notes,omitempty"`
	VariantOf       *Change[int64]           `json:"variant_of,omitempty"`
	RevisionOf      *Change[int64]           `json:"revision_of,omitempty"`
	Responsible     *Change[int64]           `json:"responsible,omitempty"`
	CreationUser    *Change[int64]           `json:"creation_user,omitempty"`
}

// PartCategoryChanged: a part moved to another category because its category (or, with
// delete_child_categories, an ancestor of it) was deleted.
type PartCategoryChanged struct {
	ID   int64 `json:"id"`
	From int64 `json:"from"`
	To   int64 `json:"to"` // 0: no category
	// DeletedCategory is the category whose deletion moved the part.
	DeletedCategory int64 `json:"deleted_category"`
}

// PartDeleted: a part was deleted. It carries the unique fields so that a reader of the
// log knows what was freed.
type PartDeleted struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	IPN        string `json:"ipn"`
	Revision   string `json:"revision"`
	Category   int64  `json:"category"`
	RevisionOf int64  `json:"revision_of"`
	// DeletedWithCategory is the category whose deletion with delete_parts took the part
	// along; 0 when the part itself was deleted.
	DeletedWithCategory int64 `json:"deleted_with_category,omitempty"`
}

func (PartCreated) EventType() string         { return TypePartCreated }
func (PartUpdated) EventType() string         { return TypePartUpdated }
func (PartCategoryChanged) EventType() string { return TypePartCategoryChanged }
func (PartDeleted) EventType() string         { return TypePartDeleted }

// Part is an InvenTree part: the archetype of the stock items of one kind.
//
// Rules:
//   - name is required; text fields have InvenTree's maximum lengths; default_expiry,
//     minimum_stock and maximum_stock are not negative; the IPN is stripped;
//   - the category must exist and not be structural (Part.clean);
//   - variant_of must be an existing template part (the field's limit_choices_to) and
//     cannot close a loop in the variant tree;
//   - revision_of follows Part.validate_revision;
//   - name+IPN+revision and revision_of+revision are unique (Part.validate_unique),
//     kept by the command with Reservations, see NameKey and RevisionKey;
//   - a locked part cannot be deleted, nor an active one (Part.delete). A locked part's
//     own fields stay editable, as in InvenTree: the lock guards deletion, its BOM and
//     its parameters.
type Part struct {
	id        int64
	fields    PartFields
	createdAt time.Time
	created   bool
	deleted   bool
}

// ID is the part's primary key; 0 before creation.
func (p *Part) ID() int64 { return p.id }

// Exists reports whether the part was created and not deleted.
func (p *Part) Exists() bool { return p.created && !p.deleted }

// Fields are the part's current fields.
func (p *Part) Fields() PartFields { return p.fields }

// Locked reports whether the part is locked: its BOM and parameters cannot change.
func (p *Part) Locked() bool { return p.fields.Locked }

// Ref describes this part for a decision about another aggregate; variantAncestors
// are its templates nearest first, as the command walked them.
func (p *Part) Ref(variantAncestors []int64) PartRef {
	return PartRef{
		ID: p.id, Exists: p.Exists(), IsTemplate: p.fields.IsTemplate,
		VariantOf: p.fields.VariantOf, RevisionOf: p.fields.RevisionOf,
		VariantAncestors: variantAncestors,
	}
}

// Apply folds an event into the part.
func (p *Part) Apply(e domain.Event) {
	switch e := e.(type) {
	case PartCreated:
		p.id, p.fields, p.createdAt, p.created = e.ID, e.PartFields, e.CreatedAt, true
	case PartUpdated:
		f := &p.fields
		applyChange(&f.Name, e.Name)
		applyChange(&f.Description, e.Description)
		applyChange(&f.IPN, e.IPN)
		applyChange(&f.Revision, e.Revision)
		applyChange(&f.Keywords, e.Keywords)
		applyChange(&f.Category, e.Category)
		applyChange(&f.DefaultLocation, e.DefaultLocation)
		applyChange(&f.DefaultExpiry, e.DefaultExpiry)
		applyChange(&f.Units, e.Units)
		applyChange(&f.MinimumStock, e.MinimumStock)
		applyChange(&f.MaximumStock, e.MaximumStock)
		applyChange(&f.Active, e.Active)
		applyChange(&f.Assembly, e.Assembly)
		applyChange(&f.Component, e.Component)
		applyChange(&f.IsTemplate, e.IsTemplate)
		applyChange(&f.Purchaseable, e.Purchaseable)
		applyChange(&f.Salable, e.Salable)
		applyChange(&f.Trackable, e.Trackable)
		applyChange(&f.Testable, e.Testable)
		applyChange(&f.Virtual, e.Virtual)
		applyChange(&f.Locked, e.Locked)
		applyChange(&f.Consumable, e.Consumable)
		applyChange(&f.Link, e.Link)
		applyChange(&f.Notes, e.Notes)
		applyChange(&f.VariantOf, e.VariantOf)
		applyChange(&f.RevisionOf, e.RevisionOf)
		applyChange(&f.Responsible, e.Responsible)
		applyChange(&f.CreationUser, e.CreationUser)
	case PartCategoryChanged:
		p.fields.Category = e.To
	case PartDeleted:
		p.deleted = true
	}
}

func (p *Part) notFound() error { return &domain.NotFoundError{Kind: "Part", ID: p.id} }

// Create decides the creation of part id with fields f at the time at.
func (p *Part) Create(id int64, f PartFields, facts PartFacts, at time.Time) ([]domain.Event, error) {
	if p.created {
		return nil, fmt.Errorf("create part %d: already exists", id)
	}
	f = f.normalize()
	if err := checkPart(id, f, facts); err != nil {
		return nil, err
	}
	return []domain.Event{PartCreated{ID: id, PartFields: f, CreatedAt: at}}, nil
}

// Update decides an edit. It returns no events when nothing changes. Every rule is
// checked on the resulting fields, as InvenTree's full_clean does on each save.
func (p *Part) Update(patch PartPatch, facts PartFacts) ([]domain.Event, error) {
	if !p.Exists() {
		return nil, p.notFound()
	}
	old, f := p.fields, patch.Apply(p.fields).normalize()
	if err := checkPart(p.id, f, facts); err != nil {
		return nil, err
	}
	ev := PartUpdated{
		ID:              p.id,
		Name:            change(old.Name, f.Name),
		Description:     change(old.Description, f.Description),
		IPN:             change(old.IPN, f.IPN),
		Revision:        change(old.Revision, f.Revision),
		Keywords:        change(old.Keywords, f.Keywords),
		Category:        change(old.Category, f.Category),
		DefaultLocation: change(old.DefaultLocation, f.DefaultLocation),
		DefaultExpiry:   change(old.DefaultExpiry, f.DefaultExpiry),
		Units:           change(old.Units, f.Units),
		MinimumStock:    decimalChange(old.MinimumStock, f.MinimumStock),
		MaximumStock:    decimalChange(old.MaximumStock, f.MaximumStock),
		Active:          change(old.Active, f.Active),
		Assembly:        change(old.Assembly, f.Assembly),
		Component:       change(old.Component, f.Component),
		IsTemplate:      change(old.IsTemplate, f.IsTemplate),
		Purchaseable:    change(old.Purchaseable, f.Purchaseable),
		Salable:         change(old.Salable, f.Salable),
		Trackable:       change(old.Trackable, f.Trackable),
		Testable:        change(old.Testable, f.Testable),
		Virtual:         change(old.Virtual, f.Virtual),
		Locked:          change(old.Locked, f.Locked),
		Consumable:      change(old.Consumable, f.Consumable),
		Link:            change(old.Link, f.Link),
		Notes:           change(old.Notes, f.Notes),
		VariantOf:       change(old.VariantOf, f.VariantOf),
		RevisionOf:      change(old.RevisionOf, f.RevisionOf),
		Responsible:     change(old.Responsible, f.Responsible),
		CreationUser:    change(old.CreationUser, f.CreationUser),
	}
	if ev == (PartUpdated{ID: p.id}) {
		return nil, nil
	}
	return []domain.Event{ev}, nil
}

// Delete decides the deletion of the part by a user (Part.delete): a locked part
// cannot be deleted, nor an active one; InvenTree checks the lock first. The check that
// the part is not used in an assembly's BOM belongs to the BOM, which is not modelled
// yet.
func (p *Part) Delete() ([]domain.Event, error) {
	if !p.Exists() {
		return nil, p.notFound()
	}
	if p.fields.Locked {
		return nil, domain.Invalid("", MsgDeleteLocked)
	}
	if p.fields.Active {
		return nil, domain.Invalid("", MsgDeleteActive)
	}
	return []domain.Event{p.deletedEvent(0)}, nil
}

// DeleteWithCategory decides the deletion of the part along with category root, deleted
// with delete_parts. InvenTree deletes such parts with a queryset delete that skips
// Part.delete, so active and locked parts go too.
func (p *Part) DeleteWithCategory(root int64) ([]domain.Event, error) {
	if !p.Exists() {
		return nil, p.notFound()
	}
	return []domain.Event{p.deletedEvent(root)}, nil
}

func (p *Part) deletedEvent(root int64) PartDeleted {
	f := p.fields
	return PartDeleted{
		ID: p.id, Name: f.Name, IPN: f.IPN, Revision: f.Revision, Category: f.Category,
		RevisionOf: f.RevisionOf, DeletedWithCategory: root,
	}
}

// MoveForCategoryDelete decides the move of the part to category to because category
// deleted (its own category, or an ancestor of it) was deleted. InvenTree moves such
// parts with a queryset update that skips validation, so a structural target is
// accepted.
func (p *Part) MoveForCategoryDelete(deleted, to int64) ([]domain.Event, error) {
	if !p.Exists() {
		return nil, p.notFound()
	}
	if p.fields.Category == to {
		return nil, nil
	}
	return []domain.Event{PartCategoryChanged{ID: p.id, From: p.fields.Category, To: to, DeletedCategory: deleted}}, nil
}

// checkPart checks every rule on the fields of part id. Missing referenced aggregates
// come back as NotFoundErrors on their field, the rest as one RuleError.
func checkPart(id int64, f PartFields, facts PartFacts) error {
	if f.Category != 0 && (facts.Category.ID != f.Category || !facts.Category.Exists) {
		return &domain.NotFoundError{Kind: "PartCategory", ID: f.Category, Field: "category"}
	}
	// limit_choices_to={'is_template': True}: DRF answers a non-template as a missing pk.
	if f.VariantOf != 0 && (facts.VariantOf.ID != f.VariantOf || !facts.VariantOf.Exists || !facts.VariantOf.IsTemplate) {
		return &domain.NotFoundError{Kind: "Part", ID: f.VariantOf, Field: "variant_of"}
	}
	if f.RevisionOf != 0 && f.RevisionOf != id && (facts.RevisionOf.ID != f.RevisionOf || !facts.RevisionOf.Exists) {
		return &domain.NotFoundError{Kind: "Part", ID: f.RevisionOf, Field: "revision_of"}
	}
	errs := f.validate()
	if f.Category != 0 && facts.Category.Structural {
		errs.Add("category", MsgStructuralCategory)
	}
	// mptt refuses a variant tree loop (InvalidMove), which InvenTreeTree.save reports
	// as "Invalid choice".
	if f.VariantOf != 0 && (f.VariantOf == id || slices.Contains(facts.VariantOf.VariantAncestors, id)) {
		errs.Add("variant_of", MsgInvalidParent)
	}
	if field, msg := checkRevision(id, f, facts.RevisionOf); msg != "" {
		errs.Add(field, msg)
	}
	return errs.Err()
}

// checkRevision is Part.validate_revision: it reports the first broken rule, as
// InvenTree raises at the first one. PART_REVISION_ASSEMBLY_ONLY is off by default and
// not modelled.
func checkRevision(id int64, f PartFields, of PartRef) (field, msg string) {
	switch {
	case f.RevisionOf == 0:
		return "", ""
	case f.RevisionOf == id:
		return "revision_of", MsgRevisionOfSelf
	case of.RevisionOf != 0:
		return "revision_of", MsgRevisionOfRevision
	case f.Revision == "":
		return "revision", MsgRevisionCodeMissing
	case of.IsTemplate:
		return "revision_of", MsgRevisionOfTemplate
	case f.VariantOf != of.VariantOf:
		return "revision_of", MsgRevisionTemplate
	}
	return "", ""
}
