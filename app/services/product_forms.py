"""What the products screens get and send (``app.services.products``): the rows, forms, views and
choices, and the units of measure."""

from __future__ import annotations


from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal




#: the units of measure a product is sold in (shown on quotes, order confirmations and invoices)
UNITS: tuple[str, ...] = ("pcs", "set", "kit", "pair", "bay", "run", "box", "roll", "tin", "m", "m2", "m3", "kg",
                          "t", "l", "h")
SEQ_STEP = 10  # routing operations are numbered 10, 20, 30…
ItemKind = Literal["material", "product"]
CENT = Decimal("0.01")
QTY = Decimal("0.001")


# --- what the screens get and send ----------------------------------------------------------------
@dataclass(frozen=True)
class ProductRow:
    """One line of the products list."""

    id: int
    sku: str
    name: str
    family: str
    unit: str
    list_price: Decimal
    standard_cost: Decimal
    make_to_stock: bool
    location: str
    needs_installation: bool
    stock_on_hand: Decimal
    active: bool


@dataclass(frozen=True)
class PriceBreakForm:
    """From ``min_quantity`` units on, ``discount_percent`` off the list price."""

    min_quantity: Decimal | int | str
    discount_percent: Decimal | int | str


@dataclass(frozen=True)
class BomLineForm:
    """A material or a product (sub-assembly) per unit of the product."""

    kind: ItemKind
    item_id: int | None
    quantity: Decimal | int | str


@dataclass(frozen=True)
class OperationForm:
    """A routing step as typed (``id`` None: a new one); minutes may come as text."""

    name: str
    work_center_id: int | None
    skill_id: int | None
    setup_minutes: Decimal | int | str = Decimal(0)
    run_minutes: Decimal | int | str = Decimal(0)
    id: int | None = None


@dataclass(frozen=True)
class ProductForm:
    """What the product form sends. ``id`` None: a new product; else ``version`` is the version the
    form was opened at. Amounts may come as typed (text); the service parses them."""

    sku: str
    name: str
    family_id: int | None
    unit: str = "pcs"
    list_price: Decimal | int | str = Decimal(0)
    standard_cost: Decimal | int | str = Decimal(0)
    tax_rate_percent: Decimal | int | str = Decimal(20)
    make_to_stock: bool = True
    location: str = ""
    needs_installation: bool = False
    price_breaks: Sequence[PriceBreakForm] = ()
    bom: Sequence[BomLineForm] = ()
    routing: Sequence[OperationForm] = ()
    id: int | None = None
    version: int | None = None


@dataclass(frozen=True)
class BomLineView:
    kind: ItemKind
    item_id: int
    code: str
    name: str
    unit: str
    quantity: Decimal


@dataclass(frozen=True)
class OperationView:
    id: int
    seq: int
    name: str
    work_center_id: int
    work_center: str  # code
    work_center_active: bool
    skill_id: int
    skill: str  # code
    setup_minutes: Decimal
    run_minutes: Decimal


@dataclass(frozen=True)
class ProductView:
    """One product as the form shows it; ``version`` goes back with the save."""

    id: int
    version: int
    sku: str
    name: str
    family_id: int
    family: str
    unit: str
    list_price: Decimal
    standard_cost: Decimal
    tax_rate_percent: Decimal
    make_to_stock: bool
    location: str
    needs_installation: bool
    active: bool
    price_breaks: tuple[PriceBreakForm, ...]
    bom: tuple[BomLineView, ...]
    routing: tuple[OperationView, ...]
    updated_by: str

    def form(self) -> ProductForm:
        """The same product as a form would send it unchanged."""
        return ProductForm(
            sku=self.sku, name=self.name, family_id=self.family_id, unit=self.unit, list_price=self.list_price,
            standard_cost=self.standard_cost, tax_rate_percent=self.tax_rate_percent, make_to_stock=self.make_to_stock,
            location=self.location, needs_installation=self.needs_installation, price_breaks=self.price_breaks,
            bom=tuple(BomLineForm(b.kind, b.item_id, b.quantity) for b in self.bom),
            routing=tuple(OperationForm(o.name, o.work_center_id, o.skill_id, o.setup_minutes, o.run_minutes, o.id)
                          for o in self.routing),
            id=self.id, version=self.version)


@dataclass(frozen=True)
class Choice:
    """One entry of a picker: the id, its code and its name (``unit``: a BOM item's unit)."""

    id: int
    code: str
    name: str
    unit: str = ""


@dataclass(frozen=True)
class ProductChoices:
    """What the form's pickers offer."""

    families: tuple[Choice, ...]
    units: tuple[str, ...]
    work_centers: tuple[Choice, ...]  # the active ones
    skills: tuple[Choice, ...]
    materials: tuple[Choice, ...]
    products: tuple[Choice, ...]  # the active ones, for sub-assemblies
    default_tax_percent: Decimal = Decimal(20)  # the firm's default VAT rate, for a new product
