"""Industry presets, ``templates/presets.yaml``: a partial client.yaml per industry, applied beneath
the client's own settings (data, checked here; applied by :func:`arassess.config.client.load_config`).

Rule: a preset's setting is used only where client.yaml does not set the same key; mappings merge
key by key (``costs.effort_hours.demand_letter`` from the preset, ``costs.effort_hours.firm_reminder``
from the client), anything else (a list, a number) is taken whole from whichever sets it, the client
first. Every setting a preset may hold is listed in :data:`PRESET_KEYS` and carries its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from arassess.config.yamlfile import read_yaml
from arassess.errors import ConfigError
from arassess.paths import TEMPLATES_DIR

PRESETS_FILE = TEMPLATES_DIR / "presets.yaml"
#: The settings a preset may hold (dotted client.yaml keys; a mapping key covers what is under it).
PRESET_KEYS = ("industry", "kpis.aging_edges", "escalation.steps", "escalation.notice_days", "costs.effort_hours",
               "costs.hours_per_claim_month", "costs.hours_per_placement", "costs.min_placement_age")


@dataclass(frozen=True)
class Preset:
    """One preset: its key and label, the partial client.yaml and the reason for each setting."""

    key: str
    label: str
    settings: Mapping[str, Any]
    why: Mapping[str, str]


@dataclass(frozen=True)
class PresetUse:
    """The preset a client uses and what it decided: ``applied`` holds (dotted key, reason) for each
    setting taken from the preset (client.yaml did not set it) as (dotted key, value, reason); the
    client's own settings are not listed."""

    key: str
    label: str
    applied: tuple[tuple[str, Any, str], ...]

    def keys(self, section: str) -> frozenset[str]:
        """The keys of ``section`` (e.g. ``costs``) the preset set: ``costs.effort_hours`` → ``effort_hours``."""
        prefix = section + "."
        return frozenset(k[len(prefix):].split(".")[0] for k, _, _ in self.applied if k.startswith(prefix))

    def reason(self, key: str) -> str:
        """The reason for the preset's setting ``key`` (dotted, or a parent of the preset's keys), or ''."""
        return next((why for k, _, why in self.applied if k == key or k.startswith(key + ".")), "")

    def lines(self) -> list[str]:
        """One line per preset setting used (values of one setting together), with its reason."""
        grouped: dict[str, list[str]] = {}
        reasons: dict[str, str] = {}
        for dotted, value, why in self.applied:
            covering = _covered(dotted) or dotted
            rest = dotted[len(covering) + 1:]
            shown = "[" + ", ".join(map(str, value)) + "]" if isinstance(value, (list, tuple)) else str(value)
            grouped.setdefault(covering, []).append(f"{rest} {shown}" if rest else shown)
            reasons[covering] = why
        return [f"{key} = {', '.join(values)}: {reasons[key]}" for key, values in grouped.items()]


def _flatten(settings: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted keys of the leaves of ``settings`` ({'costs': {'a': 1}} → {'costs.a': 1})."""
    out: dict[str, Any] = {}
    for key, value in settings.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and dotted not in ("kpis.aging_edges",):
            out.update(_flatten(value, dotted + "."))
        else:
            out[dotted] = value
    return out


def _covered(dotted: str) -> str | None:
    """The PRESET_KEYS entry covering ``dotted`` (itself or a parent), None when not allowed."""
    return next((k for k in PRESET_KEYS if dotted == k or dotted.startswith(k + ".")), None)


def _preset(key: str, raw: Any, path: Path) -> Preset:
    at = f"{path}: presets.{key}"
    if not isinstance(raw, Mapping) or not isinstance(raw.get("settings"), Mapping) or not raw.get("label"):
        raise ConfigError(f"{at} must have a label and a settings mapping (a partial client.yaml).")
    why = raw.get("why") or {}
    if not isinstance(why, Mapping):
        raise ConfigError(f"{at}.why must map each setting to its reason.")
    settings = dict(raw["settings"])
    for dotted in _flatten(settings):
        covering = _covered(dotted)
        if covering is None:
            raise ConfigError(f"{at}.settings.{dotted} is not a setting a preset may hold; valid: "
                              f"{', '.join(PRESET_KEYS)}.")
        if not str(why.get(covering) or "").strip():
            raise ConfigError(f"{at}.why.{covering} is missing: every preset setting states its reason.")
    return Preset(key, str(raw["label"]), settings, {str(k): " ".join(str(v).split()) for k, v in why.items()})


def read_presets(path: Path = PRESETS_FILE) -> dict[str, Preset]:
    """The presets in ``path``, each checked (allowed keys, a reason for each)."""
    raw = read_yaml(path) or {}
    presets = raw.get("presets") if isinstance(raw, Mapping) else None
    if not isinstance(presets, Mapping) or not presets:
        raise ConfigError(f"{path} must hold 'presets:', a mapping of preset key to preset.")
    return {str(k): _preset(str(k), v, path) for k, v in presets.items()}


@lru_cache(maxsize=4)
def presets(path: Path = PRESETS_FILE) -> dict[str, Preset]:
    """:func:`read_presets`, read once per process (the file is data shipped with the code)."""
    return read_presets(path)


def _under(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``over`` laid on top: mappings merge key by key, any other value of ``over`` wins."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _under(out[key], value)
        else:
            out[key] = value
    return out


def apply_preset(raw: Mapping[str, Any], where: str) -> tuple[dict[str, Any], PresetUse | None]:
    """client.yaml's mapping ``raw`` with its ``preset:`` laid beneath it (the client's settings win),
    and what the preset decided; ``raw`` unchanged and None without a preset. An unknown preset is a
    ConfigError naming the valid ones."""
    name = raw.get("preset")
    if name in (None, ""):
        return dict(raw), None
    known = presets()
    if str(name) not in known:
        raise ConfigError(f"{where}: 'preset' must be one of {', '.join(known)} (templates/presets.yaml), "
                          f"got {name!r}.")
    preset = known[str(name)]
    own = _flatten({k: v for k, v in raw.items() if k != "preset"})
    applied = []
    for dotted, value in _flatten(preset.settings).items():
        if dotted not in own and not any(o.startswith(dotted + ".") or dotted.startswith(o + ".") for o in own):
            applied.append((dotted, value, preset.why[_covered(dotted) or dotted]))
    merged = _under(preset.settings, {k: v for k, v in raw.items() if k != "preset"})
    return merged, PresetUse(preset.key, preset.label, tuple(applied))


__all__ = ["PRESETS_FILE", "PRESET_KEYS", "Preset", "PresetUse", "apply_preset", "presets", "read_presets"]
