"""Shared fixtures: write a throw-away client folder (client.yaml + data files).

The fixtures are session-scoped factories (they hold no state), so hypothesis
tests can use them too. Typical use::

    def test_something(tmp_path, make_client, good_invoices):
        folder = make_client(tmp_path, good_invoices(3) + "X1,C1,2026-13-01,2026-02-01,10\\n")
        ledger = load_client(folder)
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any, Callable, Mapping

import pytest
import yaml

INVOICE_HEADER = "invoice_id,customer_id,invoice_date,due_date,amount"


def pytest_configure(config: pytest.Config) -> None:
    """Keep Jupyter, IPython and matplotlib state out of $HOME: point them at a
    folder inside the repository's pytest cache (kernels and subprocesses inherit it)."""
    import os

    state = Path(config.rootpath) / ".pytest_cache" / "home"
    for variable, folder in (("JUPYTER_RUNTIME_DIR", "jupyter-runtime"), ("JUPYTER_DATA_DIR", "jupyter-data"),
                             ("IPYTHONDIR", "ipython"), ("MPLCONFIGDIR", "matplotlib"),
                             ("XDG_CACHE_HOME", "cache"), ("XDG_CONFIG_HOME", "config")):
        (state / folder).mkdir(parents=True, exist_ok=True)
        os.environ.setdefault(variable, str(state / folder))
    os.environ.setdefault("MPLBACKEND", "Agg")
PAYMENT_HEADER = "invoice_id,payment_date,amount"


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``extra``; nested mappings are merged, not replaced."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


def write_client(root: str | Path, invoices: str | bytes | None, payments: str | bytes | None = None,
                 customers: str | bytes | None = None, yaml_extra: Mapping[str, Any] | None = None,
                 *, name: str = "Test Client", currency: str = "EUR") -> Path:
    """Write a client folder at ``root`` and return its path.

    ``invoices``/``payments``/``customers`` are the text (or bytes) of
    invoices.csv / payments.csv / customers.csv; None writes no file (the
    invoices file is still named in client.yaml, so a None there tests a missing
    file). ``yaml_extra`` is merged into client.yaml (nested keys merge, so
    ``{"files": {"invoices": "inv.xlsx"}}`` only changes that one path).
    """
    folder = Path(root)
    folder.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {"name": name, "currency": currency, "files": {"invoices": "invoices.csv"}}
    for kind, content in (("invoices", invoices), ("payments", payments), ("customers", customers)):
        if content is None:
            continue
        target = folder / f"{kind}.csv"
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", newline="")
        config["files"][kind] = target.name
    if yaml_extra:
        config = _merge(config, yaml_extra)
    (folder / "client.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return folder


def invoice_lines(n: int, *, first: int = 1, header: bool = True, amount: float = 100.0,
                  start: dt.date = dt.date(2026, 1, 1)) -> str:
    """CSV text of ``n`` valid invoices I<first>..: one per day from ``start``, due 30 days later,
    amounts ``amount`` + i (so each row's amount is distinct and known)."""
    lines = [INVOICE_HEADER] if header else []
    for i in range(first, first + n):
        day = start + dt.timedelta(days=i - first)
        lines.append(f"I{i},C{i % 7},{day:%Y-%m-%d},{day + dt.timedelta(days=30):%Y-%m-%d},{amount + i:.2f}")
    return "\n".join(lines) + "\n"


def digest(folder: str | Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (by relative path): to show inputs are not modified."""
    root = Path(folder)
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def make_client() -> Callable[..., Path]:
    """``make_client(root, invoices_csv_text, payments=None, customers=None, yaml_extra=None)`` -> folder."""
    return write_client


@pytest.fixture(scope="session")
def good_invoices() -> Callable[..., str]:
    """``good_invoices(n, first=1, header=True, amount=100.0)`` -> CSV text of n valid invoices."""
    return invoice_lines


@pytest.fixture(scope="session")
def folder_digest() -> Callable[[str | Path], dict[str, str]]:
    """``folder_digest(folder)`` -> {relative path: sha256} of every file in it."""
    return digest
