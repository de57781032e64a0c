"""Loading a client folder: files → typed, validated :class:`~arassess.ledger.model.Ledger`.

The pipeline, each step collecting problems instead of stopping at the first:

1. read each file (:func:`arassess.inputs.parsing.read_file`): missing/empty file and
   missing required columns stop the load at once (nothing can be checked);
2. type every column (dates, amounts, booleans) with the file's formats;
3. validate typed rows with the declared pandera schema (lazy: every failure);
4. cross-file rules (payments against invoices) and currency conversion;
5. control totals; stop if a file's rejected share exceeds the configured limit.

Input files are only read, never written.
"""

from __future__ import annotations

import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from arassess.config.client import ClientConfig, load_config
from arassess.display.format import money_text
from arassess.errors import InputError, RejectionLimitError
from arassess.inputs.parsing import RawFile, read_file, type_columns
from arassess.inputs.validation import check_currencies, empty_problems, payment_problems, schema_problems
from arassess.ledger.keys import codes, customer_codes, first_positions
from arassess.ledger.model import Ledger
from arassess.ledger.quality import FileTotals, QualityReport, summarize_problems

MONEY_COLUMNS = {"invoices": ("amount", "written_off_amount", "open_amount"), "payments": ("amount",)}


STALE_DAYS = 365  # an as-of date this long after the last invoice gets a warning


INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))  # zero-width and soft hyphen
# Cyrillic and Greek capitals (and the dashes) drawn like Latin letters and the hyphen: an id typed
# on a Russian or Greek keyboard layout looks the same and is another string. The usual look-alikes
# of Unicode's confusables list for these scripts; lower case follows from casefold().
LOOKALIKE = str.maketrans({
    **dict(zip("АВЕЅІЈКМНОРСТХУ", "ABESIJKMHOPCTXY")),      # Cyrillic
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX")),        # Greek
    **dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212"), "-"),  # hyphens, dashes, minus
})


def lookalike_note(ids: pd.Series, label: str) -> str | None:
    """A note when distinct invoice ids become equal once case, Unicode compatibility forms (NFKC:
    full-width letters, ligatures), invisible characters and look-alike letters (LOOKALIKE: Cyrillic
    or Greek for Latin, dashes for the hyphen) are set aside, e.g. 'INV-7', 'inv-7' and 'INV–7' with
    a Cyrillic 'І' — likely the same invoice keyed twice. Cheap at 1M ids when the ids are ASCII in one case (the
    usual export): a few Arrow passes; otherwise one hash of the folded ids, and the Unicode work
    only for the ids that are not ASCII."""
    text = pa.array(ids, type=pa.string(), from_pandas=True)
    folded = pc.utf8_lower(text)
    odd = ~np.asarray(pc.string_is_ascii(text).to_numpy(zero_copy_only=False), dtype=bool)
    has_lower = pc.any(pc.not_equal(pc.utf8_upper(text), text)).as_py()   # some id holds a lower-case letter
    has_upper = pc.any(pc.not_equal(folded, text)).as_py()                  # some id holds an upper-case one
    if not odd.any() and not (has_lower and has_upper):
        return None  # ASCII ids all in one case (the usual export): no two can differ only in case
    keys = pd.Series(folded.to_numpy(zero_copy_only=False), index=ids.index, dtype=object)
    if odd.any():
        keys[odd] = [unicodedata.normalize("NFKC", v).translate(INVISIBLE).upper().translate(LOOKALIKE).casefold()
                     for v in ids[odd].astype(str)]
    if keys.nunique() == ids.nunique():
        return None
    groups = pd.DataFrame({"id": ids.astype(str), "key": keys}).drop_duplicates()
    clash = groups[groups.duplicated("key", keep=False)].sort_values("key")
    example = " and ".join(repr(v) for v in clash["id"].head(2))
    return (f"{label}: {clash['key'].nunique():,} invoice id(s) differ from another only in case, width, "
            f"invisible or look-alike characters (e.g. {example}): likely the same invoice keyed twice; "
            "check the export.")


def as_of_notes(invoices: pd.DataFrame, shape: str, as_of: pd.Timestamp | None, currency: str) -> list[str]:
    """Warnings about an as-of date the data contradicts (each starts "WARNING:"):

    - an open-items export with items dated after as_of: an open-item list shows nothing issued
      after the day it was taken, so as_of is almost certainly wrong, and those items are left out
      of every figure;
    - as_of before the first invoice: there is nothing to assess at that date;
    - as_of more than a year after the last invoice: the figures describe a book with no activity.
    """
    if as_of is None or invoices.empty:
        return []
    dates = invoices["invoice_date"]
    first, last = dates.min(), dates.max()
    notes = []
    later = dates > as_of
    if shape == "open_items" and later.any():
        amount = float(invoices.loc[later, "amount"].sum()) if "amount" in invoices else float("nan")
        written = "" if amount != amount else f", {money_text(amount, currency)}"
        notes.append(f"WARNING: {int(later.sum()):,} of {len(dates):,} open items{written} are dated after the "
                     f"as-of date {as_of:%Y-%m-%d} (the latest on {last:%Y-%m-%d}) and are left out of every "
                     "figure. An open-item list shows nothing issued after the day it was taken, so as_of in "
                     "client.yaml is probably wrong: set it to that day.")
    if as_of < first:
        notes.append(f"WARNING: the as-of date {as_of:%Y-%m-%d} is before the first invoice ({first:%Y-%m-%d}): "
                     "there is nothing to assess at that date.")
    elif as_of > last + pd.Timedelta(days=STALE_DAYS):
        notes.append(f"WARNING: the as-of date {as_of:%Y-%m-%d} is more than a year after the last invoice "
                     f"({last:%Y-%m-%d}): the figures describe a book with no recent activity.")
    return notes


def _totals(label: str, typed: pd.DataFrame, rejected: pd.Series, amount_column: str | None) -> FileTotals:
    read = typed[amount_column] if amount_column else pd.Series(0.0, index=typed.index)
    amount = read.fillna(0.0)  # an unreadable amount is unknown: counted apart, not summed as 0
    return FileTotals(
        file=label,
        rows_read=len(typed),
        rows_accepted=int((~rejected).sum()),
        rows_rejected=int(rejected.sum()),
        amount_read=float(amount.sum()),
        amount_accepted=float(amount[~rejected].sum()),
        amount_rejected=float(amount[rejected].sum()),
        amounts_unreadable=int(read.isna().sum()),
    )


def _rejected_mask(typed: pd.DataFrame, problems: pd.DataFrame, raw: RawFile) -> pd.Series:
    bad_rows = set(problems["row"].astype(np.int64)) if not problems.empty else set()
    return pd.Series(np.isin(raw.file_rows(typed.index), list(bad_rows)), index=typed.index)


def _rejected_rows(raw: RawFile, rejected: pd.Series, problems: pd.DataFrame) -> pd.DataFrame:
    """The rejected rows as read from the file (export column names), with row number and problems."""
    mask = rejected.to_numpy(dtype=bool)
    rows = raw.as_read(mask)
    numbers = raw.file_rows(np.flatnonzero(mask))
    reasons = (problems.assign(text=problems["column"].astype(str) + ": " + problems["problem"].astype(str))
               .groupby("row")["text"].agg("; ".join))
    return rows.assign(row=numbers, problems=pd.Series(numbers, index=rows.index).map(reasons).to_numpy())[
        ["row", "problems", *rows.columns]]


def _arrow_text(values: pd.Series) -> pa.ChunkedArray | pa.Array:
    """A pandas string column as Arrow strings (missing stays missing)."""
    return pa.array(values.array, type=pa.string(), from_pandas=True) if len(values) else pa.array([], pa.string())


def _filled(frame: pd.DataFrame, reporting: str) -> pa.Array | pa.ChunkedArray:
    """Each row's currency as Arrow strings, the reporting currency where the file gives none."""
    if "currency" not in frame:
        return pa.array([reporting] * len(frame), pa.string())
    return pc.fill_null(_arrow_text(frame["currency"]), reporting)


def currency_rates(currency: pa.Array | pa.ChunkedArray, rates: dict[str, float], reporting: str) -> np.ndarray:
    """Units of the reporting currency per unit of each row's currency, looked up once per code."""
    code, distinct = codes(currency)
    per_code = np.array([rates.get(c, np.nan) for c in distinct.to_pylist()] + [rates.get(reporting, 1.0)],
                        dtype=float)
    return per_code[np.where(code >= 0, code, len(per_code) - 1)]


def _convert(frame: pd.DataFrame, kind: str, rate: np.ndarray, currency: pa.Array | pa.ChunkedArray) -> pd.DataFrame:
    """Amounts into the reporting currency (× ``rate``); the file's amount is kept as amount_original
    and each row's currency (the reporting one filled in) as currency."""
    changed = {"currency": currency.to_pandas() if len(frame) else pd.Series([], dtype="str"),
               "amount_original": frame["amount"].to_numpy()}
    for column in MONEY_COLUMNS[kind]:
        if column in frame:
            changed[column] = frame[column].to_numpy(dtype=float) * rate
    return frame.assign(**changed)


def only_open_amount(kind: str, typed: pd.DataFrame) -> bool:
    """True for an invoices file with an open amount and no invoice amount (an ERP aging export)."""
    return kind == "invoices" and "amount" not in typed and "open_amount" in typed


def _typed(raw: RawFile) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed frame and every problem: parse problems, then the schema's on all rows
    (except a second report for a cell that could not be read at all)."""
    typed, problems = type_columns(raw)
    names, shown = raw.export_names, raw.shown
    if only_open_amount(raw.spec.kind, typed):
        # an open-items export with the open amount alone: it stands in for the invoice amount, and
        # the amount's rules are reported on the open amount's column
        typed["amount"] = typed["open_amount"]
        names = {**names, "amount": names["open_amount"]}

        def shown(column: str, positions: np.ndarray) -> np.ndarray:
            return raw.shown("open_amount" if column == "amount" else column, positions)
    checked = schema_problems(raw.spec.kind, typed, raw.label, raw.file_rows, names, shown)
    if checked.empty:
        return typed, problems
    unreadable = pd.MultiIndex.from_frame(problems[["row", "column"]]) if not problems.empty else None
    if unreadable is not None:
        checked = checked[~pd.MultiIndex.from_frame(checked[["row", "column"]]).isin(unreadable)]
    found = pd.concat([problems, checked], ignore_index=True)
    return typed, found.sort_values("row", kind="stable", ignore_index=True)


READ_THREADS = 2  # files read and typed at once


def _read_all(config: ClientConfig) -> tuple[dict[str, RawFile], dict[str, tuple[pd.DataFrame, pd.DataFrame]],
                                              np.ndarray | None]:
    """Read and type every file side by side (Arrow's kernels release the GIL), and match each
    payment to its invoice row while the invoices are being typed. A problem with a file is raised
    in the order of the files, as a sequential read would."""
    raws: dict[str, RawFile] = {}
    typed: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
        reading = {kind: pool.submit(read_file, spec, allow_no_rows=kind != "invoices")
                   for kind, spec in config.files.items()}
        for kind, future in reading.items():
            raws[kind] = future.result()
        typing = {kind: pool.submit(_typed, raw) for kind, raw in raws.items()}
        matching = (pool.submit(first_positions, raws["payments"].text("invoice_id"), raws["invoices"].text("invoice_id"))
                    if "payments" in raws else None)
        for kind, future in typing.items():
            typed[kind] = future.result()
        positions = matching.result() if matching is not None else None
    for raw in raws.values():
        raw.release_text()  # the stripped copies served the typing; the typed frames hold what is needed
    return raws, typed, positions


def load_ledger(config: ClientConfig, *, max_rejected_share: float | None = None) -> Ledger:
    """Load and validate the files named in ``config`` into a :class:`Ledger`."""
    limit = config.max_rejected_share if max_rejected_share is None else max_rejected_share
    notes: list[str] = []
    raws, typed_files, positions = _read_all(config)
    for kind, raw in raws.items():
        if not len(raw):
            notes.append(f"{raw.label} has a header but no rows: no {kind}.")
    for kind in ("payments", "customers"):
        if kind not in config.files:
            notes.append(f"{kind}: no file given in client.yaml.")
    for raw in raws.values():
        if raw.extra_columns:
            notes.append(f"{raw.label}: extra columns kept but not used: {', '.join(raw.extra_columns)}.")

    inv_raw = raws["invoices"]
    invoices, inv_problems = typed_files["invoices"]
    inv_rejected = _rejected_mask(invoices, inv_problems, inv_raw)
    reporting, rates = config.currency, dict(config.fx_rates)
    inv_currency = _filled(invoices, reporting)
    if "currency" in invoices:
        check_currencies(inv_currency.filter(pa.array(~inv_rejected.to_numpy())), rates, reporting, inv_raw.label)
    inv_rate = currency_rates(inv_currency, rates, reporting)

    tables: dict[str, tuple[RawFile, pd.DataFrame, pd.DataFrame, pd.Series]] = {
        "invoices": (inv_raw, invoices, inv_problems, inv_rejected)}
    pay_currency = pay_rate = None
    if "payments" in raws:
        pay_raw = raws["payments"]
        payments, pay_problems = typed_files["payments"]
        pay_bad = _rejected_mask(payments, pay_problems, pay_raw)
        # payments are compared with their invoice in the reporting currency; a payment without a
        # currency is in its invoice's
        pos = positions
        of_invoice = pc.if_else(pa.array(pos >= 0), inv_currency.take(pa.array(np.maximum(pos, 0))), reporting) \
            if len(inv_currency) else pa.array([reporting] * len(pos), pa.string())
        pay_currency = pc.coalesce(_arrow_text(payments["currency"]), of_invoice) if "currency" in payments \
            else of_invoice
        good = ~pay_bad.to_numpy()
        check_currencies(pay_currency.filter(pa.array(good)), rates, reporting, pay_raw.label)
        pay_rate = currency_rates(pay_currency, rates, reporting)
        cross = payment_problems(
            payments.loc[good, ["invoice_id", "payment_date"]].assign(amount=payments["amount"].to_numpy()[good]
                                                                      * pay_rate[good]),
            invoices[["invoice_id", "invoice_date"]].assign(amount=invoices["amount"].to_numpy() * inv_rate),
            ~inv_rejected.to_numpy(), pay_raw.label, inv_raw.label, pay_raw.file_rows, inv_raw.file_rows,
            pay_raw.export_names, positions=pos[good])
        pay_problems = pd.concat([pay_problems, cross], ignore_index=True) if not cross.empty else pay_problems
        tables["payments"] = (pay_raw, payments, pay_problems, _rejected_mask(payments, pay_problems, pay_raw))
    if "customers" in raws:
        cus_raw = raws["customers"]
        customers, cus_problems = typed_files["customers"]
        tables["customers"] = (cus_raw, customers, cus_problems, _rejected_mask(customers, cus_problems, cus_raw))

    totals, problems, rejected_rows = [], [], {}
    for kind, (raw, typed, found, rejected) in tables.items():
        totals.append(_totals(raw.label, typed, rejected, "amount" if kind != "customers" else None))
        problems.append(found)
        if rejected.any():
            rejected_rows[raw.label] = _rejected_rows(raw, rejected, found)
    labels = {kind: raw.label for kind, raw in raws.items()}
    tables = {kind: (None, typed, found, rejected) for kind, (_, typed, found, rejected) in tables.items()}
    # the text as read is no longer needed: free it before the typed tables are copied
    invoices_path = inv_raw.spec.path
    open_column = inv_raw.export_names["open_amount"] if "amount" not in inv_raw.export_names else None
    del raws, inv_raw
    pay_raw = cus_raw = None  # noqa: F841 - released
    all_problems = pd.concat([p for p in problems if not p.empty] or [empty_problems()], ignore_index=True)
    all_problems["row"] = all_problems["row"].astype(np.int64)

    shape = config.shape
    if shape == "auto":
        shape = "ledger" if ("paid_date" in invoices or "payments" in tables) else "open_items"
        notes.append(f"input shape detected: {'full ledger' if shape == 'ledger' else 'open-items export'}.")
    if open_column:  # the open amount stands in for the invoice amount
        if shape == "ledger":
            raise InputError(f"{invoices_path}: the file has an open amount ({open_column!r}) "
                             "but no invoice amount. A full ledger needs each invoice's amount (map it to 'amount' "
                             "under columns.invoices in client.yaml); an export of open items only is read with "
                             "shape: open_items.")
        notes.append(f"{invoices_path.name} gives each item's open amount ({open_column!r}) but no "
                     "invoice amount: the open amount stands in for it, so original invoice amounts and part-payments "
                     "are unknown (every figure here uses open balances only).")
    if shape == "open_items" and config.as_of is None:
        raise InputError(f"{config.root / 'client.yaml'}: an open-items export needs 'as_of' "
                         "(the date the open-item list was taken).")

    accepted = invoices.loc[~inv_rejected.to_numpy(), [c for c in ("invoice_id", "invoice_date", "amount")
                                                       if c in invoices]]
    lookalike = lookalike_note(accepted["invoice_id"], labels["invoices"])
    if lookalike:
        notes.append(lookalike)
    report = QualityReport(totals=tuple(totals), problems=all_problems, notes=tuple(notes),
                           rejected=rejected_rows)
    over = [t for t in totals if t.rejected_share > limit]
    if over:
        worst = ", ".join(f"{t.file}: {t.rows_rejected:,} of {t.rows_read:,} rows ({t.rejected_share:.1%})"
                          for t in over)
        raise RejectionLimitError(
            f"Too many rows rejected ({worst}; the limit is {limit:.0%}). The data probably needs a different "
            f"column mapping or date/decimal format in client.yaml. First problems:\n"
            f"{summarize_problems(all_problems, limit=10)}\n"
            "Run `arassess validate CLIENT_DIR --export problems.csv` for the full list.",
            report,
        )

    keep = ~inv_rejected.to_numpy()
    inv_ok = _convert(invoices, "invoices", inv_rate, inv_currency)[keep].reset_index(drop=True)
    for flag in ("disputed", "is_credit_note"):
        if flag in inv_ok:
            inv_ok[flag] = inv_ok[flag].fillna(False).astype(bool)

    payment_invoice = None
    if "payments" in tables:
        _, payments, _, pay_rejected = tables["payments"]
        good = ~pay_rejected.to_numpy()
        pay_ok = _convert(payments, "payments", pay_rate, pay_currency)[good].reset_index(drop=True)
        # every accepted payment's invoice is accepted: its position among the accepted invoices
        payment_invoice = (np.cumsum(keep) - 1)[positions[good]]
    else:
        pay_ok = pd.DataFrame({"invoice_id": pd.Series(dtype=str),
                               "payment_date": pd.Series(dtype="datetime64[us]"),
                               "amount": pd.Series(dtype=float)})

    customers_ok = None
    if "customers" in tables:
        _, customers, _, cus_rejected = tables["customers"]
        customers_ok = customers[~cus_rejected].reset_index(drop=True)
        unknown = pd.Series(first_positions(inv_ok["customer_id"], customers_ok["customer_id"]) < 0)
        if unknown.any():
            report = QualityReport(report.totals, report.problems, report.notes + (
                f"{inv_ok.loc[unknown, 'customer_id'].nunique():,} customer id(s) in {labels['invoices']} are not in "
                f"{labels['customers']}; their segment is shown as 'Unknown'.",), report.rejected)

    as_of = pd.Timestamp(config.as_of) if config.as_of else None
    warnings = as_of_notes(inv_ok, shape, as_of, config.currency)  # amounts in the reporting currency
    if warnings:
        report = QualityReport(report.totals, report.problems, report.notes + tuple(warnings), report.rejected)
    pa.default_memory_pool().release_unused()  # hand the reading's transient buffers back to the system
    return Ledger(
        invoices=inv_ok,
        payments=pay_ok,
        customers=customers_ok,
        shape=shape,  # type: ignore[arg-type]
        currency=config.currency,
        as_of=as_of,
        quality=report,
        name=config.name,
        payment_invoice=payment_invoice,
        customer_codes=customer_codes(inv_ok),
    )


def load_client(client_dir: str | Path, *, max_rejected_share: float | None = None) -> Ledger:
    """Read ``client.yaml`` in ``client_dir`` and load its files into a validated :class:`Ledger`."""
    return load_ledger(load_config(client_dir), max_rejected_share=max_rejected_share)



def ledger_from_frames(invoices: pd.DataFrame, payments: pd.DataFrame | None = None,
                       customers: pd.DataFrame | None = None, *, currency: str = "EUR",
                       as_of: str | pd.Timestamp | None = None, shape: str = "ledger",
                       name: str = "") -> Ledger:
    """A :class:`Ledger` from canonical, already typed frames (tests, benchmarks, notebooks).

    The same schema and cross-file rules as a file load apply; any problem
    raises :class:`InputError` listing them (rows numbered as in a CSV export).
    Amounts are taken to be in ``currency``. The frames are not modified.
    """
    if shape == "open_items" and as_of is None:
        raise InputError("An open-items ledger needs as_of: the date the open-item list was taken.")

    def rows(index: pd.Index) -> np.ndarray:
        return np.asarray(index, dtype=np.int64) + 2

    inv = invoices.reset_index(drop=True).copy()
    for column in ("invoice_date", "due_date", "paid_date", "written_off_date", "dispute_date",
                   "dispute_resolved_date"):
        if column in inv:
            inv[column] = pd.to_datetime(inv[column])
    inv["amount"] = inv["amount"].astype(float)
    names = {c: c for c in inv.columns}
    found = [schema_problems("invoices", inv, "invoices", rows, names)]
    pay = payments.reset_index(drop=True).copy() if payments is not None else pd.DataFrame(
        {"invoice_id": pd.Series(dtype=str), "payment_date": pd.Series(dtype="datetime64[us]"),
         "amount": pd.Series(dtype=float)})
    pay["payment_date"] = pd.to_datetime(pay["payment_date"])
    pay["amount"] = pay["amount"].astype(float)
    if len(pay):
        found.append(schema_problems("payments", pay, "payments", rows, {c: c for c in pay.columns}))
        found.append(payment_problems(pay, inv, np.ones(len(inv), dtype=bool), "payments", "invoices",
                                      rows, rows, {c: c for c in pay.columns}))
    problems = pd.concat([f for f in found if not f.empty] or [empty_problems()], ignore_index=True)
    if not problems.empty:
        raise InputError("The ledger has invalid rows:\n" + summarize_problems(problems))
    for flag in ("disputed", "is_credit_note"):
        if flag in inv:
            inv[flag] = inv[flag].fillna(False).astype(bool)
    inv["currency"], inv["amount_original"] = currency, inv["amount"]
    totals = (_totals("invoices", inv, pd.Series(False, index=inv.index), "amount"),)
    return Ledger(invoices=inv, payments=pay, customers=customers, shape=shape,  # type: ignore[arg-type]
                  payment_invoice=first_positions(pay["invoice_id"], inv["invoice_id"]) if len(pay) else None,
                  customer_codes=customer_codes(inv), currency=currency, as_of=pd.Timestamp(as_of) if as_of is not None else None,
                  quality=QualityReport(totals=totals), name=name)
