"""An ordinary (non-editable) install reads scans: the model manifest ships as package data.

The wheel is built from a copy of the sources without build isolation and installed with --no-deps
--no-index into a fresh venv whose third-party packages come from this venv (one .pth line), so
nothing is downloaded and only pbextract itself is the installed copy."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pypdfium2 as pdfium

from tests.conftest import ROOT, SAMPLES, expected_records


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_wheel_installs_and_reads_a_scanned_page(tmp_path: Path) -> None:
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(ROOT / "src", src / "src", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        "-w",
        tmp_path,
        src,
        cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("pbextract-*.whl")

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path).strip())
    (site / "dev-venv-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    _run(
        sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel, cwd=tmp_path
    )

    page = tmp_path / "page1.pdf"
    doc = pdfium.PdfDocument.new()
    doc.import_pages(pdfium.PdfDocument(SAMPLES / "mixed-scan.pdf"), [0])
    doc.save(page)
    env = {k: v for k, v in os.environ.items() if k != "PBEXTRACT_MODELS"}
    where = _run(
        python, "-c", "import pbextract.read.ocr.engine as e; print(e.__file__, e.MANIFEST)", cwd=tmp_path, env=env
    )
    assert where.startswith(str(venv)) and str(ROOT) not in where
    _run(venv / "bin" / "pbextract", "run", page, "-o", tmp_path / "out", "--quiet", cwd=tmp_path, env=env)
    records = [
        json.loads(line) for line in (tmp_path / "out" / "records.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    first = expected_records(SAMPLES / "mixed-scan.pdf")[0]
    assert [r["project_code"] for r in records] == [first["project_code"]]
    assert records[0]["project_name"] == first["project_name"] and records[0]["form"] == first["form"]
