"""Customers: find, create, edit, archive and restore them (issue 20). Qt-free.

- ``customers`` lists them (search by code, name, e-mail, VAT number or city; archived ones only
  when asked), ``customer`` reads one with its contacts and addresses and the ``version`` the form
  sends back when it saves.
- ``save_customer`` creates or updates one in ONE unit of work: the customer, its contacts (rows
  kept by id, new ones added, missing ones removed) and its billing and delivery addresses (an
  address left empty is removed; site addresses, which this form does not show, are left alone).
  Permission ``customers.edit``; the credit limit and the tier only with ``customers.credit``
  (management) — a sales person who changes them is refused naming the field. A form opened at
  version *n* of a customer someone else has saved since gets ``ConflictError`` (nothing is
  overwritten). The unit of work audits every field.
- Every problem of the input is a ``Problem`` naming the form's field (``code``, ``name``,
  ``payment_terms_days``, ``credit_limit``, ``email``, ``vat_number``, ``contacts``,
  ``billing.country``…), all of them at once.
- The VAT number is checked for its country with python-stdnum: EU numbers with ``stdnum.eu.vat``
  (the country prefix is added from the billing address when it was left off, ``EL`` for Greece),
  British ones with ``stdnum.gb.vat``; other countries' numbers are kept as typed (trimmed), since
  no checker covers them. It is stored compact with its prefix (``DE136695976``).
- ``archive_customer`` refuses while the customer has open orders (named in the message) and
  otherwise sets ``active`` off: order entry's pickers list active customers only. ``restore_customer``
  brings one back.
- A new customer gets the firm's default payment terms (firm setting
  ``default_payment_terms_days``) unless the form says otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app import format as fmt
from app.actor import Actor
from app.db.hygiene import email_problem, text_problem
from app.db.uow import Database, UnitOfWork
from app.errors import PermissionDenied, Problem, UserError, ValidationError
from app.models import Address, Customer, CustomerContact, SalesOrder, User
from app.models.enums import AddressKind, CustomerTier, OrderStatus, Role
from app.services.master_data import like, open_orders_refusal, set_active
from app.services.permissions import allowed, require
from app.services.settings import load_settings

MAX_TERMS_DAYS = 365
DEFAULT_TIER = CustomerTier.B.value  # a new customer's tier (only management sets another)
#: the orders that keep a customer from being archived: not yet shipped, cancelled or lost
OPEN_STATUSES = (OrderStatus.QUOTE, OrderStatus.CONFIRMED, OrderStatus.IN_PRODUCTION, OrderStatus.READY,
                 OrderStatus.PARTIALLY_SHIPPED, OrderStatus.ON_HOLD)
#: the addresses this form edits, by the form's name for them
FORM_ADDRESSES: dict[str, AddressKind] = {"billing": AddressKind.BILLING, "delivery": AddressKind.SHIPPING}
#: ISO 3166-1 alpha-2, the officially assigned codes (and XK, Kosovo, which everyone uses)
COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW
BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI
FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN
IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME
MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF
PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE
YT ZA ZM ZW XK
""".split())


# --- what the screens get and send ----------------------------------------------------------------
@dataclass(frozen=True)
class CustomerRow:
    """One line of the customers list."""

    id: int
    code: str
    name: str
    tier: str
    strategic: bool
    salesperson: str  # full name, "" when none
    city: str  # of the billing address (else the first one), "" when none
    country: str
    email: str
    phone: str
    payment_terms_days: int
    credit_limit: Decimal
    vat_number: str
    active: bool


@dataclass(frozen=True)
class ContactForm:
    """A contact person as typed (``id`` None: a new one)."""

    name: str
    role: str = ""
    email: str = ""
    phone: str = ""
    for_invoices: bool = False
    id: int | None = None


@dataclass(frozen=True)
class AddressForm:
    """The billing or delivery address as typed; all of line 1, postcode and city empty: none."""

    line1: str = ""
    line2: str = ""
    postcode: str = ""
    city: str = ""
    region: str = ""
    country: str = ""

    def empty(self) -> bool:
        return not (self.line1.strip() or self.line2.strip() or self.postcode.strip() or self.city.strip())


@dataclass(frozen=True)
class CustomerForm:
    """What the customer form sends. ``id`` None: a new customer; else ``version`` is the version
    the form was opened at. Numbers may come as typed (text); the service parses them."""

    code: str
    name: str
    id: int | None = None
    version: int | None = None
    tier: str = DEFAULT_TIER
    strategic: bool = False
    salesperson_id: int | None = None
    payment_terms_days: int | str | None = None  # None/"" on a new customer: the firm's default
    credit_limit: Decimal | int | str = Decimal(0)
    vat_number: str = ""
    email: str = ""
    phone: str = ""
    notes: str = ""
    contacts: Sequence[ContactForm] = ()
    billing: AddressForm = field(default_factory=AddressForm)
    delivery: AddressForm = field(default_factory=AddressForm)


@dataclass(frozen=True)
class ContactView:
    id: int
    name: str
    role: str
    email: str
    phone: str
    for_invoices: bool


@dataclass(frozen=True)
class CustomerView:
    """One customer as the form shows it; ``version`` goes back with the save."""

    id: int
    version: int
    code: str
    name: str
    tier: str
    strategic: bool
    salesperson_id: int | None
    payment_terms_days: int
    credit_limit: Decimal
    vat_number: str
    email: str
    phone: str
    notes: str
    active: bool
    contacts: tuple[ContactView, ...]
    billing: AddressForm
    delivery: AddressForm
    updated_by: str

    def form(self) -> CustomerForm:
        """The same customer as a form would send it unchanged."""
        return CustomerForm(
            code=self.code, name=self.name, id=self.id, version=self.version, tier=self.tier,
            strategic=self.strategic, salesperson_id=self.salesperson_id, payment_terms_days=self.payment_terms_days,
            credit_limit=self.credit_limit, vat_number=self.vat_number, email=self.email, phone=self.phone,
            notes=self.notes, billing=self.billing, delivery=self.delivery,
            contacts=tuple(ContactForm(c.name, c.role, c.email, c.phone, c.for_invoices, c.id) for c in self.contacts))


@dataclass(frozen=True)
class Salesperson:
    id: int
    name: str


# --- reading ------------------------------------------------------------------------------------------
def customers(db: Database, actor: Actor, search: str = "", include_archived: bool = False,
              limit: int = 2000) -> list[CustomerRow]:
    """The customers whose code, name, e-mail, VAT number or city contains ``search``, by name."""
    require(actor, "orders.view")
    text = like(search.strip().lower())
    with db.read() as s:
        q = (select(Customer, User.full_name).outerjoin(User, User.id == Customer.salesperson_id)
             .order_by(func.lower(Customer.name), Customer.id).limit(limit))
        if not include_archived:
            q = q.where(Customer.active.is_(True))
        if text:
            pattern = f"%{text}%"
            in_city = select(Address.customer_id).where(func.lower(Address.city).like(pattern, escape="\\"))
            q = q.where(or_(func.lower(Customer.code).like(pattern, escape="\\"),
                            func.lower(Customer.name).like(pattern, escape="\\"),
                            func.lower(Customer.email).like(pattern, escape="\\"),
                            func.lower(Customer.vat_number).like(pattern, escape="\\"),
                            Customer.id.in_(in_city)))
        found = s.execute(q).all()
        ids = [c.id for c, _ in found]
        places: dict[int, tuple[str, str]] = {}  # the first billing address's, else the first one's
        billed: set[int] = set()
        if ids:
            rows = s.execute(select(Address.customer_id, Address.kind, Address.city, Address.country)
                             .where(Address.customer_id.in_(ids)).order_by(Address.id)).all()
            for cid, kind, city, country in rows:
                if kind == AddressKind.BILLING and cid not in billed:
                    places[cid] = (city, country)
                    billed.add(cid)
                elif cid not in places:
                    places[cid] = (city, country)
        return [CustomerRow(c.id, c.code, c.name, c.tier.value, c.strategic, who or "",
                            places.get(c.id, ("", ""))[0], places.get(c.id, ("", ""))[1], c.email or "",
                            c.phone or "", c.payment_terms_days, c.credit_limit, c.vat_number or "", c.active)
                for c, who in found]


def _address_form(addresses: Sequence[Address], kind: AddressKind) -> AddressForm:
    a = next((a for a in sorted(addresses, key=lambda a: a.id) if a.kind == kind), None)
    if a is None:
        return AddressForm()
    return AddressForm(a.line1, a.line2 or "", a.postcode, a.city, a.region or "", a.country)


def _view(c: Customer) -> CustomerView:
    return CustomerView(
        id=c.id, version=c.version, code=c.code, name=c.name, tier=c.tier.value, strategic=c.strategic,
        salesperson_id=c.salesperson_id, payment_terms_days=c.payment_terms_days, credit_limit=c.credit_limit,
        vat_number=c.vat_number or "", email=c.email or "", phone=c.phone or "", notes=c.notes or "",
        active=c.active, updated_by=c.updated_by,
        contacts=tuple(ContactView(k.id, k.name, k.role or "", k.email or "", k.phone or "", k.for_invoices)
                       for k in sorted(c.contacts, key=lambda k: k.id)),
        billing=_address_form(c.addresses, AddressKind.BILLING),
        delivery=_address_form(c.addresses, AddressKind.SHIPPING))


def customer(db: Database, actor: Actor, id: int) -> CustomerView:
    """One customer with its contacts and addresses."""
    require(actor, "orders.view")
    with db.read() as s:
        c = s.get(Customer, id)
        if c is None:
            raise UserError(f"Customer #{id} does not exist (any more).")
        return _view(c)


def salespeople(db: Database, actor: Actor) -> list[Salesperson]:
    """Who can look after a customer: the active sales people and managers, by name."""
    require(actor, "orders.view")
    with db.read() as s:
        rows = s.execute(select(User.id, User.full_name).where(
            User.active.is_(True), User.role.in_([Role.SALES, Role.MANAGEMENT])).order_by(User.full_name)).all()
    return [Salesperson(i, n) for i, n in rows]


def default_terms(db: Database) -> int:
    """The payment terms a new customer gets (firm setting ``default_payment_terms_days``)."""
    with db.read() as s:
        return load_settings(s).default_payment_terms_days


def firm_country(db: Database) -> str:
    """The firm's country (firm setting ``country``, "" when not set): a new address's default."""
    with db.read() as s:
        return load_settings(s).country


def may_set_credit(actor: Actor) -> bool:
    """Whether ``actor`` may set the credit limit and the tier (the form greys them out otherwise)."""
    return allowed(actor.role, "customers.credit")


# --- checking what was typed ----------------------------------------------------------------------
def vat_problem(number: str, country: str) -> tuple[str, str | None]:
    """The VAT number to store and why it is wrong (None: it is right). ``country`` (ISO, may be "")
    is the billing address's: an EU or British number typed without its prefix gets it."""
    from stdnum.eu import vat as eu_vat
    from stdnum.exceptions import ValidationError as NumberError
    from stdnum.gb import vat as gb_vat

    typed = number.strip()
    if not typed:
        return "", None
    compact = "".join(ch for ch in typed if ch.isalnum()).upper()
    country = country.strip().upper()
    eu = {c.upper() for c in eu_vat.MEMBER_STATES} | {"EL"}  # Greece's VAT numbers say EL
    checked = eu | {"GB"}
    prefix = compact[:2] if compact[:2].isalpha() else ""
    if prefix and prefix not in checked and prefix not in COUNTRIES and country in checked:
        prefix = ""  # letters that name no country, on an EU or British customer: checked as theirs
    if not prefix and country:
        prefix = "EL" if country == "GR" else country
        if prefix in eu or prefix == "GB":
            compact = prefix + compact
    if prefix == "GB":
        try:
            return "GB" + gb_vat.validate(compact), None
        except NumberError as exc:
            return typed, f"not a valid British VAT number ({_why(exc)})"
    if prefix in eu:
        try:
            return eu_vat.validate(compact), None
        except NumberError as exc:
            return typed, f"not a valid VAT number for {prefix} ({_why(exc)})"
    return typed, None  # no checker for this country: kept as typed


def _why(exc: Exception) -> str:
    """python-stdnum's reason, as part of a sentence ("the number's checksum … is invalid")."""
    text = str(exc).strip().rstrip(".")
    return text[:1].lower() + text[1:]


def _terms(value: int | str | None, default: int) -> tuple[int, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default, None
    try:
        days = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        return default, f"'{value}' is not a number of days"
    if not 0 <= days <= MAX_TERMS_DAYS:
        return days, f"payment terms must be between 0 and {MAX_TERMS_DAYS} days"
    return days, None


def _money(value: Decimal | int | str) -> tuple[Decimal, str | None]:
    if isinstance(value, str):
        try:
            amount = fmt.decimal_of(value) if value.strip() else Decimal(0)
        except InvalidOperation:
            return Decimal(0), f"'{value}' is not an amount"
    else:
        amount = Decimal(value)
    if not amount.is_finite():
        return Decimal(0), f"'{value}' is not an amount"
    if amount < 0:
        return amount, "the credit limit cannot be negative"
    return amount.quantize(Decimal("0.01")), None


def _length(model: type[Address] | type[CustomerContact], column: str) -> int | None:
    """The column's ``String(n)``: a contact's or an address's text is checked here, so that its
    problem names the form's field (the flush's hygiene check would name the table's)."""
    length = getattr(model.__table__.c[column].type, "length", None)
    return length if isinstance(length, int) else None


def _check_address(name: str, a: AddressForm, problems: list[Problem]) -> None:
    if a.empty():
        return
    for attr in ("line1", "line2", "postcode", "city", "region"):
        why = text_problem(getattr(a, attr).strip(), _length(Address, attr))
        if why:
            problems.append(Problem(why, field=f"{name}.{attr}"))
    if not a.line1.strip():
        problems.append(Problem("the first address line is required", field=f"{name}.line1"))
    if not a.city.strip():
        problems.append(Problem("the town or city is required", field=f"{name}.city"))
    country = a.country.strip().upper()
    if country not in COUNTRIES:
        problems.append(Problem(f"'{a.country.strip()}' is not a country code: use the two-letter ISO code "
                                "(GB, DE, AT, FR…)", field=f"{name}.country"))


def _checked(s: Session, form: CustomerForm, default_terms_days: int,
             current: Customer | None) -> tuple[dict[str, object], list[Problem]]:
    """The customer's values as they will be stored, and every problem of the form."""
    problems: list[Problem] = []
    code = form.code.strip().upper()
    if not code:
        problems.append(Problem("the customer code is required", field="code"))
    elif any(ch.isspace() for ch in code):
        problems.append(Problem("a customer code has no spaces", field="code"))
    else:
        q = select(Customer.name).where(func.upper(Customer.code) == code)
        if current is not None:
            q = q.where(Customer.id != current.id)
        taken = s.execute(q).scalar()
        if taken is not None:
            problems.append(Problem(f"customer code {code} is already taken by {taken}", field="code"))
    name = form.name.strip()
    if not name:
        problems.append(Problem("the name is required", field="name"))
    try:
        tier = CustomerTier(form.tier.strip().upper())
    except ValueError:
        tier = CustomerTier.B
        problems.append(Problem(f"unknown tier '{form.tier}': A, B or C", field="tier"))
    days, why = _terms(form.payment_terms_days, current.payment_terms_days if current else default_terms_days)
    if why:
        problems.append(Problem(why, field="payment_terms_days"))
    credit, why = _money(form.credit_limit)
    if why:
        problems.append(Problem(why, field="credit_limit"))
    email = form.email.strip()
    if email and (why := email_problem(email)):
        problems.append(Problem(why, field="email"))
    if form.salesperson_id is not None:
        user = s.get(User, form.salesperson_id)
        if user is None or not user.active:
            problems.append(Problem("this salesperson no longer exists or is disabled", field="salesperson_id"))
    vat_country = form.billing.country if not form.billing.empty() else form.delivery.country
    vat, why = vat_problem(form.vat_number, vat_country)
    if why:
        problems.append(Problem(why, field="vat_number"))
    for i, contact in enumerate(form.contacts, start=1):
        if not contact.name.strip():
            problems.append(Problem(f"contact {i}: the name is required", field="contacts"))
        if contact.email.strip() and (why := email_problem(contact.email.strip())):
            problems.append(Problem(f"contact {i}: {why}", field="contacts"))
        for attr, label in (("name", "name"), ("role", "role"), ("email", "e-mail"), ("phone", "phone")):
            if why := text_problem(getattr(contact, attr).strip(), _length(CustomerContact, attr)):
                problems.append(Problem(f"contact {i} {label}: {why}", field="contacts"))
    if sum(1 for c in form.contacts if c.for_invoices) > 1:
        problems.append(Problem("only one contact can receive the invoices", field="contacts"))
    for part, address in (("billing", form.billing), ("delivery", form.delivery)):
        _check_address(part, address, problems)
    values: dict[str, object] = {
        "code": code, "name": name, "tier": tier, "strategic": bool(form.strategic),
        "salesperson_id": form.salesperson_id, "payment_terms_days": days, "credit_limit": credit,
        "vat_number": vat or None, "email": email or None, "phone": form.phone.strip() or None,
        "notes": form.notes.strip() or None}
    return values, problems


def credit_refusal(role: str, before: tuple[Decimal, str] | None, credit: Decimal, tier: str) -> tuple[str, str] | None:
    """The one rule for every door (this screen, the Excel import): only a role with
    ``customers.credit`` sets or changes a customer's credit limit and tier. ``before``: the
    customer's (credit limit, tier value) as stored, None for a new customer (0 and the default
    tier). Returns (field, what: "the credit limit" / "the tier") when ``role`` may not make this
    change, else None."""
    if allowed(role, "customers.credit"):
        return None
    old_credit, old_tier = before if before is not None else (Decimal(0), DEFAULT_TIER)
    if Decimal(old_credit) != Decimal(credit):
        return "credit_limit", "the credit limit"
    if str(old_tier) != str(tier):
        return "tier", "the tier"
    return None


def _credit_guard(actor: Actor, current: Customer | None, values: dict[str, object]) -> None:
    """Only those with ``customers.credit`` set or change the credit limit and the tier."""
    before = (current.credit_limit, current.tier.value) if current is not None else None
    tier = values["tier"]
    refused = credit_refusal(actor.role, before, Decimal(str(values["credit_limit"])),
                             str(getattr(tier, "value", tier)))
    if refused is not None:
        raise PermissionDenied(f"Your role ({actor.role}) may not change {refused[1]} of a customer.",
                               hint="Ask management to set it; everything else can be saved without it.")


# --- writing --------------------------------------------------------------------------------------
def _apply_addresses(uow: UnitOfWork, c: Customer, form: CustomerForm) -> None:
    for part, kind in FORM_ADDRESSES.items():
        typed: AddressForm = getattr(form, part)
        existing = next((a for a in sorted(c.addresses, key=lambda a: a.id) if a.kind == kind), None)
        if typed.empty():
            if existing is not None:
                c.addresses.remove(existing)
            continue
        a = existing or Address(kind=kind)
        a.line1, a.line2 = typed.line1.strip(), typed.line2.strip() or None
        a.postcode, a.city = typed.postcode.strip().upper(), typed.city.strip()
        a.region, a.country = typed.region.strip() or None, typed.country.strip().upper()
        if existing is None:
            c.addresses.append(a)


def _apply_contacts(uow: UnitOfWork, c: Customer, form: CustomerForm) -> None:
    by_id = {k.id: k for k in c.contacts}
    kept: set[int] = set()
    for typed in form.contacts:
        if typed.id is not None and typed.id in by_id:
            k = by_id[typed.id]
            kept.add(k.id)
        else:
            k = CustomerContact()
            c.contacts.append(k)
        k.name, k.role = typed.name.strip(), typed.role.strip() or None
        k.email, k.phone = typed.email.strip() or None, typed.phone.strip() or None
        k.for_invoices = bool(typed.for_invoices)
    for ident, k in by_id.items():
        if ident not in kept:
            c.contacts.remove(k)


def save_customer(db: Database, actor: Actor, form: CustomerForm) -> CustomerView:
    """Create (``form.id`` None) or update a customer with its contacts and addresses; returns it
    as saved (see the module's text for the rules)."""
    require(actor, "customers.edit")

    def run(uow: UnitOfWork) -> CustomerView:
        s = uow.session
        current = None if form.id is None else uow.get(Customer, form.id, expected_version=form.version)
        values, problems = _checked(s, form, load_settings(s).default_payment_terms_days, current)
        if problems:
            raise ValidationError(problems)
        _credit_guard(actor, current, values)
        c = current or uow.add(Customer(active=True))
        for key, value in values.items():
            if getattr(c, key, None) != value:
                setattr(c, key, value)
        _apply_addresses(uow, c, form)
        _apply_contacts(uow, c, form)
        uow.flush()
        return _view(c)

    return db.write(actor, run)


def open_orders(s: Session, customer_id: int) -> list[str]:
    """The numbers of the customer's open quotes and orders (they keep it from being archived)."""
    return list(s.execute(select(SalesOrder.number).where(
        SalesOrder.customer_id == customer_id, SalesOrder.status.in_(OPEN_STATUSES)).order_by(SalesOrder.number))
        .scalars())


def _blocker(s: Session, c: Customer) -> UserError | None:
    return open_orders_refusal(f"{c.name} ({c.code})", open_orders(s, c.id), has="it has",
                               hint="Ship, cancel or mark them lost first, then archive the customer.")


def archive_customer(db: Database, actor: Actor, id: int, *, version: int | None = None) -> CustomerView:
    """Archive a customer with no open orders: it leaves the order-entry pickers and the list
    (unless archived ones are shown); its history stays."""
    return set_active(db, actor, Customer, id, version, active=False, permission="customers.edit",
                      view=lambda _s, c: _view(c), blocker=_blocker)


def restore_customer(db: Database, actor: Actor, id: int, *, version: int | None = None) -> CustomerView:
    """Bring an archived customer back into order entry."""
    return set_active(db, actor, Customer, id, version, active=True, permission="customers.edit",
                      view=lambda _s, c: _view(c))
