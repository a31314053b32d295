"""Firm-wide settings (table ``setting``), declared once with type, default and who may change them.

    get_settings(db) -> FirmSettings            # typed, defaults filled in, frozen
    load_settings(session) -> FirmSettings      # the same inside a unit of work / read session
    set_setting(db, actor, key, value)          # validated; pricing keys need ``orders.settings``,
                                                # firm details ``settings.edit``

Values are stored as JSON (numbers as JSON numbers, as the demo company does) and turned into
``Decimal`` on the way out, so money rules never see a float.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import format as fmt
from app.db.hygiene import email_address
from app.db.uow import Actor, Database, UnitOfWork
from app.errors import Problem, ValidationError
from app.models import Setting
from app.models.enums import CustomerTier
from app.services.permissions import require

PRICING = "orders.settings"
FIRM = "settings.edit"


def _dec(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("a number is required")
    try:
        d = fmt.decimal_of(value)
    except (InvalidOperation, ValueError):
        raise ValueError("a number is required") from None
    if not d.is_finite():
        raise ValueError("a number is required")
    return d


def _fraction(lo: str, hi: str, *, hi_open: bool = True) -> Callable[[Any], Decimal]:
    def check(value: Any) -> Decimal:
        d = _dec(value)
        if d < Decimal(lo) or (d >= Decimal(hi) if hi_open else d > Decimal(hi)):
            bracket = ")" if hi_open else "]"
            raise ValueError(f"must be a fraction in [{lo}, {hi}{bracket}, e.g. 0.18 for 18%")
        return d
    return check


def _positive(value: Any) -> Decimal:
    d = _dec(value)
    if d <= 0:
        raise ValueError("must be greater than zero")
    return d


def _whole_days(value: Any) -> int:
    d = _dec(value)
    if d != d.to_integral_value() or d < 0:
        raise ValueError("must be a whole number of days, 0 or more")
    return int(d)


def _whole(minimum: int, unit: str) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        d = _dec(value)
        if d != d.to_integral_value() or d < minimum:
            raise ValueError(f"must be a whole number of {unit}, {minimum} or more")
        return int(d)

    return parse


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text in {"true", "yes", "on", "1"}:
        return True
    if text in {"false", "no", "off", "0", ""}:
        return False
    raise ValueError("must be true or false")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("text is required")
    return value.strip()


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError("a set of named fields is required")
    return MappingProxyType({str(k): (v.strip() if isinstance(v, str) else v) for k, v in value.items()})


def _tiers(value: Any) -> Mapping[str, Decimal]:
    if not isinstance(value, Mapping):
        raise ValueError("a discount per tier (A, B, C) is required")
    unknown = set(value) - {t.value for t in CustomerTier}
    if unknown:
        raise ValueError(f"unknown tier(s): {', '.join(sorted(map(str, unknown)))}")
    check = _fraction("0", "1")
    out = {t.value: Decimal(0) for t in CustomerTier}
    for k, v in value.items():
        out[str(k)] = check(v)
    return MappingProxyType(out)


def _country(value: Any) -> str:
    """An ISO 3166 country code the public-holiday calendar knows ('' = no public holidays)."""
    code = str(value or "").strip().upper()
    if not code:
        return ""
    from app.services.firm_calendar import supported_countries

    known = supported_countries()
    if code not in known:
        raise ValueError(f"unknown country code '{code}'; use a two-letter ISO code, one of: "
                         f"{', '.join(sorted(known))}")
    return code


def _region(value: Any) -> str:
    """A subdivision code (ENG for England, BY for Bavaria…); checked against the country in
    ``_cross_check`` because the valid codes depend on it."""
    return str(value or "").strip().upper()


def _zone(value: Any) -> str:
    from app import clock

    name = str(value or "").strip()
    clock.parse_zone(name)  # ValueError with the valid names
    return name


def _currency(value: Any) -> str:
    """An ISO 4217 currency code (GBP, EUR, USD, CHF…), three letters; how amounts show it is
    ``app.format``'s rule."""
    code = str(value or "").strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValueError("a three-letter ISO currency code is required, e.g. GBP, EUR, USD, CHF")
    return code


def _locale(value: Any) -> str:
    """A locale CLDR knows (en_GB, de_DE, fr_FR, de_CH…), as CLDR spells it; how numbers and
    amounts look in it is ``app.format``'s rule."""
    from app import format as fmt

    text = str(value or "").strip()
    if not text:
        raise ValueError("a locale is required, e.g. en_GB, de_DE, fr_FR")
    return fmt.style_for(text).locale  # ValueError names what was typed


def _choice(*options: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = str(value or "").strip().lower()
        if text not in options:
            raise ValueError(f"choose one of: {', '.join(options)}")
        return text

    return parse


@dataclass(frozen=True)
class Spec:
    key: str
    default: Any
    parse: Callable[[Any], Any]
    permission: str
    description: str

    @property
    def kind(self) -> str:
        """What the value is (``KINDS``): how a form shows and reads it."""
        return KINDS[self.key]


SPECS: dict[str, Spec] = {s.key: s for s in [
    # pricing and hints (management)
    Spec("margin_floor", Decimal("0.18"), _fraction("0", "1"), PRICING,
         "Orders below this margin need management approval"),
    Spec("excess_cover_months", Decimal("6"), _positive, PRICING,
         "Stock cover above this many months of demand counts as excess"),
    Spec("tier_discounts", MappingProxyType({"A": Decimal("0.05"), "B": Decimal("0.02"), "C": Decimal("0")}),
         _tiers, PRICING, "Discount per customer tier"),
    Spec("overhead_rate", Decimal("0.15"), _fraction("0", "5", hi_open=False), PRICING,
         "Overhead on material + labour + machine in cost estimates"),
    Spec("max_excess_discount", Decimal("0.15"), _fraction("0", "1"), PRICING,
         "Largest extra discount the hints suggest for excess stock"),
    # firm details (administration / management)
    Spec("default_tax_rate", Decimal("0.20"), _fraction("0", "1"), FIRM,
         "VAT rate of a new product without a rate of its own (the products import)"),
    Spec("firm_name", "", _text, FIRM, "Name printed on documents"),
    Spec("firm_address", MappingProxyType({}), _mapping, FIRM, "Address printed on documents"),
    Spec("firm_phone", "", _text, FIRM, "Telephone printed on documents"),
    Spec("firm_email", "", email_address, FIRM, "E-mail printed on documents"),
    Spec("company_number", "", _text, FIRM, "Companies House registration number"),
    Spec("vat_number", "", _text, FIRM, "VAT registration number"),
    Spec("bank_details", MappingProxyType({}), _mapping, FIRM, "Bank details printed on invoices"),
    Spec("currency", "GBP", _currency, FIRM,
         "Currency of all amounts on screen, in exports and on documents (ISO code: GBP, EUR, USD, CHF…)"),
    Spec("locale", "en_GB", _locale, FIRM,
         "How numbers and amounts are written on screen and on documents, and read when typed (en_GB 1,234.50; "
         "de_DE 1.234,50 €; fr_FR 1 234,50 €)"),
    Spec("default_payment_terms_days", 30, _whole_days, FIRM, "Payment terms for new customers"),
    Spec("payment_terms_basis", "calendar", _choice("calendar", "business"), FIRM,
         "Payment terms count 'calendar' days or 'business' days (the firm calendar's)"),
    Spec("country", "", _country, FIRM,
         "The firm's country (ISO code such as GB, DE, FR): its public holidays are the firm's"),
    Spec("region", "", _region, FIRM,
         "Region for regional public holidays (e.g. ENG, SCT for GB; BY, NW for DE); empty for national only"),
    Spec("time_zone", "", _zone, FIRM,
         "The firm's time zone (e.g. Europe/London): what 'today' is on every desk; empty = each workstation's"),
    Spec("refund_target_business_days", 3, _whole_days, FIRM, "Refunds are to be paid within this many business days"),
    Spec("invoice_per", "shipment", _choice("shipment", "order"), FIRM,
         "Invoice each shipment ('shipment') or each order once it has shipped in full ('order')"),
    Spec("logo_path", "", _text, FIRM, "Logo printed on documents: a PNG or JPEG file, e.g. on the share"),
    Spec("invoice_template", "", _text, FIRM,
         "An HTML file to print invoices with instead of the built-in layout (see the admin guide)"),
    # planning (administration)
    Spec("planning_gap_threshold", Decimal("0.15"), _fraction("0", "1", hi_open=False), FIRM,
         "Planning board: marketing and production figures that differ by more than this share of the larger "
         "are marked red"),
    # signing in (administration)
    Spec("sign_in_lock_after", 5, _whole(1, "wrong passwords"), FIRM,
         "Wrong passwords in a row after which a user's account is locked (from the 3rd, each try waits longer)"),
    Spec("sign_in_lock_minutes", 15, _whole(1, "minutes"), FIRM,
         "Minutes an account stays locked after too many wrong passwords (an administrator can unlock it sooner)"),
    Spec("demo_company", False, _flag, FIRM, "This database is the demo company (the sign-in dialog shows its users)"),
    # Excel import (administration)
    Spec("import_cell_budget", 5_000_000, _whole(1, "cells"), FIRM,
         "Largest sheet an import reads, in cells (rows × columns from A1); bigger workbooks are refused unread"),
]}


# each setting's type, for the forms and the admin guide's table: percent (a fraction shown as %),
# number, days, count, text, choice, currency, locale, country, region, zone, mapping (named fields), flag
KINDS: dict[str, str] = {
    "margin_floor": "percent", "excess_cover_months": "number", "tier_discounts": "mapping",
    "overhead_rate": "percent", "max_excess_discount": "percent", "default_tax_rate": "percent",
    "firm_name": "text", "firm_address": "mapping", "firm_phone": "text", "firm_email": "text",
    "company_number": "text", "vat_number": "text", "bank_details": "mapping", "currency": "currency",
    "locale": "locale",
    "default_payment_terms_days": "days", "payment_terms_basis": "choice", "country": "country", "region": "region",
    "time_zone": "zone", "refund_target_business_days": "days", "invoice_per": "choice", "logo_path": "text",
    "invoice_template": "text", "planning_gap_threshold": "percent", "sign_in_lock_after": "count",
    "sign_in_lock_minutes": "count", "demo_company": "flag", "import_cell_budget": "count",
}


@dataclass(frozen=True)
class FirmSettings:
    margin_floor: Decimal
    excess_cover_months: Decimal
    tier_discounts: Mapping[str, Decimal]
    overhead_rate: Decimal
    max_excess_discount: Decimal
    default_tax_rate: Decimal
    firm_name: str
    firm_address: Mapping[str, Any]
    firm_phone: str
    firm_email: str
    company_number: str
    vat_number: str
    bank_details: Mapping[str, Any]
    currency: str
    locale: str
    default_payment_terms_days: int
    payment_terms_basis: str
    country: str
    region: str
    time_zone: str
    refund_target_business_days: int
    invoice_per: str
    logo_path: str
    invoice_template: str
    planning_gap_threshold: Decimal
    sign_in_lock_after: int
    sign_in_lock_minutes: int
    demo_company: bool
    import_cell_budget: int
    # who changed what last (for a settings form's conflict check): key -> version
    versions: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def tier_discount(self, tier: str | CustomerTier | None) -> Decimal:
        if tier is None:
            return Decimal(0)
        return self.tier_discounts.get(str(getattr(tier, "value", tier)), Decimal(0))


def defaults() -> FirmSettings:
    return FirmSettings(**{k: s.default for k, s in SPECS.items()})


def _from_rows(rows: list[tuple[str, Any, int]]) -> FirmSettings:
    values: dict[str, Any] = {k: s.default for k, s in SPECS.items()}
    versions = {}
    for key, raw, version in rows:
        spec = SPECS.get(key)
        if spec is None:
            continue
        versions[key] = version
        try:
            values[key] = spec.parse(raw)
        except ValueError:  # a bad stored value never breaks pricing: the default applies
            pass
    names = {f.name for f in fields(FirmSettings)}
    return FirmSettings(**{k: v for k, v in values.items() if k in names}, versions=MappingProxyType(versions))


def load_settings(session: Session) -> FirmSettings:
    # (annotated: a JSON column makes SQLAlchemy return the rows untyped)
    rows: Sequence[tuple[str, Any, int]] = session.execute(select(Setting.key, Setting.value, Setting.version)).all()
    return _from_rows(list(rows))


def get_settings(db: Database) -> FirmSettings:
    with db.read() as s:
        return load_settings(s)


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 10**9 else float(value)
    if isinstance(value, Mapping):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def stored_rows(values: Mapping[str, Any]) -> list[tuple[str, Any, str]]:
    """(key, value as stored, description) for the settings in ``values`` that differ from their
    declared default, each checked by its declaration — for a firm written without the unit of
    work (the demo company). An unknown key or a bad value raises ValueError naming it."""
    out = []
    for key, value in values.items():
        spec = SPECS.get(key)
        if spec is None:
            raise ValueError(f"unknown setting '{key}'")
        try:
            parsed = spec.parse(value)
        except ValueError as exc:
            raise ValueError(f"setting '{key}': {exc}") from None
        if _json(parsed) != _json(spec.default):
            out.append((key, _json(parsed), spec.description))
    return out


def _cross_check(current: FirmSettings, changes: Mapping[str, Any]) -> None:
    """Rules that tie settings together: the region must be one of the country's."""
    if "country" not in changes and "region" not in changes:
        return
    country = changes.get("country", current.country)
    region = changes.get("region", current.region)
    if not region:
        return
    from app.services.firm_calendar import supported_countries

    regions = supported_countries().get(country, [])
    if region not in regions:
        where = f"for {country}" if country else "without a country"
        choice = f"one of: {', '.join(regions)}" if regions else "leave it empty"
        raise ValidationError(Problem(f"unknown region '{region}' {where}; {choice}", field="region", value=region))


def set_setting(db: Database, actor: Actor, key: str, value: Any, *, version: int | None = None) -> FirmSettings:
    """Change one firm-wide setting. ``version`` (from ``FirmSettings.versions``) detects a
    concurrent change by another desk. Raises ValidationError naming the key."""
    spec = SPECS.get(key)
    if spec is None:
        raise ValidationError(Problem(f"unknown setting '{key}'", field=key))
    require(actor, spec.permission)
    try:
        parsed = spec.parse(value)
    except ValueError as exc:
        raise ValidationError(Problem(f"{spec.description}: {exc}", field=key, value=value)) from None
    stored = _json(parsed)

    def run(uow: UnitOfWork) -> FirmSettings:
        _cross_check(load_settings(uow.session), {key: parsed})
        row = uow.session.get(Setting, key)
        if row is None:
            uow.add(Setting(key=key, value=stored, description=spec.description))
        else:
            if version is not None:
                uow.get(Setting, key, expected_version=version)
            row.value = stored
        uow.flush()
        return load_settings(uow.session)

    return db.write(actor, run)


def set_settings(db: Database, actor: Actor, values: Mapping[str, Any], *,
                 versions: Mapping[str, int] | None = None) -> FirmSettings:
    """Several settings in one unit of work (the settings form's Save): every value is checked
    first, each problem names its key, and nothing is saved when any is wrong. ``versions`` (as
    read) turns another desk's change meanwhile into a ConflictError."""
    problems: list[Problem] = []
    parsed: dict[str, Any] = {}
    for key, value in values.items():
        spec = SPECS.get(key)
        if spec is None:
            problems.append(Problem(f"unknown setting '{key}'", field=key))
            continue
        require(actor, spec.permission)
        try:
            parsed[key] = _json(spec.parse(value))
        except ValueError as exc:
            problems.append(Problem(f"{spec.description}: {exc}", field=key, value=value))
    if problems:
        raise ValidationError(problems)
    versions = versions or {}

    def run(uow: UnitOfWork) -> FirmSettings:
        _cross_check(load_settings(uow.session), {k: SPECS[k].parse(v) for k, v in parsed.items()})
        for key, stored in parsed.items():
            row = uow.session.get(Setting, key)
            if row is None:
                uow.add(Setting(key=key, value=stored, description=SPECS[key].description))
                continue
            if key in versions:
                uow.get(Setting, key, expected_version=versions[key])
            if row.value != stored:
                row.value = stored
        uow.flush()
        return load_settings(uow.session)

    return db.write(actor, run)


def use_firm_settings(db: Database) -> str:
    """What a desk takes from the firm's settings for the whole process, once a desk or command
    has opened the database (``views.app.open_location``) and again when the settings dialog
    saves: the one clock's time zone (the workstation's if the firm has set none) and the currency
    of every formatted amount (``app.format``). Returns the zone's name. Another desk's change
    arrives here at this desk's next start."""
    from app import clock
    from app import format as fmt

    settings = get_settings(db)
    fmt.set_currency(settings.currency)
    fmt.set_locale(settings.locale)
    try:
        clock.set_zone(settings.time_zone)
    except ValueError:  # a zone this workstation's zone data does not know: its own zone applies
        clock.set_zone(None)
    return clock.zone_name()


# the name the callers used before the currency joined the time zone
use_firm_clock = use_firm_settings
