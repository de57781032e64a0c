"""Dunning letters and e-mails per customer, rendered from the Jinja2 templates in
``templates/letters/`` (``<letter>.html.j2`` and ``<letter>.txt.j2``, both extending a base layout).

Who gets a letter: each customer whose most advanced invoice that is not disputed sits at a
ladder step with a letter (friendly reminder, firm reminder, demand letter, final notice; see
:mod:`arassess.config.escalation` and :func:`arassess.plan.worklist.customer_worklist`). No letter when open
credit notes cover the overdue total (the account needs reconciling, not a reminder).

Two dates: ``as_of`` (the assessment date) fixes the balances, the invoices listed and their days
overdue, and the file names (``<as_of>_<letter>``); the letter says "as of <as_of>" for them.
``letter_date`` (the day the consultant sends the letters; ``as_of`` when not given, never before
it) is the date printed on the letter and the start of every deadline in it.

What a letter holds: the customer's overdue invoices that are not disputed (invoice, invoice
date, due date, open amount, days overdue), oldest first; below them, in the same table, their
total and, when open credit notes exist, the credit notes (negative) and the balance due, so
that invoices − credits = the amount requested; the ids of disputed invoices, said to be left out;
a pay-by date (letter date + 7 days for the firm reminder, + 10 for the demand letter, + 14 for a
final notice without hand-off); for a final notice before an agency hand-off, the hand-off date
(the ladder's date of the customer's most advanced invoice, never less than 8 days after the
letter date) and a pay-by date the day before. The demand letter and the final notice speak of
"the overdue invoices listed below, the oldest of which is N days overdue" (N as of ``as_of``;
"was N days overdue on <as_of>" when the letter date is later).

Sender: ``config.name`` with the details of ``escalation.letters`` in client.yaml; colours and
logo from ``branding``. When ``address``, ``email`` or ``payment_details`` is missing the letters
are still rendered, and the HTML letter shows a highlighted placeholder in its place, e.g.
"[Add your payment details: escalation.letters.payment_details in client.yaml]" (the e-mail text
gets none); :func:`missing_sender_details` lists the missing keys for the report.

``escalation.letters.agency_in_place`` (boolean, default false): true when the client has a
collection agency under contract. Only then does a final notice before a hand-off say "we may
pass the account to a collection agency on or after <date>"; otherwise it says, without a date,
that "we will have to take further steps to recover the amount, which may include passing the
account to a collection agency" (a creditor states no arrangement it does not have). Any value
other than true, false or empty is a ConfigError.

Tone: courteous and factual. No threats, no interest or fee claims, no legal statements; the
only consequences named are the two sentences above, in a final notice when the ladder has a
hand-off step (without one: "we will contact you again to discuss the next steps"). The letters
never say that earlier reminders were sent: the worklist knows where an invoice stands on the
ladder, not what the client actually sent.

Safety: HTML templates are autoescaped (customer data such as ``<script>`` stays text), unknown
template variables raise (StrictUndefined), control characters in data become spaces (no header
injection in the e-mail subject), folder names are slugs of the customer id (no path traversal),
and no file is ever written over: every target is checked before the first one is written.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from arassess.config.client import ClientConfig
from arassess.config.escalation import HANDOFF, parse_escalation
from arassess.display.format import money_text
from arassess.display.style import BRAND_COLOR, DEFAULT_COLORS, data_uri
from arassess.errors import ArgumentError, ConfigError, OverwriteError
from arassess.paths import TEMPLATES_DIR
from arassess.plan.worklist import customer_worklist

LETTERS_DIR = TEMPLATES_DIR / "letters"
LETTERS = ("friendly_reminder", "firm_reminder", "demand_letter", "final_notice")
PAY_WITHIN_DAYS = {"friendly_reminder": None, "firm_reminder": 7, "demand_letter": 10, "final_notice": 14}
MIN_HANDOFF_NOTICE_DAYS = 7   # a final notice gives at least this many days before the pay-by date
AGENCY_KEY = "agency_in_place"  # escalation.letters.agency_in_place: a collection agency is under contract
#: Sender details a letter should carry → how the placeholder names them.
SENDER_DETAILS = {"address": "your address", "email": "your e-mail address", "payment_details": "your payment details"}
DEFAULT_CONTACT = "Accounts receivable"
LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def letter_environment(templates_dir: str | Path = LETTERS_DIR) -> Environment:
    """Jinja2 environment of the letter templates: ``*.html.j2`` autoescaped, ``*.txt.j2`` not,
    anything else escaped; undefined variables are errors."""
    return Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"),
                                     disabled_extensions=("txt", "txt.j2"), default_for_string=True, default=True),
        undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)


def customer_slug(customer_id: Any) -> str:
    """A safe folder name for a customer id: letters, digits, ``-`` and ``_`` only (at most 60);
    an id that had to change (or is a reserved device name) gets 8 hex digits of its SHA-1, so
    two ids never share a folder. ``"C1001"`` → ``"C1001"``, ``"../x"`` → ``"x-<hash>"``."""
    text = str(customer_id)
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-_")[:60]
    if slug and slug == text and slug.upper() not in _RESERVED:
        return slug
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return f"{slug or 'customer'}-{digest}"


def _clean(value: Any) -> str:
    """Text for a letter: control characters (line breaks, tabs, escapes) become one space."""
    return _CONTROL.sub(" ", str(value)).strip()


def _date(value: Any) -> str:
    t = pd.Timestamp(value)
    return f"{t.day} {t:%B %Y}"


def _short_date(value: Any) -> str:
    t = pd.Timestamp(value)
    return f"{t.day} {t:%b %Y}"


def _brand(config: ClientConfig) -> dict[str, str | None]:
    """Colours (``#rgb``/``#rrggbb``; anything else is a ConfigError) and the logo as a data URI."""
    branding = config.branding or {}
    out: dict[str, str | None] = {}
    for key, short in (("primary_color", "primary"), ("accent_color", "accent")):
        value = branding.get(key) or DEFAULT_COLORS[key]
        if not isinstance(value, str) or not BRAND_COLOR.fullmatch(value):
            raise ConfigError(f"{config.root / 'client.yaml'}: 'branding.{key}' must be a colour like "
                              f"'#1B3A5C', got {value!r}.")
        out[short] = value
    out["logo"] = None
    logo = branding.get("logo")
    if logo:
        path = Path(str(logo))
        path = path if path.is_absolute() else config.root / path
        kind = LOGO_TYPES.get(path.suffix.lower())
        if kind is None or not path.is_file():
            problem = "is not a PNG, JPEG or SVG file" if path.is_file() else "was not found"
            raise ConfigError(f"{config.root / 'client.yaml'}: 'branding.logo' must name a PNG, JPEG or SVG file "
                              f"(relative to the client folder), got {logo!r}: {path} {problem}.")
        out["logo"] = data_uri(path.read_bytes(), kind)
    return out


def _letter_settings(config: ClientConfig) -> dict[str, Any]:
    """The raw ``escalation.letters`` mapping of client.yaml ({} when absent or empty)."""
    letters = (config.escalation or {}).get("letters") or {}
    return dict(letters) if isinstance(letters, Mapping) else {}


def agency_in_place(config: ClientConfig) -> bool:
    """``escalation.letters.agency_in_place``: True only for a YAML ``true``; absent, empty or
    ``false`` is False; anything else (such as the text ``"yes"``) is a ConfigError."""
    value = _letter_settings(config).get(AGENCY_KEY)
    if value is None or isinstance(value, bool):
        return bool(value)
    raise ConfigError(f"{config.root / 'client.yaml'}: 'escalation.letters.{AGENCY_KEY}' must be true or false, "
                      f"got {value!r}.")


def _creditor(config: ClientConfig) -> dict[str, str | None]:
    """Sender details: ``config.name`` and ``escalation.letters`` (cleaned; empty → None; the
    ``agency_in_place`` switch is not a sender detail and is left out)."""
    raw = dict(config.escalation or {})
    if isinstance(raw.get("letters"), Mapping):
        raw["letters"] = {k: v for k, v in raw["letters"].items() if k != AGENCY_KEY}
    details = parse_escalation(raw, config.root / "client.yaml").letters
    out: dict[str, str | None] = {k: (_clean(v) or None) for k, v in details.items()}
    for key in ("email", "phone", "address", "payment_details"):
        out.setdefault(key, None)
    out["contact"] = out.get("contact") or DEFAULT_CONTACT
    out["name"] = _clean(config.name)
    return out


def missing_sender_details(config: ClientConfig) -> list[str]:
    """The keys of ``escalation.letters`` a letter should carry but client.yaml lacks (or leaves
    blank), in the order ``address``, ``email``, ``payment_details``; [] when all are there."""
    creditor = _creditor(config)
    return [key for key in SENDER_DETAILS if not creditor[key]]


def placeholder(key: str) -> str:
    """The highlighted line the HTML letter shows for a missing sender detail, e.g.
    ``"[Add your payment details: escalation.letters.payment_details in client.yaml]"``."""
    return f"[Add {SENDER_DETAILS[key]}: escalation.letters.{key} in client.yaml]"


def _days(count: int) -> str:
    """``"1 day"``, ``"29 days"``."""
    return f"{count} day" if count == 1 else f"{count} days"


def oldest_phrase(days: int, count: int, as_of: pd.Timestamp, letter_date: pd.Timestamp) -> str:
    """How the demand letter and final notice describe the age of the invoices listed: ``"the
    oldest of which is 40 days overdue"`` (one invoice: ``"which is 30 days overdue"``); when the
    letter is dated after ``as_of``, ``"... was 40 days overdue on 31 October 2026"``."""
    lead = "the oldest of which" if count > 1 else "which"
    if letter_date == as_of:
        return f"{lead} is {_days(days)} overdue"
    return f"{lead} was {_days(days)} overdue on {_date(as_of)}"


def _words(count: int) -> dict[str, str]:
    """Singular or plural wording of the templates."""
    many = count > 1
    return {"invoices": "invoices" if many else "invoice", "have": "have" if many else "has",
            "are": "are" if many else "is", "remain": "remain" if many else "remains",
            "their": "their" if many else "its", "these": "these invoices" if many else "this invoice",
            "numbers": "numbers" if many else "number",
            "one_of": "one of the invoices" if many else "the invoice",
            "any_of": "any of these invoices" if many else "this invoice",
            "which": "which one and why" if many else "why"}


def sort_oldest_first(invoices: pd.DataFrame) -> pd.DataFrame:
    """The letter's invoices, most days overdue first (ties: due date, then invoice id)."""
    return invoices.sort_values(["days_past_due", "due_date", "invoice_id"], ascending=[False, True, True])


def letter_dates(customer: Mapping[str, Any], letter_date: pd.Timestamp) -> tuple[pd.Timestamp | None,
                                                                                 pd.Timestamp | None]:
    """(pay-by date, hand-off date) of a customer's letter sent on ``letter_date``.

    Pay by = letter date + :data:`PAY_WITHIN_DAYS` (none for the friendly reminder). A final
    notice whose next ladder step is the agency hand-off gets the hand-off date = the ladder's
    date, moved to at least letter date + 8 days, and pays by the day before it.
    """
    letter = str(customer["letter"])
    within = PAY_WITHIN_DAYS[letter]
    pay_by = letter_date + pd.Timedelta(days=within) if within else None
    next_key, next_date = customer.get("next_key"), customer.get("next_date")
    if letter == "final_notice" and pd.notna(next_key) and next_key == HANDOFF and pd.notna(next_date):
        handoff = max(pd.Timestamp(next_date), letter_date + pd.Timedelta(days=MIN_HANDOFF_NOTICE_DAYS + 1))
        return handoff - pd.Timedelta(days=1), handoff
    return pay_by, None


def invoice_rows(invoices: pd.DataFrame) -> list[dict[str, str]]:
    """The invoice lines of a letter, oldest first (:func:`sort_oldest_first`; see :func:`format_rows`)."""
    return format_rows(sort_oldest_first(invoices))


def format_rows(ordered: pd.DataFrame) -> list[dict[str, str]]:
    """Invoice lines in the order given, formatted column by column: id (cleaned), invoice date and
    due date ('5 Jan 2026'), open amount ('1,234.50') and days overdue ('40 days')."""
    if not len(ordered):
        return []

    def short(dates: pd.Series) -> list[str]:
        stamps = pd.to_datetime(dates)
        text = stamps.dt.day.astype("Int64").astype(str) + " " + stamps.dt.strftime("%b %Y")
        return text.where(stamps.notna(), "").tolist()

    days = ordered["days_past_due"].astype(np.int64)
    columns = {
        "invoice_id": [_clean(v) for v in ordered["invoice_id"].tolist()],
        "invoice_date": short(ordered["invoice_date"]) if "invoice_date" in ordered else [""] * len(ordered),
        "due_date": short(ordered["due_date"]),
        "open_amount": [money_text(v, cents=True) for v in ordered["open_amount"].astype(float).tolist()],
        "days_overdue": np.where(days == 1, "1 day", days.astype(str) + " days").tolist(),
    }
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


def letter_context(customer: Mapping[str, Any], invoices: pd.DataFrame | list[dict[str, str]], credits: float,
                   disputed: list[str], config: ClientConfig, as_of: pd.Timestamp, brand: Mapping[str, Any],
                   creditor: Mapping[str, Any], *, letter_date: pd.Timestamp | None = None,
                   agency: bool = False, overdue: float | None = None, oldest: int | None = None,
                   accrued: tuple[float, float, str] | None = None) -> dict[str, Any]:
    """Everything one letter's templates use (rules in the module docstring). ``invoices``: the
    customer's overdue invoices (a frame), or their lines already formatted (:func:`invoice_rows`)
    with ``overdue`` (their open total) and ``oldest`` (days past due of the oldest) given.
    ``letter_date`` defaults to ``as_of``; ``agency`` is :func:`agency_in_place`; ``accrued`` the
    (interest, fixed sums, law) accrued on the customer's late invoices, stated by the final notice."""
    sent = as_of if letter_date is None else letter_date
    letter = str(customer["letter"])
    if isinstance(invoices, pd.DataFrame):
        overdue = float(invoices["open_amount"].sum())
        oldest = int(invoices["days_past_due"].max())
        rows = invoice_rows(invoices)
    else:
        rows = invoices
    due = float(overdue) - credits
    pay_by, handoff = letter_dates(customer, sent)
    return {
        "customer": {"id": _clean(customer["customer_id"]), "name": _clean(customer["customer_name"])},
        "creditor": dict(creditor), "brand": dict(brand), "currency": config.currency,
        "placeholders": {key: placeholder(key) for key in SENDER_DETAILS},
        "letter": {"key": letter, "date": _date(sent), "as_of": _date(as_of),
                   "pay_by": _date(pay_by) if pay_by is not None else None,
                   "handoff": handoff is not None,
                   "handoff_date": _date(handoff) if handoff is not None and agency else None,
                   "oldest": oldest_phrase(int(oldest), len(rows), as_of, sent)},
        "invoices": rows, "w": _words(len(rows)),
        "totals": {"overdue": money_text(float(overdue), cents=True), "credits": money_text(-credits, cents=True),
                   "due": money_text(due, cents=True),
                   "has_credits": credits > 0},
        "disputed": [_clean(d) for d in disputed],
        "accrued": None if not accrued or accrued[0] + accrued[1] <= 0 else {
            "interest": money_text(accrued[0], cents=True), "fixed": money_text(accrued[1], cents=True),
            "law": _clean(accrued[2])},
    }


def render_letters(worklist: pd.DataFrame, positions: pd.DataFrame, config: ClientConfig, as_of: Any,
                   out_dir: str | Path, *, templates_dir: str | Path = LETTERS_DIR,
                   letter_date: Any = None, owed: Any = None) -> list[Path]:
    """Render one HTML letter and one plain-text e-mail per customer at a letter step.

    Files: ``out_dir/<customer slug>/<as_of>_<letter>.html`` and ``.txt``; returns their paths
    (HTML then text, customers by priority). ``worklist`` is :func:`arassess.plan.worklist.build_worklist`
    and ``positions`` the positions table it came from (credit notes and disputed invoices are
    read from it), both at ``as_of``. ``letter_date`` (default ``as_of``) is the date on the letters
    and the start of their deadlines; ValueError when it is before ``as_of``. ``owed``: the
    :class:`arassess.legal.entitlement.Entitlement` at ``as_of`` when the client's terms charge
    late-payment interest (``legal.charges_interest``): final notices then state what accrued. Raises
    FileExistsError, before writing anything, when a target exists.
    """
    t = pd.Timestamp(as_of).normalize()
    sent = t if letter_date is None else pd.Timestamp(letter_date).normalize()
    if sent < t:
        raise ArgumentError(f"letter_date {sent:%Y-%m-%d} is before the assessment date {t:%Y-%m-%d}; "
                         "letters are sent on or after it.")
    customers = customer_worklist(worklist)
    customers = customers[customers["letter"].notna()]
    if not len(customers):
        return []
    env = letter_environment(templates_dir)
    brand, creditor, agency = _brand(config), _creditor(config), agency_in_place(config)
    work = worklist[~worklist["disputed"] & (worklist["days_past_due"] > 0)]
    work.attrs = {}  # no metadata copied into every slice
    # every letter's lines at once: grouped by customer, each group oldest first
    work = work.sort_values(["customer_id", "days_past_due", "due_date", "invoice_id"],
                            ascending=[True, False, True, True], ignore_index=True)
    lines = format_rows(work)
    ids = work["customer_id"].astype(str).to_numpy()
    starts = np.flatnonzero(np.concatenate([[True], ids[1:] != ids[:-1]])) if len(ids) else np.zeros(0, np.int64)
    ends = np.append(starts[1:], len(ids))
    amounts = work["open_amount"].to_numpy(dtype=float)
    oldest_days = work["days_past_due"].to_numpy(dtype=np.int64)
    group = {ids[a]: (a, b) for a, b in zip(starts, ends)}
    credit_rows = positions[positions["open_amount"] < 0]
    credits = (-credit_rows.groupby("customer_id")["open_amount"].sum()).to_dict()
    disputed_rows = positions[positions["disputed"].astype(bool) & (positions["open_amount"] > 0)] \
        if "disputed" in positions else positions.iloc[:0]
    disputed = disputed_rows.sort_values("invoice_id").groupby("customer_id")["invoice_id"].agg(list).to_dict()

    jobs: list[tuple[Path, str]] = []
    for customer in customers.to_dict("records"):
        cid = customer["customer_id"]
        span = group.get(str(cid))
        credit = round(float(credits.get(cid, 0.0)), 2)
        if span is None:
            continue
        a, b = span
        overdue = float(amounts[a:b].sum())
        if overdue - credit <= 0:
            continue
        context = letter_context(customer, lines[a:b], credit, [str(d) for d in disputed.get(cid, [])],
                                 config, t, brand, creditor, letter_date=sent, agency=agency,
                                 overdue=overdue, oldest=int(oldest_days[a]),
                                 accrued=(*owed.accrued_for(cid), owed.regime.law)
                                 if owed is not None and customer["letter"] == "final_notice" else None)
        folder = Path(out_dir) / customer_slug(cid)
        stem = f"{t:%Y-%m-%d}_{customer['letter']}"
        for suffix in ("html", "txt"):
            text = env.get_template(f"{customer['letter']}.{suffix}.j2").render(context)
            jobs.append((folder / f"{stem}.{suffix}", text))
    existing = [str(path) for path, _ in jobs if path.exists()]
    if existing:
        raise OverwriteError(f"{len(existing)} letter file(s) already exist, e.g. {existing[0]}; letters are never "
                              "written over earlier ones. Render into a new folder.")
    written: list[Path] = []
    for path, text in jobs:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
        written.append(path)
    return written
