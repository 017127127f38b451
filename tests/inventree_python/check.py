"""Drive a Stockledger server with the unmodified InvenTree Python client.

Usage: check.py <server url> <username> <password>

The client (github.com/inventree/inventree-python) is not part of this repository: put
its `inventree` package on PYTHONPATH. Each step prints PASS or FAIL; the exit code is
the number of failed steps.
"""

import sys
import traceback

from inventree.api import InvenTreeAPI
from inventree.company import Company, ManufacturerPart, SupplierPart
from inventree.part import Part, PartCategory
from inventree.purchase_order import PurchaseOrder
from inventree.stock import StockItem, StockLocation
from requests.exceptions import HTTPError

failures = 0


def step(name, fn):
    global failures
    try:
        detail = fn()
        print(f"PASS {name}" + (f": {detail}" if detail is not None else ""))
        return detail
    except Exception as exc:  # noqa: BLE001 - every failure is reported, then counted
        failures += 1
        print(f"FAIL {name}: {type(exc).__name__}: {exc}")
        traceback.print_exc(limit=2, file=sys.stdout)
        return None


def equal(got, want):
    """Return got when it equals want, else fail the step."""
    if got != want:
        raise AssertionError(f"want {want!r}, got {got!r}")
    return got


def refused(fn):
    """Run fn, which the server must refuse (HTTP 400): return the refusal."""
    try:
        fn()
    except HTTPError as exc:
        return f"refused: {str(exc)[:80]}"
    raise AssertionError("accepted")


def purchase(api, part, shelf, bin_):
    """Buy the part from a supplier: a supplier part in packs of 100, an order of it,
    issued, received partly by line and the rest with receiveAll, then completed."""
    supplier = step("create supplier", lambda: Company.create(api, {"name": "Digi", "is_supplier": True, "currency": "EUR"}))
    maker = step("create manufacturer", lambda: Company.create(api, {"name": "Yageo", "is_manufacturer": True, "is_supplier": False}))
    mpart = step("create manufacturer part", lambda: ManufacturerPart.create(api, {"part": part.pk, "manufacturer": maker.pk, "MPN": "RC0603"}))
    sp = step("create supplier part", lambda: SupplierPart.create(api, {
        "part": part.pk, "supplier": supplier.pk, "SKU": "311-10K", "manufacturer_part": mpart.pk, "pack_quantity": "100",
    }))
    step("supplier's parts", lambda: equal([p.SKU for p in supplier.getSuppliedParts()], ["311-10K"]))
    po = step("create purchase order", lambda: PurchaseOrder.create(api, {
        "supplier": supplier.pk, "reference": "PO-0001", "description": "Resistors",
    }))
    line = step("add line item", lambda: po.addLineItem(part=sp.pk, quantity=3, purchase_price=2.5, purchase_price_currency="EUR"))
    step("line item of zero refused", lambda: refused(lambda: po.addLineItem(part=sp.pk, quantity=0)))
    step("add extra line item", lambda: po.addExtraLineItem(reference="Shipping", quantity=1, price=10, price_currency="EUR").pk)
    step("order total (3 packs at 2.50, shipping 10)", lambda: equal(float(PurchaseOrder(api, pk=po.pk).total_price), 17.5))
    step("part on order (3 packs of 100)", lambda: equal(Part(api, pk=part.pk).ordering, 300))
    step("receive before issuing refused", lambda: refused(lambda: po.receiveAll(location=shelf.pk)))
    step("issue", lambda: (po.issue(), equal(po.status, 20))[1])
    step("receive one pack of the line", lambda: line.receive(quantity=1, location=shelf.pk) and line.received)

    def received():
        got = [(i.quantity, i.SKU, i.MPN, i.purchase_order_reference)
               for i in StockItem.list(api, supplier_part=sp.pk, location=shelf.pk)]
        return equal(got, [(100, "311-10K", "RC0603", "PO-0001")])

    step("received stock, by supplier part", received)
    step("receive the rest (receiveAll)", lambda: len(po.receiveAll(location=bin_.pk)))
    step("order complete after receiving all", lambda: equal(po.status, 30))
    step("complete (already complete)", lambda: (po.complete(), po.status)[1])
    step("part on order after receiving", lambda: equal(Part(api, pk=part.pk).ordering, 0))
    step("supplier part in stock", lambda: equal(SupplierPart(api, pk=sp.pk).in_stock, 300))
    second = step("second order (Company.createPurchaseOrder)", lambda: supplier.createPurchaseOrder(reference="PO-0002"))
    if second is not None:
        step("  add line, issue", lambda: (second.addLineItem(part=sp.pk, quantity=1), second.issue(), second.status)[2])
        step("  complete without accept_incomplete refused", lambda: refused(lambda: second.complete()))
        step("  complete with accept_incomplete", lambda: (second.complete(accept_incomplete=True), second.status)[1])


def main(url, username, password):
    api = InvenTreeAPI(url, username=username, password=password, timeout=20)
    step("connect (GET /api/, /api/user/me/, token)", lambda: f"apiVersion {api.api_version}, token {api.token[:8]}…")

    cat = step("create category", lambda: PartCategory.create(api, {"name": "Resistors", "description": "Fixed resistors"}))
    sub = step("create sub-category", lambda: PartCategory.create(api, {"name": "SMD", "parent": cat.pk}))
    part = step("create part", lambda: Part.create(api, {
        "name": "R 10k 0603", "description": "Resistor", "category": sub.pk, "component": True, "purchaseable": True,
    }))
    step("list parts in category (cascade)", lambda: len(Part.list(api, category=cat.pk, cascade=True)))
    shelf = step("create location", lambda: StockLocation.create(api, {"name": "Shelf A"}))
    bin_ = step("create sub-location", lambda: StockLocation.create(api, {"name": "Bin 1", "parent": shelf.pk}))
    # POST /api/stock/ answers with a list (API 383); the client hands it back as is.
    created = step("create stock item", lambda: StockItem.create(api, {"part": part.pk, "quantity": 100, "location": shelf.pk}))
    item = StockItem(api, pk=created[0]["pk"]) if isinstance(created, list) and created else created
    step("read stock item", lambda: StockItem(api, pk=item.pk).quantity)
    step("add stock", lambda: item.addStock(25, notes="delivery"))
    step("remove stock", lambda: item.removeStock(5))
    step("count stock", lambda: item.countStock(110))
    step("transfer part of the stock (split)", lambda: item.transferStock(bin_.pk, quantity=10))
    step("items in sub-location", lambda: [(i.pk, i.quantity) for i in StockItem.list(api, location=bin_.pk)])
    step("items under shelf (cascade)", lambda: len(StockItem.list(api, location=shelf.pk, cascade=True)))
    step("quantity after actions", lambda: StockItem(api, pk=item.pk).quantity)
    step("tracking history", lambda: [(t.tracking_type, t.label) for t in item.getTrackingEntries()])
    step("part stock figures", lambda: Part(api, pk=part.pk).in_stock)
    step("edit part (PATCH)", lambda: part.save({"description": "Thick film resistor"}) and None)
    step("list with limit (pagination)", lambda: api.get("stock/", params={"limit": 1})["count"])
    if part is not None and shelf is not None and bin_ is not None:
        purchase(api, part, shelf, bin_)
    return failures


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
