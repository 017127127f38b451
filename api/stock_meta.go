package api

import (
	"github.com/stockledger/stockledger/domain/status"
)

// The stock area's OPTIONS field descriptions, from InvenTree's serializers (labels and
// help texts as the API 530 schema gives them).

// locationFields are LocationSerializer's fields (path only appears with path_detail).
func locationFields() []fieldMeta {
	return []fieldMeta{
		{Name: "pk", Type: typeInteger, ReadOnly: true, Label: "ID"},
		{Name: "barcode_hash", Type: typeString, ReadOnly: true, Label: "Barcode Hash", HelpText: "Unique hash of barcode data"},
		{Name: "name", Type: typeString, Required: true, Label: "Name", HelpText: "Name", MaxLength: 100},
		{Name: "level", Type: typeInteger, ReadOnly: true, Label: "Level"},
		{Name: "description", Type: typeString, Label: "Description", HelpText: "Description (optional)", MaxLength: 250},
		{Name: "parent", Type: typeRelated, Label: "Parent Location", HelpText: "Parent stock location",
			Model: "stocklocation", APIURL: "/api/stock/location/"},
		{Name: "pathstring", Type: typeString, ReadOnly: true, Label: "Path", HelpText: "Path"},
		{Name: "items", Type: typeInteger, ReadOnly: true, Label: "Stock Items"},
		{Name: "sublocations", Type: typeInteger, ReadOnly: true, Label: "Sublocations"},
		{Name: "owner", Type: typeRelated, Label: "Owner", HelpText: "Select Owner", Model: "owner", APIURL: "/api/user/owner/"},
		{Name: "icon", Type: typeString, ReadOnly: true, Label: "Icon"},
		{Name: "custom_icon", Type: typeString, Label: "Icon", HelpText: "Icon (optional)", MaxLength: 100},
		{Name: "structural", Type: typeBoolean, Label: "Structural", Default: false,
			HelpText: "Stock items may not be directly located into a structural stock locations, but may be located to child locations."},
		{Name: "external", Type: typeBoolean, Label: "External", Default: false, HelpText: "This is an external stock location"},
		{Name: "location_type", Type: typeRelated, Label: "Location type", HelpText: "Stock location type of this location",
			Model: "stocklocationtype", APIURL: "/api/stock/location-type/"},
		{Name: "location_type_detail", Type: typeNested, ReadOnly: true, Label: "Location type detail"},
		{Name: "tags", Type: typeList, Label: "Tags", Child: &fieldMeta{Type: typeString}},
	}
}

// stockItemFields are StockItemSerializer's fields, the write-only ones of creation
// (use_pack_size, serial_numbers) included.
func stockItemFields() []fieldMeta {
	related := func(name, label, help, model, url string) fieldMeta {
		return fieldMeta{Name: name, Type: typeRelated, Label: label, HelpText: help, Model: model, APIURL: url}
	}
	ro := func(name, typ, label string) fieldMeta {
		return fieldMeta{Name: name, Type: typ, ReadOnly: true, Label: label}
	}
	return []fieldMeta{
		ro("pk", typeInteger, "ID"),
		{Name: "part", Type: typeRelated, Required: true, Label: "Part", HelpText: "Base Part", Model: "part", APIURL: "/api/part/"},
		{Name: "quantity", Type: typeFloat, Required: true, Label: "Quantity"},
		{Name: "serial", Type: typeString, Label: "Serial Number", HelpText: "Serial number for this item", MaxLength: 100},
		{Name: "batch", Type: typeString, Label: "Batch Code", HelpText: "Batch code for this stock item", MaxLength: 100},
		related("location", "Stock Location", "Where is this stock item located?", "stocklocation", "/api/stock/location/"),
		related("belongs_to", "Installed In", "Is this item installed in another item?", "stockitem", "/api/stock/"),
		related("build", "Source Build", "Build for this stock item", "build", "/api/build/"),
		related("consumed_by", "Consumed By", "Build order which consumed this stock item", "build", "/api/build/"),
		related("customer", "Customer", "Customer", "company", "/api/company/"),
		{Name: "delete_on_deplete", Type: typeBoolean, Label: "Delete on deplete", HelpText: "Delete this Stock Item when stock is depleted", Default: true},
		{Name: "expiry_date", Type: typeDate, Label: "Expiry Date", HelpText: "Expiry date for stock item. Stock will be considered expired after this date"},
		ro("in_stock", typeBoolean, "In Stock"),
		{Name: "is_building", Type: typeBoolean, Label: "Is building", Default: false},
		{Name: "link", Type: typeURL, Label: "External Link", HelpText: "Link to external URL", MaxLength: 2000},
		{Name: "notes", Type: typeString, Label: "Notes", HelpText: "Markdown notes (optional)", MaxLength: 50000},
		related("owner", "Owner", "Select Owner", "owner", "/api/user/owner/"),
		{Name: "packaging", Type: typeString, Label: "Packaging", HelpText: "Packaging this stock item is stored in", MaxLength: 50},
		{Name: "parent", Type: typeRelated, ReadOnly: true, Label: "Parent Item", HelpText: "Parent stock item", Model: "stockitem", APIURL: "/api/stock/"},
		related("purchase_order", "Source Purchase Order", "Purchase order for this stock item", "purchaseorder", "/api/order/po/"),
		ro("purchase_order_reference", typeString, "Purchase order reference"),
		related("sales_order", "Destination Sales Order", "", "salesorder", "/api/order/so/"),
		ro("sales_order_reference", typeString, "Sales order reference"),
		{Name: "status", Type: typeChoice, Label: "Status", HelpText: "Stock item status code", Default: int(status.StockOK),
			Choices: statusChoices(status.StockStatusClass())},
		ro("status_text", typeString, "Status"),
		{Name: "status_custom_key", Type: typeChoice, Label: "Custom status key", HelpText: "Additional status information for this item",
			Choices: statusChoices(status.StockStatusClass())},
		related("supplier_part", "Supplier Part", "Select a matching supplier part for this stock item", "supplierpart", "/api/company/part/"),
		ro("SKU", typeString, "Supplier Part Number"),
		ro("MPN", typeString, "Manufacturer Part Number"),
		{Name: "barcode_hash", Type: typeString, ReadOnly: true, Label: "Barcode Hash", HelpText: "Unique hash of barcode data"},
		{Name: "creation_date", Type: typeDatetime, ReadOnly: true, Label: "Creation Date", HelpText: "Date that this stock item was created"},
		ro("stocktake_date", typeDate, "Stocktake Date"),
		{Name: "updated", Type: typeDatetime, ReadOnly: true, Label: "Updated", HelpText: "Timestamp of last update"},
		{Name: "purchase_price", Type: typeDecimal, Label: "Purchase Price", HelpText: "Purchase price of this stock item, per unit or pack",
			MaxDigits: 19, DecimalPlaces: 6},
		{Name: "purchase_price_currency", Type: typeChoice, Label: "Currency", HelpText: "Purchase currency of this stock item",
			Default: defaultPriceCurrency, Choices: currencyChoices()},
		{Name: "use_pack_size", Type: typeBoolean, Label: "Use pack size",
			HelpText: "Use pack size when adding: the quantity defined is the number of packs"},
		{Name: "serial_numbers", Type: typeString, Label: "Serial numbers", HelpText: "Enter serial numbers for new items"},
		ro("allocated", typeFloat, "Allocated Quantity"),
		ro("expired", typeBoolean, "Expired"),
		ro("installed_items", typeInteger, "Installed Items"),
		ro("child_items", typeInteger, "Child Items"),
		ro("stale", typeBoolean, "Stale"),
		ro("tracking_items", typeInteger, "Tracking Items"),
		{Name: "tags", Type: typeList, Label: "Tags", Child: &fieldMeta{Type: typeString}},
		ro("part_detail", typeNested, "Part"),
		ro("location_detail", typeNested, "Location"),
	}
}

func currencyChoices() []choice {
	out := make([]choice, len(priceCurrencies))
	for i, c := range priceCurrencies {
		out[i] = choice{Value: c, DisplayName: c}
	}
	return out
}

// adjustFields are StockAdjustmentSerializer's fields, with the location of count and
// transfer.
func adjustFields(kind adjustKind) []fieldMeta {
	statusOptions := append([]choice{{Value: nil, DisplayName: "No Change"}}, statusChoices(status.StockStatusClass())...)
	item := []fieldMeta{
		{Name: "pk", Type: typeRelated, Required: true, Label: "stock_item", HelpText: "StockItem primary key value",
			Model: "stockitem", APIURL: "/api/stock/"},
		{Name: "quantity", Type: typeDecimal, Required: true, Label: "Quantity", MinValue: 0, MaxDigits: 15, DecimalPlaces: 5},
		{Name: "batch", Type: typeString, Label: "Batch Code", HelpText: "Batch code for this stock item", MaxLength: 100},
		{Name: "status", Type: typeChoice, Label: "Status", HelpText: "Stock item status code", Choices: statusOptions},
		{Name: "packaging", Type: typeString, Label: "Packaging", HelpText: "Packaging this stock item is stored in", MaxLength: 50},
		{Name: "merge", Type: typeBoolean, Label: "Merge into existing stock",
			HelpText: "Merge this item into existing stock at the destination if possible", Default: false},
	}
	fields := []fieldMeta{
		{Name: "items", Type: typeList, Required: true, Label: "Items", Child: &fieldMeta{Type: typeNested, Children: item}},
		{Name: "notes", Type: typeString, Label: "Notes", HelpText: "Stock transaction notes"},
	}
	switch kind {
	case adjustCount:
		fields = append(fields, fieldMeta{Name: "location", Type: typeRelated, Label: "Location",
			HelpText: "Set stock location for counted items (optional)", Model: "stocklocation", APIURL: "/api/stock/location/"})
	case adjustTransfer:
		fields = append(fields, fieldMeta{Name: "location", Type: typeRelated, Required: true, Label: "Location",
			HelpText: "Destination stock location", Model: "stocklocation", APIURL: "/api/stock/location/",
			Filters: map[string]any{"structural": false}})
	}
	return fields
}

func mergeFields() []fieldMeta {
	item := []fieldMeta{{Name: "item", Type: typeRelated, Required: true, Label: "Stock Item", Model: "stockitem", APIURL: "/api/stock/"}}
	return []fieldMeta{
		{Name: "items", Type: typeList, Required: true, Label: "Items", Child: &fieldMeta{Type: typeNested, Children: item}},
		{Name: "location", Type: typeRelated, Required: true, Label: "Location", HelpText: "Destination stock location",
			Model: "stocklocation", APIURL: "/api/stock/location/"},
		{Name: "notes", Type: typeString, Label: "Notes", HelpText: "Stock merging notes"},
		{Name: "allow_mismatched_suppliers", Type: typeBoolean, Label: "Allow mismatched suppliers",
			HelpText: "Allow stock items with different supplier parts to be merged"},
		{Name: "allow_mismatched_status", Type: typeBoolean, Label: "Allow mismatched status",
			HelpText: "Allow stock items with different status codes to be merged"},
	}
}

func changeStatusFields() []fieldMeta {
	return []fieldMeta{
		{Name: "items", Type: typeRelated, Required: true, Label: "Stock Items", HelpText: "Select stock items to change status",
			Model: "stockitem", APIURL: "/api/stock/"},
		{Name: "status", Type: typeChoice, Label: "Status", HelpText: "Stock item status code", Default: int(status.StockOK),
			Choices: statusChoices(status.StockStatusClass())},
		{Name: "note", Type: typeString, Label: "Notes", HelpText: "Add transaction note (optional)"},
	}
}

func serializeFields() []fieldMeta {
	return []fieldMeta{
		{Name: "quantity", Type: typeInteger, Required: true, Label: "Quantity", HelpText: "Enter number of stock items to serialize", MinValue: 0},
		{Name: "serial_numbers", Type: typeString, Required: true, Label: "Serial Numbers", HelpText: "Enter serial numbers for new items"},
		{Name: "destination", Type: typeRelated, Required: true, Label: "Location", HelpText: "Destination stock location",
			Model: "stocklocation", APIURL: "/api/stock/location/"},
		{Name: "notes", Type: typeString, Label: "Notes", HelpText: "Optional note field"},
	}
}

func installFields() []fieldMeta {
	return []fieldMeta{
		{Name: "stock_item", Type: typeRelated, Required: true, Label: "Stock Item", HelpText: "Select stock item to install",
			Model: "stockitem", APIURL: "/api/stock/"},
		{Name: "quantity", Type: typeInteger, Label: "Quantity to Install", HelpText: "Enter the quantity of items to install",
			Default: 1, MinValue: 1},
		{Name: "note", Type: typeString, Label: "Note", HelpText: "Add transaction note (optional)"},
	}
}

func uninstallFields() []fieldMeta {
	return []fieldMeta{
		{Name: "location", Type: typeRelated, Required: true, Label: "Location", HelpText: "Destination location for uninstalled item",
			Model: "stocklocation", APIURL: "/api/stock/location/"},
		{Name: "note", Type: typeString, Label: "Notes", HelpText: "Add transaction note (optional)"},
	}
}
