"""Unattended batches: hostile inputs, interrupt / kill -9 and resume, Ray, a model problem, extract_many."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pikepdf
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pbextract.batch import EXIT_FILE_ERRORS, EXIT_INTERRUPTED, EXIT_MODEL, EXIT_OK, EXIT_OUTPUT, Limits, extract_many
from pbextract.cli import app
from tests.conftest import SAMPLES
from tests.hostile import make_corpus, make_gbk_named, slice_pdf, with_bad_code

PBEXTRACT = str(Path(sys.executable).parent / "pbextract")
MEMORY_MB = 640  # per worker in these tests


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Five-page slices of the digital samples (fast to read), one with flagged cells."""
    d = tmp_path_factory.mktemp("small")
    out = {
        name: slice_pdf(SAMPLES / f"{name}.pdf", 3, 7, d / f"{name}-3-7.pdf")
        for name in ("yantai", "liaocheng-part1a", "liaocheng-part1b", "liaocheng-part2")
    }
    out["flagged"] = with_bad_code(out["yantai"], d / "flagged.pdf")
    return out


def _run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PBEXTRACT, "run", *map(str, args), "--quiet"], capture_output=True, text=True, env=env, timeout=600
    )


def _manifest(out: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return manifest


def _outputs(out: Path) -> dict[str, Any]:
    """Everything a run leaves that must not depend on how it ran: records, tables, crops."""
    crops = {str(p.relative_to(out)): p.read_bytes() for p in sorted((out / "crops").rglob("*")) if p.is_file()}
    tables = {n: pq.read_table(out / f"{n}.parquet").to_pylist() for n in ("projects", "indicators", "flags")}
    return {"records": (out / "records.jsonl").read_bytes(), "tables": tables, "crops": crops}


BAD = {  # file -> words its one error line must hold
    "zero-byte.pdf": "empty file",
    "random.pdf": "not a PDF",
    "page.html.pdf": "corrupt PDF",
    "user-password.pdf": "encrypted",
    "zero-pages.pdf": "no pages",
    "flate-bomb.pdf": "every page failed",
    "huge-mediabox.pdf": "page too large",
    "self.pdf": "cannot be read",
}
READ = ["broken-xref.pdf", "owner-password.pdf", "kids-loop.pdf", "parent-loop.pdf", "no-mediabox.pdf"]


def test_hostile_inputs_among_good_ones(tmp_path: Path, small: dict[str, Path]) -> None:
    good, bad = tmp_path / "in" / "good", tmp_path / "in" / "bad"
    good.mkdir(parents=True)
    for name in ("yantai", "liaocheng-part2", "flagged"):
        shutil.copy(small[name], good / small[name].name)
    shutil.copy(small["yantai"], good / "zz-copy-of-yantai.pdf")  # same bytes, another name
    made = make_corpus(bad, small["yantai"])
    gbk = make_gbk_named(bad, small["liaocheng-part1a"])
    log = tmp_path / "log.jsonl"
    limits = ["--workers", "2", "--memory-limit", str(MEMORY_MB), "--file-timeout", "120"]
    twice = good / small["yantai"].name  # also found through the folder

    res = CliRunner().invoke(app, ["run", str(tmp_path / "in"), str(twice), "-o", str(tmp_path / "out"), "--quiet",
                                   "--log-file", str(log), *limits])  # fmt: skip
    clean = CliRunner().invoke(app, ["run", str(good), "-o", str(tmp_path / "clean"), "--quiet", *limits])

    assert res.exit_code == EXIT_FILE_ERRORS, res.output
    assert clean.exit_code == EXIT_OK, clean.output
    errors = [line for line in res.output.splitlines() if line.startswith("error ")]
    for name, words in BAD.items():
        mine = [line for line in errors if f"/{name}:" in line]
        assert len(mine) == 1 and words in mine[0], (name, made[name], errors)
    assert len(errors) - any("/truncated.pdf:" in line for line in errors) == len(BAD), errors
    logged = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert sum(e["level"] == "error" for e in logged) == len(errors)

    manifest = _manifest(tmp_path / "out")
    assert manifest["run"]["status"] == "complete" and manifest["pending"] == []
    files = {Path(f["path"]).name: f for f in manifest["files"]}
    for name in READ:
        assert files[name]["status"] == "ok" and files[name]["records"] > 0, files[name]
    assert "qpdf" in files["broken-xref.pdf"]["warnings"][0]
    truncated = files["truncated.pdf"]  # qpdf recovers the pages before the cut, if any
    assert truncated["status"] == "error" or "qpdf" in truncated["warnings"][0], truncated
    assert sum("/truncated.pdf:" in line for line in errors) == (truncated["status"] == "error")
    assert files["blank-3000.pdf"]["pages"] == 3000 and files["blank-3000.pdf"]["status"] == "ok"
    assert files["zz-copy-of-yantai.pdf"]["duplicate_of"].endswith("yantai-3-7.pdf")
    assert sum(Path(f["path"]).name == twice.name for f in manifest["files"]) == 1  # given twice, read once
    assert max(f["worker_peak_rss_mb"] for f in manifest["files"]) < MEMORY_MB
    assert manifest["totals"]["errors"] == len(errors)

    records = [json.loads(line) for line in (tmp_path / "out" / "records.jsonl").read_text("utf-8").splitlines()]
    assert len({r["record_id"] for r in records}) == len(records)
    gbk_records = [r for r in records if r["source_file"] == gbk.name.encode("utf-8", "surrogateescape").decode(
        "utf-8", "backslashreplace")]  # fmt: skip
    assert gbk_records and all("\\x" in r["source_path"] for r in gbk_records)
    good_shas = {json.loads(line)["source_sha256"] for line in (tmp_path / "clean" / "records.jsonl").open()}
    kept = "".join(
        line for line in (tmp_path / "out" / "records.jsonl").open() if json.loads(line)["source_sha256"] in good_shas
    )
    assert kept == (tmp_path / "clean" / "records.jsonl").read_text(encoding="utf-8")  # fmt: skip
    assert (tmp_path / "out" / "crops").exists() and _outputs(tmp_path / "clean")["crops"]


def _wait_for_units(out: Path, n: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 300
    while len(list((out / "units").glob("*.json"))) < n:
        assert process.poll() is None, "the run ended before it could be stopped"
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _start(*args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PBEXTRACT, "run", *map(str, args), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's Ctrl-C would reach it
    )


def test_ctrl_c_then_kill_9_then_resume_equals_a_clean_run(tmp_path: Path, small: dict[str, Path]) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for p in small.values():
        shutil.copy(p, src / p.name)
    for name in ("yantai", "liaocheng-part2"):
        slice_pdf(SAMPLES / f"{name}.pdf", 8, 12, src / f"{name}-8-12.pdf")
    for name in ("yantai", "liaocheng-part1a", "liaocheng-part1b", "liaocheng-part2"):  # work left to stop midway
        shutil.copy(SAMPLES / f"{name}.pdf", src / f"{name}-all.pdf")
    for page in (1, 2):  # read first, and slow (OCR): the run is still busy when Ctrl-C comes
        slice_pdf(SAMPLES / "mixed-scan.pdf", page, page, src / f"a-scan-{page}.pdf")
    out, clean = tmp_path / "out", tmp_path / "clean"
    one = ["--workers", "1"]

    first = _start(src, "-o", out, *one)
    _wait_for_units(out, 1, first)
    second = _run(src, "-o", out)  # the folder is in use
    assert second.returncode == EXIT_OUTPUT and "in use by another run" in second.stderr
    os.killpg(first.pid, signal.SIGINT)
    assert first.wait(120) == EXIT_INTERRUPTED, first.communicate()
    manifest = _manifest(out)
    assert manifest["run"]["status"] == "interrupted" and manifest["pending"]
    assert len(manifest["files"]) + len(manifest["pending"]) == 13
    assert (out / "records.jsonl").read_text(encoding="utf-8").count("\n") == manifest["combined_records"]

    done = len(list((out / "units").glob("*.json")))
    killed = _start(src, "-o", out, *one)
    _wait_for_units(out, done + 1, killed)
    time.sleep(0.3)  # somewhere inside the next file
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(60)

    resumed = _run(src, "-o", out, "--workers", "2")
    assert resumed.returncode == EXIT_OK, resumed.stderr
    assert _manifest(out)["totals"]["reused"] >= done + 1
    assert _run(src, "-o", clean, "--workers", "2").returncode == EXIT_OK
    assert _outputs(out) == _outputs(clean)
    assert _outputs(out)["crops"], "the flagged sample gives crops to compare"
    assert not list(out.glob(".*.tmp")) and not list((out / "crops").glob(".*"))


def test_ray_local_cluster_gives_the_same_outputs(tmp_path: Path, small: dict[str, Path]) -> None:
    pytest.importorskip("ray")
    files = [small["yantai"], small["flagged"], small["liaocheng-part2"]]
    ray = _run(*files, "-o", tmp_path / "ray", "--ray", "local", "--workers", "2")
    local = _run(*files, "-o", tmp_path / "local", "--workers", "2")
    assert ray.returncode == EXIT_OK, ray.stderr
    assert local.returncode == EXIT_OK, local.stderr
    assert _outputs(tmp_path / "ray") == _outputs(tmp_path / "local")
    assert _manifest(tmp_path / "ray")["run"]["options"]["ray"] == "local"


def test_missing_ocr_model_stops_the_batch(tmp_path: Path, small: dict[str, Path]) -> None:
    scan = slice_pdf(SAMPLES / "mixed-scan.pdf", 1, 1, tmp_path / "scan-page.pdf")
    env = {**os.environ, "PBEXTRACT_MODELS": str(tmp_path / "no-models")}
    res = _run(scan, small["yantai"], "-o", tmp_path / "out", "--workers", "1", env=env)
    assert res.returncode == EXIT_MODEL, res.stderr
    fatal = [line for line in res.stderr.splitlines() if line.startswith("fatal ")]
    assert len(fatal) == 1 and "model manifest not found" in fatal[0]
    assert _manifest(tmp_path / "out")["run"]["status"] == "stopped"


def test_extract_many_keeps_input_order_with_limits(tmp_path: Path, small: dict[str, Path]) -> None:
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.4 nothing else")
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(small["yantai"]) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(user="u", owner="o"))
    results = extract_many([small["yantai"], junk, locked, small["yantai"]], workers=2, password="u")
    assert [r.status for r in results] == ["ok", "error", "ok", "ok"]
    assert results[0] is results[3]
    assert len(results[2].records) == len(results[0].records) > 0

    (slow,) = extract_many([SAMPLES / "mixed-scan.pdf"], workers=1, limits=Limits(file_timeout=1))  # OCR: over 1 s
    assert slow.status == "error" and "timed out after 1 s" in (slow.error or "")


def test_core_does_not_import_batch_or_cli() -> None:
    code = (
        "import sys, pbextract.pipeline, pbextract.output.writers, pbextract.output.crops; "
        "bad = [m for m in sys.modules if m.startswith(('pbextract.batch', 'pbextract.cli'))]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_full_disk_stops_the_batch_with_its_own_code(tmp_path: Path) -> None:
    def little_room() -> None:  # writes past 40 kB fail as on a full disk (the unit is about 70 kB)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))

    cmd = [PBEXTRACT, "run", str(SAMPLES / "yantai.pdf"), "-o", str(tmp_path / "out"), "--quiet", "--workers", "1"]
    res = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=little_room, timeout=300)
    assert res.returncode == EXIT_OUTPUT, res.stderr
    fatal = [line for line in res.stderr.splitlines() if line.startswith("fatal ")]
    assert len(fatal) == 1 and "cannot write the output folder" in fatal[0], res.stderr
    assert "Traceback" not in res.stderr


def test_a_worker_that_dies_is_one_error_and_is_replaced() -> None:
    from pbextract.batch.model import ReadTask
    from pbextract.batch.pool import LocalPool

    tasks = [
        ReadTask(index=i, path=str(SAMPLES / name), source=name, crops=False)
        for i, name in enumerate(["liaocheng-part1b.pdf", "yantai.pdf"])
    ]
    with LocalPool(1, Limits()) as pool:

        def kill_at_page_2(task: ReadTask, done: int, total: int) -> None:
            pid = pool._slots[0].process.pid
            if task.index == 0 and done == 2 and pid is not None:
                os.kill(pid, signal.SIGKILL)  # as the kernel's OOM killer would

        died, read = pool.run(tasks, on_page=kill_at_page_2)
    assert died.result.status == "error" and "worker died (SIGKILL" in (died.result.error or ""), died.result.error
    assert read.result.status == "ok" and read.result.records
