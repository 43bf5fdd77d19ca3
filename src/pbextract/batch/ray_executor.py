"""The same batch on a Ray cluster: each file is a task that carries the PDF's bytes (workers need
not share a filesystem with the driver), is read in a contained worker process on its node, and is
retried by Ray if its node or worker is lost. Outcomes come back to the driver, which commits them
exactly as for local workers."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pbextract.batch.model import Limits, ReadOutcome, ReadTask
from pbextract.batch.pool import LocalPool, PageCallback
from pbextract.pipeline import FileResult

RETRIES = 3  # times Ray re-runs a task whose worker or node was lost

_pools: dict[str, LocalPool] = {}  # one contained worker per Ray worker process, kept between tasks


def read_remote(data: bytes, task: ReadTask, limits: Limits) -> ReadOutcome:
    """A Ray task: the file's bytes written to a temporary file, read by a contained local worker."""
    pool = _pools.get(limits.model_dump_json())
    if pool is None:
        pool = _pools[limits.model_dump_json()] = LocalPool(1, limits)
    with tempfile.TemporaryDirectory(prefix="pbextract-ray-") as tmp:
        path = Path(tmp) / "input.pdf"
        path.write_bytes(data)
        return next(pool.run([task.model_copy(update={"path": str(path)})]))


class RayExecutor:
    """Files as Ray tasks, at most twice the cluster's CPUs in flight."""

    def __init__(self, address: str, workers: int, limits: Limits) -> None:
        import ray

        self._ray: Any = ray
        if address == "local":
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, configure_logging=False)
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
        self._remote = ray.remote(num_cpus=1, max_retries=RETRIES)(read_remote)
        self._window = 2 * max(1, int(self._ray.cluster_resources().get("CPU", 1)))
        self._limits = limits
        self.peak_rss_mb = 0.0

    def run(
        self, tasks: Sequence[ReadTask], stopping: Callable[[], bool], on_page: PageCallback | None = None
    ) -> Iterator[ReadOutcome]:
        """Submit, and yield each outcome as it comes; a task that fails after its retries is an error."""
        ray = self._ray
        queue = iter(tasks)
        flight: dict[Any, ReadTask] = {}
        while True:
            while len(flight) < self._window and not stopping():
                task = next(queue, None)
                if task is None:
                    break
                flight[self._remote.remote(Path(task.path).read_bytes(), task, self._limits)] = task
            if not flight:
                return
            done, _ = ray.wait(list(flight), num_returns=1, timeout=0.5)
            for ref in done:
                task = flight.pop(ref)
                try:
                    outcome: ReadOutcome = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    result = FileResult(path=task.source, sha256=task.sha256, status="error")
                    result.error = f"{task.source}: lost on the cluster after {RETRIES} retries: {type(exc).__name__}"
                    outcome = ReadOutcome(index=task.index, result=result)
                self.peak_rss_mb = max(self.peak_rss_mb, outcome.peak_rss_mb)
                if on_page is not None:
                    on_page(task, outcome.result.pages, outcome.result.pages)
                yield outcome

    def close(self) -> None:
        self._ray.shutdown()
