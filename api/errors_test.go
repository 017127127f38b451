package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
)

func TestViolationBody(t *testing.T) {
	v := func(field, msg string) domain.Violation { return domain.Violation{Field: field, Message: msg} }
	tests := []struct {
		name string
		in   []domain.Violation
		want string
	}{
		{"field", []domain.Violation{v("quantity", "A valid number is required.")}, `{"quantity":["A valid number is required."]}`},
		{"two messages, two fields", []domain.Violation{v("a", "x"), v("b", "y"), v("a", "z")}, `{"a":["x","z"],"b":["y"]}`},
		{"whole request", []domain.Violation{v("", "Order is already complete")}, `{"non_field_errors":["Order is already complete"]}`},
		{"list of objects, aligned", []domain.Violation{v("items.1.quantity", "Ensure this value is greater than or equal to 0.")},
			`{"items":[{},{"quantity":["Ensure this value is greater than or equal to 0."]}]}`},
		{"two elements", []domain.Violation{v("items.2.pk", "p"), v("items.0.quantity", "q"), v("items.0.pk", "r")},
			`{"items":[{"quantity":["q"],"pk":["r"]},{},{"pk":["p"]}]}`},
		{"list of values keyed by index", []domain.Violation{v("items.1", "A valid integer is required.")},
			`{"items":{"1":["A valid integer is required."]}}`},
		{"element wrong as a whole", []domain.Violation{v("items.0.non_field_errors", "Invalid data. Expected a dictionary, but got str.")},
			`{"items":[{"non_field_errors":["Invalid data. Expected a dictionary, but got str."]}]}`},
		{"mixed elements", []domain.Violation{v("items.0", "bad"), v("items.1.pk", "p")},
			`{"items":[{"non_field_errors":["bad"]},{"pk":["p"]}]}`},
		{"nested object", []domain.Violation{v("address.city", "c"), v("address", "whole")},
			`{"address":{"city":["c"],"non_field_errors":["whole"]}}`},
		{"request is a list", []domain.Violation{v("1.test", "t")}, `[{},{"test":["t"]}]`},
		{"non-field beside fields", []domain.Violation{v("", "n"), v("x", "m")}, `{"x":["m"],"non_field_errors":["n"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(violationBody(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestFail(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		body   string
	}{
		{"rule", fmt.Errorf("move 3: %w", domain.Invalid("items.0.quantity", "Quantity must be greater than zero")), 400,
			`{"items":[{"quantity":["Quantity must be greater than zero"]}]}`},
		{"not found", fmt.Errorf("load: %w", &domain.NotFoundError{Kind: "StockItem", ID: 42}), 404,
			`{"detail":"No StockItem matches the given query."}`},
		{"not found by a field", &domain.NotFoundError{Kind: "StockLocation", ID: 12, Field: "location"}, 400,
			`{"location":["Invalid pk \"12\" - object does not exist."]}`},
		{"not found in a list", &domain.NotFoundError{Kind: "StockItem", ID: 12, Field: "items.1.pk"}, 400,
			`{"items":[{},{"pk":["Invalid pk \"12\" - object does not exist."]}]}`},
		{"request", &RequestError{Status: 415, Detail: "Unsupported media type \"text/plain\" in request."}, 415,
			`{"detail":"Unsupported media type \"text/plain\" in request."}`},
		{"projections behind", fmt.Errorf("%w: %w", ErrProjectionsBehind, context.DeadlineExceeded), 503,
			`{"detail":"Service temporarily unavailable, try again later."}`},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), 503, `{"detail":"Service temporarily unavailable, try again later."}`},
		{"conflicts", fmt.Errorf("execute: %w", commands.ErrTooManyConflicts), 503, `{"detail":"Service temporarily unavailable, try again later."}`},
		{"not authenticated", errNotAuthenticated, 401, `{"detail":"Authentication credentials were not provided."}`},
		{"denied", errPermissionDenied, 403, `{"detail":"You do not have permission to perform this action."}`},
		{"internal", fmt.Errorf("wrap: %w", errors.New("secret")), 500,
			`{"error":"errorString","error_class":"*errors.errorString","detail":"Error details can be found in the server log","path":"/api/x/","status_code":500}`},
	}
	a := newTestAPI(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			a.s.fail(rec, httptest.NewRequest("POST", "/api/x/", nil), tt.err)
			if rec.Code != tt.status || rec.Body.String() != tt.body {
				t.Errorf("got %d %s\nwant %d %s", rec.Code, rec.Body, tt.status, tt.body)
			}
			if rec.Header().Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", rec.Header().Get("Content-Type"))
			}
		})
	}
}

func TestFailClientGone(t *testing.T) {
	a := newTestAPI(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("GET", "/api/x/", nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	a.s.fail(rec, req, fmt.Errorf("query: %w", context.Canceled))
	if rec.Code != http.StatusServiceUnavailable || a.logs.String() != "" {
		t.Errorf("a client that left is no error: %d, logs %q", rec.Code, a.logs.String())
	}
}
