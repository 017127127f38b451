package api

import (
	"github.com/stockledger/stockledger/domain/status"
)

// The purchase order area's OPTIONS field descriptions, from InvenTree's serializers
// (labels and help texts as the API 530 schema gives them).

func orderFields() []fieldMeta {
	date := func(name, label, help string) fieldMeta {
		return fieldMeta{Name: name, Type: typeDate, Label: label, HelpText: help}
	}
	return []fieldMeta{
		ro("pk", typeInteger, "ID"),
		ro("created_by", typeNested, "Created By"),
		date("creation_date", "Creation Date", ""),
		{Name: "issue_date", Type: typeDate, ReadOnly: true, Label: "Issue Date", HelpText: "Date order was issued"},
		date("start_date", "Start date", "Scheduled start date for this order"),
		date("target_date", "Target Date", "Expected date for order delivery. Order will be overdue after this date."),
		text("description", "Description", "Order description (optional)", 250),
		ro("line_items", typeInteger, "Line Items"),
		ro("completed_lines", typeInteger, "Completed Lines"),
		{Name: "link", Type: typeURL, Label: "Link", HelpText: "Link to external page", MaxLength: 2000},
		related("project_code", "Project Code", "Select project code for this order", "projectcode", "/api/project-code/"),
		{Name: "reference", Type: typeString, Required: true, Label: "Reference", HelpText: "Order reference"},
		related("responsible", "Responsible", "User or group responsible for this order", "owner", "/api/user/owner/"),
		related("contact", "Contact", "Point of contact for this order", "contact", "/api/company/contact/"),
		ro("contact_detail", typeNested, "Contact"),
		related("address", "Address", "Company address for this order", "address", "/api/company/address/"),
		ro("address_detail", typeNested, "Address"),
		{Name: "status", Type: typeInteger, ReadOnly: true, Label: "Order Status"},
		ro("status_text", typeString, "Status"),
		{Name: "status_custom_key", Type: typeChoice, Label: "Custom status key", HelpText: "Additional status information for this item",
			Choices: statusChoices(status.PurchaseOrderStatusClass())},
		text("notes", "Notes", "Markdown notes (optional)", 50000),
		ro("barcode_hash", typeString, "Barcode Hash"),
		ro("overdue", typeBoolean, "Overdue"),
		{Name: "complete_date", Type: typeDate, ReadOnly: true, Label: "Completion Date", HelpText: "Date order was completed"},
		{Name: "supplier", Type: typeRelated, Required: true, Label: "Supplier", HelpText: "Company from which the items are being ordered",
			Model: "company", APIURL: "/api/company/", Filters: map[string]any{"is_supplier": true}},
		text("supplier_reference", "Supplier Reference", "Supplier order reference code", 64),
		ro("supplier_name", typeString, "Supplier Name"),
		ro("total_price", typeDecimal, "Total Price"),
		currencyField("order_currency", "Order Currency", "Currency for this order (leave blank to use company default)"),
		related("destination", "Destination", "Destination for received items", "stocklocation", "/api/stock/location/"),
		{Name: "tags", Type: typeList, Label: "Tags", Child: &fieldMeta{Type: typeString}},
	}
}

func lineFields() []fieldMeta {
	return []fieldMeta{
		ro("pk", typeInteger, "ID"),
		{Name: "part", Type: typeRelated, Required: true, Label: "Supplier Part", Model: "supplierpart", APIURL: "/api/company/part/"},
		{Name: "quantity", Type: typeFloat, Required: true, Label: "Quantity", MinValue: 0},
		text("reference", "Reference", "Line item reference", 100),
		text("notes", "Notes", "Line item notes", 500),
		{Name: "order", Type: typeRelated, Required: true, Label: "Order", HelpText: "Purchase Order", Model: "purchaseorder", APIURL: "/api/order/po/"},
		related("build_order", "Build Order", "External Build Order to be fulfilled by this line item", "build", "/api/build/"),
		ro("overdue", typeBoolean, "Overdue"),
		{Name: "received", Type: typeFloat, ReadOnly: true, Label: "Received", Default: 0.0},
		{Name: "purchase_price", Type: typeDecimal, Label: "Purchase Price", HelpText: "Unit purchase price", MaxDigits: 19, DecimalPlaces: 6},
		currencyField("purchase_price_currency", "Currency", "Purchase price currency"),
		{Name: "auto_pricing", Type: typeBoolean, Label: "Auto Pricing", HelpText: "Automatically calculate purchase price based on supplier part data", Default: true},
		related("destination", "Destination", "Destination for received items", "stocklocation", "/api/stock/location/"),
		ro("destination_detail", typeNested, "Destination"),
		{Name: "target_date", Type: typeDate, Label: "Target Date"},
		ro("total_price", typeDecimal, "Total Price"),
		{Name: "link", Type: typeURL, Label: "Link", HelpText: "Link to external page", MaxLength: 2000},
		{Name: "merge_items", Type: typeBoolean, Label: "Merge Items",
			HelpText: "Merge items with the same part, destination and target date into one line item", Default: true},
		ro("sku", typeString, "SKU"),
		ro("mpn", typeString, "MPN"),
		ro("ipn", typeString, "Internal Part Number"),
		ro("internal_part", typeRelated, "Internal Part"),
		ro("internal_part_name", typeString, "Internal Part Name"),
		text("line", "Line Number", "Line number for this item (optional)", 20),
		{Name: "discount", Type: typeFloat, Label: "Discount"},
		related("project_code", "Project Code", "Select project code for this order", "projectcode", "/api/project-code/"),
	}
}

func extraLineFields() []fieldMeta {
	return []fieldMeta{
		ro("pk", typeInteger, "ID"),
		text("description", "Description", "Line item description (optional)", 250),
		{Name: "quantity", Type: typeFloat, Required: true, Label: "Quantity"},
		text("reference", "Reference", "Line item reference", 100),
		text("notes", "Notes", "Line item notes", 500),
		{Name: "order", Type: typeRelated, Required: true, Label: "Order", HelpText: "Purchase Order", Model: "purchaseorder", APIURL: "/api/order/po/"},
		{Name: "price", Type: typeDecimal, Label: "Price", HelpText: "Unit price", MaxDigits: 19, DecimalPlaces: 6},
		currencyField("price_currency", "Currency", "Select currency from available options"),
		{Name: "link", Type: typeURL, Label: "Link", HelpText: "Link to external page", MaxLength: 2000},
		text("line", "Line Number", "Line number for this item (optional)", 20),
		{Name: "discount", Type: typeFloat, Label: "Discount"},
		{Name: "target_date", Type: typeDate, Label: "Target Date", HelpText: "Target date for this line item (leave blank to use the target date from the order)"},
		ro("total_price", typeDecimal, "Total Price"),
		related("project_code", "Project Code", "Select project code for this order", "projectcode", "/api/project-code/"),
	}
}
