package api

import (
	"net/http"

	"github.com/stockledger/stockledger/domain/status"
)

// meta describes an endpoint to OPTIONS, as InvenTree's InvenTreeMetadata (on DRF's
// SimpleMetadata) does. Areas fill one per endpoint, once, beside its handlers.
type meta struct {
	// Name is DRF's view name: the view class name without "View", spaced ("Stock
	// List", "Stock Detail").
	Name string
	// Description is the view's docstring.
	Description string
	// Model is InvenTree's model name ("stockitem", "part"). With a model, OPTIONS also
	// lists GET and DELETE among the actions the user may take, as InvenTree does.
	Model string
	// Fields is the serializer's fields in order: shown under POST when the endpoint
	// has a Post handler and under PUT when it has Put or Patch.
	Fields []fieldMeta
	// Defaults, when set, gives per-request defaults that override the fields'
	// (InvenTree's api_defaults, e.g. the next order reference).
	Defaults func(r *http.Request) (map[string]any, error)
}

// The field types DRF's metadata names.
const (
	typeField     = "field"
	typeBoolean   = "boolean"
	typeString    = "string"
	typeURL       = "url"
	typeEmail     = "email"
	typeInteger   = "integer"
	typeFloat     = "float"
	typeDecimal   = "decimal"
	typeDate      = "date"
	typeDatetime  = "datetime"
	typeChoice    = "choice"
	typeFile      = "file upload"
	typeImage     = "image upload"
	typeList      = "list"
	typeNested    = "nested object"
	typeRelated   = "related field" // InvenTree's name for a writable pk field
	typeDependent = "dependent field"
)

// fieldMeta is one serializer field as OPTIONS describes it.
type fieldMeta struct {
	Name     string
	Type     string // one of the type constants
	Required bool
	ReadOnly bool
	Label    string
	HelpText string
	// Default is the value used when the field is absent; nil for none. A false, 0 or
	// "" default is shown.
	Default   any
	MaxLength int
	// MinValue and MaxValue bound numbers; nil for no bound.
	MinValue, MaxValue any
	// MaxDigits and DecimalPlaces describe a decimal.
	MaxDigits, DecimalPlaces int
	// Choices for a choice field (not shown when read-only, as DRF does).
	Choices []choice
	// Model and APIURL name a related field's model and its list endpoint
	// ("stocklocation", "/api/stock/location/"). PKField defaults to "pk".
	Model, APIURL, PKField string
	// Filters are the related field's limit_choices_to; shown as {} when nil.
	Filters map[string]any
	// Child describes a list's elements; Children a nested object's fields.
	Child    *fieldMeta
	Children []fieldMeta
}

// choice is one value of a choice field.
type choice struct {
	Value       any    `json:"value"`
	DisplayName string `json:"display_name"`
}

// statusChoices lists a status class's codes as choices, for status fields.
func statusChoices(c status.Class) []choice {
	out := make([]choice, len(c.Codes))
	for i, x := range c.Codes {
		out[i] = choice{Value: x.Key, DisplayName: x.Label}
	}
	return out
}

// MarshalJSON renders f as DRF's get_field_info, keys in DRF's order.
func (f fieldMeta) MarshalJSON() ([]byte, error) {
	return f.info().MarshalJSON()
}

func (f fieldMeta) info() object {
	o := object{{"type", f.Type}, {"required", f.Required}, {"read_only", f.ReadOnly}}
	add := func(key string, v any, ok bool) {
		if ok {
			o = append(o, member{key, v})
		}
	}
	add("label", f.Label, f.Label != "")
	add("help_text", f.HelpText, f.HelpText != "")
	add("max_length", f.MaxLength, f.MaxLength > 0)
	add("min_value", f.MinValue, f.MinValue != nil)
	add("max_value", f.MaxValue, f.MaxValue != nil)
	add("max_digits", f.MaxDigits, f.MaxDigits > 0)
	add("decimal_places", f.DecimalPlaces, f.DecimalPlaces > 0)
	if f.Child != nil {
		o = append(o, member{"child", f.Child.info()})
	}
	if f.Children != nil {
		o = append(o, member{"children", fieldsObject(f.Children, nil)})
	}
	add("choices", f.Choices, f.Choices != nil && !f.ReadOnly)
	add("default", f.Default, f.Default != nil)
	if f.Type == typeRelated {
		filters := f.Filters
		if filters == nil {
			filters = map[string]any{}
		}
		pkField := f.PKField
		if pkField == "" {
			pkField = "pk"
		}
		o = append(o, member{"filters", filters}, member{"model", f.Model}, member{"api_url", f.APIURL}, member{"pk_field", pkField})
	}
	return o
}

// fieldsObject renders fields as an object keyed by name, in order, with defaults
// overridden.
func fieldsObject(fields []fieldMeta, defaults map[string]any) object {
	o := make(object, len(fields))
	for i, f := range fields {
		if d, ok := defaults[f.Name]; ok {
			f.Default = d
		}
		o[i] = member{f.Name, f}
	}
	return o
}

// metadataBody is DRF's OPTIONS answer.
type metadataBody struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Renders     []string `json:"renders"`
	Parses      []string `json:"parses"`
	Actions     any      `json:"actions,omitempty"` // an object; absent when nil
	Model       string   `json:"model,omitempty"`
}

// options answers OPTIONS on e: its description, and the actions the user may take
// there, each write action with the serializer's fields. As InvenTree, it leaves out
// what the user's roles do not allow.
func (s *server) options(e endpoint) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		access, _ := AccessFrom(r.Context())
		can := func(method string) bool {
			return e.Role == "" || access.Can(e.Role, e.perm(method))
		}
		var defaults map[string]any
		if e.Meta.Defaults != nil {
			d, err := e.Meta.Defaults(r)
			if err != nil {
				return err
			}
			defaults = d
		}
		var actions object
		if e.Post != nil && can(http.MethodPost) {
			actions = append(actions, member{"POST", fieldsObject(e.Meta.Fields, defaults)})
		}
		if (e.Put != nil || e.Patch != nil) && can(http.MethodPut) {
			actions = append(actions, member{"PUT", fieldsObject(e.Meta.Fields, defaults)})
		}
		if e.Meta.Model != "" {
			if e.Delete != nil && can(http.MethodDelete) {
				actions = append(actions, member{"DELETE", object{}})
			}
			if e.Get != nil && can(http.MethodGet) {
				actions = append(actions, member{"GET", object{}})
			}
		}
		body := metadataBody{
			Name:        e.Meta.Name,
			Description: e.Meta.Description,
			Renders:     []string{contentTypeJSON},
			Parses:      []string{contentTypeJSON, "application/x-www-form-urlencoded"},
			Model:       e.Meta.Model,
		}
		// DRF shows actions only when there are some; InvenTree always on a model's view.
		if len(actions) > 0 || e.Meta.Model != "" {
			body.Actions = append(object{}, actions...)
		}
		return writeJSON(w, http.StatusOK, body)
	}
}
