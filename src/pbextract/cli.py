"""Command line: ``pbextract run INPUT... -o OUT`` over files and folders; ``pbextract inspect``;
``pbextract load OUT`` into a warehouse and ``pbextract ddl`` for its tables."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pbextract import __version__
from pbextract.errors import InputError
from pbextract.load.ddl import Dialect
from pbextract.output.crops import write_crops
from pbextract.output.writers import OutputWriter, totals
from pbextract.pipeline import extract_file, image_page_tables, page_tables
from pbextract.read.ocr.engine import default_engine
from pbextract.stages import PageKind

app = typer.Typer(add_completion=False, help="Budget performance-target tables (绩效目标表) from PDF to records.")
err = Console(stderr=True, soft_wrap=True, highlight=False)

EXIT_OK, EXIT_FILE_ERRORS, EXIT_USAGE = 0, 1, 2


def collect_inputs(inputs: list[Path]) -> list[Path]:
    """Files as given, and every *.pdf below each folder (sorted); missing paths are a usage error."""
    files: list[Path] = []
    for p in inputs:
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() == ".pdf")
        elif p.exists():
            files.append(p)
        else:
            raise typer.BadParameter(f"{p}: no such file or folder", param_hint="INPUT")
    return files


@app.command()
def run(
    inputs: Annotated[list[Path], typer.Argument(help="PDF files and/or folders (searched recursively)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder")] = Path("out"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Extract every project table into OUT: records.jsonl, *.parquet, manifest.json, record.schema.json,
    and crops/ with a PNG of every flagged cell.

    Exit codes: 0 all files read; 1 some file or page could not be read (the rest is written);
    2 bad command line.
    """
    files = collect_inputs(inputs)
    writer = OutputWriter(out)
    start = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=quiet,
    ) as progress:
        task = progress.add_task("extracting", total=len(files))
        for path in files:

            def on_page(done: int, total: int, name: str = path.name) -> None:
                progress.update(task, description=f"{name} page {done}/{total}")

            result = extract_file(path, on_page=on_page)
            if result.records:
                write_crops(path, result.records, out)
            writer.add(result)
            if result.error:
                progress.console.print(f"[red]error[/red] {result.error}")
            for msg in result.page_errors:
                progress.console.print(f"[yellow]page[/yellow] {msg}")
            progress.advance(task)
    writer.finish()
    t = totals(writer.results)
    seconds = time.perf_counter() - start
    rate = t["pages"] / seconds if seconds > 0 else 0.0
    err.print(
        f"{t['files']} files, {t['pages']} pages, {t['records']} records, {t['flags']} flags, "
        f"{t['errors']} errors in {seconds:.1f}s ({rate:.1f} pages/s) -> {out}"
    )
    failed = any(r.status != "ok" for r in writer.results)
    raise typer.Exit(EXIT_FILE_ERRORS if failed else EXIT_OK)


@app.command()
def inspect(
    pdf: Annotated[Path, typer.Argument(help="a PDF file")],
    page: Annotated[int, typer.Option("--page", "-p", help="1-based page")] = 1,
) -> None:
    """Print one page's stage objects as JSON: its class, and each table's grid, cells and title text."""
    from pbextract.read.pdfopen import open_pdf

    try:
        with open_pdf(pdf) as (doc, handle):
            if not 1 <= page <= len(doc.pages):
                raise InputError(pdf, f"no page {page} (the file has {len(doc.pages)})")
            info = doc.pages[page - 1]
            if info.kind == PageKind.TEXT:
                tables = page_tables(handle.pages[page - 1], info, handle.text_layer(page))
            elif info.kind in (PageKind.SCAN, PageKind.OCR):
                tables = image_page_tables(pdf, handle.pages[page - 1], info, default_engine())
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
