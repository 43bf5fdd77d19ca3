"""pbextract: budget performance-target tables (绩效目标表) from PDF to validated records."""

__version__ = "0.1.0"
SCHEMA_VERSION = "2"
