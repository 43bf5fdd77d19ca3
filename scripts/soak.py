"""Soak test of the batch runner (``make soak``; not part of the tests).

Builds N PDFs (slices of the digital samples, each with its own bytes, and about 5% hostile files),
runs them once cleanly, then again into a second folder killed with SIGKILL at random moments
and resumed each time, and prints pages/s with 1 and N workers, the peak RSS per worker, and
whether the final outputs equal the clean run's.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile import make_corpus, slice_pdf, with_bad_code  # noqa: E402

PBEXTRACT = str(Path(sys.executable).parent / "pbextract")
DIGITAL = ["yantai", "liaocheng-part1a", "liaocheng-part1b", "liaocheng-part2"]
ONCE = {"blank-3000.pdf", "flate-bomb.pdf", "huge-mediabox.pdf", "huge-image.pdf"}  # costly: one copy each


def build(folder: Path, n: int, hostile: float, rng: random.Random) -> None:
    """``n`` PDFs in ``folder``: 2-4 page slices of the samples (some with flagged cells) with a unique
    trailing comment, and hostile ones."""
    parts = folder.parent / "parts"
    parts.mkdir(parents=True, exist_ok=True)
    slices = []
    for name in DIGITAL:
        for first in range(3, 22, 2):
            last = first + rng.randint(1, 3)
            slices.append(slice_pdf(ROOT / "samples" / f"{name}.pdf", first, last, parts / f"{name}-{first}.pdf"))
    slices += [with_bad_code(p, p.with_name(f"flagged-{p.name}")) for p in slices[::4]]  # flags, so crops
    bad_dir = parts / "hostile"
    make_corpus(bad_dir, slices[0])
    bad = sorted(p for p in bad_dir.iterdir() if p.is_file() and not p.is_symlink() and p.name.endswith(".pdf"))
    cheap = [p for p in bad if p.name not in ONCE]
    n_bad = round(n * hostile)
    step = n // n_bad if n_bad else n + 1
    chosen = [p for p in bad if p.name in ONCE] + [cheap[i % len(cheap)] for i in range(n_bad - len(ONCE))]
    folder.mkdir(parents=True)
    for i in range(n):
        if i % step == 0 and chosen:
            src = chosen.pop()
            shutil.copy(src, folder / f"doc-{i:05d}-{src.stem}.pdf")
        else:
            data = slices[i % len(slices)].read_bytes() + f"\n%soak {i}\n".encode()
            (folder / f"doc-{i:05d}.pdf").write_bytes(data)


def run(inputs: Path, out: Path, workers: int, kill_after: float | None = None) -> tuple[int, str, float]:
    """One ``pbextract run``; killed with SIGKILL after ``kill_after`` seconds if given."""
    start = time.perf_counter()
    cmd = [PBEXTRACT, "run", str(inputs), "-o", str(out), "--quiet", "--workers", str(workers)]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=kill_after)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
    return proc.returncode, err, time.perf_counter() - start


def summary(stderr: str) -> dict[str, float]:
    m = re.search(r"read (\d+) pages in ([\d.]+)s \(([\d.]+) pages/s, peak RSS per worker (\d+) MB\)", stderr)
    if not m:
        return {}
    return {"pages": float(m[1]), "seconds": float(m[2]), "rate": float(m[3]), "rss": float(m[4])}


def outputs(out: Path) -> dict[str, Any]:
    crops = {str(p.relative_to(out)): p.read_bytes() for p in sorted((out / "crops").rglob("*")) if p.is_file()}
    tables = {n: pq.read_table(out / f"{n}.parquet").to_pylist() for n in ("projects", "indicators", "flags")}
    return {"records": (out / "records.jsonl").read_bytes(), "tables": tables, "crops": crops}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--hostile", type=float, default=0.05)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--kills", type=int, default=3)
    ap.add_argument("--single", type=int, default=100, help="files in the 1-worker vs N-worker speed run")
    ap.add_argument("--work", type=Path, default=Path("/tmp/pbextract-soak"))
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    shutil.rmtree(args.work, ignore_errors=True)
    corpus = args.work / "in"
    build(corpus, args.files, args.hostile, rng)
    print(f"corpus: {args.files} PDFs ({round(args.files * args.hostile)} hostile) in {corpus}")

    speed = args.work / "speed-in"
    speed.mkdir()
    for p in sorted(corpus.glob("doc-?????.pdf"))[: args.single]:
        os.link(p, speed / p.name)
    for workers in (1, args.workers):
        code, err, _ = run(speed, args.work / f"speed-{workers}", workers)
        s = summary(err)
        print(f"{args.single} files, {workers} worker(s): exit {code}, {s.get('pages', 0):.0f} pages, "
              f"{s.get('rate', 0):.1f} pages/s, peak RSS per worker {s.get('rss', 0):.0f} MB")  # fmt: skip

    code, err, clean_s = run(corpus, args.work / "clean", args.workers)
    s = summary(err)
    print(f"clean run, {args.workers} workers: exit {code} in {clean_s:.0f}s, {s.get('rate', 0):.1f} pages/s, "
          f"peak RSS per worker {s.get('rss', 0):.0f} MB")  # fmt: skip

    out = args.work / "killed"
    for k in range(args.kills):
        after = rng.uniform(2.0, max(3.0, clean_s / (args.kills + 1)))
        code, err, took = run(corpus, out, args.workers, kill_after=after)
        units = len(list((out / "units").glob("*.json")))
        print(f"kill {k + 1}: SIGKILL after {took:.1f}s (exit {code}); {units} files committed so far")
    code, err, took = run(corpus, out, args.workers)
    s = summary(err)
    print(f"resumed to the end: exit {code} in {took:.0f}s, read {s.get('pages', 0):.0f} pages not yet committed")
    same = outputs(out) == outputs(args.work / "clean")
    print(f"final outputs equal the clean run's (records.jsonl, Parquet, crops): {same}")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
