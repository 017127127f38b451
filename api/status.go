package api

import (
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/stockledger/stockledger/domain/status"
)

// statusRoutes registers the status code catalogue: every class at
// /generic/status/, one class by name, and the per-model aliases InvenTree serves.
// Any authenticated user may read them, as in InvenTree.
func (s *server) statusRoutes(r chi.Router) {
	s.handle(r, "/generic/status/", endpoint{Get: s.allStatusClasses, Meta: meta{
		Name:        "All Status Views",
		Description: "Endpoint for listing all defined status models.",
	}})
	// Custom states are user-defined in InvenTree; chi matches this static route before
	// {statusmodel}, which would take "custom" for a class name.
	s.handle(r, "/generic/status/custom/", endpoint{Get: s.customStates, Meta: meta{
		Name:        "Custom State List",
		Description: "List view for all custom states.",
	}})
	s.handle(r, "/generic/status/{statusmodel}/", endpoint{Get: s.statusClassByName, Meta: statusMeta()})
	for path, class := range map[string]func() status.Class{
		"/stock/status/":         status.StockStatusClass,
		"/stock/track/status/":   status.StockHistoryCodeClass,
		"/order/po/status/":      status.PurchaseOrderStatusClass,
		"/order/so/status/":      status.SalesOrderStatusClass,
		"/order/ro/status/":      status.ReturnOrderStatusClass,
		"/order/ro-line/status/": status.ReturnOrderLineStatusClass,
		"/build/status/":         status.BuildStatusClass,
	} {
		s.handle(r, path, endpoint{Get: s.statusClass(class()), Meta: statusMeta()})
	}
}

func statusMeta() meta {
	return meta{
		Name:        "Status",
		Description: "Generic API endpoint for discovering information on 'status codes' for a particular model.",
	}
}

// statusClassBody renders a class as InvenTree's GenericStateClass: its codes by name,
// in definition order, each {key, name, label, color}.
func statusClassBody(c status.Class) object {
	values := make(object, len(c.Codes))
	for i, x := range c.Codes {
		values[i] = member{x.Name, object{{"key", x.Key}, {"name", x.Name}, {"label", x.Label}, {"color", string(x.Color)}}}
	}
	return object{{"status_class", c.Name}, {"values", values}}
}

func (s *server) allStatusClasses(w http.ResponseWriter, r *http.Request) error {
	classes := status.Classes()
	body := make(object, len(classes))
	for i, c := range classes {
		body[i] = member{c.Name, statusClassBody(c)}
	}
	return writeJSON(w, http.StatusOK, body)
}

// statusClassByName answers one class. InvenTree fails on an unknown class with an
// unhandled error (500); its schema documents 400, which is what this answers.
func (s *server) statusClassByName(w http.ResponseWriter, r *http.Request) error {
	name := chi.URLParam(r, "statusmodel")
	c, ok := status.Lookup(name)
	if !ok {
		return &RequestError{Status: http.StatusBadRequest, Detail: fmt.Sprintf("Unknown status class \"%s\".", name)}
	}
	return writeJSON(w, http.StatusOK, statusClassBody(c))
}

func (s *server) statusClass(c status.Class) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return writeJSON(w, http.StatusOK, statusClassBody(c))
	}
}

// customStates answers InvenTree's list of user-defined states: Stockledger has none.
func (s *server) customStates(w http.ResponseWriter, r *http.Request) error {
	return writeList(w, s.listQuery(r, ordering{}), 0, []struct{}(nil))
}
