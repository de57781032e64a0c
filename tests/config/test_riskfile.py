"""risk.json in a run folder: the same result read back, reused only for the same data, settings
and date, never written over; the plan notebook and the report reuse notebook 01's fit."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pandas as pd
import pytest

from arassess.assessment.case import assess, load
from arassess.paths import SAMPLE_DATA_DIR
from arassess.plan.case import load_plan_case
from arassess.risk.store import RISK_FILE, load_risk, risk_key, save_risk

FRAMES = ("invoices", "customers", "validation", "calibration")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """A copy of the sample client (its files are changed by one test) and its assessment."""
    folder = tmp_path_factory.mktemp("client") / "voltline"
    shutil.copytree(SAMPLE_DATA_DIR / "voltline", folder)
    return folder, assess(folder)


def test_a_saved_result_reads_back_identical(client, tmp_path):
    folder, a = client
    key = risk_key(a.config, a.as_of)
    path = save_risk(a.risk, tmp_path, key)
    assert path == tmp_path / RISK_FILE
    back = load_risk(tmp_path, key)
    assert back is not None
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(back, name), getattr(a.risk, name))
    for field in ("available", "reason", "settings", "as_of", "used", "model_name", "split", "fit_seconds"):
        assert getattr(back, field) == getattr(a.risk, field), field
    json.loads(path.read_text(encoding="utf-8"),            # strict JSON: no NaN tokens (and no pickle)
               parse_constant=lambda token: pytest.fail(f"{token} in risk.json"))


def test_an_unavailable_result_round_trips(tmp_path):
    a = assess(SAMPLE_DATA_DIR / "northwind_open_items")
    key = risk_key(a.config, a.as_of)
    save_risk(a.risk, tmp_path, key)
    back = load_risk(tmp_path, key)
    assert back is not None and not back.available and back.reason == a.risk.reason
    assert back.probability().empty


def test_it_is_never_written_over(client, tmp_path):
    folder, a = client
    key = risk_key(a.config, a.as_of)
    save_risk(a.risk, tmp_path, key)
    before = (tmp_path / RISK_FILE).read_bytes()
    with pytest.raises(FileExistsError):
        save_risk(a.risk, tmp_path, key)
    assert (tmp_path / RISK_FILE).read_bytes() == before


def test_another_date_other_settings_or_changed_data_mean_a_refit(client, tmp_path):
    folder, a = client
    key = risk_key(a.config, a.as_of)
    save_risk(a.risk, tmp_path, key)
    assert load_risk(tmp_path, risk_key(a.config, "2026-09-30")) is None
    other = dataclasses.replace(a.config, risk=dataclasses.replace(a.config.risk, high_from=0.6))
    assert load_risk(tmp_path, risk_key(other, a.as_of)) is None
    assert load_risk(tmp_path / "nowhere", key) is None and load_risk(None, key) is None
    payments = folder / "payments.csv"
    original = payments.read_bytes()
    try:
        payments.write_bytes(original + b"\n")             # any change to an input file
        config, _ = load(folder)
        assert load_risk(tmp_path, risk_key(config, a.as_of)) is None
    finally:
        payments.write_bytes(original)
    assert load_risk(tmp_path, risk_key(load(folder)[0], a.as_of)) is not None


def test_the_plan_reuses_the_saved_result(client, tmp_path):
    folder, a = client
    key = risk_key(a.config, a.as_of)
    path = save_risk(a.risk, tmp_path, key)
    # doctor one probability in the file: the plan's worklist must show it, so the file was used
    body = json.loads(path.read_text(encoding="utf-8"))
    data = body["invoices"]["data"]
    i = data["basis"].index("model")
    invoice = data["invoice_id"][i]
    data["probability"][i] = 0.123456
    path.write_text(json.dumps(body), encoding="utf-8")
    pc = load_plan_case(folder, risk_dir=tmp_path)
    assert pc.assessment.risk.probability()[invoice] == 0.123456
    row = pc.worklist.set_index("invoice_id")
    if invoice in row.index:
        assert row.loc[invoice, "late_probability"] == 0.123456
    fresh = load_plan_case(folder)                          # without the folder: fitted again
    assert fresh.assessment.risk.probability()[invoice] == a.risk.probability()[invoice] != 0.123456
