"""Hostile inputs for the batch runner, made at test time (small: a few MB in all)."""

from __future__ import annotations

import os
import random
import re
import zlib
from collections.abc import Callable
from pathlib import Path

import pikepdf

GBK_NAME = "预算表".encode("gbk") + b".pdf"  # not valid UTF-8: a name from a Windows share


def _save(pdf: pikepdf.Pdf, path: Path, **kw: object) -> None:
    pdf.save(path, **kw)  # type: ignore[arg-type]


def _from(sample: Path, path: Path, change: Callable[[pikepdf.Pdf], None]) -> None:
    with pikepdf.open(sample) as pdf:
        change(pdf)
        _save(pdf, path)


def _blank_pages(path: Path, n: int) -> None:
    pdf = pikepdf.new()
    for _ in range(n):
        pdf.add_blank_page(page_size=(595, 842))
    _save(pdf, path)


def _page_with(
    pdf: pikepdf.Pdf, path: Path, box: list[int], contents: bytes, resources: pikepdf.Dictionary | None = None
) -> None:
    pdf.add_blank_page(page_size=(box[2], box[3]))
    page = pdf.pages[0]
    page.obj.Contents = pdf.make_stream(contents)
    if resources is not None:
        page.obj.Resources = resources
    _save(pdf, path)


def _flate_bomb(path: Path, expanded: int) -> None:
    """A page whose content stream inflates to ``expanded`` bytes of spaces (about 1,000:1)."""
    z = zlib.compressobj(9)
    chunk = b" " * (16 << 20)
    data = b"".join(z.compress(chunk) for _ in range(expanded // len(chunk))) + z.flush()
    pdf = pikepdf.new()
    pdf.add_blank_page()
    stream = pikepdf.Stream(pdf, data)
    stream.Filter = pikepdf.Name.FlateDecode
    pdf.pages[0].obj.Contents = stream
    _save(pdf, path, compress_streams=False)


def _image_page(path: Path, box: int, pixels: int) -> None:
    """A scanned-looking page: one grey image of ``pixels``² drawn over a ``box``-point square page."""
    pdf = pikepdf.new()
    data = zlib.compress(b"\xff" * pixels * min(pixels, 64), 9)  # the rest of the rows are missing
    image = pikepdf.Stream(pdf, data)
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width = image.Height = pixels
    image.ColorSpace, image.BitsPerComponent, image.Filter = pikepdf.Name.DeviceGray, 8, pikepdf.Name.FlateDecode
    _page_with(
        pdf,
        path,
        [0, 0, box, box],
        f"q {box} 0 0 {box} 0 0 cm /Im0 Do Q".encode(),
        pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)),
    )


def _broken_xref(sample: Path, path: Path) -> None:
    """The sample saved with object streams, its startxref pointing nowhere: qpdf and pdfium recover it,
    pdfminer does not."""
    with pikepdf.open(sample) as pdf:
        _save(pdf, path, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    data = path.read_bytes()
    path.write_bytes(data[: data.rfind(b"startxref")] + b"startxref\n12345\n%%EOF\n")


def make_corpus(folder: Path, sample: Path) -> dict[str, str]:
    """Write each hostile input into ``folder``; returns name -> what it is. ``sample`` is a good digital PDF."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    good = sample.read_bytes()
    made: dict[str, str] = {}

    def put(name: str, what: str, data: bytes | None = None) -> Path:
        path = folder / name
        if data is not None:
            path.write_bytes(data)
        made[name] = what
        return path

    put("zero-byte.pdf", "zero bytes", b"")
    put("random.pdf", "random bytes", rng.randbytes(20_000))
    put("page.html.pdf", "HTML renamed .pdf", b"<!DOCTYPE html><html><body>%PDF-1.4 not really</body></html>")
    put("truncated.pdf", "truncated", good[: len(good) // 2])
    _broken_xref(sample, put("broken-xref.pdf", "broken xref"))
    with pikepdf.open(sample) as pdf:
        _save(pdf, put("user-password.pdf", "user password"), encryption=pikepdf.Encryption(user="u", owner="o"))
        _save(pdf, put("owner-password.pdf", "owner password only"), encryption=pikepdf.Encryption(user="", owner="o"))
    _save(pikepdf.new(), put("zero-pages.pdf", "zero pages"))
    _from(sample, put("parent-loop.pdf", "/Parent loop"), _parent_loop)
    _from(sample, put("kids-loop.pdf", "/Kids loop"), _kids_loop)
    _from(sample, put("no-mediabox.pdf", "page without MediaBox"), _no_mediabox)
    _flate_bomb(put("flate-bomb.pdf", "Flate bomb"), 1 << 30)
    _image_page(put("huge-image.pdf", "huge page image"), 612, 40_000)
    _image_page(put("huge-mediabox.pdf", "200-inch scanned page"), 14_400, 2_000)
    _blank_pages(put("blank-3000.pdf", "3,000 blank pages"), 3000)
    (folder / "folder.pdf").mkdir()
    made["folder.pdf"] = "a folder named x.pdf"
    os.symlink(".", folder / "loop")
    made["loop"] = "symlink loop (folder)"
    os.symlink("self.pdf", folder / "self.pdf")
    made["self.pdf"] = "symlink loop (file)"
    return made


def slice_pdf(sample: Path, first: int, last: int, path: Path) -> Path:
    """Pages ``first``..``last`` (1-based) of ``sample`` as a PDF of their own."""
    with pikepdf.open(sample) as src:
        out = pikepdf.new()
        out.pages.extend(src.pages[first - 1 : last])
        _save(out, path)
    return path


def with_bad_code(sample: Path, path: Path) -> Path:
    """``sample`` with every project code's last digit printed as a letter: a digital file whose records
    carry flags (and so crops)."""
    with pikepdf.open(sample) as pdf:
        for page in pdf.pages:
            contents = page.obj.Contents
            for stream in contents if isinstance(contents, pikepdf.Array) else [contents]:
                data = stream.read_bytes()
                stream.write(re.sub(rb"\((\d{8}P\d{10})\d([A-Z])", rb"(\1P\2", data))
        _save(pdf, path)
    return path


def make_gbk_named(folder: Path, sample: Path) -> Path:
    """A good PDF (the sample plus a trailing comment, so its own bytes) under a GBK-byte name."""
    path = Path(os.fsdecode(os.path.join(os.fsencode(folder), GBK_NAME)))
    path.write_bytes(sample.read_bytes() + b"\n%gbk copy\n")
    return path


def _parent_loop(pdf: pikepdf.Pdf) -> None:
    node = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Pages, Count=1))
    node.Parent = node
    node.Kids = pikepdf.Array([pdf.pages[1].obj])
    pdf.pages[1].obj.Parent = node
    del pdf.pages[1].obj.MediaBox


def _kids_loop(pdf: pikepdf.Pdf) -> None:
    root = pdf.Root.Pages
    root.Kids.append(root)


def _no_mediabox(pdf: pikepdf.Pdf) -> None:
    for page in pdf.pages:
        if "/MediaBox" in page.obj:
            del page.obj.MediaBox
    if "/MediaBox" in pdf.Root.Pages:
        del pdf.Root.Pages.MediaBox
