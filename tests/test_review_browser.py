"""`pbextract review` in a real browser: headless Chromium from Debian's packages driven by Playwright.

Real extraction output (two OCR'd pages of mixed-ocr.pdf) plus one injected record whose cell text
is markup; three flags reviewed by keyboard (accept, edit, reject), the server restarted, the
decisions kept; escaping, path and Host refusal; `pbextract apply` and the reviewed Parquet.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pypdfium2 as pdfium
import pytest

from tests.conftest import SAMPLES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("CI needs Debian's chromium for the browser test (.ci/run installs it)")
    pytest.skip("no chromium on this machine (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Page, sync_playwright  # noqa: E402

PBEXTRACT = str(Path(sys.executable).with_name("pbextract"))
MARKUP = "<script>window.__pwned = 1</script><b>粗</b>"
EDITED = "复核后的值 42"


def _new_value(field: str) -> str:
    """What a reviewer types over a field's value: of the field's type, and not what was read."""
    if field.endswith(".operator"):
        return "≠"
    if field.endswith((".value", "budget_total", "budget_fiscal", "budget_other")) or "plan_" in field:
        return "4242.5"
    return EDITED


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder of a real run over two OCR'd pages, plus a record that reads as markup."""
    root = tmp_path_factory.mktemp("review")
    pdf = root / "pages.pdf"
    src, new = pdfium.PdfDocument(SAMPLES / "mixed-ocr.pdf"), pdfium.PdfDocument.new()
    new.import_pages(src, [0, 1])
    new.save(pdf)
    out = root / "out"
    subprocess.run([PBEXTRACT, "run", "pages.pdf", "-o", "out", "-q"], cwd=root, check=True)
    lines = (out / "records.jsonl").read_text(encoding="utf-8").splitlines()
    real = json.loads(lines[0])
    assert real["flags"], "the sample pages should yield flags to review"
    if len(real["flags"]) < 2:  # should extraction grow surer: a second flag, on the name's cell
        name = dict(real["flags"][0], field="project_name", reason="low_ocr_confidence", text=real["project_name"])
        real["flags"].append(dict(name, flag_id=f"{real['record_id']}:project_name:low_ocr_confidence"))
        lines[0] = json.dumps(real, ensure_ascii=False)
        (out / "records.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    fake = json.loads(lines[0])
    fake["record_id"] = fake["record_id"].rsplit(":", 1)[0] + ":9"
    fake["project_name"] = MARKUP
    flag = dict(real["flags"][0], field="project_name", reason="low_ocr_confidence", text=MARKUP, confidence=0.1)
    fake["flags"] = [dict(flag, flag_id=f"{fake['record_id']}:project_name:low_ocr_confidence")]
    with open(out / "records.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(fake, ensure_ascii=False) + "\n")
    return out


class Server:
    """`pbextract review` as a real server process on a free port."""

    def __init__(self, out: Path) -> None:
        self.out, self.port = out, _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cmd = [PBEXTRACT, "review", str(self.out), "--port", str(self.port), "--reviewer", "tester"]
        self.proc = subprocess.Popen(cmd, cwd=self.out.parent, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.get("/api/progress")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("review server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, host: str | None = None) -> tuple[int, bytes]:
        """A raw request: the path is sent exactly as given (no client-side normalising)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path, headers={"Host": host or f"127.0.0.1:{self.port}"})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def post(self, body: dict[str, Any], headers: dict[str, str]) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("POST", "/api/decide", body=json.dumps(body), headers=headers)
            return conn.getresponse().status
        finally:
            conn.close()


@pytest.fixture(scope="module")
def server(out: Path) -> Iterator[Server]:
    s = Server(out)
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        # the page's CSP is bypassed so that escaping alone is tested (and Playwright may poll)
        yield browser.new_page(viewport={"width": 1400, "height": 900}, bypass_csp=True)
        browser.close()


def _current(page: Page) -> dict[str, str]:
    data: dict[str, str] = page.eval_on_selector("tr.item.cur", "r => Object.assign({}, r.dataset)")
    return data


def _move_to(page: Page, want: Any) -> dict[str, str]:
    """Press ↓ until the current item is one ``want`` accepts."""
    for _ in range(60):
        if want(cur := _current(page)):
            return cur
        page.keyboard.press("ArrowDown")
    raise AssertionError("no such item in the queue")


def _reviewed(page: Page) -> int:
    return int(page.inner_text("#reviewed"))


def test_review_by_keyboard_survives_a_restart_and_applies(server: Server, page: Page, out: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server.url + "/?order=page")
    total = int(page.inner_text("#total"))
    injected = json.loads((out / "records.jsonl").read_text(encoding="utf-8").splitlines()[-1])["record_id"]
    real_id = injected.rsplit(":", 1)[0] + ":1"

    # accept: Enter on an untouched value
    accepted = _move_to(page, lambda d: d["recordId"] == real_id)
    assert page.is_visible("#crop") and page.eval_on_selector("#crop", "i => i.naturalWidth") > 100
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('reviewed').textContent === '1'")

    # edit: type over the value, Enter
    edited = _move_to(page, lambda d: d["recordId"] == real_id and d["editable"] == "yes" and d["status"] == "pending")
    typed = _new_value(edited["field"])
    page.keyboard.press("Control+A")
    page.keyboard.type(typed)
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('reviewed').textContent === '2'")

    # the record that reads as markup: shown as text, never run, in the queue and the record view
    page.goto(server.url + "/?order=page")
    _move_to(page, lambda d: d["recordId"] == injected)
    assert page.inner_text("#cur-text") == MARKUP
    assert page.eval_on_selector("#value", "i => i.value") == MARKUP
    assert page.evaluate("window.__pwned") is None and page.query_selector("tbody b") is None
    page.keyboard.press("Alt+O")
    page.wait_for_selector("main.record .page img")
    assert page.eval_on_selector("tr.field.cur input", "i => i.value") == MARKUP
    assert page.title().startswith(MARKUP) and page.evaluate("window.__pwned") is None
    assert page.eval_on_selector(".page img", "i => i.naturalWidth") > 1000  # rendered from the source PDF
    assert page.is_visible(".page .hl:not([hidden])")  # the field's cell highlighted
    assert (out / "review-cache").is_dir()

    # back to the queue, reject that record
    page.keyboard.press("Alt+Q")
    page.wait_for_selector("main.queue")
    _move_to(page, lambda d: d["recordId"] == injected)
    page.keyboard.press("Alt+R")
    page.wait_for_function("document.getElementById('reviewed').textContent === '3'")
    assert errors == []

    # restart: the decisions are read back
    server.stop()
    server.start()
    page.goto(server.url + "/?status=reviewed")
    assert _reviewed(page) == 3 and int(page.inner_text("#total")) == total
    statuses = page.eval_on_selector_all("tr.item", "rs => rs.map(r => [r.dataset.field, r.dataset.status])")
    assert sorted(statuses) == sorted(
        [[accepted["field"], "accept"], [edited["field"], "edit"], ["project_name", "rejected"]]
    )
    decisions = [json.loads(x) for x in (out / "corrections.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(d["action"], d["reviewer"]) for d in decisions] == [
        ("accept", "tester"),
        ("edit", "tester"),
        ("reject", "tester"),
    ]
    assert decisions[1]["value"] == typed and decisions[1]["flag_id"] == edited["flagId"]

    # apply: the edit in the reviewed Parquet, the rejected record left out
    run = subprocess.run([PBEXTRACT, "apply", str(out)], capture_output=True, text=True, check=True)
    assert "1 rejected" in run.stderr
    tables = {p.stem: pq.read_table(p).to_pylist() for p in (out / "reviewed").glob("*.parquet")}
    path = edited["field"].split(".")
    if path[0] == "indicators":
        row = next(r for r in tables["indicators"] if r["record_id"] == real_id and r["index"] == int(path[1]))
        got = row[path[2]]
    else:
        got = next(r for r in tables["projects"] if r["record_id"] == real_id)[path[0]]
    assert (Decimal(typed) if isinstance(got, Decimal) else typed) == got
    assert injected not in {r["record_id"] for r in tables["projects"]}
    resolved = {r["field"]: r["resolved"] for r in tables["flags"]}
    assert resolved[accepted["field"]] and resolved[edited["field"]]


def test_refuses_paths_out_of_the_folder_hosts_and_tokenless_writes(server: Server, out: Path, tmp_path: Path) -> None:
    crop = json.loads((out / "records.jsonl").read_text(encoding="utf-8").splitlines()[0])["flags"][0]["crop"]
    assert server.get("/files/" + crop)[0] == 200
    outside = tmp_path / "secret.png"
    outside.write_bytes((out / crop).read_bytes())
    (out / "crops" / "link.png").symlink_to(outside)
    for path in (
        "/files/crops/link.png",  # a symlink leading out
        "/files/..%2f..%2fsecret.png",
        "/files/crops/../../secret.png",
        "/files/%2Fetc%2Fpasswd",
        "/files//etc/passwd",
        "/files/records.jsonl",  # in OUT, but not an image
    ):
        assert server.get(path)[0] == 404, path
    assert server.get("/", host=f"rebound.example:{server.port}")[0] == 400
    assert server.get("/", host="127.0.0.1:1")[0] == 400
    body = {"record_id": "x", "field": "record", "action": "reject"}
    json_type = {"Content-Type": "application/json", "Host": f"127.0.0.1:{server.port}"}
    assert server.post(body, json_type) == 403
    assert server.post(body, {**json_type, "X-Review-Token": "guess"}) == 403
