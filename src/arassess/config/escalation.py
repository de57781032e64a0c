"""The escalation ladder: the dunning steps an open invoice goes through (docs/process.md).

Every step has an offset in days from the invoice's due date. The default ladder::

    key                label                            offset       channel          letter
    pre_due_reminder   Reminder before due              −5           e-mail           —
    due_reminder       Reminder on the due date          0           e-mail           —
    friendly_reminder  Friendly reminder                +7           letter + e-mail  friendly_reminder
    firm_reminder      Firm reminder                   +15           letter + e-mail  firm_reminder
    demand_letter      Demand letter                   +30           letter + e-mail  demand_letter
    final_notice       Final notice                    +45 or D−14   letter + e-mail  final_notice
    agency_handoff     Hand-off to a collection agency   D           collection agency —

The hand-off day D comes from notebook 02's cost case (:func:`handoff_day_of`): its ``handoff_day``
when the recommended strategy places claims with an agency (``agency`` or ``hybrid``), ``None`` for
``in_house`` — then the ladder ends with the final notice and has no hand-off step.

Rules of the default ladder:

- D is rounded up to whole days and is never earlier than :data:`MIN_HANDOFF_DAY` (30): a claim
  gets its reminders and a final notice before it is placed, even when the cost model says
  "place everything" (``agency`` at D = 0).
- The final notice goes out :data:`DEFAULT_NOTICE_DAYS` (14) days before the hand-off (D − 14), so
  the date it names is near; without a hand-off it goes out at +45.
- A default letter step (friendly, firm, demand) is kept only when it falls at least
  :data:`MIN_LETTER_GAP` (7) days before the final notice; a short ladder (D = 30: final notice at
  +16) therefore drops the firm reminder and the demand letter rather than sending two letters
  in one week.

``client.yaml`` may change the ladder (validated by :func:`parse_escalation` when the file is
loaded and by :func:`ladder_from_config` once D is known)::

    escalation:
      steps:                  # offset in days from the due date; null drops a step
        firm_reminder: 20
        final_notice: 60      # always before the agency hand-off
        pre_due_reminder: null
      notice_days: 14         # final notice this many days before the hand-off (when not set above)
      letters:                # printed on letters and e-mails; every one optional
        contact: Accounts receivable team
        email: ar@example.com
        phone: +49 30 1234567
        address: Example Street 1, 10115 Berlin
        payment_details: "IBAN DE00 0000 0000 0000 0000 00, BIC EXAMPLEXXX"

Offsets are whole days, strictly increasing in ladder order; the pre-due reminder is before the
due date (negative); letter steps are at least 1 day past due; the final notice is before the
hand-off and cannot be dropped while there is one. The hand-off day itself is not set here: it
is the cost case's D (``costs:`` or a saved scenario of notebook 02).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from arassess.errors import ArgumentError, ConfigError, check_keys

MIN_HANDOFF_DAY = 30       # earliest hand-off the ladder uses, days past due
DEFAULT_NOTICE_DAYS = 14   # final notice → hand-off
IN_HOUSE_FINAL_NOTICE = 45  # final notice offset when there is no hand-off
MIN_LETTER_GAP = 7         # a default letter step at least this many days before the final notice
MAX_OFFSET = 3650          # |offset| bound (ten years)
HANDOFF = "agency_handoff"
FINAL_NOTICE = "final_notice"
PRE_DUE = "pre_due_reminder"
ESCALATION_KEYS = ("steps", "notice_days", "letters")
LETTER_KEYS = ("contact", "email", "phone", "address", "payment_details", "agency_in_place")
#: letters.agency_in_place (true/false): only with an agency contracted does a final notice name the
#: date a claim may be placed (arassess.plan.letters); it is a flag, not letter text.
LETTER_FLAGS = ("agency_in_place",)


@dataclass(frozen=True)
class Step:
    """One rung of the ladder: reached when an invoice is ``offset_days`` past its due date
    (negative = before it). ``letter`` names the template in ``templates/letters/`` or is None."""

    key: str
    label: str
    offset_days: int
    channel: str
    letter: str | None


#: key → (label, default offset or None when derived, channel, letter template), in ladder order.
STEP_CATALOG: dict[str, tuple[str, int | None, str, str | None]] = {
    "pre_due_reminder": ("Reminder before due", -5, "e-mail", None),
    "due_reminder": ("Reminder on the due date", 0, "e-mail", None),
    "friendly_reminder": ("Friendly reminder", 7, "letter + e-mail", "friendly_reminder"),
    "firm_reminder": ("Firm reminder", 15, "letter + e-mail", "firm_reminder"),
    "demand_letter": ("Demand letter", 30, "letter + e-mail", "demand_letter"),
    FINAL_NOTICE: ("Final notice", None, "letter + e-mail", "final_notice"),
    HANDOFF: ("Hand-off to a collection agency", None, "collection agency", None),
}
STEP_ORDER: tuple[str, ...] = tuple(STEP_CATALOG)
#: Letter steps whose default may be dropped when too close to the final notice.
DROPPABLE = ("friendly_reminder", "firm_reminder", "demand_letter")


@dataclass(frozen=True)
class EscalationSettings:
    """The parsed ``escalation:`` mapping: offset overrides (None = drop), notice days, letter details."""

    steps: Mapping[str, int | None] = field(default_factory=dict)
    notice_days: int = DEFAULT_NOTICE_DAYS
    letters: Mapping[str, str] = field(default_factory=dict)


def _where(source: str | Path, key: str) -> str:
    return f"{source}: 'escalation{'.' + key if key else ''}'"


def _whole_days(value: Any, source: str | Path, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{_where(source, key)} must be a whole number of days, got {value!r}.")
    if abs(value) > MAX_OFFSET:
        raise ConfigError(f"{_where(source, key)} must be between {-MAX_OFFSET} and {MAX_OFFSET} days, got {value}.")
    return int(value)


def parse_escalation(raw: Mapping[str, Any] | None, source: str | Path = "client.yaml") -> EscalationSettings:
    """Check the structure of ``escalation:`` (keys, whole days, letter texts) without D.

    The ladder order and the hand-off are checked by :func:`ladder_from_config`, which knows D.
    ``source`` names the file in messages. Raises :class:`ConfigError` naming ``escalation.<key>``.
    """
    if raw is None:
        return EscalationSettings()
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{_where(source, '')} must be a mapping of keys to values, got {raw!r}.")
    check_keys(raw, ESCALATION_KEYS, source, "escalation")

    steps_raw = raw.get("steps") or {}
    if not isinstance(steps_raw, Mapping):
        raise ConfigError(f"{_where(source, 'steps')} must be a mapping of step to days, got {steps_raw!r}.")
    steps: dict[str, int | None] = {}
    for key, value in steps_raw.items():
        name = str(key)
        if name == HANDOFF:
            raise ConfigError(
                f"{_where(source, 'steps.' + name)}: the hand-off day is the cost case's D (client.yaml "
                "'costs:' or a saved scenario of notebook 02), not an escalation setting.")
        if name not in STEP_CATALOG:
            valid = [k for k in STEP_ORDER if k != HANDOFF]
            raise ConfigError(f"{_where(source, 'steps.' + name)} is not a ladder step; valid steps are {valid}.")
        steps[name] = None if value is None else _whole_days(value, source, f"steps.{name}")
    for name, value in steps.items():
        if value is not None and STEP_CATALOG[name][3] is not None and value < 1:
            raise ConfigError(f"{_where(source, 'steps.' + name)} must be at least 1 day past due (its letter is "
                              f"about overdue invoices), got {value}.")
    if steps.get(PRE_DUE) is not None and steps[PRE_DUE] >= 0:  # type: ignore[operator]
        raise ConfigError(f"{_where(source, 'steps.' + PRE_DUE)} must be negative (days before the due date), "
                          f"got {steps[PRE_DUE]}.")

    notice = raw.get("notice_days", DEFAULT_NOTICE_DAYS)
    notice = _whole_days(notice, source, "notice_days")
    if notice < 1:
        raise ConfigError(f"{_where(source, 'notice_days')} must be at least 1 day, got {notice}.")

    letters_raw = raw.get("letters") or {}
    if not isinstance(letters_raw, Mapping):
        raise ConfigError(f"{_where(source, 'letters')} must be a mapping of keys to values, got {letters_raw!r}.")
    check_keys(letters_raw, LETTER_KEYS, source, "escalation.letters")
    letters: dict[str, str] = {}
    for key, value in letters_raw.items():
        if key in LETTER_FLAGS:
            if not isinstance(value, bool):
                raise ConfigError(f"{_where(source, 'letters.' + str(key))} must be true or false, got {value!r}.")
            continue
        if value is None:
            continue
        if isinstance(value, (Mapping, list, tuple, set)):
            raise ConfigError(f"{_where(source, 'letters.' + str(key))} must be a text, got {value!r}.")
        letters[str(key)] = str(value)
    return EscalationSettings(steps=steps, notice_days=notice, letters=letters)


def _handoff_offset(handoff_day: float | None) -> int | None:
    """D as whole days, never before :data:`MIN_HANDOFF_DAY`; None stays None (in-house)."""
    if handoff_day is None:
        return None
    d = float(handoff_day)
    if math.isnan(d) or d < 0:
        raise ArgumentError(f"handoff_day must be a number of days past due ≥ 0 or None (in-house), got {handoff_day!r}")
    return max(math.ceil(d), MIN_HANDOFF_DAY)


def _build(offsets: Mapping[str, int]) -> tuple[Step, ...]:
    return tuple(Step(k, STEP_CATALOG[k][0], int(offsets[k]), STEP_CATALOG[k][2], STEP_CATALOG[k][3])
                 for k in STEP_ORDER if k in offsets)


def _offsets(settings: EscalationSettings, handoff: int | None) -> dict[str, int]:
    """Default offsets with the overrides applied (rules in the module docstring)."""
    overrides = settings.steps
    final = overrides.get(FINAL_NOTICE, ...)
    if final is ...:
        final = handoff - settings.notice_days if handoff is not None else IN_HOUSE_FINAL_NOTICE
    offsets: dict[str, int] = {}
    for key in STEP_ORDER:
        default = STEP_CATALOG[key][1]
        if key == FINAL_NOTICE:
            value: int | None = final  # type: ignore[assignment]
        elif key == HANDOFF:
            value = handoff
        elif key in overrides:
            value = overrides[key]
        elif key in DROPPABLE and final is not None and default is not None and default > final - MIN_LETTER_GAP:
            value = None
        else:
            value = default
        if value is not None:
            offsets[key] = value
    return offsets


def _check_order(offsets: Mapping[str, int], overridden: Mapping[str, Any], source: str | Path) -> None:
    keys = list(offsets)
    if not keys:
        raise ConfigError(f"{_where(source, 'steps')} drops every step; keep at least one.")
    for earlier, later in zip(keys, keys[1:]):
        if offsets[later] <= offsets[earlier]:
            if later == HANDOFF:
                raise ConfigError(
                    f"{_where(source, 'steps.' + earlier)} ({offsets[earlier]}) must be before the agency hand-off "
                    f"at {offsets[HANDOFF]} days past due (the cost case's D).")
            if later in overridden or earlier in overridden:
                named = "steps." + (later if later in overridden else earlier)
            else:  # only a derived final notice (D − notice_days) can collide with a default
                named = "notice_days"
            raise ConfigError(
                f"{_where(source, named)}: '{later}' ({offsets[later]}) must come later than "
                f"'{earlier}' ({offsets[earlier]}); offsets increase in the order {list(keys)}.")


def ladder_from_config(raw: Mapping[str, Any] | None, handoff_day: float | None,
                       source: str | Path = "client.yaml") -> tuple[Step, ...]:
    """The ladder of a client: the defaults (rules in the module docstring) with ``escalation:``
    applied, for a hand-off at ``handoff_day`` days past due (None: in-house, no hand-off).

    Raises :class:`ConfigError` naming ``escalation.<key>`` when offsets do not strictly increase
    in ladder order, when the final notice is not before the hand-off or is dropped while there
    is one, and for every structural mistake of :func:`parse_escalation`.
    """
    settings = parse_escalation(raw, source)
    handoff = _handoff_offset(handoff_day)
    if handoff is not None and settings.steps.get(FINAL_NOTICE, 0) is None:
        raise ConfigError(f"{_where(source, 'steps.' + FINAL_NOTICE)} cannot be dropped: the strategy hands "
                          f"claims to an agency at {handoff} days past due and the final notice announces it.")
    offsets = _offsets(settings, handoff)
    _check_order(offsets, settings.steps, source)
    return _build(offsets)


def default_ladder(handoff_day: float | None) -> tuple[Step, ...]:
    """The default ladder for a hand-off at ``handoff_day`` days past due (None: in-house)."""
    return ladder_from_config(None, handoff_day)


def handoff_day_of(case: Any) -> float | None:
    """D of a cost case (:class:`arassess.costs.case.CostCase`) for the ladder: the D of the
    recommended strategy (the agency's is the minimum placement age); None for in-house."""
    if case.strategy == "in_house":
        return None
    return float(case.days[case.strategy])


def find_step(ladder: tuple[Step, ...], key: str) -> Step | None:
    """The step ``key`` of ``ladder``, or None when the ladder has no such step."""
    return next((s for s in ladder if s.key == key), None)


def ladder_rows(ladder: tuple[Step, ...]) -> list[dict[str, Any]]:
    """The ladder as records (step, label, offset_days, channel, letter) for tables and sheets."""
    return [{"step": s.key, "label": s.label, "offset_days": s.offset_days, "channel": s.channel,
             "letter": s.letter or ""} for s in ladder]
