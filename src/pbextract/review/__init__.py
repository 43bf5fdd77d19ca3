"""Review: QA reviewers' decisions (corrections.jsonl) and the reviewed view of the records."""

from pbextract.review.corrections import (
    CORRECTIONS,
    Action,
    Correction,
    Reviewed,
    append_correction,
    apply_corrections,
    corrections_path,
    latest_decisions,
    read_corrections,
    value_at,
)

__all__ = [
    "CORRECTIONS",
    "Action",
    "Correction",
    "Reviewed",
    "append_correction",
    "apply_corrections",
    "corrections_path",
    "latest_decisions",
    "read_corrections",
    "value_at",
]
