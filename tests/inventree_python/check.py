"""Drive a Stockledger server with the unmodified InvenTree Python client.

Usage: check.py <server url> <username> <password>

The client (github.com/inventree/inventree-python) is not part of this repository: put
its `inventree` package on PYTHONPATH. Each step prints PASS or FAIL; the exit code is
the number of failed steps.
"""

import sys
import traceback

from inventree.api import InvenTreeAPI
from inventree.part import Part, PartCategory
from inventree.stock import StockItem, StockLocation

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
    return failures


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
