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
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel, Field

from pbextract.read.ocr.ctc import FoldedDecoder

MANIFEST = Path(os.environ.get("PBEXTRACT_MODELS") or str(resources.files("pbextract") / "models")) / "manifest.json"
REC_BATCH = 6  # crops per recogniser run (rapidocr's default)
USE_CUDA = os.environ.get("PBEXTRACT_OCR_CUDA", "") == "1"  # run the models on a GPU (needs onnxruntime-gpu)
# The recogniser's runtime on the CPU: rapidocr's ONNX Runtime session, or PBEXTRACT_OCR_RUNTIME=openvino
# (pip install 'pbextract[openvino]'): the same readings, faster only while the machine is loaded.
RUNTIME = os.environ.get("PBEXTRACT_OCR_RUNTIME", "onnxruntime")
# Batches recognised at once, each on one core (one-thread calls in parallel beat one many-thread call:
# 15% on two cores); shared by every page read at once, so the last page of a file uses every core too.
_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
OCR_THREADS = int(os.environ.get("PBEXTRACT_OCR_THREADS") or _CORES)


class ModelError(RuntimeError):
    """A model file is missing or is not the one the manifest names."""


class Recognised(BaseModel):
    text: str
    score: float  # the least sure character's probability
    chars: list[float] = Field(default_factory=list, description="each character's probability, when known")
    at: list[float] = Field(default_factory=list, description="each character's centre, as a share of the crop's width")


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
    """PP-OCRv6 small recognition prepared by rapidocr and run by OpenVINO (``runtime="openvino"``) or
    rapidocr's onnxruntime session; lines are found by the caller."""

    name = "rapidocr-ppocrv6-small"

    def __init__(
        self, files: dict[str, Path], use_cuda: bool = False, runtime: str = "onnxruntime", threads: int = OCR_THREADS
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
            self._run = _openvino_session(files["rec"])
            self.name += "-openvino"

    def recognize(self, crops: list[np.ndarray]) -> list[Recognised]:
        """Crops in batches of similar width (each padded as rapidocr pads it), as many batches at once
        as the engine has ``threads``, one core each; a line is as sure as its least sure character, so
        one doubtful glyph does not average away."""
        order = sorted(range(len(crops)), key=lambda i: crops[i].shape[1] / crops[i].shape[0])
        batches = [[crops[i] for i in order[s : s + REC_BATCH]] for s in range(0, len(order), REC_BATCH)]
        read = [r for batch in self._batches.map(self._recognize_batch, batches) for r in batch]
        out = dict(zip(order, read, strict=True))
        return [out[i] for i in range(len(crops))]

    def _recognize_batch(self, batch: list[np.ndarray]) -> list[Recognised]:
        """One recogniser run over crops padded to the widest one's shape (one core)."""
        rec, decoder = self._rec
        _, height, least_width = rec.rec_image_shape
        ratio = max([least_width / height] + [c.shape[1] / c.shape[0] for c in batch])
        probs = (self._run or rec.session)(np.stack([rec.resize_norm_img(_bgr(c), ratio) for c in batch]))
        step = int(height * ratio) / probs.shape[1]  # input pixels per time step
        out: list[Recognised] = []
        for crop, p in zip(batch, probs, strict=True):
            text, sure, steps = decoder.decode(p)
            shown = math.ceil(height * crop.shape[1] / crop.shape[0])  # the crop's width as input
            at = [min(1.0, (t + 0.5) * step / shown) for t in steps]
            out.append(Recognised(text=text, score=min(sure, default=0.0), chars=sure, at=at))
        return out


def _openvino_session(model: Path) -> Callable[[np.ndarray], np.ndarray]:
    """The recogniser compiled by OpenVINO for the CPU at f32 (bf16 changed readings here)."""
    import openvino

    core = openvino.Core()
    # threads not pinned to cores: on a shared machine a pinned thread waits for its busy core
    config = {
        "INFERENCE_PRECISION_HINT": "f32",
        "PERFORMANCE_HINT": "LATENCY",
        "ENABLE_CPU_PINNING": False,
        "INFERENCE_NUM_THREADS": 1,
    }
    compiled = core.compile_model(core.read_model(str(model)), "CPU", config)
    local = threading.local()  # an infer request serves one call at a time: one per thread

    def run(batch: np.ndarray) -> np.ndarray:
        if not hasattr(local, "request"):
            local.request = compiled.create_infer_request()
        return np.array(local.request.infer({0: batch})[0])  # a copy: the request reuses its output buffer

    return run


def _bgr(gray: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2)) if gray.ndim == 2 else gray


@cache
def default_engine() -> OcrEngine:
    """The engine the pipeline uses, loaded once per process."""
    return RapidOcrEngine(model_files(), use_cuda=USE_CUDA, runtime=RUNTIME)
