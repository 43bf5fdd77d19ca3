"""Unattended batches: many PDFs into one output folder that can be resumed, each file read in a
contained worker (local processes or a Ray cluster). The extraction core never imports this package."""

from pbextract.batch.model import BatchOptions, Limits
from pbextract.batch.runner import (
    EXIT_FILE_ERRORS,
    EXIT_INTERRUPTED,
    EXIT_MODEL,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_USAGE,
    UsageError,
    extract_many,
    run_batch,
)

__all__ = [
    "EXIT_FILE_ERRORS",
    "EXIT_INTERRUPTED",
    "EXIT_MODEL",
    "EXIT_OK",
    "EXIT_OUTPUT",
    "EXIT_USAGE",
    "BatchOptions",
    "Limits",
    "UsageError",
    "extract_many",
    "run_batch",
]
