package api

import (
	"strings"
	"testing"
)

func TestStatusClass(t *testing.T) {
	a := newTestAPI(t)
	got := a.do(t, "GET", "/api/generic/status/StockStatus/", "", token("viewer"))
	want := `{"status_class":"StockStatus","values":{` +
		`"OK":{"key":10,"name":"OK","label":"OK","color":"success"},` +
		`"ATTENTION":{"key":50,"name":"ATTENTION","label":"Attention needed","color":"warning"},` +
		`"DAMAGED":{"key":55,"name":"DAMAGED","label":"Damaged","color":"warning"},` +
		`"DESTROYED":{"key":60,"name":"DESTROYED","label":"Destroyed","color":"danger"},` +
		`"REJECTED":{"key":65,"name":"REJECTED","label":"Rejected","color":"danger"},` +
		`"LOST":{"key":70,"name":"LOST","label":"Lost","color":"dark"},` +
		`"QUARANTINED":{"key":75,"name":"QUARANTINED","label":"Quarantined","color":"info"},` +
		`"RETURNED":{"key":85,"name":"RETURNED","label":"Returned","color":"warning"}}}`
	if got.status != 200 || got.body != want {
		t.Errorf("got %d %s\nwant %s", got.status, got.body, want)
	}
	wantJSON(t, got, 200, "")
	wantJSON(t, a.do(t, "GET", "/api/generic/status/NoSuchStatus/", "", token("viewer")), 400, `{"detail": "Unknown status class \"NoSuchStatus\"."}`)
	wantJSON(t, a.do(t, "GET", "/api/generic/status/stockstatus/", "", token("viewer")), 400, "")
	// InvenTree asks for a user, not a role.
	wantJSON(t, a.do(t, "GET", "/api/generic/status/StockStatus/", ""), 401, `{"detail": "Authentication credentials were not provided."}`)
	wantJSON(t, a.do(t, "GET", "/api/stock/status/", "", token("staff")), 200, "")
}

func TestAllStatusClasses(t *testing.T) {
	a := newTestAPI(t)
	got := a.do(t, "GET", "/api/generic/status/", "", token("viewer"))
	wantJSON(t, got, 200, "")
	all := got.json(t).(map[string]any)
	for _, name := range []string{"StockStatus", "StockHistoryCode", "PurchaseOrderStatus", "SalesOrderStatus",
		"BuildStatus", "ReturnOrderStatus", "ReturnOrderLineStatus", "TransferOrderStatus"} {
		c, ok := all[name].(map[string]any)
		if !ok || c["status_class"] != name || len(c["values"].(map[string]any)) == 0 {
			t.Errorf("%s: %v", name, all[name])
		}
	}
	if len(all) != 8 {
		t.Errorf("%d classes", len(all))
	}
	build := all["BuildStatus"].(map[string]any)["values"].(map[string]any)["ON_HOLD"]
	if b, _ := build.(map[string]any); b["key"] != float64(25) || b["label"] != "On Hold" {
		t.Errorf("BuildStatus.ON_HOLD = %v", build)
	}
}

func TestStatusAliases(t *testing.T) {
	a := newTestAPI(t)
	for path, class := range map[string]string{
		"/api/stock/status/":         "StockStatus",
		"/api/stock/track/status/":   "StockHistoryCode",
		"/api/order/po/status/":      "PurchaseOrderStatus",
		"/api/order/so/status/":      "SalesOrderStatus",
		"/api/order/ro/status/":      "ReturnOrderStatus",
		"/api/order/ro-line/status/": "ReturnOrderLineStatus",
		"/api/build/status/":         "BuildStatus",
	} {
		got := a.do(t, "GET", path+"?format=json", "", token("viewer"))
		want := a.do(t, "GET", "/api/generic/status/"+class+"/", "", token("viewer"))
		if got.status != 200 || got.body != want.body || !strings.Contains(got.body, `"status_class":"`+class+`"`) {
			t.Errorf("%s: %d %s", path, got.status, got.body)
		}
	}
	wantJSON(t, a.do(t, "GET", "/api/stock/track/status/", ""), 401, "")
}
