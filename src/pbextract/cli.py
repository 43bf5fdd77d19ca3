"""Command line: ``pbextract run INPUT... -o OUT`` over files and folders; ``pbextract inspect``;
``pbextract load OUT`` into a warehouse and ``pbextract ddl`` for its tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from pbextract import __version__
from pbextract.batch import EXIT_FILE_ERRORS, BatchOptions, Limits, UsageError, run_batch
from pbextract.errors import InputError
from pbextract.load.ddl import Dialect
from pbextract.pipeline import image_page_tables, page_tables
from pbextract.read.ocr.engine import default_engine
from pbextract.stages import PageKind

app = typer.Typer(add_completion=False, help="Budget performance-target tables (绩效目标表) from PDF to records.")
err = Console(stderr=True, soft_wrap=True, highlight=False)


@app.command()
def run(
    inputs: Annotated[list[Path], typer.Argument(help="PDF files and/or folders (searched recursively)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder (a re-run into it resumes)")] = Path("out"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
    workers: Annotated[int | None, typer.Option(min=1, help="worker processes [default: CPU cores]")] = None,
    ray: Annotated[
        str | None, typer.Option(help="run on Ray: 'local' starts one here; or a cluster address (HOST:PORT, auto)")
    ] = None,
    reprocess: Annotated[bool, typer.Option(help="read every file again, even if already committed")] = False,
    file_timeout: Annotated[
        float | None, typer.Option(min=1, help="seconds per file [default: 60 + 20 a page]")
    ] = None,
    memory_limit: Annotated[int, typer.Option(min=256, help="MB of data memory per worker")] = Limits().memory_mb,
    password: Annotated[str | None, typer.Option(help="user password for encrypted PDFs")] = None,
    log_file: Annotated[Path | None, typer.Option(help="append one JSON line per problem here")] = None,
) -> None:
    """Extract every project table into OUT: records.jsonl, *.parquet, manifest.json, record.schema.json,
    crops/ with a PNG of every flagged cell, and units/ (one committed result per input file).

    Exit codes: 0 all files read; 1 some file or page could not be read (the rest is written);
    2 bad command line; 3 output folder in use or not writable; 4 OCR model or configuration problem
    (stopped at once); 130 interrupted (re-run to resume).
    """
    options = BatchOptions(
        inputs=inputs,
        out=out,
        ray=ray,
        reprocess=reprocess,
        limits=Limits(file_timeout=file_timeout, memory_mb=memory_limit),
        password=password,
        log_file=log_file,
        quiet=quiet,
        **({"workers": workers} if workers else {}),
    )
    try:
        code = run_batch(options)
    except UsageError as exc:
        raise typer.BadParameter(str(exc), param_hint="INPUT") from exc
    raise typer.Exit(code)


@app.command()
def inspect(
    pdf: Annotated[Path, typer.Argument(help="a PDF file")],
    page: Annotated[int, typer.Option("--page", "-p", help="1-based page")] = 1,
) -> None:
    """Print one page's stage objects as JSON: its class, and each table's grid, cells and title text."""
    from pbextract.read.pdfopen import classify, iter_pages, open_pdf

    try:
        with open_pdf(pdf) as (doc, handle):
            if not 1 <= page <= doc.page_count:
                raise InputError(pdf, f"no page {page} (the file has {doc.page_count})")
            pdf_page = next(p for n, p in iter_pages(handle) if n == page)
            if isinstance(pdf_page, Exception):
                raise InputError(pdf, f"{type(pdf_page).__name__}: {pdf_page}", page)
            info = classify(pdf_page)
            if info.kind == PageKind.TEXT:
                tables = page_tables(pdf_page, info)
            elif info.kind in (PageKind.SCAN, PageKind.OCR):
                tables = image_page_tables(pdf, pdf_page, info, default_engine())
            else:
                tables = []
    except InputError as exc:
        err.print(f"[red]error[/red] {exc}")
        raise typer.Exit(EXIT_FILE_ERRORS) from exc
    out = {"page": info.model_dump(mode="json"), "tables": [t.model_dump(mode="json") for t in tables]}
    typer.echo(json.dumps(out, ensure_ascii=False, indent=1))


@app.command("load")
def load_command(
    out: Annotated[Path, typer.Argument(help="an output folder of `pbextract run`")],
    db: Annotated[
        str | None, typer.Option("--db", help="a DuckDB file (default: OUT/warehouse.duckdb), or a postgresql:// URL")
    ] = None,
) -> None:
    """Load OUT into a warehouse: tables projects, indicators, flags and their *_reviewed views (corrections
    applied). Each PDF's rows are replaced as a whole, in one transaction, so loading twice changes nothing."""
    from pbextract.load.source import LoadError
    from pbextract.load.warehouse import load

    try:
        report = load(out, db)
    except LoadError as exc:
        err.print(f"[red]error[/red] {exc}")
        raise typer.Exit(EXIT_FILE_ERRORS) from exc
    for name, counts in report.tables.items():
        err.print(f"{name}: {counts.deleted} rows deleted, {counts.inserted} inserted")
    err.print(
        f"{report.pdfs} PDFs loaded; corrections: {report.rejected} records rejected, "
        f"{report.stale} stale, {report.unknown} unknown"
    )


@app.command()
def ddl(
    dialect: Annotated[Dialect, typer.Option("--dialect", help="SQL dialect")] = Dialect.DUCKDB,
) -> None:
    """Print the warehouse tables' DDL (what `pbextract load` creates)."""
    from pbextract.load.ddl import ddl as statements

    typer.echo(statements(dialect), nl=False)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@app.command()
def review(
    out: Annotated[Path, typer.Argument(help="an output folder of `pbextract run`")],
    port: Annotated[int, typer.Option("--port", "-p", help="port to listen on")] = 8765,
    reviewer: Annotated[str, typer.Option("--reviewer", help="name recorded with each decision")] = "",
    host: Annotated[str, typer.Option("--host", help="address to listen on (not loopback: reachable by others)")] = (
        "127.0.0.1"
    ),
    pdf_root: Annotated[
        Path | None, typer.Option("--pdf-root", help="folder the run's input paths are relative to (default: here)")
    ] = None,
) -> None:
    """Review the flagged fields of OUT in the browser; decisions go to OUT/corrections.jsonl."""
    import getpass

    import uvicorn

    from pbextract.review.app import Settings, create_app, is_loopback

    if not (out / "records.jsonl").is_file():
        raise typer.BadParameter(f"{out}: no records.jsonl (not an output folder)", param_hint="OUT")
    if not is_loopback(host):
        err.print(f"[yellow]warning[/yellow] listening on {host}: anyone who can reach it can change this review")
    settings = Settings(
        out=out, host=host, port=port, reviewer=reviewer or getpass.getuser(), pdf_root=(pdf_root or Path.cwd())
    )
    web = create_app(settings)
    missing = web.state.pages.missing()
    if missing:
        err.print(
            f"[yellow]warning[/yellow] {len(missing)} source PDFs not found (page images unavailable); see --pdf-root"
        )
    progress = web.state.store.progress()
    shown = f"[{host}]" if ":" in host else host
    err.print(
        f"reviewing {out}: {progress['reviewed']} of {progress['total']} flags reviewed; "
        f"open http://{shown}:{port}/  (Ctrl+C stops)"
    )
    uvicorn.run(web, host=host, port=port, log_level="warning", server_header=False)


@app.command("apply")
def apply_cmd(out: Annotated[Path, typer.Argument(help="an output folder with corrections.jsonl")]) -> None:
    """Write OUT/reviewed/: records.jsonl and the Parquet tables with the review's corrections applied."""
    from pbextract.review.apply import apply_folder

    if not (out / "records.jsonl").is_file():
        raise typer.BadParameter(f"{out}: no records.jsonl (not an output folder)", param_hint="OUT")
    result = apply_folder(out)
    edited = sum(len(r.corrected_fields) for r in result.records)
    err.print(
        f"{len(result.records)} records ({edited} fields edited), {len(result.rejected)} rejected, "
        f"{len(result.stale)} stale, {len(result.unknown)} unknown -> {out / 'reviewed'}"
    )
    for c in result.stale:
        detail = f"{c.record_id} {c.field}: decided on {c.previous!r}, the extraction has changed since"
        err.print(f"[yellow]stale[/yellow] {escape(detail)}")
    for c in result.unknown:
        err.print(f"[yellow]unknown[/yellow] {escape(f'{c.record_id} {c.field}')}: no such record or field")
