"""Forms: cells -> project tables -> records and flags. Knows nothing of files or I/O."""
