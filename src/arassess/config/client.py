"""Client folder configuration: ``client.yaml``.

A client folder holds ``client.yaml`` and the data files it names. The layout
of ``client.yaml`` (every key but ``name`` and ``currency`` is optional)::

    name: Voltline Components GmbH
    currency: EUR                 # reporting currency (ISO 4217)
    as_of: 2026-10-31             # default assessment date
    shape: auto                   # ledger | open_items | auto
    formats:                      # defaults for every file below
      date_format: "%Y-%m-%d"     # strftime codes; "auto" lets pandas guess (ISO first)
      decimal: "."
      thousands: ""
      delimiter: ","
      encoding: utf-8
      header_row: 1               # the row holding the column names (title rows above it skipped)
    files:
      invoices: invoices.csv      # a path, or a mapping with path + overrides:
      payments:
        path: payments.xlsx
        sheet: 0
        date_format: "%d/%m/%Y"
        columns: {PayDate: payment_date, Ref: invoice_id, Paid: amount}
    columns:                      # export column -> canonical name, per file
      invoices: {invoiceNumber: invoice_id, customerID: customer_id}
    fx:
      rates: {USD: 0.92}          # 1 unit of USD = 0.92 units of the reporting currency
    validation:
      max_rejected_share: 0.05    # stop the load when more rows are rejected
    kpis:
      window_days: 90
      aging_edges: [0, 30, 60, 90, 120]
    questionnaire: {...}          # process maturity answers (templates/questionnaire.yaml)
    costs: {...}                  # cost-model assumptions
    goals: {...}                  # goal overrides
    branding: {...}               # report branding (logo: a file in the client folder)
    shared_folder: /srv/exports   # optional: data files may also come from this folder
    escalation:                   # dunning ladder and letter details (arassess.config.escalation)
      steps: {firm_reminder: 20, final_notice: 60}   # offsets in days from the due date; null drops a step
      notice_days: 14             # final notice this many days before the agency hand-off
      letters: {contact: ..., email: ..., phone: ..., address: ..., payment_details: ...,
                agency_in_place: false}   # true: final notices name the date a claim may be placed
    risk: {threshold_days: 30, high_from: 0.5}   # late-payment risk model (arassess.config.risk)
    forecast: {include_new_sales: false}   # add receipts from invoices not yet issued (arassess.forecast.newsales)
    legal: {regime: eu, charges_interest: false}   # late-payment law: eu | uk | contract | none (arassess.config.legal)
    industry: distribution_wholesale   # picks the published benchmarks (templates/benchmarks.yaml)
    region: western_europe
    preset: construction          # industry defaults beneath these settings (templates/presets.yaml)

The parsed result is a frozen :class:`ClientConfig`; nothing here reads data files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping

from arassess.config.benchmarks import check_choice
from arassess.config.escalation import parse_escalation
from arassess.config.legal import LegalSettings, legal_settings
from arassess.config.presets import PresetUse, apply_preset
from arassess.config.risk import RiskSettings, risk_settings
from arassess.config.yamlfile import read_yaml
from arassess.errors import ConfigError, check_keys
from arassess.ledger.columns import COLUMNS

CONFIG_FILE = "client.yaml"
DATA_FILES = ("invoices", "payments", "customers")
SHAPES = ("auto", "ledger", "open_items")
DEFAULT_DATE_FORMAT = "%Y-%m-%d"
DEFAULT_MAX_REJECTED_SHARE = 0.05
DEFAULT_WINDOW_DAYS = 90
DEFAULT_AGING_EDGES: tuple[int, ...] = (0, 30, 60, 90, 120)

Shape = Literal["auto", "ledger", "open_items"]


MAX_HEADER_ROW = 50  # title rows above the column names: a few, never pages


@dataclass(frozen=True)
class FileSpec:
    """How to read one data file: where it is and how its export is shaped."""

    kind: str
    path: Path
    columns: Mapping[str, str] = field(default_factory=dict)
    date_format: str = DEFAULT_DATE_FORMAT
    decimal: str = "."
    thousands: str = ""
    delimiter: str = ","
    encoding: str = "utf-8"
    sheet: int | str = 0
    header_row: int = 1  # the row holding the column names (title rows above it are skipped)


@dataclass(frozen=True)
class ClientConfig:
    """A validated ``client.yaml`` (see the module docstring for its layout)."""

    root: Path
    name: str
    currency: str
    as_of: dt.date | None
    shape: Shape
    files: Mapping[str, FileSpec]
    fx_rates: Mapping[str, float]
    max_rejected_share: float
    window_days: int
    aging_edges: tuple[int, ...]
    questionnaire: Mapping[str, Any] = field(default_factory=dict)
    costs: Mapping[str, Any] = field(default_factory=dict)
    goals: Mapping[str, Any] = field(default_factory=dict)
    branding: Mapping[str, Any] = field(default_factory=dict)
    escalation: Mapping[str, Any] = field(default_factory=dict)
    risk: RiskSettings = field(default_factory=RiskSettings)
    include_new_sales: bool = False  # forecast.include_new_sales: add receipts from invoices not yet issued
    legal: LegalSettings = field(default_factory=LegalSettings)  # late-payment law (arassess.config.legal)
    industry: str | None = None   # from templates/benchmarks.yaml: picks the published benchmarks
    region: str | None = None
    preset: PresetUse | None = None  # the industry preset laid beneath these settings, and what it set

    @property
    def slug(self) -> str:
        """The client folder's name, used for run folders and file names."""
        return self.root.name


def _where(path: Path, key: str) -> str:
    return f"{path}: '{key}'"


def _as_mapping(value: Any, path: Path, key: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{_where(path, key)} must be a mapping of keys to values, got {value!r}.")
    return dict(value)


def _as_date(value: Any, path: Path, key: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(
            f"{_where(path, key)} must be a date written as YYYY-MM-DD, got {value!r}."
        ) from None


TOP_LEVEL_KEYS = ("name", "currency", "as_of", "shape", "formats", "files", "columns", "fx", "validation",
                  "kpis", "questionnaire", "costs", "goals", "branding", "escalation", "risk", "shared_folder",
                  "forecast", "legal", "industry", "region", "preset")
SECTION_KEYS = {
    "formats": ("date_format", "decimal", "thousands", "delimiter", "encoding", "sheet", "header_row"),
    "fx": ("rates",),
    "validation": ("max_rejected_share",),
    "kpis": ("window_days", "aging_edges"),
    "forecast": ("include_new_sales",),
}


def _as_number(value: Any, path: Path, key: str, *, lo: float, hi: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{_where(path, key)} must be a number, got {value!r}.") from None
    if not lo <= number <= hi:
        raise ConfigError(f"{_where(path, key)} must be between {lo} and {hi}, got {number}.")
    return number


def confined(root: Path, given: Any, setting: str, cfg_path: Path, shared: Path | None = None) -> Path:
    """``given`` (relative to the client folder, or absolute) as a path, checked to stay inside the
    client folder ``root`` — or inside ``shared`` (client.yaml ``shared_folder``) when set. A path
    that leaves them (``../``, an absolute path elsewhere, a link pointing out) is a ConfigError that
    names the setting; the file is never opened, so nothing of it is echoed."""
    path = Path(str(given))
    full = path if path.is_absolute() else root / path
    resolved = full.resolve()
    allowed = [root.resolve()] + ([shared.resolve()] if shared is not None else [])
    if not any(resolved.is_relative_to(folder) for folder in allowed):
        where = f"the client folder {root}" + (f" or the shared folder {shared}" if shared is not None else "")
        raise ConfigError(f"{_where(cfg_path, setting)} must name a file inside {where}, got {str(given)!r}. "
                          "Copy the file into the client folder, or name the folder it is in under "
                          "'shared_folder:' in client.yaml.")
    return full


def _file_spec(kind: str, raw: Any, defaults: Mapping[str, Any], columns: Mapping[str, Any],
               root: Path, cfg_path: Path, shared: Path | None = None) -> FileSpec:
    spec = {"path": raw} if isinstance(raw, (str, Path)) else _as_mapping(raw, cfg_path, f"files.{kind}")
    if "path" not in spec or not spec["path"]:
        raise ConfigError(f"{_where(cfg_path, f'files.{kind}')} needs a 'path' (the file name in the client folder).")
    merged = {**defaults, **{k: v for k, v in spec.items() if k != "columns"}}
    known = {"path", "date_format", "decimal", "thousands", "delimiter", "encoding", "sheet", "header_row"}
    unknown = sorted(set(merged) - known)
    if unknown:
        raise ConfigError(
            f"{_where(cfg_path, f'files.{kind}')} has unknown settings {unknown}; "
            f"valid ones are {sorted(known | {'columns'})}."
        )
    mapping = {**_as_mapping(columns.get(kind), cfg_path, f"columns.{kind}"),
               **_as_mapping(spec.get("columns"), cfg_path, f"files.{kind}.columns")}
    canonical_names = [c.name for c in COLUMNS[kind]]
    for export_name, canonical in mapping.items():
        if canonical not in canonical_names:
            raise ConfigError(
                f"{_where(cfg_path, f'columns.{kind}.{export_name}')} maps to {canonical!r}, which is not a "
                f"column arassess knows for {kind}; valid names are {canonical_names}. "
                "Columns that are not mapped are kept as extra columns anyway."
            )
    decimal = str(merged.get("decimal", "."))
    thousands = "" if merged.get("thousands") in (None, "") else str(merged["thousands"])
    if decimal not in (".", ","):
        raise ConfigError(f"{_where(cfg_path, f'files.{kind}.decimal')} must be '.' or ',', got {decimal!r}.")
    if thousands and thousands == decimal:
        raise ConfigError(f"{_where(cfg_path, f'files.{kind}')}: 'thousands' and 'decimal' must differ.")
    header_row = merged.get("header_row", 1)
    if isinstance(header_row, bool) or not isinstance(header_row, int) or not 1 <= header_row <= MAX_HEADER_ROW:
        raise ConfigError(f"{_where(cfg_path, f'files.{kind}.header_row')} must be the row number of the column "
                          f"names, a whole number from 1 to {MAX_HEADER_ROW}; got {header_row!r}.")
    path = confined(root, merged["path"], f"files.{kind}", cfg_path, shared)
    return FileSpec(
        kind=kind,
        path=path,
        columns={str(k): str(v) for k, v in mapping.items()},
        date_format=str(merged.get("date_format", DEFAULT_DATE_FORMAT)),
        decimal=decimal,
        thousands=thousands,
        delimiter=str(merged.get("delimiter", ",")),
        encoding=str(merged.get("encoding", "utf-8")),
        sheet=merged.get("sheet", 0),
        header_row=header_row,
    )


def load_config(client_dir: str | Path) -> ClientConfig:
    """Read and validate ``CLIENT_DIR/client.yaml``; raise :class:`ConfigError` on any problem."""
    root = Path(client_dir)
    if not root.is_dir():
        raise ConfigError(f"Client folder {root} does not exist (expected a folder holding {CONFIG_FILE}).")
    cfg_path = root / CONFIG_FILE
    if not cfg_path.is_file():
        raise ConfigError(
            f"{cfg_path} is missing. Copy templates/client/{CONFIG_FILE} into the client folder and fill it in."
        )
    raw = read_yaml(cfg_path) or {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{cfg_path} must be a mapping of settings (name: ..., currency: ...).")

    check_keys(raw, TOP_LEVEL_KEYS, cfg_path, "")
    raw, preset = apply_preset(raw, str(cfg_path))
    for section, keys in SECTION_KEYS.items():
        if isinstance(raw.get(section), Mapping):
            check_keys(raw[section], keys, cfg_path, section)
    for key in ("name", "currency"):
        if not raw.get(key):
            raise ConfigError(f"{cfg_path} needs '{key}'.")
    currency = str(raw["currency"]).upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ConfigError(f"{_where(cfg_path, 'currency')} must be a 3-letter ISO code like EUR, got {raw['currency']!r}.")

    shape = str(raw.get("shape", "auto"))
    if shape not in SHAPES:
        raise ConfigError(f"{_where(cfg_path, 'shape')} must be one of {list(SHAPES)}, got {shape!r}.")

    formats = _as_mapping(raw.get("formats"), cfg_path, "formats")
    columns = _as_mapping(raw.get("columns"), cfg_path, "columns")
    files_raw = _as_mapping(raw.get("files"), cfg_path, "files")
    unknown_files = sorted(set(files_raw) - set(DATA_FILES))
    if unknown_files:
        raise ConfigError(f"{_where(cfg_path, 'files')} names unknown files {unknown_files}; valid ones are {list(DATA_FILES)}.")
    if "invoices" not in files_raw:
        files_raw["invoices"] = "invoices.csv"
    shared_raw = raw.get("shared_folder")
    shared = root / str(shared_raw) if isinstance(shared_raw, (str, Path)) and str(shared_raw) else None
    if shared_raw is not None and (shared is None or not shared.is_dir()):
        raise ConfigError(f"{_where(cfg_path, 'shared_folder')} must name an existing folder, got {shared_raw!r}.")
    files = {kind: _file_spec(kind, spec, formats, columns, root, cfg_path, shared) for kind, spec in files_raw.items()}
    branding = _as_mapping(raw.get("branding"), cfg_path, "branding")
    if branding.get("logo"):
        confined(root, branding["logo"], "branding.logo", cfg_path)

    fx = _as_mapping(raw.get("fx"), cfg_path, "fx")
    rates_raw = _as_mapping(fx.get("rates"), cfg_path, "fx.rates")
    rates = {str(c).upper(): _as_number(r, cfg_path, f"fx.rates.{c}", lo=1e-9, hi=1e9) for c, r in rates_raw.items()}
    rates[currency] = 1.0

    validation = _as_mapping(raw.get("validation"), cfg_path, "validation")
    share = _as_number(validation.get("max_rejected_share", DEFAULT_MAX_REJECTED_SHARE), cfg_path,
                       "validation.max_rejected_share", lo=0.0, hi=1.0)

    kpi_opts = _as_mapping(raw.get("kpis"), cfg_path, "kpis")
    window_raw = kpi_opts.get("window_days", DEFAULT_WINDOW_DAYS)
    if isinstance(window_raw, bool) or not isinstance(window_raw, int):
        raise ConfigError(f"{_where(cfg_path, 'kpis.window_days')} must be a whole number of days, got {window_raw!r}.")
    window = int(_as_number(window_raw, cfg_path, "kpis.window_days", lo=1, hi=3660))
    edges_raw = kpi_opts.get("aging_edges", list(DEFAULT_AGING_EDGES))
    if (not isinstance(edges_raw, list) or not edges_raw
            or not all(isinstance(e, int) and e >= 0 for e in edges_raw)
            or edges_raw != sorted(set(edges_raw)) or edges_raw[0] != 0):
        raise ConfigError(
            f"{_where(cfg_path, 'kpis.aging_edges')} must be increasing whole days starting at 0 "
            f"(e.g. [0, 30, 60, 90, 120]), got {edges_raw!r}."
        )

    forecast = _as_mapping(raw.get("forecast"), cfg_path, "forecast")
    new_sales = forecast.get("include_new_sales", False)
    if not isinstance(new_sales, bool):
        raise ConfigError(f"{_where(cfg_path, 'forecast.include_new_sales')} must be true or false, got {new_sales!r}.")

    return ClientConfig(
        root=root,
        name=str(raw["name"]),
        currency=currency,
        as_of=_as_date(raw.get("as_of"), cfg_path, "as_of"),
        shape=shape,  # type: ignore[arg-type]
        files=files,
        fx_rates=rates,
        max_rejected_share=share,
        window_days=window,
        aging_edges=tuple(edges_raw),
        questionnaire=_as_mapping(raw.get("questionnaire"), cfg_path, "questionnaire"),
        costs=_as_mapping(raw.get("costs"), cfg_path, "costs"),
        goals=_as_mapping(raw.get("goals"), cfg_path, "goals"),
        branding=branding,
        escalation=_escalation(raw.get("escalation"), cfg_path),
        risk=risk_settings(_as_mapping(raw.get("risk"), cfg_path, "risk"), str(cfg_path)),
        include_new_sales=new_sales,
        legal=legal_settings(_as_mapping(raw.get("legal"), cfg_path, "legal"), str(cfg_path)),
        industry=check_choice(raw.get("industry"), "industry", str(cfg_path)),
        region=check_choice(raw.get("region"), "region", str(cfg_path)),
        preset=preset,
    )


def _escalation(value: Any, path: Path) -> dict[str, Any]:
    """The raw ``escalation:`` mapping, its structure checked now (the ladder order needs the
    cost case's hand-off day and is checked by :func:`arassess.config.escalation.ladder_from_config`)."""
    mapping = _as_mapping(value, path, "escalation")
    parse_escalation(mapping, path)
    return mapping
