"""Shared fixtures: the committed sample PDFs, extracted once per session."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pbextract.pipeline import FileResult, extract_file
from pbextract.score import score_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
DIGITAL = sorted(p for p in SAMPLES.glob("*.pdf") if not p.stem.endswith(("-scan", "-ocr")))
IMAGE_SAMPLES = [SAMPLES / "mixed-scan.pdf", SAMPLES / "mixed-ocr.pdf"]


def expected_records(pdf: Path) -> list[dict[str, Any]]:
    path = pdf.with_suffix(".expected.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def assert_equals_truth(pdf: Path, result: FileResult, fold: bool = False) -> None:
    """Every expected record of ``pdf`` is extracted, in order, field by field (``fold``: after NFKC)."""
    expected = expected_records(pdf)
    got = [json.loads(r.model_dump_json()) for r in result.records]
    assert result.status == "ok", result.page_errors
    assert [r["project_code"] for r in got] == [r["project_code"] for r in expected]
    score = score_file(expected, got, fold=fold)
    assert score.mismatches == []
    assert score.indicator_recall == 1.0
    assert score.fields > 100 * len(expected)  # every indicator field was compared


@pytest.fixture(scope="session")
def extracted() -> dict[str, FileResult]:
    return {p.name: extract_file(p) for p in DIGITAL}


@pytest.fixture(scope="session")
def image_results() -> dict[str, FileResult]:
    return {p.name: extract_file(p) for p in IMAGE_SAMPLES}


@pytest.fixture(scope="session")
def batch_out(
    tmp_path_factory: pytest.TempPathFactory,
    extracted: dict[str, FileResult],
    image_results: dict[str, FileResult],
) -> Path:
    """An output folder of every sample plus a folder holding the same PDF under two names and two
    different PDFs (other bytes, same tables) under the same base name."""
    from pbextract import extract_many

    root = tmp_path_factory.mktemp("batch")
    (root / "in" / "a").mkdir(parents=True)
    (root / "in" / "b").mkdir()
    data = (SAMPLES / "yantai.pdf").read_bytes()
    (root / "in" / "a" / "yantai.pdf").write_bytes(data)
    (root / "in" / "a" / "yantai-copy.pdf").write_bytes(data)
    (root / "in" / "b" / "yantai.pdf").write_bytes(data + b"\n% another file\n")
    more = extract_many(sorted((root / "in").rglob("*.pdf")), workers=1)
    return write_out(root / "out", [*extracted.values(), *image_results.values(), *more])


def write_out(out: Path, results: list[FileResult]) -> Path:
    """The combined outputs ``pbextract run`` would write for these results (without crops or units),
    and a manifest listing each file's sha256 and status."""
    from pbextract.output.writers import write_combined

    out.mkdir(parents=True, exist_ok=True)
    write_combined(out, [record for result in results for record in result.records])
    files = [{"path": r.path, "sha256": r.sha256, "status": r.status} for r in results]
    (out / "manifest.json").write_text(json.dumps({"files": files}, ensure_ascii=False), encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The URL of a throwaway PostgreSQL server; the tests that need one skip without the binaries,
    except in CI (``CI`` set), where they must run."""
    from tests.pgserver import postgres_server, server_bin

    bin_dir = server_bin()
    if bin_dir is None:
        reason = "no PostgreSQL server binaries (apt-get install postgresql)"
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(reason + " in CI, where the Postgres tests must run")
        pytest.skip(reason)
    with postgres_server(bin_dir) as url:
        yield url
