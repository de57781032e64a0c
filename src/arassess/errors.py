"""The project's exceptions: one base class, a few precise subclasses.

Every message is written for a finance user: it names the file, the row(s) as
the user sees them in the file, the column, the bad value and what was expected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping

if TYPE_CHECKING:  # pragma: no cover
    from arassess.quality import QualityReport


class ArassessError(Exception):
    """Base class of every error arassess raises on purpose."""


class ConfigError(ArassessError):
    """A client folder or its client.yaml is missing, unreadable or invalid."""


def check_keys(raw: Mapping[Any, Any], valid: Iterable[str], source: object, where: str = "") -> None:
    """ConfigError "<source>: unknown key(s) [...] at '<where>' (or the top level); valid keys are
    [...]." when ``raw`` has a key outside ``valid``: one wording for every YAML file read."""
    valid = list(valid)
    unknown = sorted(str(k) for k in raw if k not in valid)
    if unknown:
        place = f"'{where}'" if where else "the top level"
        raise ConfigError(f"{source}: unknown key(s) {unknown} at {place}; valid keys are {valid}.")


class InputError(ArassessError):
    """A data file cannot be used at all (missing, empty, required column absent,
    mixed currencies without rates)."""


class RejectionLimitError(InputError):
    """More rows were rejected than the configured share allows.

    ``report`` holds the full data-quality report so the caller can still show
    or export every rejected row with its reason.
    """

    def __init__(self, message: str, report: "QualityReport") -> None:
        super().__init__(message)
        self.report = report
