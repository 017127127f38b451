package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Violation is one broken rule, tied to the request field it concerns. Field is a dotted
// path into the request ("quantity", "items.2.quantity"), or "" when the rule concerns
// the request as a whole. Message is what the client reads, in InvenTree's wording where
// InvenTree has one.
type Violation struct {
	Field   string
	Message string
}

// RuleError is a decision refused for broken rules. api/ answers it with a 400 shaped as
// {"field": ["message"]}, and nothing is appended.
type RuleError struct {
	Violations []Violation
}

func (e *RuleError) Error() string {
	parts := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		if v.Field == "" {
			parts[i] = v.Message
		} else {
			parts[i] = v.Field + ": " + v.Message
		}
	}
	return "rule violated: " + strings.Join(parts, "; ")
}

// Invalid is a RuleError with one violation.
func Invalid(field, message string) *RuleError {
	return &RuleError{Violations: []Violation{{Field: field, Message: message}}}
}

// Add records a violation; Err returns the RuleError, or nil when nothing was recorded.
// Use them to report every problem of a request at once.
func (e *RuleError) Add(field, message string) {
	e.Violations = append(e.Violations, Violation{field, message})
}

// Err is e as an error, nil when e holds no violation.
func (e *RuleError) Err() error {
	if e == nil || len(e.Violations) == 0 {
		return nil
	}
	return e
}

// Prefix returns e with every field nested under prefix ("items.3" + "quantity").
func (e *RuleError) Prefix(prefix string) *RuleError {
	out := &RuleError{Violations: make([]Violation, len(e.Violations))}
	for i, v := range e.Violations {
		v.Field = strings.TrimSuffix(prefix+"."+v.Field, ".")
		out.Violations[i] = v
	}
	return out
}

// ErrNotFound is wrapped by a NotFoundError.
var ErrNotFound = errors.New("not found")

// NotFoundError says which aggregate does not exist (or was deleted). api/ answers 404,
// or 400 on the field that referenced it when Field is set.
type NotFoundError struct {
	Kind  string // InvenTree's model name, e.g. "StockItem"
	ID    int64
	Field string // the request field that named it, if any
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %d not found", e.Kind, e.ID) }

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }
