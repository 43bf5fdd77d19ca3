"""A throwaway PostgreSQL server for the tests: Debian's binaries, initdb into a temp folder, a unix
socket only (no TCP), run as an unprivileged user when the tests run as root (initdb refuses root)."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql

SUPERUSER = "postgres"


def server_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/<version>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _run(cwd: Path, *cmd: str | Path) -> None:
    """Run a server program in ``cwd``, as ``nobody`` when we are root."""
    args = [str(c) for c in cmd]
    if os.geteuid() == 0:
        args = ["runuser", "-u", "nobody", "--", *args]
    subprocess.run(args, check=True, capture_output=True, cwd=cwd)


@contextlib.contextmanager
def postgres_server(bin_dir: Path) -> Iterator[str]:
    """Start a server, yield its superuser's URL (``postgresql://`` over the socket), stop it after."""
    root = Path(tempfile.mkdtemp(prefix="pbx-pg-"))
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(root, nobody.pw_uid, nobody.pw_gid)
    data, log = root / "data", root / "log"
    try:
        _run(root, bin_dir / "initdb", "-D", data, "-U", SUPERUSER, "-A", "trust", "--no-sync")
        options = f"-c listen_addresses='' -k {root} -c fsync=off -c full_page_writes=off"
        _run(root, bin_dir / "pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "start")
        try:
            yield f"postgresql://{SUPERUSER}@/postgres?host={root}"
        finally:
            _run(root, bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def new_database(server_url: str, name: str) -> str:
    """An empty database on the server; its URL."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return server_url.replace("/postgres?", f"/{name}?")
