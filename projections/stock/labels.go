package stock

import "github.com/stockledger/stockledger/domain/status"

// statusLabel is a StockStatus code's label, the item's status_text.
func statusLabel(code int) string { return status.StockStatus(code).Label() }

// trackingLabel is a StockHistoryCode's label, the tracking entry's label.
func trackingLabel(code int) string { return status.TrackingType(code).Label() }
