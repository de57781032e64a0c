"""The sample-client generator: reproducible, realistic, and in step with sample_data/."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from arassess.errors import ArassessError
from arassess.inputs.sample import (
    INVOICE_EXPORT_COLUMNS,
    LEDGER_FILES,
    OPEN_ITEMS_FILES,
    write_open_items_client,
    write_sample_client,
)

ROOT = Path(__file__).resolve().parents[2]
VOLTLINE = ROOT / "sample_data" / "voltline"
NORTHWIND = ROOT / "sample_data" / "northwind_open_items"
QUESTIONNAIRE = ROOT / "templates" / "questionnaire.yaml"
KIT = ROOT / "templates" / "client" / "client.yaml"
AS_OF = pd.Timestamp("2026-10-31")
SMALL = 2000
AREAS = ["credit_policy", "invoicing", "reminders", "escalation", "disputes", "technology",
         "training", "monitoring", "compliance"]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """A 2,000-invoice sample, generated once for the read-only tests."""
    return write_sample_client(tmp_path_factory.mktemp("small") / "client", seed=3, n_invoices=SMALL)


@pytest.fixture(scope="module")
def tables(small) -> dict[str, pd.DataFrame]:
    """The small sample's files, typed by hand (independently of arassess.inputs.intake)."""
    inv = pd.read_csv(small / "invoices.csv", dtype=str, keep_default_na=False)
    inv = inv.rename(columns=INVOICE_EXPORT_COLUMNS)
    pay = pd.read_csv(small / "payments.csv", dtype=str, keep_default_na=False)
    for column in ("invoice_date", "due_date", "paid_date", "dispute_date", "dispute_resolved_date",
                   "written_off_date"):
        inv[column] = pd.to_datetime(inv[column], format="%Y-%m-%d", errors="coerce")
    inv["amount"] = pd.to_numeric(inv["amount"], errors="coerce")
    inv["written_off_amount"] = pd.to_numeric(inv["written_off_amount"], errors="coerce")
    pay["payment_date"] = pd.to_datetime(pay["payment_date"], format="%Y-%m-%d")
    pay["amount"] = pd.to_numeric(pay["amount"])
    broken = (inv["invoice_date"].isna() | inv["due_date"].isna() | inv["amount"].isna()
              | (inv["due_date"] < inv["invoice_date"])
              | ((inv["amount"] < 0) & (inv["is_credit_note"] != "Yes"))
              | inv["invoice_id"].duplicated(keep=False))
    return {"invoices": inv, "good": inv[~broken].set_index("invoice_id"), "broken": inv[broken], "payments": pay}


# --- reproducibility ------------------------------------------------------------------

def test_same_seed_gives_identical_bytes(tmp_path):
    a = write_sample_client(tmp_path / "a", seed=5, n_invoices=SMALL)
    b = write_sample_client(tmp_path / "b", seed=5, n_invoices=SMALL)
    assert sorted(_files(a)) == sorted(LEDGER_FILES)
    assert _files(a) == _files(b)
    c = write_open_items_client(tmp_path / "c", seed=5)
    d = write_open_items_client(tmp_path / "d", seed=5)
    assert sorted(_files(c)) == sorted(OPEN_ITEMS_FILES)
    assert _files(c) == _files(d)


def test_different_seed_gives_different_data(tmp_path):
    a = _files(write_sample_client(tmp_path / "a", seed=5, n_invoices=SMALL))
    b = _files(write_sample_client(tmp_path / "b", seed=6, n_invoices=SMALL))
    assert a["invoices.csv"] != b["invoices.csv"]
    assert a["payments.csv"] != b["payments.csv"]
    c = _files(write_open_items_client(tmp_path / "c", seed=5))
    d = _files(write_open_items_client(tmp_path / "d", seed=6))
    assert c["open_items.csv"] != d["open_items.csv"]


def test_committed_samples_equal_a_fresh_generation(tmp_path):
    """sample_data/ is the generator's output with the defaults; regenerate it after changing sample.py."""
    assert _files(write_sample_client(tmp_path / "voltline")) == _files(VOLTLINE)
    assert _files(write_open_items_client(tmp_path / "northwind")) == _files(NORTHWIND)


def test_regenerating_over_an_earlier_sample_works(tmp_path):
    out = write_sample_client(tmp_path / "demo", seed=1, n_invoices=500)
    write_sample_client(out, seed=2, n_invoices=500)
    assert _files(out) == _files(write_sample_client(tmp_path / "fresh", seed=2, n_invoices=500))


# --- refusing to overwrite ------------------------------------------------------------

@pytest.mark.parametrize("writer", [write_sample_client, write_open_items_client], ids=["ledger", "open_items"])
def test_refuses_a_folder_with_foreign_files(tmp_path, writer):
    folder = tmp_path / "client"
    folder.mkdir()
    (folder / "notes.txt").write_text("client notes")
    with pytest.raises(ArassessError, match="not empty"):
        writer(folder)
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    assert (folder / "notes.txt").read_text() == "client notes"


def test_refuses_a_real_client_folder_with_the_same_file_names(tmp_path):
    folder = tmp_path / "client"
    folder.mkdir()
    (folder / "client.yaml").write_text("name: Real Client\ncurrency: EUR\n")
    (folder / "invoices.csv").write_text("invoice_id,customer_id,invoice_date,due_date,amount\n")
    with pytest.raises(ArassessError, match="does not hold a generated sample"):
        write_sample_client(folder, n_invoices=500)
    assert (folder / "client.yaml").read_text() == "name: Real Client\ncurrency: EUR\n"


def test_refuses_a_file_as_folder_and_a_tiny_sample(tmp_path):
    target = tmp_path / "file.csv"
    target.write_text("x")
    with pytest.raises(ArassessError, match="is a file"):
        write_sample_client(target)
    with pytest.raises(ValueError, match="at least"):
        write_sample_client(tmp_path / "tiny", n_invoices=10)


# --- the ledger sample ----------------------------------------------------------------

def test_invoice_count_is_near_n_invoices(tables):
    invoices = tables["invoices"]
    assert SMALL <= len(invoices) <= SMALL * 1.01
    assert (invoices["invoice_id"].str.startswith("INV-")).sum() == SMALL + invoices["invoice_id"].duplicated().sum()


def test_invoices_use_the_mapped_export_names(small):
    header = (small / "invoices.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == list(INVOICE_EXPORT_COLUMNS)
    config = yaml.safe_load((small / "client.yaml").read_text(encoding="utf-8"))
    assert config["files"]["invoices"]["columns"] == INVOICE_EXPORT_COLUMNS
    assert config["as_of"].isoformat() == "2026-10-31"
    assert config["shape"] == "ledger"
    assert config["validation"]["max_rejected_share"] == 0.05
    assert config["fx"]["rates"]["USD"] > 0
    assert config["costs"]["collector_salary"] == 42800
    assert config["goals"] == {}
    assert config["branding"]["consultant"]


def test_behaviours_are_present(tables):
    good, pay = tables["good"], tables["payments"]
    n = len(good)
    written_off = good["written_off_amount"].notna()
    assert written_off.sum() >= 5
    assert good.loc[written_off, "written_off_date"].notna().all()
    late = (good.loc[written_off, "written_off_date"] - good.loc[written_off, "due_date"]).dt.days
    assert late.between(140, 250).all()
    assert 0.015 <= (good["disputed"] == "Yes").mean() <= 0.05
    resolved = good["dispute_resolved_date"].notna()
    lag = (good.loc[resolved, "dispute_resolved_date"] - good.loc[resolved, "dispute_date"]).dt.days
    assert lag.between(10, 65).all() and (good.loc[resolved, "disputed"] == "Yes").all()
    per_invoice = pay.groupby("invoice_id").size()
    assert 0.04 <= (per_invoice >= 2).sum() / n <= 0.12
    open_part_paid = good["paid_date"].isna() & good.index.isin(per_invoice.index) & written_off.eq(False)
    assert open_part_paid.sum() > 0
    assert 0.01 <= (good["currency"] == "USD").mean() <= 0.06
    credit = good["is_credit_note"] == "Yes"
    assert 2 <= credit.sum() <= 3 and (good.loc[credit, "amount"] < 0).all()
    still_open_old = good["paid_date"].isna() & written_off.eq(False) & ((AS_OF - good["due_date"]).dt.days > 120)
    assert still_open_old.sum() > 0


def test_good_rows_keep_the_loader_rules(tables):
    good, pay = tables["good"], tables["payments"]
    assert pay["invoice_id"].isin(good.index).all()
    assert (pay["amount"] > 0).all()
    total = pay.groupby("invoice_id")["amount"].sum()
    assert (total <= good["amount"].reindex(total.index) + 0.005).all()
    first = pay.groupby("invoice_id")["payment_date"].min()
    assert (first >= good["invoice_date"].reindex(first.index)).all()
    assert (pay["payment_date"] <= AS_OF).all()
    paid = good[good["paid_date"].notna()]
    last = pay.groupby("invoice_id")["payment_date"].max().reindex(paid.index)
    assert (last == paid["paid_date"]).all()
    np.testing.assert_allclose(total.reindex(paid.index), paid["amount"], atol=0.005)
    wo = good[good["written_off_amount"].notna()]
    assert (wo["written_off_amount"] <= wo["amount"] + 0.005).all()
    np.testing.assert_allclose(wo["written_off_amount"] + total.reindex(wo.index).fillna(0), wo["amount"], atol=0.005)
    assert (good["due_date"] >= good["invoice_date"]).all()
    assert (good["invoice_date"] <= AS_OF).all()


def test_a_few_rows_are_broken_on_purpose(tables):
    broken, invoices = tables["broken"], tables["invoices"]
    assert 0.002 <= len(broken) / len(invoices) <= 0.006
    assert invoices["invoice_id"].duplicated().any()
    assert broken["invoice_date"].isna().any() or broken["due_date"].isna().any()
    assert (broken["due_date"] < broken["invoice_date"]).any()
    assert ((broken["amount"] < 0) & (broken["is_credit_note"] == "No")).any()
    assert not tables["payments"]["invoice_id"].isin(broken["invoice_id"]).any()


def test_the_loader_accepts_the_sample_and_rejects_only_the_broken_rows(small, tables):
    from arassess import load_client

    ledger = load_client(small)
    totals = ledger.quality.totals_frame().set_index("file")
    assert totals.loc["invoices.csv", "rows_rejected"] == len(tables["broken"])
    assert totals.loc["payments.csv", "rows_rejected"] == 0
    assert totals.loc["customers.csv", "rows_rejected"] == 0
    assert ledger.shape == "ledger"


def test_committed_sample_tells_the_intended_story():
    from arassess import compute_kpis, load_client

    ledger = load_client(VOLTLINE)
    kpis = compute_kpis(ledger)
    assert 45 <= kpis.value("dso") <= 65
    assert 5 <= kpis.value("pct_over_90") <= 15
    sales = ledger.invoices.groupby("customer_id")["amount"].sum()
    assert 0.12 <= sales.max() / sales.sum() <= 0.18
    monthly = ledger.invoices.groupby(ledger.invoices["invoice_date"].dt.to_period("M"))["amount"].sum()
    assert monthly.max() / monthly.median() > 1.15 and monthly.min() / monthly.median() < 0.8
    assert 0.002 <= ledger.quality.totals[0].rejected_share <= 0.005


# --- the open-items sample ------------------------------------------------------------

def test_open_items_sample_is_a_german_open_item_list(tmp_path):
    folder = write_open_items_client(tmp_path / "nw")
    config = yaml.safe_load((folder / "client.yaml").read_text(encoding="utf-8"))
    spec = config["files"]["invoices"]
    assert config["shape"] == "open_items" and "payments" not in config["files"]
    assert (spec["delimiter"], spec["decimal"], spec["thousands"], spec["date_format"]) == (";", ",", ".", "%d.%m.%Y")
    items = pd.read_csv(folder / spec["path"], sep=";", dtype=str).rename(columns=spec["columns"])
    assert 40 <= len(items) <= 80 and items["customer_id"].nunique() >= 10
    assert "paid_date" not in items
    due = pd.to_datetime(items["due_date"], format="%d.%m.%Y")
    invoiced = pd.to_datetime(items["invoice_date"], format="%d.%m.%Y")
    assert (invoiced <= AS_OF).all() and (due >= invoiced).all()
    dpd = (AS_OF - due).dt.days
    buckets = pd.cut(dpd, [-10_000, 0, 30, 60, 90, 120, 10_000]).value_counts()
    assert (buckets > 0).all()
    amount = pd.to_numeric(items["amount"].str.replace(".", "").str.replace(",", "."))
    open_amount = pd.to_numeric(items["open_amount"].str.replace(".", "").str.replace(",", "."))
    assert (open_amount.abs() <= amount.abs()).all() and (open_amount < amount).any()
    assert items["amount"].str.contains(r"\d\.\d{3},\d{2}$").any()


def test_open_items_sample_loads_as_open_items():
    from arassess import load_client

    ledger = load_client(NORTHWIND)
    assert ledger.shape == "open_items"
    assert ledger.quality.ok
    assert ledger.invoices["is_credit_note"].sum() == 1


# --- questionnaire --------------------------------------------------------------------

def _questions() -> dict[str, list[str]]:
    spec = yaml.safe_load(QUESTIONNAIRE.read_text(encoding="utf-8"))
    return {area: [q["id"] for q in body["questions"]] for area, body in spec["areas"].items()}


def test_questionnaire_has_every_area_with_scored_questions():
    spec = yaml.safe_load(QUESTIONNAIRE.read_text(encoding="utf-8"))
    assert list(spec["areas"]) == AREAS
    for area, body in spec["areas"].items():
        assert body["label"], area
        assert 3 <= len(body["questions"]) <= 5, area
        ids = [q["id"] for q in body["questions"]]
        assert len(set(ids)) == len(ids), area
        for question in body["questions"]:
            assert question["text"].strip(), question["id"]
            assert sorted(question["guide"]) == [0, 2, 4], question["id"]
            assert all(str(text).strip() for text in question["guide"].values()), question["id"]


@pytest.mark.parametrize("folder", [VOLTLINE, NORTHWIND], ids=["voltline", "northwind"])
def test_sample_answers_cover_every_question_with_scores_0_to_4(folder):
    answers = yaml.safe_load((folder / "client.yaml").read_text(encoding="utf-8"))["questionnaire"]
    questions = _questions()
    assert set(answers) == set(questions)
    for area, ids in questions.items():
        assert set(answers[area]) == set(ids), area
        for qid in ids:
            score = answers[area][qid]
            assert isinstance(score, int) and 0 <= score <= 4, (area, qid, score)


def test_intake_kit_lists_every_question_and_loads():
    from arassess.config.client import load_config

    config = load_config(KIT.parent)
    questions = _questions()
    assert {area: sorted(body) for area, body in config.questionnaire.items()} == \
        {area: sorted(ids) for area, ids in questions.items()}
    assert config.costs["collector_salary"] == 42800
