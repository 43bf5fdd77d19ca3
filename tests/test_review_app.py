"""The review app without a browser: a big queue's speed, typed edits, file and Host refusal."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from pbextract.cli import app
from pbextract.review.app import Settings, create_app, safe_file
from pbextract.review.corrections import Action, corrections_path
from pbextract.review.store import DecisionError, ReviewStore, coerce
from pbextract.schema import Record

N_RECORDS, FLAGS_EACH = 1000, 20


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder with 20,000 flags."""
    out = tmp_path_factory.mktemp("big")
    with open(out / "records.jsonl", "w", encoding="utf-8") as fh:
        for r in range(N_RECORDS):
            rid = f"{r:016x}:1:1"
            flags = [
                {
                    "flag_id": f"{rid}:indicators.{i}.value:low_ocr_confidence",
                    "field": f"indicators.{i}.value",
                    "page": 1 + i % 3,
                    "bbox": [10, 10, 50, 30],
                    "confidence": (r * FLAGS_EACH + i) % 97 / 100,
                    "reason": ["low_ocr_confidence", "unparsed_value"][i % 2],
                    "text": f"{i}.5",
                    "crop": None,
                }
                for i in range(FLAGS_EACH)
            ]
            indicators = [
                {"level1": "产出指标", "level2": "数量指标", "name": "n", "value": f"{i}.5"} for i in range(20)
            ]
            record = {
                "record_id": rid,
                "source_file": f"f{r % 40}.pdf",
                "source_path": f"in/f{r % 40}.pdf",
                "source_sha256": f"{r:064x}",
                "page_start": 1,
                "page_end": 3,
                "form": "annual_target_table",
                "indicators": indicators,
                "flags": flags,
            }
            fh.write(json.dumps(record) + "\n")
    return out


def test_a_queue_of_20000_flags_opens_in_under_a_second(big: Path) -> None:
    start = time.perf_counter()
    store = ReviewStore(big, "r")
    app = create_app(Settings(out=big, reviewer="r", pdf_root=big), store=store, token="t")
    loaded = time.perf_counter() - start
    assert len(store.items) == N_RECORDS * FLAGS_EACH
    client = TestClient(app, base_url="http://127.0.0.1:8765")
    for query in ("/", "/?order=page&page=200", "/?reason=unparsed_value&file=f7.pdf", "/?status=reviewed"):
        start = time.perf_counter()
        response = client.get(query)
        assert response.status_code == 200
        assert time.perf_counter() - start < 1.0, query
    assert loaded < 5.0
    first = store.orders["confidence"][0]
    assert first.confidence == 0.0


def test_edits_are_typed_as_the_contract_says(big: Path) -> None:
    assert coerce("indicators.0.value", " 1,200.50 ") == "1200.50"
    assert coerce("indicators.0.operator", ">=") == "≥"
    assert coerce("budget_total", "") is None
    assert coerce("indicators.3.name", "") == ""
    assert coerce("year", "2022") == 2022
    for field, text in (("indicators.0.value", "abc"), ("indicators.0.operator", "≈"), ("flags", "x"), ("year", "x")):
        with pytest.raises(DecisionError):
            coerce(field, text)
    store = ReviewStore(big, "r")
    with pytest.raises(DecisionError):
        store.decide("0000000000000000:1:1", "record", Action.EDIT, "x")


def test_files_only_from_the_folder(tmp_path: Path) -> None:
    (tmp_path / "crops").mkdir()
    (tmp_path / "crops" / "a.png").write_bytes(b"png")
    (tmp_path.parent / "outside.png").write_bytes(b"png")
    (tmp_path / "crops" / "b.png").symlink_to(tmp_path.parent / "outside.png")
    out = tmp_path.resolve()
    assert safe_file(out, "crops/a.png") == out / "crops" / "a.png"
    for bad in ("crops/b.png", "../outside.png", "/etc/passwd", "crops//a.png", "crops\\a.png", "", "crops"):
        assert safe_file(out, bad) is None, bad


def test_host_must_be_the_served_one(big: Path) -> None:
    app = create_app(Settings(out=big, reviewer="r", pdf_root=big, port=9000), token="t")
    assert TestClient(app, base_url="http://127.0.0.1:9000").get("/api/progress").status_code == 200
    assert TestClient(app, base_url="http://localhost:9000").get("/api/progress").status_code == 200
    assert TestClient(app, base_url="http://evil.example:9000").get("/api/progress").status_code == 400
    assert TestClient(app, base_url="http://127.0.0.1:9001").get("/api/progress").status_code == 400


def test_a_rerun_keeps_the_review_and_apply_lists_stale_decisions(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    record = Record(record_id="a:1:1", source_file="x.pdf", source_sha256="0" * 64, page_start=1, page_end=1, form=None)
    (out / "records.jsonl").write_text(record.model_dump_json() + "\n", encoding="utf-8")
    ReviewStore(out, "r").decide("a:1:1", "project_name", Action.EDIT, "改过的名称")
    saved = corrections_path(out).read_bytes()
    bad = tmp_path / "bad.pdf"
    bad.write_text("not a pdf", encoding="utf-8")
    CliRunner().invoke(app, ["run", str(bad), "-o", str(out), "--quiet"])
    assert corrections_path(out).read_bytes() == saved
    # the new extraction holds something else than what was decided on: listed, not applied
    changed = record.model_copy(update={"project_name": "别的"})
    (out / "records.jsonl").write_text(changed.model_dump_json() + "\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["apply", str(out)])
    assert res.exit_code == 0, res.output
    assert "1 stale" in res.output and "stale a:1:1 project_name" in res.output
    reviewed = (out / "reviewed" / "records.jsonl").read_text(encoding="utf-8")
    assert "别的" in reviewed and "改过的名称" not in reviewed
