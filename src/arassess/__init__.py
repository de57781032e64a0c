"""arassess: accounts-receivable assessment workbooks.

The library behind the notebooks, the CLI and the reports. Typical use::

    from arassess import load_client, compute_kpis
    ledger = load_client("sample_data/voltline")
    table = compute_kpis(ledger, "2026-10-31")
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from arassess.errors import ArassessError, ConfigError, InputError, RejectionLimitError
from arassess.inputs.intake import load_client
from arassess.kpi.engine import compute_kpis, kpi_series
from arassess.kpi.registry import KPIS
from arassess.ledger.model import Ledger

__all__ = [
    "ArassessError",
    "ConfigError",
    "InputError",
    "RejectionLimitError",
    "Ledger",
    "KPIS",
    "compute_kpis",
    "kpi_series",
    "load_client",
]

try:
    __version__ = _version("arassess")
except PackageNotFoundError:  # run from a checkout that is not installed
    __version__ = "0+unknown"
