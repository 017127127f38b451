package api

import (
	"github.com/stockledger/stockledger/domain/company"
)

// The company area's OPTIONS field descriptions, from InvenTree's serializers (labels and
// help texts as the API 530 schema gives them).

func ro(name, typ, label string) fieldMeta {
	return fieldMeta{Name: name, Type: typ, ReadOnly: true, Label: label}
}

func related(name, label, help, model, url string) fieldMeta {
	return fieldMeta{Name: name, Type: typeRelated, Label: label, HelpText: help, Model: model, APIURL: url}
}

func text(name, label, help string, max int) fieldMeta {
	return fieldMeta{Name: name, Type: typeString, Label: label, HelpText: help, MaxLength: max}
}

func currencyField(name, label, help string) fieldMeta {
	out := make([]choice, len(company.Currencies))
	for i, c := range company.Currencies {
		out[i] = choice{Value: c, DisplayName: c}
	}
	return fieldMeta{Name: name, Type: typeChoice, Label: label, HelpText: help, Default: company.DefaultCurrency, Choices: out}
}

func companyFields() []fieldMeta {
	return []fieldMeta{
		ro("pk", typeInteger, "ID"),
		{Name: "name", Type: typeString, Required: true, Label: "Company name", HelpText: "Company name", MaxLength: 100},
		text("description", "Company description", "Description of the company", 500),
		{Name: "website", Type: typeURL, Label: "Website", HelpText: "Company website URL", MaxLength: 2000},
		text("phone", "Phone number", "Contact phone number", 50),
		{Name: "email", Type: typeEmail, Label: "Email", HelpText: "Contact email address", MaxLength: 254},
		currencyField("currency", "Currency", "Default currency used for this supplier"),
		text("contact", "Contact", "Point of contact", 100),
		{Name: "link", Type: typeURL, Label: "Link", HelpText: "Link to external company information", MaxLength: 2000},
		ro("image", typeImage, "Image"),
		{Name: "active", Type: typeBoolean, Label: "Active", HelpText: "Is this company active?", Default: true},
		{Name: "is_customer", Type: typeBoolean, Label: "is customer", HelpText: "Do you sell items to this company?", Default: false},
		{Name: "is_manufacturer", Type: typeBoolean, Label: "is manufacturer", HelpText: "Does this company manufacture parts?", Default: false},
		{Name: "is_supplier", Type: typeBoolean, Label: "is supplier", HelpText: "Do you purchase items from this company?", Default: true},
		text("notes", "Notes", "Markdown notes (optional)", 50000),
		ro("parts_supplied", typeInteger, "Parts supplied"),
		ro("parts_manufactured", typeInteger, "Parts manufactured"),
		ro("primary_address", typeNested, "Primary address"),
		text("tax_id", "Tax ID", "Company Tax ID", 50),
		{Name: "tags", Type: typeList, Label: "Tags", Child: &fieldMeta{Type: typeString}},
	}
}

func addressFields() []fieldMeta {
	return []fieldMeta{
		ro("pk", typeInteger, "ID"),
		{Name: "company", Type: typeRelated, Required: true, Label: "Company", HelpText: "Select company", Model: "company", APIURL: "/api/company/"},
		{Name: "title", Type: typeString, Required: true, Label: "Address title", HelpText: "Title describing the address entry", MaxLength: 100},
		{Name: "primary", Type: typeBoolean, Label: "Primary address", HelpText: "Set as primary address", Default: false},
		text("line1", "Line 1", "Address line 1", 50),
		text("line2", "Line 2", "Address line 2", 50),
		text("postal_code", "Postal code", "Postal code", 10),
		text("postal_city", "City/Region", "Postal code city/region", 50),
		text("province", "State/Province", "State or province", 50),
		text("country", "Country", "Address country", 50),
		text("shipping_notes", "Courier shipping notes", "Notes for shipping courier", 100),
		text("internal_shipping_notes", "Internal shipping notes", "Shipping notes for internal use", 100),
		{Name: "link", Type: typeURL, Label: "Link", HelpText: "Link to address information (external)", MaxLength: 2000},
	}
}

func contactFields() []fieldMeta {
	return []fieldMeta{
		ro("pk", typeInteger, "ID"),
		{Name: "company", Type: typeRelated, Required: true, Label: "Company", Model: "company", APIURL: "/api/company/"},
		ro("company_name", typeString, "Company Name"),
		{Name: "name", Type: typeString, Required: true, Label: "Name", MaxLength: 100},
		text("phone", "Phone", "", 100),
		{Name: "email", Type: typeEmail, Label: "Email", MaxLength: 254},
		text("role", "Role", "", 100),
	}
}

func manufacturerPartFields() []fieldMeta {
	return []fieldMeta{
		ro("pk", typeInteger, "ID"),
		{Name: "part", Type: typeRelated, Required: true, Label: "Base Part", HelpText: "Select part", Model: "part", APIURL: "/api/part/",
			Filters: map[string]any{"purchaseable": true}},
		ro("part_detail", typeNested, "Part"),
		ro("pretty_name", typeString, "Pretty name"),
		{Name: "manufacturer", Type: typeRelated, Required: true, Label: "Manufacturer", HelpText: "Select manufacturer",
			Model: "company", APIURL: "/api/company/", Filters: map[string]any{"is_manufacturer": true}},
		ro("manufacturer_detail", typeNested, "Manufacturer"),
		text("description", "Description", "Manufacturer part description", 250),
		text("MPN", "MPN", "Manufacturer Part Number", 100),
		{Name: "link", Type: typeURL, Label: "Link", HelpText: "URL for external manufacturer part link", MaxLength: 2000},
		ro("barcode_hash", typeString, "Barcode Hash"),
		text("notes", "Notes", "Markdown notes (optional)", 50000),
		{Name: "tags", Type: typeList, Label: "Tags", Child: &fieldMeta{Type: typeString}},
	}
}

func supplierPartFields() []fieldMeta {
	return []fieldMeta{
		{Name: "available", Type: typeFloat, Label: "Available", HelpText: "Quantity available from supplier"},
		ro("availability_updated", typeDatetime, "Availability Updated"),
		text("description", "Description", "Supplier part description", 250),
		ro("in_stock", typeFloat, "In Stock"),
		ro("on_order", typeFloat, "On Order"),
		{Name: "link", Type: typeURL, Label: "Link", HelpText: "URL for external supplier part link", MaxLength: 2000},
		{Name: "active", Type: typeBoolean, Label: "Active", HelpText: "Is this supplier part active?", Default: true},
		{Name: "primary", Type: typeBoolean, Label: "Primary", HelpText: "Is this the primary supplier part for the linked Part?", Default: false},
		ro("manufacturer_detail", typeNested, "Manufacturer"),
		related("manufacturer_part", "Manufacturer Part", "Select manufacturer part", "manufacturerpart", "/api/company/part/manufacturer/"),
		ro("manufacturer_part_detail", typeNested, "Manufacturer Part"),
		ro("MPN", typeString, "MPN"),
		text("note", "Note", "Notes", 100),
		ro("pk", typeInteger, "ID"),
		ro("barcode_hash", typeString, "Barcode Hash"),
		text("packaging", "Packaging", "Part packaging", 50),
		text("pack_quantity", "Pack Quantity", "Total quantity supplied in a single pack. Leave empty for single items.", 25),
		ro("pack_quantity_native", typeFloat, "Pack quantity native"),
		{Name: "part", Type: typeRelated, Required: true, Label: "Base Part", HelpText: "Select part", Model: "part", APIURL: "/api/part/",
			Filters: map[string]any{"purchaseable": true}},
		ro("pretty_name", typeString, "Pretty name"),
		{Name: "SKU", Type: typeString, Required: true, Label: "SKU", HelpText: "Supplier stock keeping unit", MaxLength: 100},
		{Name: "supplier", Type: typeRelated, Required: true, Label: "Supplier", HelpText: "Select supplier",
			Model: "company", APIURL: "/api/company/", Filters: map[string]any{"is_supplier": true}},
		ro("supplier_detail", typeNested, "Supplier"),
		ro("updated", typeDatetime, "Updated"),
		text("notes", "Notes", "Markdown notes (optional)", 50000),
		ro("part_detail", typeNested, "Part"),
		{Name: "tags", Type: typeList, Label: "Tags", Child: &fieldMeta{Type: typeString}},
	}
}
