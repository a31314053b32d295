"""Small helpers that put a few real rows in a test database through the unit of work."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.db.uow import Actor, Database
from app.models import Customer, Product, ProductFamily, SalesOrder, SalesOrderLine

ANN = Actor("ann", "sales", "Ann Archer", workstation="desk-1")
BOB = Actor("bob", "sales", "Bob Baker", workstation="desk-2")


def make_product(db: Database, sku: str = "SH-1", price: str = "99.50") -> int:
    def run(uow):  # type: ignore[no-untyped-def]
        fam = ProductFamily(code=f"F-{sku}", name="Shelving")
        uow.add(fam)
        uow.flush()
        p = Product(sku=sku, name=f"Shelf {sku}", family_id=fam.id, list_price=Decimal(price),
                    standard_cost=Decimal("50"), stock_on_hand=Decimal("10"))
        uow.add(p)
        uow.flush()
        return p.id

    return db.write(ANN, run)


def make_order(db: Database, product_id: int, number: str = "SO-1") -> int:
    def run(uow):  # type: ignore[no-untyped-def]
        c = Customer(code=f"C-{number}", name="Acme Storage")
        uow.add(c)
        uow.flush()
        o = SalesOrder(number=number, customer_id=c.id, order_date=dt.date(2026, 11, 2))
        o.lines.append(SalesOrderLine(line_no=1, product_id=product_id, quantity=Decimal("2"),
                                      list_price=Decimal("99.50"), unit_price=Decimal("99.50")))
        uow.add(o)
        uow.flush()
        return o.id

    return db.write(ANN, run)
