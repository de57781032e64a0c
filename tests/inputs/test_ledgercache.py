"""One load per run (arassess.inputs.run_cache): the validated ledger kept as Parquet is read back only
while its inputs are unchanged, never from another client, never written over; and the intake at
scale names exactly the rows planted bad in a million."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import digest

from arassess.assessment import case as assessment
from arassess.config.client import load_config
from arassess.inputs.intake import load_ledger
from arassess.inputs.run_cache import CACHE_ENV, input_key, read, save, shared_ledger
from arassess.ledger.balances import timeline_of
from arassess.paths import SAMPLE_DATA_DIR


@pytest.fixture
def client(tmp_path):
    folder = tmp_path / "voltline"
    shutil.copytree(SAMPLE_DATA_DIR / "voltline", folder, ignore=shutil.ignore_patterns("scenarios", "goals*.yaml"))
    return folder


def _same(a, b) -> None:
    for name in ("invoices", "payments", "customers"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.payment_invoice, b.payment_invoice)
    for x, y in zip(a.customer_codes, b.customer_codes):  # the customers' integer codes, kept from intake
        np.testing.assert_array_equal(x, y)
    assert (a.shape, a.currency, a.as_of, a.name) == (b.shape, b.currency, b.as_of, b.name)
    assert a.quality.totals == b.quality.totals and a.quality.notes == b.quality.notes
    pd.testing.assert_frame_equal(a.quality.problems.reset_index(drop=True), b.quality.problems, check_dtype=False)
    assert a.quality.rejected.keys() == b.quality.rejected.keys()
    for key in a.quality.rejected:
        pd.testing.assert_frame_equal(a.quality.rejected[key].reset_index(drop=True), b.quality.rejected[key],
                                      check_dtype=False)


def test_round_trip_keeps_every_table_and_the_quality_report(client, tmp_path):
    config = load_config(client)
    ledger = load_ledger(config)
    key = input_key(config)
    assert save(ledger, tmp_path / "cache", key) == tmp_path / "cache"
    back = read(tmp_path / "cache", key)
    _same(ledger, back)
    assert timeline_of(back).amount.sum() == pytest.approx(timeline_of(ledger).amount.sum())


@pytest.mark.parametrize("change", ["byte", "mapping", "date_format", "rate"])
def test_a_changed_input_gives_another_key_and_no_cached_ledger(client, tmp_path, change):
    config = load_config(client)
    key = input_key(config)
    save(load_ledger(config), tmp_path / "cache", key)
    if change == "byte":
        path = client / "payments.csv"
        data = bytearray(path.read_bytes())
        data[-3] = ord("9") if data[-3] != ord("9") else ord("8")  # one digit of the last amount
        path.write_bytes(bytes(data))
    else:
        raw = yaml.safe_load((client / "client.yaml").read_text(encoding="utf-8"))
        if change == "mapping":
            raw["files"]["invoices"]["columns"]["Dispute Raised"] = "dispute_resolved_date"
            raw["files"]["invoices"]["columns"]["Dispute Resolved"] = "dispute_date"
        elif change == "date_format":
            raw["formats"]["date_format"] = "%Y-%m-%d "
        else:
            raw["fx"]["rates"]["USD"] = 0.9
        (client / "client.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    changed = input_key(load_config(client))
    assert changed != key
    assert read(tmp_path / "cache", changed) is None


def test_another_client_never_reads_the_cache(client, tmp_path):
    other = tmp_path / "twin"
    shutil.copytree(client, other)  # byte for byte the same files, another client folder
    config = load_config(client)
    save(load_ledger(config), tmp_path / "cache", input_key(config))
    assert input_key(load_config(other)) != input_key(config)
    assert read(tmp_path / "cache", input_key(load_config(other))) is None


def test_a_cache_is_never_written_over(client, tmp_path):
    config = load_config(client)
    ledger = load_ledger(config)
    save(ledger, tmp_path / "cache", "first")
    before = digest(tmp_path / "cache")
    assert save(ledger, tmp_path / "cache", "second") is None
    assert digest(tmp_path / "cache") == before
    assert read(tmp_path / "cache", "second") is None and read(tmp_path / "cache", "first") is not None


def test_load_inside_a_run_validates_once_and_reads_back(client, tmp_path, monkeypatch):
    calls = []
    real = assessment.load_ledger

    def counting(config):
        calls.append(config.root)
        return real(config)

    monkeypatch.setattr(assessment, "load_ledger", counting)
    monkeypatch.delenv(CACHE_ENV, raising=False)
    with shared_ledger(tmp_path / "run" / "ledger"):
        _, first = assessment.load(client)
        _, second = assessment.load(client)
    assert len(calls) == 1  # the second load is the Parquet copy
    _same(first, second)
    import os

    assert CACHE_ENV not in os.environ  # restored after the run
    assessment.load(client)  # outside a run: the export is read again
    assert len(calls) == 2


@pytest.mark.slow
def test_a_million_rows_with_a_thousand_planted_bad_rows_name_exactly_those(tmp_path, make_client):
    n, bad = 1_000_000, 1_000
    rng = np.random.default_rng(13)
    ids = np.char.add("I", np.arange(n).astype(str))
    customers = np.char.add("C", (np.arange(n) % 997).astype(str))
    days = (np.datetime64("2025-01-01") + rng.integers(0, 600, n)).astype("datetime64[D]")
    invoice_date = np.datetime_as_string(days)
    due_date = np.datetime_as_string(days + 30)
    amount = np.char.mod("%.2f", rng.uniform(10, 5000, n))
    planted = np.sort(rng.choice(n, size=bad, replace=False))
    kind = np.arange(bad) % 4
    expected = {}
    for row, k in zip(planted, kind):
        if k == 0:
            invoice_date[row] = "2025-02-30"
            expected[row + 2] = ("invoice_date", "cannot be read")
        elif k == 1:
            amount[row] = "1O0.50"
            expected[row + 2] = ("amount", "cannot be read")
        elif k == 2:
            due_date[row] = np.datetime_as_string(days[row] - 1)
            expected[row + 2] = ("due_date", "due date is before the invoice date")
        else:
            amount[row] = "-" + amount[row]
            expected[row + 2] = ("amount", "negative amount")
    lines = np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(
        np.char.add(ids, ","), customers), ","), invoice_date), ","), due_date), ","), amount)
    text = "invoice_id,customer_id,invoice_date,due_date,amount\n" + "\n".join(lines.tolist()) + "\n"
    folder = make_client(tmp_path, text, yaml_extra={"as_of": "2026-12-31", "shape": "open_items"})
    ledger = load_ledger(load_config(folder))
    found = ledger.quality.problems
    assert len(found) == bad and found["row"].is_unique
    assert set(found["row"]) == set(expected)
    for row in found.itertuples():
        column, words = expected[row.row]
        assert row.column == column and words in row.problem, row
    assert len(ledger.invoices) == n - bad
    totals = ledger.quality.totals[0]
    assert (totals.rows_read, totals.rows_rejected) == (n, bad)
    assert totals.amounts_unreadable == bad // 4 and not totals.balanced  # the "1O0.50" amounts are unknown
