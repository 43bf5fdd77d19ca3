"""pbextract: budget performance-target tables (绩效目标表) from PDF to validated records.

The Python API (see the README): ``extract``, ``extract_many``, ``to_frames``, and the ``Record`` and
``FileResult`` models they return. The pipeline is imported on first use, so ``import pbextract``
stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

__version__ = "0.1.0"
SCHEMA_VERSION: Final = "2"

__all__ = ["SCHEMA_VERSION", "FileResult", "Record", "__version__", "extract", "extract_many", "to_frames"]

if TYPE_CHECKING:
    from pbextract._api import extract, extract_many, to_frames
    from pbextract.pipeline import FileResult
    from pbextract.schema import Record

_LAZY = {
    "extract": "pbextract._api",
    "extract_many": "pbextract._api",
    "to_frames": "pbextract._api",
    "FileResult": "pbextract.pipeline",
    "Record": "pbextract.schema",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'pbextract' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)
