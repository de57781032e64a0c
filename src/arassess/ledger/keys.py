"""Integer codes for the ledger's text keys (invoice and customer ids), hashed once in Arrow.

Matching a million payment rows to their invoices, or grouping invoices by customer, is a hash
join on strings; done by Python objects it dominated the intake and the KPI snapshot. These two
functions do it in Arrow's C++ hash tables and hand back integer positions that numpy can use.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _arrow(values: pd.Series | np.ndarray) -> pa.Array | pa.ChunkedArray:
    """Text keys as an Arrow string array (missing values stay missing)."""
    if isinstance(values, pd.Series):
        values = values.array
    out = pa.array(values, from_pandas=True) if not isinstance(values, (pa.Array, pa.ChunkedArray)) else values
    return out if pa.types.is_string(out.type) or pa.types.is_large_string(out.type) else pc.cast(out, pa.string())


def first_positions(values: pd.Series | np.ndarray, keys: pd.Series | np.ndarray) -> np.ndarray:
    """For each value, the row position of its first occurrence in ``keys`` (-1 where absent)."""
    found = pc.index_in(_arrow(values), value_set=_arrow(keys))
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def codes(values: pd.Series | np.ndarray) -> tuple[np.ndarray, pa.Array]:
    """(code of each value, the distinct values in order of first appearance, as an Arrow array):
    pandas.factorize semantics, hashed in Arrow. Missing values get code -1."""
    arrow = _arrow(values)
    flat = arrow.combine_chunks() if isinstance(arrow, pa.ChunkedArray) else arrow
    encoded = pc.dictionary_encode(flat)
    code = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return code, encoded.dictionary


def customer_codes(invoices: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(code of each invoice's customer, the distinct customer ids as an object array): what
    ``pandas.factorize(invoices["customer_id"])`` gives, kept on the Ledger so the KPIs never
    hash the ids again."""
    code, distinct = codes(invoices["customer_id"])
    return code, np.asarray(distinct.to_pylist(), dtype=object)


__all__ = ["codes", "customer_codes", "first_positions"]
