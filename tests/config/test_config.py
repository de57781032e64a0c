"""client.yaml: what a valid file gives, and a clear ConfigError for each mistake."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from arassess import ConfigError, load_client
from arassess.config.client import DEFAULT_AGING_EDGES, DEFAULT_MAX_REJECTED_SHARE, DEFAULT_WINDOW_DAYS, load_config


def write_yaml(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "client.yaml").write_text(text, encoding="utf-8")
    return folder


# --- the folder and the file -------------------------------------------------------------

def test_missing_client_folder(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "nowhere")
    assert str(err.value) == (f"Client folder {tmp_path / 'nowhere'} does not exist "
                              "(expected a folder holding client.yaml).")


def test_missing_client_yaml(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'client.yaml'} is missing.")
    assert "templates/client/client.yaml" in message


def test_load_client_raises_the_config_error_too(tmp_path):
    with pytest.raises(ConfigError, match="is missing"):
        load_client(tmp_path)


@pytest.mark.parametrize("text, line, column, what", [
    ("name: X\ncurrency: EUR\nfiles:\n  invoices: [a.csv, b.csv\nkpis: {window_days: 30}\n", 5, 5,
     "expected ',' or ']'"),
    ("name: X\ncurrency: EUR\n  shape: auto\n", 3, 8, "mapping values are not allowed here"),
    ("name: X\n\tcurrency: EUR\n", 2, 1, "found character '\\t' that cannot start any token"),
], ids=["unclosed_list", "bad_indent", "tab"])
def test_invalid_yaml_names_line_and_column(tmp_path, text, line, column, what):
    folder = write_yaml(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(folder)
    message = str(err.value)
    assert message.startswith(f"{folder / 'client.yaml'} is not valid YAML (line {line}, column {column}): ")
    assert what in message


# --- named cases: (id, client.yaml text, text the message must contain) ----------------------
BAD_CONFIGS = [
    ("empty_file", "", "needs 'name'"),
    ("not_a_mapping", "- name: X\n- currency: EUR\n", "must be a mapping of settings (name: ..., currency: ...)"),
    ("missing_name", "currency: EUR\n", "needs 'name'"),
    ("empty_name", "name: ''\ncurrency: EUR\n", "needs 'name'"),
    ("missing_currency", "name: X\n", "needs 'currency'"),
    ("currency_not_iso", "name: X\ncurrency: Euro\n", "'currency' must be a 3-letter ISO code like EUR, got 'Euro'"),
    ("bad_shape", "name: X\ncurrency: EUR\nshape: full\n",
     "'shape' must be one of ['auto', 'ledger', 'open_items'], got 'full'"),
    ("bad_as_of", "name: X\ncurrency: EUR\nas_of: 31.10.2026\n",
     "'as_of' must be a date written as YYYY-MM-DD, got '31.10.2026'"),
    ("edges_not_from_zero", "name: X\ncurrency: EUR\nkpis: {aging_edges: [30, 60, 90]}\n",
     "'kpis.aging_edges' must be increasing whole days starting at 0 (e.g. [0, 30, 60, 90, 120]), got [30, 60, 90]"),
    ("edges_not_increasing", "name: X\ncurrency: EUR\nkpis: {aging_edges: [0, 60, 30]}\n",
     "'kpis.aging_edges' must be increasing whole days starting at 0 (e.g. [0, 30, 60, 90, 120]), got [0, 60, 30]"),
    ("edges_repeated", "name: X\ncurrency: EUR\nkpis: {aging_edges: [0, 30, 30]}\n",
     "'kpis.aging_edges' must be increasing whole days"),
    ("edges_not_whole", "name: X\ncurrency: EUR\nkpis: {aging_edges: [0, 30.5]}\n",
     "'kpis.aging_edges' must be increasing whole days starting at 0 (e.g. [0, 30, 60, 90, 120]), got [0, 30.5]"),
    ("edges_negative", "name: X\ncurrency: EUR\nkpis: {aging_edges: [0, -30]}\n", "got [0, -30]"),
    ("edges_not_a_list", "name: X\ncurrency: EUR\nkpis: {aging_edges: 30}\n",
     "'kpis.aging_edges' must be increasing whole days starting at 0 (e.g. [0, 30, 60, 90, 120]), got 30"),
    ("edges_empty", "name: X\ncurrency: EUR\nkpis: {aging_edges: []}\n", "got []"),
    ("window_zero", "name: X\ncurrency: EUR\nkpis: {window_days: 0}\n",
     "'kpis.window_days' must be between 1 and 3660"),
    ("window_text", "name: X\ncurrency: EUR\nkpis: {window_days: quarter}\n",
     "'kpis.window_days' must be a whole number of days, got 'quarter'"),
    ("share_above_one", "name: X\ncurrency: EUR\nvalidation: {max_rejected_share: 1.5}\n",
     "'validation.max_rejected_share' must be between 0.0 and 1.0, got 1.5"),
    ("share_negative", "name: X\ncurrency: EUR\nvalidation: {max_rejected_share: -0.1}\n",
     "'validation.max_rejected_share' must be between 0.0 and 1.0, got -0.1"),
    ("share_percent_text", "name: X\ncurrency: EUR\nvalidation: {max_rejected_share: 5%}\n",
     "'validation.max_rejected_share' must be a number, got '5%'"),
    ("share_nan", "name: X\ncurrency: EUR\nvalidation: {max_rejected_share: .nan}\n",
     "'validation.max_rejected_share' must be between 0.0 and 1.0, got nan"),
    ("validation_not_a_mapping", "name: X\ncurrency: EUR\nvalidation: 0.1\n",
     "'validation' must be a mapping of keys to values, got 0.1"),
    ("unknown_file_kind", "name: X\ncurrency: EUR\nfiles: {invoices: a.csv, receipts: r.csv}\n",
     "'files' names unknown files ['receipts']; valid ones are ['invoices', 'payments', 'customers']"),
    ("unknown_file_setting", "name: X\ncurrency: EUR\nfiles: {invoices: {path: a.csv, sep: ';'}}\n",
     "'files.invoices' has unknown settings ['sep']; valid ones are ['columns', 'date_format', 'decimal', "
     "'delimiter', 'encoding', 'header_row', 'path', 'sheet', 'thousands']"),
    ("unknown_format_setting", "name: X\ncurrency: EUR\nformats: {dateformat: '%d.%m.%Y'}\n",
     "unknown key(s) ['dateformat'] at 'formats'; valid keys are ['date_format', 'decimal', 'thousands', "
     "'delimiter', 'encoding', 'sheet', 'header_row']"),
    ("file_without_path", "name: X\ncurrency: EUR\nfiles: {payments: {delimiter: ';'}}\n",
     "'files.payments' needs a 'path' (the file name in the client folder)"),
    ("bad_decimal", "name: X\ncurrency: EUR\nformats: {decimal: ';'}\n",
     "'files.invoices.decimal' must be '.' or ',', got ';'"),
    ("decimal_equals_thousands", "name: X\ncurrency: EUR\nformats: {decimal: ',', thousands: ','}\n",
     "'files.invoices': 'thousands' and 'decimal' must differ"),
    ("mapping_to_nothing", "name: X\ncurrency: EUR\ncolumns: {invoices: {Nr: ''}}\n",
     "'columns.invoices.Nr' maps to '', which is not a column arassess knows for invoices"),
    ("mapping_to_unknown_name", "name: X\ncurrency: EUR\ncolumns: {invoices: {Nr: invoice_number}}\n",
     "'columns.invoices.Nr' maps to 'invoice_number', which is not a column arassess knows for invoices"),
    ("window_fraction", "name: X\ncurrency: EUR\nkpis: {window_days: 30.7}\n",
     "'kpis.window_days' must be a whole number of days, got 30.7"),
    ("columns_not_a_mapping", "name: X\ncurrency: EUR\ncolumns: [invoice_id]\n",
     "'columns' must be a mapping of keys to values, got ['invoice_id']"),
    ("fx_rate_zero", "name: X\ncurrency: EUR\nfx: {rates: {USD: 0}}\n", "'fx.rates.USD' must be between"),
    ("fx_rate_text", "name: X\ncurrency: EUR\nfx: {rates: {USD: high}}\n",
     "'fx.rates.USD' must be a number, got 'high'"),
]


@pytest.mark.parametrize("text, expected", [c[1:] for c in BAD_CONFIGS], ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_is_a_clear_error(tmp_path, text, expected):
    folder = write_yaml(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(folder)
    message = str(err.value)
    assert message.startswith(str(folder / "client.yaml"))
    assert expected in message


# --- what a valid file gives -----------------------------------------------------------------

def test_minimal_config_takes_the_documented_defaults(tmp_path):
    config = load_config(write_yaml(tmp_path, "name: Voltline\ncurrency: eur\n"))
    assert (config.name, config.currency, config.as_of, config.shape) == ("Voltline", "EUR", None, "auto")
    assert list(config.files) == ["invoices"]
    invoices = config.files["invoices"]
    assert invoices.path == tmp_path / "invoices.csv"
    assert (invoices.date_format, invoices.decimal, invoices.thousands, invoices.delimiter, invoices.encoding) == \
        ("%Y-%m-%d", ".", "", ",", "utf-8")
    assert config.max_rejected_share == DEFAULT_MAX_REJECTED_SHARE == 0.05
    assert config.window_days == DEFAULT_WINDOW_DAYS == 90
    assert config.aging_edges == DEFAULT_AGING_EDGES == (0, 30, 60, 90, 120)
    assert dict(config.fx_rates) == {"EUR": 1.0}
    assert config.slug == tmp_path.name


def test_full_config_merges_formats_mappings_and_per_file_settings(tmp_path):
    config = load_config(write_yaml(tmp_path, """
name: Voltline Components GmbH
currency: EUR
as_of: 2026-10-31
shape: ledger
formats: {date_format: "%d.%m.%Y", decimal: ",", thousands: ".", delimiter: ";"}
files:
  invoices: exports/op.csv
  payments:
    path: payments.xlsx
    sheet: Zahlungen
    date_format: "%d/%m/%Y"
    columns: {Ref: invoice_id}
columns:
  invoices: {Rechnung: invoice_id, Kunde: customer_id}
  payments: {Ref: payment_ref, Paid: amount}
fx: {rates: {usd: 0.92}}
validation: {max_rejected_share: 0.2}
kpis: {window_days: 30, aging_edges: [0, 15, 45]}
"""))
    assert config.as_of == dt.date(2026, 10, 31)
    assert config.shape == "ledger"
    inv, pay = config.files["invoices"], config.files["payments"]
    assert inv.path == tmp_path / "exports" / "op.csv"
    assert dict(inv.columns) == {"Rechnung": "invoice_id", "Kunde": "customer_id"}
    assert (inv.date_format, inv.decimal, inv.thousands, inv.delimiter) == ("%d.%m.%Y", ",", ".", ";")
    assert pay.path == tmp_path / "payments.xlsx" and pay.sheet == "Zahlungen"
    assert pay.date_format == "%d/%m/%Y" and pay.decimal == ","         # own setting wins, the rest inherited
    assert dict(pay.columns) == {"Ref": "invoice_id", "Paid": "amount"}  # the file's own mapping wins
    assert dict(config.fx_rates) == {"USD": 0.92, "EUR": 1.0}
    assert config.max_rejected_share == 0.2
    assert (config.window_days, config.aging_edges) == (30, (0, 15, 45))


def test_as_of_accepts_a_quoted_iso_date(tmp_path):
    config = load_config(write_yaml(tmp_path, "name: X\ncurrency: EUR\nas_of: '2026-10-31'\n"))
    assert config.as_of == dt.date(2026, 10, 31)


def test_max_rejected_share_bounds_are_allowed(tmp_path):
    for share in (0, 1):
        text = f"name: X\ncurrency: EUR\nvalidation: {{max_rejected_share: {share}}}\n"
        folder = write_yaml(tmp_path / str(share), text)
        assert load_config(folder).max_rejected_share == share


@pytest.mark.parametrize("text, key", [
    ("name: X\ncurrency: EUR\nvalidaton: {max_rejected_share: 0.2}\n", "validaton"),
    ("name: X\ncurrency: EUR\nkpis: {window: 30}\n", "window"),
], ids=["top_level", "in_section"])
def test_unknown_keys_are_an_error(tmp_path, text, key):
    with pytest.raises(ConfigError, match=key):
        load_config(write_yaml(tmp_path, text))


# --- escalation: kept raw, its structure checked on load (the ladder order needs the cost case's D) ---

def test_escalation_is_kept_as_written(tmp_path):
    config = load_config(write_yaml(tmp_path, """
name: X
currency: EUR
escalation:
  steps: {firm_reminder: 20, final_notice: 60, pre_due_reminder: null}
  notice_days: 10
  letters: {email: ar@example.com}
"""))
    assert dict(config.escalation) == {"steps": {"firm_reminder": 20, "final_notice": 60, "pre_due_reminder": None},
                                       "notice_days": 10, "letters": {"email": "ar@example.com"}}
    assert dict(load_config(write_yaml(tmp_path / "plain", "name: X\ncurrency: EUR\n")).escalation) == {}


@pytest.mark.parametrize("text, expected", [
    ("escalation: [7, 15]", "'escalation' must be a mapping of keys to values, got [7, 15]"),
    ("escalation: {steps: {firm_reminder: soon}}",
     "'escalation.steps.firm_reminder' must be a whole number of days, got 'soon'"),
    ("escalation: {steps: {call: 3}}", "'escalation.steps.call' is not a ladder step"),
    ("escalation: {notice: 14}", "unknown key(s) ['notice'] at 'escalation'"),
    ("escalation: {notice_days: 0}", "'escalation.notice_days' must be at least 1 day, got 0"),
    ("escalation: {letters: {agency_in_place: 'yes'}}",
     "'escalation.letters.agency_in_place' must be true or false, got 'yes'"),
], ids=["not_a_mapping", "not_days", "unknown_step", "unknown_key", "notice_zero", "agency_flag_not_bool"])
def test_bad_escalation_is_a_clear_error_on_load(tmp_path, text, expected):
    folder = write_yaml(tmp_path, f"name: X\ncurrency: EUR\n{text}\n")
    with pytest.raises(ConfigError) as err:
        load_config(folder)
    assert str(err.value).startswith(str(folder / "client.yaml"))
    assert expected in str(err.value)


# --- risk: parsed into RiskSettings, every key checked -------------------------------------------

def test_risk_settings_are_read_and_default(tmp_path):
    from arassess.config.risk import RiskSettings

    config = load_config(write_yaml(tmp_path / "r", "name: X\ncurrency: EUR\nrisk:\n  threshold_days: 45\n"
                                                    "  high_from: 0.6\n  seed: 3\n"))
    assert config.risk == RiskSettings(threshold_days=45, high_from=0.6, seed=3)
    assert load_config(write_yaml(tmp_path / "plain", "name: X\ncurrency: EUR\n")).risk == RiskSettings()


@pytest.mark.parametrize("body, message", [
    ("risk:\n  treshold_days: 30\n", "unknown key(s) risk.treshold_days"),
    ("risk:\n  threshold_days: 0\n", "risk.threshold_days must be a whole number from 1 to 365, got 0"),
    ("risk:\n  threshold_days: 30.5\n", "risk.threshold_days must be a whole number"),
    ("risk:\n  high_from: 1.5\n", "risk.high_from must be a number from 0.0 to 1.0, got 1.5"),
    ("risk:\n  low_below: 0.6\n  high_from: 0.5\n", "risk.low_below (0.6) must not exceed risk.high_from (0.5)"),
    ("risk: [30]\n", "'risk' must be a mapping"),
])
def test_bad_risk_settings_name_the_file_and_key(tmp_path, body, message):
    path = write_yaml(tmp_path / "r", "name: X\ncurrency: EUR\n" + body)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert message in str(err.value) and "client.yaml" in str(err.value)


# --- input paths stay in the client folder ----------------------------------------------------

@pytest.mark.parametrize("given", ["../outside.csv", "sub/../../outside.csv", "ABSOLUTE"])
def test_a_data_file_outside_the_client_folder_is_refused_without_reading_it(tmp_path, given):
    outside = tmp_path / "outside.csv"
    outside.write_text("secret first line\n", encoding="utf-8")
    client = tmp_path / "client"
    (client / "sub").mkdir(parents=True)
    path = str(outside) if given == "ABSOLUTE" else given
    (client / "client.yaml").write_text(f"name: X\ncurrency: EUR\nfiles:\n  invoices: '{path}'\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(client)
    message = str(err.value)
    assert "'files.invoices' must name a file inside the client folder" in message
    assert "shared_folder" in message and "secret" not in message


def test_a_shared_folder_lets_files_come_from_outside(tmp_path):
    shared = tmp_path / "exports"
    shared.mkdir()
    (shared / "inv.csv").write_text("x\n", encoding="utf-8")
    client = tmp_path / "client"
    client.mkdir()
    (client / "client.yaml").write_text(f"name: X\ncurrency: EUR\nshared_folder: '{shared}'\n"
                                        f"files:\n  invoices: '{shared / 'inv.csv'}'\n", encoding="utf-8")
    assert load_config(client).files["invoices"].path == shared / "inv.csv"
    (client / "client.yaml").write_text("name: X\ncurrency: EUR\nshared_folder: nowhere\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="'shared_folder' must name an existing folder"):
        load_config(client)


def test_a_logo_outside_the_client_folder_is_refused(tmp_path):
    (tmp_path / "logo.png").write_bytes(b"\x89PNG")
    client = tmp_path / "client"
    client.mkdir()
    (client / "client.yaml").write_text("name: X\ncurrency: EUR\nbranding:\n  logo: ../logo.png\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="'branding.logo' must name a file inside the client folder"):
        load_config(client)
