"""Process maturity (docs/process.md): the questionnaire and its scoring.

The questionnaire (``templates/questionnaire.yaml``) lists process areas, each
with 3–5 questions scored on a 0–4 scale; the client's answers live in
``client.yaml`` under ``questionnaire:`` as area → {question id: score}, an
empty (null) score meaning "not known".

Scoring::

    area score = mean of the area's answered questions (NaN if none is answered)
    overall    = mean of the area scores that exist (NaN if none)
    level      = the scale's name of ⌊overall⌋ (see :func:`level_name`)

The weakest areas (lowest scores) are the gaps the action plan starts from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from arassess.config.yamlfile import read_yaml
from arassess.errors import ConfigError
from arassess.paths import TEMPLATES_DIR

QUESTIONNAIRE_FILE = "questionnaire.yaml"
WEAKEST_COUNT = 3
NOT_ASSESSED = "Not assessed"
LEVEL_TOLERANCE = 1e-9  # an overall of 2.9999999999 (float noise) is level 3
AREA_COLUMNS = ["label", "score", "answered", "questions"]


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    guide: Mapping[int, str] = field(default_factory=dict)  # what some scores look like (0, 2, 4)


@dataclass(frozen=True)
class Area:
    key: str
    label: str
    purpose: str
    questions: tuple[Question, ...]

    @property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions)


@dataclass(frozen=True)
class Questionnaire:
    """A validated questionnaire: the scale, its level names and the areas in order."""

    version: int
    scale_min: int
    scale_max: int
    levels: Mapping[int, str]
    areas: tuple[Area, ...]
    source: str = QUESTIONNAIRE_FILE

    def area(self, key: str) -> Area:
        for area in self.areas:
            if area.key == key:
                return area
        raise KeyError(key)

    @property
    def area_keys(self) -> tuple[str, ...]:
        return tuple(a.key for a in self.areas)


# --- loading --------------------------------------------------------------------------

def _fail(path: Path | str, key: str, problem: str) -> ConfigError:
    where = f"'{key}'" if key else "the top level"
    return ConfigError(f"{path}: {where} {problem}")


def _text(value: Any, path: Path | str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, key, f"must be a non-empty text, got {value!r}.")
    return value.strip()


def _whole(value: Any, path: Path | str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, key, f"must be a whole number, got {value!r}.")
    return value


def _scale(raw: Any, path: Path) -> tuple[int, int, dict[int, str]]:
    if not isinstance(raw, Mapping):
        raise _fail(path, "scale", "must be a mapping with min, max and levels.")
    lo, hi = _whole(raw.get("min"), path, "scale.min"), _whole(raw.get("max"), path, "scale.max")
    if lo >= hi:
        raise _fail(path, "scale", f"needs min < max, got min {lo} and max {hi}.")
    levels_raw = raw.get("levels")
    if not isinstance(levels_raw, Mapping):
        raise _fail(path, "scale.levels", f"must name every level {lo}–{hi} (e.g. {lo}: Initial).")
    levels = {_whole(k, path, f"scale.levels.{k}"): _text(v, path, f"scale.levels.{k}") for k, v in levels_raw.items()}
    if sorted(levels) != list(range(lo, hi + 1)):
        raise _fail(path, "scale.levels", f"must name exactly the levels {list(range(lo, hi + 1))}, "
                                          f"got {sorted(levels)}.")
    return lo, hi, levels


def _question(raw: Any, path: Path, where: str, lo: int, hi: int) -> Question:
    if not isinstance(raw, Mapping):
        raise _fail(path, where, "must be a mapping with id, text and guide.")
    qid = _text(raw.get("id"), path, f"{where}.id")
    guide_raw = raw.get("guide") or {}
    if not isinstance(guide_raw, Mapping):
        raise _fail(path, f"{where}.guide", "must map scores to what they look like.")
    guide = {}
    for score, text in guide_raw.items():
        score = _whole(score, path, f"{where}.guide.{score}")
        if not lo <= score <= hi:
            raise _fail(path, f"{where}.guide.{score}", f"is outside the scale {lo}–{hi}.")
        guide[score] = _text(text, path, f"{where}.guide.{score}")
    return Question(qid, _text(raw.get("text"), path, f"{where}.text"), guide)


def _area(key: Any, raw: Any, path: Path, lo: int, hi: int) -> Area:
    if not isinstance(key, str) or not key.isidentifier():
        raise _fail(path, f"areas.{key}", "must be keyed by a name like credit_policy (letters, digits, _).")
    if not isinstance(raw, Mapping):
        raise _fail(path, f"areas.{key}", "must be a mapping with label, purpose and questions.")
    questions_raw = raw.get("questions")
    if not isinstance(questions_raw, list) or not questions_raw:
        raise _fail(path, f"areas.{key}.questions", "must be a non-empty list of questions.")
    questions = tuple(_question(q, path, f"areas.{key}.questions[{i}]", lo, hi) for i, q in enumerate(questions_raw))
    ids = [q.id for q in questions]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise _fail(path, f"areas.{key}.questions", f"has duplicate question ids {duplicates}.")
    purpose = raw.get("purpose") or ""
    return Area(key, _text(raw.get("label"), path, f"areas.{key}.label"), str(purpose).strip(), questions)


def load_questionnaire(path: Path | str | None = None) -> Questionnaire:
    """Read and validate a questionnaire (default: ``templates/questionnaire.yaml`` of the repository).

    Raises :class:`ConfigError` naming the file and the key for a missing file,
    invalid YAML, a scale without min < max or without a name for every level,
    no areas, an area without label or questions, a question without id or
    text, duplicate question ids in an area, or a guide score outside the scale.
    """
    path = Path(path) if path is not None else TEMPLATES_DIR / QUESTIONNAIRE_FILE
    if not path.is_file():
        raise ConfigError(f"Questionnaire {path} does not exist (the default is templates/{QUESTIONNAIRE_FILE}).")
    raw = read_yaml(path)
    if not isinstance(raw, Mapping):
        raise _fail(path, "", "must be a mapping with version, scale and areas.")
    version = _whole(raw.get("version", 1), path, "version")
    lo, hi, levels = _scale(raw.get("scale"), path)
    areas_raw = raw.get("areas")
    if not isinstance(areas_raw, Mapping) or not areas_raw:
        raise _fail(path, "areas", "must be a non-empty mapping of area key → label, purpose, questions.")
    areas = tuple(_area(k, v, path, lo, hi) for k, v in areas_raw.items())
    return Questionnaire(version, lo, hi, levels, areas, str(path))


# --- scoring --------------------------------------------------------------------------

@dataclass(frozen=True)
class Maturity:
    """Scored process maturity (see the module docstring for the formulas).

    ``areas``: index area key (name "area", questionnaire order), columns label,
    score (0–4, NaN if no question of the area is answered), answered (count),
    questions (count). ``overall``: mean of the area scores (NaN if none).
    ``level``: the scale's name of ⌊overall⌋ (``NOT_ASSESSED`` if NaN);
    ``level_number``: ⌊overall⌋ or None. ``weakest``: keys of the (up to) 3
    lowest-scoring areas, lowest first (ties in questionnaire order).
    ``unanswered``: "area.question_id" of every unanswered question. ``reason``:
    why there is no overall score ('' when there is one).
    """

    areas: pd.DataFrame
    overall: float
    level: str
    level_number: int | None
    weakest: tuple[str, ...]
    unanswered: tuple[str, ...]
    reason: str = ""
    scale_max: int = 4

    @property
    def weakest_labels(self) -> tuple[str, ...]:
        """The labels of the weakest areas ('Escalation procedure', …)."""
        return tuple(self.areas.loc[list(self.weakest), "label"])


def level_name(overall: float, questionnaire: Questionnaire) -> tuple[str, int | None]:
    """The maturity level of an overall score: (name, number).

    number = ⌊overall⌋ clipped to the scale, so with the default scale
    0 ≤ x < 1 Initial, 1 ≤ x < 2 Developing, 2 ≤ x < 3 Defined, 3 ≤ x < 4
    Managed, 4 Optimised: a level is reached only when the average reaches it.
    NaN → (``NOT_ASSESSED``, None).
    """
    if overall is None or math.isnan(overall):
        return NOT_ASSESSED, None
    number = int(math.floor(overall + LEVEL_TOLERANCE))
    number = min(max(number, questionnaire.scale_min), questionnaire.scale_max)
    return questionnaire.levels[number], number


def _score(value: Any, lo: int, hi: int) -> float | None:
    """A valid answer as a float, None when unanswered; ValueError when invalid."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError
    if isinstance(value, float) and (math.isnan(value) or not value.is_integer()):
        raise ValueError
    if not lo <= value <= hi:
        raise ValueError
    return float(value)


def _answer_table(questionnaire: Questionnaire, answers: Mapping[str, Any], source: str) -> pd.DataFrame:
    """One row per question: area, question, score (NaN if unanswered); every invalid answer → ConfigError."""
    lo, hi = questionnaire.scale_min, questionnaire.scale_max
    problems: list[str] = []
    known = questionnaire.area_keys
    for area_key, given in answers.items():
        if area_key not in known:
            problems.append(f"'questionnaire.{area_key}': unknown area; valid areas are {list(known)}")
        elif given is not None and not isinstance(given, Mapping):
            problems.append(f"'questionnaire.{area_key}' must map question ids to scores {lo}–{hi}, got {given!r}")
        else:
            ids = questionnaire.area(area_key).question_ids
            for qid, value in (given or {}).items():
                key = f"questionnaire.{area_key}.{qid}"
                if qid not in ids:
                    problems.append(f"'{key}': unknown question; valid ids in {area_key} are {list(ids)}")
                    continue
                try:
                    _score(value, lo, hi)
                except ValueError:
                    problems.append(f"'{key}' must be a whole number {lo}–{hi} or empty (not known), got {value!r}")
    if problems:
        raise ConfigError(f"{source}: invalid questionnaire answers:\n" + "\n".join(f"- {p}" for p in problems))
    rows = [(area.key, q.id, _score((answers.get(area.key) or {}).get(q.id), lo, hi))
            for area in questionnaire.areas for q in area.questions]
    table = pd.DataFrame(rows, columns=["area", "question", "score"])
    table["score"] = table["score"].astype(float)
    return table


def score_maturity(questionnaire: Questionnaire, answers: Mapping[str, Any] | None, *,
                   source: str = "client.yaml") -> Maturity:
    """Score ``answers`` (client.yaml's ``questionnaire`` section) against ``questionnaire``.

    area score = mean of the area's answered questions; overall = mean of the
    area scores; level = :func:`level_name` of the overall. Unknown areas or
    question ids and answers that are not whole numbers on the scale raise one
    :class:`ConfigError` listing every bad key (``source`` names the file in
    the message). No answers at all give a Maturity with NaN overall and a reason.
    """
    if answers is not None and not isinstance(answers, Mapping):
        raise ConfigError(f"{source}: 'questionnaire' must be a mapping of area → {{question id: score}}, "
                          f"got {answers!r}.")
    table = _answer_table(questionnaire, answers or {}, source)
    grouped = table.groupby("area", sort=False)["score"]
    areas = pd.DataFrame({
        "label": [a.label for a in questionnaire.areas],
        "score": grouped.mean().reindex(questionnaire.area_keys).to_numpy(dtype=float),
        "answered": grouped.count().reindex(questionnaire.area_keys).to_numpy(dtype=np.int64),
        "questions": grouped.size().reindex(questionnaire.area_keys).to_numpy(dtype=np.int64),
    }, index=pd.Index(questionnaire.area_keys, name="area"), columns=AREA_COLUMNS)
    scored = areas["score"].dropna()
    overall = float(scored.mean()) if len(scored) else float("nan")
    level, number = level_name(overall, questionnaire)
    weakest = tuple(scored.sort_values(kind="stable").index[:WEAKEST_COUNT])
    missing = table[table["score"].isna()]
    unanswered = tuple(missing["area"] + "." + missing["question"])
    reason = ""
    if not len(scored):
        reason = (f"no questionnaire answers given ({source}, section 'questionnaire')" if not answers
                  else f"none of the {len(table)} questions is answered ({source}, section 'questionnaire')")
    return Maturity(areas, overall, level, number, weakest, unanswered, reason, questionnaire.scale_max)
