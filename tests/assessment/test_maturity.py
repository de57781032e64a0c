"""Process maturity: loading the questionnaire and scoring client answers (docs/process.md).

Scoring cases use a two-area questionnaire (area a: q1, q2, q3; area b: q1, q2)
so each mean can be checked by hand; the samples' answers are checked against
the real questionnaire.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest
import yaml

from arassess.assessment.maturity import NOT_ASSESSED, Maturity, level_name, load_questionnaire, score_maturity
from arassess.config.client import load_config
from arassess.errors import ConfigError
from arassess.paths import TEMPLATES_DIR

AREAS = ["credit_policy", "invoicing", "reminders", "escalation", "disputes", "technology", "training",
         "monitoring", "compliance"]
LEVELS = {0: "Initial", 1: "Developing", 2: "Defined", 3: "Managed", 4: "Optimised"}

SMALL = {
    "version": 1,
    "scale": {"min": 0, "max": 4, "levels": dict(LEVELS)},
    "areas": {
        "a": {"label": "Area A", "purpose": "First.", "questions": [
            {"id": "q1", "text": "One?", "guide": {0: "none", 2: "some", 4: "all"}},
            {"id": "q2", "text": "Two?"},
            {"id": "q3", "text": "Three?"}]},
        "b": {"label": "Area B", "questions": [{"id": "q1", "text": "One?"}, {"id": "q2", "text": "Two?"}]},
    },
}


def write(tmp_path: Path, data, name: str = "questionnaire.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return load_questionnaire(write(tmp_path_factory.mktemp("q"), SMALL))


@pytest.fixture(scope="module")
def default():
    return load_questionnaire()


# --- loading --------------------------------------------------------------------------

def test_default_questionnaire_is_the_repository_template(default):
    assert TEMPLATES_DIR == Path(__file__).resolve().parents[2] / "templates"
    assert default.source == str(TEMPLATES_DIR / "questionnaire.yaml")
    assert list(default.area_keys) == AREAS
    assert dict(default.levels) == LEVELS and (default.scale_min, default.scale_max) == (0, 4)
    for area in default.areas:
        assert 3 <= len(area.questions) <= 5 and area.label and area.purpose
        for q in area.questions:
            assert q.text and set(q.guide) == {0, 2, 4}


def test_small_questionnaire_loads(small):
    assert small.area_keys == ("a", "b")
    assert small.area("a").question_ids == ("q1", "q2", "q3")
    assert small.area("a").questions[0].guide == {0: "none", 2: "some", 4: "all"}
    assert small.area("b").purpose == ""


def _broken(change):
    data = copy.deepcopy(SMALL)
    change(data)
    return data


BAD_QUESTIONNAIRES = {
    "invalid_yaml": ("areas: [unclosed\n", "not valid YAML"),
    "not_a_mapping": ("- a\n- b\n", "the top level must be a mapping"),
    "no_scale": (_broken(lambda d: d.pop("scale")), "'scale' must be a mapping"),
    "min_not_below_max": (_broken(lambda d: d["scale"].update(min=4, max=4)), "'scale' needs min < max"),
    "max_not_a_number": (_broken(lambda d: d["scale"].update(max="four")), "'scale.max' must be a whole number"),
    "level_without_name": (_broken(lambda d: d["scale"]["levels"].pop(3)),
                           "'scale.levels' must name exactly the levels [0, 1, 2, 3, 4]"),
    "no_areas": (_broken(lambda d: d.update(areas={})), "'areas' must be a non-empty mapping"),
    "area_without_label": (_broken(lambda d: d["areas"]["a"].pop("label")), "'areas.a.label' must be a non-empty"),
    "area_without_questions": (_broken(lambda d: d["areas"]["b"].update(questions=[])),
                               "'areas.b.questions' must be a non-empty list"),
    "question_without_id": (_broken(lambda d: d["areas"]["a"]["questions"][1].pop("id")),
                            "'areas.a.questions[1].id' must be a non-empty text"),
    "question_without_text": (_broken(lambda d: d["areas"]["b"]["questions"][0].update(text="")),
                              "'areas.b.questions[0].text'"),
    "duplicate_ids": (_broken(lambda d: d["areas"]["a"]["questions"][2].update(id="q1")),
                      "'areas.a.questions' has duplicate question ids ['q1']"),
    "guide_outside_scale": (_broken(lambda d: d["areas"]["a"]["questions"][0]["guide"].update({7: "x"})),
                            "'areas.a.questions[0].guide.7' is outside the scale 0–4"),
    "area_key_with_spaces": (_broken(lambda d: d["areas"].update({"bad key": d["areas"]["a"]})),
                             "'areas.bad key' must be keyed by a name"),
}


@pytest.mark.parametrize("name", list(BAD_QUESTIONNAIRES))
def test_bad_questionnaire_is_a_clear_error(tmp_path, name):
    data, fragment = BAD_QUESTIONNAIRES[name]
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as info:
        load_questionnaire(path)
    assert fragment in str(info.value) and str(path) in str(info.value)


def test_missing_questionnaire_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_questionnaire(tmp_path / "nope.yaml")


# --- scoring --------------------------------------------------------------------------

SCORING_CASES = {
    # area a (3 questions), area b (2 questions) → (a, b, overall, level, weakest, unanswered)
    "all_answered": ({"a": {"q1": 4, "q2": 2, "q3": 3}, "b": {"q1": 1, "q2": 2}},
                     3.0, 1.5, 2.25, "Defined", ("b", "a"), ()),          # (9/3 + 3/2) / 2
    "partly_answered": ({"a": {"q1": 4, "q2": None}, "b": {"q2": 1}},
                        4.0, 1.0, 2.5, "Defined", ("b", "a"), ("a.q2", "a.q3", "b.q1")),
    "one_area_only": ({"a": {"q1": 1, "q2": 2, "q3": 0}},
                      1.0, None, 1.0, "Developing", ("a",), ("b.q1", "b.q2")),
    "area_given_as_null": ({"a": {"q1": 3, "q2": 3, "q3": 3}, "b": None},
                           3.0, None, 3.0, "Managed", ("a",), ("b.q1", "b.q2")),
    "all_zero": ({"a": {"q1": 0, "q2": 0, "q3": 0}, "b": {"q1": 0, "q2": 0}},
                 0.0, 0.0, 0.0, "Initial", ("a", "b"), ()),               # a tie: questionnaire order
    "all_four": ({"a": {"q1": 4, "q2": 4, "q3": 4}, "b": {"q1": 4.0, "q2": 4}},
                 4.0, 4.0, 4.0, "Optimised", ("a", "b"), ()),             # 4.0 is a whole number
    "just_below_a_level": ({"a": {"q1": 3, "q2": 3, "q3": 2}, "b": {"q1": 3, "q2": 3}},
                           8 / 3, 3.0, (8 / 3 + 3) / 2, "Defined", ("a", "b"), ()),  # 2.83 → level 2
}


@pytest.mark.parametrize("name", list(SCORING_CASES))
def test_scoring(small, name):
    answers, a, b, overall, level, weakest, unanswered = SCORING_CASES[name]
    m = score_maturity(small, answers)
    assert isinstance(m, Maturity)
    assert list(m.areas.index) == ["a", "b"] and m.areas.index.name == "area"
    assert list(m.areas.columns) == ["label", "score", "answered", "questions"]
    assert m.areas["label"].tolist() == ["Area A", "Area B"]
    assert m.areas["questions"].tolist() == [3, 2]
    assert m.areas.at["a", "score"] == pytest.approx(a)
    if b is None:
        assert math.isnan(m.areas.at["b", "score"]) and m.areas.at["b", "answered"] == 0
    else:
        assert m.areas.at["b", "score"] == pytest.approx(b)
    assert m.overall == pytest.approx(overall)
    assert m.level == level and m.level_number == list(LEVELS.values()).index(level)
    assert m.weakest == weakest and m.unanswered == unanswered and m.reason == ""
    assert m.scale_max == 4


def test_weakest_are_the_three_lowest(default):
    answers = {area: {q: 4 for q in default.area(area).question_ids} for area in AREAS}
    answers["compliance"]["records"] = 0           # compliance 3.0
    answers["reminders"] = {"channels": 1}         # reminders 1.0 (3 questions unanswered)
    answers["training"]["workload"] = 2            # training 3.5
    answers["escalation"]["order_hold"] = 0        # escalation 3.0 (ties compliance; comes first)
    m = score_maturity(default, answers)
    assert m.weakest == ("reminders", "escalation", "compliance")
    assert m.weakest_labels == ("Reminder cadence and channels", "Escalation procedure", "Compliance")
    assert m.unanswered == ("reminders.pre_due_reminder", "reminders.dunning_schedule", "reminders.contact_data")


@pytest.mark.parametrize("answers", [{}, None], ids=["empty", "none"])
def test_no_answers_gives_nan_and_a_reason(small, answers):
    m = score_maturity(small, answers)
    assert math.isnan(m.overall) and m.level == NOT_ASSESSED and m.level_number is None
    assert m.areas["score"].isna().all() and m.weakest == ()
    assert len(m.unanswered) == 5 and "no questionnaire answers" in m.reason


def test_only_null_answers_gives_nan_and_a_reason(small):
    m = score_maturity(small, {"a": {"q1": None}, "b": None})
    assert math.isnan(m.overall) and m.reason.startswith("none of the 5 questions is answered")


@pytest.mark.parametrize("overall, name, number", [
    (0.0, "Initial", 0), (0.99, "Initial", 0), (1.0, "Developing", 1), (1.61, "Developing", 1),
    (2.999, "Defined", 2), (3 - 1e-12, "Managed", 3), (3.0, "Managed", 3), (4.0, "Optimised", 4),
    (float("nan"), NOT_ASSESSED, None),
], ids=["zero", "below_one", "one", "voltline", "below_three", "float_noise", "three", "four", "nan"])
def test_level_name(default, overall, name, number):
    assert level_name(overall, default) == (name, number)


BAD_ANSWERS = {
    "unknown_area": ({"c": {"q1": 1}}, "'questionnaire.c': unknown area; valid areas are ['a', 'b']"),
    "unknown_question": ({"a": {"q9": 1}}, "'questionnaire.a.q9': unknown question; valid ids in a are"),
    "above_scale": ({"a": {"q1": 5}}, "'questionnaire.a.q1' must be a whole number 0–4 or empty"),
    "below_scale": ({"b": {"q2": -1}}, "'questionnaire.b.q2' must be a whole number 0–4"),
    "fraction": ({"a": {"q2": 2.5}}, "'questionnaire.a.q2' must be a whole number 0–4 or empty (not known), got 2.5"),
    "text": ({"a": {"q3": "3"}}, "got '3'"),
    "boolean": ({"a": {"q1": True}}, "got True"),
    "area_not_a_mapping": ({"a": [1, 2, 3]}, "'questionnaire.a' must map question ids to scores 0–4"),
}


@pytest.mark.parametrize("name", list(BAD_ANSWERS))
def test_bad_answers_name_the_key(small, name):
    answers, fragment = BAD_ANSWERS[name]
    with pytest.raises(ConfigError) as info:
        score_maturity(small, answers)
    assert fragment in str(info.value) and str(info.value).startswith("client.yaml:")


def test_every_bad_answer_is_listed_at_once(small):
    with pytest.raises(ConfigError) as info:
        score_maturity(small, {"a": {"q1": 9, "q2": "x"}, "zz": {}}, source="acme/client.yaml")
    text = str(info.value)
    assert text.startswith("acme/client.yaml:")
    assert all(k in text for k in ("'questionnaire.a.q1'", "'questionnaire.a.q2'", "'questionnaire.zz'"))


def test_answers_not_a_mapping(small):
    with pytest.raises(ConfigError, match="'questionnaire' must be a mapping"):
        score_maturity(small, [1, 2])  # type: ignore[arg-type]


# --- the samples and the intake kit ---------------------------------------------------

def test_voltline_answers(default):
    m = score_maturity(default, load_config("sample_data/voltline").questionnaire)
    # credit 9/4, invoicing 10/4, reminders 6/4, escalation 3/4, disputes 4/4, technology 7/4,
    # training 5/4, monitoring 6/4, compliance 8/4 → overall 58/36 = 1.61
    assert m.areas["score"].tolist() == [2.25, 2.5, 1.5, 0.75, 1.0, 1.75, 1.25, 1.5, 2.0]
    assert m.overall == pytest.approx(58 / 36) and m.level == "Developing"
    assert m.weakest == ("escalation", "disputes", "training") and m.unanswered == ()


def test_northwind_answers(default):
    m = score_maturity(default, load_config("sample_data/northwind_open_items").questionnaire)
    # 5, 8, 4, 5, 4, 3, 3, 2, 8 quarters → 42/36; technology and training tie at 0.75 (questionnaire order)
    assert m.overall == pytest.approx(42 / 36) and m.level == "Developing"
    assert m.weakest == ("monitoring", "technology", "training")


def test_blank_intake_kit_answers_are_valid_and_unanswered(default):
    raw = yaml.safe_load((TEMPLATES_DIR / "client" / "client.yaml").read_text(encoding="utf-8"))
    m = score_maturity(default, raw["questionnaire"])
    assert len(m.unanswered) == sum(len(a.questions) for a in default.areas)
    assert math.isnan(m.overall) and m.reason
