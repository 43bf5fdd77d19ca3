"""Source PDFs found at review start, and their page images rendered once into ``OUT/review-cache/``.

A record names its PDF by the path given to ``pbextract run`` (``source_path``), which is relative
to where that run was started: review resolves it against ``--pdf-root`` (default: the current
folder) once, at start, and checks the file's sha256 before its first page is shown. A file that is
missing or has other bytes is refused, never guessed at. A page the run read turned (a scan fed
sideways or upside down; ``turned_pages`` in ``OUT/manifest.json``) is shown turned the same way.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from pbextract.output.pageimages import page_images
from pbextract.read.pdfopen import sha256_of

CACHE = "review-cache"


class PageImage(BaseModel):
    """A cached page image: its path relative to OUT, its size and pixels per PDF point."""

    path: str
    width: int
    height: int
    scale: float


class SourceMissing(LookupError):
    """The PDF a record came from is not where its path says, or is another file now."""


class PageCache:
    """Page images of the records' source PDFs, rendered on first use."""

    def __init__(self, out_dir: Path, records: dict[str, dict[str, Any]], pdf_root: Path) -> None:
        self.out = out_dir.resolve()
        self.sources: dict[str, Path | None] = {}  # sha256 -> the PDF, None when missing
        for record in records.values():
            sha = record["source_sha256"]
            if sha not in self.sources:
                given = Path(record.get("source_path") or record["source_file"])
                path = (given if given.is_absolute() else pdf_root / given).resolve()
                self.sources[sha] = path if path.is_file() else None
        self.turns = _turned_pages(self.out / "manifest.json")
        self._verified: set[str] = set()
        self._lock = threading.Lock()

    def missing(self) -> list[str]:
        return sorted(sha for sha, path in self.sources.items() if path is None)

    def page(self, sha256: str, page: int) -> PageImage:
        """The page image (rendering it the first time); SourceMissing when its PDF cannot be used."""
        folder = self.out / CACHE / sha256[:16]
        meta = folder / f"p{page}.json"
        if meta.is_file():
            return PageImage.model_validate_json(meta.read_text(encoding="utf-8"))
        pdf = self.sources.get(sha256)
        if pdf is None:
            raise SourceMissing(f"the source PDF of {sha256[:16]} was not found")
        with self._lock:
            if meta.is_file():
                return PageImage.model_validate_json(meta.read_text(encoding="utf-8"))
            if sha256 not in self._verified:
                if sha256_of(pdf) != sha256:
                    raise SourceMissing(f"{pdf} has changed since it was extracted (sha256 differs)")
                self._verified.add(sha256)
            folder.mkdir(parents=True, exist_ok=True)
            _, image, scale = next(page_images(pdf, [page], self.turns.get(sha256)))
            png = folder / f"p{page}.png"
            image.save(png.with_name(png.name + ".tmp"), format="PNG")
            os.replace(png.with_name(png.name + ".tmp"), png)
            info = PageImage(path=str(png.relative_to(self.out)), width=image.width, height=image.height, scale=scale)
            meta.with_name(meta.name + ".tmp").write_text(json.dumps(info.model_dump()), encoding="utf-8")
            os.replace(meta.with_name(meta.name + ".tmp"), meta)
            return info


def _turned_pages(manifest: Path) -> dict[str, dict[int, int]]:
    """The pages each source PDF had read turned, by its sha256 (none known without a manifest)."""
    try:
        files = json.loads(manifest.read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError):
        return {}
    return {f["sha256"]: {int(k): v for k, v in f.get("turned_pages", {}).items()} for f in files if f.get("sha256")}
