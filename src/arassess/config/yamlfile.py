"""The one reader of the YAML files arassess takes (client.yaml, goals.yaml, scenarios, the
questionnaire, the action catalog, the agency fee schedule): the same error for a broken file
everywhere. Unknown keys are checked with :func:`arassess.errors.check_keys`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from arassess.errors import ConfigError


def read_yaml(path: str | Path) -> Any:
    """The parsed content of ``path`` (None for an empty file). ConfigError "<path> is not valid
    YAML (line L, column C): <problem>." when it does not parse, a ConfigError naming the file when
    it is not text (a binary file); OSError when it cannot be read."""
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not a text file (it does not read as UTF-8): a YAML settings file is "
                          "expected; was another file saved under this name?") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError(f"{path} is not valid YAML{where}: {getattr(exc, 'problem', None) or exc}.") from None
