"""arassess: accounts-receivable assessment workbooks.

The library behind the notebooks, the CLI and the reports. Typical use::

    from arassess import load_client, compute_kpis
    ledger = load_client("sample_data/voltline")
    table = compute_kpis(ledger, "2026-10-31")
"""

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

__version__ = "0.1.0"
