"""A new firm on a new, empty database: what the new-firm wizard and ``ordercycle new-firm`` create.

    suggest(country, setup=None) -> FirmSetup    # the country's currency and time zone filled in
    check(setup) -> list[Problem]                # every problem at once, each naming its field
    new_firm(db, setup) -> Actor                 # one unit of work; the new administrator, signed in

``new_firm`` runs only on a database without users, products, customers or orders (anything else
is refused with a UserError): the firm settings (checked by their declarations in
``services.settings``, as ``set_settings`` checks them), the number series to continue an old
system, and the first administrator are written in ONE unit of work, audited like every other
save. Every wrong value is a ``Problem`` naming its field (``firm_name``, ``country``,
``vat_number``, ``iban``, ``admin_password``, ``numbering.invoice.next``…), all of them at once,
and nothing is saved while any is wrong. Nothing of the demo company is written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sqlalchemy import func, select

from app.actor import Actor
from app import format as fmt
from app.db.uow import Database, UnitOfWork
from app.errors import Problem, UserError, ValidationError
from app.models import Customer, NumberSequence, Product, SalesOrder, Setting, User
from app.models.billing import SERIES
from app.models.enums import Role
from app.services import auth, product_families, settings
from app.services.customers import vat_problem
from app.services.permissions import require

# The country's currency (ISO 4217) and time zone (IANA), for the wizard's suggestion. A country
# missing from the currencies gets no suggestion: the wizard asks. A country missing from the zones
# gets its zone from the zone data when it has only one; countries with several zones (US, CA, AU,
# RU, BR, MX…) get none: the firm's own must be chosen.
# The standard VAT rate of a country, as in force in December 2026 (EU: the European Commission's
# "VAT rates applied in the Member States"; GB HMRC; CH ESTV; NO, IS their tax offices) — a
# suggestion for the new firm's default VAT rate, which the wizard shows and the firm may change.
# Reduced rates, zero rates and rate changes by date are the tax categories' (invoicing, issue 21).
STANDARD_VAT: Mapping[str, Decimal] = {code: Decimal(rate) / 100 for code, rate in {
    "AT": "20", "BE": "21", "BG": "20", "HR": "25", "CY": "19", "CZ": "21", "DK": "25", "EE": "24", "FI": "25.5",
    "FR": "20", "DE": "19", "GR": "24", "HU": "27", "IE": "23", "IT": "22", "LV": "21", "LT": "21", "LU": "17",
    "MT": "18", "NL": "21", "PL": "23", "PT": "23", "RO": "21", "SK": "23", "SI": "22", "ES": "21", "SE": "25",
    "GB": "20", "CH": "8.1", "LI": "8.1", "NO": "25", "IS": "24",
}.items()}

CURRENCIES: Mapping[str, str] = {
    "AT": "EUR", "BE": "EUR", "CY": "EUR", "DE": "EUR", "EE": "EUR", "ES": "EUR", "FI": "EUR", "FR": "EUR",
    "GR": "EUR", "HR": "EUR", "IE": "EUR", "IT": "EUR", "LT": "EUR", "LU": "EUR", "LV": "EUR", "MT": "EUR",
    "NL": "EUR", "PT": "EUR", "SI": "EUR", "SK": "EUR", "GB": "GBP", "CH": "CHF", "LI": "CHF", "US": "USD",
    "CA": "CAD", "AU": "AUD", "NZ": "NZD", "JP": "JPY", "CN": "CNY", "IN": "INR", "SE": "SEK", "NO": "NOK",
    "DK": "DKK", "PL": "PLN", "CZ": "CZK", "HU": "HUF", "RO": "RON", "BG": "BGN", "IS": "ISK", "TR": "TRY",
    "ZA": "ZAR", "MX": "MXN", "BR": "BRL", "SG": "SGD", "HK": "HKD", "KR": "KRW", "IL": "ILS", "AE": "AED",
    "UA": "UAH",
}
TIME_ZONES: Mapping[str, str] = {
    "AT": "Europe/Vienna", "BE": "Europe/Brussels", "CY": "Asia/Nicosia", "DE": "Europe/Berlin",
    "EE": "Europe/Tallinn", "ES": "Europe/Madrid", "FI": "Europe/Helsinki", "FR": "Europe/Paris",
    "GR": "Europe/Athens", "HR": "Europe/Zagreb", "IE": "Europe/Dublin", "IT": "Europe/Rome",
    "LT": "Europe/Vilnius", "LU": "Europe/Luxembourg", "LV": "Europe/Riga", "MT": "Europe/Malta",
    "NL": "Europe/Amsterdam", "PT": "Europe/Lisbon", "SI": "Europe/Ljubljana", "SK": "Europe/Bratislava",
    "GB": "Europe/London", "CH": "Europe/Zurich", "LI": "Europe/Vaduz", "SE": "Europe/Stockholm",
    "NO": "Europe/Oslo", "DK": "Europe/Copenhagen", "PL": "Europe/Warsaw", "CZ": "Europe/Prague",
    "HU": "Europe/Budapest", "RO": "Europe/Bucharest", "BG": "Europe/Sofia", "IS": "Atlantic/Reykjavik",
    "TR": "Europe/Istanbul", "JP": "Asia/Tokyo", "CN": "Asia/Shanghai", "IN": "Asia/Kolkata",
    "NZ": "Pacific/Auckland", "ZA": "Africa/Johannesburg", "SG": "Asia/Singapore", "HK": "Asia/Hong_Kong",
    "KR": "Asia/Seoul", "IL": "Asia/Jerusalem", "AE": "Asia/Dubai", "UA": "Europe/Kyiv",
}
ADDRESS_LINES = 2  # the documents print two address lines above postcode and city
PREFIX_MAX = 8  # number_sequence.prefix is String(8)
NEXT_MAX = 999_999_999  # six digits are printed; more are allowed, up to what any old system used
LOGO_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")  # PNG, JPEG


@dataclass(frozen=True)
class SeriesStart:
    """Where a number series continues: its prefix (None: the series' own, e.g. ``SO-``) and the
    next number (None: 1)."""

    prefix: str | None = None
    next: int | str | None = None


@dataclass(frozen=True)
class FirmSetup:
    """What the new-firm wizard asks. Empty ``currency`` / ``time_zone``: the country's (``suggest``)."""

    firm_name: str = ""
    country: str = ""  # ISO 3166 alpha-2: DE, GB, AT… (its public holidays become the firm's)
    address_lines: tuple[str, ...] = ()
    postcode: str = ""
    city: str = ""
    region: str = ""  # as printed in the address (a county, a state)
    holiday_region: str = ""  # the public-holiday calendar's region code (BY, ENG…); empty: national only
    phone: str = ""
    email: str = ""
    company_number: str = ""
    vat_number: str = ""  # checked for the country (python-stdnum), as a customer's is
    bank: str = ""
    iban: str = ""
    bic: str = ""
    logo_path: str = ""  # a PNG or JPEG file that exists (e.g. on the share)
    currency: str = ""  # ISO 4217
    time_zone: str = ""  # IANA, e.g. Europe/Berlin
    locale: str = ""  # how numbers and amounts are written (de_DE: 1.234,50 €); empty: the country's
    tax_rate: Decimal | str | None = None  # the default VAT rate as a fraction (0.19); None: the declared default
    admin_username: str = ""
    admin_full_name: str = ""
    admin_password: str = ""
    numbering: Mapping[str, SeriesStart] = field(default_factory=dict)  # series name (SERIES) -> start


@lru_cache(maxsize=1)
def _zones_by_country() -> Mapping[str, tuple[str, ...]]:
    """Country -> its IANA zones, from the zone data's ``zone.tab`` (the tzdata package, a
    dependency; else the system's); empty when neither is there."""
    import importlib.resources

    text = ""
    try:
        text = importlib.resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, OSError):
        try:
            text = Path("/usr/share/zoneinfo/zone.tab").read_text(encoding="utf-8")
        except OSError:
            pass
    zones: dict[str, list[str]] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and not line.startswith("#"):
            zones.setdefault(parts[0].strip().upper(), []).append(parts[2].strip())
    return MappingProxyType({k: tuple(v) for k, v in zones.items()})


def zone_for(country: str) -> str:
    """The time zone of ``country``: the table's, else the zone data's when the country has just
    one; empty when it has several (the firm chooses) or is unknown."""
    code = country.strip().upper()
    if code in TIME_ZONES:
        return TIME_ZONES[code]
    found = _zones_by_country().get(code, ())
    return found[0] if len(found) == 1 else ""


def suggest(country: str, setup: FirmSetup | None = None) -> FirmSetup:
    """``setup`` (or an empty one) for ``country``, with the country's currency, time zone, locale
    and standard VAT rate where they are known (empty otherwise: the wizard asks; the VAT rate then
    stays the declared default unless typed)."""
    code = country.strip().upper()
    base = setup or FirmSetup()
    rate = base.tax_rate if base.tax_rate is not None else STANDARD_VAT.get(code)
    return dataclasses.replace(base, country=code, currency=CURRENCIES.get(code, ""), time_zone=zone_for(code),
                               tax_rate=rate, locale=base.locale or fmt.locale_for_country(code))


def _settings_values(setup: FirmSetup, problems: list[Problem]) -> dict[str, Any]:
    """The firm settings ``setup`` stands for (VAT number, IBAN and BIC in their checked form);
    problems with the VAT number, the bank details and the logo are added to ``problems``."""
    country = setup.country.strip().upper()
    vat, why = vat_problem(setup.vat_number, country)
    if why:
        problems.append(Problem(why, field="vat_number", value=setup.vat_number))
    bank: dict[str, str] = {}
    if setup.bank.strip():
        bank["bank"] = setup.bank.strip()
    if setup.iban.strip():
        from stdnum import iban
        from stdnum.exceptions import ValidationError as NumberError

        try:
            bank["iban"] = iban.format(iban.validate(setup.iban))
        except NumberError as exc:
            problems.append(Problem(f"not a valid IBAN ({str(exc).strip().rstrip('.').lower()})", field="iban",
                                    value=setup.iban))
    if setup.bic.strip():
        from stdnum import bic
        from stdnum.exceptions import ValidationError as NumberError

        try:
            bank["bic"] = bic.validate(setup.bic)
        except NumberError as exc:
            problems.append(Problem(f"not a valid BIC ({str(exc).strip().rstrip('.').lower()})", field="bic",
                                    value=setup.bic))
    if bank:
        bank = {"bank": bank.pop("bank", ""), "account_name": setup.firm_name.strip(), **bank}
    logo = ""
    if setup.logo_path.strip():
        path = Path(setup.logo_path.strip()).expanduser()
        try:
            with path.open("rb") as f:
                head = f.read(8)
        except OSError:
            problems.append(Problem(f"there is no readable file '{path}'", field="logo_path", value=setup.logo_path))
        else:
            if not head.startswith(LOGO_MAGIC):
                problems.append(Problem("the logo must be a PNG or JPEG image", field="logo_path",
                                        value=setup.logo_path))
            logo = str(path.absolute())  # a relative path would mean nothing to the next desk
    lines = [line.strip() for line in setup.address_lines if line.strip()]
    if len(lines) > ADDRESS_LINES:
        problems.append(Problem(f"at most {ADDRESS_LINES} address lines (postcode and city have their own fields)",
                                field="address_lines"))
    address = {f"line{i}": line for i, line in enumerate(lines[:ADDRESS_LINES], 1)}
    address.update({k: v.strip() for k, v in (("postcode", setup.postcode), ("city", setup.city),
                                              ("region", setup.region)) if v.strip()})
    if country:
        address["country"] = country
    currency = setup.currency.strip().upper() or CURRENCIES.get(country, "")
    if not currency:
        problems.append(Problem(f"the firm's currency is required (no default for '{country or '?'}')",
                                field="currency"))
    values: dict[str, Any] = {
        "firm_name": setup.firm_name, "firm_address": address, "firm_phone": setup.phone,
        "firm_email": setup.email, "company_number": setup.company_number, "vat_number": vat,
        "bank_details": bank, "currency": currency, "country": country,
        "region": setup.holiday_region, "time_zone": setup.time_zone.strip() or zone_for(country),
        "logo_path": logo,
    }
    if setup.tax_rate is not None and str(setup.tax_rate).strip():
        values["default_tax_rate"] = setup.tax_rate
    locale = setup.locale.strip() or fmt.locale_for_country(country)
    if locale:
        values["locale"] = locale
    return values


def _numbering(setup: FirmSetup, problems: list[Problem]) -> dict[str, tuple[str, int]]:
    """Series name -> (prefix, next number) for each series the set-up names; problems named
    ``numbering.<series>.prefix`` / ``.next``."""
    out: dict[str, tuple[str, int]] = {}
    for name, start in setup.numbering.items():
        if name not in SERIES:
            problems.append(Problem(f"unknown number series '{name}'; one of: {', '.join(SERIES)}",
                                    field=f"numbering.{name}"))
            continue
        prefix = SERIES[name] if start.prefix is None else start.prefix.strip()
        if len(prefix) > PREFIX_MAX:
            problems.append(Problem(f"a prefix has at most {PREFIX_MAX} characters", field=f"numbering.{name}.prefix",
                                    value=start.prefix))
        elif any(not ch.isprintable() or ch.isspace() for ch in prefix):
            problems.append(Problem("a prefix holds no spaces or control characters", field=f"numbering.{name}.prefix",
                                    value=start.prefix))
        nxt = 1
        if start.next is not None and str(start.next).strip():
            text = str(start.next).strip()
            if not text.isdigit() or not 1 <= int(text) <= NEXT_MAX:
                problems.append(Problem(f"the next number must be a whole number from 1 to {NEXT_MAX:,}",
                                        field=f"numbering.{name}.next", value=start.next))
            else:
                nxt = int(text)
        out[name] = (prefix, nxt)
    # two series printing the same prefix would give two documents the same number
    prefixes = {name: out[name][0] if name in out else SERIES[name] for name in SERIES}
    for name in out:
        clash = [other for other, p in prefixes.items() if other != name and p and p == prefixes[name]]
        if clash:
            problems.append(Problem(f"the prefix '{prefixes[name]}' is the {clash[0].replace('_', ' ')} series' too",
                                    field=f"numbering.{name}.prefix", value=prefixes[name]))
    return out


def check(setup: FirmSetup) -> list[Problem]:
    """Every problem of ``setup``, each naming its field; [] when it can be saved (on an empty
    database)."""
    problems, _values, _series = _checked(setup)
    return problems


def _checked(setup: FirmSetup) -> tuple[list[Problem], dict[str, Any], dict[str, tuple[str, int]]]:
    problems: list[Problem] = []
    if not setup.firm_name.strip():
        problems.append(Problem("the firm's name is required", field="firm_name"))
    if not setup.country.strip():
        problems.append(Problem("the firm's country is required (a two-letter ISO code such as DE, GB, AT)",
                                field="country"))
    values = _settings_values(setup, problems)
    for key, value in values.items():  # each by its declaration, as set_settings checks it
        try:
            settings.SPECS[key].parse(value)
        except ValueError as exc:
            where = "holiday_region" if key == "region" else key
            if any(p.field == where for p in problems):
                continue  # said above (a country or currency that is missing), once is enough
            problems.append(Problem(f"{settings.SPECS[key].description}: {exc}", field=where, value=value))
    if not any(p.field in ("country", "holiday_region") for p in problems):
        try:  # the region must be one of the country's (the settings' own cross-check)
            settings._cross_check(settings.defaults(), {"country": values["country"],
                                                        "region": str(values["region"]).strip().upper()})
        except ValidationError as exc:
            problems += [dataclasses.replace(p, field="holiday_region") for p in exc.problems]
    for p in auth._validate_user(setup.admin_username, setup.admin_full_name, Role.ADMIN.value,
                                 setup.admin_password):
        problems.append(dataclasses.replace(p, field=f"admin_{p.field}"))
    series = _numbering(setup, problems)
    return problems, values, series


def _in_use(uow_or_session: Any) -> str | None:
    """What makes a database not new: its users, products, customers or orders (None: it is new)."""
    s = uow_or_session
    for model, what in ((User, "users"), (Product, "products"), (Customer, "customers"), (SalesOrder, "orders")):
        if s.execute(select(func.count()).select_from(model)).scalar():
            return what
    return None


def is_new(db: Database) -> bool:
    """Whether ``db`` is new and empty — no users, products, customers or orders — so that
    ``new_firm`` (and the wizard in front of it) may set a firm up on it."""
    with db.read() as s:
        return _in_use(s) is None


def _refusal(what: str) -> UserError:
    return UserError(f"This database already holds a firm (it has {what}); a new firm needs a new, empty database. "
                     "Nothing was changed.")


def new_firm(db: Database, setup: FirmSetup, *, workstation: str | None = None) -> Actor:
    """Create the firm described by ``setup`` on the new, empty database ``db``; returns its first
    administrator, signed in. ValidationError with every problem (nothing saved); UserError when
    the database is not new."""
    with db.read() as s:
        taken = _in_use(s)
    if taken:
        raise _refusal(taken)
    problems, values, series = _checked(setup)
    if problems:
        raise ValidationError(problems)
    username, full_name = setup.admin_username.strip(), setup.admin_full_name.strip()
    # the audit rows name the new administrator: the firm is theirs from its first row
    actor = Actor(username, Role.ADMIN.value, full_name, workstation=workstation or "new firm")
    for key in values:
        require(actor, settings.SPECS[key].permission)
    stored = {key: value for key, value, _desc in settings.stored_rows(values)}
    # scrypt takes a moment: hashed before the write transaction, which on SQLite holds the file
    password_hash = auth.hash_password(setup.admin_password)

    # The administrator is written here, in the same unit of work as the settings and the number
    # series, rather than by auth.create_first_admin (a unit of work of its own): a failure
    # anywhere — another desk creating a firm meanwhile, the database's input hygiene — then
    # leaves nothing at all, and no database is left with an administrator but half a firm.
    def run(uow: UnitOfWork) -> None:
        # two wizards at once: the counter rows (every new database has them, app.db.migrate) are
        # locked first (PostgreSQL; SQLite's write transaction holds the whole file already), so
        # the second waits here and then finds the first one's administrator
        uow.session.execute(select(NumberSequence.name).with_for_update()).all()
        taken = _in_use(uow.session)
        if taken:
            raise _refusal(taken)
        for key in values:
            row = uow.session.get(Setting, key)
            if key in stored:
                if row is None:
                    uow.add(Setting(key=key, value=stored[key], description=settings.SPECS[key].description))
                elif row.value != stored[key]:
                    row.value = stored[key]
            elif row is not None:  # set before on this empty database; the default is not stored
                uow.session.delete(row)
        for name, (prefix, nxt) in series.items():
            counter = uow.session.get(NumberSequence, name)
            if counter is None:
                uow.add(NumberSequence(name=name, prefix=prefix, next_value=nxt, start_value=nxt))
            else:  # no document exists yet (the database is new), so no number was drawn that matters
                counter.prefix, counter.next_value, counter.start_value = prefix, nxt, nxt
        uow.add(User(username=username, full_name=full_name, role=Role.ADMIN, password_hash=password_hash))
        uow.flush()
        product_families.ensure_default(uow.session)  # the first product (typed or imported) needs a family
        uow.pending_audit.append({
            "at": _now(), "username": username[:80], "workstation": actor.workstation, "action": "new_firm",
            "entity": "setting", "entity_id": None, "field": None, "old_value": None,
            "new_value": f"{setup.firm_name.strip()} ({values['country']}, {values['currency']})"[:500]})

    db.write(actor, run)
    return auth.sign_in(db, username, setup.admin_password, workstation=actor.workstation)


def _now() -> Any:
    from app import clock

    return clock.utcnow()
