"""Letters and e-mails: who gets which letter, what it says, escaping, file names, never overwriting,
and the Voltline sample."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from jinja2 import UndefinedError

from arassess.config.client import load_config
from arassess.config.escalation import default_ladder
from arassess.errors import ConfigError
from arassess.plan.letters import (
    customer_slug,
    missing_sender_details,
    oldest_phrase,
    placeholder,
    render_letters,
    sort_oldest_first,
)
from arassess.plan.worklist import build_worklist, customer_worklist, write_worklist_xlsx

AS_OF = pd.Timestamp("2026-10-31")
SCRIPT = "<script>alert(1)</script>"


def make_config(folder: Path, **extra):
    folder.mkdir(parents=True, exist_ok=True)
    body = {"name": "Voltline Components GmbH", "currency": "EUR", **extra}
    (folder / "client.yaml").write_text(yaml.safe_dump(body), encoding="utf-8")
    return load_config(folder)


def positions(rows: list[dict]) -> pd.DataFrame:
    out = []
    for r in rows:
        due = AS_OF - pd.Timedelta(days=r["days_past_due"])
        amount = r.get("open_amount", 100.0)
        out.append({"invoice_id": r["invoice_id"], "customer_id": r["customer_id"],
                    "customer_name": r.get("customer_name", f"Name of {r['customer_id']}"), "segment": "Trade",
                    "invoice_date": due - pd.Timedelta(days=30), "due_date": due, "amount": amount,
                    "open_amount": amount, "days_past_due": r["days_past_due"], "bucket": "x",
                    "disputed": r.get("disputed", False)})
    return pd.DataFrame(out)


# D = 60: ladder −5, 0, 7, 15, 30, 46, 60
BOOK = positions([
    {"invoice_id": "F1", "customer_id": "FRIENDLY", "days_past_due": 7, "open_amount": 1200.5},
    {"invoice_id": "F2", "customer_id": "FRIENDLY", "days_past_due": -3, "open_amount": 99.0},     # not overdue
    {"invoice_id": "R1", "customer_id": "FIRM", "days_past_due": 29, "open_amount": 300.0},
    {"invoice_id": "R2", "customer_id": "FIRM", "days_past_due": 2, "open_amount": 50.0},
    {"invoice_id": "R3", "customer_id": "FIRM", "days_past_due": 45, "open_amount": 75.0, "disputed": True},
    {"invoice_id": "D1", "customer_id": "DEMAND", "days_past_due": 30, "open_amount": 1000.0},
    {"invoice_id": "D2", "customer_id": "DEMAND", "days_past_due": -40, "open_amount": -200.0},   # credit note
    {"invoice_id": "N1", "customer_id": "FINAL", "days_past_due": 50, "open_amount": 400.0},
    {"invoice_id": "N2", "customer_id": "LATE_FINAL", "days_past_due": 58, "open_amount": 400.0},
    {"invoice_id": "P1", "customer_id": "PREDUE", "days_past_due": 0, "open_amount": 10.0},
    {"invoice_id": "H1", "customer_id": "PLACED", "days_past_due": 61, "open_amount": 10.0},
    {"invoice_id": "Q1", "customer_id": "QUERY", "days_past_due": 31, "open_amount": 10.0, "disputed": True},
    {"invoice_id": "K1", "customer_id": "COVERED", "days_past_due": 31, "open_amount": 10.0},
    {"invoice_id": "K2", "customer_id": "COVERED", "days_past_due": 10, "open_amount": -10.0},
])


@pytest.fixture
def config(tmp_path):
    return make_config(tmp_path / "client", escalation={"letters": {
        "email": "ar@voltline.example", "phone": "+49 30 1234567", "contact": "Credit control",
        "payment_details": "IBAN DE00 1234 <b>5678</b>"}})


def rendered(paths: list[Path]) -> dict[str, str]:
    return {f"{p.parent.name}/{p.name}": p.read_text(encoding="utf-8") for p in paths}


def test_one_letter_per_customer_at_a_letter_step(tmp_path, config):
    w = build_worklist(BOOK, AS_OF, default_ladder(60))
    files = rendered(render_letters(w, BOOK, config, AS_OF, tmp_path / "letters"))
    assert sorted(files) == sorted(f"{c}/2026-10-31_{letter}.{ext}" for c, letter in [
        ("FRIENDLY", "friendly_reminder"), ("FIRM", "firm_reminder"), ("DEMAND", "demand_letter"),
        ("FINAL", "final_notice"), ("LATE_FINAL", "final_notice")] for ext in ("html", "txt"))
    # no letter: PREDUE (not overdue), PLACED (with the agency), QUERY (only disputed), COVERED (credits cover it)
    for text in files.values():
        assert "{{" not in text and "{%" not in text and "}}" not in text


def test_letter_contents(tmp_path, config):
    w = build_worklist(BOOK, AS_OF, default_ladder(60))
    files = rendered(render_letters(w, BOOK, config, AS_OF, tmp_path / "letters"))
    friendly = files["FRIENDLY/2026-10-31_friendly_reminder.txt"]
    assert friendly.startswith("Subject: Payment reminder – customer number FRIENDLY\n\nDear Name of FRIENDLY,\n")
    assert "F1" in friendly and "F2" not in friendly and "1,200.50" in friendly
    assert "the invoice below has passed its due date" in friendly

    firm = files["FIRM/2026-10-31_firm_reminder.txt"]
    assert "R1" in firm and "R2" in firm and "350.00 EUR by 7 November 2026" in firm      # + 7 days
    assert "Invoice R3 is under review following your query and is not included" in firm
    assert re.search(r"R3\s+\d", firm) is None                                             # not in the table

    demand = files["DEMAND/2026-10-31_demand_letter.html"]
    assert "by <strong>10 November 2026</strong>" in demand                               # + 10 days
    assert "open balance of 800.00 EUR" in demand                                          # 1,000 − 200 credit
    assert "Total overdue" in demand and "1,000.00" in demand
    assert "The overdue invoice listed below, which is 30 days overdue, remains unpaid." in demand

    final = files["FINAL/2026-10-31_final_notice.txt"]
    # due 2026-09-11; hand-off at D = 60 → 10 November 2026; pay by the day before
    assert "by 9 November 2026" in final
    # no agency under contract (agency_in_place not set): no hand-off date in the letter
    assert "10 November 2026" not in final and "on or after" not in final
    late = files["LATE_FINAL/2026-10-31_final_notice.txt"]
    # planned hand-off 2026-11-02 is too close: at least 8 days after the letter → pay by 7 November
    assert "by 7 November 2026" in late

    for name, text in files.items():
        assert "Credit control" in text and "Voltline Components GmbH" in text
        assert "+49 30 1234567" in text
        if name.endswith(".html"):
            assert "IBAN DE00 1234 &lt;b&gt;5678&lt;/b&gt;" in text and "<b>5678" not in text
            assert "ar@voltline.example" in text
        if "final_notice" not in name:
            assert "agency" not in text.lower()
        lowered = text.lower()
        for word in ("legal action", "court", "lawyer", "solicitor", "interest", "credit rating", "bailiff",
                     "lawsuit", "sue ", "earlier reminders"):
            assert word not in lowered, (name, word)


def test_in_house_final_notice_mentions_no_agency(tmp_path, config):
    w = build_worklist(BOOK, AS_OF, default_ladder(None))
    files = rendered(render_letters(w, BOOK, config, AS_OF, tmp_path / "letters"))
    # in-house ladder: final notice at 45, so FINAL (50), LATE_FINAL (58) and PLACED (61) get one
    finals = {k: v for k, v in files.items() if "final_notice" in k}
    assert sorted({k.split("/")[0] for k in finals}) == ["FINAL", "LATE_FINAL", "PLACED"]
    for text in finals.values():
        assert "agency" not in text.lower()
        assert "14 November 2026" in text                      # + 14 days
        assert "we will contact you again to discuss the next steps" in text


# --- letter date (the day the letters are sent) vs. as_of (the assessment date) -----------------------------

LETTER_DATE = pd.Timestamp("2026-11-23")


def with_letters(config, **letters):
    """The config with ``escalation.letters`` extended (bypasses load_config, so that the letters'
    own handling of a value client.yaml would reject can be tested too)."""
    merged = {**(config.escalation.get("letters") or {}), **letters}
    return dataclasses.replace(config, escalation={**config.escalation, "letters": merged})


def test_letter_date_sets_the_date_and_the_deadlines(tmp_path, config):
    w = build_worklist(BOOK, AS_OF, default_ladder(60))
    files = rendered(render_letters(w, BOOK, with_letters(config, agency_in_place=True), AS_OF,
                                    tmp_path / "letters", letter_date=LETTER_DATE))
    assert all(name.split("/")[1].startswith("2026-10-31_") for name in files)          # names keep as_of
    firm = files["FIRM/2026-10-31_firm_reminder.html"]
    assert '<div class="date">23 November 2026</div>' in firm
    assert "by <strong>30 November 2026</strong>" in firm                                  # 23 Nov + 7
    assert "Balances as of 31 October 2026" in firm
    assert re.search(r"<td>R1</td>.*?29 days</td>", firm)                                  # ages as of 31 Oct
    assert "by 3 December 2026" in files["DEMAND/2026-10-31_demand_letter.txt"]           # 23 Nov + 10
    assert ("which was 30 days overdue on 31 October 2026, remains unpaid"
            in files["DEMAND/2026-10-31_demand_letter.txt"])
    # FINAL: ladder hand-off 10 Nov is before 23 Nov + 8 = 1 Dec → hand-off 1 Dec, pay by 30 Nov
    for key in ("FINAL", "LATE_FINAL"):
        final = files[f"{key}/2026-10-31_final_notice.txt"]
        assert "by 30 November 2026" in final and "on or after 1 December 2026" in final
    in_house = rendered(render_letters(build_worklist(BOOK, AS_OF, default_ladder(None)), BOOK, config, AS_OF,
                                       tmp_path / "in_house", letter_date=LETTER_DATE))
    assert "by 7 December 2026" in in_house["FINAL/2026-10-31_final_notice.txt"]           # 23 Nov + 14


def test_letter_date_defaults_to_as_of(tmp_path, config):
    w = build_worklist(BOOK, AS_OF, default_ladder(60))
    default = render_letters(w, BOOK, config, AS_OF, tmp_path / "a")
    explicit = render_letters(w, BOOK, config, AS_OF, tmp_path / "b", letter_date=AS_OF)
    assert [p.read_text(encoding="utf-8") for p in default] == [p.read_text(encoding="utf-8") for p in explicit]
    assert '<div class="date">31 October 2026</div>' in default[0].read_text(encoding="utf-8")


def test_letter_date_before_as_of_is_refused(tmp_path, config):
    w = build_worklist(BOOK, AS_OF, default_ladder(60))
    with pytest.raises(ValueError, match="letter_date 2026-10-30 is before the assessment date 2026-10-31"):
        render_letters(w, BOOK, config, AS_OF, tmp_path / "letters", letter_date="2026-10-30")
    assert not (tmp_path / "letters").exists()


# --- the agency sentence only with an agency under contract ---------------------------------------------------

AGENCY_SENTENCE = "we may pass the account to a collection agency on or after"
FURTHER_STEPS = ("we will have to take further steps to recover the amount, which may include passing the "
                 "account to a collection agency.")


@pytest.mark.parametrize("setting", [None, False])
def test_final_notice_without_agency_names_no_date(tmp_path, config, setting):
    cfg = config if setting is None else with_letters(config, agency_in_place=setting)
    files = rendered(render_letters(build_worklist(BOOK, AS_OF, default_ladder(60)), BOOK, cfg, AS_OF,
                                    tmp_path / "letters"))
    for key in ("FINAL/2026-10-31_final_notice.txt", "FINAL/2026-10-31_final_notice.html"):
        text = files[key]
        assert FURTHER_STEPS in text and AGENCY_SENTENCE not in text
        assert re.search(r"by (<strong>)?9 November 2026", text) and "10 November 2026" not in text  # no hand-off date


def test_final_notice_with_agency_in_place_names_the_handoff_date(tmp_path, config):
    files = rendered(render_letters(build_worklist(BOOK, AS_OF, default_ladder(60)), BOOK,
                                    with_letters(config, agency_in_place=True), AS_OF, tmp_path / "letters"))
    final = files["FINAL/2026-10-31_final_notice.txt"]
    # due 2026-09-11 + D 60 = 10 November 2026; pay by the day before
    assert "by 9 November 2026" in final and f"{AGENCY_SENTENCE} 10 November 2026." in final
    assert FURTHER_STEPS not in final
    # LATE_FINAL: ladder hand-off 2 Nov is before 31 Oct + 8 → 8 November, pay by 7 November
    assert f"{AGENCY_SENTENCE} 8 November 2026." in files["LATE_FINAL/2026-10-31_final_notice.txt"]
    assert f"{AGENCY_SENTENCE} 10 November 2026." in files["FINAL/2026-10-31_final_notice.html"]
    for name, text in files.items():
        if "final_notice" not in name:
            assert "agency" not in text.lower()


def test_in_house_final_notice_ignores_agency_in_place(tmp_path, config):
    files = rendered(render_letters(build_worklist(BOOK, AS_OF, default_ladder(None)), BOOK,
                                    with_letters(config, agency_in_place=True), AS_OF, tmp_path / "letters"))
    final = files["FINAL/2026-10-31_final_notice.txt"]
    assert "agency" not in final.lower() and "we will contact you again to discuss the next steps" in final


def test_agency_in_place_must_be_a_boolean(tmp_path, config):
    w = build_worklist(BOOK, AS_OF, default_ladder(60))
    with pytest.raises(ConfigError, match="'escalation.letters.agency_in_place' must be true or false, got 'yes'"):
        render_letters(w, BOOK, with_letters(config, agency_in_place="yes"), AS_OF, tmp_path / "letters")
    assert not (tmp_path / "letters").exists()


def test_agency_in_place_is_accepted_in_client_yaml(tmp_path):
    cfg = make_config(tmp_path / "client", escalation={"letters": {"agency_in_place": True}})
    files = rendered(render_letters(build_worklist(BOOK, AS_OF, default_ladder(60)), BOOK, cfg, AS_OF,
                                    tmp_path / "letters"))
    assert f"{AGENCY_SENTENCE} 10 November 2026." in files["FINAL/2026-10-31_final_notice.txt"]


# --- invoices total − credit notes = balance due, inside the table ---------------------------------------------

def test_credit_notes_and_balance_due_are_rows_of_the_table(tmp_path, config):
    files = rendered(render_letters(build_worklist(BOOK, AS_OF, default_ladder(60)), BOOK, config, AS_OF,
                                    tmp_path / "letters"))
    html = files["DEMAND/2026-10-31_demand_letter.html"]
    table = html[html.index('<table class="invoices">'):html.index("</table>")]
    # D1 1,000.00 − credit note D2 200.00 = 800.00, the amount the letter asks for
    assert re.search(r'<tr class="total"><td colspan="3">Total overdue</td><td class="num">1,000\.00</td>', table)
    assert re.search(r'<tr class="credits"><td colspan="3">Open credit notes</td><td class="num">-200\.00</td>', table)
    assert re.search(r'<tr class="due"><td colspan="3">Balance due</td><td class="num">800\.00</td>', table)
    assert table.index("Total overdue") < table.index("Open credit notes") < table.index("Balance due")
    assert "open balance of 800.00 EUR" in html

    lines = files["DEMAND/2026-10-31_demand_letter.txt"].splitlines()
    start = lines.index("Total overdue" + " " * 38 + "1,000.00")                 # padded to 42, then 16 right
    assert lines[start + 1] == "Open credit notes" + " " * 35 + "-200.00"
    assert lines[start + 2] == "Balance due" + " " * 42 + "800.00"
    row = next(line for line in lines if line.startswith("D1 "))
    assert len(row.split("1,000.00")[0]) + len("1,000.00") == 59 == len(lines[start + 2])   # same column

    firm = files["FIRM/2026-10-31_firm_reminder.txt"]                           # no credit notes: total only
    assert "Open credit notes" not in firm and "Balance due" not in firm
    assert "Total overdue" + " " * 40 + "350.00" in firm.splitlines()


# --- missing sender details: placeholders in the HTML letter, listed for the report ----------------------------

def test_missing_sender_details_lists_the_keys(tmp_path, config):
    assert missing_sender_details(config) == ["address"]                        # fixture: no address
    assert missing_sender_details(make_config(tmp_path / "bare")) == ["address", "email", "payment_details"]
    full = make_config(tmp_path / "full", escalation={"letters": {
        "address": "Example Street 1, 10115 Berlin", "email": "  ", "payment_details": "IBAN DE00"}})
    assert missing_sender_details(full) == ["email"]                            # blank counts as missing
    assert placeholder("payment_details") == ("[Add your payment details: escalation.letters.payment_details "
                                              "in client.yaml]")


def test_placeholders_only_for_missing_details_and_only_in_html(tmp_path, config):
    w = build_worklist(BOOK, AS_OF, default_ladder(60))
    bare = rendered(render_letters(w, BOOK, make_config(tmp_path / "bare"), AS_OF, tmp_path / "bare_letters"))
    html = bare["FIRM/2026-10-31_firm_reminder.html"]
    for text in ("[Add your address: escalation.letters.address in client.yaml]",
                 "[Add your e-mail address: escalation.letters.email in client.yaml]",
                 "[Add your payment details: escalation.letters.payment_details in client.yaml]"):
        assert f'<span class="placeholder">{text}</span>' in html
    assert all("[Add" not in text for name, text in bare.items() if name.endswith(".txt"))

    ours = rendered(render_letters(w, BOOK, config, AS_OF, tmp_path / "letters"))["FIRM/2026-10-31_firm_reminder.html"]
    assert ours.count('class="placeholder"') == 1 and "escalation.letters.address in client.yaml" in ours
    full = with_letters(config, address="Example Street 1, 10115 Berlin")
    done = rendered(render_letters(w, BOOK, full, AS_OF, tmp_path / "full"))
    assert missing_sender_details(full) == []
    assert all("[Add" not in text and 'class="placeholder"' not in text for text in done.values())
    assert "Example Street 1, 10115 Berlin" in done["FIRM/2026-10-31_firm_reminder.html"]


# --- invoices oldest first, each with its days overdue -----------------------------------------------------------

MIXED = positions([
    {"invoice_id": "O1", "customer_id": "MIXED", "days_past_due": 1, "open_amount": 10.0},
    {"invoice_id": "O2", "customer_id": "MIXED", "days_past_due": 40, "open_amount": 20.0},
    {"invoice_id": "O3", "customer_id": "MIXED", "days_past_due": 16, "open_amount": 30.0},
    {"invoice_id": "M1", "customer_id": "MANY_FINAL", "days_past_due": 3, "open_amount": 5.0},
    {"invoice_id": "M2", "customer_id": "MANY_FINAL", "days_past_due": 50, "open_amount": 5.0},
])


def test_invoices_oldest_first_with_days_overdue(tmp_path, config):
    w = build_worklist(MIXED, AS_OF, default_ladder(60))                         # MIXED: 40 days → demand letter
    files = rendered(render_letters(w, MIXED, config, AS_OF, tmp_path / "letters"))
    text = files["MIXED/2026-10-31_demand_letter.txt"]
    rows = [line for line in text.splitlines() if re.match(r"O\d ", line)]
    assert [r.split()[0] for r in rows] == ["O2", "O3", "O1"]
    assert [re.search(r"\d+ days?$", r).group() for r in rows] == ["40 days", "16 days", "1 day"]
    assert "The overdue invoices listed below, the oldest of which is 40 days overdue, remain unpaid." in text
    html = files["MIXED/2026-10-31_demand_letter.html"]
    assert html.index("<td>O2</td>") < html.index("<td>O3</td>") < html.index("<td>O1</td>")
    assert '<td class="num">1 day</td>' in html and "the oldest of which is 40 days overdue" in html
    final = files["MANY_FINAL/2026-10-31_final_notice.txt"]
    assert ("This is our final notice: the overdue invoices listed below, the oldest of which is 50 days overdue, "
            "remain unpaid.") in final
    later = rendered(render_letters(w, MIXED, config, AS_OF, tmp_path / "later", letter_date=LETTER_DATE))
    assert ("the oldest of which was 40 days overdue on 31 October 2026, remain unpaid"
            in later["MIXED/2026-10-31_demand_letter.txt"])


def test_sort_oldest_first_breaks_ties_by_due_date_then_id():
    frame = pd.DataFrame({"invoice_id": ["B", "A", "C", "D"], "days_past_due": [5, 5, 9, 1],
                          "due_date": pd.to_datetime(["2026-10-26"] * 2 + ["2026-10-22", "2026-10-30"])})
    assert list(sort_oldest_first(frame)["invoice_id"]) == ["C", "A", "B", "D"]


@pytest.mark.parametrize("days, count, letter_date, expected", [
    (40, 3, AS_OF, "the oldest of which is 40 days overdue"),
    (1, 1, AS_OF, "which is 1 day overdue"),
    (40, 2, LETTER_DATE, "the oldest of which was 40 days overdue on 31 October 2026"),
    (30, 1, LETTER_DATE, "which was 30 days overdue on 31 October 2026"),
])
def test_oldest_phrase(days, count, letter_date, expected):
    assert oldest_phrase(days, count, AS_OF, letter_date) == expected


def test_hostile_customer_is_escaped_in_html_and_neutralised_in_excel(tmp_path, config):
    book = positions([
        {"invoice_id": "<i>INV</i>", "customer_id": "../../etc/passwd", "customer_name": SCRIPT, "days_past_due": 8},
        {"invoice_id": "=1+1", "customer_id": "=cmd", "customer_name": "=cmd|' /C calc'!A0", "days_past_due": 16},
        {"invoice_id": "X", "customer_id": "CR", "customer_name": "Evil\r\nBcc: all@example.com", "days_past_due": 31},
    ])
    w = build_worklist(book, AS_OF, default_ladder(60))
    out = tmp_path / "letters"
    paths = render_letters(w, book, config, AS_OF, out)
    assert len(paths) == 6
    for p in paths:
        assert p.resolve().is_relative_to(out.resolve()) and p.parent.parent == out
    html = next(p for p in paths if p.suffix == ".html" and "passwd" in p.parent.name).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and SCRIPT not in html
    assert "&lt;i&gt;INV&lt;/i&gt;" in html and "<i>INV" not in html
    email = next(p for p in paths if p.suffix == ".txt" and p.parent.name.startswith("CR")).read_text(encoding="utf-8")
    assert email.splitlines()[0] == "Subject: Request for payment of overdue invoices – customer number CR"
    assert "\nBcc:" not in email and "Dear Evil Bcc: all@example.com," in email

    xlsx = write_worklist_xlsx(w, tmp_path / "w.xlsx")
    ws = openpyxl.load_workbook(xlsx)["Worklist"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells)
    values = {c.value for c in cells}
    assert {"'=cmd|' /C calc'!A0", "'=cmd", "'=1+1", SCRIPT} <= values


@pytest.mark.parametrize("customer_id, expected", [
    ("C1001", "C1001"), ("ACME_01-x", "ACME_01-x"),
])
def test_plain_ids_stay_as_they_are(customer_id, expected):
    assert customer_slug(customer_id) == expected


@pytest.mark.parametrize("customer_id", ["../../etc/passwd", "..", ".", "a/b", "a\\b", "CON", "con", "",
                                         "=cmd", "Müller & Söhne", "x" * 200])
def test_slugs_are_safe_folder_names(customer_id):
    slug = customer_slug(customer_id)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,69}", slug) and slug not in (".", "..")
    assert not slug.startswith("-")


def test_slugs_of_different_ids_differ():
    ids = ["a/b", "a:b", "a b", "a-b", "A-B", "..", "."]
    assert len({customer_slug(i) for i in ids}) == len(ids)


def test_letters_are_never_written_over(tmp_path, config):
    w = build_worklist(BOOK, AS_OF, default_ladder(60))
    out = tmp_path / "letters"
    first = render_letters(w, BOOK, config, AS_OF, out)
    before = {p: p.read_text(encoding="utf-8") for p in first}
    (out / "FIRM" / "2026-10-31_firm_reminder.html").unlink()       # one missing, the others still there
    with pytest.raises(FileExistsError, match="never written over"):
        render_letters(w, BOOK, config, AS_OF, out)
    assert not (out / "FIRM" / "2026-10-31_firm_reminder.html").exists()   # nothing written at all
    assert all(p.read_text(encoding="utf-8") == before[p] for p in first if p.exists())
    later = render_letters(w, BOOK, config, AS_OF + pd.Timedelta(days=1), out)   # another date: new names
    assert len(later) == len(first) and not set(later) & set(first)


def test_no_letter_customers_give_no_files(tmp_path, config):
    book = BOOK[BOOK["customer_id"].isin(["PREDUE", "PLACED", "QUERY", "COVERED"])]
    w = build_worklist(book, AS_OF, default_ladder(60))
    assert render_letters(w, book, config, AS_OF, tmp_path / "letters") == []
    assert not (tmp_path / "letters").exists()


def test_branding_colours_and_logo(tmp_path):
    png = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63"
                        "f8cfc0f01f0005000201a5d0d6a20000000049454e44ae426082")
    folder = tmp_path / "client"
    folder.mkdir()
    (folder / "logo.png").write_bytes(png)
    cfg = make_config(folder, branding={"primary_color": "#123456", "accent_color": "#abc", "logo": "logo.png"})
    w = build_worklist(BOOK, AS_OF, default_ladder(60))
    html = next(p for p in render_letters(w, BOOK, cfg, AS_OF, tmp_path / "l") if p.suffix == ".html")
    text = html.read_text(encoding="utf-8")
    assert "#123456" in text and "#abc" in text and 'src="data:image/png;base64,iVBORw0KGgo' in text

    bad = make_config(tmp_path / "bad", branding={"primary_color": "red;} body {display:none"})
    with pytest.raises(ConfigError, match="'branding.primary_color' must be a colour like '#1B3A5C'"):
        render_letters(w, BOOK, bad, AS_OF, tmp_path / "l2")
    missing = make_config(tmp_path / "missing", branding={"logo": "nowhere.png"})
    with pytest.raises(ConfigError, match="'branding.logo'.*was not found"):
        render_letters(w, BOOK, missing, AS_OF, tmp_path / "l3")


def test_templates_are_strict(tmp_path, config):
    (tmp_path / "tpl").mkdir()
    for suffix in ("html", "txt"):
        (tmp_path / "tpl" / f"friendly_reminder.{suffix}.j2").write_text("{{ customer.nickname }}", encoding="utf-8")
    book = BOOK[BOOK["customer_id"] == "FRIENDLY"]
    with pytest.raises(UndefinedError):
        render_letters(build_worklist(book, AS_OF, default_ladder(60)), book, config, AS_OF, tmp_path / "l",
                       templates_dir=tmp_path / "tpl")
    assert not (tmp_path / "l").exists()


def test_voltline_letters(tmp_path):
    from arassess.assessment.case import assess

    a = assess("sample_data/voltline")
    assert a.as_of == AS_OF
    w = build_worklist(a.positions, a.as_of, default_ladder(120))    # ladder −5, 0, 7, 15, 30, 106, 120
    paths = render_letters(w, a.positions, a.config, a.as_of, tmp_path / "letters")
    # expected, independently: each customer's oldest open, undisputed invoice decides the letter
    p = a.positions
    live = p[(p["open_amount"] > 0) & ~p["disputed"]]
    oldest = live.groupby("customer_id")["days_past_due"].max()
    letter = pd.cut(oldest, [6, 14, 29, 105, 119], labels=["friendly_reminder", "firm_reminder", "demand_letter",
                                                          "final_notice"]).dropna()
    credits = -p[p["open_amount"] < 0].groupby("customer_id")["open_amount"].sum()
    overdue = live[live["days_past_due"] > 0].groupby("customer_id")["open_amount"].sum()
    covered = (credits.reindex(letter.index).fillna(0) >= overdue.reindex(letter.index))
    expected = letter[~covered]
    assert len(expected) > 20
    assert len(paths) == 2 * len(expected)
    assert {x.parent.name for x in paths} == set(expected.index)
    assert {x.parent.name: x.stem.split("_", 1)[1] for x in paths} == expected.astype(str).to_dict()
    assert customer_worklist(w)["letter"].notna().sum() == len(letter)
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert "{{" not in text and "{%" not in text and "Voltline Components GmbH" in text
