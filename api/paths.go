package api

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
)

// collapseSlashes routes a path with doubled slashes as the path with single ones:
// inventree-python builds its order action URLs as URL + "/5/issue/" on a URL that
// already ends in a slash ("order/po//5/issue/"), and InvenTree's deployments behind
// a proxy that merges slashes answer them.
func (s *server) collapseSlashes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rctx := chi.RouteContext(r.Context()); rctx != nil {
			p := rctx.RoutePath
			if p == "" {
				p = r.URL.Path
			}
			if strings.Contains(p, "//") {
				for strings.Contains(p, "//") {
					p = strings.ReplaceAll(p, "//", "/")
				}
				rctx.RoutePath = p
			}
		}
		next.ServeHTTP(w, r)
	})
}
