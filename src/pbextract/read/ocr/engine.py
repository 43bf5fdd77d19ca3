"""The OCR engine behind one small adapter: PP-OCR models run by rapidocr (ONNX), offline.

Model files are named in the manifest shipped inside the package, ``pbextract/models/manifest.json``
(name, version, sha256, licence, origin; ``PBEXTRACT_MODELS`` names another folder holding one), and
loaded by explicit path from the installed rapidocr package after their hashes are checked, so
the engine never falls back to a download. Another engine (``paddleocr`` with local model
folders, say) plugs in by implementing ``OcrEngine``.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import cv2
import numpy as np
from pydantic import BaseModel, Field

from pbextract.read.ocr.ctc import Decoded, FoldedDecoder

MANIFEST = Path(os.environ.get("PBEXTRACT_MODELS") or str(resources.files("pbextract") / "models")) / "manifest.json"
REC_BATCH = 6  # strips per recogniser run (rapidocr's default)
STRIP_WIDTH, STRIP_GAP = 1280, 32  # input pixels: a strip of short lines at most, white between two
RECHECK = 0.9  # a line read less sure than this among others is read again alone
USE_CUDA = os.environ.get("PBEXTRACT_OCR_CUDA", "") == "1"  # run the models on a GPU (needs onnxruntime-gpu)
# The recogniser's runtime on the CPU: rapidocr's ONNX Runtime session, or PBEXTRACT_OCR_RUNTIME=openvino
# (pip install 'pbextract[openvino]'): the same readings at the same speed here.
RUNTIME = os.environ.get("PBEXTRACT_OCR_RUNTIME", "onnxruntime")
# OpenVINO's inference precision: f32, or bf16 on a CPU with AVX-512 BF16 (faster; readings differ, see README)
PRECISION = os.environ.get("PBEXTRACT_OCR_PRECISION", "f32")
# Batches recognised at once, each on one core (one-thread calls in parallel beat one many-thread call:
# 15% on two cores); shared by every page read at once, so the last page of a file uses every core too.
_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
OCR_THREADS = int(os.environ.get("PBEXTRACT_OCR_THREADS") or _CORES)


class ModelError(RuntimeError):
    """A model file is missing or is not the one the manifest names."""


class Recognised(BaseModel):
    text: str
    score: float  # the least sure character's probability, or the ``dropped`` doubt if lower
    chars: list[float] = Field(default_factory=list, description="each character's probability, when known")
    at: list[float] = Field(default_factory=list, description="each character's centre, as a share of the crop's width")
    dropped: float = Field(default=1.0, description="how sure no character was read as nothing (the blank's margin)")
    alike: list[float] = Field(
        default_factory=list, description="each character's probability with the marks a poor scan prints alike"
    )
    drops: list[tuple[float, float]] = Field(
        default_factory=list, description="(place, blank's probability) where a character may have been read as nothing"
    )


class OcrEngine(Protocol):
    """A text-line recogniser. The pipeline calls ``recognize`` from several threads at once (one per
    page read in parallel): an engine that cannot serve that is used with ``extract_file(threads=1)``."""

    name: str

    def recognize(self, crops: list[np.ndarray]) -> list[Recognised]:
        """Read single text lines, one per crop."""


def model_files(manifest: Path = MANIFEST) -> dict[str, Path]:
    """The verified model file for each role (det, rec) named in the manifest."""
    if not manifest.is_file():
        raise ModelError(f"{manifest}: model manifest not found (set PBEXTRACT_MODELS to the models folder)")
    spec = json.loads(manifest.read_text(encoding="utf-8"))
    out: dict[str, Path] = {}
    for m in spec["models"]:
        package = importlib.import_module(m["package"])
        path = Path(package.__file__ or "").parent / m["path_in_package"]
        if not path.is_file():
            raise ModelError(f"{path}: model {m['name']} missing (install {m['package']}=={m['package_version']})")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != m["sha256"]:
            raise ModelError(f"{path}: sha256 {digest} is not the manifest's {m['sha256']}")
        out[m["role"]] = path
    return out


class RapidOcrEngine:
    """PP-OCRv6 small recognition prepared by rapidocr and run by OpenVINO (``runtime="openvino"``, at
    ``precision`` f32 or bf16) or rapidocr's onnxruntime session; lines are found by the caller."""

    name = "rapidocr-ppocrv6-small"

    def __init__(
        self,
        files: dict[str, Path],
        use_cuda: bool = False,
        runtime: str = "onnxruntime",
        threads: int = OCR_THREADS,
        precision: str = PRECISION,
    ) -> None:
        import onnxruntime
        from rapidocr import RapidOCR

        if use_cuda and "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
            raise ModelError("PBEXTRACT_OCR_CUDA=1 but this onnxruntime has no CUDA provider (install onnxruntime-gpu)")

        ocr: Any = RapidOCR(
            params={
                "Global.use_cls": False,
                "Global.log_level": "error",
                "Rec.model_path": str(files["rec"]),
                "EngineConfig.onnxruntime.use_cuda": use_cuda,
                "EngineConfig.onnxruntime.enable_cpu_mem_arena": True,  # ~7% faster recognition
                "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            }
        )
        rec = ocr._load_rec_model()  # rapidocr's recogniser alone: the caller cuts the lines
        self._rec: tuple[Any, FoldedDecoder] = rec, FoldedDecoder(rec.postprocess_op.character)
        self._run: Callable[[np.ndarray], np.ndarray] | None = None
        self._batches = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="pbextract-ocr")
        if runtime == "openvino" and not use_cuda:
            self._run = _openvino_session(files["rec"], max(1, threads), precision, tuple(rec.rec_image_shape))
            self.name += f"-openvino-{precision}"

    def recognize(self, crops: list[np.ndarray]) -> list[Recognised]:
        """Lines in batches of strips of similar width, as many batches at once as the engine has
        ``threads``, one core each; a line is as sure as its least sure character, so one doubtful
        glyph does not average away. A short line read unsure among others is read again alone, and
        the surer reading kept: its neighbours sway a line's reading, mostly to the good (a lone
        ``%`` reads ``90`` alone, ``%`` among others) but not always (``一级指标`` as ``二级指标``)."""
        _, height, least_width = self._rec[0].rec_image_shape
        lines = [_normalised(c, height) for c in crops]
        strips = _strips(lines, least_width)
        out = self._read(strips)
        shared = [i for strip in strips if len(strip.parts) > 1 for i, _, _ in strip.parts]
        doubtful = [i for i in shared if out[i].score < RECHECK]
        if doubtful:
            alone = self._read([Strip(lines[i], [(i, 0, lines[i].shape[2])]) for i in doubtful])
            out.update({i: r for i, r in alone.items() if r.score > out[i].score})
        return [out[i] for i in range(len(crops))]

    def _read(self, strips: list[Strip]) -> dict[int, Recognised]:
        """Each line of the strips, read in batches of strips of similar width."""
        strips = sorted(strips, key=lambda s: s.image.shape[2])
        batches = [strips[s : s + REC_BATCH] for s in range(0, len(strips), REC_BATCH)]
        out: dict[int, Recognised] = {}
        for read in self._batches.map(self._recognize_batch, batches):
            out.update(read)
        return out

    def _recognize_batch(self, batch: list[Strip]) -> dict[int, Recognised]:
        """One recogniser run over strips padded to the widest one (one core): each line's reading."""
        rec, decoder = self._rec
        width = max([rec.rec_image_shape[2]] + [s.image.shape[2] for s in batch])
        stack = np.zeros((len(batch), 3, rec.rec_image_shape[1], width), dtype=np.float32)
        for row, strip in zip(stack, batch, strict=True):
            row[:, :, : strip.image.shape[2]] = strip.image
        probs = (self._run or rec.session)(stack)
        step = width / probs.shape[1]  # input pixels per time step
        out: dict[int, Recognised] = {}
        for strip, p in zip(batch, probs, strict=True):
            out.update(strip.split(decoder.decode(p), step))
        return out


class Strip(NamedTuple):
    """Lines side by side as one recogniser input (normalised, 3 x height x width), with white
    between them; ``parts`` gives each line's index, first input column and width."""

    image: np.ndarray
    parts: list[tuple[int, int, int]]

    def split(self, read: Decoded, step: float) -> dict[int, Recognised]:
        """Each line's characters, and its steps where one may have been read as nothing: those read
        over it, or nearest to it when read in a gap; spaces at a line's ends (the gap) are left out."""
        chars: dict[int, list[tuple[str, float, float, float]]] = {i: [] for i, _, _ in self.parts}
        drops: dict[int, list[tuple[float, float]]] = {i: [] for i in chars}
        for ch, sure, t, alike in zip(read.text, read.sure, read.steps, read.alike, strict=True):
            i, at = self._where(t, step)
            chars[i].append((ch, sure, min(1.0, max(0.0, at)), alike))
        for t, blank in read.dropped:
            i, at = self._where(t, step)
            drops[i].append((at, blank))
        dropped = {i: min([1.0] + [b for _, b in d]) for i, d in drops.items()}
        for got in chars.values():
            while got and got[-1][0].isspace():
                got.pop()
            while got and got[0][0].isspace():
                got.pop(0)
        return {
            i: Recognised(
                text="".join(c[0] for c in got),
                score=min([c[1] for c in got] + [dropped[i]]) if got else 0.0,
                chars=[c[1] for c in got],
                at=[c[2] for c in got],
                dropped=dropped[i],
                alike=[c[3] for c in got],
                drops=drops[i],
            )
            for i, got in chars.items()
        }

    def _where(self, t: int, step: float) -> tuple[int, float]:
        """The line a time step falls on (the nearest one, in a gap) and the step's place along it as
        a share of its width."""
        x = (t + 0.5) * step
        i, start, width = min(self.parts, key=lambda p: max(p[1] - x, x - p[1] - p[2], 0.0))
        return i, (x - start) / width


def _normalised(crop: np.ndarray, height: int) -> np.ndarray:
    """A grey line crop as the recogniser takes it: ``height`` pixels high, its own width, values in
    [-1, 1] (rapidocr's scaling), three equal channels."""
    gray = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    width = math.ceil(height * gray.shape[1] / gray.shape[0])
    scaled = (cv2.resize(gray, (width, height)).astype(np.float32) / 255 - 0.5) / 0.5
    return np.repeat(scaled[None], 3, axis=0)


def _strips(lines: list[np.ndarray], least_width: int) -> list[Strip]:
    """Lines narrower than the recogniser's least input width packed side by side into strips up to
    ``STRIP_WIDTH`` wide, narrowest first, a white ``STRIP_GAP`` between them; wider lines alone.
    A short line read alone is padded to the least width in mid-grey, which costs as much as a long
    line and misreads a lone glyph more often (``%`` as ``90`` at 150 dpi) than a line among others."""
    order = sorted(range(len(lines)), key=lambda i: lines[i].shape[2])
    strips = [Strip(lines[i], [(i, 0, lines[i].shape[2])]) for i in order if lines[i].shape[2] >= least_width]
    packs: list[list[int]] = [[]]
    used = 0
    for i in (i for i in order if lines[i].shape[2] < least_width):
        width = lines[i].shape[2]
        if packs[-1] and used + STRIP_GAP + width > STRIP_WIDTH:
            packs.append([])
        used = width if not packs[-1] else used + STRIP_GAP + width
        packs[-1].append(i)
    for pack in filter(None, packs):
        gap = np.ones((3, lines[pack[0]].shape[1], STRIP_GAP), dtype=np.float32)
        parts, start = [], 0
        for i in pack:
            parts.append((i, start, lines[i].shape[2]))
            start += lines[i].shape[2] + STRIP_GAP
        strips.append(Strip(np.concatenate([x for i in pack for x in (lines[i], gap)][:-1], axis=2), parts))
    return strips


def _openvino_session(
    model: Path, streams: int, precision: str, line_shape: tuple[int, ...]
) -> Callable[[np.ndarray], np.ndarray]:
    """The recogniser compiled by OpenVINO for the CPU at ``precision`` (f32 reads as ONNX Runtime
    does; bf16 changes some readings), with ``streams`` calls at once (one stream would run the
    engine's threads one after another). One blank line (``line_shape``: channels, height, width) is
    read here first: two threads making OpenVINO's first call at once can deadlock in its Python
    binding's one-time set-up."""
    import openvino

    core = openvino.Core()
    # threads not pinned to cores: on a shared machine a pinned thread waits for its busy core
    config = {
        "INFERENCE_PRECISION_HINT": precision,
        "PERFORMANCE_HINT": "LATENCY",
        "ENABLE_CPU_PINNING": False,
        "INFERENCE_NUM_THREADS": streams,
        "NUM_STREAMS": streams,
    }
    compiled = core.compile_model(core.read_model(str(model)), "CPU", config)
    compiled.create_infer_request().infer({0: np.zeros((1, *line_shape), dtype=np.float32)})
    local = threading.local()  # an infer request serves one call at a time: one per thread

    def run(batch: np.ndarray) -> np.ndarray:
        if not hasattr(local, "request"):
            local.request = compiled.create_infer_request()
        return np.array(local.request.infer({0: batch})[0])  # a copy: the request reuses its output buffer

    return run


@cache
def default_engine() -> OcrEngine:
    """The engine the pipeline uses, loaded once per process."""
    return RapidOcrEngine(model_files(), use_cuda=USE_CUDA, runtime=RUNTIME)
