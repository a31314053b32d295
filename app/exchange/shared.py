"""What several kinds share: the SKU field and the catalogue as the imports look it up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.exchange.spec import Field
from app.models import Product

P = Product.__table__
SKU = Field("sku", "SKU", "code", True, ("item no", "item number", "article", "article no", "part no", "product code",
                                         "item code", "code", "artikel", "artikelnummer", "artikel nr", "product id"),
            "The product's code, as in OrderCycle (any case)", lookup="sku")


def product_map(s: Session) -> dict[str, dict[str, Any]]:
    return {r.sku: dict(r._mapping) for r in s.execute(select(
        P.c.id, P.c.sku, P.c.name, P.c.family_id, P.c.unit, P.c.list_price, P.c.material_cost, P.c.standard_cost,
        P.c.tax_rate, P.c.location, P.c.lead_time_days, P.c.make_to_stock, P.c.target_stock, P.c.max_stock,
        P.c.needs_installation, P.c.stock_on_hand, P.c.stock_reserved, P.c.active))}


