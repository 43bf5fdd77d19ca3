"""``pbextract review OUT``: a local web app over an output folder (Starlette, Jinja2, uvicorn).

Safe by default: it listens on 127.0.0.1; a request whose Host is not the served host:port is
refused (DNS rebinding); a decision (the only state-changing request) must carry the per-run
token embedded in the page; templates autoescape every piece of cell text and data for scripts
is embedded with ``tojson``; files are served from OUT only, after resolving symlinks; the only
files written are OUT/corrections.jsonl and OUT/review-cache/.
"""

from __future__ import annotations

import ipaddress
import secrets
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import jinja2
from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pbextract.review.corrections import Action
from pbextract.review.pages import PageCache, SourceMissing
from pbextract.review.store import PER_PAGE, DecisionError, Item, ReviewStore, as_text, editable
from pbextract.schema import Record

TOKEN_HEADER = "x-review-token"
_STATIC = {"review.js": "text/javascript", "review.css": "text/css"}
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
LABELS = {
    "year": "年度",
    "project_code": "项目编码",
    "project_name": "项目名称",
    "department_code": "主管部门编码",
    "department_name": "主管部门",
    "unit_code": "项目单位编码",
    "unit_name": "项目单位",
    "amount_unit": "金额单位",
    "budget_total": "预算数 / 年度资金总额",
    "budget_fiscal": "其中: 财政资金",
    "budget_other": "其他资金",
    "fund_use": "资金用途",
    "plan_mar": "3月底",
    "plan_jun": "6月底",
    "plan_oct": "10月底",
    "plan_dec": "12月底",
    "goals": "绩效目标",
    "level1": "一级指标",
    "level2": "二级指标",
    "name": "三级指标",
    "description": "绩效指标描述",
    "operator": "符号",
    "value": "值",
    "unit": "单位",
    "value_text": "指标值(文字)",
    "basis": "指标确定依据",
    "scoring": "评(扣)分标准",
}
_SCALARS = list(Record.model_fields)
_RECORD_FIELDS = tuple(_SCALARS[_SCALARS.index("year") : _SCALARS.index("plan_dec") + 1])  # editable, contract order
_INDICATOR_FIELDS = (
    "level1",
    "level2",
    "name",
    "description",
    "operator",
    "value",
    "unit",
    "value_text",
    "basis",
    "scoring",
)


class Settings(BaseModel):
    """What one review server serves, and where."""

    out: Path
    host: str = "127.0.0.1"
    port: int = 8765
    reviewer: str
    pdf_root: Path


class DecideBody(BaseModel):
    record_id: str
    field: str
    action: Action
    value: str | None = None
    flag_id: str | None = None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class HostCheck:
    """Refuses a request whose Host header is not one this server is reached by (DNS rebinding)."""

    def __init__(self, app: ASGIApp, allowed: set[str]) -> None:
        self.app, self.allowed = app, {h.lower() for h in allowed}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1").lower()
            if host not in self.allowed:
                await PlainTextResponse("Invalid host header", status_code=400)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """A strict Content-Security-Policy and no sniffing, framing or referrers on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"content-security-policy", _CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cache-control", b"no-store"),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


def allowed_hosts(host: str, port: int) -> set[str]:
    names = {host, "127.0.0.1", "localhost", "[::1]"} if is_loopback(host) else {host}
    return {f"{n}:{port}" for n in names}


def safe_file(out: Path, relative: str) -> Path | None:
    """A PNG under OUT named by ``relative``; None for ``..``, absolute paths and links leading out."""
    if not relative or relative.startswith(("/", "\\")) or "\\" in relative or "\x00" in relative:
        return None
    if any(part in ("..", "") for part in relative.split("/")):
        return None
    path = (out / relative).resolve()
    if not path.is_relative_to(out) or path.suffix.lower() != ".png" or not path.is_file():
        return None
    return path


def file_url(relative: str | None) -> str | None:
    return "/files/" + quote(relative) if relative else None


def create_app(settings: Settings, store: ReviewStore | None = None, token: str | None = None) -> Starlette:
    """The review app over ``settings.out`` (a store and a token may be given, e.g. by tests)."""
    out = settings.out.resolve()
    store = store or ReviewStore(out, settings.reviewer)
    pages = PageCache(out, store.records, settings.pdf_root)
    token = token or secrets.token_urlsafe(32)
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pbextract.review", "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )
    templates = Jinja2Templates(env=env)

    def item_view(item: Item) -> dict[str, Any]:
        return {
            "flag_id": item.flag_id,
            "record_id": item.record_id,
            "field": item.field,
            "label": field_label(item.field),
            "reason": item.reason,
            "page": item.page,
            "confidence": f"{item.confidence:.2f}",
            "text": item.text or "",
            "crop": file_url(item.crop),
            "file": item.source_file,
            "status": store.status(item),
            "value": store.shown_value(item.record_id, item.field),
            "editable": editable(item.field),
        }

    async def queue(request: Request) -> Response:
        q = request.query_params
        status = q.get("status", "pending")
        order = q.get("order", "confidence")
        if status not in ("pending", "reviewed", "all") or order not in ("confidence", "page"):
            return PlainTextResponse("bad filter", status_code=400)
        try:
            page = max(1, int(q.get("page", "1")))
        except ValueError:
            page = 1
        filters = {"reason": q.get("reason", ""), "file": q.get("file", ""), "form": q.get("form", "")}
        chosen, total = store.queue(**filters, status=status, order=order, page=page)  # type: ignore[arg-type]
        here = {**filters, "status": status, "order": order}
        return templates.TemplateResponse(
            request,
            "queue.html",
            {
                "token": token,
                "progress": store.progress(),
                "facets": store.facets,
                "filters": here,
                "items": [item_view(i) for i in chosen],
                "page": page,
                "pages": max(1, -(-total // PER_PAGE)),
                "total": total,
                "query": urlencode({**here, "page": page}),
                "prev_url": "/?" + urlencode({**here, "page": page - 1}) if page > 1 else None,
                "next_url": "/?" + urlencode({**here, "page": page + 1}) if page * PER_PAGE < total else None,
                "reviewer": settings.reviewer,
            },
        )

    async def record_view(request: Request) -> Response:
        record_id = request.path_params["record_id"]
        record = store.records.get(record_id)
        if record is None:
            return PlainTextResponse("no such record", status_code=404)
        images: list[dict[str, Any]] = []
        missing = None
        try:
            for n in range(record["page_start"], record["page_end"] + 1):
                info = pages.page(record["source_sha256"], n)
                images.append(
                    {
                        "page": n,
                        "url": file_url(info.path),
                        "width": info.width,
                        "height": info.height,
                        "scale": info.scale,
                    }
                )
        except SourceMissing as exc:
            missing = str(exc)
        back = request.query_params.get("back", "")
        return templates.TemplateResponse(
            request,
            "record.html",
            {
                "token": token,
                "progress": store.progress(),
                "record": record,
                "record_status": store.field_status(record_id, "record"),
                "fields": record_fields(store, record),
                "images": images,
                "missing": missing,
                "focus": request.query_params.get("field", ""),
                "back_url": "/?" + urlencode(dict(_pairs(back))),
                "reviewer": settings.reviewer,
            },
        )

    async def serve_file(request: Request) -> Response:
        path = safe_file(out, request.path_params["path"])
        if path is None:
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(path, media_type="image/png")

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _STATIC:
            return PlainTextResponse("not found", status_code=404)
        text = files("pbextract.review").joinpath("static", name).read_text(encoding="utf-8")
        return Response(text, media_type=_STATIC[name])

    async def progress(request: Request) -> Response:
        return JSONResponse(store.progress())

    async def decide(request: Request) -> Response:
        if not secrets.compare_digest(request.headers.get(TOKEN_HEADER, ""), token):
            return JSONResponse({"error": "missing or wrong review token"}, status_code=403)
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return JSONResponse({"error": "JSON only"}, status_code=415)
        try:
            body = DecideBody.model_validate_json(await request.body())
            store.decide(body.record_id, body.field, body.action, body.value, body.flag_id)
        except (ValidationError, DecisionError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        shown = store.shown_value(body.record_id, body.field) if body.field != "record" else ""
        return JSONResponse(
            {"status": store.field_status(body.record_id, body.field), "value": shown, "progress": store.progress()}
        )

    async def no_icon(request: Request) -> Response:
        return Response(status_code=204)

    app = Starlette(
        routes=[
            Route("/", queue),
            Route("/favicon.ico", no_icon),
            Route("/record/{record_id}", record_view),
            Route("/files/{path:path}", serve_file),
            Route("/static/{name}", static),
            Route("/api/progress", progress),
            Route("/api/decide", decide, methods=["POST"]),
        ],
        middleware=[
            Middleware(HostCheck, allowed=allowed_hosts(settings.host, settings.port)),
            Middleware(SecurityHeaders),
        ],
    )
    app.state.pages = pages
    app.state.store = store
    return app


def field_label(field: str) -> str:
    parts = field.split(".")
    if parts[0] == "indicators" and len(parts) == 3:
        return f"指标 {int(parts[1]) + 1} · {LABELS.get(parts[2], parts[2])}"
    if parts[0] == "goals" and len(parts) == 2:
        return f"目标{int(parts[1]) + 1}"
    return LABELS.get(field, field)


def record_fields(store: ReviewStore, record: dict[str, Any]) -> list[dict[str, Any]]:
    """Every field a reviewer can see and correct, with its flags and the decision in force."""
    record_id = record["record_id"]
    paths = list(_RECORD_FIELDS) + [f"goals.{i}" for i in range(len(record.get("goals", [])))]
    for i in range(len(record.get("indicators", []))):
        paths += [f"indicators.{i}.{name}" for name in _INDICATOR_FIELDS]
    flagged = store.by_record.get(record_id, [])
    paths += [i.field for i in flagged if i.field not in paths]
    rows = []
    for path in paths:
        mine = [i for i in flagged if i.field == path]
        page = next((i.page for i in mine if i.page), None)
        if page is None and path.startswith("indicators."):
            page = store.value(record_id, ".".join(path.split(".")[:2]) + ".page")
        rows.append(
            {
                "field": path,
                "label": field_label(path),
                "value": store.shown_value(record_id, path),
                "extracted": as_text(store.value(record_id, path)),
                "editable": editable(path),
                "reasons": [i.reason for i in mine],
                "flag_id": mine[0].flag_id if mine else None,
                "bbox": next((i.bbox for i in mine if i.bbox), None),
                "page": page,
                "status": store.field_status(record_id, path),
            }
        )
    return rows


def _pairs(query: str) -> list[tuple[str, str]]:
    keep = {"reason", "file", "form", "status", "order", "page"}
    return [(k, v) for k, v in parse_qsl(query) if k in keep]
