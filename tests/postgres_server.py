"""A throwaway PostgreSQL server for the tests (a pytest plugin: one server per test session).

Debian's ``postgresql`` package provides the binaries; ``make install`` installs it. The server runs
in a temporary folder with fsync off and is stopped at the end of the session.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _server_binaries() -> Path | None:
    """The newest installed PostgreSQL's ``bin`` folder (Debian installs them by major version)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


PG_BIN = _server_binaries() or Path("/usr/lib/postgresql/15/bin")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the ``postgres`` user then."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway PostgreSQL 15 server in a temporary folder (skipped when not installed)."""
    if not (PG_BIN / "initdb").exists() or (os.geteuid() == 0 and not shutil.which("runuser")):
        if os.environ.get("CI"):  # CI installs it (make install): a skip there would hide a gap
            pytest.fail("PostgreSQL not installed: apt-get install postgresql (make install does)")
        pytest.skip("PostgreSQL binaries (or runuser, when root) not installed")
    folder = Path(tempfile.mkdtemp(prefix="jk-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port()
    init = [str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "jk", "--no-sync"]
    subprocess.run(_as_server_user(init), check=True, capture_output=True)
    ctl = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-l", str(folder / "log")]
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(_as_server_user([*ctl, "-o", options, "start"]), check=True, capture_output=True)
    try:
        createdb = [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "jk"]
        subprocess.run([*createdb, "flows"], check=True, capture_output=True)
        yield f"postgresql://jk@127.0.0.1:{port}/flows"
    finally:
        subprocess.run(_as_server_user([*ctl, "stop", "-m", "fast"]), check=False)
        shutil.rmtree(folder, ignore_errors=True)
