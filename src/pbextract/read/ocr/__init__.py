"""OCR behind one adapter (``OcrEngine``): the PP-OCR recogniser and its decoder."""
