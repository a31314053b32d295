"""The new-firm wizard (issue 20 item 1): the first start on a new, empty database sets up the firm —
its name, address, tax and bank details, currency and time zone, the first administrator, where the
number series continue, and how to begin — instead of creating only the administrator.

Nothing is saved until Finish: then ``firm_setup.check`` names every problem at once (each shown
under its field, the wizard going back to the first page with one), and ``firm_setup.new_firm``
writes the firm in one unit of work, both through the door (``Actions``). The services are imported
when the wizard is built, not with this module (the sign-in dialog paints before SQLAlchemy loads).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtWidgets import (QButtonGroup, QComboBox, QFileDialog, QFormLayout, QGridLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QRadioButton, QVBoxLayout, QWidget, QWizard, QWizardPage)

from app import format as fmt
from app.errors import Problem, UserError, ValidationError
from app.views.common.action import Actions
from app.views.common.messages import error_label

if TYPE_CHECKING:
    from app.actor import Actor
    from app.desk import Database
    from app.services.firm_setup import FirmSetup

W = TypeVar("W", bound=QWidget)

# the start choices (``NewFirmWizard.start``): what app.py opens once the main window shows
START_EMPTY, START_IMPORT, START_TYPE = "empty", "import", "type"
SERIES_NAMES = {"order": "Sales orders", "quote": "Quotes", "invoice": "Invoices", "credit_note": "Credit notes",
                "shipment": "Shipments", "pick_list": "Pick lists", "rma": "Returns (RMA)",
                "service_job": "Service jobs"}


def country_names() -> dict[str, str]:
    """ISO code -> name of every country whose public holidays are known (``firm_calendar``), plus
    those the set-up has a currency for; the name from the holidays package where it has one."""
    from app.services import firm_calendar, firm_setup

    names: dict[str, str] = {}
    try:
        from holidays.registry import COUNTRIES

        for key, spec in COUNTRIES.items():
            if len(spec) > 1 and len(str(spec[1])) == 2:
                names[str(spec[1])] = str(key).replace("_", " ").title()
    except (ImportError, AttributeError):  # an older holidays package: codes only
        pass
    codes = set(firm_calendar.supported_countries()) | set(firm_setup.CURRENCIES)
    return {code: names.get(code, code) for code in sorted(codes, key=lambda c: names.get(c, c))}


class _Page(QWizardPage):
    """A page whose rows each have an error line under the field (shown by ``NewFirmWizard.show_problems``)."""

    def __init__(self, wizard: NewFirmWizard, title: str, subtitle: str) -> None:
        super().__init__()
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self.owner = wizard
        self.lay = QVBoxLayout(self)
        self.form = QFormLayout()
        self.lay.addLayout(self.form)

    def row(self, label: str, field: str, widget: W) -> W:
        self.form.addRow(label, self.owner.with_error(self, field, widget))
        return widget


#: the locales the wizard lists (any other CLDR locale may be typed)
LOCALES = ("en_GB", "en_IE", "en_US", "de_DE", "de_AT", "de_CH", "fr_FR", "fr_BE", "fr_CH", "it_IT", "it_CH",
           "es_ES", "nl_NL", "nl_BE", "pl_PL", "cs_CZ", "da_DK", "sv_SE", "nb_NO", "fi_FI", "pt_PT")


def _fraction(percent: str) -> Decimal | str | None:
    """The VAT rate as typed in per cent → the fraction the service takes ("19" → 0.19); empty:
    None (the declared default); not a number: as typed (the service names the problem)."""
    text = percent.strip().rstrip("%").strip()
    if not text:
        return None
    try:
        return fmt.parse_decimal(text) / 100
    except InvalidOperation:
        return percent


class NewFirmWizard(QWizard):
    """Five pages; ``actor`` (the administrator, signed in) and ``start`` are set when Finish succeeded."""

    def __init__(self, db: Database, parent: QWidget | None = None, *, today_prefixes: dict[str, str] | None = None
                 ) -> None:
        super().__init__(parent)
        from app.services import firm_setup

        self.db = db
        self.actor: Actor | None = None
        self.start = START_EMPTY
        self.setObjectName("newFirmWizard")
        self.setWindowTitle("OrderCycle — a new firm")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setMinimumSize(640, 560)
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self.page_of: dict[str, int] = {}
        self._pages: list[_Page] = []

        # 1. the firm
        firm = self._add(_Page(self, "The firm", "As printed on your quotes, orders and invoices."))
        self.firm_name = firm.row("Firm &name", "firm_name", self._line("firm_name"))
        self.line1 = firm.row("Address line &1", "address_lines", self._line("line1"))
        self.line2 = firm.row("Address line 2", "address_lines.2", self._line("line2"))
        self.postcode = firm.row("&Postcode", "postcode", self._line("postcode"))
        self.city = firm.row("&City", "city", self._line("city"))
        self.region = firm.row("Region / county", "region", self._line("region"))
        self.country = QComboBox()
        self.country.setObjectName("country")
        self.country.addItem("— choose —", "")
        for code, name in country_names().items():
            self.country.addItem(f"{code} — {name}", code)
        firm.row("C&ountry", "country", self.country)
        self.vat_number = firm.row("&VAT / tax number", "vat_number", self._line("vat_number"))
        self.company_number = firm.row("Company number", "company_number", self._line("company_number"))
        self.phone = firm.row("P&hone", "phone", self._line("phone"))
        self.email = firm.row("&E-mail", "email", self._line("email"))
        self.bank = firm.row("&Bank", "bank", self._line("bank"))
        self.iban = firm.row("&IBAN", "iban", self._line("iban"))
        self.bic = firm.row("BI&C", "bic", self._line("bic"))
        self.logo_path = self._line("logo_path")
        self.logo_path.setPlaceholderText("optional: a PNG or JPEG file")
        choose = QPushButton("Choose…")
        choose.setObjectName("chooseLogo")
        choose.clicked.connect(self._choose_logo)
        logo_row = QWidget()
        logo_lay = QHBoxLayout(logo_row)
        logo_lay.setContentsMargins(0, 0, 0, 0)
        logo_lay.addWidget(self.logo_path, 1)
        logo_lay.addWidget(choose)
        firm.row("&Logo", "logo_path", logo_row)
        self.fields["logo_path"] = self.logo_path

        # 2. currency, time zone, holidays
        money = self._add(_Page(self, "Currency and time zone",
                                "Suggested for the country; change them if your firm works otherwise."))
        self.currency = QComboBox()
        self.currency.setObjectName("currency")
        self.currency.setEditable(True)
        self.currency.addItems(sorted(set(firm_setup.CURRENCIES.values())))
        self.currency.setCurrentText("")
        money.row("C&urrency", "currency", self.currency)
        self.time_zone = QComboBox()
        self.time_zone.setObjectName("time_zone")
        self.time_zone.setEditable(True)
        import zoneinfo

        self.time_zone.addItems(sorted(z for z in zoneinfo.available_timezones() if "/" in z))
        self.time_zone.setCurrentText("")
        money.row("&Time zone", "time_zone", self.time_zone)
        self.holiday_region = QComboBox()
        self.holiday_region.setObjectName("holiday_region")
        money.row("Public holidays of", "holiday_region", self.holiday_region)
        self.number_locale = QComboBox()
        self.number_locale.setObjectName("locale")
        self.number_locale.setEditable(True)
        self.number_locale.addItems(LOCALES)
        self.number_locale.setCurrentText("")
        self.number_locale.setToolTip("How numbers and amounts are written on screen and on documents, and read "
                                      "when typed")
        money.row("&Numbers and amounts", "locale", self.number_locale)
        self.locale_example = QLabel()
        self.locale_example.setObjectName("localeExample")
        money.form.addRow("", self.locale_example)
        self.number_locale.currentTextChanged.connect(lambda _t: self._show_example())
        self.currency.currentTextChanged.connect(lambda _t: self._show_example())
        self.tax_rate = QLineEdit()
        self.tax_rate.setObjectName("default_tax_rate")
        self.tax_rate.setToolTip("The VAT rate a new product gets unless another is chosen (per cent)")
        self.tax_rate.setPlaceholderText("per cent, e.g. 19")
        money.row("Standard &VAT rate (%)", "default_tax_rate", self.tax_rate)
        self.country.currentIndexChanged.connect(self._country_changed)

        # 3. the first administrator
        admin = self._add(_Page(self, "The administrator",
                                "The first user; the administrator then adds the others (Admin → Users)."))
        self.admin_username = admin.row("&User name", "admin_username", self._line("admin_username", "admin"))
        self.admin_full_name = admin.row("&Full name", "admin_full_name", self._line("admin_full_name"))
        self.admin_password = admin.row("&Password", "admin_password", self._line("admin_password", password=True))
        self.admin_repeat = admin.row("&Repeat password", "admin_repeat", self._line("admin_repeat", password=True))

        # 4. numbering
        numbering = self._add(_Page(self, "Numbering", "Where each number series starts."))
        explain = QLabel("To continue your old system's numbering, enter its next number (and its prefix); a new "
                         "firm starts at 1.")
        explain.setWordWrap(True)
        numbering.lay.insertWidget(0, explain)
        grid = QGridLayout()
        grid.addWidget(QLabel("<b>Series</b>"), 0, 0)
        grid.addWidget(QLabel("<b>Prefix</b>"), 0, 1)
        grid.addWidget(QLabel("<b>Next number</b>"), 0, 2)
        self.prefixes: dict[str, QLineEdit] = {}
        self.nexts: dict[str, QLineEdit] = {}
        defaults = today_prefixes if today_prefixes is not None else _series_prefixes()
        for i, (name, prefix) in enumerate(defaults.items(), start=1):
            grid.addWidget(QLabel(SERIES_NAMES.get(name, name.replace("_", " ").capitalize())), 2 * i - 1, 0)
            self.prefixes[name] = self._line(f"numbering.{name}.prefix", prefix)
            self.nexts[name] = self._line(f"numbering.{name}.next", "1")
            grid.addWidget(self.prefixes[name], 2 * i - 1, 1)
            grid.addWidget(self.nexts[name], 2 * i - 1, 2)
            for col, key in ((1, f"numbering.{name}.prefix"), (2, f"numbering.{name}.next")):
                label = error_label()
                label.setWordWrap(True)
                grid.addWidget(label, 2 * i, col)
                self.errors[key] = label
                self.page_of[key] = len(self._pages) - 1
        numbering.lay.addLayout(grid)
        numbering.lay.removeItem(numbering.form)

        # 5. how to start
        begin = self._add(_Page(self, "Start", "How you begin; you can do all of them later."))
        self.start_group = QButtonGroup(self)
        for key, text, note in (
                (START_EMPTY, "Start &empty", "The main window, ready for your first order."),
                (START_IMPORT, "&Import from Excel templates", "Customers, products and stock from the templates "
                 "(File → Import)."),
                (START_TYPE, "&Type the first records", "The customers window opens for your first customers.")):
            radio = QRadioButton(text)
            radio.setObjectName(f"start_{key}")
            radio.setProperty("start", key)
            self.start_group.addButton(radio)
            begin.lay.addWidget(radio)
            hint = QLabel(note)
            hint.setContentsMargins(24, 0, 0, 8)
            begin.lay.addWidget(hint)
            radio.setChecked(key == START_EMPTY)
        roles = QLabel("The administrator keeps the firm's customers and products (imported or typed); quotes, "
                       "orders, shipping and billing are for the people you add under Admin → Users.")
        roles.setObjectName("rolesNote")
        roles.setWordWrap(True)
        roles.setContentsMargins(0, 12, 0, 0)
        begin.lay.addWidget(roles)
        self.error = error_label()  # what belongs to no field (a database that is not new)
        self.error.setWordWrap(True)
        begin.lay.addStretch(1)
        begin.lay.addWidget(self.error)

        self.work = Actions(self, fields=self.fields, show_error=self._refused)

    # --- building -----------------------------------------------------------------------------
    def _add(self, page: _Page) -> _Page:
        self._pages.append(page)
        self.addPage(page)
        return page

    def _line(self, name: str, text: str = "", *, password: bool = False) -> QLineEdit:
        edit = QLineEdit(text)
        edit.setObjectName(name)
        if password:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        return edit

    def with_error(self, page: _Page, field: str, widget: QWidget) -> QWidget:
        """``widget`` with its error line under it; registered as ``field`` of ``page``."""
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(widget)
        label = error_label()
        label.setWordWrap(True)
        label.setObjectName(f"error_{field}")
        lay.addWidget(label)
        self.fields[field] = widget
        self.errors[field] = label
        self.page_of[field] = len(self._pages) - 1
        return box

    def _choose_logo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "The firm's logo", "", "Images (*.png *.jpg *.jpeg)")
        if path:
            self.logo_path.setText(path)

    def _country_changed(self) -> None:
        from app.services import firm_calendar, firm_setup

        code = str(self.country.currentData() or "")
        suggested = firm_setup.suggest(code)
        self.currency.setCurrentText(suggested.currency)
        self.time_zone.setCurrentText(suggested.time_zone)
        self.number_locale.setCurrentText(suggested.locale)
        rate = suggested.tax_rate
        self.tax_rate.setText("" if rate is None else f"{(Decimal(rate) * 100).normalize():f}")
        self.holiday_region.clear()
        self.holiday_region.addItem("the whole country", "")
        for region in firm_calendar.supported_countries().get(code, []):
            self.holiday_region.addItem(region, region)

    def _show_example(self) -> None:
        """What an amount and a quantity will look like in the locale and currency chosen."""

        try:
            style = fmt.style_for(self.number_locale.currentText() or fmt.DEFAULT_LOCALE)
        except ValueError:
            self.locale_example.setText("(not a locale: e.g. en_GB, de_DE, fr_FR)")
            return
        with fmt.using_currency(self.currency.currentText() or "GBP", style.locale):
            self.locale_example.setText(f"e.g. {fmt.money(Decimal('-1234.5'))}, {fmt.quantity(Decimal('2.5'))} "
                                        f"kg, {fmt.percent(Decimal('0.19'))}")

    # --- reading --------------------------------------------------------------------------------
    def setup(self) -> FirmSetup:
        """What the pages say, as the service takes it."""
        from app.services.firm_setup import FirmSetup, SeriesStart

        return FirmSetup(
            firm_name=self.firm_name.text(), country=str(self.country.currentData() or ""),
            address_lines=tuple(e.text() for e in (self.line1, self.line2) if e.text().strip()),
            postcode=self.postcode.text(), city=self.city.text(), region=self.region.text(),
            holiday_region=str(self.holiday_region.currentData() or ""), phone=self.phone.text(),
            email=self.email.text(), company_number=self.company_number.text(), vat_number=self.vat_number.text(),
            bank=self.bank.text(), iban=self.iban.text(), bic=self.bic.text(), logo_path=self.logo_path.text(),
            currency=self.currency.currentText(), time_zone=self.time_zone.currentText(),
            tax_rate=_fraction(self.tax_rate.text()), locale=self.number_locale.currentText(),
            admin_username=self.admin_username.text(), admin_full_name=self.admin_full_name.text(),
            admin_password=self.admin_password.text(),
            numbering={name: SeriesStart(self.prefixes[name].text(), self.nexts[name].text())
                       for name in self.prefixes})

    def start_choice(self) -> str:
        button = self.start_group.checkedButton()
        return str(button.property("start")) if button is not None else START_EMPTY

    # --- Finish -------------------------------------------------------------------------------
    def accept(self) -> None:
        """Finish: check everything (shown in place), then create the firm; the wizard stays open
        while anything is wrong."""
        if not self.work.settled():
            return
        from app.services import firm_setup

        setup = self.setup()
        repeat_differs = self.admin_password.text() != self.admin_repeat.text()

        def checked() -> list[Problem]:
            problems = firm_setup.check(setup)
            if repeat_differs:
                problems.append(Problem("the two passwords differ", field="admin_repeat"))
            return problems

        self.work.run(checked, done=lambda problems: self._checked(setup, problems))

    def _checked(self, setup: FirmSetup, problems: list[Problem]) -> None:
        self.show_problems(problems)
        if problems:
            return
        from app.services import firm_setup

        db = self.db
        self.work.run(lambda: firm_setup.new_firm(db, setup), done=self._created)

    def _created(self, actor: Actor) -> None:
        self.actor = actor
        self.start = self.start_choice()
        super().accept()

    def _refused(self, exc: UserError) -> None:
        if isinstance(exc, ValidationError):
            self.show_problems(exc.problems)
        else:
            self.show_problems([])
            self.error.setText(str(exc))
            self.error.show()
            self._go_to(len(self._pages) - 1)

    def show_problems(self, problems: Sequence[Problem]) -> None:
        """Each problem under its field; the wizard goes back to the first page with one."""
        for label in self.errors.values():
            label.clear()
            label.hide()
        self.error.hide()
        first: int | None = None
        loose: list[str] = []
        for p in problems:
            key = self._key(p.field or "")
            if key is None:
                loose.append(p.reason if not p.field else f"{p.field}: {p.reason}")
                continue
            label = self.errors[key]
            label.setText("; ".join(t for t in (label.text(), _capital(p.reason)) if t))
            label.show()
            where = self.page_of[key]
            first = where if first is None else min(first, where)
        if loose:
            self.error.setText("\n".join(loose))
            self.error.show()
            first = len(self._pages) - 1 if first is None else first
        if first is not None:
            self._go_to(first)
            key = next((self._key(p.field or "") for p in problems if self._key(p.field or "") is not None), None)
            if key is not None and key in self.fields and self.page_of[key] == first:
                self.fields[key].setFocus()

    def _key(self, field: str) -> str | None:
        if field in self.errors:
            return field
        if field.startswith("admin_") and field not in self.errors:  # e.g. admin_role: the user name's row
            return "admin_username"
        if field.startswith("numbering."):
            name = field.split(".")[1]
            return f"numbering.{name}.prefix" if f"numbering.{name}.prefix" in self.errors else None
        return None

    def _go_to(self, index: int) -> None:
        """Back (or on) to page ``index``, keeping QWizard's history for Back."""
        target = self.pageIds()[index]
        while self.currentId() != target and self.currentId() > target:
            self.back()
        while self.currentId() != target and self.currentId() < target and self.currentId() != -1:
            self.next()


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _series_prefixes() -> dict[str, str]:
    """Today's series and their prefixes (the service's ``SERIES``)."""
    from app.services import firm_setup

    return dict(vars(firm_setup)["SERIES"])

