"""The entitlement where a consultant sees it: notebook 01's section, the findings (so the report's
executive summary), the action's reason, summary.json, and the final notices of a client whose terms
charge interest — the amounts the library computes, escaped and in the client's currency."""

from __future__ import annotations

import re
import shutil

import pytest
from IPython.display import Markdown

from arassess.assessment.case import assess
from arassess.assessment.sections import section
from arassess.config.client import load_config
from arassess.display.format import money_text
from arassess.paths import SAMPLE_DATA_DIR
from arassess.plan.case import load_plan_case, write_outputs
from arassess.plan.letters import customer_slug, render_letters

VOLTLINE = SAMPLE_DATA_DIR / "voltline"


def markdown(items: list) -> str:
    """The section's sentences (Markdown objects), backslash escapes dropped."""
    return " ".join(i.data for i in items if isinstance(i, Markdown)).replace("\\", "")


@pytest.fixture(scope="module")
def sample():
    return assess(VOLTLINE)


def test_the_sample_states_its_entitlement_in_the_section_findings_and_summary(sample):
    e = sample.entitlement
    assert e.available and e.regime.key == "eu" and e.total > 0
    assert e.late_invoices > 0 and e.fixed == pytest.approx(40.0 * e.late_invoices)
    text = markdown(section(sample, "entitlement"))
    assert money_text(e.total, "EUR") in text and "2011" in text
    finding = [f for f in sample.findings if f.key == "entitlement"]
    assert len(finding) == 1 and money_text(e.total, "EUR") in finding[0].text
    assert sample.summary()["entitlement"]["total"] == round(e.total, 2)


def test_a_client_without_a_law_sees_how_to_set_one(tmp_path):
    client = tmp_path / "voltline"
    shutil.copytree(VOLTLINE, client)
    cfg = client / "client.yaml"
    cfg.write_text(re.sub(r"(?ms)^legal:.*\Z", "", cfg.read_text(encoding="utf-8")), encoding="utf-8")
    a = assess(client)
    assert not a.entitlement.available and not [f for f in a.findings if f.key == "entitlement"]
    shown = markdown(section(a, "entitlement"))
    assert "legal.regime" in shown


def test_final_notices_state_the_accrued_interest_only_when_the_terms_charge_it(tmp_path):
    client = tmp_path / "voltline"
    shutil.copytree(VOLTLINE, client)
    cfg = client / "client.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("  regime: eu ", "  charges_interest: true\n  regime: eu "),
                   encoding="utf-8")
    pc = load_plan_case(client)
    assert pc.assessment.config.legal.charges_interest
    (tmp_path / "out").mkdir()
    letters = write_outputs(pc, tmp_path / "out")["letters"]
    finals = [p for p in letters if p.name.endswith("_final_notice.txt")]
    others = [p for p in letters if p.suffix == ".txt" and "final_notice" not in p.name]
    assert finals and others
    e = pc.assessment.entitlement
    for path in finals:
        owners = [c for c in pc.customers["customer_id"] if customer_slug(c) == path.parent.name]
        assert len(owners) == 1
        text = path.read_text(encoding="utf-8")
        assert "late payment accrues interest and a fixed compensation under EU Late Payment Directive" in text
        amounts = re.search(r"([\d,]+\.\d\d) EUR of interest and ([\d,]+\.\d\d) EUR of fixed", text)
        assert amounts, text
        interest, fixed = e.accrued_for(owners[0])
        assert amounts.groups() == (money_text(interest, cents=True), money_text(fixed, cents=True))
    assert not any("accrues interest" in p.read_text(encoding="utf-8") for p in others)
    # without the entitlement (terms that do not charge it) the same final notices say nothing of it
    plain = render_letters(pc.worklist, pc.assessment.positions, pc.assessment.config, pc.as_of, tmp_path / "plain")
    assert [p.name for p in plain] == [p.name for p in letters]
    assert not any("accrues interest" in p.read_text(encoding="utf-8") for p in plain)
    assert load_config(VOLTLINE).legal.charges_interest is False  # the sample's own terms do not charge it
